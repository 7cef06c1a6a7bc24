"""Agreements: issue and re-issue (versions), in-app and paper signatures, reminders, the
préfecture submission, amendments (avenants) and the internship certificate.

Every PDF is rendered from a *snapshot*: a plain dict of everything the document shows, kept
with the document. Figures are computed by ``mnc_exchange.internship_law`` (presence hours,
legal minimum stipend), never typed. The law checks run when an agreement is issued and when
an amendment changes the terms.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from .. import internship_law as law
from ..accounts.models import Role, User
from ..applications import uploads
from ..applications.models import Application
from ..audit.services import record
from ..cohorts.models import Cohort
from ..core import signals
from ..core.errors import DomainError, TransitionRefused
from ..core.i18n import long_date
from ..core.timeutils import PARIS, utcnow
from ..extensions import db
from ..hosts.models import Company, Tutor
from ..mail.services import queue_email
from ..offers import law as offer_law
from ..offers.models import Offer
from ..placements.models import Placement, PlacementStatus
from ..selection.services import lock_cohort
from . import order as signing
from .models import (
    Agreement,
    AgreementDocument,
    DocumentKind,
    Party,
    PrefectureDecision,
    ReminderLog,
    Signature,
    SignatureMethod,
)

#: Every document is signed by these parties (the programme, MNC, signs too).
SIGNATORIES = (
    Party.student,
    Party.host,
    Party.tutor,
    Party.institution,
    Party.referent,
    Party.programme,
)
#: The internship certificate is delivered by the host (D124-9): the host alone signs it,
#: after confirming its figures; the programme prepares it and seals it after that signature.
CERTIFICATE_SIGNATORIES: tuple[Party, ...] = (Party.host,)

PARTY_LABELS = {
    Party.student: _l("Student"),
    Party.host: _l("Host company"),
    Party.tutor: _l("Tutor"),
    Party.institution: _l("Sending institution"),
    Party.referent: _l("Referent teacher"),
    Party.programme: _l("Programme (MNC)"),
}

#: What a party reads above the "Sign" button: one sentence per role (French needs "en tant
#: qu'étudiant", lower case and elided, which a label pasted into a sentence cannot give).
SIGN_AS = {
    Party.student: _l(
        "Read the PDF, then sign it as the student. Your name, the date and your connection's "
        "address are recorded."
    ),
    Party.host: _l(
        "Read the PDF, then sign it on behalf of the host company. Your name, the date and "
        "your connection's address are recorded."
    ),
}
SIGN_AS_OTHER = _l(
    "Read the PDF, then sign it. Your name, the date and your connection's address are recorded."
)

AMENDMENT_REASONS = {
    "dates": _l("Dates"),
    "tutor": _l("Tutor"),
    "stipend": _l("Stipend"),
    "place": _l("Place of the internship"),
    "interruption": _l("Interruption"),
    "early_end": _l("Early end"),
}

#: The terms whose change needs a new préfecture submission (``changes.MATERIAL_TERMS``).
CHANGE_LABELS = {
    "dates": _l("dates"),
    "hours": _l("hours"),
    "stipend": _l("stipend"),
    "host": _l("host company or place of work"),
    "activities": _l("activities or skills"),
}

STATUS_LABELS = {
    "issued": _l("Issued"),
    "partially_signed": _l("Partially signed"),
    "fully_signed": _l("Fully signed"),
    "superseded": _l("Superseded"),
}

PREFECTURE_LABELS = {
    "not_required": _l("Not required (3 months or less)"),
    "to_submit": _l("To submit"),
    "late": _l("To submit — less than 2 months before the start"),
    "submitted": _l("Submitted, awaiting the answer"),
    "stamped": _l("Stamped (approved)"),
    "refused": _l("Refused"),
    "silence": _l("No answer after 30 days: refused"),
}


def _code() -> str:
    """A verification code: 20 characters from an unambiguous alphabet."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(20))


# --- law checks ---------------------------------------------------------------------------------


def _running(
    company_id: int | None, tutor_id: int | None, start: date, end: date, exclude: int | None
):
    query = select(Agreement).join(Placement, Placement.id == Agreement.placement_id)
    query = query.where(Placement.status == PlacementStatus.confirmed)
    if exclude is not None:
        query = query.where(Agreement.id != exclude)
    if company_id is not None:
        query = query.join(Offer, Offer.id == Placement.offer_id).where(
            Offer.company_id == company_id
        )
    if tutor_id is not None:
        query = query.where(Agreement.tutor_id == tutor_id)
    query = query.where(Agreement.start_on <= end, Agreement.end_on >= start)
    return list(db.session.scalars(query))


def _effective_end(agreement: Agreement) -> date:
    return agreement.ended_on or agreement.end_on


@dataclass
class Terms:
    start_on: date
    end_on: date
    weekly_hours: Decimal
    daily_hours: Decimal
    monthly_stipend: Decimal
    tutor_id: int | None
    work_address: str
    work_city: str
    #: Days of leave (``None``: the leave rule L124-13 is not judged, e.g. an amendment that
    #: does not change the dates).
    leave_days: int | None = None


def check_terms(
    company: Company, terms: Terms, student_id: int, exclude: int | None, today: date | None
) -> law.LawReport:
    """The law checks with the real counts: the host's interns under agreement in the same
    weeks, the tutor's running agreements, the student's earlier hours at this host."""
    others = [
        a
        for a in _running(company.id, None, terms.start_on, terms.end_on, exclude)
        if _effective_end(a) >= terms.start_on
    ]
    peak = 0
    monday = terms.start_on - timedelta(days=terms.start_on.weekday())
    while monday <= terms.end_on:
        sunday = monday + timedelta(days=6)
        peak = max(
            peak,
            sum(1 for a in others if a.start_on <= sunday and _effective_end(a) >= monday),
        )
        monday += timedelta(days=7)
    tutor_load = 0
    if terms.tutor_id is not None:
        tutor_load = sum(
            1
            for a in _running(None, terms.tutor_id, terms.start_on, terms.start_on, exclude)
            if _effective_end(a) >= terms.start_on
        )
    # L124-5: earlier internships of the same student at the same host, same academic year
    # (1 September – 31 August).
    year_start = date(terms.start_on.year - (terms.start_on.month < 9), 9, 1)
    already = Decimal(0)
    for other in others + _running(company.id, None, year_start, terms.start_on, exclude):
        if other.placement.application.student_id == student_id and other.id != exclude:
            already += law.presence_hours(
                other.start_on, _effective_end(other), other.weekly_hours, other.daily_hours
            )
    return law.check_internship(
        law.InternshipTerms(
            start=terms.start_on,
            end=terms.end_on,
            weekly_hours=terms.weekly_hours,
            daily_hours=terms.daily_hours,
            monthly_stipend=terms.monthly_stipend,
            host_headcount=company.headcount,
            host_interns_in_same_week=peak,
            tutor_running_agreements=tutor_load,
            hours_already_at_host_this_academic_year=already,
            today=today,
            leave_days=terms.leave_days,
        )
    )


def _gate(report: law.LawReport) -> None:
    if not report.ok:
        raise TransitionRefused(
            _("French internship law refuses these terms: %(reasons)s")
            % {"reasons": "; ".join(offer_law.message(f) for f in report.violations)}
        )


# --- snapshot -----------------------------------------------------------------------------------


def _check_host_approved(company: Company) -> None:
    """Documents print the host's legal name and SIRET: refused while a new legal identity
    waits for the coordinators' approval (issued documents keep the identity they carry)."""
    if not company.is_approved:
        raise DomainError(
            _(
                "%(company)s waits for approval of its legal name or SIRET by a programme "
                "coordinator: approve the company before issuing an agreement document.",
                company=company.legal_name,
            )
        )


