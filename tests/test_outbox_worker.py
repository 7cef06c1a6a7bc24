"""Mail never inside a request: requests only queue, the outbox worker delivers (issue 16).

- A request that queues an e-mail makes no SMTP connection at all, not even after its
  response; ``flask outbox worker --once`` delivers it.
- The worker survives a bad message, a failing cycle, and stops gracefully on SIGTERM/SIGINT.
- A temporary failure waits (doubling) before the next attempt instead of using up
  ``MAIL_MAX_ATTEMPTS`` in a few cycles.
"""

from __future__ import annotations

import os
import signal
import smtplib
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from sqlalchemy import select

from mnc_exchange.extensions import db
from mnc_exchange.mail import worker as worker_module
from mnc_exchange.mail.models import OutboxMessage, OutboxStatus
from mnc_exchange.mail.services import DeliveryReport, queue_email
from mnc_exchange.mail.worker import OutboxWorker
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent


class StubSMTP:
    """Stands in for ``smtplib.SMTP``: records every connection and message, sends nothing."""

    connections: list[tuple[str, int]] = []
    sent: list = []
    refuse: dict[str, tuple[int, bytes]] = {}

    def __init__(self, host="", port=0, timeout=None, **kwargs):
        StubSMTP.connections.append((host, port))

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def send_message(self, message):
        to = message["To"]
        if to in StubSMTP.refuse:
            raise smtplib.SMTPRecipientsRefused({to: StubSMTP.refuse[to]})
        StubSMTP.sent.append(message)

    def quit(self):
        pass


@pytest.fixture
def stub_smtp(app, data_app, monkeypatch):
    StubSMTP.connections, StubSMTP.sent, StubSMTP.refuse = [], [], {}
    monkeypatch.setattr(smtplib, "SMTP", StubSMTP)
    monkeypatch.setattr(smtplib, "SMTP_SSL", StubSMTP)
    for a in (app, data_app):
        monkeypatch.setitem(a.config, "MAIL_SERVER", "smtp.example.org")
        monkeypatch.setitem(a.config, "MAIL_PORT", 2525)
    return StubSMTP


def _queued(recipient: str) -> int:
    message = OutboxMessage(recipient=recipient, subject="Bonjour", body_text="Texte")
    db.session.add(message)
    db.session.commit()
    return message.id


def _status(message_id: int) -> OutboxMessage:
    db.session.expire_all()
    return db.session.get(OutboxMessage, message_id)


