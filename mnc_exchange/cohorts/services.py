"""Cohort operations: create, edit, make current, and move through the yearly states.

The state machine is the ``TRANSITIONS`` table below; ``GUARDS`` add the conditions that must
hold before a transition (a refused transition raises ``TransitionRefused`` saying why).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from ..audit.services import record
from ..core.errors import DomainError, TransitionRefused
from ..core.i18n import long_date
from ..extensions import db
from .models import DEFAULT_QUOTA, QUOTA_MAX, QUOTA_MIN, Cohort, CohortState

T = TypeVar("T")


def saved_for(model: type[T], cohort: Cohort) -> T | None:
    """The cohort's row of ``model`` (settings kept one per cohort), or None."""
    return db.session.scalar(select(model).where(model.cohort_id == cohort.id))


def settings_row(model: type[T], cohort: Cohort, **defaults) -> T:
    """The cohort's row of ``model``, created with ``defaults`` on first use."""
    row = saved_for(model, cohort)
    if row is None:
        row = model(cohort_id=cohort.id, **defaults)
        db.session.add(row)
        db.session.flush()
    return row


def ordered_rows(model: type[T], cohort: Cohort, defaults: Callable[[], list[T]]) -> list[T]:
    """The cohort's rows of ``model`` in their order (``position``, then ``id``); the first
    time, the rows ``defaults()`` makes, added and flushed (a rubric, a list of criteria)."""
    rows = list(
        db.session.scalars(
            select(model).where(model.cohort_id == cohort.id).order_by(model.position, model.id)
        )
    )
    if not rows:
        rows = defaults()
        db.session.add_all(rows)
        db.session.flush()
    return rows


S = CohortState

#: The year's states, in order, and where each may go next.
TRANSITIONS: dict[CohortState, tuple[CohortState, ...]] = {
    S.draft: (S.open,),
    S.open: (S.closed,),
    S.closed: (S.open, S.selection),  # re-opening is allowed while selection has not begun
    S.selection: (S.matching,),
    S.matching: (S.placed,),
    S.placed: (S.abroad,),
    S.abroad: (S.returned,),
    S.returned: (S.archived,),
    S.archived: (),
}

STATE_LABELS = {
    S.draft: _l("Draft"),
    S.open: _l("Open for applications"),
    S.closed: _l("Applications closed"),
    S.selection: _l("Selection"),
    S.matching: _l("Matching"),
    S.placed: _l("Placements confirmed"),
    S.abroad: _l("Abroad"),
    S.returned: _l("Returned"),
    S.archived: _l("Archived"),
}

TRANSITION_LABELS = {
    S.open: _l("Open applications"),
    S.closed: _l("Close applications"),
    S.selection: _l("Start selection"),
    S.matching: _l("Start matching"),
    S.placed: _l("Confirm placements"),
    S.abroad: _l("Mark interns abroad"),
    S.returned: _l("Mark interns returned"),
    S.archived: _l("Archive"),
}


def _guard_open(cohort: Cohort, today: date) -> str | None:
    if not cohort.applications_open_on or not cohort.applications_close_on:
        return _("Set the application opening and closing dates before opening the call.")
    if cohort.applications_close_on < today:
        return _(
            "The closing date (%(date)s) is already past: move it before opening the call.",
            date=long_date(cohort.applications_close_on),
        )
    other = db.session.scalar(select(Cohort).where(Cohort.state == S.open, Cohort.id != cohort.id))
    if other is not None:
        return _("The %(year)s call is already open: close it first.", year=other.year)
    return None


def _guard_departure(cohort: Cohort, today: date) -> str | None:
    if not cohort.departure_on:
        return _("Set the departure date before marking the interns abroad.")
    return None


def _guard_archive(cohort: Cohort, today: date) -> str | None:
    if cohort.is_current:
        return _("Make another cohort current before archiving this one.")
    return None


GUARDS: dict[CohortState, Callable[[Cohort, date], str | None]] = {
    S.open: _guard_open,
    S.abroad: _guard_departure,
    S.archived: _guard_archive,
}


def allowed_transitions(cohort: Cohort) -> tuple[CohortState, ...]:
    return TRANSITIONS[cohort.state]


