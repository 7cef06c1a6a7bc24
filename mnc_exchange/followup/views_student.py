"""The intern's and alumnus's pages: checklist, check-ins, incidents, return, surveys.

Everything is the logged-in student's own: a step or a survey of another student is a 404.
The internship shown is the student's most recent one (``services.internship_of_student``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from functools import partial, wraps

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..accounts.models import Role
from ..applications.models import Application
from ..core.i18n import long_date
from ..core.page_cache import kept
from ..core.web import attempt, post_form, valid_or_again
from ..extensions import db
from ..offers.services import POLE_LABELS
from ..permissions import permission_required
from ..placements.models import Placement, PlacementStatus
from . import schedule, services
from .forms import (
    MNC_MEMBER_LABELS,
    CheckInForm,
    IncidentForm,
    ReturnForm,
    SituationForm,
    StepForm,
    step_prefix,
)
from .models import (
    EmploymentSurvey,
    Incident,
    IncidentComment,
    IncidentStatus,
    Internship,
    InternshipOutcome,
    MobilityStep,
    Severity,
    SurveyStatus,
)

bp = Blueprint("my_internship", __name__)

OUTCOME_LABELS = {
    InternshipOutcome.ongoing: _l("In progress"),
    InternshipOutcome.completed: _l("Completed"),
    InternshipOutcome.ended_early: _l("Ended early"),
}

SEVERITY_COLOURS = {
    Severity.low: "secondary",
    Severity.medium: "info",
    Severity.high: "warning",
    Severity.critical: "danger",
}

INCIDENT_STATUS_COLOURS = {
    IncidentStatus.open: "danger",
    IncidentStatus.in_progress: "warning",
    IncidentStatus.closed: "success",
}

SURVEY_STATUS_COLOURS = {
    SurveyStatus.pending: "warning",
    SurveyStatus.answered: "success",
    SurveyStatus.unreachable: "secondary",
}


def wave_label(wave: int) -> str:
    if wave == 0:
        return _("Update of my situation")
    return _("Survey %(months)d months after the internship", months=wave)


# --- loading ----------------------------------------------------------------------------------


def _me():
    return current_user._get_current_object()


def _is_mine(internship: Internship) -> bool:
    return services.student_of(internship).id == current_user.id


def _my_internship() -> Internship | None:
    return services.internship_of_student(_me())


def _step_or_404(step_id: int) -> MobilityStep:
    step = db.get_or_404(MobilityStep, step_id)
    if not _is_mine(step.internship):
        abort(404)
    return step


def _survey_or_404(survey_id: int) -> EmploymentSurvey:
    survey = db.get_or_404(EmploymentSurvey, survey_id)
    if not _is_mine(survey.internship):
        abort(404)
    return survey


def _back():
    return redirect(url_for("my_internship.index"))


def _with_internship(view):
    """A page of the student's own internship: the view gets it as its first argument; a
    student without one goes back to the follow-up page with a note."""

    @wraps(view)
    def with_internship(*args, **kwargs):
        internship = _my_internship()
        if internship is None:
            flash(_("You have no internship to follow yet."), "info")
            return _back()
        return view(internship, *args, **kwargs)

    return with_internship


# --- what the page shows ----------------------------------------------------------------------


@dataclass
class StepView:
    step: MobilityStep
    label: str
    state: str  # done / overdue / soon / todo
    form: StepForm


def _step_state(step: MobilityStep, today: date, finished: bool = False) -> str:
    if step.done_on is not None:
        return "done"
    if finished:  # the internship is over: nothing is overdue any more
        return "not_recorded"
    if step.due_on < today:
        return "overdue"
    if step.due_on <= today + timedelta(days=schedule.AMBER_WITHIN_DAYS):
        return "soon"
    return "todo"


def _step_form(step: MobilityStep) -> StepForm:
    return StepForm(
        formdata=None,
        prefix=step_prefix(step.id),
        done_on=step.done_on,
        note=step.note,
        visa_type=step.internship.visa_type or "",
    )


def reportable_months(internship: Internship, today: date) -> list[date]:
    """Months of the internship already started and not reported yet (earliest first)."""
    start, end = services.dates_of(internship)
    done = {c.month for c in services.checkins(internship)}
    current = schedule.month_start(today)
    return [m for m in schedule.checkin_months(start, end) if m <= current and m not in done]


def can_confirm_return(internship: Internship, end: date, today: date) -> bool:
    """Once the internship is over: after its last day, or after an early end."""
    if internship.returned_on is not None:
        return False
    return internship.outcome is InternshipOutcome.ended_early or today >= end


def _my_incidents(internship: Internship) -> list[Incident]:
    """The incidents the student reported (those a host contact reported stay with the
    programme team), with the comments and their authors."""
    return list(
        db.session.scalars(
            select(Incident)
            .options(selectinload(Incident.comments).joinedload(IncidentComment.author))
            .where(Incident.internship_id == internship.id, Incident.reported_by_id == _me().id)
            .order_by(Incident.created_at.desc(), Incident.id.desc())
        )
    )


def _render(
    internship: Internship,
    *,
    posted_step: tuple[int, StepForm] | None = None,
    checkin_form: CheckInForm | None = None,
    incident_form: IncidentForm | None = None,
    return_form: ReturnForm | None = None,
    status: int = 200,
):
    today = date.today()
    start, end = services.dates_of(internship)
    finished = internship.outcome is not InternshipOutcome.ongoing
    steps = []
    for step in internship.steps:
        form = _step_form(step)
        if posted_step is not None and posted_step[0] == step.id:
            form = posted_step[1]
        label = services.STEP_LABELS.get(step.key, step.key)
        steps.append(StepView(step, label, _step_state(step, today, finished), form))
    done_checkins = services.checkins(internship)
    # Once back in Morocco, the check-ins are history.
    months = [] if internship.returned_on else reportable_months(internship, today)
    if checkin_form is None:
        checkin_form = CheckInForm(formdata=None)
        checkin_form.set_months(months)
    missing = (
        schedule.missing_checkins(start, end, {c.month for c in done_checkins}, today)
        if internship.arrived_on and not internship.returned_on
        else []
    )
    surveys = services.surveys(internship)
    placement = internship.placement
    return (
        render_template(
            "my_internship/index.html",
            internship=internship,
            placement=placement,
            offer=placement.offer,
            start=start,
            end=end,
            today=today,
            finished=finished,
            steps=steps,
            overdue=[s for s in steps if s.state == "overdue"],
            checkin_form=checkin_form,
            checkin_months=months,
            checkins=done_checkins,
            missing_months=missing,
            incident_form=incident_form or IncidentForm(formdata=None, occurred_on=today),
            incidents=_my_incidents(internship),
            return_form=return_form or ReturnForm(formdata=None),
            can_return=can_confirm_return(internship, end, today),
            waves=[s for s in surveys if s.wave != 0],
            latest=services.latest_situation(internship),
            outcome_labels=OUTCOME_LABELS,
            visa_labels=services.VISA_LABELS,
            category_labels=services.CATEGORY_LABELS,
            severity_labels=services.SEVERITY_LABELS,
            severity_colours=SEVERITY_COLOURS,
            incident_status_labels=services.INCIDENT_STATUS_LABELS,
            incident_status_colours=INCIDENT_STATUS_COLOURS,
            survey_status_labels=services.SURVEY_STATUS_LABELS,
            survey_status_colours=SURVEY_STATUS_COLOURS,
            situation_labels=services.SITUATION_LABELS,
            wave_label=wave_label,
        ),
        status,
    )


def _render_none():
    """No internship yet: say what comes next."""
    placement = db.session.scalar(
        select(Placement)
        .join(Application, Application.id == Placement.application_id)
        .where(
            Application.student_id == _me().id,
            Placement.status == PlacementStatus.proposed,
        )
        .order_by(Placement.id.desc())
        .limit(1)
    )
    return render_template("my_internship/none.html", proposed=placement)


# --- the dashboard's "what is due" ------------------------------------------------------------


@dataclass
class DueSummary:
    internship: Internship
    next_step: MobilityStep | None
    next_step_label: str | None
    next_step_overdue: bool
    checkin_month: date | None
    survey: EmploymentSurvey | None
    can_return: bool
    end: date


def internship_due(today: date | None = None) -> DueSummary | None:
    """For the student's dashboard: the next step, the check-in and the survey due."""
    if not current_user.is_authenticated or current_user.role is not Role.student:
        return None
    internship = _my_internship()
    if internship is None:
        return None
    today = today or date.today()
    _start, end = services.dates_of(internship)
    next_step = None
    if internship.outcome is InternshipOutcome.ongoing:
        next_step = next((s for s in internship.steps if s.done_on is None), None)
    checkin_month = None
    if internship.returned_on is None:
        checkin_month = services.pending_checkin_month(internship, today)
    survey = db.session.scalar(
        select(EmploymentSurvey)
        .where(
            EmploymentSurvey.internship_id == internship.id,
            EmploymentSurvey.status == SurveyStatus.pending,
            EmploymentSurvey.due_on <= today,
        )
        .order_by(EmploymentSurvey.due_on)
        .limit(1)
    )
    return DueSummary(
        internship=internship,
        next_step=next_step,
        next_step_label=services.STEP_LABELS.get(next_step.key) if next_step else None,
        next_step_overdue=bool(next_step and next_step.due_on < today),
        checkin_month=checkin_month,
        survey=survey,
        can_return=can_confirm_return(internship, end, today),
        end=end,
    )


