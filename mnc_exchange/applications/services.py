"""Application operations: the student's file, documents, returns for correction, withdrawal
and eligibility screening.

The status machine is ``TRANSITIONS``; every change goes through ``_move`` which checks the
table, writes the audit event and the student-visible message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select

from ..accounts.models import User
from ..audit.services import record
from ..cohorts.models import Cohort, CohortState
from ..cohorts.services import saved_for, settings_row
from ..core import signals
from ..core.errors import DomainError, TransitionRefused
from ..core.i18n import decimal, long_date
from ..core.listing import preview
from ..core.timeutils import utcnow
from ..extensions import db
from ..mail.services import queue_email
from . import eligibility, uploads
from .models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    Document,
    DocumentRequirement,
    DocumentStatus,
    EligibilityRules,
    MessageKind,
)
from .reference import (
    DEFAULT_DOCUMENT_REQUIREMENTS,
    DOCUMENT_LABELS,
    MOTIVATION_MAX,
    MOTIVATION_MIN,
    DocumentKind,
)

A = ApplicationStatus

TRANSITIONS: dict[ApplicationStatus, tuple[ApplicationStatus, ...]] = {
    A.draft: (A.submitted, A.withdrawn),
    A.submitted: (A.returned, A.eligible, A.ineligible, A.withdrawn),
    A.returned: (A.submitted, A.withdrawn),
    A.eligible: (A.ineligible, A.scored, A.withdrawn),  # a decision can be revised, with a reason
    # While the call is open, a file found not eligible can still go back to the student.
    A.ineligible: (A.eligible, A.returned, A.withdrawn),
    # Selection (mnc_exchange.selection.services).
    A.scored: (A.shortlisted, A.rejected, A.withdrawn),
    A.shortlisted: (A.interviewed, A.rejected, A.withdrawn),
    A.interviewed: (A.selected, A.waitlisted, A.rejected, A.withdrawn),
    # Decisions can be overridden (with a written reason) between these three.
    A.selected: (A.waitlisted, A.rejected, A.withdrawn),
    A.waitlisted: (A.selected, A.rejected, A.withdrawn),
    A.rejected: (A.selected, A.waitlisted, A.withdrawn),
    A.withdrawn: (),
}

STATUS_LABELS = {
    A.draft: _l("Draft"),
    A.submitted: _l("Submitted"),
    A.returned: _l("Returned for correction"),
    A.eligible: _l("Eligible"),
    A.ineligible: _l("Not eligible"),
    A.scored: _l("Scored"),
    A.shortlisted: _l("Shortlisted"),
    A.interviewed: _l("Interviewed"),
    A.selected: _l("Selected"),
    A.waitlisted: _l("Waitlisted"),
    A.rejected: _l("Not selected"),
    A.withdrawn: _l("Withdrawn"),
}

#: States in which the student may edit the file and its documents.
EDITABLE = (A.draft, A.returned)


def move(application: Application, target: ApplicationStatus, details: dict | None = None):
    """Change the status through the transition table; audited. Used by other domains too."""
    _move(application, target, details)


def _move(application: Application, target: ApplicationStatus, details: dict | None = None):
    if target not in TRANSITIONS[application.status]:
        raise TransitionRefused(
            _(
                "The application cannot go from “%(source)s” to “%(target)s”.",
                source=STATUS_LABELS[application.status],
                target=STATUS_LABELS[target],
            )
        )
    source = application.status
    application.status = target
    record(
        "application.transition",
        application,
        {"from": source.value, "to": target.value, **(details or {})},
    )


def _message(application: Application, kind: MessageKind, body: str, author: User | None):
    message = ApplicationMessage(application=application, kind=kind, body=body, author=author)
    db.session.add(message)
    return message


def _notify(application: Application, template: str, **context) -> None:
    student = application.student
    queue_email(
        student.email,
        template,
        student.locale,
        user=student,
        application=application,
        **context,
    )


# --- the call --------------------------------------------------------------------------------


def call_is_open(cohort: Cohort | None, today: date | None = None) -> bool:
    """Applications can be created, edited and submitted only while the call is open."""
    today = today or date.today()
    if cohort is None or cohort.state is not CohortState.open:
        return False
    if cohort.applications_open_on and today < cohort.applications_open_on:
        return False
    return not (cohort.applications_close_on and today > cohort.applications_close_on)


def ensure_call_open(cohort: Cohort, today: date | None = None) -> None:
    if not call_is_open(cohort, today):
        if cohort.applications_close_on and (today or date.today()) > cohort.applications_close_on:
            raise DomainError(
                _(
                    "The call closed on %(date)s: applications can no longer be changed.",
                    date=long_date(cohort.applications_close_on),
                )
            )
        raise DomainError(_("The call for applications is not open."))


def application_of(student: User, cohort: Cohort) -> Application | None:
    return db.session.scalar(
        select(Application).where(
            Application.cohort_id == cohort.id, Application.student_id == student.id
        )
    )


def start_application(student: User, cohort: Cohort, today: date | None = None) -> Application:
    """Create the student's draft for ``cohort`` (one per student per cohort)."""
    ensure_call_open(cohort, today)
    existing = application_of(student, cohort)
    if existing is not None:
        return existing
    application = Application(cohort=cohort, student=student, status=A.draft, pole_ranking=[])
    db.session.add(application)
    db.session.flush()
    record("application.create", application, {"cohort": cohort.year})
    return application