def transition(cohort: Cohort, target: CohortState, today: date | None = None) -> None:
    """Move ``cohort`` to ``target`` if the table allows it and its guard passes."""
    today = today or date.today()
    if target not in TRANSITIONS[cohort.state]:
        allowed = ", ".join(str(STATE_LABELS[s]) for s in TRANSITIONS[cohort.state])
        raise TransitionRefused(
            _(
                "A cohort cannot go from “%(source)s” to “%(target)s”. Possible next steps: "
                "%(allowed)s.",
                source=STATE_LABELS[cohort.state],
                target=STATE_LABELS[target],
                allowed=allowed or _("none (the cohort is archived)"),
            )
        )
    guard = GUARDS.get(target)
    reason = guard(cohort, today) if guard else None
    if reason:
        raise TransitionRefused(reason)
    source = cohort.state
    cohort.state = target
    record(
        "cohort.transition",
        cohort,
        {"year": cohort.year, "from": source.value, "to": target.value},
    )


def validate_calendar(values: dict[str, date | None]) -> str | None:
    """The calendar's dates must come in order; returns the first problem found."""
    order = [f for f in Cohort.CALENDAR_FIELDS if values.get(f)]
    for earlier, later in zip(order, order[1:], strict=False):
        if values[later] < values[earlier]:
            return _("The calendar dates must follow one another in order.")
    return None


def _check_quota(quota: int) -> None:
    if not QUOTA_MIN <= quota <= QUOTA_MAX:
        raise DomainError(
            _("The quota must be between %(min)d and %(max)d.", min=QUOTA_MIN, max=QUOTA_MAX)
        )


def create_cohort(year: int, quota: int = DEFAULT_QUOTA, title: str = "", **calendar) -> Cohort:
    """Create the cohort of ``year``. The first cohort ever created becomes current."""
    if db.session.scalar(select(Cohort.id).where(Cohort.year == year)) is not None:
        raise DomainError(_("A cohort already exists for %(year)d.", year=year))
    _check_quota(quota)
    problem = validate_calendar(calendar)
    if problem:
        raise DomainError(problem)
    cohort = Cohort(year=year, quota=quota, title=title or f"MNC {year}", **calendar)
    has_current = db.session.scalar(select(func.count()).where(Cohort.is_current)) > 0
    cohort.is_current = not has_current
    db.session.add(cohort)
    db.session.flush()
    record("cohort.create", cohort, {"year": year, "quota": quota})
    return cohort


def update_cohort(cohort: Cohort, **changes) -> None:
    """Edit the cohort's year, title, quota or calendar; the changes are audited."""
    if "year" in changes and changes["year"] != cohort.year:
        taken = db.session.scalar(
            select(Cohort.id).where(Cohort.year == changes["year"], Cohort.id != cohort.id)
        )
        if taken is not None:
            raise DomainError(_("A cohort already exists for %(year)d.", year=changes["year"]))
    if "quota" in changes:
        _check_quota(changes["quota"])
    calendar = {f: changes.get(f, getattr(cohort, f)) for f in Cohort.CALENDAR_FIELDS}
    problem = validate_calendar(calendar)
    if problem:
        raise DomainError(problem)
    diff = {}
    for key, value in changes.items():
        old = getattr(cohort, key)
        if old != value:
            diff[key] = [_jsonable(old), _jsonable(value)]
            setattr(cohort, key, value)
    if diff:
        record("cohort.update", cohort, {"changes": diff})


def make_current(cohort: Cohort) -> None:
    """Make ``cohort`` the current one (exactly one cohort is current)."""
    if cohort.is_current:
        return
    if cohort.state == S.archived:
        raise DomainError(_("An archived cohort cannot become current."))
    db.session.execute(update(Cohort).where(Cohort.is_current).values(is_current=False))
    db.session.flush()
    cohort.is_current = True
    record("cohort.make_current", cohort, {"year": cohort.year})


def current_cohort() -> Cohort | None:
    return db.session.scalar(select(Cohort).where(Cohort.is_current))


def _jsonable(value):
    return value.isoformat() if isinstance(value, date) else value
