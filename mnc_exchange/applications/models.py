"""Applications, their messages and documents, per-cohort document requirements and
eligibility rules, and the sending institutions reference list."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    event,
    func,
    inspect,
    literal,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship
from sqlalchemy.orm.base import NO_VALUE
from sqlalchemy.orm.util import identity_key

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
        # The list sorted by name (its default), whole or of one status: read in index order.
        Index(
            "ix_applications_cohort_sort_name",
            "cohort_id",
            "sort_last_name",
            "sort_first_name",
            "id",
        ),
        Index(
            "ix_applications_cohort_status_sort_name",
            "cohort_id",
            "status",
            "sort_last_name",
            "sort_first_name",
            "id",
        ),
    )

    cohort_id: Mapped[int] = fk_column("cohorts.id", required=True)
    student_id: Mapped[int] = user_column(required=True, index=True)
    status: Mapped[ApplicationStatus] = enum_column(
        ApplicationStatus, "application_status", ApplicationStatus.draft
    )

    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    #: The lists' sort keys, kept by ``_keep_sort_keys`` (and ``refresh_sort_keys`` after Core
    #: inserts): the name shown (the last name, else the account's full name) and the first
    #: name, lower-cased by the database (``sort_key_values``).
    sort_last_name: Mapped[str] = mapped_column(
        String(200), nullable=False, default="", server_default=""
    )
    sort_first_name: Mapped[str] = mapped_column(
        String(100), nullable=False, default="", server_default=""
    )
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
        return name_shown(self.first_name, self.last_name, lambda: self.student.full_name)

    def current_documents(self) -> dict[DocumentKind, list[Document]]:
        """The current (not superseded) documents by kind."""
        result: dict[DocumentKind, list[Document]] = {}
        for document in self.documents:
            if document.is_current:
                result.setdefault(document.kind, []).append(document)
        return result


def name_shown(first_name: str | None, last_name: str | None, account_name) -> str:
    """The student's name as the pages show it: the names on the application, else the
    account's name (``account_name``: the name, or a function that gives it, read only when
    needed)."""
    names = " ".join(n for n in (first_name, last_name) if n)
    if names:
        return names
    return account_name() if callable(account_name) else account_name


def sort_last_name_of(last_name: Any, full_name: Any) -> ColumnElement[str]:
    """SQL: the name a list shows and sorts by, lower-cased: the application's last name, else
    the account's full name. The database lower-cases (as the lists' order always did), so the
    stored key sorts exactly as this expression on the joined rows."""
    return func.lower(func.coalesce(func.nullif(last_name, ""), full_name))


def sort_first_name_of(first_name: Any) -> ColumnElement[str]:
    """SQL: the first name, lower-cased ("" when there is none)."""
    return func.lower(func.coalesce(first_name, ""))


def refresh_sort_keys(*conditions: Any) -> None:
    """Recompute the stored sort keys of the applications meeting ``conditions`` from their
    rows (one UPDATE): for rows written with Core ``insert()``, which the session's listener
    does not see (the scale data set, bulk test data)."""
    table = Application.__table__
    full_name = select(User.full_name).where(User.id == table.c.student_id).scalar_subquery()
    db.session.execute(
        update(table)
        .where(*conditions)
        .values(
            sort_last_name=sort_last_name_of(table.c.last_name, full_name),
            sort_first_name=sort_first_name_of(table.c.first_name),
        )
    )


#: What the sort keys are made of, on the application.
_NAME_ATTRIBUTES = ("last_name", "first_name", "student_id", "student")


def _text(value: str | None) -> ColumnElement[str]:
    return literal(value, String)


def _account_name(session: Session, application: Application) -> ColumnElement[str]:
    """The student's full name: from the account in the session (new or renamed in this
    flush too), else read by the UPDATE/INSERT itself (no query of its own)."""
    student = inspect(application).attrs.student.loaded_value
    if (
        student is NO_VALUE
        or student is None
        or (application.student_id is not None and student.id != application.student_id)
    ):
        key = identity_key(User, application.student_id)
        student = session.identity_map.get(key) if application.student_id else None
    if student is not None:
        return _text(student.full_name)
    return select(User.full_name).where(User.id == application.student_id).scalar_subquery()


@event.listens_for(Session, "before_flush")
def _keep_sort_keys(session: Session, _context: Any, _instances: Any) -> None:
    """Keep ``Application.sort_last_name``/``sort_first_name`` in step with the names: a new
    application, an application whose names change, an account whose full name changes (its
    applications without a last name). The values are SQL written into the flush's own
    INSERT/UPDATE; a renamed account's applications take one UPDATE."""
    for user in [o for o in session.dirty if isinstance(o, User)]:
        if not inspect(user).attrs.full_name.history.has_changes():
            continue
        table = Application.__table__
        session.connection().execute(
            update(table)
            .where(
                table.c.student_id == user.id,
                or_(table.c.last_name.is_(None), table.c.last_name == ""),
            )
            .values(sort_last_name=func.lower(_text(user.full_name)))
        )
        for loaded in list(session.identity_map.values()):
            if isinstance(loaded, Application) and loaded.student_id == user.id:
                session.expire(loaded, ["sort_last_name"])
    for application in (*session.new, *session.dirty):
        if not isinstance(application, Application):
            continue
        state = inspect(application)
        if not state.pending and not any(
            state.attrs[name].history.has_changes() for name in _NAME_ATTRIBUTES
        ):
            continue
        application.sort_last_name = sort_last_name_of(  # type: ignore[assignment]
            _text(application.last_name), _account_name(session, application)
        )
        application.sort_first_name = sort_first_name_of(  # type: ignore[assignment]
            _text(application.first_name)
        )


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
