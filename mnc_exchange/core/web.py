"""Small helpers for views."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, NoReturn, TypeVar
from urllib.parse import urlsplit

from flask import abort, flash, make_response

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
    error_category: str = "danger",
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
        flash(exc.message, error_category)
        return Outcome(error=exc)
    return _committed(value, success, category)


def _committed(value: T, success, category: str) -> Outcome[T]:
    """Commit the request's work and flash ``success`` (a text, or a function of ``value``)."""
    db.session.commit()
    message = success(value) if callable(success) else success
    if message:
        flash(message, category)
    return Outcome(value=value)


def valid_or_400(form):
    """The posted ``form``, once valid; else a 400: a bare form (a confirmation button, a hidden
    choice) fails only when its token expired or it was tampered with, and has nothing to show
    again beside its fields."""
    if not form.validate_on_submit():
        abort(400)
    return form


def stop_with(response) -> NoReturn:
    """End the request here with ``response`` (a redirect saying why not, the page shown
    again): for a loader or a check a view calls before its work. The after-request hooks
    still run (security headers, the session with its flashed messages)."""
    abort(make_response(response))


def valid_or_again(form, again: Callable[[object], object]):
    """The posted ``form``, once valid; else its errors are flashed and the response is
    ``again(form)``: the page shown again with what was typed (its own status, 400). Like
    :func:`valid_or_400`, the view reads on with a valid form::

        form = valid_or_again(ReturnForm(), lambda form: _render(obj, 400, return_form=form))
    """
    if not form.validate_on_submit():
        flash_form_errors(form)
        stop_with(again(form))
    return form


def post_form(form, action: Callable[[], T], success, again: Callable[[object], object]):
    """A form posted to a page: when it is not valid (its errors flashed) or a rule refuses
    ``action`` (rolled back, flashed; see :func:`attempt`), the response ``again(form)`` (the
    page with the form, 400); ``None`` once done (committed, ``success`` flashed)::

        return post_form(form, lambda: services.save(obj, form.x.data), _("Saved."),
                         lambda form: _render(obj, form=form, status=400)) or redirect(...)
    """
    valid_or_again(form, again)
    if not attempt(action, success):
        return again(form)
    return None


def refused(exc: DomainError) -> None:
    """Roll back and show why a rule refused the request (for a view that calls services itself)."""
    db.session.rollback()
    flash(exc.message, "danger")


# --- form pages, sessions, private pages ------------------------------------------------


def attempt_beside(
    field,
    action: Callable[[], T],
    success: str | Callable[[T], str | None] | None = None,
    *,
    category: str = "success",
    kinds: type[DomainError] | tuple[type[DomainError], ...] = DomainError,
) -> Outcome[T]:
    """:func:`attempt` for a form whose refusal belongs to one field (an address already
    registered, a wrong current password): a :class:`DomainError` of ``kinds`` is rolled back
    and written beside ``field`` (not flashed); any other one is flashed as by :func:`attempt`.
    The view then calls :func:`flash_form_errors` and shows the form again."""
    try:
        value = action()
    except kinds as exc:
        db.session.rollback()
        field.errors = [*field.errors, exc.message]
        return Outcome(error=exc)
    except DomainError as exc:
        refused(exc)
        return Outcome(error=exc)
    return _committed(value, success, category)


def renew_session() -> None:
    """At login: a new session (no session fixation) that keeps the chosen language."""
    from flask import session

    lang = session.get("lang")
    session.clear()
    if lang:
        session["lang"] = lang


def owned_or_404(model, row_id: int, owner_id: Callable[[object], object], expected):
    """The ``model`` row ``row_id`` when ``owner_id(row)`` is ``expected`` (the current user's
    or company's id); a missing row and another's row are both a 404 (never revealed)."""
    row = db.session.get(model, row_id)
    if row is None or owner_id(row) != expected:
        abort(404)
    return row


def private(response):
    """A page whose URL holds a token: never send the URL on (no Referer), never cache it."""
    response = make_response(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def attempt_form(
    form,
    action: Callable[[], T],
    success: str | Callable[[T], str | None] | None = None,
    *,
    beside=None,
    kinds: type[DomainError] | tuple[type[DomainError], ...] = DomainError,
    category: str = "success",
) -> Outcome[T] | None:
    """A form page's POST: a valid form runs ``action`` by :func:`attempt` (by
    :func:`attempt_beside` when ``beside`` names the field a refusal belongs to); a form that
    is not valid, or whose field got the refusal, has its errors flashed. Returns the
    :class:`Outcome` (truthy: saved, redirect), or None when nothing was submitted or valid::

        if attempt_form(form, lambda: services.save(obj, form.x.data), _("Saved.")):
            return redirect(url_for(...))
        return render_template(..., form=form)
    """
    done = None
    if form.validate_on_submit():
        if beside is None:
            done = attempt(action, success, category=category)
        else:
            done = attempt_beside(beside, action, success, category=category, kinds=kinds)
        if done:
            return done
    flash_form_errors(form)
    return done
