"""The student's side of the application: the file, the checklist, documents, submission.

The application is always the logged-in student's own for the current cohort: no URL carries
an application id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import MultiDict

from ..accounts.forms import ConfirmForm
from ..cohorts.models import Cohort, CohortState
from ..cohorts.services import current_cohort
from ..core.errors import DomainError
from ..core.i18n import decimal
from ..core.page_cache import kept
from ..core.web import Outcome, attempt, flash_form_errors, stop_with, valid_or_400, valid_or_again
from ..extensions import db
from ..main.calendar import calendar_steps
from ..permissions import can, permission_required
from ..selection.queries import STATUS_ORDER
from ..selection.services import visible_status
from . import services, uploads
from .forms import ApplicationForm, DocumentUploadForm, SubmitForm, WithdrawForm
from .models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    Document,
    DocumentStatus,
    Institution,
    MessageKind,
)
from .reference import (
    DOCUMENT_LABELS,
    GENDER_LABELS,
    POLE_LABELS,
    REGIONS,
    DocumentKind,
    Pole,
)

bp = Blueprint("applications", __name__, url_prefix="/application")

A = ApplicationStatus

MESSAGE_KIND_LABELS = {
    MessageKind.info: _l("Information"),
    MessageKind.correction: _l("Returned for correction"),
    MessageKind.document: _l("Document"),
    MessageKind.eligibility: _l("Eligibility"),
    MessageKind.withdrawal: _l("Withdrawal"),
}

DOCUMENT_STATUS_LABELS = {
    DocumentStatus.pending: _l("Awaiting review"),
    DocumentStatus.accepted: _l("Accepted"),
    DocumentStatus.rejected: _l("Rejected"),
}

#: Messages that can send a file back to the student (a correction, a rejected document).
RETURN_KINDS = (MessageKind.correction, MessageKind.document)

#: Bootstrap colour of each status badge.
STATUS_COLOURS = {
    A.draft: "secondary",
    A.submitted: "primary",
    A.returned: "warning",
    A.eligible: "success",
    A.ineligible: "danger",
    A.withdrawn: "dark",
    A.scored: "info",
    A.shortlisted: "info",
    A.interviewed: "info",
    A.selected: "success",
    A.waitlisted: "warning",
    A.rejected: "danger",
}

DOCUMENT_STATUS_COLOURS = {
    DocumentStatus.pending: "secondary",
    DocumentStatus.accepted: "success",
    DocumentStatus.rejected: "danger",
}


# --- loading ---------------------------------------------------------------------------------


def _student():
    return current_user._get_current_object()


def _load_application(cohort: Cohort | None) -> Application | None:
    """The logged-in student's application to ``cohort``, with its documents and messages."""
    if cohort is None:
        return None
    return db.session.scalar(
        select(Application)
        .options(
            selectinload(Application.documents),
            selectinload(Application.messages).selectinload(ApplicationMessage.author),
        )
        .where(Application.cohort_id == cohort.id, Application.student_id == current_user.id)
    )


def my_application(cohort: Cohort | None = None) -> Application | None:
    """For templates (the dashboard): the logged-in student's application to ``cohort``
    (the current cohort by default), or None."""
    if not can(current_user, "application.apply"):
        return None
    cohort = cohort or current_cohort()
    if cohort is None:
        return None
    return services.application_of(_student(), cohort)


#: Statuses in which the student's selection page has something to show: the selection
#: round's, but "withdrawn".
SELECTION_STAGE = tuple(status for status in STATUS_ORDER if status is not A.withdrawn)


def student_menu() -> frozenset[str]:
    """For the menu: the student's pages that apply to their stage (``application`` always;
    ``selection`` once the file is eligible; ``offers`` once selected; ``agreement`` and
    ``internship`` once they exist, in any year). Computed once per request."""
    if not current_user.is_authenticated or not can(current_user, "application.apply"):
        return frozenset()
    cached = g.get("student_menu")
    if cached is not None:
        return cached
    from ..agreements.models import Agreement
    from ..followup.models import Internship
    from ..placements.models import Placement

    entries = {"application"}
    application = my_application()
    if application is not None:
        status = visible_status(application)
        if status in SELECTION_STAGE or application.status in SELECTION_STAGE:
            entries.add("selection")
        if status is A.selected:
            entries.add("offers")
    mine = (
        select(Placement.id)
        .join(Application, Application.id == Placement.application_id)
        .where(Application.student_id == current_user.id)
    )
    placed, agreed, interned = db.session.execute(  # one query for the three
        select(
            mine.exists(),
            select(Agreement.id).where(Agreement.placement_id.in_(mine)).exists(),
            select(Internship.id).where(Internship.placement_id.in_(mine)).exists(),
        )
    ).one()
    if placed:
        entries.add("offers")
    if agreed:
        entries.add("agreement")
    if interned:
        entries.add("internship")
    g.student_menu = frozenset(entries)
    return g.student_menu


