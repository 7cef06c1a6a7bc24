"""Audit events. Rows are only ever inserted; no view edits or deletes them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..core.models import PkModel, now_column


class AuditEvent(PkModel):
    __tablename__ = "audit_events"
    __table_args__ = (
        # Equality and the audit log's prefix filter (``action LIKE 'cohort.%'``): on
        # PostgreSQL a plain index serves LIKE only under the C collation, hence the operator
        # class.
        Index("ix_audit_events_action", "action", postgresql_ops={"action": "varchar_pattern_ops"}),
    )

    created_at: Mapped[datetime] = now_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), nullable=True, index=True
    )
    action: Mapped[str] = mapped_column(String(80), nullable=False)
    target_type: Mapped[str | None] = mapped_column(String(50), nullable=True)
    target_id: Mapped[int | None] = mapped_column(nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)

    actor: Mapped[User | None] = relationship(lazy="joined")
