"""Access expectations for the offers pages (merged into tests/test_access_matrix.py).

The shared setup gives: users["host"] belongs to an approved company with one published offer
of the sample cohort (values "company_id", "offer_id", "tutor_id"); users["pending_host"]
belongs to a company waiting for approval.

Decisions:
- the company pages (mine, create, edit) are for approved host contacts only; create and edit
  answer the host with a redirect and a message here (no current cohort; the offer is
  published, hence no longer editable);
- the offer page is readable by its company's contacts, by coordinators and admins, and by a
  student whose application (any status: the sample one is a draft) is in the offer's cohort
  while the offer is published; officials and other companies' contacts get 404;
- a step (transition) is for host contacts and staff; the empty form of the matrix has no
  target: 400 with a message, not a 500.
"""

from __future__ import annotations

from tests.access_helpers import FORBIDDEN, LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

HOST_ONLY = only("host")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("offers.mine", "GET"): HOST_ONLY,
    ("offers.create", "GET"): HOST_ONLY,
    ("offers.create", "POST"): HOST_ONLY,
    ("offers.edit", "GET"): HOST_ONLY,
    ("offers.edit", "POST"): HOST_ONLY,
    ("offers.detail", "GET"): only("host", "coordinator", "admin", "student"),
    ("offers.transition", "POST"): only("host", "coordinator", "admin"),
    ("offers.review", "GET"): only("coordinator", "admin"),
}


def setup_values(users, cohort, application) -> dict:
    return {}
