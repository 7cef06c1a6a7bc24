"""Host companies, invitations for further contacts, and tutors (people, not accounts)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..applications.reference import Pole  # noqa: F401 (the poles, one enum for every domain)
from ..core.models import (
    PkModel,
    TimestampMixin,
    at_column,
    enum_column,
    parent_column,
    user_column,
)


class CompanyStatus(enum.StrEnum):
    pending = "pending"
    approved = "approved"
    rejected = "rejected"


class Company(TimestampMixin, PkModel):
    """A French host company (one establishment, identified by its SIRET)."""

    __tablename__ = "companies"
    __table_args__ = (
        CheckConstraint("headcount >= 0", name="headcount_positive"),
        # The companies' list, by name, of one status or all.
        Index("ix_companies_legal_name", "legal_name", "id"),
        Index("ix_companies_status_legal_name", "status", "legal_name"),
    )

    legal_name: Mapped[str] = mapped_column(String(200), nullable=False)
    siret: Mapped[str] = mapped_column(String(14), nullable=False, unique=True)
    naf_code: Mapped[str] = mapped_column(String(6), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False)
    postcode: Mapped[str] = mapped_column(String(5), nullable=False)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    headcount: Mapped[int] = mapped_column(nullable=False)
    sector: Mapped[str] = mapped_column(String(120), nullable=False)
    mnc_member: Mapped[bool] = mapped_column(nullable=False, default=False)
    representative_name: Mapped[str | None] = mapped_column(String(200))
    representative_title: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[CompanyStatus] = enum_column(
        CompanyStatus, "company_status", CompanyStatus.pending
    )
    approved_at: Mapped[datetime | None] = at_column()
    approved_by_id: Mapped[int | None] = user_column()
    rejection_reason: Mapped[str | None] = mapped_column(String(1000))

    contacts: Mapped[list[User]] = relationship(
        primaryjoin="User.company_id == Company.id", viewonly=True, order_by="User.id"
    )
    tutors: Mapped[list[Tutor]] = relationship(back_populates="company", order_by="Tutor.full_name")

    @property
    def is_approved(self) -> bool:
        return self.status is CompanyStatus.approved

    @property
    def identity_change_pending(self) -> bool:
        """Approved once, then its legal name or SIRET changed: waiting for a new approval."""
        return self.status is CompanyStatus.pending and self.approved_at is not None

    @property
    def keeps_existing_work(self) -> bool:
        """Approved, or waiting for the approval of a new legal identity: what the company
        already runs (its placements, interns, candidates and signed agreements) carries on.
        New steps that rely on its identity (offers, invitations, agreement documents) wait
        for the approval (``is_approved``)."""
        return self.is_approved or self.identity_change_pending

    def __repr__(self) -> str:  # pragma: no cover
        return f"<Company {self.id} {self.legal_name}>"


class Tutor(TimestampMixin, PkModel):
    """The host's tutor of an intern: a person with contact details, without an account."""

    __tablename__ = "tutors"

    company_id: Mapped[int] = parent_column("companies.id")
    full_name: Mapped[str] = mapped_column(String(200), nullable=False)
    job_title: Mapped[str] = mapped_column(String(120), nullable=False)
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    phone: Mapped[str | None] = mapped_column(String(20))

    company: Mapped[Company] = relationship(back_populates="tutors")


class CompanyInvitation(TimestampMixin, PkModel):
    """An invitation for a colleague to join the company as a host contact (link by e-mail).

    Only a hash of the token is stored; the link works once and until ``expires_at``.
    """

    __tablename__ = "company_invitations"

    company_id: Mapped[int] = parent_column("companies.id")
    email: Mapped[str] = mapped_column(String(254), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    invited_by_id: Mapped[int] = user_column(required=True)
    expires_at: Mapped[datetime] = at_column(nullable=False)
    accepted_at: Mapped[datetime | None] = at_column()
    revoked_at: Mapped[datetime | None] = at_column()

    company: Mapped[Company] = relationship()
    invited_by: Mapped[User] = relationship()
