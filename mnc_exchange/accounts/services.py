"""Account operations: registration, login, passwords, approval and deactivation.

Logins, failed logins and every change to an account are audited.

Self-registration never tells whether an address already has an account: a new address gets
an unconfirmed account and a "confirm your address" e-mail; a known one gets nothing created
and an e-mail to its owner. Both cost the same password hashing, and the page says the same.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, func, null, or_, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..audit.models import AuditEvent
from ..audit.services import record
from ..core.errors import DomainError
from ..core.timeutils import as_utc, utcnow
from ..extensions import db
from ..hosts.models import Company
from ..mail.services import queue_email
from ..templating import external_url
from . import sessions
from .models import Role, User

_RESET_SALT = "mnc-exchange.password-reset"
_CONFIRM_SALT = "mnc-exchange.email-confirm"
#: At most one confirmation e-mail, and one "someone tried to register with your address"
#: e-mail, per account in this time (a confirmation link is valid 48 hours).
CONFIRM_RESEND_INTERVAL = timedelta(minutes=10)
# Dummy hashes (one per hashing method) so that a login attempt with no hash to check (unknown
# address, throttled account) costs the same time as a real one.
_dummy_hashes: dict[str, str] = {}


def _dummy_check(password: str) -> None:
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash(secrets.token_hex(16), method=method)
    check_password_hash(_dummy_hashes[method], password)


def active_coordinators() -> list[User]:
    """The programme staff told of what needs a coordinator (new companies, identity changes)."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.coordinator, User.active.is_(True))
            .order_by(User.id)
        )
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
    confirmed: bool = True,
) -> User:
    """Create an account. Host contacts who register themselves start pending (approved=False);
    self-registered accounts start with their address unconfirmed (confirmed=False)."""
    if email_taken(email):
        raise DomainError(_("An account already exists with this e-mail address."))
    user = User(
        email=normalise_email(email),
        full_name=full_name.strip(),
        role=role,
        locale=locale if locale in current_app.config["LANGUAGES"] else "fr",
        active=True,
        approved_at=utcnow() if approved else None,
        # null(): a plain None would let the column's default (now) fill it in.
        email_confirmed_at=utcnow() if confirmed else null(),
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
    email: str,
    password: str,
    full_name: str,
    role: Role,
    locale: str,
    company=None,
) -> User | None:
    """Self-registration, which answers the same whether the address is known or not.

    A new address: an account with its address unconfirmed (host contacts also wait for
    approval; ``company``: the company a host contact registers with them) and a "confirm your
    address" e-mail with a signed link, valid ``EMAIL_CONFIRM_MAX_AGE``; returns the account.
    A known address: nothing is created, its owner is told by e-mail; returns None. The
    password is hashed either way, so both take the same time.
    """
    if role not in (Role.student, Role.host):
        raise DomainError(_("Only students and host companies can register themselves."))
    existing = find_by_email(email)
    if existing is not None:
        generate_password_hash(
            password, method=current_app.config.get("PASSWORD_HASH_METHOD", "scrypt")
        )
        # At most one such e-mail per interval: the form must not serve to flood a mailbox.
        emailed = not _sent_recently(existing, "auth.register_attempt_sent")
        if emailed:
            queue_email(
                existing.email,
                "register_attempt",
                existing.locale,
                user=existing,
                login_url=external_url("accounts.login"),
                reset_url=external_url("accounts.forgot_password"),
            )
            record("auth.register_attempt_sent", existing)
        record("auth.register_known_email", existing, {"role": role.value, "emailed": emailed})
        return None
    user = create_user(
        email,
        password,
        full_name,
        role,
        locale=locale,
        approved=role is not Role.host,
        confirmed=False,
    )
    if company is not None:
        user.company_id = company.id
    send_confirmation(user)
    return user


# --- login and per-account throttling ---------------------------------------------------
#
# The per-address rate limit (LOGIN_RATE_LIMIT) does not stop a guesser who spreads attempts
# over many addresses, so each account also slows down: after THROTTLE_AFTER consecutive wrong
# passwords, the next attempt must wait THROTTLE_BASE_DELAY x 2^(failures - THROTTLE_AFTER)
# (at most THROTTLE_MAX_DELAY) after the last failure. An attempt during the delay is refused
# without checking the password and does not count; a successful login resets the count.
# Never a permanent lockout. The owner is told by e-mail from ALERT_AFTER failures, at most
# once per ALERT_INTERVAL.

THROTTLE_AFTER = 5
THROTTLE_BASE_DELAY = timedelta(seconds=15)
THROTTLE_MAX_DELAY = timedelta(minutes=15)
ALERT_AFTER = 10
ALERT_INTERVAL = timedelta(days=1)


