"""Access expectations for the hosts pages (merged into tests/test_access_matrix.py).

The shared setup gives: users["host"] belongs to an approved company with one published offer
of the sample cohort (values "company_id", "offer_id", "tutor_id"); users["pending_host"]
belongs to a company waiting for approval.

``company.join`` is public, but the shared token ("not-a-valid-token") is invalid: the page
explaining why is served with status 404, so every role — anonymous included — gets
"forbidden" on GET and POST (never a 500).
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.hosts.models import CompanyInvitation
from tests.access_helpers import FORBIDDEN, LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

STAFF = ("coordinator", "admin")
HOST = ("host",)
NOBODY = dict.fromkeys(ROLES, FORBIDDEN)

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    # Coordinators: every company, approval, refusal.
    ("companies.index", "GET"): only(*STAFF),
    ("companies.detail", "GET"): only(*STAFF),
    ("companies.approve", "POST"): only(*STAFF),
    ("companies.reject", "POST"): only(*STAFF),
    # Host contacts of an approved company (a pending contact holds no permission).
    ("company.profile", "GET"): only(*HOST),
    ("company.edit", "GET"): only(*HOST),
    ("company.edit", "POST"): only(*HOST),
    ("company.tutors", "GET"): only(*HOST),
    ("company.tutors", "POST"): only(*HOST),
    ("company.edit_tutor", "GET"): only(*HOST),
    ("company.edit_tutor", "POST"): only(*HOST),
    ("company.invite", "POST"): only(*HOST),
    ("company.revoke_invitation", "POST"): only(*HOST),
    # Public, but the sample token is invalid: 404 for everybody.
    ("company.join", "GET"): dict(NOBODY),
    ("company.join", "POST"): dict(NOBODY),
}


def setup_values(users, cohort, application) -> dict:
    """An open invitation of users["host"]'s company."""
    host = users["host"]
    invitation = CompanyInvitation(
        company_id=host.company_id,
        email="colleague@example.fr",
        token_hash=secrets.token_hex(32),
        invited_by_id=host.id,
        expires_at=utcnow() + timedelta(days=7),
    )
    db.session.add(invitation)
    db.session.commit()
    return {"invitation_id": invitation.id}