@bp.app_context_processor
def _inject() -> dict:
    return {"my_internship_due": internship_due}


# --- routes -----------------------------------------------------------------------------------


@bp.get("/my/internship")
@kept
@permission_required("followup.self")
def index():
    internship = _my_internship()
    if internship is None:
        return _render_none()
    return _render(internship)


@bp.post("/my/internship/steps/<int:my_step_id>")
@permission_required("followup.self")
def step(my_step_id: int):
    item = _step_or_404(my_step_id)
    form = valid_or_again(
        StepForm(prefix=step_prefix(item.id)),
        lambda form: _render(item.internship, posted_step=(item.id, form), status=400),
    )
    visa_type = form.visa_type.data if item.key == "visa_granted" else None
    if attempt(
        lambda: services.update_step(
            item, form.done_on.data, form.note.data, _me(), visa_type=visa_type
        )
    ):
        label = services.STEP_LABELS.get(item.key, item.key)
        if item.done_on:
            flash(_("“%(step)s” is marked as done.", step=label), "success")
        else:
            flash(_("“%(step)s” is saved as not done yet.", step=label), "info")
    return _back()


@bp.post("/my/internship/checkin")
@permission_required("followup.self")
@_with_internship
def checkin(internship: Internship):
    form = CheckInForm()
    form.set_months(reportable_months(internship, date.today()))
    valid_or_again(form, lambda form: _render(internship, checkin_form=form, status=400))
    attempt(
        lambda: services.submit_checkin(
            internship,
            form.month_value,
            form.wellbeing.data,
            form.workload.data,
            form.learned.data or "",
            form.problems.data or "",
            _me(),
        ),
        _("Thank you: your check-in is sent to the programme team."),
    )
    return _back()