def login_delay(failures: int) -> timedelta:
    """How long after the last failure an account with ``failures`` consecutive failures waits."""
    if failures < THROTTLE_AFTER:
        return timedelta(0)
    exponent = min(failures - THROTTLE_AFTER, 16)  # 15 s x 2^16 is far past the cap
    return min(THROTTLE_BASE_DELAY * 2**exponent, THROTTLE_MAX_DELAY)


def login_blocked_until(user: User) -> datetime | None:
    """When the account accepts a login attempt again, or None if it does now."""
    delay = login_delay(user.failed_login_count or 0)
    if not delay or user.last_failed_login_at is None:
        return None
    return as_utc(user.last_failed_login_at) + delay


def authenticate(email: str, password: str, now: datetime | None = None) -> User | None:
    """Return the user if the e-mail and password match an active account, else None.

    Every outcome is audited; the caller shows one message whatever went wrong (unknown address,
    wrong password, inactive or throttled account), so the response never tells whether the
    e-mail exists. Unknown addresses have no counter (no row is created for them): the
    per-address rate limit covers them. The password is hashed in every case, so the time
    taken does not tell either.
    """
    now = now or utcnow()
    user = find_by_email(email)
    if user is None:
        _dummy_check(password)  # same time as a real check
        record("auth.login_failed", details={"email": normalise_email(email)[:254]})
        return None
    blocked_until = login_blocked_until(user)
    if blocked_until is not None and now < blocked_until:
        _dummy_check(password)  # the same time, but the password is not checked
        record(
            "auth.login_failed",
            user,
            {"reason": "throttled", "failures": user.failed_login_count},
            actor=user,
        )
        return None
    if not user.check_password(password):
        failures = _count_failure(user, now)
        record("auth.login_failed", user, {"reason": "password", "failures": failures}, actor=user)
        if failures >= ALERT_AFTER and user.active:
            _alert_owner(user, failures, now)
        return None
    if not user.active:
        record("auth.login_failed", user, {"reason": "inactive"}, actor=user)
        return None
    user.failed_login_count = 0
    user.last_failed_login_at = None
    user.last_login_at = now
    record("auth.login", user, actor=user)
    return user


def _count_failure(user: User, now: datetime) -> int:
    # Incremented in SQL: two workers counting failures of the same account lose none.
    user.failed_login_count = User.failed_login_count + 1
    user.last_failed_login_at = now
    db.session.flush()
    db.session.refresh(user, ["failed_login_count"])
    return user.failed_login_count


def _alert_owner(user: User, failures: int, now: datetime) -> None:
    last = user.login_alert_sent_at
    if last is not None and now - as_utc(last) < ALERT_INTERVAL:
        return
    from ..templating import external_url

    user.login_alert_sent_at = now
    queue_email(
        user.email,
        "login_failures",
        user.locale,
        user=user,
        failures=failures,
        reset_url=external_url("accounts.forgot_password"),
    )
    record("auth.login_alert", user, {"failures": failures}, actor=user)


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


def _serializer(salt: str = _RESET_SALT) -> URLSafeTimedSerializer:
    """Signs the e-mailed links: password reset (default) and address confirmation."""
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=salt)


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


def _user_for_link(
    token: str,
    salt: str,
    max_age: int,
    fingerprint: Callable[[User], str],
    *,
    expired: str,
    invalid: str,
    unusable: str,
) -> User:
    """The active user an e-mailed link (signed with ``salt``, at most ``max_age`` seconds old)
    names, or ``DomainError``: ``expired``/``invalid`` for the signature, ``unusable`` when
    the user is gone, inactive, or their ``fingerprint`` changed since the link was sent."""
    try:
        data = _serializer(salt).loads(token, max_age=max_age)
    except SignatureExpired:
        raise DomainError(expired) from None
    except BadSignature:
        raise DomainError(invalid) from None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or not user.active or data.get("fp") != fingerprint(user):
        raise DomainError(unusable)
    return user


def user_for_reset_token(token: str) -> User:
    """Return the user a reset token belongs to, or raise ``DomainError`` saying why not."""
    return _user_for_link(
        token,
        _RESET_SALT,
        current_app.config["PASSWORD_RESET_MAX_AGE"],
        _fingerprint,
        expired=_("This reset link has expired. Ask for a new one."),
        invalid=_("This reset link is not valid. Ask for a new one."),
        unusable=_("This reset link has already been used or is no longer valid."),
    )


def reset_password(token: str, new_password: str) -> User:
    user = user_for_reset_token(token)
    user.set_password(new_password)
    ended = sessions.revoke_all(user)
    record("auth.password_reset", user, {"sessions_ended": ended}, actor=user)
    # The link came to this mailbox: the address is proven. (The owner of an address someone
    # else registered takes the account back this way, with their own password.)
    if user.email_confirmed_at is None:
        _mark_confirmed(user)
    return user