def ensure_editable(application: Application, today: date | None = None) -> None:
    ensure_call_open(application.cohort, today)
    if application.status not in EDITABLE:
        raise DomainError(
            _(
                "Your application is “%(status)s”: it can no longer be changed.",
                status=STATUS_LABELS[application.status],
            )
        )


PROFILE_FIELDS = (
    "first_name",
    "last_name",
    "birth_date",
    "gender",
    "cin",
    "phone",
    "region",
    "passport_number",
    "passport_expiry",
    "institution_id",
    "programme",
    "year_of_study",
    "grade_average",
    "french_level",
    "english_level",
    "pole_ranking",
    "motivation",
)


def cin_taken(cohort_id: int, cin: str, application_id: int | None) -> bool:
    query = select(Application.id).where(Application.cohort_id == cohort_id, Application.cin == cin)
    if application_id is not None:
        query = query.where(Application.id != application_id)
    return db.session.scalar(query) is not None


def save_draft(
    application: Application,
    values: dict,
    return_commitment: bool,
    consent: bool,
    today: date | None = None,
) -> None:
    """Save what the student typed (validated by the form); incomplete is fine for a draft."""
    ensure_editable(application, today)
    if values.get("cin") and cin_taken(application.cohort_id, values["cin"], application.id):
        raise DomainError(_("This CIN is already used by another application this year."))
    changed = []
    for key in PROFILE_FIELDS:
        if key in values and getattr(application, key) != values[key]:
            setattr(application, key, values[key])
            changed.append(key)
    now = utcnow()
    for name, ticked in (("return_commitment", return_commitment), ("consent", consent)):
        # A ticked box keeps the time it was first ticked; an unticked one clears it.
        stamped = getattr(application, f"{name}_at") is not None
        if bool(ticked) != stamped:
            setattr(application, f"{name}_at", now if ticked else None)
            changed.append(name)
    if changed:
        record("application.save", application, {"fields": changed})


# --- checklist -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    label: str
    done: bool
    detail: str = ""


FIELD_LABELS = {
    "first_name": _l("First name(s) as in the passport"),
    "last_name": _l("Last name as in the passport"),
    "birth_date": _l("Date of birth"),
    "gender": _l("Gender"),
    "cin": _l("CIN (national identity card)"),
    "phone": _l("Phone number"),
    "region": _l("Region of origin"),
    "passport_number": _l("Passport number"),
    "passport_expiry": _l("Passport expiry date"),
    "institution_id": _l("Sending institution"),
    "programme": _l("Programme of study"),
    "year_of_study": _l("Year of study"),
    "grade_average": _l("Grade average (/20)"),
    "french_level": _l("French level"),
    "english_level": _l("English level"),
    "pole_ranking": _l("MNC poles ranked by preference"),
    "motivation": _l("Motivation"),
}


