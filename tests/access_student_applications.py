"""Access expectations for this domain's routes (merged into tests/test_access_matrix.py).

Keys are (endpoint, method); values map each role of ROLES to "ok", "login" or "forbidden".
``setup_values`` creates the sample objects the URLs need and returns the URL arguments.

The student's pages never carry an id: the application is always the logged-in student's own.
"""

from __future__ import annotations

from tests.access_helpers import LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("applications.index", "GET"): only("student"),
    ("applications.save", "POST"): only("student"),
    ("applications.start", "POST"): only("student"),
    ("applications.submit", "POST"): only("student"),
    ("applications.upload_document", "POST"): only("student"),
    ("applications.withdraw", "GET"): only("student"),
    ("applications.withdraw", "POST"): only("student"),
}


def setup_values(users, cohort, application) -> dict:
    return {}