def _s(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return value


def build_snapshot(agreement: Agreement, today: date | None = None) -> dict[str, Any]:
    """Everything the agreement PDF shows, as JSON-ready values (computed figures included)."""
    placement = agreement.placement
    application: Application = placement.application
    offer: Offer = placement.offer
    company: Company = offer.company
    tutor: Tutor | None = agreement.tutor
    institution = application.institution
    hours = law.presence_hours(
        agreement.start_on, agreement.end_on, agreement.weekly_hours, agreement.daily_hours
    )
    report = check_terms(company, _terms_of(agreement), application.student_id, agreement.id, None)
    months = hours / (law.HOURS_PER_DAY * law.DAYS_PER_MONTH)
    total_stipend = (
        (agreement.monthly_stipend * months).quantize(Decimal("0.01"))
        if agreement.monthly_stipend
        else Decimal("0.00")
    )
    contact = next((c for c in company.contacts if c.active and not c.is_pending), None)
    # The ceiling actually used (next year's is provisionally the latest known one).
    ceiling_year = report.year
    provisional = any(w.message_key == "ceiling_provisional" for w in report.warnings)
    if provisional:
        ceiling_year = max(law.SOCIAL_SECURITY_HOURLY_CEILING)
    ceiling = law.SOCIAL_SECURITY_HOURLY_CEILING.get(ceiling_year) if ceiling_year else None
    return {
        "number": agreement.number,
        "cohort": {"year": agreement.cohort.year, "title": agreement.cohort.title},
        "student": {
            "first_name": application.first_name,
            "last_name": application.last_name,
            "gender": application.gender.value if application.gender else None,
            "birth_date": _s(application.birth_date),
            "cin": application.cin,
            "passport_number": application.passport_number,
            "email": application.student.email,
            "phone": application.phone,
            "programme": application.programme,
            "year_of_study": application.year_of_study,
        },
        "institution": {
            "name": institution.name if institution else "",
            "city": institution.city if institution else "",
            "address": institution.address if institution else "",
            "representative": institution.legal_representative if institution else "",
        },
        "referent": {"name": agreement.referent_name, "email": agreement.referent_email},
        "host": {
            "legal_name": company.legal_name,
            "siret": company.siret,
            "naf_code": company.naf_code,
            "address": company.address,
            "postcode": company.postcode,
            "city": company.city,
            "headcount": company.headcount,
            "representative": company.representative_name or (contact.full_name if contact else ""),
            "representative_title": company.representative_title or "",
        },
        "tutor": {
            "name": tutor.full_name if tutor else "",
            "job_title": tutor.job_title if tutor else "",
            "email": tutor.email if tutor else "",
            "phone": tutor.phone if tutor else "",
        },
        "offer": {
            "title": offer.title,
            "description": offer.description,
            "skills": offer.skills,
            "pole": offer.pole.value,
        },
        "terms": {
            "start_on": _s(agreement.start_on),
            "end_on": _s(agreement.end_on),
            "weekly_hours": _s(agreement.weekly_hours),
            "daily_hours": _s(agreement.daily_hours),
            "monthly_stipend": _s(agreement.monthly_stipend),
            "work_address": agreement.work_address,
            "work_city": agreement.work_city,
            "activities": agreement.activities,
            "skills_to_acquire": agreement.skills_to_acquire,
            "teaching_hours": agreement.teaching_hours,
            "leave_days": agreement.leave_days,
            "benefits": agreement.benefits,
        },
        "figures": {
            "presence_hours": _s(hours),
            "presence_days": _s((hours / law.HOURS_PER_DAY).quantize(Decimal("0.1"))),
            "months": _s(months.quantize(Decimal("0.01"))),
            "gratification_required": report.gratification_required,
            "hourly_minimum": _s(report.hourly_minimum),
            "monthly_minimum": _s(report.monthly_minimum),
            "minimum_total": _s(report.minimum_total),
            "total_stipend": _s(total_stipend),
            "long_stay": report.long_stay,
            "leave_required": report.leave_required,
            "prefecture_deadline": _s(report.prefecture_deadline),
            "law_year": report.year,
            "monthly_hours": _s(law.monthly_hours(agreement.weekly_hours)),
            "hourly_ceiling": _s(ceiling),
            "ceiling_year": ceiling_year,
            "ceiling_provisional": provisional,
        },
        # The legal constants the document quotes, as they stood when it was issued.
        "law": {
            "hours_per_day": law.HOURS_PER_DAY,
            "days_per_month": law.DAYS_PER_MONTH,
            "max_hours": law.MAX_HOURS_PER_HOST_PER_ACADEMIC_YEAR,
            "gratification_threshold_hours": law.GRATIFICATION_THRESHOLD_HOURS,
            "leave_threshold_hours": law.LEAVE_REQUIRED_ABOVE_HOURS,
            "gratification_rate_percent": _s(law.GRATIFICATION_RATE * 100),
            "max_daily_hours": _s(law.MAX_DAILY_HOURS),
            "max_weekly_hours": _s(law.MAX_WEEKLY_HOURS),
            "max_agreements_per_tutor": law.MAX_AGREEMENTS_PER_TUTOR,
            "prefecture_answer_days": law.PREFECTURE_ANSWER_DAYS,
            "min_monthly_resources": _s(law.MIN_MONTHLY_RESOURCES_NON_EU),
        },
        "generated_on": _s(today or date.today()),
    }


def _terms_of(agreement: Agreement) -> Terms:
    return Terms(
        agreement.start_on,
        agreement.end_on,
        agreement.weekly_hours,
        agreement.daily_hours,
        agreement.monthly_stipend,
        agreement.tutor_id,
        agreement.work_address,
        agreement.work_city,
        agreement.leave_days,
    )


# --- rendering ----------------------------------------------------------------------------------


def render(kind: DocumentKind, snapshot: dict, reference: str, code: str, verify_url: str) -> bytes:
    """Render one document to PDF (French; the agreement has an English summary annex)."""
    from ..core.pdf import render_pdf

    return render_pdf(render_html(kind, snapshot, reference, code, verify_url))


def render_html(
    kind: DocumentKind, snapshot: dict, reference: str, code: str, verify_url: str
) -> str:
    """The complete HTML of one document, as :func:`render` lays it out."""
    from flask import render_template
    from flask_babel import force_locale

    from ..core.pdf import FONT_FACES
    from .qr import qr_data_uri

    template = {
        DocumentKind.agreement: "pdf/agreement.html",
        DocumentKind.amendment: "pdf/amendment.html",
        DocumentKind.certificate: "pdf/certificate.html",
    }[kind]
    with force_locale("fr"):
        return render_template(
            template,
            s=snapshot,
            reference=reference,
            code=code,
            verify_url=verify_url,
            qr=qr_data_uri(verify_url),
            font_faces=FONT_FACES,
        )


def _verify_url(code: str) -> str:
    from ..templating import external_url

    return external_url("verify.check", code=code)


def _next_version(agreement: Agreement, kind: DocumentKind) -> int:
    """The number of the next document of ``kind`` of the agreement (1 for the first)."""
    latest = db.session.scalar(
        select(func.max(AgreementDocument.version)).where(
            AgreementDocument.agreement_id == agreement.id, AgreementDocument.kind == kind
        )
    )
    return (latest or 0) + 1


def _store_document(
    agreement: Agreement,
    kind: DocumentKind,
    version: int,
    reference: str,
    snapshot: dict,
    actor: User | None,
    reasons: list[str] | None = None,
) -> AgreementDocument:
    code = _code()
    document = AgreementDocument(
        agreement_id=agreement.id,
        kind=kind,
        version=version,
        reference=reference,
        reasons=reasons or [],
        snapshot=snapshot,
        verification_code=code,
        issued_by_id=actor.id if actor else None,
    )
    batch = _batch.get()
    if batch is not None and kind is DocumentKind.agreement:
        # Laid out with the rest of the batch (see issue_many); the file is set before the commit.
        document.stored_name, document.sha256, document.size = "", "", 0
        html = render_html(kind, snapshot, reference, code, _verify_url(code))
        batch.append((document, html, agreement.cohort.year))
    else:
        data = render(kind, snapshot, reference, code, _verify_url(code))
        _set_file(document, data, agreement.cohort.year)
    db.session.add(document)
    db.session.flush()
    if not signatories(document):
        finalise(document)  # nothing to sign (the certificate): final at once
    return document


def _store_pdf(reference: str, data: bytes, year: int) -> tuple[str, str]:
    """Store a PDF of the document ``reference`` in the cohort's folder: (stored name, SHA-256)."""
    digest = hashlib.sha256(data).hexdigest()
    checked = uploads.CheckedUpload(
        data=data,
        original_name=f"{reference}.pdf",
        content_type="application/pdf",
        extension="pdf",
        sha256=digest,
    )
    return uploads.store(checked, f"agreements/{year}"), digest


def _set_file(document: AgreementDocument, data: bytes, year: int) -> None:
    """Store a document's rendered PDF and note its name, SHA-256 and size."""
    document.stored_name, document.sha256 = _store_pdf(document.reference, data, year)
    document.size = len(data)


#: The documents of a batch (``issue_many``) waiting for their PDF, with their HTML.
_batch: ContextVar[list[tuple[AgreementDocument, str, int]] | None] = ContextVar(
    "agreement_batch", default=None
)


# --- issue and re-issue -------------------------------------------------------------------------


@dataclass
class IssueInput:
    referent_name: str
    referent_email: str
    activities: str
    skills_to_acquire: str
    teaching_hours: int = 0
    #: ``None``: the offer's days of leave.
    leave_days: int | None = None
    benefits: str = ""
    work_address: str | None = None


def agreement_for(placement: Placement) -> Agreement | None:
    return db.session.scalar(select(Agreement).where(Agreement.placement_id == placement.id))


def issue(
    placement: Placement, data: IssueInput, actor: User, today: date | None = None
) -> AgreementDocument:
    """Create the agreement of a confirmed placement and its version 1."""
    if placement.status is not PlacementStatus.confirmed:
        raise DomainError(_("Only a placement confirmed by the company gets an agreement."))
    if agreement_for(placement) is not None:
        raise DomainError(_("This placement already has an agreement: issue a new version."))
    if placement.application.institution is None:
        raise DomainError(_("The student's file names no sending institution."))
    _check_host_approved(placement.offer.company)
    cohort: Cohort = placement.cohort
    lock_cohort(cohort)
    sequence = (
        db.session.scalar(
            select(func.max(Agreement.sequence)).where(Agreement.cohort_id == cohort.id)
        )
        or 0
    ) + 1
    offer = placement.offer
    agreement = Agreement(
        cohort_id=cohort.id,
        placement_id=placement.id,
        sequence=sequence,
        number=f"MNC-{cohort.year}-{sequence:03d}",
        start_on=offer.start_on,
        end_on=offer.end_on,
        weekly_hours=offer.weekly_hours,
        daily_hours=offer.daily_hours,
        monthly_stipend=offer.monthly_stipend,
        tutor_id=offer.tutor_id,
        work_address=(data.work_address or "").strip()
        or f"{offer.company.address}, {offer.company.postcode} {offer.company.city}",
        work_city=offer.city,
        leave_days=offer.leave_days,
    )
    agreement.placement = placement
    agreement.cohort = cohort
    _apply_issue_input(agreement, data)
    report = check_terms(
        offer.company, _terms_of(agreement), placement.application.student_id, None, today
    )
    _gate(report)
    agreement.prefecture_required = report.long_stay
    db.session.add(agreement)
    db.session.flush()
    document = _store_document(
        agreement,
        DocumentKind.agreement,
        1,
        agreement.number,
        build_snapshot(agreement, today),
        actor,
    )
    record("agreement.issue", agreement, {"number": agreement.number, "version": 1}, actor=actor)
    _notify_issued(document)
    return document


class BatchRefused(DomainError):
    """A batch was refused as a whole; ``refusals`` lists each placement refused and why."""

    def __init__(self, refusals: list[tuple[str, str]]) -> None:
        super().__init__(
            ngettext(
                "%(num)d agreement cannot be issued: nothing was issued.",
                "%(num)d agreements cannot be issued: nothing was issued.",
                len(refusals),
            )
        )
        self.refusals = refusals


def issue_many(
    placements: list[Placement],
    input_for: Callable[[Placement], IssueInput],
    actor: User,
    today: date | None = None,
    workers: int = 1,
) -> list[AgreementDocument]:
    """Issue the agreements of several confirmed placements, all or nothing.

    Each placement goes through :func:`issue` (same checks, numbers, audit and e-mails); their
    PDFs are laid out together at the end, in ``workers`` processes, and stored before the
    caller commits. If any placement is refused, the session is rolled back and
    :class:`BatchRefused` lists every refused placement (``(student, reason)``).
    """
    from ..core.pdf import render_pdfs

    pending: list[tuple[AgreementDocument, str, int]] = []
    refusals: list[tuple[str, str]] = []
    issued: list[AgreementDocument] = []
    # Every PDF waits for the end (none is stored for a batch that a refusal rolls back).
    token = _batch.set(pending)
    try:
        for placement in placements:
            application = placement.application
            who = f"{application.first_name} {application.last_name}"
            try:
                issued.append(issue(placement, input_for(placement), actor, today))
            except DomainError as exc:
                # What was written is useless now: go on only to list every refusal.
                refusals.append((who, exc.message))
                db.session.rollback()
                pending.clear()
    finally:
        _batch.reset(token)
    if refusals:
        db.session.rollback()
        raise BatchRefused(refusals)
    htmls = [html for _document, html, _year in pending]
    for (document, _html, year), data in zip(pending, render_pdfs(htmls, workers), strict=True):
        _set_file(document, data, year)
    db.session.flush()
    return issued


def _apply_issue_input(agreement: Agreement, data: IssueInput) -> None:
    if not data.referent_name.strip() or not data.referent_email.strip():
        raise DomainError(_("Name the referent teacher and give their e-mail address."))
    if data.teaching_hours < 0 or (data.leave_days is not None and data.leave_days < 0):
        raise DomainError(_("Hours and days cannot be negative."))
    agreement.referent_name = data.referent_name.strip()
    agreement.referent_email = data.referent_email.strip().lower()
    agreement.activities = data.activities.strip()
    agreement.skills_to_acquire = data.skills_to_acquire.strip()
    agreement.teaching_hours = data.teaching_hours
    if data.leave_days is not None:
        agreement.leave_days = data.leave_days
    agreement.benefits = data.benefits.strip()
    if data.work_address and data.work_address.strip():
        agreement.work_address = data.work_address.strip()


def current_document(agreement: Agreement) -> AgreementDocument | None:
    """The agreement's version in force (not superseded)."""
    return db.session.scalar(
        select(AgreementDocument).where(
            AgreementDocument.agreement_id == agreement.id,
            AgreementDocument.kind == DocumentKind.agreement,
            AgreementDocument.superseded_at.is_(None),
        )
    )


def reissue_refusal(agreement: Agreement, today: date | None = None) -> str | None:
    """Why a new version of ``agreement`` makes no sense now (None when it does): once the
    internship is over, or its certificate issued, the signed agreement is a record of what
    happened and stays in force; amendments and the certificate say what followed."""
    today = today or date.today()
    end = agreement.ended_on or agreement.end_on
    certificate = db.session.scalar(
        select(AgreementDocument.id).where(
            AgreementDocument.agreement_id == agreement.id,
            AgreementDocument.kind == DocumentKind.certificate,
        )
    )
    if certificate is not None or today > end:
        return _(
            "The internship ended on %(date)s: its agreement can no longer be replaced by a "
            "new version.",
            date=long_date(end),
        )
    if agreement.placement.status is not PlacementStatus.confirmed:
        return _("The placement of this agreement is no longer confirmed: it gets no new version.")
    return None


def reissue(
    agreement: Agreement,
    data: IssueInput,
    actor: User,
    today: date | None = None,
    reason: str = "",
) -> AgreementDocument:
    """A change of the agreement's own data: a new version supersedes the previous one (its
    signatures do not carry over). ``reason`` is kept in the audit."""
    refusal = reissue_refusal(agreement, today)
    if refusal is not None:
        raise DomainError(refusal)
    company = agreement.placement.offer.company
    _check_host_approved(company)
    _apply_issue_input(agreement, data)
    report = check_terms(
        company,
        _terms_of(agreement),
        agreement.placement.application.student_id,
        agreement.id,
        today,
    )
    _gate(report)
    previous = current_document(agreement)
    baseline = latest_terms_document(agreement)
    version = _next_version(agreement, DocumentKind.agreement)
    if previous is not None:
        previous.superseded_at = utcnow()
    reference = f"{agreement.number} v{version}"
    snapshot = build_snapshot(agreement, today)
    snapshot["changes"] = _prefecture_after_change(agreement, baseline, snapshot, reference, actor)
    document = _store_document(
        agreement,
        DocumentKind.agreement,
        version,
        reference,
        snapshot,
        actor,
    )
    details: dict = {
        "version": version,
        "changes": snapshot["changes"]["terms"],
        "prefecture": snapshot["changes"]["prefecture"],
    }
    if reason.strip():
        details["reason"] = reason.strip()
    record("agreement.reissue", agreement, details, actor=actor)
    _notify_issued(document)
    return document


def latest_terms_document(agreement: Agreement) -> AgreementDocument | None:
    """The latest document in force that states the terms (an agreement version or an
    amendment; not the certificate): what a new version or amendment is compared with."""
    return db.session.scalar(
        select(AgreementDocument)
        .where(
            AgreementDocument.agreement_id == agreement.id,
            AgreementDocument.kind != DocumentKind.certificate,
            AgreementDocument.superseded_at.is_(None),
        )
        .order_by(AgreementDocument.id.desc())
        .limit(1)
    )


def _prefecture_after_change(
    agreement: Agreement,
    baseline: AgreementDocument | None,
    snapshot: dict[str, Any],
    reference: str,
    actor: User | None,
    ignore: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Compare the new document's snapshot with ``baseline``'s (``changes.material_changes``):
    a change of dates, hours, stipend, host or activities needs a new préfecture submission
    (the answer on the previous version does not carry over: it is cleared, and kept in the
    returned record and the audit log); a correction that changes none of these keeps it.
    Returns the ``changes`` part of the new snapshot, whose ``prefecture`` says which:
    "new_submission", "kept" or "not_required"."""
    from .changes import material_changes

    terms = []
    if baseline is not None:
        terms = [t for t in material_changes(baseline.snapshot or {}, snapshot) if t not in ignore]
    previous = None
    if not agreement.prefecture_required:
        outcome = "not_required"
    elif not terms:
        outcome = "kept"
    else:
        outcome = "new_submission"
        if (
            agreement.prefecture_submitted_on is not None
            or agreement.prefecture_decision is not PrefectureDecision.pending
        ):
            previous = {
                "reference": baseline.reference if baseline else None,
                "submitted_on": _s(agreement.prefecture_submitted_on),
                "decision": agreement.prefecture_decision.value,
                "decided_on": _s(agreement.prefecture_decided_on),
            }
        agreement.prefecture_submitted_on = None
        agreement.prefecture_decision = PrefectureDecision.pending
        agreement.prefecture_decided_on = None
    changes = {
        "since": baseline.reference if baseline else None,
        "terms": terms,
        "prefecture": outcome,
        "previous_prefecture": previous,
    }
    if agreement.prefecture_required:
        record(
            "agreement.prefecture_basis",
            agreement,
            {"reference": reference, **changes},
            actor=actor,
        )
    return changes


def prefecture_basis(agreement: Agreement) -> tuple[AgreementDocument | None, dict[str, Any]]:
    """The latest document in force that says whether the préfecture's answer carries over,
    and what it says (``{}`` when no new version or amendment has been compared yet)."""
    document = latest_terms_document(agreement)
    if document is None:
        return None, {}
    return document, (document.snapshot or {}).get("changes") or {}


def _student(agreement: Agreement) -> User:
    return agreement.placement.application.student


def _host_contacts(agreement: Agreement) -> list[User]:
    return [
        c
        for c in agreement.placement.offer.company.contacts
        if c.active and not c.is_pending and c.role is Role.host
    ]


def _notify_issued(document: AgreementDocument) -> None:
    agreement = document.agreement
    awaited = awaited_parties(document)
    for party, users in (
        (Party.student, [_student(agreement)]),
        (Party.host, _host_contacts(agreement)),
    ):
        for user in users:
            queue_email(
                user.email,
                "agreement_issued",
                user.locale,
                document=document,
                user=user,
                later=party not in awaited,
            )


# --- signatures ---------------------------------------------------------------------------------


def signatories(document: AgreementDocument) -> tuple[Party, ...]:
    if document.kind is not DocumentKind.certificate:
        return SIGNATORIES
    return CERTIFICATE_SIGNATORIES if is_host_certificate(document) else ()


def signed_parties(
    document: AgreementDocument, signed: Mapping[int, set[Party]] | None = None
) -> set[Party]:
    """The parties that signed ``document``: read from its signatures, or from ``signed``
    (document id → parties, see :func:`parties_signed`) when a list gave them."""
    if signed is not None:
        return signed.get(document.id, set())
    return {s.party for s in document.signatures}


def parties_signed(document_ids: list[int]) -> dict[int, set[Party]]:
    """The parties that signed each of these documents, in one query of two columns (a list
    page needs no signature loaded)."""
    signed: dict[int, set[Party]] = {}
    if not document_ids:
        return signed
    for document_id, party in db.session.execute(
        select(Signature.document_id, Signature.party).where(
            Signature.document_id.in_(document_ids)
        )
    ):
        signed.setdefault(document_id, set()).add(party)
    return signed


def status(document: AgreementDocument, signed: Mapping[int, set[Party]] | None = None) -> str:
    """issued → partially_signed → fully_signed (derived from the signatures); superseded."""
    if document.superseded_at is not None:
        return "superseded"
    needed = set(signatories(document))
    parties = signed_parties(document, signed)
    if not needed or needed <= parties:
        return "fully_signed"
    return "partially_signed" if parties & needed else "issued"


def missing_parties(
    document: AgreementDocument, signed: Mapping[int, set[Party]] | None = None
) -> list[Party]:
    parties = signed_parties(document, signed)
    return [p for p in signatories(document) if p not in parties]


def signing_order(document: AgreementDocument) -> list[tuple[Party, ...]]:
    """The stages in which the document's parties sign (``AGREEMENT_SIGNING_ORDER``)."""
    order = signing.parse_signing_order(current_app.config["AGREEMENT_SIGNING_ORDER"])
    return signing.stages_for(order, signatories(document))


def awaited_parties(
    document: AgreementDocument, signed: Mapping[int, set[Party]] | None = None
) -> list[Party]:
    """The parties whose turn it is to sign (none once fully signed or superseded)."""
    if document.superseded_at is not None:
        return []
    return signing.awaited(signing_order(document), signed_parties(document, signed))


def party_of(user: User, agreement: Agreement) -> Party | None:
    """Which party the logged-in user is for this agreement (student or host), if any."""
    if user.role is Role.student and _student(agreement).id == user.id:
        return Party.student
    if (
        user.role is Role.host
        and not user.is_pending
        and user.company_id == agreement.placement.offer.company_id
    ):
        return Party.host
    return None


def _check_signable(document: AgreementDocument, party: Party) -> None:
    if document.superseded_at is not None:
        raise TransitionRefused(_("This version has been superseded: sign the current one."))
    if party not in signatories(document):
        raise TransitionRefused(_("This document has no signature for this party."))
    if any(s.party is party for s in document.signatures):
        raise TransitionRefused(
            _("%(party)s has already signed this document.", party=PARTY_LABELS[party])
        )
    awaited = awaited_parties(document)
    if party not in awaited:
        raise TransitionRefused(
            _(
                "Not yet: %(party)s signs after %(awaited)s, whose signature is awaited first.",
                party=PARTY_LABELS[party],
                awaited=", ".join(str(PARTY_LABELS[p]) for p in awaited),
            )
        )


def _clean_delegation(capacity: str | None, on_behalf_of: str | None) -> tuple[str, str]:
    capacity = " ".join((capacity or "").split())[:200]
    on_behalf_of = " ".join((on_behalf_of or "").split())[:200]
    if on_behalf_of and not capacity:
        raise DomainError(_("Give the signer's capacity when they sign on behalf of someone."))
    return capacity, on_behalf_of


def sign_in_app(
    document: AgreementDocument,
    user: User,
    ip_address: str | None = None,
    capacity: str | None = None,
    on_behalf_of: str | None = None,
    at: datetime | None = None,
) -> None:
    """The logged-in student or host contact acknowledges and signs; a host contact may give
    their capacity and sign on behalf of a named person of the company (delegation). ``at``:
    the moment (now; the demo data set past ones)."""
    party = party_of(user, document.agreement)
    if party is None:
        raise TransitionRefused(_("You are not a party to this agreement."))
    _check_signable(document, party)
    if party is Party.student:
        capacity, on_behalf_of = "", ""
    capacity, on_behalf_of = _clean_delegation(capacity, on_behalf_of)
    now = at or utcnow()
    signature = Signature(
        document_id=document.id,
        party=party,
        method=SignatureMethod.in_app,
        signer_name=user.full_name,
        user_id=user.id,
        ip_address=(ip_address or "")[:45] or None,
        signer_capacity=capacity or None,
        on_behalf_of=on_behalf_of or None,
        signed_at=now,
        recorded_at=now,
    )
    db.session.add(signature)
    document.signatures.append(signature)
    record(
        "agreement.sign",
        document,
        {"party": party.value, "method": "in_app", "reference": document.reference},
        actor=user,
    )
    _after_signature(document, now)


def record_paper_signature(
    document: AgreementDocument,
    party: Party,
    signer_name: str,
    scan: uploads.CheckedUpload,
    actor: User,
    signed_on: date | None = None,
    capacity: str | None = None,
    on_behalf_of: str | None = None,
    at: datetime | None = None,
) -> None:
    """A coordinator records a signature made on paper, with the signed scan (PDF or image),
    the signer's capacity and, for a delegation, whom they signed for. ``at``: when it is
    recorded (now; the demo data set past ones)."""
    if not signer_name.strip():
        raise DomainError(_("Give the name of the person who signed."))
    _check_signable(document, party)
    capacity, on_behalf_of = _clean_delegation(capacity, on_behalf_of)
    stored = uploads.store(scan, f"agreements/{document.agreement.cohort.year}/scans")
    signature = Signature(
        document_id=document.id,
        party=party,
        method=SignatureMethod.paper,
        signer_name=signer_name.strip(),
        recorded_by_id=actor.id,
        scan_stored_name=stored,
        scan_sha256=scan.sha256,
        signer_capacity=capacity or None,
        on_behalf_of=on_behalf_of or None,
        recorded_at=at or utcnow(),
    )
    if signed_on is not None:
        if signed_on > date.today():
            raise DomainError(_("The signature date cannot be in the future."))
        signature.signed_at = datetime.combine(signed_on, time(12), tzinfo=PARIS)
    db.session.add(signature)
    document.signatures.append(signature)
    record(
        "agreement.sign",
        document,
        {"party": party.value, "method": "paper", "reference": document.reference},
        actor=actor,
    )
    _after_signature(document, signature.recorded_at)


def _after_signature(document: AgreementDocument, now: datetime | None = None) -> None:
    db.session.flush()
    if status(document) == "fully_signed":
        record("agreement.fully_signed", document, {"reference": document.reference})
        finalise(document, now)


# --- the final version ----------------------------------------------------------------------------


def _seal_reason(document: AgreementDocument) -> str:
    if document.kind is DocumentKind.certificate:
        host = ((document.snapshot or {}).get("host") or {}).get("legal_name") or "l’organisme"
        if is_host_certificate(document):
            return (
                f"Attestation de stage {document.reference} délivrée et signée par {host}, "
                "scellée par le programme MNC"
            )
        return f"Attestation de stage {document.reference} établie par le programme MNC"
    return f"Version définitive de {document.reference}, signée par toutes les parties"


def finalise(document: AgreementDocument, now: datetime | None = None) -> bool:
    """Produce the final version of a fully signed document: the same content with every
    signature printed and the signature record, sealed with the programme's certificate.

    Without a usable seal, the production configuration produces nothing (an error is logged;
    ``flask seal finalise`` catches up once the seal is configured) and the others produce an
    unsealed final version with a logged warning. Returns whether a final version was made."""
    from ..core import seal as seals
    from .record import build_record

    if document.final_stored_name is not None:
        return False
    production = current_app.config.get("ENV_NAME") == "production"
    try:
        identity = seals.load_seal()
    except seals.SealUnavailable as exc:
        identity = None
        if production:
            current_app.logger.error(
                "No final version of %s: the programme's seal is unavailable (%s).",
                document.reference,
                exc,
            )
            return False
        current_app.logger.warning(
            "The final version of %s is not sealed: %s.", document.reference, exc
        )
    now = now or utcnow()
    recorder_ids = {s.recorded_by_id for s in document.signatures if s.recorded_by_id}
    recorders = {
        user.id: user.full_name
        for user in (db.session.get(User, uid) for uid in recorder_ids)
        if user is not None
    }
    final = build_record(
        document,
        signing_order(document),
        now,
        identity.subject if identity else None,
        recorders,
    )
    data = render(
        document.kind,
        {**(document.snapshot or {}), "final": final},
        document.reference,
        document.verification_code,
        _verify_url(document.verification_code),
    )
    sealed = False
    if identity is not None:
        try:
            data = seals.seal_pdf(data, _seal_reason(document))
            sealed = True
        except Exception:  # noqa: BLE001 - pyHanko can fail in many ways; never half-seal
            current_app.logger.exception("Sealing %s failed.", document.reference)
            if production:
                return False
    document.final_stored_name, digest = _store_pdf(
        document.reference, data, document.agreement.cohort.year
    )
    document.final_sha256 = digest
    document.final_size = len(data)
    document.finalised_at = now
    document.sealed = sealed
    record(
        "agreement.finalised",
        document,
        {"reference": document.reference, "sha256": digest, "sealed": sealed},
    )
    return True


def finalise_pending() -> tuple[int, int]:
    """Final versions of the fully signed documents that have none (after the seal was
    configured, or the upgrade). Returns (made, still missing)."""
    documents = db.session.scalars(
        select(AgreementDocument)
        .options(joinedload(AgreementDocument.signatures))
        .where(AgreementDocument.final_stored_name.is_(None))
        .order_by(AgreementDocument.id)
    ).unique()
    made = missing = 0
    for document in documents:
        signed = {s.party for s in document.signatures}
        if not set(signatories(document)) <= signed:
            continue
        if finalise(document):
            made += 1
        else:
            missing += 1
    return made, missing


def file_to_serve(document: AgreementDocument, which: str = "final"):
    """The final version's file when there is one (unless ``which`` is "signed"), else the
    version issued for signature."""
    if which != "signed" and document.final_stored_name:
        return uploads.path_of(document.final_stored_name)
    return uploads.path_of(document.stored_name)


def _party_emails(agreement: Agreement, party: Party) -> list[tuple[str, str]]:
    """(e-mail, locale) of whoever signs for ``party`` and can be reminded by e-mail."""
    if party is Party.student:
        student = _student(agreement)
        return [(student.email, student.locale)]
    if party is Party.host:
        return [(c.email, c.locale) for c in _host_contacts(agreement)]
    if party is Party.tutor and agreement.tutor is not None:
        return [(agreement.tutor.email, "fr")]
    if party is Party.referent:
        return [(agreement.referent_email, "fr")]
    return []


def send_reminders(today: date | None = None) -> int:
    """Remind the parties whose signature is awaited on the current documents (in the signing
    order; one e-mail per party and document a day at most). For a scheduler, daily. Returns
    the number of e-mails queued."""
    today = today or date.today()
    documents = db.session.scalars(
        select(AgreementDocument)
        .options(joinedload(AgreementDocument.signatures))
        .where(
            AgreementDocument.superseded_at.is_(None),
            AgreementDocument.kind != DocumentKind.certificate,
        )
    ).unique()
    already = set(
        db.session.execute(
            select(ReminderLog.document_id, ReminderLog.party).where(ReminderLog.sent_on == today)
        ).all()
    )
    sent = 0
    for document in documents:
        for party in awaited_parties(document):
            if (document.id, party) in already:
                continue
            recipients = _party_emails(document.agreement, party)
            if not recipients:
                continue
            for email, locale in recipients:
                queue_email(
                    email,
                    "agreement_reminder",
                    locale,
                    document=document,
                    party_label=PARTY_LABELS[party],
                )
                sent += 1
            db.session.add(ReminderLog(document_id=document.id, party=party, sent_on=today))
    return sent


# --- préfecture -----------------------------------------------------------------------------------


def prefecture_state(agreement: Agreement, today: date | None = None) -> str:
    """One of PREFECTURE_LABELS' keys."""
    today = today or date.today()
    if not agreement.prefecture_required:
        return "not_required"
    if agreement.prefecture_decision is PrefectureDecision.stamped:
        return "stamped"
    if agreement.prefecture_decision is PrefectureDecision.refused:
        return "refused"
    if agreement.prefecture_submitted_on is None:
        deadline = law.add_months(agreement.start_on, -law.PREFECTURE_NOTICE_MONTHS)
        return "late" if today > deadline else "to_submit"
    if today > agreement.prefecture_submitted_on + timedelta(days=law.PREFECTURE_ANSWER_DAYS):
        return "silence"
    return "submitted"


#: Préfecture states that wait for a step: the submission, or the préfecture's answer.
PREFECTURE_WAITING = ("to_submit", "late", "submitted")

#: What an agreement may wait for (the list's ``?awaiting=`` and the coordinators' to-do list).
WAITING_FOR = ("signatures", "prefecture")


def waiting_for(agreement: Agreement, today: date | None = None) -> set[str]:
    """What ``agreement`` (its documents and signatures loaded) waits for: ``signatures`` when
    its version in force or an amendment lacks a party's signature, ``prefecture`` when it must
    still be submitted to the préfecture or the answer is awaited."""
    waiting = set()
    if any(
        missing_parties(d)
        for d in agreement.documents
        if d.kind is not DocumentKind.certificate and d.superseded_at is None
    ):
        waiting.add("signatures")
    if prefecture_state(agreement, today) in PREFECTURE_WAITING:
        waiting.add("prefecture")
    return waiting


def prefecture_alert(agreement: Agreement, today: date | None = None) -> bool:
    """Start less than 2 months away and nothing submitted."""
    return prefecture_state(agreement, today) == "late"


def record_prefecture(
    agreement: Agreement,
    submitted_on: date | None,
    decision: PrefectureDecision,
    decided_on: date | None,
    note: str | None,
    actor: User,
) -> None:
    if not agreement.prefecture_required:
        raise DomainError(
            _("This internship lasts 3 months or less: no préfecture submission is needed.")
        )
    today = date.today()
    if submitted_on and submitted_on > today:
        raise DomainError(_("The submission date cannot be in the future."))
    if decision is not PrefectureDecision.pending:
        if submitted_on is None:
            raise DomainError(_("A decision needs the submission date first."))
        if decided_on is None:
            raise DomainError(_("Give the date of the decision."))
        if decided_on < submitted_on or decided_on > today:
            raise DomainError(_("The decision date must be between the submission and today."))
    agreement.prefecture_submitted_on = submitted_on
    agreement.prefecture_decision = decision
    agreement.prefecture_decided_on = (
        decided_on if decision is not PrefectureDecision.pending else None
    )
    agreement.prefecture_note = (note or "").strip()[:500] or None
    record(
        "agreement.prefecture",
        agreement,
        {
            "submitted_on": _s(submitted_on),
            "decision": decision.value,
            "decided_on": _s(decided_on),
        },
        actor=actor,
    )


# --- amendments -----------------------------------------------------------------------------------


@dataclass
class AmendmentInput:
    reasons: list[str]
    start_on: date | None = None
    end_on: date | None = None
    tutor_id: int | None = None
    monthly_stipend: Decimal | None = None
    work_address: str | None = None
    work_city: str | None = None
    interruption_from: date | None = None
    interruption_to: date | None = None
    early_end_on: date | None = None
    explanation: str = ""
    changes: dict[str, Any] = field(default_factory=dict)


def amend(
    agreement: Agreement, data: AmendmentInput, actor: User, today: date | None = None
) -> AgreementDocument:
    """A numbered amendment: new terms checked again by the law, then its own PDF."""
    _check_host_approved(agreement.placement.offer.company)
    reasons = [r for r in data.reasons if r in AMENDMENT_REASONS]
    if not reasons or len(reasons) != len(data.reasons):
        raise DomainError(_("Choose at least one reason for the amendment."))
    if not data.explanation.strip():
        raise DomainError(_("Explain the amendment in a sentence or two."))
    terms = _terms_of(agreement)
    if "dates" not in reasons:
        # L124-13 is judged when the length changes (an early end only shortens it).
        terms.leave_days = None
    before = {k: _s(v) for k, v in vars(terms).items() if k != "leave_days"}
    before["tutor_name"] = agreement.tutor.full_name if agreement.tutor else ""
    if "dates" in reasons:
        if data.start_on is None or data.end_on is None:
            raise DomainError(_("Give the new start and end dates."))
        terms.start_on, terms.end_on = data.start_on, data.end_on
    if "tutor" in reasons:
        tutor = db.session.get(Tutor, data.tutor_id) if data.tutor_id else None
        if tutor is None or tutor.company_id != agreement.placement.offer.company_id:
            raise DomainError(_("Choose one of the host company's tutors."))
        terms.tutor_id = tutor.id
    if "stipend" in reasons:
        if data.monthly_stipend is None or data.monthly_stipend < 0:
            raise DomainError(_("Give the new monthly stipend."))
        terms.monthly_stipend = data.monthly_stipend
    if "place" in reasons:
        if not (data.work_address or "").strip() or not (data.work_city or "").strip():
            raise DomainError(_("Give the new address and city."))
        terms.work_address, terms.work_city = data.work_address.strip(), data.work_city.strip()
    extra: dict[str, Any] = {}
    if "interruption" in reasons:
        if data.interruption_from is None or data.interruption_to is None:
            raise DomainError(_("Give the interruption's first and last days."))
        if not terms.start_on <= data.interruption_from <= data.interruption_to <= terms.end_on:
            raise DomainError(_("The interruption must fall within the internship."))
        extra["interruption"] = [_s(data.interruption_from), _s(data.interruption_to)]
    if "early_end" in reasons:
        if data.early_end_on is None or not terms.start_on <= data.early_end_on < terms.end_on:
            raise DomainError(_("The early end date must fall within the internship."))
        terms.end_on = data.early_end_on
        extra["early_end_on"] = _s(data.early_end_on)
    report = check_terms(
        agreement.placement.offer.company,
        terms,
        agreement.placement.application.student_id,
        agreement.id,
        # Dates already agreed may be in the past: the préfecture deadline is judged only
        # when the dates change.
        today if "dates" in reasons else None,
    )
    _gate(report)
    baseline = latest_terms_document(agreement)
    agreement.start_on, agreement.end_on = terms.start_on, terms.end_on
    agreement.tutor_id = terms.tutor_id
    agreement.monthly_stipend = terms.monthly_stipend
    agreement.work_address, agreement.work_city = terms.work_address, terms.work_city
    if "early_end" in reasons:
        agreement.ended_on = data.early_end_on
    agreement.prefecture_required = agreement.prefecture_required or report.long_stay
    db.session.flush()
    db.session.refresh(agreement, ["tutor"])
    number = _next_version(agreement, DocumentKind.amendment)
    snapshot = build_snapshot(agreement, today)
    # An early end only shortens the stay the préfecture approved: no new submission for it.
    snapshot["changes"] = _prefecture_after_change(
        agreement,
        baseline,
        snapshot,
        f"{agreement.number}-A{number}",
        actor,
        ignore=() if "dates" in reasons else ("dates",),
    )
    snapshot["amendment"] = {
        "number": number,
        "reasons": reasons,
        "before": before,
        "after": {
            **{k: _s(v) for k, v in vars(terms).items() if k != "leave_days"},
            "tutor_name": agreement.tutor.full_name if agreement.tutor else "",
        },
        "explanation": data.explanation.strip(),
        **extra,
    }
    document = _store_document(
        agreement,
        DocumentKind.amendment,
        number,
        f"{agreement.number}-A{number}",
        snapshot,
        actor,
        reasons,
    )
    record("agreement.amend", agreement, {"amendment": number, "reasons": reasons}, actor=actor)
    signals.agreement_amended.send(agreement)  # the follow-up moves the checklist's dates
    _notify_issued(document)
    return document


# --- the internship certificate -------------------------------------------------------------------


@dataclass
class CertificateFigures:
    """What the internship certificate attests (D124-9): the effective dates and hours of
    presence and the total stipend actually paid."""

    start_on: date
    end_on: date
    presence_hours: Decimal
    total_stipend_paid: Decimal


#: The certificate's hours and amounts are stored to the hundredth.
_CENTS = Decimal("0.01")


def is_host_certificate(document: AgreementDocument) -> bool:
    """A certificate delivered by the host (confirmed and signed by it); certificates issued
    before that rule were final at once and stay as they are."""
    return (
        document.kind is DocumentKind.certificate
        and ((document.snapshot or {}).get("certificate") or {}).get("delivered_by") == "host"
    )


def certificate_figures(document: AgreementDocument) -> CertificateFigures:
    c = (document.snapshot or {}).get("certificate") or {}
    return CertificateFigures(
        start_on=date.fromisoformat(c["start_on"]),
        end_on=date.fromisoformat(c["end_on"]),
        presence_hours=Decimal(c["presence_hours"]).quantize(_CENTS),
        total_stipend_paid=Decimal(c["total_stipend_paid"]).quantize(_CENTS),
    )


def planned_certificate_figures(agreement: Agreement) -> CertificateFigures:
    """The figures the agreement planned, from its start to its (early) end: the presence
    hours of the working days and the monthly stipend over those hours."""
    end = _effective_end(agreement)
    hours = law.presence_hours(
        agreement.start_on, end, agreement.weekly_hours, agreement.daily_hours
    )
    monthly = law.monthly_hours(agreement.weekly_hours)
    stipend = (agreement.monthly_stipend * hours / monthly) if monthly else Decimal(0)
    return CertificateFigures(
        agreement.start_on, end, hours.quantize(_CENTS), stipend.quantize(_CENTS)
    )


def legal_minimum_paid(agreement: Agreement, hours: Decimal) -> Decimal | None:
    """The legal minimum stipend for ``hours`` of presence (L124-6), or None when the year's
    ceiling is unknown (the year after the latest known one uses that one provisionally, as
    the law checks do). 0 at 308 hours or less."""
    year = agreement.start_on.year
    latest = max(law.SOCIAL_SECURITY_HOURLY_CEILING)
    if year == latest + 1:
        year = latest
    try:
        return law.minimum_gratification(year, hours)
    except law.UnknownYearError:
        return None


def _check_certificate_figures(agreement: Agreement, figures: CertificateFigures) -> None:
    end = _effective_end(agreement)
    if figures.start_on > figures.end_on:
        raise DomainError(_("The last day cannot be before the first day."))
    if figures.start_on < agreement.start_on or figures.end_on > end:
        raise DomainError(
            _(
                "The effective dates must fall within the agreement, from %(start)s to %(end)s; "
                "a longer internship needs an amendment first.",
                start=agreement.start_on,
                end=end,
            )
        )
    planned = law.presence_hours(
        figures.start_on, figures.end_on, agreement.weekly_hours, agreement.daily_hours
    )
    if figures.presence_hours is None or not 0 < figures.presence_hours <= planned:
        raise DomainError(
            _(
                "The hours of presence must be more than 0 and at most %(planned)s, the hours "
                "the agreement plans between these dates.",
                planned=planned,
            )
        )
    if figures.total_stipend_paid is None or figures.total_stipend_paid < 0:
        raise DomainError(_("Give the total stipend paid (0 if none)."))


def _certificate_snapshot(
    agreement: Agreement,
    figures: CertificateFigures,
    today: date,
    programme_note: str,
    **extra: Any,
) -> dict[str, Any]:
    snapshot = build_snapshot(agreement, today)
    hours = figures.presence_hours.quantize(_CENTS)
    minimum = legal_minimum_paid(agreement, hours)
    snapshot["certificate"] = {
        #: D124-9: the host delivers the certificate; the programme prepares it.
        "delivered_by": "host",
        "start_on": _s(figures.start_on),
        "end_on": _s(figures.end_on),
        "presence_hours": _s(hours),
        "presence_days": _s((hours / law.HOURS_PER_DAY).quantize(Decimal("0.1"))),
        "total_stipend_paid": _s(figures.total_stipend_paid.quantize(_CENTS)),
        "legal_minimum": _s(minimum) if minimum is not None else None,
        "ended_early": agreement.ended_on is not None,
        # Two voices, two headings: the tutor's appraisal (their final evaluation, never
        # typed by the programme) and the programme's own note.
        "tutor_appraisal": signals.ask(signals.tutor_appraisal, agreement, ""),
        "programme_note": (programme_note or "").strip(),
        **extra,
    }
    return snapshot


def _store_certificate(
    agreement: Agreement, snapshot: dict[str, Any], actor: User
) -> AgreementDocument:
    for previous in db.session.scalars(
        select(AgreementDocument).where(
            AgreementDocument.agreement_id == agreement.id,
            AgreementDocument.kind == DocumentKind.certificate,
            AgreementDocument.superseded_at.is_(None),
        )
    ):
        previous.superseded_at = utcnow()
    version = _next_version(agreement, DocumentKind.certificate)
    return _store_document(
        agreement,
        DocumentKind.certificate,
        version,
        f"{agreement.number}-ATT" + (f"{version}" if version > 1 else ""),
        snapshot,
        actor,
    )


def prepare_certificate(
    agreement: Agreement,
    actor: User,
    total_stipend_paid: Decimal | None = None,
    programme_note: str = "",
    today: date | None = None,
) -> AgreementDocument:
    """The programme prepares the attestation de stage at the end of the internship, with the
    planned figures (and the total stipend paid if it knows it); the host company confirms
    the effective duration and the stipend actually paid, then signs it
    (``confirm_certificate``): only then is its final version made and sealed (D124-9)."""
    _check_host_approved(agreement.placement.offer.company)
    today = today or date.today()
    end = _effective_end(agreement)
    if today < end:
        raise DomainError(
            _("The certificate is issued at the end of the internship (%(date)s).", date=end)
        )
    if total_stipend_paid is not None and total_stipend_paid < 0:
        raise DomainError(_("Give the total stipend paid (0 if none)."))
    current = current_document(agreement)
    if current is None or status(current) != "fully_signed":
        raise DomainError(_("The agreement is not fully signed."))
    figures = planned_certificate_figures(agreement)
    if total_stipend_paid is not None:
        figures.total_stipend_paid = total_stipend_paid.quantize(_CENTS)
    snapshot = _certificate_snapshot(agreement, figures, today, programme_note)
    document = _store_certificate(agreement, snapshot, actor)
    record("agreement.certificate", agreement, {"version": document.version}, actor=actor)
    for contact in _host_contacts(agreement):
        queue_email(
            contact.email, "certificate_to_sign", contact.locale, document=document, user=contact
        )
    return document


def confirm_certificate(
    document: AgreementDocument,
    user: User,
    figures: CertificateFigures,
    ip_address: str | None = None,
    capacity: str | None = None,
    on_behalf_of: str | None = None,
    today: date | None = None,
    at: datetime | None = None,
) -> AgreementDocument:
    """A host contact confirms the effective dates, hours and total stipend paid, and signs.

    The same figures: the host signs the prepared certificate. Other figures: a new version
    of the certificate is issued with the host's figures (the prepared one is superseded) and
    the host signs that one. Either way the final version, with the signature, is sealed
    after the host's signature. Returns the certificate signed."""
    agreement = document.agreement
    if not is_host_certificate(document):
        raise TransitionRefused(_("This document is not a certificate to confirm."))
    if party_of(user, agreement) is not Party.host:
        raise TransitionRefused(_("Only the host company confirms and signs the certificate."))
    _check_signable(document, Party.host)
    figures = CertificateFigures(
        figures.start_on,
        figures.end_on,
        (figures.presence_hours or Decimal(0)).quantize(_CENTS),
        (figures.total_stipend_paid or Decimal(0)).quantize(_CENTS),
    )
    _check_certificate_figures(agreement, figures)
    target = document
    prepared = certificate_figures(document)
    if figures != prepared:
        c = (document.snapshot or {}).get("certificate") or {}
        snapshot = _certificate_snapshot(
            agreement,
            figures,
            today or date.today(),
            c.get("programme_note", ""),
            corrected_from=document.reference,
        )
        target = _store_certificate(agreement, snapshot, user)
        if at is not None:
            target.issued_at = at
    record(
        "agreement.certificate_confirmed",
        agreement,
        {
            "reference": target.reference,
            "corrected": target is not document,
            "prepared": {k: _s(v) for k, v in vars(prepared).items()},
            "confirmed": {k: _s(v) for k, v in vars(figures).items()},
        },
        actor=user,
    )
    sign_in_app(target, user, ip_address, capacity=capacity, on_behalf_of=on_behalf_of, at=at)
    return target


def certificate_shortfall(document: AgreementDocument) -> Decimal | None:
    """How much the stipend paid falls short of the legal minimum (L124-6), or None."""
    c = (document.snapshot or {}).get("certificate") or {}
    minimum, paid = c.get("legal_minimum"), c.get("total_stipend_paid")
    if minimum is None or paid is None:
        return None
    gap = Decimal(minimum) - Decimal(paid)
    return gap if gap > 0 else None


# --- verification and lists ----------------------------------------------------------------------


def document_by_code(code: str) -> AgreementDocument | None:
    code = (code or "").strip().upper()
    if not code or len(code) > 32:
        return None
    return db.session.scalar(
        select(AgreementDocument)
        .options(joinedload(AgreementDocument.agreement))
        .where(AgreementDocument.verification_code == code)
    )


@dataclass
class UploadCheck:
    """An uploaded PDF compared with the registered files of a document's agreement."""

    sha256: str
    size: int
    #: The registered document whose file it is, byte for byte (None: no registered file).
    match: AgreementDocument | None
    #: "final" (the final version, with the signature record) or "signed" (as issued).
    which: str | None
    #: The matched file is the one of the document whose code was used.
    same_document: bool
    #: The matched document is in force (not superseded).
    in_force: bool
    #: No later file of the matched document exists (the final version, or none yet).
    latest: bool
    seal: Any  # core.seal.SealCheck


def compare_uploaded_pdf(document: AgreementDocument, data: bytes) -> UploadCheck:
    """Compare ``data`` with every registered file of the agreement of ``document`` (each
    version as issued and each final version) and validate its seal. Nothing is stored."""
    from ..core.seal import check_seal

    digest = hashlib.sha256(data).hexdigest()
    match, which = None, None
    for candidate in document.agreement.documents:
        if candidate.final_sha256 == digest:
            match, which = candidate, "final"
            break
        if candidate.sha256 == digest and match is None:
            match, which = candidate, "signed"
    return UploadCheck(
        sha256=digest,
        size=len(data),
        match=match,
        which=which,
        same_document=match is not None and match.id == document.id,
        in_force=match is not None and match.superseded_at is None,
        latest=match is not None and (which == "final" or not match.final_stored_name),
        seal=check_seal(data),
    )


def agreements_for_cohort(cohort: Cohort) -> list[Agreement]:
    return list(
        db.session.scalars(
            select(Agreement)
            .options(
                joinedload(Agreement.placement).joinedload(Placement.application),
                joinedload(Agreement.placement)
                .joinedload(Placement.offer)
                .joinedload(Offer.company),
                joinedload(Agreement.documents).joinedload(AgreementDocument.signatures),
            )
            .where(Agreement.cohort_id == cohort.id)
            .order_by(Agreement.sequence)
        ).unique()
    )


def waiting_for_clause(awaiting: str, today: date | None = None):
    """``waiting_for`` as a SQL condition on ``Agreement``: ``signatures`` when a document in
    force (not the certificate) lacks one of its parties' signatures, ``prefecture`` when the
    submission or the préfecture's answer is awaited."""
    if awaiting == "signatures":
        signed = (
            select(func.count(func.distinct(Signature.party)))
            .where(Signature.document_id == AgreementDocument.id, Signature.party.in_(SIGNATORIES))
            .scalar_subquery()
        )
        return (
            select(AgreementDocument.id)
            .where(
                AgreementDocument.agreement_id == Agreement.id,
                AgreementDocument.kind != DocumentKind.certificate,
                AgreementDocument.superseded_at.is_(None),
                signed < len(SIGNATORIES),
            )
            .exists()
        )
    answer_from = (today or date.today()) - timedelta(days=law.PREFECTURE_ANSWER_DAYS)
    return (
        Agreement.prefecture_required.is_(True)
        & (Agreement.prefecture_decision == PrefectureDecision.pending)
        & (
            Agreement.prefecture_submitted_on.is_(None)
            | (Agreement.prefecture_submitted_on >= answer_from)
        )
    )


def agreements_query(
    cohort: Cohort, awaiting: str | None = None, today: date | None = None
) -> Select:
    """The cohort's agreements by number, for the coordinators' list: the columns the list
    shows (number, dates, préfecture) with the student's names and the company's name joined;
    documents (kind, version, in force or not) in one query; who signed them is read apart
    (:func:`parties_signed`: no signature loaded). ``awaiting`` (one of ``WAITING_FOR``)
    keeps the agreements waiting for that (``waiting_for``)."""
    query = (
        select(Agreement)
        .options(
            load_only(
                Agreement.cohort_id,
                Agreement.placement_id,
                Agreement.sequence,
                Agreement.number,
                Agreement.start_on,
                Agreement.end_on,
                Agreement.ended_on,
                Agreement.prefecture_required,
                Agreement.prefecture_submitted_on,
                Agreement.prefecture_decision,
            ),
            joinedload(Agreement.placement)
            .load_only(Placement.application_id, Placement.offer_id)
            .joinedload(Placement.application)
            .load_only(Application.first_name, Application.last_name),
            joinedload(Agreement.placement)
            .joinedload(Placement.offer)
            .load_only(Offer.company_id)
            .joinedload(Offer.company)
            .load_only(Company.legal_name),
            selectinload(Agreement.documents).load_only(
                AgreementDocument.agreement_id,
                AgreementDocument.kind,
                AgreementDocument.version,
                AgreementDocument.superseded_at,
            ),
        )
        .where(Agreement.cohort_id == cohort.id)
        .order_by(Agreement.sequence)
    )
    if awaiting in WAITING_FOR:
        query = query.where(waiting_for_clause(awaiting, today))
    return query


def prefecture_candidates(cohort_ids: list[int]) -> list[Agreement]:
    """The agreements of these cohorts that still wait for a préfecture submission (the only
    ones ``prefecture_alert`` can flag), with just the columns it reads."""
    return db.session.scalars(
        select(Agreement)
        .options(
            load_only(
                Agreement.cohort_id,
                Agreement.start_on,
                Agreement.prefecture_required,
                Agreement.prefecture_decision,
                Agreement.prefecture_submitted_on,
            )
        )
        .where(
            Agreement.cohort_id.in_(cohort_ids),
            Agreement.prefecture_required.is_(True),
            Agreement.prefecture_decision == PrefectureDecision.pending,
            Agreement.prefecture_submitted_on.is_(None),
        )
    ).all()


def prefecture_alerts(cohort: Cohort, today: date | None = None) -> int:
    """How many of the cohort's agreements are late for the préfecture (``prefecture_alert``),
    reading only the agreements that still wait for a submission."""
    return sum(1 for a in prefecture_candidates([cohort.id]) if prefecture_alert(a, today))


def waiting_query(cohort: Cohort) -> Select:
    """The cohort's confirmed placements that have no agreement yet, with student, offer and
    company."""
    has = select(Agreement.id).where(Agreement.placement_id == Placement.id).exists()
    return (
        select(Placement)
        .options(
            joinedload(Placement.application),
            joinedload(Placement.offer).joinedload(Offer.company),
        )
        .where(
            Placement.cohort_id == cohort.id,
            Placement.status == PlacementStatus.confirmed,
            ~has,
        )
        .order_by(Placement.id)
    )


def confirmed_without_agreement(cohort: Cohort) -> list[Placement]:
    return list(db.session.scalars(waiting_query(cohort)))


def file_of(document: AgreementDocument):
    return uploads.path_of(document.stored_name)
