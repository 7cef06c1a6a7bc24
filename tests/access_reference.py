"""Access expectations for this domain's routes (merged into tests/test_access_matrix.py).

Keys are (endpoint, method); values map each role of ROLES to "ok", "login" or "forbidden".
``setup_values`` creates the sample objects the URLs need and returns the URL arguments.
"""

from __future__ import annotations

from tests.access_helpers import LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

EXPECTED: dict[tuple[str, str], dict[str, str]] = {}


def setup_values(users, cohort, application) -> dict:
    return {}