@bp.app_context_processor
def _inject() -> dict:
    return {
        "student_menu": student_menu,
        "my_application": my_application,
        "my_application_status": lambda application: services.STATUS_LABELS[
            visible_status(application)
        ],
        "my_application_colour": lambda application: STATUS_COLOURS[visible_status(application)],
    }


def _institutions(application: Application) -> list[Institution]:
    """Active institutions by name (plus the one already chosen, even if now inactive)."""
    condition = Institution.active.is_(True)
    if application.institution_id is not None:
        condition = or_(condition, Institution.id == application.institution_id)
    return list(db.session.scalars(select(Institution).where(condition).order_by(Institution.name)))


def _application_form(application: Application) -> ApplicationForm:
    return ApplicationForm(
        obj=application,
        institutions=_institutions(application),
        **ApplicationForm.initial(application),
    )


# --- what the page shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class CallStatus:
    """Where the call for applications stands: ``none``, ``open``, ``not_yet``, ``closed``
    (closing date passed) or ``not_open`` (the cohort is not in the open state)."""

    code: str
    on: date | None = None


def _call_status(cohort: Cohort | None, today: date) -> CallStatus:
    if cohort is None:
        return CallStatus("none")
    if services.call_is_open(cohort, today):
        return CallStatus("open", cohort.applications_close_on)
    if cohort.applications_close_on and today > cohort.applications_close_on:
        return CallStatus("closed", cohort.applications_close_on)
    if cohort.state is CohortState.open or cohort.state is CohortState.draft:
        return CallStatus("not_yet", cohort.applications_open_on)
    return CallStatus("not_open", cohort.applications_close_on)


@dataclass
class DocumentRow:
    kind: DocumentKind
    label: str
    required: bool
    asked: bool
    current: list[Document] = field(default_factory=list)
    earlier: list[Document] = field(default_factory=list)


def _document_rows(application: Application) -> list[DocumentRow]:
    """One row per document kind asked this year (then any other kind already uploaded)."""
    requirements = services.requirements_for(application.cohort)
    by_kind: dict[DocumentKind, list[Document]] = {}
    for document in sorted(application.documents, key=lambda d: d.version, reverse=True):
        by_kind.setdefault(document.kind, []).append(document)
    kinds = list(requirements) + [k for k in by_kind if k not in requirements]
    rows = []
    for kind in kinds:
        documents = by_kind.get(kind, [])
        rows.append(
            DocumentRow(
                kind=kind,
                label=str(DOCUMENT_LABELS[kind]),
                required=requirements.get(kind, False),
                asked=kind in requirements,
                current=[d for d in documents if d.is_current],
                earlier=[d for d in documents if not d.is_current],
            )
        )
    return rows


def _summary(application: Application) -> list[tuple[str, str, str]]:
    """The file as (key, label, value) rows for the read-only view."""
    labels = services.FIELD_LABELS
    a = application
    poles = []
    for value in a.pole_ranking or []:
        try:
            poles.append(str(POLE_LABELS[Pole(value)]))
        except ValueError:
            poles.append(value)
    values = {
        "first_name": a.first_name,
        "last_name": a.last_name,
        "birth_date": a.birth_date,
        "gender": GENDER_LABELS[a.gender] if a.gender else None,
        "cin": a.cin,
        "phone": a.phone,
        "region": REGIONS.get(a.region, a.region) if a.region else None,
        "passport_number": a.passport_number,
        "passport_expiry": a.passport_expiry,
        "institution_id": a.institution.name if a.institution else None,
        "programme": a.programme,
        "year_of_study": a.year_of_study,
        "grade_average": f"{decimal(a.grade_average, 2)} / 20"
        if a.grade_average is not None
        else None,
        "french_level": a.french_level,
        "english_level": a.english_level,
        "pole_ranking": " › ".join(f"{i}. {p}" for i, p in enumerate(poles, 1)) or None,
    }
    return [(key, str(labels[key]), value) for key, value in values.items()]


def _checklist(application: Application, invalid: set[str]) -> list[services.ChecklistItem]:
    """The checklist of the saved file; a field whose typed value was refused is not done
    (its saved value, if any, is not what the student sees in the form)."""
    items = []
    for item in services.checklist(application):
        if item.key in invalid:
            item = services.ChecklistItem(
                item.key, item.label, False, _("the value typed is not valid: see the form")
            )
        items.append(item)
    return items


