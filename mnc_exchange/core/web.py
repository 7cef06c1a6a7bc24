"""Small helpers for views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar
from urllib.parse import urlsplit

from flask import flash

from ..extensions import db
from .errors import DomainError


def safe_next(target: str | None) -> str | None:
    """Return ``target`` only if it is a path on this site (no scheme, no host, no ``//``)."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def flash_form_errors(form) -> None:
    """Flash a summary when a form did not validate (field errors are shown beside fields)."""
    from flask_babel import gettext as _

    if form.errors:
        flash(_("Please correct the errors shown in the form."), "danger")


T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What :func:`attempt` did: the service's return value, or the rule that refused it."""

    value: T | None = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is None


def attempt(
    action: Callable[[], T],
    success: str | Callable[[T], str | None] | None = None,
    *,
    category: str = "success",
) -> Outcome[T]:
    """Run one service call as the request's single transaction.

    A :class:`DomainError` rolls the session back and flashes its (translated) message; otherwise
    the session is committed and ``success`` is flashed (a text, or a function of the value that
    returns one). Any other exception propagates: the error handlers roll back. A view reads::

        done = attempt(lambda: services.transition(cohort, target), _("Saved."))
        return redirect(url_for(...))
    """
    try:
        value = action()
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        return Outcome(error=exc)
    db.session.commit()
    message = success(value) if callable(success) else success
    if message:
        flash(message, category)
    return Outcome(value=value)


def refused(exc: DomainError) -> None:
    """Roll back and show why a rule refused the request (for a view that calls services itself)."""
    db.session.rollback()
    flash(exc.message, "danger")