@bp.post("/my/internship/incidents")
@permission_required("followup.self")
@_with_internship
def report_incident(internship: Internship):
    form = valid_or_again(
        IncidentForm(), lambda form: _render(internship, incident_form=form, status=400)
    )
    done = attempt(lambda: services.report_incident(internship, _me(), *form.details()))
    if not done:
        return _render(internship, incident_form=form, status=400)
    if done.value.severity is Severity.critical:
        flash(
            _(
                "Your report is sent: every coordinator has been alerted at once. In an "
                "emergency, call 112."
            ),
            "warning",
        )
    else:
        flash(_("Your report is sent to the programme team; follow it below."), "success")
    return _back()


@bp.post("/my/internship/return")
@permission_required("followup.self")
@_with_internship
def confirm_return(internship: Internship):
    _start, end = services.dates_of(internship)
    if internship.returned_on is not None:
        flash(_("Your return is already confirmed."), "info")
        return _back()
    if not can_confirm_return(internship, end, date.today()):
        flash(
            _(
                "You can confirm your return once your internship is over, from %(date)s.",
                date=long_date(end),
            ),
            "danger",
        )
        return _back()
    form = ReturnForm()
    return (
        post_form(
            form,
            lambda: services.confirm_return(internship, form.returned_on.data, _me()),
            _(
                "Welcome back! Your return is confirmed. We will ask about your situation 3, 6 and "
                "12 months after the end of your internship."
            ),
            lambda form: _render(internship, return_form=form, status=400),
        )
        or _back()
    )


