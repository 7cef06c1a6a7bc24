"""Demo accounts: one per role (``DEMO_ACCOUNTS``), and the many accounts the other parts of the
demo write in bulk (applicants, alumni, host contacts), all with the demo password."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select

from ..accounts.models import Role, User
from ..accounts.services import create_user
from ..audit.services import record
from ..extensions import db
from .common import DEMO_ACCOUNTS, DEMO_PASSWORD


def ensure_demo_accounts() -> None:
    """The account of each role, created (through the audited service) when missing."""
    for role, email, name in DEMO_ACCOUNTS:
        if db.session.scalar(select(User.id).where(User.email == email)) is None:
            create_user(email, DEMO_PASSWORD, name, role, locale="fr", approved=True)


def demo_coordinator() -> User | None:
    """The first active coordinator: the one who acts in the demo."""
    return db.session.scalar(
        select(User).where(User.role == Role.coordinator, User.active).order_by(User.id)
    )


def hash_password(password: str = DEMO_PASSWORD) -> str:
    """The hash of ``password``: scrypt is slow, so the demo hashes once and copies the hash."""
    user = User(email="-", full_name="-", role=Role.student)
    user.set_password(password)
    return user.password_hash


def create_accounts(
    specs: Iterable[tuple[str, str, Role, int | None]], password_hash: str, now: datetime
) -> list[User]:
    """Create the accounts ``(email, full name, role, company id)``; one shared hash."""
    users = []
    for email, full_name, role, company_id in specs:
        user = User(
            email=email,
            full_name=full_name,
            role=role,
            locale="fr",
            active=True,
            approved_at=now,
            company_id=company_id,
            password_hash=password_hash,
        )
        db.session.add(user)
        users.append(user)
    db.session.flush()
    for user in users:
        record("user.create", user, {"email": user.email, "role": user.role.value, "demo": True})
    return users