def requirements_for(cohort: Cohort) -> dict[DocumentKind, bool]:
    """The cohort's document requirements (kind -> required), defaults when not configured."""
    rows = db.session.scalars(
        select(DocumentRequirement).where(DocumentRequirement.cohort_id == cohort.id)
    ).all()
    if not rows:
        return dict(DEFAULT_DOCUMENT_REQUIREMENTS)
    return {row.kind: row.required for row in rows}


def checklist(application: Application) -> list[ChecklistItem]:
    """What is done and what is still missing, field by field and document by document."""
    items: list[ChecklistItem] = []
    for key, label in FIELD_LABELS.items():
        value = getattr(application, key)
        done = value not in (None, "", [])
        detail = ""
        if key == "pole_ranking":
            done = len(value or []) == 4
        elif key == "motivation" and value:
            done = MOTIVATION_MIN <= len(value) <= MOTIVATION_MAX
            if not done:
                detail = ngettext(
                    "%(num)d character; between %(min)d and %(max)d are expected.",
                    "%(num)d characters; between %(min)d and %(max)d are expected.",
                    len(value),
                    min=MOTIVATION_MIN,
                    max=MOTIVATION_MAX,
                )
        items.append(ChecklistItem(key, str(label), done, detail))
    current = application.current_documents()
    for kind, required in requirements_for(application.cohort).items():
        if not required:
            continue
        documents = current.get(kind, [])
        rejected = documents and all(d.status is DocumentStatus.rejected for d in documents)
        detail = ""
        if rejected:
            detail = _("rejected: %(comment)s", comment=documents[-1].review_comment or "")
        items.append(
            ChecklistItem(
                f"document:{kind.value}",
                str(DOCUMENT_LABELS[kind]),
                bool(documents) and not rejected,
                detail,
            )
        )
    items.append(
        ChecklistItem(
            "return_commitment",
            _("Commitment to return and work in Morocco"),
            application.return_commitment_at is not None,
        )
    )
    items.append(
        ChecklistItem(
            "consent",
            _("Consent to the processing of personal data"),
            application.consent_at is not None,
        )
    )
    return items


def missing(application: Application) -> list[ChecklistItem]:
    return [item for item in checklist(application) if not item.done]


def latest_internship_end(cohort: Cohort) -> date | None:
    """The latest possible internship end: the cohort's return date, or departure + 6 months."""
    if cohort.return_on:
        return cohort.return_on
    if cohort.departure_on:
        return eligibility.add_months(cohort.departure_on, 6)
    return None


def passport_warning(application: Application) -> str | None:
    """Before submission, when the passport expires too early for this call's rules: what
    follows (the file is declared not eligible) and what to do instead. A warning, not a
    refusal: the student may renew the passport before the call closes."""
    cohort = application.cohort
    rules = rules_preview(cohort)
    months = rules.passport_months_after_end
    needed = eligibility.passport_needed_until(latest_internship_end(cohort), months)
    if not (needed and application.passport_expiry and application.passport_expiry < needed):
        return None
    text = ngettext(
        "Your passport expires on %(expiry)s, but this call asks for a passport valid until "
        "%(needed)s (%(num)d month after the latest possible end of the internship, for the "
        "visa).",
        "Your passport expires on %(expiry)s, but this call asks for a passport valid until "
        "%(needed)s (%(num)d months after the latest possible end of the internship, for the "
        "visa).",
        months,
        expiry=long_date(application.passport_expiry),
        needed=long_date(needed),
    )
    if application.status in EDITABLE:
        text += " " + _(
            "If you submit your application with this passport, it will be declared not "
            "eligible. Renew your passport first, then enter its new number and expiry date "
            "and upload it again, before the call closes on %(close)s.",
            close=long_date(cohort.applications_close_on),
        )
    return text


# --- submission, returns, withdrawal ---------------------------------------------------------


