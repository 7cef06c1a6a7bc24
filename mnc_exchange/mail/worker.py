"""The outbox worker: one long-running process that delivers queued e-mail within seconds.

Requests only queue messages, in the transaction of the change that causes them; this loop
(``flask --app app outbox worker``) delivers what is queued, sleeps ``interval`` seconds (2 by
default) and starts again. It is a plain loop over the outbox table rather than a job queue
(RQ on Redis): no new moving part, and a message exists if and only if its change was
committed, which a job pushed to Redis beside the database transaction cannot promise.

- **Retries**: a message left queued by a temporary failure (4xx, server unreachable) waits
  before its next attempt, ``retry_delay`` seconds doubled at each attempt (1, 2, 4, 8 minutes
  by default, at most an hour), so that an SMTP outage of a few minutes does not use up its
  ``MAIL_MAX_ATTEMPTS`` in a few cycles. The waits live in the process: a restarted worker tries
  each waiting message once at once, then waits again.
- **Failures**: a bad message is failed by ``deliver`` and the run goes on; any other error of a
  cycle (database down...) is logged and the next cycle starts after the usual pause.
- **Stopping**: SIGTERM or SIGINT ends the loop after the message being handed over (never in
  the middle of an SMTP exchange); what is left stays queued for the next start.
- Several workers (or a worker and ``outbox deliver`` from cron) may run at once: each message is
  claimed atomically before it is sent, so none goes twice.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from flask import current_app
from sqlalchemy import select

from ..extensions import db
from .models import OutboxMessage, OutboxStatus
from .services import DeliveryReport, deliver, take_back_stale_claims

#: The longest wait before a retry, in seconds.
MAX_RETRY_DELAY = 3600.0


@dataclass
class OutboxWorker:
    """The delivery loop; call ``run`` inside an app context."""

    interval: float = 2.0
    retry_delay: float = 60.0
    batch: int = 200
    stop_event: threading.Event = field(default_factory=threading.Event)
    clock: Callable[[], float] = time.monotonic
    #: message id → when (``clock``) it may be tried again
    retry_at: dict[int, float] = field(default_factory=dict)

    def stop(self) -> None:
        self.stop_event.set()

    @property
    def stopping(self) -> bool:
        return self.stop_event.is_set()

    def delay(self, attempts: int) -> float:
        """The wait after the ``attempts``-th failed attempt."""
        return min(self.retry_delay * 2 ** max(attempts - 1, 0), MAX_RETRY_DELAY)

    def _due(self) -> tuple[list[int], bool]:
        """The queued messages that may be tried now (oldest first, at most ``batch``), and
        whether more are due than the batch holds."""
        now = self.clock()
        rows = db.session.execute(
            select(OutboxMessage.id, OutboxMessage.attempts)
            .where(OutboxMessage.status == OutboxStatus.queued)
            .order_by(OutboxMessage.id)
        ).all()
        queued = {message_id for message_id, _attempts in rows}
        for message_id in list(self.retry_at):
            if message_id not in queued:  # sent, failed or deleted meanwhile
                del self.retry_at[message_id]
        due = [
            message_id
            for message_id, attempts in rows
            if attempts == 0 or self.retry_at.get(message_id, 0.0) <= now
        ]
        return due[: self.batch], len(due) > self.batch

    def cycle(self) -> tuple[DeliveryReport, bool]:
        """One delivery run over the due messages; returns its report and whether more are due
        at once (a full batch)."""
        if not current_app.config.get("MAIL_SERVER"):
            return DeliveryReport(), False
        try:
            take_back_stale_claims()
            due, more = self._due()
            db.session.commit()
            if not due:
                return DeliveryReport(), False
            report = deliver(due, stop=lambda: self.stopping)
            for message_id in due:
                self.retry_at.pop(message_id, None)
            if report.left:
                later = self.clock()
                waiting = db.session.execute(
                    select(OutboxMessage.id, OutboxMessage.attempts).where(
                        OutboxMessage.id.in_(due), OutboxMessage.status == OutboxStatus.queued
                    )
                ).all()
                for message_id, attempts in waiting:
                    if attempts:
                        self.retry_at[message_id] = later + self.delay(attempts)
            return report, more
        finally:
            db.session.remove()  # no connection or transaction held while sleeping

    def run(
        self,
        *,
        once: bool = False,
        max_seconds: float | None = None,
        echo: Callable[[str], None] = print,
    ) -> DeliveryReport:
        """Deliver until stopped (``stop``, SIGTERM/SIGINT through ``stop_on_signals``), for at
        most ``max_seconds``, or for one cycle (``once``). Returns the totals."""
        started = self.clock()
        sent = failed = left = 0
        if not current_app.config.get("MAIL_SERVER"):
            echo("MAIL_SERVER is not set: messages stay queued in the outbox.")
        while not self.stopping:
            more = False
            try:
                report, more = self.cycle()
            except Exception:  # noqa: BLE001 - one bad cycle never ends the worker
                current_app.logger.exception("Outbox worker: the delivery cycle failed")
                report = DeliveryReport()
            sent, failed = sent + report.sent, failed + report.failed
            left = report.left
            if any(report):
                echo(
                    f"Sent {report.sent}, failed {report.failed}, left in the queue {report.left}."
                )
            if once:
                break
            if max_seconds is not None and self.clock() - started >= max_seconds:
                break
            if not more:
                pause = self.interval
                if max_seconds is not None:
                    pause = min(pause, max(max_seconds - (self.clock() - started), 0.0))
                self.stop_event.wait(pause)
        return DeliveryReport(sent, failed, left)


@contextlib.contextmanager
def stop_on_signals(worker: OutboxWorker) -> Iterator[None]:
    """SIGTERM and SIGINT stop ``worker`` gracefully while inside; the previous handlers come
    back on the way out."""

    def handler(signum, frame) -> None:
        worker.stop()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)
