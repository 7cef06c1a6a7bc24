"""E-mails queued outside a request (CLI, scheduler, demo data) with CSRF protection on, as in
the development and production configurations (the test configuration turns CSRF off)."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.mail.services import queue_email


def test_an_email_is_queued_outside_a_request_with_csrf_on(data_app, monkeypatch):
    # The page-wide template context (language and logout forms) needs a session for its CSRF
    # tokens; without a request there is none, which made `flask demo-data` crash.
    monkeypatch.setitem(data_app.config, "WTF_CSRF_ENABLED", True)
    user = SimpleNamespace(full_name="Salma", email="salma@example.org", is_pending=False)
    queue_email(user.email, "welcome", "en", user=user)
    db.session.commit()
    message = db.session.scalar(select(OutboxMessage))
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
    assert message.recipient == "salma@example.org"
    assert "Hello Salma," in message.body_text