def _render_survey(survey: EmploymentSurvey, form: SituationForm | None, status: int = 200):
    today = date.today()
    return (
        render_template(
            "my_internship/survey.html",
            survey=survey,
            form=form,
            not_yet_due=survey.due_on > today,
            title=wave_label(survey.wave),
            **_situation_labels(),
        ),
        status,
    )


def _post_situation(save, success: str, again):
    """A situation posted (a survey's answer, an update): ``save(answer, student)`` is the one
    service call; done, back to the follow-up page (else ``again(form)``, see ``post_form``)."""
    form = SituationForm()
    return post_form(form, lambda: save(form.to_input(), _me()), success, again) or _back()


def _situation_labels() -> dict:
    return {
        "situation_labels": services.SITUATION_LABELS,
        "contract_labels": services.CONTRACT_LABELS,
        "salary_labels": services.SALARY_LABELS,
        "pole_labels": POLE_LABELS,
        "member_labels": MNC_MEMBER_LABELS,
        "survey_status_labels": services.SURVEY_STATUS_LABELS,
        "survey_status_colours": SURVEY_STATUS_COLOURS,
    }


@bp.route("/my/internship/surveys/<int:my_survey_id>", methods=["GET", "POST"])
@permission_required("followup.self")
def survey(my_survey_id: int):
    item = _survey_or_404(my_survey_id)
    posted = request.method == "POST"
    # Answered, closed, or not yet due: the page says which (and shows the answer).
    if item.status is not SurveyStatus.pending:
        if posted:
            flash(_("This survey is already closed."), "info")
            return redirect(url_for("my_internship.survey", my_survey_id=item.id))
        return _render_survey(item, None)
    if item.due_on > date.today():
        if posted:
            flash(
                _("This survey opens on %(date)s.", date=long_date(item.due_on)),
                "danger",
            )
            return redirect(url_for("my_internship.survey", my_survey_id=item.id))
        return _render_survey(item, None)
    if not posted:
        previous = services.latest_situation(item.internship)
        return _render_survey(item, SituationForm.from_survey(previous))
    return _post_situation(
        partial(services.answer_survey, item),
        _("Thank you for your answer: it helps the programme a lot."),
        lambda form: _render_survey(item, form, status=400),
    )


@bp.route("/my/internship/situation", methods=["GET", "POST"])
@permission_required("followup.self")
@_with_internship
def situation(internship: Internship):
    if internship.returned_on is None:
        flash(_("You can update your situation once your return to Morocco is confirmed."), "info")
        return _back()
    latest = services.latest_situation(internship)
    if request.method != "POST":
        form = SituationForm.from_survey(latest)
        return _render_situation(internship, form, latest)
    return _post_situation(
        partial(services.update_situation, internship),
        _("Your situation is updated. Thank you!"),
        lambda form: _render_situation(internship, form, latest, status=400),
    )


def _render_situation(internship, form, latest, status: int = 200):
    return (
        render_template(
            "my_internship/situation.html",
            internship=internship,
            form=form,
            latest=latest,
            **_situation_labels(),
        ),
        status,
    )
