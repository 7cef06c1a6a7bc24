"""Queued e-mail messages."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import PkModel, at_column, enum_column, now_column


class OutboxStatus(enum.StrEnum):
    queued = "queued"
    #: Claimed by a delivery run, being handed to the SMTP server (a plain string column with
    #: no CHECK constraint: the value needs no migration).
    sending = "sending"
    sent = "sent"
    failed = "failed"


OUTBOX_LABELS = {
    OutboxStatus.queued: _l("queued"),
    OutboxStatus.sending: _l("sending"),
    OutboxStatus.sent: _l("sent"),
    OutboxStatus.failed: _l("failed"),
}


class OutboxMessage(PkModel):
    __tablename__ = "outbox_messages"

    created_at: Mapped[datetime] = now_column(index=True)
    recipient: Mapped[str] = mapped_column(String(254), nullable=False)
    subject: Mapped[str] = mapped_column(String(300), nullable=False)
    body_text: Mapped[str] = mapped_column(Text, nullable=False)
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[OutboxStatus] = enum_column(
        OutboxStatus, "outbox_status", OutboxStatus.queued, length=10, index=True
    )
    attempts: Mapped[int] = mapped_column(nullable=False, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: When the message was handed to the SMTP server; while it is ``sending``, when a delivery
    #: run claimed it (a claim left by a run that died is taken back after a while).
    sent_at: Mapped[datetime | None] = at_column()