def test_a_request_queues_and_never_connects_to_smtp(client, runner, stub_smtp):
    UserFactory(email="salma@example.org")
    response = client.post("/password/forgot", data={"email": "salma@example.org"}, buffered=False)
    assert response.status_code == 302
    response.get_data()
    response.close()  # the WSGI server closes the response once written
    assert stub_smtp.connections == [] and stub_smtp.sent == []
    message = db.session.scalar(select(OutboxMessage))
    assert message.status is OutboxStatus.queued and message.attempts == 0
    message_id = message.id

    result = runner.invoke(args=["outbox", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "Sent 1, failed 0, left in the queue 0." in result.output
    assert stub_smtp.connections == [("smtp.example.org", 2525)]
    assert [m["To"] for m in stub_smtp.sent] == ["salma@example.org"]
    assert _status(message_id).status is OutboxStatus.sent


def test_the_worker_survives_a_bad_message(runner, stub_smtp):
    stub_smtp.refuse["refused@example.org"] = (550, b"No such user")
    good = _queued("one@example.org")
    broken = _queued("victim@example.org\r\nBcc: spy@example.org")
    refused = _queued("refused@example.org")
    other = _queued("two@example.org")

    result = runner.invoke(args=["outbox", "worker", "--once"])

    assert result.exit_code == 0, result.output
    assert "Sent 2, failed 2, left in the queue 0." in result.output
    assert [m["To"] for m in stub_smtp.sent] == ["one@example.org", "two@example.org"]
    assert _status(good).status is _status(other).status is OutboxStatus.sent
    assert _status(broken).status is OutboxStatus.failed
    assert _status(refused).status is OutboxStatus.failed


def test_a_failing_cycle_does_not_end_the_worker_and_sigterm_stops_it(
    runner, stub_smtp, monkeypatch
):
    message_id = _queued("one@example.org")
    real_deliver = worker_module.deliver
    calls = []

    def flaky_deliver(ids, stop=None):
        calls.append(list(ids))
        if len(calls) == 1:
            raise RuntimeError("database went away")
        report = real_deliver(ids, stop=stop)
        signal.raise_signal(signal.SIGTERM)  # what systemd sends to stop the service
        return report

    monkeypatch.setattr(worker_module, "deliver", flaky_deliver)
    previous = signal.getsignal(signal.SIGTERM)

    result = runner.invoke(args=["outbox", "worker", "--interval", "0.1", "--max-seconds", "60"])

    assert result.exit_code == 0, result.output
    assert calls == [[message_id], [message_id]]
    assert "Outbox worker stopped: sent 1, failed 0" in result.output
    assert _status(message_id).status is OutboxStatus.sent
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers given back


def test_a_stop_request_ends_the_run_between_two_messages(app, stub_smtp):
    first, second = _queued("one@example.org"), _queued("two@example.org")
    worker = OutboxWorker()
    real_send = StubSMTP.send_message

    def send_then_stop(self, message):
        real_send(self, message)
        worker.stop()  # SIGTERM arrives while the first message is handed over

    StubSMTP.send_message = send_then_stop
    try:
        report = worker.run(echo=lambda line: None)
    finally:
        StubSMTP.send_message = real_send
    assert report == (1, 0, 0)
    assert _status(first).status is OutboxStatus.sent
    assert _status(second).status is OutboxStatus.queued and _status(second).attempts == 0


def test_a_temporary_failure_waits_before_the_next_attempt(data_app, stub_smtp):
    stub_smtp.refuse["later@example.org"] = (451, b"Try again later")
    message_id = _queued("later@example.org")
    now = [1000.0]
    worker = OutboxWorker(retry_delay=60, clock=lambda: now[0])

    assert worker.cycle()[0] == DeliveryReport(0, 0, 1)
    assert _status(message_id).attempts == 1
    now[0] += 59  # every 2 s the worker looks, but this one waits its minute
    assert worker.cycle()[0] == DeliveryReport()
    assert _status(message_id).attempts == 1
    new = _queued("fresh@example.org")  # a new message is not held up meanwhile
    assert worker.cycle()[0] == DeliveryReport(1, 0, 0)
    assert _status(new).status is OutboxStatus.sent

    now[0] += 1
    assert worker.cycle()[0] == DeliveryReport(0, 0, 1)
    assert _status(message_id).attempts == 2
    now[0] += 119  # the wait doubles
    assert worker.cycle()[0] == DeliveryReport()
    del stub_smtp.refuse["later@example.org"]
    now[0] += 1
    assert worker.cycle()[0] == DeliveryReport(1, 0, 0)
    assert _status(message_id).status is OutboxStatus.sent
    assert worker.retry_at == {}


def test_without_mail_server_the_worker_sends_nothing(runner, client, monkeypatch):
    connections = []
    monkeypatch.setattr(smtplib, "SMTP", lambda *a, **k: connections.append(a))
    message_id = _queued("k@example.org")
    result = runner.invoke(args=["outbox", "worker", "--once"])
    assert result.exit_code == 0
    assert "MAIL_SERVER is not set" in result.output
    assert connections == []
    message = _status(message_id)
    assert message.status is OutboxStatus.queued and message.attempts == 0


# --- a real worker process -------------------------------------------------------------------


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


def _wait_for(condition, what: str, limit: float = 60.0) -> None:
    """Wait until ``condition()`` (a bound on the wait, not a timing assertion)."""
    deadline = time.monotonic() + limit
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        time.sleep(0.1)


def test_a_worker_process_delivers_within_seconds_and_stops_on_sigterm(
    database_url, uploads_dir, tmp_path
):
    handler = _Collect()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    queue_email("salma@example.org", "welcome", "fr", user=UserFactory())
    db.session.commit()
    db.session.remove()
    env = os.environ | {
        "MNC_CONFIG": "development",
        "DATABASE_URL": database_url,
        "UPLOAD_FOLDER": uploads_dir,
        "INSTANCE_PATH": str(tmp_path),
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(controller.port),
        "PYTHONUNBUFFERED": "1",
    }
    process = subprocess.Popen(  # noqa: S603 - our own command line
        [sys.executable, "-m", "flask", "--app", "app", "outbox", "worker", "--interval", "0.5"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        _wait_for(lambda: handler.messages, "the worker to deliver")
        assert process.poll() is None  # still running, waiting for more
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        controller.stop()
    assert process.returncode == 0, output
    assert "Outbox worker stopped: sent 1, failed 0" in output
    assert [m["X-RcptTo"] for m in handler.messages] == ["salma@example.org"]
    assert db.session.scalar(select(OutboxMessage)).status is OutboxStatus.sent
