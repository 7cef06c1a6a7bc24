"""Queue e-mail in the outbox and deliver it over SMTP.

A message is queued in the same database transaction as the change that causes it: a
rolled-back change sends nothing. A request never talks to the SMTP server, not even after its
response: the outbox worker (``flask --app app outbox worker``, see ``mail/worker.py``) delivers
within seconds, so how long a page takes never tells whether it sent an e-mail, and a slow or
unreachable SMTP server never holds a web worker. ``flask --app app outbox deliver`` delivers
whatever is queued once (for a scheduler, or by hand). Without ``MAIL_SERVER`` messages stay in
the outbox and are logged.

A delivery run takes one message at a time: it claims it (``queued`` to ``sending``, committed),
hands it to the SMTP server, then marks it ``sent`` and commits. A crash later in the run never
sends it again, and two runs at once (after a request, and the scheduler) never send it twice.
A message that cannot be built, or that the server refuses for good (5xx), is ``failed`` at
once with the error; a temporary failure (4xx, server unreachable) counts an attempt and leaves
it queued until ``MAIL_MAX_ATTEMPTS``. No message stops the run. Headers never carry a line
break, whatever the database holds.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
from collections.abc import Callable
from datetime import timedelta
from email.message import EmailMessage
from email.utils import make_msgid, parseaddr
from typing import NamedTuple

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select, update

from ..core.timeutils import utcnow
from ..extensions import db
from .models import OutboxMessage, OutboxStatus


def queue_email(recipient: str, template: str, locale: str = "fr", **context) -> OutboxMessage:
    """Render ``templates/emails/<template>.txt`` (and ``.html`` if present) in ``locale``
    and add the message to the outbox in the current transaction.

    The text template must ``{% set subject = _("...") %}`` at top level.
    """
    env = current_app.jinja_env
    with force_locale(locale):
        txt_template = env.get_template(f"emails/{template}.txt")
        module = txt_template.make_module(
            current_app.jinja_env.globals | {"config": current_app.config} | context
        )
        subject = str(getattr(module, "subject", "MNC Exchange")).strip()
        body_text = render_template(f"emails/{template}.txt", **context)
        try:
            body_html = render_template(f"emails/{template}.html", **context)
        except Exception as exc:  # noqa: BLE001 - a missing HTML part is allowed
            if exc.__class__.__name__ != "TemplateNotFound":
                raise
            body_html = None
    message = OutboxMessage(
        recipient=recipient, subject=subject, body_text=body_text, body_html=body_html
    )
    db.session.add(message)
    db.session.flush()
    current_app.logger.info("E-mail queued #%s to %s: %s", message.id, recipient, subject)
    return message


class DeliveryReport(NamedTuple):
    """What a delivery run did: messages sent, failed for good, left queued for a retry."""

    sent: int = 0
    failed: int = 0
    left: int = 0


#: Control characters and the Unicode line/paragraph separators: never in a header.
_HEADER_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def _one_line(value: str) -> str:
    """``value`` on one line: line breaks and other controls become a space."""
    return _HEADER_BREAKS.sub(" ", value or "").strip()


def _recipient(value: str) -> str:
    """The stored recipient if it is one plain address; ``ValueError`` otherwise (a line
    break, a space, a display name or a second address is never "cleaned" into another one)."""
    address = (value or "").strip()
    if (
        not address
        or _HEADER_BREAKS.search(address)
        or any(char.isspace() for char in address)
        or parseaddr(address)[1] != address
        or "@" not in address
    ):
        raise ValueError(f"Invalid recipient address: {value!r}")
    return address


def _build(message: OutboxMessage) -> EmailMessage:
    cfg = current_app.config
    email = EmailMessage()
    email["Subject"] = _one_line(message.subject) or "MNC Exchange"
    email["From"] = _one_line(cfg["MAIL_DEFAULT_SENDER"])
    email["To"] = _recipient(message.recipient)
    email["Message-ID"] = make_msgid(domain="mnc-exchange.ma")
    email.set_content(message.body_text)
    if message.body_html:
        email.add_alternative(message.body_html, subtype="html")
    return email


def _connect() -> smtplib.SMTP:
    cfg = current_app.config
    cls = smtplib.SMTP_SSL if cfg["MAIL_USE_SSL"] else smtplib.SMTP
    smtp = cls(cfg["MAIL_SERVER"], cfg["MAIL_PORT"], timeout=cfg["MAIL_TIMEOUT"])
    if cfg["MAIL_USE_TLS"] and not cfg["MAIL_USE_SSL"]:
        smtp.starttls()
    if cfg["MAIL_USERNAME"]:
        smtp.login(cfg["MAIL_USERNAME"], cfg["MAIL_PASSWORD"])
    return smtp


def _is_permanent(exc: Exception) -> bool:
    """A refusal of this message that no retry will change (a 5xx answer)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [answer[0] for answer in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    if isinstance(exc, smtplib.SMTPResponseException):  # sender refused, data refused, ...
        return exc.smtp_code >= 500
    return isinstance(exc, smtplib.SMTPNotSupportedError)  # e.g. an address needing SMTPUTF8


def _connection_lost(exc: Exception) -> bool:
    """The server did not answer about this message: the connection is no longer usable."""
    return not isinstance(
        exc,
        smtplib.SMTPRecipientsRefused
        | smtplib.SMTPResponseException
        | smtplib.SMTPNotSupportedError,
    )


def deliver(ids: list[int] | None = None, stop: Callable[[], bool] | None = None) -> DeliveryReport:
    """Send queued messages (all of them, or those in ``ids``) over SMTP, one at a time.

    Each message is claimed, handed over and marked in transactions of its own: this commits
    the session, so call it with no change of your own pending. A run over the whole queue
    (``ids`` None, the scheduler) first takes back the claims of runs that died. ``stop`` is
    asked before each message: once it answers true, the run ends there (the rest stays
    queued), so a worker told to stop never leaves a message half handed over.
    """
    if ids is None:
        take_back_stale_claims()
    query = select(OutboxMessage.id).where(OutboxMessage.status == OutboxStatus.queued)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    candidates = list(db.session.scalars(query.order_by(OutboxMessage.id)))
    db.session.commit()
    sent = failed = left = 0
    smtp: smtplib.SMTP | None = None
    unreachable: Exception | None = None
    try:
        for message_id in candidates:
            if stop is not None and stop():
                break
            message = _claim(message_id)
            if message is None:
                continue  # taken by another run meanwhile
            try:
                email = _build(message)
            except Exception as exc:  # noqa: BLE001 - a message that cannot be built
                _fail(message, exc)
                failed += 1
                continue
            if smtp is None and unreachable is None:
                try:
                    smtp = _connect()
                except Exception as exc:  # noqa: BLE001 - unreachable, refused login, bad setting
                    unreachable = exc
            if unreachable is not None:
                retry = _retry_later(message, unreachable)
                left += retry
                failed += not retry
                continue
            try:
                smtp.send_message(email)
            except (OSError, smtplib.SMTPException) as exc:
                if _is_permanent(exc):
                    _fail(message, exc)
                    failed += 1
                    continue
                retry = _retry_later(message, exc)
                left += retry
                failed += not retry
                if _connection_lost(exc):
                    unreachable = exc
            except Exception as exc:  # noqa: BLE001 - the message itself cannot be sent
                _fail(message, exc)
                failed += 1
            else:
                _mark_sent(message)
                sent += 1
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return DeliveryReport(sent, failed, left)


def _claim(message_id: int) -> OutboxMessage | None:
    """Take a queued message for this run (``sending``, one more attempt, committed); None if
    another run took it first. The conditional UPDATE is atomic on SQLite and PostgreSQL."""
    result = db.session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message_id, OutboxMessage.status == OutboxStatus.queued)
        .values(
            status=OutboxStatus.sending,
            attempts=OutboxMessage.attempts + 1,
            sent_at=utcnow(),
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    if result.rowcount != 1:
        return None
    return db.session.get(OutboxMessage, message_id, populate_existing=True)


def _error_text(exc: Exception) -> str:
    return f"{exc.__class__.__name__}: {exc}"[:2000]


def _mark_sent(message: OutboxMessage) -> None:
    message.status = OutboxStatus.sent
    message.sent_at = utcnow()
    message.last_error = None
    db.session.commit()


def _fail(message: OutboxMessage, exc: Exception) -> None:
    """Failed for good: never tried again."""
    message.status = OutboxStatus.failed
    message.sent_at = None
    message.last_error = _error_text(exc)
    db.session.commit()
    current_app.logger.warning("E-mail #%s failed: %s", message.id, message.last_error)


def _retry_later(message: OutboxMessage, exc: Exception) -> bool:
    """A temporary failure: back in the queue, unless its attempts are used up (failed).
    Returns whether it stays queued."""
    message.last_error = _error_text(exc)
    message.sent_at = None
    retry = message.attempts < current_app.config["MAIL_MAX_ATTEMPTS"]
    message.status = OutboxStatus.queued if retry else OutboxStatus.failed
    db.session.commit()
    current_app.logger.warning("E-mail #%s not delivered: %s", message.id, message.last_error)
    return retry


def _claim_timeout() -> timedelta:
    """How long a claim may last before it is taken for the claim of a run that died: far
    longer than a handover (a few SMTP exchanges, each within ``MAIL_TIMEOUT``)."""
    return max(timedelta(minutes=15), 20 * timedelta(seconds=current_app.config["MAIL_TIMEOUT"]))


def take_back_stale_claims() -> None:
    """Messages a dead run left ``sending`` go back to the queue (the attempt stays counted):
    the run stopped before it recorded the handover, so the message may, rarely, go twice."""
    cutoff = utcnow() - _claim_timeout()
    stale = db.session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.status == OutboxStatus.sending, OutboxMessage.sent_at < cutoff
        )
    ).all()
    for message in stale:
        _retry_later(message, RuntimeError("delivery interrupted (the sending run stopped)"))
