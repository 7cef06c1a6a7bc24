"""Server-side sessions: every login is a ``UserSession`` row that the cookie points to.

The session cookie and the remember-me cookie carry a random token (Flask-Login's user id is
that token, see ``User.get_id``); only its SHA-256 is stored. A request is authenticated only
while the row exists, is not revoked, has not expired and its user is active. So:

- logging out revokes the row: a copied session or remember cookie stops working;
- "log out of all devices", a password change or reset and a deactivation revoke every row;
- a remember-me login lasts ``REMEMBER_COOKIE_DURATION`` (30 days at most), a plain login
  ``SESSION_MAX_AGE`` (12 hours by default), whatever the cookie says.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, has_request_context, request
from sqlalchemy import bindparam, select, update

from ..core.timeutils import utcnow
from ..extensions import db
from .models import User, UserSession

TOKEN_BYTES = 32


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _lifetime(remember: bool) -> timedelta:
    cfg = current_app.config
    if remember:
        return cfg["REMEMBER_COOKIE_DURATION"]
    return timedelta(seconds=cfg["SESSION_MAX_AGE"])


def open_session(user: User, remember: bool = False) -> UserSession:
    """Create the server-side session of a login; the caller then calls ``login_user``."""
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = utcnow()
    row = UserSession(
        user_id=user.id,
        token_hash=_hash(token),
        remember=remember,
        created_at=now,
        expires_at=now + _lifetime(remember),
    )
    if has_request_context():
        row.ip_address = (request.remote_addr or "")[:45] or None
        row.user_agent = (request.user_agent.string or "")[:255] or None
    db.session.add(row)
    db.session.flush()
    row.token = token
    user.current_session = row
    return row


#: The valid session of a token (built once: every request runs it).
_VALID_SESSION = select(UserSession).where(
    UserSession.token_hash == bindparam("token_hash"),
    UserSession.revoked_at.is_(None),
    UserSession.expires_at > bindparam("now"),
)


def load(token: object) -> User | None:
    """The user of a valid session token, or None (Flask-Login's user loader)."""
    if not isinstance(token, str) or not 20 <= len(token) <= 128:
        return None
    row = db.session.scalar(_VALID_SESSION, {"token_hash": _hash(token), "now": utcnow()})
    if row is None or not row.user.active:
        return None
    row.user.current_session = row
    return row.user


def revoke_current(user: User) -> None:
    """End the session this request runs under (logout)."""
    row = user.current_session
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()


def revoke_all(user: User, keep: UserSession | None = None) -> int:
    """End every open session of ``user`` (but ``keep``); returns how many were open."""
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep is not None:
        query = query.where(UserSession.id != keep.id)
    result = db.session.execute(
        query.values(revoked_at=utcnow()).execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def open_sessions(user: User) -> list[UserSession]:
    """The user's sessions still valid, newest first (shown on the account page)."""
    return list(
        db.session.scalars(
            select(UserSession)
            .where(
                UserSession.user_id == user.id,
                UserSession.revoked_at.is_(None),
                UserSession.expires_at > utcnow(),
            )
            .order_by(UserSession.created_at.desc(), UserSession.id.desc())
        )
    )


def session_identifier() -> str:
    """Flask-Login's "strong" protection binds a session to this fingerprint. Unlike
    Flask-Login's default it never reads ``X-Forwarded-For`` (a client sets it): the address
    is ``request.remote_addr``, which ``ProxyFix`` fills from trusted proxies only."""
    agent = request.headers.get("User-Agent", "")
    base = f"{request.remote_addr or ''}|{agent}"
    return hashlib.sha512(base.encode("utf8")).hexdigest()
