"""The yearly cohort: one per year, with its quota, calendar and state."""

from __future__ import annotations

import enum
from datetime import date

from sqlalchemy import CheckConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..core.models import PkModel, TimestampMixin, enum_column, partial_unique_index

DEFAULT_QUOTA = 30
QUOTA_MIN = 1
QUOTA_MAX = 500


class CohortState(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
    selection = "selection"
    matching = "matching"
    placed = "placed"
    abroad = "abroad"
    returned = "returned"
    archived = "archived"


class Cohort(TimestampMixin, PkModel):
    __tablename__ = "cohorts"
    __table_args__ = (
        CheckConstraint(f"quota >= {QUOTA_MIN} AND quota <= {QUOTA_MAX}", name="quota_bounds"),
        # At most one current cohort; the service keeps exactly one.
        partial_unique_index("uq_cohorts_one_current", "is_current", "is_current"),
    )

    year: Mapped[int] = mapped_column(unique=True, nullable=False)
    title: Mapped[str] = mapped_column(nullable=False, default="")
    quota: Mapped[int] = mapped_column(nullable=False, default=DEFAULT_QUOTA)
    state: Mapped[CohortState] = enum_column(CohortState, "cohort_state", CohortState.draft)
    is_current: Mapped[bool] = mapped_column(nullable=False, default=False)
    applications_open_on: Mapped[date | None]
    applications_close_on: Mapped[date | None]
    selection_on: Mapped[date | None]
    matching_on: Mapped[date | None]
    departure_on: Mapped[date | None]
    return_on: Mapped[date | None]

    CALENDAR_FIELDS = (
        "applications_open_on",
        "applications_close_on",
        "selection_on",
        "matching_on",
        "departure_on",
        "return_on",
    )

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Cohort {self.year} {self.state}>"
