"""The coordinators' side: the list of applications, the detail page, screening."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..core.errors import DomainError
from ..core.pagination import paginate
from ..core.web import flash_form_errors
from ..extensions import db
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
#: Statuses in which the coordinator may return the file, or decide on eligibility.
RETURNABLE = (A.submitted,)
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
    choices = screening.cohorts()
    cohort_id = request.args.get("cohort", type=int)
    cohort = screening.pick_cohort(cohort_id, choices)
    if cohort_id is not None and cohort is None:
        abort(404)
    return cohort, choices


@bp.route("/")
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
        page = paginate(screening.list_query(cohort, filters), per_page=PER_PAGE, total=total)
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
    form = ScreenAllForm()
    if not form.validate_on_submit():
        abort(400)
    choices = screening.cohorts()
    cohort_id = request.form.get("cohort_id", type=int)
    cohort = screening.pick_cohort(cohort_id, choices)
    if cohort is None:
        flash(_("There is no cohort to screen."), "danger")
        return redirect(url_for("screening.index"))
    try:
        result = screening.screen_all(cohort)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(
            ngettext(
                "%(num)d submitted application screened: %(eligible)d suggested eligible, "
                "%(ineligible)d suggested not eligible.",
                "%(num)d submitted applications screened: %(eligible)d suggested eligible, "
                "%(ineligible)d suggested not eligible.",
                result.total,
                eligible=result.eligible,
                ineligible=result.ineligible,
            ),
            "success",
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
    eligibility_form = forms.get("eligibility_form")
    if eligibility_form is None:
        # Pre-select the current decision, else the rules' suggestion (confirming is one click).
        if application.status in (A.eligible, A.ineligible):
            preselected = application.status.value
        else:
            preselected = "eligible" if suggestion.eligible else "ineligible"
        eligibility_form = EligibilityForm(decision=preselected)
    return (
        render_template(
            "screening/detail.html",
            application=application,
            current_documents=current,
            old_documents=[d for d in application.documents if not d.is_current],
            checklist=services.checklist(application),
            history=screening.history(application),
            suggestion=suggestion,
            suggestion_reasons=[
                services.reason_text({"code": r.code, "params": r.params})
                for r in suggestion.reasons
            ],
            stored_reasons=screening.reason_texts(application),
            rules=rules,
            return_form=forms.get("return_form") or ReturnForm(),
            review_forms=review_forms,
            eligibility_form=eligibility_form,
            can_return=application.status in RETURNABLE,
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


@bp.route("/<int:application_id>/return", methods=["POST"])
@permission_required("application.review")
def return_for_correction(application_id: int):
    application = screening.load_application(application_id)
    form = ReturnForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _render_detail(application, 400, return_form=form)
    try:
        services.return_for_correction(application, form.message.data, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
    else:
        db.session.commit()
        flash(_("The application is returned to the student for correction."), "success")
    return _to_detail(application_id)


@bp.route("/<int:application_id>/eligibility", methods=["POST"])
@permission_required("application.review")
def decide(application_id: int):
    application = screening.load_application(application_id)
    form = EligibilityForm()
    if not form.validate_on_submit():
        flash_form_errors(form)
        return _render_detail(application, 400, eligibility_form=form)
    try:
        services.decide_eligibility(
            application, form.eligible, form.override_reason.data or "", current_user
        )
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        form.override_reason.errors = [*form.override_reason.errors, exc.message]
        application = screening.load_application(application_id)
        return _render_detail(application, 400, eligibility_form=form)
    db.session.commit()
    if form.eligible:
        flash(_("The application is declared eligible; the student is notified."), "success")
    else:
        flash(_("The application is declared not eligible; the student is notified."), "success")
    return _to_detail(application_id)


@bp.route("/documents/<int:document_id>/review", methods=["POST"])
@permission_required("application.review")
def review_document(document_id: int):
    document = db.get_or_404(Document, document_id)
    application_id = document.application_id
    form = DocumentReviewForm(prefix=document_prefix(document.id))
    if not form.validate_on_submit():
        flash_form_errors(form)
        application = screening.load_application(application_id)
        return _render_detail(application, 400, **{f"review_{document.id}": form})
    try:
        services.review_document(document, form.accept, form.comment.data or "", current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "danger")
        form.comment.errors = [*form.comment.errors, exc.message]
        application = screening.load_application(application_id)
        return _render_detail(application, 400, **{f"review_{document.id}": form})
    db.session.commit()
    if form.accept:
        flash(_("The document is accepted."), "success")
    else:
        flash(_("The document is rejected; the student is notified."), "success")
    return _to_detail(application_id)
