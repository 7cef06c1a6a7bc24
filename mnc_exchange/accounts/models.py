"""User accounts and roles."""

from __future__ import annotations

import enum
from datetime import datetime

from flask import current_app
from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..core.models import (
    PkModel,
    TimestampMixin,
    UTCDateTime,
    at_column,
    enum_column,
    now_column,
    parent_column,
)
from ..core.timeutils import utcnow


class Role(enum.StrEnum):
    student = "student"
    coordinator = "coordinator"
    host = "host"
    official = "official"
    admin = "admin"


class User(UserMixin, TimestampMixin, PkModel):
    """A person who logs in. The e-mail is unique case-insensitively (stored lower-case)."""

    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lowercase"),
        # The admins' list of accounts: by role and e-mail, of one role or all.
        Index("ix_users_role_email", "role", "email"),
    )

    email: Mapped[str] = mapped_column(String(254), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(256), nullable=False)
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[Role] = enum_column(Role, "user_role")
    locale: Mapped[str] = mapped_column(String(5), nullable=False, default="fr")
    active: Mapped[bool] = mapped_column(nullable=False, default=True)
    # Host contacts wait for a coordinator's approval; everyone else is approved at creation.
    approved_at: Mapped[datetime | None] = at_column()
    last_login_at: Mapped[datetime | None] = at_column()
    # Host contacts belong to one company (mnc_exchange.hosts).
    company_id: Mapped[int | None] = mapped_column(
        ForeignKey("companies.id", use_alter=True, name="fk_users_company_id"), index=True
    )

    # Per-account login throttling (growing delays, never a permanent lockout).
    failed_login_count: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    last_failed_login_at: Mapped[datetime | None] = at_column()
    login_alert_sent_at: Mapped[datetime | None] = at_column()
    # Self-registered accounts confirm their address from an e-mailed link before logging in;
    # accounts created by staff, invitations and demo data are confirmed at creation.
    email_confirmed_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime(), nullable=True, default=utcnow
    )

    #: The server-side session (``UserSession``) this request runs under: set by the user
    #: loader or at login. A plain attribute, not a column.
    current_session = None

    def get_id(self) -> str:
        """Flask-Login: what the session and the remember cookie carry: the token of a
        server-side session (see ``accounts.sessions``), never the user's id."""
        if self.current_session is None or not self.current_session.token:
            raise RuntimeError("open a server-side session (accounts.sessions.open_session) first")
        return self.current_session.token

    def __eq__(self, other: object) -> bool:  # UserMixin compares get_id(): the session token
        if isinstance(other, User):
            return self is other or (self.id is not None and self.id == other.id)
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return object.__hash__(self)

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


class UserSession(PkModel):
    """One login on one device. The cookie (session and remember-me) carries a random token;
    only its SHA-256 is stored. Logging out revokes the row; "log out of all devices", a
    password change or reset and a deactivation revoke every row of the user."""

    __tablename__ = "user_sessions"

    user_id: Mapped[int] = parent_column("users.id")
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    remember: Mapped[bool] = mapped_column(nullable=False, default=False)
    created_at: Mapped[datetime] = now_column()
    expires_at: Mapped[datetime] = at_column(nullable=False)
    revoked_at: Mapped[datetime | None] = at_column()
    ip_address: Mapped[str | None] = mapped_column(String(45))
    user_agent: Mapped[str | None] = mapped_column(String(255))

    user: Mapped[User] = relationship(lazy="joined", innerjoin=True)

    #: The raw token, known only in the request that opened the session (not a column).
    token = None