def submit(application: Application, today: date | None = None) -> None:
    """Submit a complete file; it becomes read-only for the student."""
    ensure_editable(application, today)
    still_missing = missing(application)
    if still_missing:
        raise DomainError(
            _(
                "The application is not complete. Still missing: %(items)s.",
                items=", ".join(item.label for item in still_missing),
            )
        )
    resubmission = application.status is A.returned
    _move(application, A.submitted, {"resubmission": resubmission})
    application.submitted_at = utcnow()
    _notify(application, "application_submitted", resubmission=resubmission)


def can_return(application: Application, today: date | None = None) -> bool:
    """A submitted file can go back to the student; a file declared not eligible too, as
    long as the call is open (the student has time to correct it)."""
    if application.status is A.submitted:
        return True
    return application.status is A.ineligible and call_is_open(application.cohort, today)


def return_for_correction(application: Application, message: str, actor: User) -> None:
    """A coordinator sends the file back to the student with a message."""
    message = (message or "").strip()
    if not message:
        raise DomainError(_("Write a message telling the student what to correct."))
    if application.status is A.ineligible and not can_return(application):
        raise DomainError(
            _(
                "The call is closed: a file declared not eligible can no longer be returned "
                "for correction."
            )
        )
    if application.status is A.ineligible:
        # The decision is undone: the corrected file is screened again once resubmitted.
        application.eligibility_decided_at = None
        application.eligibility_decided_by_id = None
        application.eligibility_override_reason = None
    _move(application, A.returned, {"message": message})
    _message(application, MessageKind.correction, message, actor)
    _notify(application, "application_returned", message=message)


def withdraw(application: Application, reason: str = "") -> None:
    """The student withdraws the application (possible in any state before departure).

    A freed seat (or an open seat offer) goes to the next student on the waitlist
    (``signals.application_withdrawn``: the placements, then the selection react).
    """
    previous = application.status
    _move(application, A.withdrawn, {"reason": reason})
    application.withdrawn_at = utcnow()
    _message(
        application,
        MessageKind.withdrawal,
        reason.strip() or _("Application withdrawn by the student."),
        application.student,
    )
    signals.application_withdrawn.send(application, previous=previous)


# --- documents -------------------------------------------------------------------------------


def stored_document(
    application: Application, kind: DocumentKind, version: int, checked, **values
) -> Document:
    """The checked upload stored in the application's folder, as the current version
    ``version`` of its kind (added to ``application.documents``; ``values``: the uploader...)."""
    return Document(
        application=application,
        kind=kind,
        version=version,
        is_current=True,
        original_name=checked.original_name,
        stored_name=uploads.store(checked, f"applications/{application.id}"),
        content_type=checked.content_type,
        size=len(checked.data),
        sha256=checked.sha256,
        **values,
    )


def add_document(
    application: Application, kind: DocumentKind, stream, filename: str | None, actor: User
) -> Document:
    """Check and store an upload; a new upload of the same kind supersedes the current one
    (except recommendation letters, which can be several)."""
    ensure_editable(application)
    if kind not in requirements_for(application.cohort):
        raise DomainError(_("This kind of document is not asked for this year."))
    checked = uploads.check_upload(stream, filename)
    previous = [d for d in application.documents if d.kind == kind and d.is_current]
    version = 1 + max((d.version for d in application.documents if d.kind == kind), default=0)
    if kind is not DocumentKind.recommendation_letter:
        for old in previous:
            old.is_current = False
    document = stored_document(application, kind, version, checked, uploaded_by_id=actor.id)
    db.session.add(document)
    db.session.flush()
    record(
        "document.upload",
        document,
        {
            "application": application.id,
            "kind": kind.value,
            "version": version,
            "sha256": checked.sha256,
        },
    )
    return document


def review_document(document: Document, accept: bool, comment: str, actor: User) -> None:
    """A coordinator accepts or rejects a document. A rejected mandatory document sends a
    submitted file back to the student for correction."""
    comment = (comment or "").strip()
    if not accept and not comment:
        raise DomainError(_("Say why the document is rejected."))
    if not document.is_current:
        raise DomainError(_("This version has been replaced; review the current one."))
    document.status = DocumentStatus.accepted if accept else DocumentStatus.rejected
    document.review_comment = comment or None
    document.reviewed_at = utcnow()
    document.reviewed_by_id = actor.id
    record(
        "document.review",
        document,
        {"accepted": accept, "comment": comment, "application": document.application_id},
    )
    application = document.application
    label = DOCUMENT_LABELS[document.kind]
    if accept:
        return
    body = _("Document “%(kind)s” rejected: %(comment)s", kind=label, comment=comment)
    _message(application, MessageKind.document, body, actor)
    required = requirements_for(application.cohort).get(document.kind, False)
    if required and application.status is A.submitted:
        _move(application, A.returned, {"document": document.id})
        _notify(application, "application_returned", message=body)
    else:
        _notify(application, "document_rejected", kind=label, comment=comment)


