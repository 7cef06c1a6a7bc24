"""Write audit events. Called by every service that changes state."""

from __future__ import annotations

from typing import Any

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import Select, select

from ..extensions import db
from .models import AuditEvent


def _current_actor_id() -> int | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id
    return None


def record(
    action: str,
    target: Any = None,
    details: dict[str, Any] | None = None,
    actor: Any = None,
) -> AuditEvent:
    """Add an audit event to the current transaction (it commits with the change it records).

    ``target`` is any model instance with an ``id``; its table name is stored as the type.
    ``actor`` defaults to the logged-in user (None for the CLI or anonymous requests).
    """
    if target is not None and getattr(target, "id", None) is None:
        db.session.flush()
    event = AuditEvent(
        actor_id=actor.id if actor is not None else _current_actor_id(),
        action=action,
        target_type=getattr(target, "__tablename__", None) if target is not None else None,
        target_id=getattr(target, "id", None) if target is not None else None,
        details=details or {},
        ip=request.remote_addr if has_request_context() else None,
    )
    db.session.add(event)
    return event


def audit_query(action: str = "") -> Select:
    """The audit log, newest first; ``action`` keeps the actions that start with it
    (``cohort.`` for every cohort event). The actor is joined (``AuditEvent.actor``)."""
    query = select(AuditEvent).order_by(AuditEvent.id.desc())
    if action:
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    return query
