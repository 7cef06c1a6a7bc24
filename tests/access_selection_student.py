"""Access expectations for the student's selection pages (merged into
tests/test_access_matrix.py). They never carry an id: the application is always the logged-in
student's own for the current cohort."""

from __future__ import annotations

from tests.access_helpers import LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("my_selection.index", "GET"): only("student"),
    ("my_selection.respond", "POST"): only("student"),
    ("my_selection.decline_seat", "POST"): only("student"),
}


def setup_values(users, cohort, application) -> dict:
    return {}
