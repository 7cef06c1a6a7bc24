"""Queue e-mail in the outbox and deliver it over SMTP.

A message is queued in the same database transaction as the change that causes it: a
rolled-back change sends nothing. When ``MAIL_SERVER`` is set, messages queued by a request
are delivered right after that request's commit; ``flask --app app outbox deliver`` delivers
whatever is still queued (for a scheduler). Without ``MAIL_SERVER`` they stay in the outbox and
are logged.
"""

from __future__ import annotations

import contextlib
import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from flask import current_app, g, has_request_context, render_template
from flask_babel import force_locale
from sqlalchemy import event, select

from ..core.timeutils import utcnow
from ..extensions import db
from .models import OutboxMessage, OutboxStatus

_PENDING_KEY = "mnc_outbox_pending"


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
    db.session.info.setdefault(_PENDING_KEY, []).append(message.id)
    current_app.logger.info("E-mail queued #%s to %s: %s", message.id, recipient, subject)
    return message


@event.listens_for(db.session, "after_commit")
def _after_commit(session) -> None:
    ids = session.info.pop(_PENDING_KEY, [])
    if ids and has_request_context():
        g.setdefault("outbox_committed", []).extend(ids)


@event.listens_for(db.session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    session.info.pop(_PENDING_KEY, None)


def deliver_after_request(response):
    """``after_request`` hook: deliver what this request queued and committed."""
    ids = g.pop("outbox_committed", None)
    if ids and current_app.config.get("MAIL_SERVER"):
        try:
            deliver(ids)
            db.session.commit()
        except Exception:  # noqa: BLE001 - delivery must never break the response
            db.session.rollback()
            current_app.logger.exception("Outbox delivery after request failed")
    return response


def _build(message: OutboxMessage) -> EmailMessage:
    cfg = current_app.config
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = cfg["MAIL_DEFAULT_SENDER"]
    email["To"] = message.recipient
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


def deliver(ids: list[int] | None = None) -> tuple[int, int]:
    """Send queued messages (all of them, or those in ``ids``) over SMTP.

    Each attempt is counted; the last error is kept; after ``MAIL_MAX_ATTEMPTS`` a message is
    marked failed. Returns ``(sent, not_sent)``. The caller commits.
    """
    query = select(OutboxMessage).where(OutboxMessage.status == OutboxStatus.queued)
    if ids is not None:
        query = query.where(OutboxMessage.id.in_(ids))
    messages = list(db.session.scalars(query.order_by(OutboxMessage.id)))
    if not messages:
        return 0, 0
    max_attempts = current_app.config["MAIL_MAX_ATTEMPTS"]
    sent = failed = 0
    smtp = None
    try:
        smtp = _connect()
    except (OSError, smtplib.SMTPException) as exc:
        for message in messages:
            _mark_failure(message, exc, max_attempts)
        return 0, len(messages)
    try:
        for message in messages:
            try:
                smtp.send_message(_build(message))
            except (OSError, smtplib.SMTPException) as exc:
                _mark_failure(message, exc, max_attempts)
                failed += 1
            else:
                message.attempts += 1
                message.status = OutboxStatus.sent
                message.sent_at = utcnow()
                message.last_error = None
                sent += 1
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()
    return sent, failed


def _mark_failure(message: OutboxMessage, exc: Exception, max_attempts: int) -> None:
    message.attempts += 1
    message.last_error = f"{exc.__class__.__name__}: {exc}"[:2000]
    if message.attempts >= max_attempts:
        message.status = OutboxStatus.failed
    current_app.logger.warning("E-mail #%s not delivered: %s", message.id, message.last_error)