# --- e-mail confirmation ------------------------------------------------------------------


def _email_fingerprint(user: User) -> str:
    # Binds the link to the address without writing the address in the URL (server logs).
    return hashlib.sha256(user.email.encode()).hexdigest()[:16]


def make_confirm_token(user: User) -> str:
    return _serializer(_CONFIRM_SALT).dumps({"uid": user.id, "fp": _email_fingerprint(user)})


def send_confirmation(user: User) -> None:
    """Queue the "confirm your address" e-mail with its signed link."""
    hours = current_app.config["EMAIL_CONFIRM_MAX_AGE"] // 3600
    queue_email(
        user.email,
        "confirm_email",
        user.locale,
        user=user,
        confirm_url=external_url("accounts.confirm_email", token=make_confirm_token(user)),
        hours=hours,
    )
    record("auth.confirm_sent", user, actor=user)


def resend_confirmation(user: User) -> bool:
    """Send a new confirmation link to an active unconfirmed account, unless one went out less
    than ``CONFIRM_RESEND_INTERVAL`` ago. Returns whether an e-mail was queued."""
    if user.email_confirmed_at is not None or not user.active:
        return False
    if _sent_recently(user, "auth.confirm_sent"):
        return False
    send_confirmation(user)
    return True


def _sent_recently(user: User, action: str) -> bool:
    """Whether the audit shows ``action`` on ``user`` less than ``CONFIRM_RESEND_INTERVAL`` ago
    (the audit keeps when each of these e-mails went out)."""
    last = db.session.scalar(
        select(AuditEvent.created_at)
        .where(
            AuditEvent.action == action,
            AuditEvent.target_type == User.__tablename__,
            AuditEvent.target_id == user.id,
        )
        .order_by(AuditEvent.created_at.desc())
        .limit(1)
    )
    return last is not None and as_utc(last) > utcnow() - CONFIRM_RESEND_INTERVAL


def refuse_unconfirmed_login(user: User) -> bool:
    """The right password for an account whose address is not confirmed: no login (the caller
    logs nobody in); a new link is sent unless one went out recently. Returns whether it was."""
    sent = resend_confirmation(user)
    record("auth.login_unconfirmed", user, {"link_sent": sent}, actor=user)
    return sent


def confirm_token_email(token: str) -> str | None:
    """The address of the account a confirmation token was made for, even an expired or used
    one (its signature is still checked), or None."""
    try:
        data = _serializer(_CONFIRM_SALT).loads(token)
    except BadSignature:
        return None
    user = db.session.get(User, data.get("uid")) if isinstance(data, dict) else None
    if user is None or data.get("fp") != _email_fingerprint(user):
        return None
    return user.email


def user_for_confirm_token(token: str) -> User:
    """The unconfirmed account a confirmation token belongs to, or ``DomainError`` saying why
    the link cannot be used."""
    invalid = _("This confirmation link is not valid. Ask for a new one.")
    user = _user_for_link(
        token,
        _CONFIRM_SALT,
        current_app.config["EMAIL_CONFIRM_MAX_AGE"],
        _email_fingerprint,
        expired=_("This confirmation link has expired. Ask for a new one."),
        invalid=invalid,
        unusable=invalid,
    )
    if user.email_confirmed_at is not None:
        raise DomainError(
            _("This confirmation link has already been used: your address is confirmed.")
        )
    return user


def _mark_confirmed(user: User) -> None:
    user.email_confirmed_at = utcnow()
    record("auth.email_confirmed", user, actor=user)
    if user.role is Role.host and user.is_pending:
        # Only now are the coordinators told: unconfirmed sign-ups never reach them.
        _tell_coordinators(user)


def confirm_email(token: str) -> User:
    """Confirm the address of the account the token belongs to (once)."""
    user = user_for_confirm_token(token)
    _mark_confirmed(user)
    return user


def _tell_coordinators(host: User) -> None:
    company = db.session.get(Company, host.company_id) if host.company_id is not None else None
    coordinators = active_coordinators()
    for coordinator in coordinators:
        queue_email(
            coordinator.email,
            "host_pending",
            coordinator.locale,
            coordinator=coordinator,
            host=host,
            company=company,
        )


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


def users_query(search: str = "", role: Role | None = None) -> Select:
    """The admins' list of accounts (of one role, matching a search on e-mail or name), by
    role and e-mail."""
    query = select(User).order_by(User.role, User.email, User.id)
    if search:
        needle = search.lower()
        query = query.where(
            or_(
                User.email.contains(needle, autoescape=True),
                func.lower(User.full_name).contains(needle, autoescape=True),
            )
        )
    if role is not None:
        query = query.where(User.role == role)
    return query