def _render_page(
    cohort: Cohort | None,
    application: Application | None,
    *,
    form: ApplicationForm | None = None,
    upload_errors: dict[DocumentKind, str] | None = None,
    submit_form: SubmitForm | None = None,
):
    today = date.today()
    context: dict = {
        "cohort": cohort,
        "steps": calendar_steps(cohort, today) if cohort else [],
        "call": _call_status(cohort, today),
        "application": application,
        "privacy_contact": current_app.config["PRIVACY_CONTACT_EMAIL"],
        "retention_years": current_app.config["PERSONAL_DATA_RETENTION_YEARS"],
        "max_upload_mb": decimal(_max_upload_bytes() / (1024 * 1024)),
    }
    if application is not None:
        editable = context["call"].code == "open" and application.status in services.EDITABLE
        if editable and form is None:
            form = _application_form(application)
        invalid = form.invalid_keys() if editable and form is not None else set()
        checklist = _checklist(application, invalid)
        context.update(
            editable=editable,
            form=form if editable else None,
            upload_errors=upload_errors or {},
            submit_form=submit_form or SubmitForm(formdata=None),
            can_withdraw=A.withdrawn in services.TRANSITIONS[application.status],
            checklist=checklist,
            missing=[item for item in checklist if not item.done],
            document_rows=_document_rows(application),
            summary=_summary(application),
            passport_warning=services.passport_warning(application),
            status_label=services.STATUS_LABELS[visible_status(application)],
            status_colour=STATUS_COLOURS[visible_status(application)],
            message_labels=MESSAGE_KIND_LABELS,
            document_status_labels=DOCUMENT_STATUS_LABELS,
            document_status_colours=DOCUMENT_STATUS_COLOURS,
            latest_return=next(
                (m for m in reversed(application.messages) if m.kind in RETURN_KINDS), None
            ),
        )
    return render_template("applications/index.html", **context)


def _max_upload_bytes() -> int:
    return current_app.config.get("UPLOAD_MAX_BYTES", uploads.DEFAULT_MAX_BYTES)


def _back(anchor: str = ""):
    return redirect(url_for("applications.index") + (f"#{anchor}" if anchor else ""))


def _no_application():
    flash(_("You have no application for the current call."), "danger")
    return _back()


def _editable_file(anchor: str = ""):
    """``(cohort, application)``: the student's application to the current cohort, which may be
    changed now; else the response is a redirect saying why not (no application, or no longer
    editable)."""
    cohort = current_cohort()
    application = _load_application(cohort)
    if application is None:
        stop_with(_no_application())
    try:
        services.ensure_editable(application)
    except DomainError as exc:
        flash(exc.message, "danger")
        stop_with(_back(anchor))
    return cohort, application


# --- routes ----------------------------------------------------------------------------------


@bp.get("/")
@kept
@permission_required("application.apply")
def index():
    cohort = current_cohort()
    return _render_page(cohort, _load_application(cohort))


@bp.post("/start")
@permission_required("application.apply")
def start():
    cohort = current_cohort()
    valid_or_400(ConfirmForm())
    if cohort is None:
        flash(_("There is no call for applications at the moment."), "danger")
        return _back()
    attempt(
        lambda: services.start_application(_student(), cohort),
        _("Your application is started. Fill it in, save it as often as you like, then submit it."),
    )
    return _back()


def _save_typed_fields(application: Application) -> ApplicationForm | None:
    """Save the draft fields posted with this request (the file form, or the upload and
    submit buttons that belong to it): every valid field is saved, the refused ones are
    marked beside the field. Returns the form when a field was refused (to show it again),
    None when everything is saved."""
    form = _application_form(application)
    form.validate()
    cin = form.cin.data
    if (
        cin
        and not form.cin.errors
        and services.cin_taken(application.cohort_id, cin, application.id)
    ):
        form.cin.errors = [
            *form.cin.errors,
            _("This CIN is already used by another application this year."),
        ]
    services.save_draft(
        application,
        form.values(valid_only=True),
        form.return_commitment.data,
        form.consent.data,
    )
    return form if form.invalid_keys() else None


def _posted_draft() -> bool:
    """Does this request carry the file's fields (posted from the application form)?"""
    return request.form.get("draft") == "1"


def _save_posted_draft(cohort: Cohort, application: Application) -> Outcome:
    """With an upload or the submission: save the file's fields posted with it (nothing typed
    is lost). Falsy when a rule refused (rolled back, flashed); else its value is the
    application (reloaded when saved) and the form of the refused fields (None: all saved)."""
    if not _posted_draft():
        return Outcome(value=(application, None))
    done = attempt(lambda: _save_typed_fields(application))
    if not done:
        return done
    return Outcome(value=(_load_application(cohort), done.value))


