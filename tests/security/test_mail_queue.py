"""One bad message never blocks the mail queue, and mail never runs on the request path
(issue 13, §4 and §6).

- A message whose headers cannot be built, or that the SMTP server refuses for good (5xx), is
  marked failed at once and the run goes on; a temporary refusal (4xx) leaves it queued.
- Each message is committed as sent right after its own handover: a crash later in the run
  never sends it again, and two runs at once never send the same message twice.
- Headers never carry a line break, whatever the database holds.
- A request never talks to the SMTP server, not even after its response (the outbox worker
  delivers): a slow SMTP server cannot tell, by the time a page takes, whether the address of
  /password/forgot has an account, nor hold a web worker.
"""

from __future__ import annotations

import smtplib
import socket
from datetime import timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from aiosmtpd.smtp import SMTP
from sqlalchemy import select

from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage, OutboxStatus
from mnc_exchange.mail.services import deliver
from tests.factories import UserFactory

REFUSED = "nobody@refused.example"  # 550 at RCPT
GREYLISTED = "later@greylist.example"  # 451 at RCPT


class _Recorder(Message):
    """Keeps the messages received and the connections made; refuses two recipients."""

    def __init__(self):
        super().__init__()
        self.messages = []
        self.connections = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        if address == REFUSED:
            return "550 5.1.1 No such user"
        if address == GREYLISTED:
            return "451 4.7.1 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def handle_message(self, message):
        self.messages.append(message)


