"""Agreements and their documents.

An ``Agreement`` is the tripartite convention de stage of one confirmed placement; it has a
number unique within its cohort (``MNC-2026-007``). Every PDF issued for it is an
``AgreementDocument``: versions of the agreement itself (re-issuing supersedes the previous
version), numbered amendments (avenants) and the internship certificate. Each document keeps the
snapshot of the data it was rendered from, the PDF's SHA-256 and a public verification code.
Signatures are recorded per document and party; once every party has signed, the document
gets its final version (the signature record added, sealed by the programme).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..accounts.models import User
from ..cohorts.models import Cohort
from ..core.models import (
    PkModel,
    TimestampMixin,
    at_column,
    enum_column,
    fk_column,
    now_column,
    parent_column,
    user_column,
)
from ..hosts.models import Tutor
from ..placements.models import Placement


class PrefectureDecision(enum.StrEnum):
    pending = "pending"
    stamped = "stamped"
    refused = "refused"


class Agreement(TimestampMixin, PkModel):
    __tablename__ = "agreements"
    __table_args__ = (UniqueConstraint("cohort_id", "sequence", name="uq_agreement_sequence"),)

    cohort_id: Mapped[int] = fk_column("cohorts.id", required=True, index=True)
    placement_id: Mapped[int] = fk_column("placements.id", required=True, unique=True)
    sequence: Mapped[int] = mapped_column(nullable=False)
    number: Mapped[str] = mapped_column(String(30), nullable=False, unique=True)
    # The terms in force (copied from the offer at issue; amendments change them).
    start_on: Mapped[date] = mapped_column(nullable=False)
    end_on: Mapped[date] = mapped_column(nullable=False)
    weekly_hours: Mapped[Decimal] = mapped_column(Numeric(4, 1), nullable=False)
    daily_hours: Mapped[Decimal] = mapped_column(Numeric(4, 1), nullable=False)
    monthly_stipend: Mapped[Decimal] = mapped_column(Numeric(8, 2), nullable=False)
    tutor_id: Mapped[int | None] = fk_column("tutors.id")
    work_address: Mapped[str] = mapped_column(String(300), nullable=False)
    work_city: Mapped[str] = mapped_column(String(100), nullable=False)
    # The sending institution's side, entered by the coordinator when issuing.
    referent_name: Mapped[str] = mapped_column(String(200), nullable=False)
    referent_email: Mapped[str] = mapped_column(String(254), nullable=False)
    activities: Mapped[str] = mapped_column(Text, nullable=False, default="")
    skills_to_acquire: Mapped[str] = mapped_column(Text, nullable=False, default="")
    teaching_hours: Mapped[int] = mapped_column(nullable=False, default=0)
    leave_days: Mapped[int] = mapped_column(nullable=False, default=0)
    benefits: Mapped[str] = mapped_column(Text, nullable=False, default="")
    # Préfecture (CESEDA R426-20), for internships over 3 months.
    prefecture_required: Mapped[bool] = mapped_column(nullable=False, default=False)
    prefecture_submitted_on: Mapped[date | None]
    prefecture_decision: Mapped[PrefectureDecision] = enum_column(
        PrefectureDecision, "prefecture_decision", PrefectureDecision.pending
    )
    prefecture_decided_on: Mapped[date | None]
    prefecture_note: Mapped[str | None] = mapped_column(String(500))
    ended_on: Mapped[date | None]  # early end (an amendment), else None

    cohort: Mapped[Cohort] = relationship()
    placement: Mapped[Placement] = relationship()
    tutor: Mapped[Tutor | None] = relationship()
    documents: Mapped[list[AgreementDocument]] = relationship(
        back_populates="agreement", order_by="AgreementDocument.id"
    )


class DocumentKind(enum.StrEnum):
    agreement = "agreement"
    amendment = "amendment"
    certificate = "certificate"


class Party(enum.StrEnum):
    """The five signatories of D124-4 (the programme signs as well)."""

    student = "student"
    host = "host"
    institution = "institution"
    referent = "referent"
    tutor = "tutor"
    programme = "programme"


class AgreementDocument(PkModel):
    """One issued PDF: an agreement version, an amendment or the internship certificate."""

    __tablename__ = "agreement_documents"
    __table_args__ = (
        UniqueConstraint("agreement_id", "kind", "version", name="uq_agreement_document_version"),
    )

    agreement_id: Mapped[int] = parent_column("agreements.id")
    kind: Mapped[DocumentKind] = enum_column(DocumentKind, "agreement_doc_kind")
    #: Agreement: version 1, 2, …; amendment: its number A1, A2 …; certificate: 1, 2 …
    version: Mapped[int] = mapped_column(nullable=False)
    reference: Mapped[str] = mapped_column(String(40), nullable=False)
    #: Amendment reasons (dates, tutor, stipend, place, interruption, early_end).
    reasons: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    stored_name: Mapped[str] = mapped_column(String(300), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(nullable=False)
    verification_code: Mapped[str] = mapped_column(String(32), nullable=False, unique=True)
    issued_at: Mapped[datetime] = now_column()
    issued_by_id: Mapped[int | None] = user_column()
    superseded_at: Mapped[datetime | None] = at_column()
    #: The final version, produced once every party has signed (certificate: at issue): the
    #: same document plus the signature record, sealed with the programme's certificate when
    #: one is configured. ``stored_name``/``sha256`` stay those of the version signed.
    final_stored_name: Mapped[str | None] = mapped_column(String(300))
    final_sha256: Mapped[str | None] = mapped_column(String(64))
    final_size: Mapped[int | None]
    finalised_at: Mapped[datetime | None] = at_column()
    sealed: Mapped[bool] = mapped_column(nullable=False, default=False, server_default=false())

    agreement: Mapped[Agreement] = relationship(back_populates="documents")
    issued_by: Mapped[User | None] = relationship()
    signatures: Mapped[list[Signature]] = relationship(
        back_populates="document", order_by="Signature.id"
    )


class SignatureMethod(enum.StrEnum):
    in_app = "in_app"
    paper = "paper"


class Signature(PkModel):
    __tablename__ = "agreement_signatures"
    __table_args__ = (UniqueConstraint("document_id", "party", name="uq_signature_party"),)

    document_id: Mapped[int] = parent_column("agreement_documents.id")
    party: Mapped[Party] = enum_column(Party, "signature_party")
    method: Mapped[SignatureMethod] = enum_column(SignatureMethod, "signature_method")
    signer_name: Mapped[str] = mapped_column(String(200), nullable=False)
    signed_at: Mapped[datetime] = now_column()
    #: The logged-in party who acknowledged in the app.
    user_id: Mapped[int | None] = user_column()
    #: Paper signature: the coordinator who recorded it and the signed scan.
    recorded_by_id: Mapped[int | None] = user_column()
    scan_stored_name: Mapped[str | None] = mapped_column(String(300))
    scan_sha256: Mapped[str | None] = mapped_column(String(64))
    ip_address: Mapped[str | None] = mapped_column(String(45))
    #: The signer's capacity (job title) as they gave it, and, when they sign by delegation,
    #: the name of the person they sign for (e.g. the company's legal representative).
    signer_capacity: Mapped[str | None] = mapped_column(String(200))
    on_behalf_of: Mapped[str | None] = mapped_column(String(200))
    #: When the signature was recorded here (a paper signature is dated by hand: signed_at).
    recorded_at: Mapped[datetime | None] = at_column()

    document: Mapped[AgreementDocument] = relationship(back_populates="signatures")


class ReminderLog(PkModel):
    """Signature reminders sent (one per document, party and day at most)."""

    __tablename__ = "agreement_reminders"
    __table_args__ = (
        UniqueConstraint("document_id", "party", "sent_on", name="uq_agreement_reminder_day"),
    )

    document_id: Mapped[int] = parent_column("agreement_documents.id", index=False)
    party: Mapped[Party] = enum_column(Party, "signature_party")
    sent_on: Mapped[date] = mapped_column(nullable=False)
