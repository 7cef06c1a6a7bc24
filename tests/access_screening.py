"""Access expectations for this domain's routes (merged into tests/test_access_matrix.py).

Keys are (endpoint, method); values map each role of ROLES to "ok", "login" or "forbidden".
``setup_values`` creates the sample objects the URLs need and returns the URL arguments.
"""

from __future__ import annotations

from tests.access_helpers import LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

STAFF = ("coordinator", "admin")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("screening.index", "GET"): only(*STAFF),
    ("screening.export_csv", "GET"): only(*STAFF),
    ("screening.screen_all", "POST"): only(*STAFF),
    ("screening.detail", "GET"): only(*STAFF),
    ("screening.return_for_correction", "POST"): only(*STAFF),
    ("screening.decide", "POST"): only(*STAFF),
    ("screening.review_document", "POST"): only(*STAFF),
}


def setup_values(users, cohort, application) -> dict:
    # application_id and document_id (a stored PDF of the sample application) come from the
    # matrix itself; the routes need nothing more.
    return {}
