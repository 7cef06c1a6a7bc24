"""Access expectations for the hosts pages (merged into tests/test_access_matrix.py).

The shared setup gives: users["host"] belongs to an approved company with one published offer
of the sample cohort (values "company_id", "offer_id", "tutor_id"); users["pending_host"]
belongs to a company waiting for approval.
"""

from __future__ import annotations

from tests.access_helpers import FORBIDDEN, LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

EXPECTED: dict[tuple[str, str], dict[str, str]] = {}


def setup_values(users, cohort, application) -> dict:
    return {}
