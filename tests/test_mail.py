"""The outbox: queued in the change's transaction, delivered over a real local SMTP server."""

from __future__ import annotations

import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from mnc_exchange.accounts.models import Role
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage, OutboxStatus
from mnc_exchange.mail.services import deliver, queue_email
from tests.factories import UserFactory


class _Collect(Message):
    def __init__(self):
        super().__init__()
        self.messages = []

    def handle_message(self, message):
        self.messages.append(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield controller, handler
    controller.stop()


@pytest.fixture
def mail_config(app, data_app, monkeypatch):
    def configure(port: int, server: str = "127.0.0.1"):
        for a in (app, data_app):
            monkeypatch.setitem(a.config, "MAIL_SERVER", server)
            monkeypatch.setitem(a.config, "MAIL_PORT", port)

    return configure


def _worker_once(runner):
    result = runner.invoke(args=["outbox", "worker", "--once"])
    assert result.exit_code == 0, result.output
    return result


def test_reset_email_is_delivered_by_the_worker(client, runner, smtp_server, mail_config):
    controller, handler = smtp_server
    mail_config(controller.port)
    user = UserFactory(email="salma@example.org", locale="fr")
    # The request only queues the message (even once its response is closed).
    client.post("/password/forgot", data={"email": user.email}, buffered=True)
    assert handler.messages == []
    _worker_once(runner)
    assert len(handler.messages) == 1
    received = handler.messages[0]
    assert received["To"] == "salma@example.org"
    assert "Réinitialisez" in received["Subject"] or "mot de passe" in received["Subject"]
    message = db.session.scalar(select(OutboxMessage))
    assert message.status is OutboxStatus.sent and message.attempts == 1
    assert message.sent_at is not None


def test_email_follows_the_recipient_language(client, runner, smtp_server, mail_config):
    controller, handler = smtp_server
    mail_config(controller.port)
    UserFactory(email="claire@example.fr", locale="en")
    client.post("/password/forgot", data={"email": "claire@example.fr"}, buffered=True)
    _worker_once(runner)
    assert handler.messages[0]["Subject"] == "Reset your MNC Exchange password"


def test_unreachable_server_keeps_message_queued_with_error(client, runner, mail_config):
    mail_config(_free_port())  # nothing listens there
    UserFactory(email="salma@example.org")
    response = client.post("/password/forgot", data={"email": "salma@example.org"}, buffered=True)
    assert response.status_code == 302  # the user is not bothered
    _worker_once(runner)
    message = db.session.scalar(select(OutboxMessage))
    assert message.status is OutboxStatus.queued
    assert message.attempts == 1 and message.last_error


def test_cli_delivers_queued_messages_with_retries(
    runner, smtp_server, mail_config, data_app, monkeypatch
):
    controller, handler = smtp_server
    queue_email("a@example.org", "welcome", "fr", user=UserFactory())
    db.session.commit()
    # First attempt fails (bad port), the second succeeds.
    mail_config(_free_port())
    deliver()
    db.session.commit()
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == "a@example.org")
    )
    assert message.status is OutboxStatus.queued and message.attempts == 1
    mail_config(controller.port)
    result = runner.invoke(args=["outbox", "deliver"])
    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0, left in the queue 0." in result.output
    db.session.expire_all()
    assert message.status is OutboxStatus.sent and message.attempts == 2
    assert [m["To"] for m in handler.messages] == ["a@example.org"]


def test_message_marked_failed_after_max_attempts(mail_config, monkeypatch, data_app):
    monkeypatch.setitem(data_app.config, "MAIL_MAX_ATTEMPTS", 2)
    mail_config(_free_port())
    queue_email("a@example.org", "welcome", "fr", user=UserFactory())
    deliver()
    deliver()
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == "a@example.org")
    )
    assert message.status is OutboxStatus.failed and message.attempts == 2


def test_rolled_back_change_sends_nothing(smtp_server, mail_config):
    controller, handler = smtp_server
    mail_config(controller.port)
    queue_email("a@example.org", "welcome", "fr", user=UserFactory())
    db.session.rollback()
    assert deliver() == (0, 0, 0)
    assert handler.messages == []
    assert db.session.scalar(select(OutboxMessage)) is None


def test_without_mail_server_messages_stay_in_outbox(runner, client):
    UserFactory(email="k@example.org")
    client.post("/password/forgot", data={"email": "k@example.org"})
    message = db.session.scalar(select(OutboxMessage))
    assert message.status is OutboxStatus.queued and message.attempts == 0
    result = runner.invoke(args=["outbox", "deliver"])
    assert "stay queued" in result.output


def test_admin_sees_outbox(client, auth):
    UserFactory(email="k@example.org", role=Role.student)
    client.post("/password/forgot", data={"email": "k@example.org"})
    auth.as_role("admin")
    page = client.get("/admin/outbox").get_data(as_text=True)
    assert "k@example.org" in page
    message = db.session.scalar(select(OutboxMessage))
    detail = client.get(f"/admin/outbox/{message.id}").get_data(as_text=True)
    assert "/password/reset/" in detail
