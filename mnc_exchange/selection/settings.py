"""The selection round's settings: how many reviewers, the disagreement gap, the shortlist's size
and the seat offers' delay, with the rules that freeze them as the round goes on."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import gettext as _

from ..audit.services import record
from ..cohorts.models import Cohort
from ..core.errors import DomainError
from . import queries, services


def save_settings(
    cohort: Cohort,
    reviewers_per_application: int,
    disagreement_gap: Decimal,
    shortlist_size: int | None,
    seat_offer_days: int,
) -> list[str]:
    """Change the round's settings; those that shape the scoring are frozen once scoring has
    started, the shortlist size once the shortlist exists. Returns the changed fields."""
    settings = services.settings_for(cohort)
    values = {
        "reviewers_per_application": reviewers_per_application,
        "disagreement_gap": Decimal(disagreement_gap),
        "shortlist_size": shortlist_size,
        "seat_offer_days": seat_offer_days,
    }
    current = {name: getattr(settings, name) for name in values}
    current["disagreement_gap"] = Decimal(current["disagreement_gap"])
    changed = {name: value for name, value in values.items() if current[name] != value}
    scoring_fields = {"reviewers_per_application", "disagreement_gap"} & set(changed)
    if scoring_fields and settings.scoring_started_at is not None:
        raise DomainError(
            _(
                "Scoring has started: the number of reviewers and the disagreement gap can no "
                "longer be changed."
            )
        )
    if "shortlist_size" in changed and (
        settings.decisions_at is not None or queries.shortlist_exists(cohort)
    ):
        raise DomainError(_("The shortlist is made: its size can no longer be changed."))
    for name, value in changed.items():
        setattr(settings, name, value)
    if changed:
        record(
            "selection.settings",
            cohort,
            {name: (None if v is None else str(v)) for name, v in changed.items()},
        )
    return list(changed)
