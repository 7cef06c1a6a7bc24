"""Applications, their messages and documents, per-cohort document requirements and
eligibility rules, and the sending institutions reference list."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..cohorts.models import Cohort
from ..core.models import (
    CohortSettingsMixin,
    PkModel,
    TimestampMixin,
    at_column,
    enum_column,
    enum_type,
    fk_column,
    now_column,
    parent_column,
    user_column,
)
from ..extensions import db
from .reference import DocumentKind, Gender


class ApplicationStatus(enum.StrEnum):
    draft = "draft"
    submitted = "submitted"
    returned = "returned"  # returned to the student for correction
    eligible = "eligible"
    ineligible = "ineligible"
    # Selection (mnc_exchange.selection): every review in -> scored; top N -> shortlisted;
    # interview scored -> interviewed; then the decision.
    scored = "scored"
    shortlisted = "shortlisted"
    interviewed = "interviewed"
    selected = "selected"
    waitlisted = "waitlisted"
    rejected = "rejected"
    withdrawn = "withdrawn"


#: Files past the eligibility check and still in the running for a seat (scored, interviewed,
#: decided with a seat or on the waitlist).
IN_THE_RUNNING = (
    ApplicationStatus.eligible,
    ApplicationStatus.scored,
    ApplicationStatus.shortlisted,
    ApplicationStatus.interviewed,
    ApplicationStatus.selected,
    ApplicationStatus.waitlisted,
)


class DocumentStatus(enum.StrEnum):
    pending = "pending"
    accepted = "accepted"
    rejected = "rejected"


class MessageKind(enum.StrEnum):
    info = "info"
    correction = "correction"  # returned for correction
    document = "document"  # a document accepted or rejected
    eligibility = "eligibility"
    withdrawal = "withdrawal"


class Institution(TimestampMixin, PkModel):
    """A Moroccan sending institution (établissement d'origine); feeds the agreement later."""

    __tablename__ = "institutions"

    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    city: Mapped[str] = mapped_column(String(100), nullable=False)
    legal_representative: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(String(400), nullable=False)
    active: Mapped[bool] = mapped_column(nullable=False, default=True)


class Application(TimestampMixin, PkModel):
    """One student's application to one cohort."""

    __tablename__ = "applications"
    __table_args__ = (
        UniqueConstraint("cohort_id", "student_id", name="uq_applications_cohort_student"),
        UniqueConstraint("cohort_id", "cin", name="uq_applications_cohort_cin"),
        Index("ix_applications_cohort_status", "cohort_id", "status"),
        # The screening list's filters and sorts, always within one cohort.
        Index("ix_applications_cohort_institution", "cohort_id", "institution_id"),
        Index("ix_applications_cohort_region", "cohort_id", "region"),
        Index("ix_applications_cohort_french_level", "cohort_id", "french_level"),
        Index("ix_applications_cohort_submitted_at", "cohort_id", "submitted_at"),
        Index("ix_applications_cohort_grade_average", "cohort_id", "grade_average"),
    )

    cohort_id: Mapped[int] = fk_column("cohorts.id", required=True)
    student_id: Mapped[int] = user_column(required=True, index=True)
    status: Mapped[ApplicationStatus] = enum_column(
        ApplicationStatus, "application_status", ApplicationStatus.draft
    )

    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    birth_date: Mapped[date | None]
    gender: Mapped[Gender | None] = mapped_column(enum_type(Gender, "gender", 10))
    cin: Mapped[str | None] = mapped_column(String(12))
    phone: Mapped[str | None] = mapped_column(String(20))
    region: Mapped[str | None] = mapped_column(String(40))
    passport_number: Mapped[str | None] = mapped_column(String(20))
    passport_expiry: Mapped[date | None]
    institution_id: Mapped[int | None] = fk_column("institutions.id")
    programme: Mapped[str | None] = mapped_column(String(200))
    year_of_study: Mapped[int | None]
    grade_average: Mapped[Decimal | None] = mapped_column(Numeric(4, 2))
    french_level: Mapped[str | None] = mapped_column(String(2))
    english_level: Mapped[str | None] = mapped_column(String(2))
    pole_ranking: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    motivation: Mapped[str | None] = mapped_column(Text)
    return_commitment_at: Mapped[datetime | None] = at_column()
    consent_at: Mapped[datetime | None] = at_column()

    submitted_at: Mapped[datetime | None] = at_column()
    withdrawn_at: Mapped[datetime | None] = at_column()
    #: Set when the retention purge anonymised this unsuccessful application (personal data
    #: and documents removed, statistics kept).
    anonymised_at: Mapped[datetime | None] = at_column()

    # Eligibility screening: the rules' suggestion, then a coordinator's decision.
    eligibility_suggestion: Mapped[bool | None]
    eligibility_reasons: Mapped[list[Any]] = mapped_column(JSON, nullable=False, default=list)
    eligibility_override_reason: Mapped[str | None] = mapped_column(Text)
    eligibility_decided_at: Mapped[datetime | None] = at_column()
    eligibility_decided_by_id: Mapped[int | None] = user_column()

    # Selection: mean of the reviewers' weighted totals (/100), the interview, the final score
    # and rank; the waitlist rank; a coordinator's override of the computed decision.
    review_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    review_disagreement: Mapped[bool] = mapped_column(nullable=False, default=False)
    final_score: Mapped[Decimal | None] = mapped_column(Numeric(5, 2))
    final_rank: Mapped[int | None]
    waitlist_rank: Mapped[int | None]
    decision_override_reason: Mapped[str | None] = mapped_column(Text)

    cohort: Mapped[Cohort] = relationship()
    student: Mapped[User] = relationship(foreign_keys=[student_id])
    institution: Mapped[Institution | None] = relationship()
    eligibility_decided_by: Mapped[User | None] = relationship(
        foreign_keys=[eligibility_decided_by_id]
    )
    documents: Mapped[list[Document]] = relationship(
        back_populates="application", order_by="Document.id"
    )
    messages: Mapped[list[ApplicationMessage]] = relationship(
        back_populates="application", order_by="ApplicationMessage.id"
    )

    @property
    def full_name(self) -> str:
        names = " ".join(n for n in (self.first_name, self.last_name) if n)
        return names or self.student.full_name

    def current_documents(self) -> dict[DocumentKind, list[Document]]:
        """The current (not superseded) documents by kind."""
        result: dict[DocumentKind, list[Document]] = {}
        for document in self.documents:
            if document.is_current:
                result.setdefault(document.kind, []).append(document)
        return result


class ApplicationMessage(PkModel):
    """A message from the programme to the student (or a note in the file's history)."""

    __tablename__ = "application_messages"

    application_id: Mapped[int] = parent_column("applications.id")
    author_id: Mapped[int | None] = user_column()
    kind: Mapped[MessageKind] = enum_column(MessageKind, "message_kind")
    body: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = now_column()

    application: Mapped[Application] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()


class Document(PkModel):
    """An uploaded file. Replacing a document keeps the earlier version (is_current=False)."""

    __tablename__ = "documents"
    __table_args__ = (Index("ix_documents_application_kind", "application_id", "kind"),)

    application_id: Mapped[int] = parent_column("applications.id", index=False)
    kind: Mapped[DocumentKind] = enum_column(DocumentKind, "document_kind", length=30)
    version: Mapped[int] = mapped_column(nullable=False, default=1)
    is_current: Mapped[bool] = mapped_column(nullable=False, default=True)
    original_name: Mapped[str] = mapped_column(String(200), nullable=False)
    stored_name: Mapped[str] = mapped_column(String(100), unique=True, nullable=False)
    content_type: Mapped[str] = mapped_column(String(50), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    uploaded_at: Mapped[datetime] = now_column()
    uploaded_by_id: Mapped[int | None] = user_column()
    status: Mapped[DocumentStatus] = enum_column(
        DocumentStatus, "document_status", DocumentStatus.pending
    )
    review_comment: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = at_column()
    reviewed_by_id: Mapped[int | None] = user_column()

    application: Mapped[Application] = relationship(back_populates="documents")
    reviewed_by: Mapped[User | None] = relationship(foreign_keys=[reviewed_by_id])


class DocumentRequirement(PkModel):
    """Per cohort: which document kinds are asked for, and whether each is mandatory."""

    __tablename__ = "document_requirements"
    __table_args__ = (UniqueConstraint("cohort_id", "kind", name="uq_document_requirements"),)

    cohort_id: Mapped[int] = parent_column("cohorts.id", index=False)
    kind: Mapped[DocumentKind] = enum_column(DocumentKind, "document_kind", length=30)
    required: Mapped[bool] = mapped_column(nullable=False, default=True)


class EligibilityRules(CohortSettingsMixin, db.Model):
    """Per cohort: the rules of the first selection round (eligibility screening)."""

    __tablename__ = "eligibility_rules"
    min_french_level: Mapped[str] = mapped_column(String(2), nullable=False, default="B2")
    min_average: Mapped[Decimal] = mapped_column(
        Numeric(4, 2), nullable=False, default=Decimal("12.00")
    )
    allowed_years: Mapped[list[int]] = mapped_column(
        JSON, nullable=False, default=lambda: [3, 4, 5]
    )
    # The passport must stay valid this many months after the latest internship end.
    passport_months_after_end: Mapped[int] = mapped_column(nullable=False, default=3)