# --- eligibility -----------------------------------------------------------------------------


def rules_preview(cohort: Cohort) -> EligibilityRules:
    """The cohort's rules without writing anything (defaults when not configured yet)."""
    rules = saved_for(EligibilityRules, cohort)
    return rules if rules is not None else preview(EligibilityRules, cohort_id=cohort.id)


def rules_for(cohort: Cohort) -> EligibilityRules:
    return settings_row(EligibilityRules, cohort)


def suggest(application: Application, rules: EligibilityRules) -> eligibility.Screening:
    return eligibility.screen(
        eligibility.Applicant(
            french_level=application.french_level,
            grade_average=application.grade_average,
            year_of_study=application.year_of_study,
            passport_expiry=application.passport_expiry,
        ),
        eligibility.Rules(
            min_french_level=rules.min_french_level,
            min_average=Decimal(rules.min_average),
            allowed_years=tuple(rules.allowed_years),
            passport_months_after_end=rules.passport_months_after_end,
        ),
        latest_internship_end(application.cohort),
    )


def reason_text(reason: dict) -> str:
    """Word a screening reason (stored as ``{"code", "params"}``) in the current language."""
    code, p = reason.get("code"), reason.get("params", {})
    if code == "french_level":
        return _("French level %(level)s below the required %(minimum)s", **p)
    if code == "average":
        average = p.get("average")
        return _(
            "grade average %(average)s below the required %(minimum)s/20",
            average=decimal(average) if average not in (None, "—") else "—",
            minimum=decimal(p.get("minimum")),
        )
    if code == "year_of_study":
        return _("year of study %(year)s not among the allowed years (%(allowed)s)", **p)
    if code == "passport":
        return _(
            "passport valid until %(expiry)s; it must be valid until %(needed)s",
            expiry=long_date(p.get("expiry")),
            needed=long_date(p.get("needed")),
        )
    return str(code)


def screen_application(
    application: Application, rules: EligibilityRules | None = None
) -> eligibility.Screening:
    """Compute and store the rules' suggestion (``rules`` loaded once by batch callers)."""
    result = suggest(application, rules or rules_for(application.cohort))
    application.eligibility_suggestion = result.eligible
    application.eligibility_reasons = [{"code": r.code, "params": r.params} for r in result.reasons]
    return result


def decide_eligibility(
    application: Application, eligible: bool, override_reason: str, actor: User
) -> None:
    """Confirm or override the suggestion. Going against the rules needs a written reason."""
    screening = screen_application(application)
    override_reason = (override_reason or "").strip()
    if eligible != screening.eligible and not override_reason:
        raise DomainError(
            _("This decision goes against the screening rules: write the reason for it.")
        )
    if application.eligibility_decided_at is not None and not override_reason:
        raise DomainError(_("Changing an earlier decision needs a written reason."))
    target = A.eligible if eligible else A.ineligible
    _move(
        application,
        target,
        {"suggested": screening.eligible, "override_reason": override_reason or None},
    )
    application.eligibility_override_reason = override_reason or None
    application.eligibility_decided_at = utcnow()
    application.eligibility_decided_by_id = actor.id
    reasons = [reason_text(r) for r in application.eligibility_reasons]
    if eligible:
        body = _("Your application is eligible. The selection continues.")
    else:
        body = _(
            "Your application is not eligible: %(reasons)s.",
            reasons="; ".join(reasons) or override_reason,
        )
    _message(application, MessageKind.eligibility, body, actor)
    _notify(application, "application_eligibility", eligible=eligible, body=body)
