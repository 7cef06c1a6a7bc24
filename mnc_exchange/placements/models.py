"""Preferences of students and companies, matching runs (kept with their inputs so that they
can be reproduced) and the placements a run proposes."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..applications.models import Application
from ..cohorts.models import Cohort
from ..core.models import (
    CohortSettingsMixin,
    PkModel,
    TimestampMixin,
    at_column,
    enum_column,
    fk_column,
    now_column,
    parent_column,
    partial_unique_index,
    user_column,
)
from ..extensions import db
from ..offers.models import Offer

#: How many offers a student may rank.
MAX_PREFERENCES = 5


class MatchingSettings(CohortSettingsMixin, TimestampMixin, db.Model):
    """Per cohort: the deadlines of the matching phase."""

    __tablename__ = "matching_settings"
    preferences_deadline_at: Mapped[datetime | None] = at_column()
    company_deadline_at: Mapped[datetime | None] = at_column()
    #: Days a company has to confirm or decline a proposed placement.
    confirmation_days: Mapped[int] = mapped_column(nullable=False, default=7)


class StudentPreference(PkModel):
    """A selected student's ranking of one published offer (1 = first choice)."""

    __tablename__ = "student_preferences"
    __table_args__ = (
        UniqueConstraint("application_id", "rank", name="uq_student_preference_rank"),
        UniqueConstraint("application_id", "offer_id", name="uq_student_preference_offer"),
    )

    application_id: Mapped[int] = parent_column("applications.id")
    offer_id: Mapped[int] = parent_column("offers.id")
    rank: Mapped[int] = mapped_column(nullable=False)
    updated_at: Mapped[datetime] = now_column()

    application: Mapped[Application] = relationship()
    offer: Mapped[Offer] = relationship()


class CompanyRanking(PkModel):
    """A company's judgement of one candidate for one offer: a rank, or not acceptable."""

    __tablename__ = "company_rankings"
    __table_args__ = (UniqueConstraint("offer_id", "application_id", name="uq_company_ranking"),)

    offer_id: Mapped[int] = parent_column("offers.id")
    application_id: Mapped[int] = parent_column("applications.id")
    #: 1 = preferred; ``None`` when not acceptable.
    rank: Mapped[int | None]
    acceptable: Mapped[bool] = mapped_column(nullable=False, default=True)
    ranked_by_id: Mapped[int | None] = user_column()
    updated_at: Mapped[datetime] = now_column()

    offer: Mapped[Offer] = relationship()
    application: Mapped[Application] = relationship()


class MatchingRun(PkModel):
    """One run of the engine: its inputs, result, statistics and explanations.

    A run is a preview until a coordinator commits it, which proposes its placements.
    """

    __tablename__ = "matching_runs"

    cohort_id: Mapped[int] = parent_column("cohorts.id")
    created_at: Mapped[datetime] = now_column()
    created_by_id: Mapped[int | None] = user_column()
    #: {"student_prefs": {...}, "offer_prefs": {...}, "capacities": {...}} (string ids)
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    #: student id -> offer id or None
    result: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    statistics: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    #: student id -> {"reason": ..., ...}
    explanations: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    #: Which companies' rankings were replaced by the coordinators' scores.
    substituted_offers: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    committed_at: Mapped[datetime | None] = at_column()
    committed_by_id: Mapped[int | None] = user_column()

    cohort: Mapped[Cohort] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])


class PlacementStatus(enum.StrEnum):
    proposed = "proposed"
    confirmed = "confirmed"
    declined = "declined"
    cancelled = "cancelled"


#: Placements that hold the student and the seat.
ACTIVE_PLACEMENT = (PlacementStatus.proposed, PlacementStatus.confirmed)


class Placement(TimestampMixin, PkModel):
    """A student proposed to an offer by a committed run; the company confirms or declines."""

    __tablename__ = "placements"
    __table_args__ = (
        partial_unique_index(
            "uq_placement_active_application",
            "application_id",
            "status IN ('proposed', 'confirmed')",
        ),
        # The matching page's list (newest first) and the placements of one status (the
        # agreements still to issue, the active ones).
        Index("ix_placements_cohort_created_at", "cohort_id", "created_at"),
        Index("ix_placements_cohort_status", "cohort_id", "status"),
    )

    cohort_id: Mapped[int] = fk_column("cohorts.id", required=True, index=True)
    application_id: Mapped[int] = fk_column("applications.id", required=True, index=True)
    offer_id: Mapped[int] = fk_column("offers.id", required=True, index=True)
    run_id: Mapped[int | None] = fk_column("matching_runs.id")
    status: Mapped[PlacementStatus] = enum_column(
        PlacementStatus, "placement_status", PlacementStatus.proposed, index=True
    )
    #: The student's rank of the offer (1 = first choice), for statistics.
    student_rank: Mapped[int | None]
    respond_by_at: Mapped[datetime | None] = at_column()
    responded_at: Mapped[datetime | None] = at_column()
    responded_by_id: Mapped[int | None] = user_column()
    decline_reason: Mapped[str | None] = mapped_column(Text)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))

    cohort: Mapped[Cohort] = relationship()
    application: Mapped[Application] = relationship()
    offer: Mapped[Offer] = relationship()
    run: Mapped[MatchingRun | None] = relationship()
