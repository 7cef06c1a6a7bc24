"""Access expectations for the follow-up pages (followup_student) (merged into tests/test_access_matrix.py)."""

from __future__ import annotations

from tests.access_helpers import FORBIDDEN, LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

EXPECTED: dict[tuple[str, str], dict[str, str]] = {}


def setup_values(users, cohort, application) -> dict:
    return {}
