"""Self-registration in tests: the account is confirmed from the link e-mailed to it."""

from __future__ import annotations

import re

from sqlalchemy import select

from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage

CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/register/confirm/[^\s\"<]+)")


def confirm_path(email: str) -> str:
    """The path of the last confirmation link e-mailed to ``email`` (read from the outbox)."""
    bodies = db.session.scalars(
        select(OutboxMessage.body_text)
        .where(OutboxMessage.recipient == email.strip().lower())
        .order_by(OutboxMessage.id.desc())
    )
    for body in bodies:
        match = CONFIRM_LINK.search(body)
        if match:
            return match.group(1)
    raise AssertionError(f"no confirmation link was e-mailed to {email}")


def confirm_address(client, email: str):
    """Open the e-mailed link and press its button, as the owner of ``email`` would; returns
    the response (a redirect to the login page)."""
    path = confirm_path(email)
    assert client.get(path).status_code == 200
    response = client.post(path)
    assert response.status_code == 302 and response.location.endswith("/login"), response.data
    return response
