"""The coordinators' selection pages: rubric, assignments, shortlist, interviews, decisions.

Every view: load → authorise (``selection.manage``) → validate the form → call the service
(``selection.services``) → commit once; a refused rule (``DomainError``) is rolled back and
flashed. POSTs redirect (Post/Redirect/Get) except when a form has errors to show.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from ..accounts.forms import ConfirmForm
from ..accounts.models import User
from ..applications.services import STATUS_LABELS
from ..cohorts.models import Cohort
from ..core.forms import row_form, row_prefix
from ..core.i18n import de
from ..core.timeutils import utcnow
from ..core.web import attempt, flash_form_errors, valid_or_again
from ..extensions import db
from ..permissions import permission_required
from . import minutes, queries, services
from .forms_staff import (
    BLANK_CRITERIA,
    InterviewForm,
    InterviewScoreForm,
    OverrideForm,
    PublishForm,
    ReassignForm,
    RubricForm,
    SettingsForm,
)
from .models import AssignmentStatus, SeatOfferStatus
from .settings import save_settings

bp = Blueprint("selection", __name__, url_prefix="/selection")

ASSIGNMENT_LABELS = {
    AssignmentStatus.assigned: _l("To review"),
    AssignmentStatus.submitted: _l("Submitted"),
    AssignmentStatus.conflict: _l("Conflict of interest"),
}

OFFER_LABELS = {
    SeatOfferStatus.open: _l("open"),
    SeatOfferStatus.accepted: _l("accepted"),
    SeatOfferStatus.declined: _l("declined"),
    SeatOfferStatus.expired: _l("expired"),
}

LABELS = {
    "status_labels": STATUS_LABELS,
    "offer_labels": OFFER_LABELS,
    "assignment_labels": ASSIGNMENT_LABELS,
    "tie_break": minutes.TIE_BREAK,
    "zone": minutes.ZONE_NAME,
    "criterion_label": services.criterion_label,
}


def _page(template: str, status: int, **context):
    """A page of the round, with the labels every one of them uses."""
    return render_template(template, **context, **LABELS), status


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --- overview and settings -------------------------------------------------------------------


def _render_overview(cohort: Cohort, status: int = 200, settings_form: SettingsForm | None = None):
    settings = queries.settings_preview(cohort)
    counts = queries.status_counts(cohort)
    missing = queries.missing_reviewers(cohort, settings.reviewers_per_application)
    if settings_form is None:
        settings_form = SettingsForm(formdata=None, obj=settings)
    return _page(
        "selection/overview.html",
        status,
        cohort=cohort,
        settings=settings,
        shortlist_size=settings.shortlist_size or 2 * cohort.quota,
        counts=counts,
        seats_taken=services.seats_taken(cohort),
        steps=queries.steps(settings, counts, missing),
        waitlist=queries.waitlist(cohort),
        offers=queries.seat_offers(cohort),
        settings_form=settings_form,
        step_form=ConfirmForm(formdata=None),
        now=utcnow(),
    )


@bp.route("/<int:cohort_id>")
@permission_required("selection.manage")
def overview(cohort_id: int):
    return _render_overview(queries.load_cohort(cohort_id))


@bp.route("/<int:cohort_id>/settings", methods=["POST"])
@permission_required("selection.manage")
def settings(cohort_id: int):
    cohort = queries.load_cohort(cohort_id)
    form = valid_or_again(
        SettingsForm(), lambda form: _render_overview(cohort, 400, settings_form=form)
    )
    done = attempt(
        lambda: save_settings(
            cohort,
            form.reviewers_per_application.data,
            form.disagreement_gap.data,
            form.shortlist_size.data,
            form.seat_offer_days.data,
        )
    )
    if done and done.value:
        flash(_("The selection settings are saved."), "success")
    elif done:
        flash(_("Nothing to change."), "info")
    return redirect(url_for("selection.overview", cohort_id=cohort_id))


# --- rubric ----------------------------------------------------------------------------------


def _rubric_data(cohort: Cohort) -> dict:
    return {
        "criteria": [
            {
                "key": c.key,
                "label": services.criterion_label(c),
                "weight": Decimal(c.weight),
                "max_score": Decimal(c.max_score),
                "is_interview": c.is_interview,
            }
            for c in queries.rubric_preview(cohort)
        ]
    }


@bp.route("/<int:cohort_id>/rubric", methods=["GET", "POST"])
@permission_required("selection.manage")
def rubric(cohort_id: int):
    cohort = queries.load_cohort(cohort_id)
    settings = queries.settings_preview(cohort)
    editable = settings.scoring_started_at is None
    status = 200
    form = RubricForm()
    if form.is_submitted():
        if form.validate():
            rows = [services.CriterionInput(**row) for row in form.rows()]
            attempt(lambda: services.update_rubric(cohort, rows), _("The rubric is saved."))
            return redirect(url_for("selection.rubric", cohort_id=cohort_id))
        flash_form_errors(form)
        status = 400
    else:
        form = RubricForm(formdata=None, data=_rubric_data(cohort))
        if editable:
            for _i in range(BLANK_CRITERIA):
                form.criteria.append_entry()
    return _page(
        "selection/rubric.html",
        status,
        cohort=cohort,
        form=form,
        editable=editable,
        criteria=queries.rubric_preview(cohort),
    )


# --- reviewers -------------------------------------------------------------------------------


def _row_post(cohort: Cohort, form, prefix: str, page: str, render, action, success):
    """A form posted from one row of a list page (``page``, shown by ``render``): its errors
    show the page again (400); else ``action(form)`` is the one service call, and back to the
    page."""
    cohort_id = cohort.id
    valid_or_again(form, lambda form: render(cohort, 400, {prefix: form}))
    attempt(lambda: action(form), success)
    return redirect(url_for(page, cohort_id=cohort_id))


def _step(cohort: Cohort, action, success, then: str, refused_to: str = "selection.overview"):
    """A step button of the round (a bare confirmation form): one service call, then the page
    ``then`` (``refused_to`` when a rule refuses it; the overview when the form expired)."""
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; try again."), "danger")
        return redirect(url_for("selection.overview", cohort_id=cohort.id))
    done = attempt(action, success)
    return redirect(url_for(then if done else refused_to, cohort_id=cohort.id))


@bp.route("/<int:cohort_id>/assign", methods=["POST"])
@permission_required("selection.manage")
def assign(cohort_id: int):
    cohort = queries.load_cohort(cohort_id)
    return _step(
        cohort,
        lambda: services.assign_reviewers(cohort),
        lambda created: ngettext("%(num)d review assigned.", "%(num)d reviews assigned.", created),
        "selection.assignments",
        refused_to="selection.assignments",
    )


def _render_assignments(cohort: Cohort, status: int = 200, forms: dict | None = None):
    pool = queries.coordinators()
    rows = queries.assignment_rows(cohort)
    reassign_forms = {}
    for row in rows:
        for assignment in row.assignments:
            if assignment.status is AssignmentStatus.submitted:
                continue
            prefix = row_prefix("reassign", assignment.id)
            taken = {a.reviewer_id for a in row.assignments}
            choices = [r for r in pool if r.id not in taken and r.id != row.application.student_id]
            form = (forms or {}).get(prefix)
            if form is None:
                form = ReassignForm(formdata=None, prefix=prefix, reviewers=choices)
            else:
                form.reviewer_id.choices = [(r.id, r.full_name) for r in choices]
            reassign_forms[assignment.id] = form
    # Blind reviewing: the totals of an application stay hidden from a coordinator who still
    # has to review it.
    blind = {
        row.application.id
        for row in rows
        for a in row.assignments
        if a.reviewer_id == current_user.id and a.status is AssignmentStatus.assigned
    }
    settings = queries.settings_preview(cohort)
    return _page(
        "selection/assignments.html",
        status,
        cohort=cohort,
        rows=rows,
        loads=queries.reviewer_loads(cohort, pool),
        reassign_forms=reassign_forms,
        blind=blind,
        settings=settings,
        step_form=ConfirmForm(formdata=None),
        missing=queries.missing_reviewers(cohort, settings.reviewers_per_application),
    )


@bp.route("/<int:cohort_id>/assignments")
@permission_required("selection.manage")
def assignments(cohort_id: int):
    return _render_assignments(queries.load_cohort(cohort_id))


@bp.route("/assignments/<int:assignment_id>/reassign", methods=["POST"])
@permission_required("selection.manage")
def reassign(assignment_id: int):
    assignment = queries.load_assignment(assignment_id)
    prefix = row_prefix("reassign", assignment.id)

    def give(form: ReassignForm) -> User:
        reviewer = db.session.get(User, form.reviewer_id.data)
        services.reassign(assignment, reviewer)
        return reviewer

    return _row_post(
        assignment.application.cohort,
        ReassignForm(prefix=prefix, reviewers=queries.coordinators()),
        prefix,
        "selection.assignments",
        _render_assignments,
        give,
        lambda reviewer: _("The review is given to %(name)s.", name=reviewer.full_name),
    )


# --- shortlist and interviews ----------------------------------------------------------------


@bp.route("/<int:cohort_id>/shortlist", methods=["POST"])
@permission_required("selection.manage")
def shortlist(cohort_id: int):
    cohort = queries.load_cohort(cohort_id)
    return _step(
        cohort,
        lambda: services.make_shortlist(cohort),
        lambda made: _(
            "Shortlist made: %(kept)d shortlisted, %(rejected)d not selected.",
            kept=made[0],
            rejected=made[1],
        ),
        "selection.interviews",
    )


def _render_interviews(cohort: Cohort, status: int = 200, forms: dict | None = None):
    forms = forms or {}
    rows = queries.interview_rows(cohort)
    # ``?show=to_score``: only the interviews held and not scored yet.
    to_score = request.args.get("show") == "to_score"
    if to_score:
        now = utcnow()
        rows = [row for row in rows if queries.interview_to_score(row, now)]
    schedule_forms, score_forms = {}, {}
    for row in rows:
        application = row.application
        prefix = row_prefix("interview", application.id)
        form = forms.get(prefix)
        if form is None:
            form = InterviewForm(formdata=None, prefix=prefix)
            if row.interview is not None:
                local = row.interview.starts_at
                local = (local if local.tzinfo else local.replace(tzinfo=UTC)).astimezone(
                    minutes.ZONE
                )
                form.day.data = local.date()
                form.time.data = local.time().replace(second=0, microsecond=0)
                form.duration_minutes.data = row.interview.duration_minutes
                form.location.data = row.interview.location
        schedule_forms[application.id] = form
        score_forms[application.id] = row_form(InterviewScoreForm, "score", application.id, forms)
    settings = queries.settings_preview(cohort)
    return _page(
        "selection/interviews.html",
        status,
        cohort=cohort,
        rows=rows,
        schedule_forms=schedule_forms,
        score_forms=score_forms,
        criterion=queries.interview_criterion(queries.rubric_preview(cohort)),
        decided=settings.decisions_at is not None,
        to_score=to_score,
    )


@bp.route("/<int:cohort_id>/interviews")
@permission_required("selection.manage")
def interviews(cohort_id: int):
    return _render_interviews(queries.load_cohort(cohort_id))


def casablanca_to_utc(day, time) -> datetime:
    """A date and a wall-clock time in Africa/Casablanca, as an aware UTC datetime."""
    return datetime.combine(day, time, tzinfo=minutes.ZONE).astimezone(UTC)


@bp.route("/applications/<int:application_id>/interview", methods=["POST"])
@permission_required("selection.manage")
def schedule_interview(application_id: int):
    application = queries.load_application(application_id)
    prefix = row_prefix("interview", application.id)
    return _row_post(
        application.cohort,
        InterviewForm(prefix=prefix),
        prefix,
        "selection.interviews",
        _render_interviews,
        lambda form: services.schedule_interview(
            application,
            casablanca_to_utc(form.day.data, form.time.data),
            form.location.data,
            form.duration_minutes.data,
        ),
        lambda _value: _(
            "The interview %(of_name)s is scheduled; the student is e-mailed.",
            of_name=de(application.full_name),
        ),
    )


@bp.route("/applications/<int:application_id>/interview-score", methods=["POST"])
@permission_required("selection.manage")
def score_interview(application_id: int):
    application = queries.load_application(application_id)
    prefix = row_prefix("score", application.id)
    return _row_post(
        application.cohort,
        InterviewScoreForm(prefix=prefix),
        prefix,
        "selection.interviews",
        _render_interviews,
        lambda form: services.score_interview(
            application, form.score.data, form.notes.data or "", current_user._get_current_object()
        ),
        lambda _value: _(
            "The interview score %(of_name)s is saved.", of_name=de(application.full_name)
        ),
    )


# --- decisions -------------------------------------------------------------------------------


@bp.route("/<int:cohort_id>/decide", methods=["POST"])
@permission_required("selection.manage")
def decide(cohort_id: int):
    cohort = queries.load_cohort(cohort_id)
    return _step(
        cohort,
        lambda: services.make_decisions(cohort),
        lambda counts: _(
            "Decisions made: %(selected)d selected, %(waitlisted)d waitlisted, %(rejected)d not "
            "selected. They stay hidden from the students until you publish them.",
            selected=counts.get("selected", 0),
            waitlisted=counts.get("waitlisted", 0),
            rejected=counts.get("rejected", 0),
        ),
        "selection.ranking",
    )


def _render_ranking(cohort: Cohort, status: int = 200, forms: dict | None = None):
    forms = forms or {}
    rows = queries.ranking(cohort)
    left_out = queries.not_shortlisted(cohort)
    override_forms = {}
    for application in [r.application for r in rows] + left_out:
        if application.status not in queries.DECIDED:
            continue
        override_forms[application.id] = row_form(OverrideForm, "override", application.id, forms)
    settings = queries.settings_preview(cohort)
    return _page(
        "selection/ranking.html",
        status,
        cohort=cohort,
        rows=rows,
        left_out=left_out,
        override_forms=override_forms,
        settings=settings,
        seats_taken=services.seats_taken(cohort),
        step_form=ConfirmForm(formdata=None),
    )


@bp.route("/<int:cohort_id>/ranking")
@permission_required("selection.manage")
def ranking(cohort_id: int):
    return _render_ranking(queries.load_cohort(cohort_id))


@bp.route("/applications/<int:application_id>/override", methods=["POST"])
@permission_required("selection.manage")
def override(application_id: int):
    application = queries.load_application(application_id)
    prefix = row_prefix("override", application.id)
    return _row_post(
        application.cohort,
        OverrideForm(prefix=prefix),
        prefix,
        "selection.ranking",
        _render_ranking,
        lambda form: services.override_decision(application, form.target, form.reason.data),
        lambda _value: _(
            "The decision on %(name)s is now “%(status)s”.",
            name=application.full_name,
            status=STATUS_LABELS[application.status],
        ),
    )


@bp.route("/<int:cohort_id>/publish", methods=["GET", "POST"])
@permission_required("selection.manage")
def publish(cohort_id: int):
    """A confirmation page: how many students are told what, that it cannot be undone, and
    the note the publication rests on (kept in the audit)."""
    cohort = queries.load_cohort(cohort_id)
    refusal = services.publish_refusal(cohort)
    if refusal is not None:
        flash(refusal, "danger")
        return redirect(url_for("selection.overview", cohort_id=cohort_id))
    form = PublishForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            attempt(
                lambda: services.publish(cohort, form.note.data),
                lambda notified: ngettext(
                    "The decisions are published; %(num)d student is e-mailed.",
                    "The decisions are published; %(num)d students are e-mailed.",
                    notified,
                ),
            )
            return redirect(url_for("selection.overview", cohort_id=cohort_id))
        flash_form_errors(form)
        status = 400
    counts = queries.status_counts(cohort)
    return _page(
        "selection/publish.html",
        status,
        cohort=cohort,
        form=form,
        counts={s: counts.get(s, 0) for s in services.HIDDEN_UNTIL_PUBLISHED},
    )


# --- minutes and exports ---------------------------------------------------------------------


def _download(cohort_id: int, build, content_type: str, filename: str) -> Response:
    """``build(cohort)`` as an attachment named ``filename`` (``{year}`` is the cohort's)."""
    cohort = queries.load_cohort(cohort_id)
    return _no_store(
        Response(
            build(cohort),
            content_type=content_type,
            headers={
                "Content-Disposition": f'attachment; filename="{filename.format(year=cohort.year)}"'
            },
        )
    )


@bp.route("/<int:cohort_id>/minutes.pdf")
@permission_required("selection.manage")
def minutes_pdf(cohort_id: int):
    return _download(
        cohort_id, minutes.minutes_pdf, minutes.PDF_CONTENT_TYPE, "selection-minutes-{year}.pdf"
    )


@bp.route("/<int:cohort_id>/ranking.csv")
@permission_required("selection.manage")
def ranking_csv(cohort_id: int):
    return _download(
        cohort_id, minutes.ranking_csv, minutes.CSV_CONTENT_TYPE, "selection-ranking-{year}.csv"
    )


@bp.route("/<int:cohort_id>/ranking.xlsx")
@permission_required("selection.manage")
def ranking_xlsx(cohort_id: int):
    return _download(
        cohort_id, minutes.ranking_xlsx, minutes.XLSX_CONTENT_TYPE, "selection-ranking-{year}.xlsx"
    )
