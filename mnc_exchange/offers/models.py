"""Internship offers: one per post a host company opens for a cohort."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cohorts.models import Cohort
from ..core.models import PkModel, TimestampMixin, at_column, enum_column, fk_column, user_column
from ..extensions import db
from ..hosts.models import Company, Pole, Tutor


class OfferStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    approved = "approved"
    published = "published"
    filled = "filled"
    closed = "closed"


class WorkMode(enum.StrEnum):
    onsite = "onsite"
    hybrid = "hybrid"


class WorkLanguage(enum.StrEnum):
    fr = "fr"
    en = "en"
    fr_en = "fr_en"


class Offer(TimestampMixin, PkModel):
    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("seats >= 1 AND seats <= 20", name="seats_bounds"),
        CheckConstraint("end_on > start_on", name="dates_order"),
        CheckConstraint("monthly_stipend >= 0", name="stipend_positive"),
        CheckConstraint("leave_days >= 0", name="leave_days_positive"),
        # The review list (a cohort's offers of one status), the counts per status, the
        # published offers of the matching.
        Index("ix_offers_cohort_status", "cohort_id", "status"),
    )

    cohort_id: Mapped[int] = fk_column("cohorts.id", required=True, index=True)
    company_id: Mapped[int] = fk_column("companies.id", required=True, index=True)
    tutor_id: Mapped[int | None] = fk_column("tutors.id", index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    pole: Mapped[Pole] = enum_column(Pole, "pole")
    skills: Mapped[str] = mapped_column(String(500), nullable=False, default="")
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    start_on: Mapped[date] = mapped_column(nullable=False)
    end_on: Mapped[date] = mapped_column(nullable=False)
    weekly_hours: Mapped[Decimal] = mapped_column(Numeric(4, 1), nullable=False)
    daily_hours: Mapped[Decimal] = mapped_column(Numeric(4, 1), nullable=False)
    monthly_stipend: Mapped[Decimal] = mapped_column(Numeric(8, 2), nullable=False)
    seats: Mapped[int] = mapped_column(nullable=False, default=1)
    #: Days of leave granted during the internship (Code de l'éducation L124-13: at least one
    #: past 2 months of presence); copied into the agreement, where it is printed.
    leave_days: Mapped[int] = mapped_column(nullable=False, default=0, server_default="0")
    language: Mapped[WorkLanguage] = enum_column(
        WorkLanguage, "work_language", WorkLanguage.fr, length=10
    )
    work_mode: Mapped[WorkMode] = enum_column(WorkMode, "work_mode", WorkMode.onsite, length=10)
    status: Mapped[OfferStatus] = enum_column(
        OfferStatus, "offer_status", OfferStatus.draft, index=True
    )
    submitted_at: Mapped[datetime | None] = at_column()
    approved_at: Mapped[datetime | None] = at_column()
    approved_by_id: Mapped[int | None] = user_column()
    published_at: Mapped[datetime | None] = at_column()
    closed_at: Mapped[datetime | None] = at_column()
    #: The coordinator's reason when an offer is sent back to the company for changes.
    return_reason: Mapped[str | None] = mapped_column(Text)
    #: Warnings of the last law check (message keys and numbers), shown on the offer.
    law_warnings: Mapped[list] = mapped_column(db.JSON, nullable=False, default=list)

    cohort: Mapped[Cohort] = relationship()
    company: Mapped[Company] = relationship()
    tutor: Mapped[Tutor | None] = relationship()

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Offer {self.id} {self.title!r} {self.status}>"
