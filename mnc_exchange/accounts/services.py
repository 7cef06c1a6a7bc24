"""Account operations: registration, login, passwords, approval and deactivation.

Logins, failed logins and every change to an account are audited.
"""

from __future__ import annotations

import hashlib

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash

from ..audit.services import record
from ..core.errors import DomainError
from ..core.timeutils import utcnow
from ..extensions import db
from ..mail.services import queue_email
from . import sessions
from .models import Role, User

_RESET_SALT = "mnc-exchange.password-reset"
# A dummy hash so that a login for an unknown e-mail costs the same time as a real one.
_DUMMY_HASH = (
    "scrypt:32768:8:1$v3vlq8kbadBwXtht$1a4d1b3b96b45ba5a5857031acf6246f803cc35cd52924825af68014ae"
    "d68d5159fc56266bebf68e66e44f627a5f8c0b682ffd3ac91664ca350976dc2fc4f8ae"
)


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == normalise_email(email)))


def email_taken(email: str) -> bool:
    return find_by_email(email) is not None


def create_user(
    email: str,
    password: str,
    full_name: str,
    role: Role,
    locale: str = "fr",
    approved: bool = True,
    actor: User | None = None,
) -> User:
    """Create an account. Host contacts who register themselves start pending (approved=False)."""
    if email_taken(email):
        raise DomainError(_("An account already exists with this e-mail address."))
    user = User(
        email=normalise_email(email),
        full_name=full_name.strip(),
        role=role,
        locale=locale if locale in current_app.config["LANGUAGES"] else "fr",
        active=True,
        approved_at=utcnow() if approved else None,
    )
    user.set_password(password)
    db.session.add(user)
    db.session.flush()
    record(
        "user.create",
        user,
        {"email": user.email, "role": role.value, "approved": approved},
        actor=actor,
    )
    return user


def register(
    email: str, password: str, full_name: str, role: Role, locale: str, company=None
) -> User:
    """Self-registration: students are active at once; host contacts wait for approval
    (``company``: the company a host contact registers with them)."""
    if role not in (Role.student, Role.host):
        raise DomainError(_("Only students and host companies can register themselves."))
    user = create_user(
        email, password, full_name, role, locale=locale, approved=role is not Role.host
    )
    if company is not None:
        user.company_id = company.id
    if role is Role.host:
        coordinators = db.session.scalars(
            select(User).where(User.role == Role.coordinator, User.active.is_(True))
        )
        for coordinator in coordinators:
            queue_email(
                coordinator.email,
                "host_pending",
                coordinator.locale,
                coordinator=coordinator,
                host=user,
                company=company,
            )
    queue_email(user.email, "welcome", user.locale, user=user)
    return user


def authenticate(email: str, password: str) -> User | None:
    """Return the user if the e-mail and password match an active account, else None.

    Both outcomes are audited; the caller shows one message whatever went wrong, so the
    response never tells whether the e-mail exists.
    """
    user = find_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)  # same time as a real check
        record("auth.login_failed", details={"email": normalise_email(email)[:254]})
        return None
    if not user.check_password(password) or not user.active:
        reason = "inactive" if user.active is False else "password"
        record("auth.login_failed", user, {"reason": reason}, actor=user)
        return None
    user.last_login_at = utcnow()
    record("auth.login", user, actor=user)
    return user


def change_password(user: User, current: str, new: str) -> None:
    if not user.check_password(current):
        raise DomainError(_("Your current password is not correct."))
    user.set_password(new)
    ended = sessions.revoke_all(user)
    record("user.password_change", user, {"sessions_ended": ended}, actor=user)


def log_out_everywhere(user: User) -> int:
    """End every session of ``user`` on every device (the current one included)."""
    ended = sessions.revoke_all(user)
    record("auth.logout_all", user, {"sessions_ended": ended}, actor=user)
    return ended


# --- password reset -----------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_RESET_SALT)


def _fingerprint(user: User) -> str:
    # Changes when the password changes, so a used token cannot be used again.
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def make_reset_token(user: User) -> str:
    return _serializer().dumps({"uid": user.id, "fp": _fingerprint(user)})


def request_password_reset(email: str, reset_url_for) -> None:
    """Queue a reset e-mail if an active account has this address; say nothing either way.

    ``reset_url_for(token)`` builds the absolute link.
    """
    user = find_by_email(email)
    if user is None or not user.active:
        record("auth.reset_requested_unknown", details={"email": normalise_email(email)[:254]})
        return
    token = make_reset_token(user)
    minutes = current_app.config["PASSWORD_RESET_MAX_AGE"] // 60
    queue_email(
        user.email,
        "password_reset",
        user.locale,
        user=user,
        reset_url=reset_url_for(token),
        minutes=minutes,
    )
    record("auth.reset_requested", user, actor=user)


def user_for_reset_token(token: str) -> User:
    """Return the user a reset token belongs to, or raise ``DomainError`` saying why not."""
    try:
        data = _serializer().loads(token, max_age=current_app.config["PASSWORD_RESET_MAX_AGE"])
    except SignatureExpired:
        raise DomainError(_("This reset link has expired. Ask for a new one.")) from None
    except BadSignature:
        raise DomainError(_("This reset link is not valid. Ask for a new one.")) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("fp") != _fingerprint(user):
        raise DomainError(_("This reset link has already been used or is no longer valid."))
    return user


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    user.set_password(new_password)
    ended = sessions.revoke_all(user)
    record("auth.password_reset", user, {"sessions_ended": ended}, actor=user)
    return user


# --- administration -----------------------------------------------------------------------


def set_active(user: User, active: bool, actor: User) -> None:
    if user.id == actor.id and not active:
        raise DomainError(_("You cannot deactivate your own account."))
    if user.active == active:
        return
    user.active = active
    details = None if active else {"sessions_ended": sessions.revoke_all(user)}
    record("user.activate" if active else "user.deactivate", user, details, actor=actor)


def approve_host(user: User, actor: User) -> None:
    if user.role is not Role.host:
        raise DomainError(_("Only host company contacts need approval."))
    if not user.is_pending:
        raise DomainError(_("This account is already approved."))
    user.approved_at = utcnow()
    record("user.approve", user, actor=actor)
    queue_email(user.email, "host_approved", user.locale, user=user)


def set_locale(user: User, locale: str) -> None:
    if locale in current_app.config["LANGUAGES"] and user.locale != locale:
        user.locale = locale
        record("user.locale", user, {"locale": locale}, actor=user)
