"""Selection rounds: per-cohort settings, the rubric, reviews, interviews and seat offers."""

from __future__ import annotations

import enum
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Numeric, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..applications.models import Application
from ..core.models import (
    CohortSettingsMixin,
    PkModel,
    TimestampMixin,
    at_column,
    enum_column,
    now_column,
    parent_column,
    user_column,
)
from ..extensions import db


class SelectionSettings(CohortSettingsMixin, TimestampMixin, db.Model):
    """Per cohort: how the selection round runs, and where it stands."""

    __tablename__ = "selection_settings"
    reviewers_per_application: Mapped[int] = mapped_column(nullable=False, default=2)
    disagreement_gap: Mapped[Decimal] = mapped_column(
        Numeric(5, 2), nullable=False, default=Decimal("15.00")
    )
    # None: twice the quota.
    shortlist_size: Mapped[int | None]
    seat_offer_days: Mapped[int] = mapped_column(nullable=False, default=7)
    scoring_started_at: Mapped[datetime | None] = at_column()
    decisions_at: Mapped[datetime | None] = at_column()
    published_at: Mapped[datetime | None] = at_column()


class RubricCriterion(PkModel):
    __tablename__ = "rubric_criteria"
    __table_args__ = (UniqueConstraint("cohort_id", "key", name="uq_rubric_criteria_key"),)

    cohort_id: Mapped[int] = parent_column("cohorts.id")
    key: Mapped[str] = mapped_column(String(40), nullable=False)
    label: Mapped[str] = mapped_column(String(120), nullable=False)
    weight: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    max_score: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)
    position: Mapped[int] = mapped_column(nullable=False, default=0)
    # The interview criterion is scored at the interview, not by the file reviewers.
    is_interview: Mapped[bool] = mapped_column(nullable=False, default=False)


class AssignmentStatus(enum.StrEnum):
    assigned = "assigned"
    submitted = "submitted"
    conflict = "conflict"


class ReviewAssignment(PkModel):
    __tablename__ = "review_assignments"
    __table_args__ = (
        UniqueConstraint("application_id", "reviewer_id", name="uq_review_assignments"),
    )

    application_id: Mapped[int] = parent_column("applications.id")
    reviewer_id: Mapped[int] = user_column(required=True, index=True)
    status: Mapped[AssignmentStatus] = enum_column(
        AssignmentStatus, "assignment_status", AssignmentStatus.assigned
    )
    conflict_reason: Mapped[str | None] = mapped_column(Text)
    total: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    comment: Mapped[str | None] = mapped_column(Text)
    assigned_at: Mapped[datetime] = now_column()
    submitted_at: Mapped[datetime | None] = at_column()

    application: Mapped[Application] = relationship()
    reviewer: Mapped[User] = relationship()
    scores: Mapped[list[ReviewScore]] = relationship(
        back_populates="assignment", cascade="all, delete-orphan"
    )


class ReviewScore(PkModel):
    __tablename__ = "review_scores"
    __table_args__ = (UniqueConstraint("assignment_id", "criterion_id", name="uq_review_scores"),)

    assignment_id: Mapped[int] = parent_column("review_assignments.id", index=False)
    criterion_id: Mapped[int] = parent_column("rubric_criteria.id", index=False)
    score: Mapped[Decimal] = mapped_column(Numeric(5, 2), nullable=False)

    assignment: Mapped[ReviewAssignment] = relationship(back_populates="scores")
    criterion: Mapped[RubricCriterion] = relationship()


class Interview(PkModel):
    __tablename__ = "interviews"

    application_id: Mapped[int] = parent_column("applications.id", unique=True)
    starts_at: Mapped[datetime] = at_column(nullable=False)
    duration_minutes: Mapped[int] = mapped_column(nullable=False, default=30)
    location: Mapped[str] = mapped_column(String(300), nullable=False)
    score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    notes: Mapped[str | None] = mapped_column(Text)
    scored_by_id: Mapped[int | None] = user_column()
    scored_at: Mapped[datetime | None] = at_column()

    application: Mapped[Application] = relationship()


class SeatOfferStatus(enum.StrEnum):
    open = "open"
    accepted = "accepted"
    declined = "declined"
    expired = "expired"


class SeatOffer(PkModel):
    """A freed seat offered to the best-ranked waitlisted student, with a deadline."""

    __tablename__ = "seat_offers"

    application_id: Mapped[int] = parent_column("applications.id")
    offered_at: Mapped[datetime] = now_column()
    deadline_at: Mapped[datetime] = at_column(nullable=False)
    status: Mapped[SeatOfferStatus] = enum_column(
        SeatOfferStatus, "seat_offer_status", SeatOfferStatus.open
    )
    responded_at: Mapped[datetime | None] = at_column()

    application: Mapped[Application] = relationship()
