"""Internship offers: one per post a host company opens for a cohort."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Enum, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..cohorts.models import Cohort
from ..core.models import TimestampMixin, UTCDateTime
from ..extensions import db
from ..hosts.models import Company, Pole, Tutor


def _enum(cls, name: str, length: int = 20):
    return Enum(cls, name=name, native_enum=False, length=length)


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


class Offer(TimestampMixin, db.Model):
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

    id: Mapped[int] = mapped_column(primary_key=True)
    cohort_id: Mapped[int] = mapped_column(ForeignKey("cohorts.id"), nullable=False, index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), nullable=False, index=True)
    tutor_id: Mapped[int | None] = mapped_column(ForeignKey("tutors.id"), index=True)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    description: Mapped[str] = mapped_column(Text, nullable=False)
    pole: Mapped[Pole] = mapped_column(_enum(Pole, "pole"), nullable=False)
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
    language: Mapped[WorkLanguage] = mapped_column(
        _enum(WorkLanguage, "work_language", 10), nullable=False, default=WorkLanguage.fr
    )
    work_mode: Mapped[WorkMode] = mapped_column(
        _enum(WorkMode, "work_mode", 10), nullable=False, default=WorkMode.onsite
    )
    status: Mapped[OfferStatus] = mapped_column(
        _enum(OfferStatus, "offer_status"), nullable=False, default=OfferStatus.draft, index=True
    )
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    #: The coordinator's reason when an offer is sent back to the company for changes.
    return_reason: Mapped[str | None] = mapped_column(Text)
    #: Warnings of the last law check (message keys and numbers), shown on the offer.
    law_warnings: Mapped[list] = mapped_column(db.JSON, nullable=False, default=list)

    cohort: Mapped[Cohort] = relationship()
    company: Mapped[Company] = relationship()
    tutor: Mapped[Tutor | None] = relationship()

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Offer {self.id} {self.title!r} {self.status}>"