def _fields_refused(cohort: Cohort, form: ApplicationForm):
    """The page again, the refused fields marked in red (the others are saved)."""
    flash(
        _(
            "The other fields are saved; the fields marked in red are not: correct them, "
            "then save again."
        ),
        "warning",
    )
    return _render_page(cohort, _load_application(cohort), form=form)


@bp.post("/")
@permission_required("application.apply")
def save():
    cohort, application = _editable_file()
    if not ConfirmForm().validate_on_submit():  # the CSRF token only
        flash(_("The form has expired; try again."), "danger")
        return _back()
    done = attempt(lambda: _save_typed_fields(application))
    if done and done.value is not None:
        return _fields_refused(cohort, done.value)
    if done:
        flash(_("Your application is saved."), "success")
    return _back()


@bp.post("/submit")
@permission_required("application.apply")
def submit():
    cohort, application = _editable_file()
    form = SubmitForm()
    draft = _save_posted_draft(cohort, application)
    if not draft:
        return _back()
    application, refused = draft.value
    if refused is not None:
        flash(
            _(
                "Your application is not submitted: correct the fields marked in red first "
                "(the other fields are saved)."
            ),
            "danger",
        )
        return _render_page(cohort, application, form=refused, submit_form=form)
    valid_or_again(form, lambda form: _render_page(cohort, application, submit_form=form))
    done = attempt(
        lambda: services.submit(application),
        _(
            "Your application is submitted. The programme team will review it; you will find "
            "their messages on this page and receive them by e-mail."
        ),
    )
    return _back() if done else _back("checklist")


def _upload_form() -> DocumentUploadForm:
    """The upload of one kind: from the application form, each kind's file input is named
    ``file-<kind>`` (the button carries the kind); a lone upload form names it ``file``."""
    data = MultiDict(request.form)
    kind = request.form.get("kind", "")
    upload = request.files.get(f"file-{kind}") or request.files.get("file")
    if upload is not None:
        data["file"] = upload
    return DocumentUploadForm(formdata=data)


@bp.post("/documents")
@permission_required("application.apply")
def upload_document():
    cohort, application = _editable_file("documents")
    form = _upload_form()
    kind = form.document_kind()
    draft = _save_posted_draft(cohort, application)
    if not draft:
        return _back("documents")
    application, refused = draft.value
    if not form.validate_on_submit():
        if kind is None:
            flash(_("Unknown kind of document."), "danger")
            return _back("documents")
        flash(_("The document was not uploaded: see the reason beside the file."), "danger")
        return _render_page(
            cohort,
            application,
            form=refused,
            upload_errors={kind: " ".join(map(str, form.file.errors))},
        )
    upload = form.file.data
    try:
        document = services.add_document(
            application, kind, upload.stream, upload.filename, _student()
        )
    except DomainError as exc:
        db.session.rollback()  # removes the stored file, if any, and the row
        if kind not in services.requirements_for(cohort):  # no field to show the reason by
            flash(exc.message, "danger")
            return _back("documents")
        flash(_("The document was not uploaded: see the reason beside the file."), "danger")
        return _render_page(
            cohort, _load_application(cohort), form=refused, upload_errors={kind: exc.message}
        )
    db.session.commit()
    flash(
        _(
            "“%(name)s” is uploaded as %(kind)s.",
            name=document.original_name,
            kind=DOCUMENT_LABELS[kind],
        ),
        "success",
    )
    if refused is not None:
        return _fields_refused(cohort, refused)
    return _back("documents")


@bp.route("/withdraw", methods=["GET", "POST"])
@permission_required("application.apply")
def withdraw():
    """A page of its own: what withdrawing means, the reason (kept in the file's history and
    the audit) and a box to tick; nothing is withdrawn from the application page itself."""
    cohort = current_cohort()
    application = _load_application(cohort)
    if application is None:
        return _no_application()
    if A.withdrawn not in services.TRANSITIONS[application.status]:
        flash(
            _(
                "Your application is “%(status)s”: it cannot be withdrawn.",
                status=services.STATUS_LABELS[application.status],
            ),
            "danger",
        )
        return _back()
    form = WithdrawForm()
    if request.method == "POST":
        if form.validate_on_submit():
            attempt(
                lambda: services.withdraw(application, form.reason.data),
                _("Your application is withdrawn."),
                category="info",
            )
            return _back()
        flash_form_errors(form)
    return render_template(
        "applications/withdraw.html",
        cohort=cohort,
        application=application,
        form=form,
        status_label=services.STATUS_LABELS[visible_status(application)],
    )
