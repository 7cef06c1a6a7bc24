"""The cohort calendar shown on dashboards: what has happened and what comes next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l

from ..cohorts.models import Cohort

STEP_LABELS = {
    "applications_open_on": _l("Applications open"),
    "applications_close_on": _l("Applications close"),
    "selection_on": _l("Selection results"),
    "matching_on": _l("Matching with host companies"),
    "departure_on": _l("Departures to France"),
    "return_on": _l("Return to Morocco"),
}


@dataclass(frozen=True)
class Step:
    key: str
    label: str
    on: date | None
    done: bool
    is_next: bool


def calendar_steps(cohort: Cohort, today: date) -> list[Step]:
    """The cohort's calendar in order; the first future date is flagged as what comes next."""
    steps: list[Step] = []
    next_found = False
    for key in Cohort.CALENDAR_FIELDS:
        on = getattr(cohort, key)
        done = on is not None and on < today
        is_next = not next_found and on is not None and on >= today
        next_found = next_found or is_next
        steps.append(Step(key, str(STEP_LABELS[key]), on, done, is_next))
    return steps