class _RecordingController(Controller):
    def factory(self):
        handler = self.handler

        class _SMTP(SMTP):
            def connection_made(self, transport):
                handler.connections += 1
                super().connection_made(transport)

        return _SMTP(handler, **self.SMTP_kwargs)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp(app, data_app, monkeypatch):
    """A local SMTP server that both apps use; yields its handler."""
    handler = _Recorder()
    controller = _RecordingController(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    handler.connections = 0  # start() checks the server with a connection of its own
    for a in (app, data_app):
        monkeypatch.setitem(a.config, "MAIL_SERVER", "127.0.0.1")
        monkeypatch.setitem(a.config, "MAIL_PORT", controller.port)
    yield handler
    controller.stop()


def _message(recipient: str, subject: str = "Bonjour", **attrs) -> OutboxMessage:
    """A queued message stored straight in the table, as any past bug may have left it."""
    message = OutboxMessage(
        recipient=recipient, subject=subject, body_text=f"Pour {recipient}", **attrs
    )
    db.session.add(message)
    db.session.commit()
    return message


def _reload(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def _received_by(handler) -> list[str]:
    return [m["X-RcptTo"] for m in handler.messages]


def test_bad_messages_fail_and_the_run_goes_on(runner, smtp):
    good_1 = _message("one@example.org").id
    bad_header = _message("victim@example.org\r\nBcc: spy@example.org").id
    good_2 = _message("two@example.org").id
    refused = _message(REFUSED).id
    greylisted = _message(GREYLISTED).id

    result = runner.invoke(args=["outbox", "deliver"])

    assert "Sent 2, failed 2, left in the queue 1." in result.output, result.output
    assert result.exit_code == 1
    assert _received_by(smtp) == ["one@example.org", "two@example.org"]
    for message_id in (good_1, good_2):
        message = _reload(message_id)
        assert message.status is OutboxStatus.sent and message.sent_at is not None
    bad = _reload(bad_header)
    assert bad.status is OutboxStatus.failed and "Invalid recipient" in bad.last_error
    refusal = _reload(refused)
    assert refusal.status is OutboxStatus.failed and refusal.attempts == 1
    assert "550" in refusal.last_error
    # A temporary refusal counts an attempt and stays queued for the next run.
    later = _reload(greylisted)
    assert later.status is OutboxStatus.queued and later.attempts == 1
    assert "451" in later.last_error

    # The next run sends nothing twice and does not try the failed ones again.
    runner.invoke(args=["outbox", "deliver"])
    assert _received_by(smtp) == ["one@example.org", "two@example.org"]
    assert _reload(greylisted).attempts == 2


def test_a_line_break_stored_in_the_subject_never_reaches_the_headers(smtp):
    message_id = _message(
        "host@example.org", subject="Invitation de Ali\r\nBcc: spy@example.org"
    ).id
    assert deliver() == (1, 0, 0)
    [received] = smtp.messages
    assert received["Subject"] == "Invitation de Ali Bcc: spy@example.org"
    assert received["Bcc"] is None
    assert received["X-RcptTo"] == "host@example.org"
    assert _reload(message_id).status is OutboxStatus.sent


class _Crash(BaseException):
    """A crash of the process (not an ``Exception``: nothing catches it)."""


def test_a_crash_after_a_handover_never_sends_that_message_again(smtp, monkeypatch):
    first = _message("one@example.org").id
    second = _message("two@example.org").id
    original = smtplib.SMTP.send_message
    calls = []

    def send_then_crash(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise _Crash
        return original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "send_message", send_then_crash)
    with pytest.raises(_Crash):
        deliver()
    db.session.rollback()
    assert _reload(first).status is OutboxStatus.sent
    assert _reload(second).status is OutboxStatus.sending  # claimed, handover unknown

    monkeypatch.setattr(smtplib.SMTP, "send_message", original)
    assert deliver() == (0, 0, 0)  # a fresh claim is left alone
    # Long after, the claim of the dead run is taken back and the message goes out.
    _reload(second).sent_at = utcnow() - timedelta(hours=1)
    db.session.commit()
    assert deliver() == (1, 0, 0)
    assert _received_by(smtp) == ["one@example.org", "two@example.org"]
    assert _reload(second).status is OutboxStatus.sent


def test_two_runs_at_once_never_send_a_message_twice(app, smtp, monkeypatch):
    ids = [_message(f"n{i}@example.org").id for i in range(3)]
    original = smtplib.SMTP.send_message
    nested = []

    def send_while_another_run_delivers(self, *args, **kwargs):
        if not nested:
            nested.append(1)
            # The scheduler runs while the worker hands over its first message.
            with app.app_context():
                nested.append(deliver())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(smtplib.SMTP, "send_message", send_while_another_run_delivers)
    outer = deliver()

    received = _received_by(smtp)
    assert sorted(received) == ["n0@example.org", "n1@example.org", "n2@example.org"]
    assert outer.sent + nested[1].sent == 3
    assert all(_reload(i).status is OutboxStatus.sent for i in ids)


def _flashes(client) -> list:
    with client.session_transaction() as session:
        return list(session.get("_flashes", []))


def test_password_reset_mail_never_goes_out_on_the_request_path(app, runner, smtp):
    UserFactory(email="salma@example.org")
    known_client, unknown_client = app.test_client(), app.test_client()

    known = known_client.post(
        "/password/forgot", data={"email": "salma@example.org"}, buffered=False
    )
    assert known.status_code == 302
    known_body = known.get_data()
    known.close()  # what the WSGI server does once the response has been written
    # Not even after the response: the request only queued the message.
    assert smtp.connections == 0 and smtp.messages == []
    assert db.session.scalar(select(OutboxMessage)).status is OutboxStatus.queued

    unknown = unknown_client.post(
        "/password/forgot", data={"email": "nobody@example.org"}, buffered=False
    )
    unknown_body = unknown.get_data()
    unknown.close()
    assert smtp.connections == 0
    assert (unknown.status_code, unknown.location, unknown_body) == (
        known.status_code,
        known.location,
        known_body,
    )
    assert _flashes(unknown_client) == _flashes(known_client) != []

    # The worker delivers it.
    result = runner.invoke(args=["outbox", "worker", "--once"])
    assert result.exit_code == 0, result.output
    assert smtp.connections == 1
    assert _received_by(smtp) == ["salma@example.org"]
    assert _reload(db.session.scalar(select(OutboxMessage.id))).status is OutboxStatus.sent
