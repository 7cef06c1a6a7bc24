"""User accounts and roles."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, Enum, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.models import TimestampMixin, UTCDateTime
from ..core.timeutils import utcnow
from ..extensions import db


class Role(enum.StrEnum):
    student = "student"
    coordinator = "coordinator"
    host = "host"
    official = "official"
    admin = "admin"


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


class User(UserMixin, TimestampMixin, db.Model):
    """A person who logs in. The e-mail is unique case-insensitively (stored lower-case)."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint("email = lower(email)", name="email_lowercase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[Role] = mapped_column(
        Enum(Role, name="user_role", native_enum=False, length=20), nullable=False
    )
    locale: Mapped[str] = mapped_column(String(5), nullable=False, default="fr")
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Host contacts wait for a coordinator's approval; everyone else is approved at creation.
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Host contacts belong to one company (mnc_exchange.hosts).
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", use_alter=True, name="fk_users_company_id"), index=True
    )

    # The identifier that sessions and remember-me cookies carry (Flask-Login's alternative id):
    # it changes at a password change, at "log out of all devices" and at deactivation, so that
    # every older session and remember cookie stops working at once.
    session_token: Mapped[str] = mapped_column(
        String(64), nullable=False, unique=True, default=lambda: new_session_token()
    )
    # Per-account login throttling (growing delays, never a permanent lockout).
    failed_login_count: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    login_alert_sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Self-registered accounts confirm their address from an e-mailed link before logging in;
    # accounts created by staff, invitations and demo data are confirmed at creation.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, default=utcnow
    )

    def get_id(self) -> str:  # Flask-Login: the session carries the session token, not the id
        return self.session_token

    def rotate_session_token(self) -> None:
        """End every session and remember cookie of this user."""
        self.session_token = new_session_token()

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(
            password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        )

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # used by Flask-Login to refuse deactivated accounts
        return self.active

    @property
    def is_pending(self) -> bool:
        return self.approved_at is None

    def __repr__(self) -> str:  # pragma: no cover - debugging aid
        return f"<User {self.id} {self.email} {self.role}>"
