"""The coordinators' side: the list of applications, the detail page, screening."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..core.i18n import long_date
from ..core.page_cache import kept
from ..core.pagination import paginate
from ..core.web import attempt, flash_form_errors, valid_or_400, valid_or_again
from ..extensions import db
from ..main.working_cohort import working_cohort
from ..permissions import permission_required
from . import screening, services
from .forms_staff import (
    DocumentReviewForm,
    EligibilityForm,
    ReturnForm,
    ScreenAllForm,
    document_prefix,
)
from .models import ApplicationStatus, Document
from .reference import (
    CEFR_LEVELS,
    DOCUMENT_LABELS,
    GENDER_LABELS,
    POLE_LABELS,
    REGIONS,
)

bp = Blueprint("screening", __name__, url_prefix="/screening")

PER_PAGE = 50

A = ApplicationStatus
#: Statuses in which the coordinator may decide on eligibility (returning a file:
#: ``services.can_return``).
DECIDABLE = (A.submitted, A.eligible, A.ineligible)

LABELS = {
    "status_labels": services.STATUS_LABELS,
    "field_labels": services.FIELD_LABELS,
    "regions": REGIONS,
    "pole_labels": POLE_LABELS,
    "gender_labels": GENDER_LABELS,
    "document_labels": DOCUMENT_LABELS,
    "cefr_levels": CEFR_LEVELS,
    "reason_text": services.reason_text,
}


def _selected_cohort():
    """The cohort named by ``?cohort=<id>``, else the one last chosen, else the open one."""
    return working_cohort("applications")


@bp.route("/")
@kept
@permission_required("application.review")
def index():
    cohort, choices = _selected_cohort()
    filters = screening.Filters.from_args(request.args)
    page = counts = None
    if cohort is not None:
        counts = screening.status_counts(cohort, filters)
        total = (
            counts.get(ApplicationStatus(filters.status), 0)
            if filters.status
            else sum(counts.values())
        )
        page = paginate(
            screening.list_query(cohort, filters),
            per_page=PER_PAGE,
            total=total,
            page_select=screening.page_query(cohort, filters),
        )
    return render_template(
        "screening/index.html",
        cohort=cohort,
        cohorts=choices,
        filters=filters,
        page=page,
        counts=counts,
        institutions=screening.institutions(),
        screen_form=ScreenAllForm(cohort_id=cohort.id if cohort else ""),
        **LABELS,
    )


@bp.route("/export.csv")
@permission_required("application.review")
def export_csv():
    cohort, _choices = _selected_cohort()
    if cohort is None:
        abort(404)
    filters = screening.Filters.from_args(request.args)
    body = screening.export_csv(cohort, filters)
    return Response(
        body.encode("utf-8"),
        content_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="applications-{cohort.year}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/screen-all", methods=["POST"])
@permission_required("application.review")
def screen_all():
    valid_or_400(ScreenAllForm())
    choices = screening.cohorts()
    cohort_id = request.form.get("cohort_id", type=int)
    cohort = screening.pick_cohort(cohort_id, choices)
    if cohort is None:
        flash(_("There is no cohort to screen."), "danger")
        return redirect(url_for("screening.index"))
    attempt(
        lambda: screening.screen_all(cohort),
        lambda result: ngettext(
            "%(num)d submitted application screened: %(eligible)d suggested eligible, "
            "%(ineligible)d suggested not eligible.",
            "%(num)d submitted applications screened: %(eligible)d suggested eligible, "
            "%(ineligible)d suggested not eligible.",
            result.total,
            eligible=result.eligible,
            ineligible=result.ineligible,
        ),
    )
    return redirect(url_for("screening.index", cohort=cohort.id))


def _render_detail(application, status: int = 200, **forms):
    """The detail page; ``forms`` replaces the blank forms (to show a form's errors)."""
    rules = screening.rules_preview(application.cohort)
    suggestion = services.suggest(application, rules)
    current = [d for d in application.documents if d.is_current]
    review_forms = {
        d.id: forms.get(f"review_{d.id}") or DocumentReviewForm(prefix=document_prefix(d.id))
        for d in current
    }
    call_open = services.call_is_open(application.cohort)
    # A file the rules find not eligible while the call is open: the student still has time
    # to correct it (renew a passport, send a certificate), so returning it comes first.
    suggest_return = not suggestion.eligible and call_open and application.status is A.submitted
    eligibility_form = forms.get("eligibility_form")
    if eligibility_form is None:
        # Pre-select the current decision, else the rules' suggestion when it is "eligible"
        # (declaring a file not eligible is never pre-selected: it has its own confirmation).
        if application.status in (A.eligible, A.ineligible):
            preselected = application.status.value
        else:
            preselected = "eligible" if suggestion.eligible else None
        eligibility_form = EligibilityForm(decision=preselected)
    suggestion_reasons = [
        services.reason_text({"code": r.code, "params": r.params}) for r in suggestion.reasons
    ]
    return_form = forms.get("return_form")
    if return_form is None:
        return_form = ReturnForm()
        if suggest_return and not return_form.message.data:
            return_form.message.data = _(
                "Your file does not meet this call's rules yet: %(reasons)s. The call is open "
                "until %(date)s: correct your file, then submit it again.",
                reasons="; ".join(suggestion_reasons),
                date=long_date(application.cohort.applications_close_on),
            )
    return (
        render_template(
            "screening/detail.html",
            application=application,
            current_documents=current,
            old_documents=[d for d in application.documents if not d.is_current],
            checklist=services.checklist(application),
            history=screening.history(application),
            suggestion=suggestion,
            suggestion_reasons=suggestion_reasons,
            suggest_return=suggest_return,
            stored_reasons=screening.reason_texts(application),
            rules=rules,
            return_form=return_form,
            review_forms=review_forms,
            eligibility_form=eligibility_form,
            can_return=services.can_return(application),
            can_decide=application.status in DECIDABLE,
            **LABELS,
        ),
        status,
    )


@bp.route("/<int:application_id>")
@permission_required("application.review")
def detail(application_id: int):
    application = screening.load_application(application_id)
    return _render_detail(application)


def _to_detail(application_id: int):
    return redirect(url_for("screening.detail", application_id=application_id))


def _decided(application_id: int, action, success: str, field, **forms):
    """Run a decision taken from the detail page: done, the detail page; refused, the page
    again (status 400) with the reason beside the form's ``field`` too."""
    done = attempt(action, success)
    if done:
        return _to_detail(application_id)
    field.errors = [*field.errors, done.error.message]
    return _render_detail(screening.load_application(application_id), 400, **forms)


def _detail_form(form, application_id: int, name: str):
    """A form posted from the detail page (shown there as ``name``), once valid; else its
    errors flashed and the page again (status 400)."""
    return valid_or_again(
        form,
        lambda form: _render_detail(
            screening.load_application(application_id), 400, **{name: form}
        ),
    )


@bp.route("/<int:application_id>/return", methods=["POST"])
@permission_required("application.review")
def return_for_correction(application_id: int):
    application = screening.load_application(application_id)
    form = _detail_form(ReturnForm(), application_id, "return_form")
    attempt(
        lambda: services.return_for_correction(application, form.message.data, current_user),
        _("The application is returned to the student for correction."),
    )
    return _to_detail(application_id)


def _confirm_ineligible(application, form: EligibilityForm, status: int = 200):
    """The confirmation page of "not eligible": what follows, the reason (required, told to
    the student and kept in the audit), and returning the file instead while the call is
    open."""
    rules = screening.rules_preview(application.cohort)
    suggestion = services.suggest(application, rules)
    return (
        render_template(
            "screening/confirm_ineligible.html",
            application=application,
            form=form,
            suggestion=suggestion,
            suggestion_reasons=[
                services.reason_text({"code": r.code, "params": r.params})
                for r in suggestion.reasons
            ],
            can_return=services.can_return(application),
            call_open=services.call_is_open(application.cohort),
            **LABELS,
        ),
        status,
    )


@bp.route("/<int:application_id>/eligibility", methods=["POST"])
@permission_required("application.review")
def decide(application_id: int):
    application = screening.load_application(application_id)
    form = _detail_form(EligibilityForm(), application_id, "eligibility_form")
    if application.status not in DECIDABLE:
        flash(_("An eligibility decision is possible once the application is submitted."), "danger")
        return _render_detail(application, 400, eligibility_form=form)
    if not form.eligible:
        if not form.is_confirmed:
            return _confirm_ineligible(application, form)
        if not (form.override_reason.data or "").strip():
            form.override_reason.errors = [
                *form.override_reason.errors,
                _("Write the reason: the student receives it and it is kept in the history."),
            ]
            flash_form_errors(form)
            return _confirm_ineligible(application, form, 400)
    return _decided(
        application_id,
        lambda: services.decide_eligibility(
            application, form.eligible, form.override_reason.data or "", current_user
        ),
        _("The application is declared eligible; the student is notified.")
        if form.eligible
        else _("The application is declared not eligible; the student is notified."),
        form.override_reason,
        eligibility_form=form,
    )


@bp.route("/documents/<int:document_id>/review", methods=["POST"])
@permission_required("application.review")
def review_document(document_id: int):
    document = db.get_or_404(Document, document_id)
    application_id = document.application_id
    form = _detail_form(
        DocumentReviewForm(prefix=document_prefix(document.id)),
        application_id,
        f"review_{document.id}",
    )
    return _decided(
        application_id,
        lambda: services.review_document(
            document, form.accept, form.comment.data or "", current_user
        ),
        _("The document is accepted.")
        if form.accept
        else _("The document is rejected; the student is notified."),
        form.comment,
        **{f"review_{document.id}": form},
    )
