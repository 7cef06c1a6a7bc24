"""Coordinators: the interns board, each intern's file, incidents, evaluations, returns and surveys.

Every view: load → authorise (``followup.manage``; coordinators and admins follow every intern)
→ validate the form → call ONE service (``followup.services``) → commit once; a refused rule
(``DomainError``) is rolled back and flashed, and the page is shown again with what was typed.
The cohort pages work on the one named by ``?cohort=<id>``, else the cohort abroad or last
abroad (``main.working_cohort``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload, load_only, selectinload

from ..accounts.forms import ConfirmForm
from ..accounts.models import User
from ..applications.models import Application, name_shown
from ..cohorts.models import Cohort
from ..core.errors import DomainError
from ..core.forms import row_prefix
from ..core.page_cache import kept
from ..core.pagination import paginate, paginate_list
from ..core.timeutils import as_utc, utcnow
from ..core.web import attempt, flash_form_errors, post_form, refused, valid_or_again
from ..extensions import db
from ..hosts.models import Company
from ..main.working_cohort import working_cohort
from ..offers.models import Offer
from ..offers.services import POLE_LABELS
from ..permissions import permission_required
from ..placements.models import Placement
from . import schedule, services
from .forms_staff import (
    EVALUATION_KIND_LABELS,
    CommentForm,
    CriteriaForm,
    EndEarlyForm,
    EvaluationLinkForm,
    IncidentReportForm,
    ReturnForm,
    SituationForm,
    StepForm,
    TriageForm,
)
from .models import (
    SURVEY_WAVES,
    EmploymentSurvey,
    EvaluationCriterion,
    EvaluationKind,
    Incident,
    IncidentComment,
    IncidentStatus,
    Internship,
    InternshipOutcome,
    MobilityStep,
    Severity,
    Situation,
    SurveyStatus,
    TutorEvaluation,
)

bp = Blueprint("followup", __name__)

RATING_LABELS = {
    schedule.RED: _l("Red"),
    schedule.AMBER: _l("Amber"),
    schedule.GREEN: _l("Green"),
}
RATING_HELP = {
    schedule.RED: _l(
        "a step overdue by more than 7 days, an open critical incident, or an internship over "
        "for more than 7 days without a confirmed return"
    ),
    schedule.AMBER: _l(
        "a step overdue by up to 7 days or due within 7 days, or an internship just over "
        "without a confirmed return"
    ),
    schedule.GREEN: _l("on track"),
}
RATING_CLASSES = {
    schedule.RED: "bg-danger",
    schedule.AMBER: "bg-warning text-dark",
    schedule.GREEN: "bg-success",
}

BOARD_FLAG_LABELS = {
    "overdue": _l("Overdue steps"),
    "checkins": _l("Missing check-ins"),
    "return": _l("Return not confirmed"),
}

OUTCOME_LABELS = {
    InternshipOutcome.ongoing: _l("Ongoing"),
    InternshipOutcome.completed: _l("Completed"),
    InternshipOutcome.ended_early: _l("Ended early"),
}

SEVERITY_CLASSES = {
    Severity.low: "bg-secondary",
    Severity.medium: "bg-info text-dark",
    Severity.high: "bg-warning text-dark",
    Severity.critical: "bg-danger",
}
SEVERITY_ORDER = (Severity.critical, Severity.high, Severity.medium, Severity.low)

EVALUATION_STATE_LABELS = {
    "not_sent": _l("Link not sent yet"),
    "sent": _l("Link sent, waiting for the tutor"),
    "expired": _l("Link expired"),
    "revoked": _l("Link withdrawn"),
    "answered": _l("Answered"),
}

LABELS = {
    "rating_labels": RATING_LABELS,
    "rating_help": RATING_HELP,
    "rating_classes": RATING_CLASSES,
    "outcome_labels": OUTCOME_LABELS,
    "step_labels": services.STEP_LABELS,
    "visa_labels": services.VISA_LABELS,
    "category_labels": services.CATEGORY_LABELS,
    "severity_labels": services.SEVERITY_LABELS,
    "severity_classes": SEVERITY_CLASSES,
    "incident_status_labels": services.INCIDENT_STATUS_LABELS,
    "situation_labels": services.SITUATION_LABELS,
    "contract_labels": services.CONTRACT_LABELS,
    "salary_labels": services.SALARY_LABELS,
    "survey_status_labels": services.SURVEY_STATUS_LABELS,
    "pole_labels": POLE_LABELS,
    "kind_labels": EVALUATION_KIND_LABELS,
    "evaluation_state_labels": EVALUATION_STATE_LABELS,
}


def _actor() -> User:
    return current_user._get_current_object()


# --- cohorts -----------------------------------------------------------------------------------


def _requested_cohort() -> tuple[Cohort | None, list[Cohort]]:
    """The cohort named by ``?cohort=<id>`` (404 if unknown), else the one last chosen, else
    the cohort abroad or last abroad; with every cohort for the selector."""
    return working_cohort("followup")


def _preload_students(applications) -> None:
    """Load the students of ``applications`` in one query (``Application.full_name`` falls back
    on the student's name): the rows then find them without a query each."""
    ids = {a.student_id for a in applications}
    if ids:
        list(db.session.scalars(select(User).where(User.id.in_(ids))))


# --- the board ---------------------------------------------------------------------------------


@bp.route("/followup")
@kept
@permission_required("followup.manage")
def board():
    cohort, choices = _requested_cohort()
    rating = request.args.get("rating")
    if rating not in RATING_LABELS:
        rating = None
    flag = request.args.get("flag")
    if flag not in services.BOARD_FLAGS:
        flag = None
    today = date.today()
    rows: list[services.BoardRow] = []
    summary: dict = {"total": 0}
    page = None
    if cohort is not None:
        # The ratings, counts and flags are computed in SQL (``services.board_table``): the page
        # is sorted, filtered and cut in the database, its rows carry the summary counted over
        # every intern, and only the page's interns are read further.
        table = services.board_table(cohort, today)
        query = services.board_page_query(table, rating, flag)

        def total(items) -> int:
            nonlocal summary
            summary = services.board_summary(table, items)
            if items:
                return items[0].matching
            if flag is None:
                return summary["ratings"][rating] if rating else summary["total"]
            if rating is None:
                return summary["flags"][flag]
            return db.session.scalar(select(func.count()).select_from(query.subquery()))

        page = paginate(query, rows=True, total=total)
        rows = services.board_page_rows(page.items, today)
    return render_template(
        "followup/board.html",
        cohort=cohort,
        cohorts=choices,
        rows=rows,
        page=page,
        rating=rating,
        flag=flag,
        flag_labels=BOARD_FLAG_LABELS,
        summary=summary,
        today=today,
        **LABELS,
    )


# --- an intern's file --------------------------------------------------------------------------


def intern_loads(*through, offer_to=Offer.company) -> tuple:
    """Load options for an intern's student and for the offer's ``offer_to`` (its company, or
    its tutor), reached through ``through``: the relationships from the queried rows to their
    ``Internship`` (none when the rows are internships)."""
    placement = None
    for relation in (*through, Internship.placement):
        placement = joinedload(relation) if placement is None else placement.joinedload(relation)
    return (
        placement.joinedload(Placement.application).joinedload(Application.student),
        placement.joinedload(Placement.offer).joinedload(offer_to),
    )


def _load_internship(internship_id: int) -> Internship:
    internship = db.session.scalar(
        select(Internship)
        .options(
            selectinload(Internship.steps),
            joinedload(Internship.cohort),
            *intern_loads(),
            joinedload(Internship.placement).joinedload(Placement.offer).joinedload(Offer.tutor),
        )
        .where(Internship.id == internship_id)
    )
    if internship is None:
        abort(404)
    return internship


def _agreement(internship: Internship):
    from ..agreements.models import Agreement

    return db.session.scalar(
        select(Agreement)
        .options(joinedload(Agreement.tutor))
        .where(Agreement.placement_id == internship.placement_id)
    )


def evaluation_state(evaluation: TutorEvaluation | None, now: datetime) -> str:
    if evaluation is None or evaluation.sent_at is None:
        return "not_sent"
    if evaluation.submitted_at is not None:
        return "answered"
    if evaluation.revoked_at is not None:
        return "revoked"
    if evaluation.expires_at is None or as_utc(evaluation.expires_at) < now:
        return "expired"
    return "sent"


def _criteria_labels(cohort: Cohort) -> dict[str, str]:
    """Criterion key → label (the programme's defaults while none are saved; read only)."""
    rows = db.session.scalars(
        select(EvaluationCriterion)
        .where(EvaluationCriterion.cohort_id == cohort.id)
        .order_by(EvaluationCriterion.position, EvaluationCriterion.id)
    ).all()
    if rows:
        return {row.key: row.label for row in rows}
    with force_locale("fr"):  # as services.criteria_for stores them
        return {key: str(label) for key, label in services.DEFAULT_CRITERIA}


@dataclass
class StepRow:
    step: MobilityStep
    state: str  # done | late | soon | todo
    form: StepForm


def _step_state(step: MobilityStep, today: date) -> str:
    if step.done_on is not None:
        return "done"
    if step.due_on < today:
        return "late"
    if step.due_on <= today + timedelta(days=schedule.AMBER_WITHIN_DAYS):
        return "soon"
    return "todo"


def _step_form(step: MobilityStep) -> StepForm:
    return StepForm(
        formdata=None,
        prefix=row_prefix("step", step.id),
        data={
            "done_on": step.done_on,
            "note": step.note or "",
            "visa_type": (step.internship.visa_type or "") if step.key == "visa_granted" else "",
        },
    )


def _render_intern(internship: Internship, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    today = date.today()
    now = utcnow()
    start, end = services.dates_of(internship)
    steps = [
        StepRow(
            step=step,
            state=_step_state(step, today),
            form=forms.get(row_prefix("step", step.id)) or _step_form(step),
        )
        for step in internship.steps
    ]
    checkins = {c.month: c for c in services.checkins(internship)}
    missing = (
        set(schedule.missing_checkins(start, end, set(checkins), today))
        if internship.arrived_on
        else set()
    )
    evaluations = services.evaluations(internship)
    incidents = services.incidents_for(internship)
    surveys = services.surveys(internship)
    agreement = _agreement(internship)
    confirmed_by = (
        db.session.get(User, internship.return_confirmed_by_id)
        if internship.return_confirmed_by_id
        else None
    )
    tutor = agreement.tutor if agreement is not None else internship.placement.offer.tutor
    return (
        render_template(
            "followup/intern.html",
            internship=internship,
            application=internship.placement.application,
            offer=internship.placement.offer,
            start=start,
            end=end,
            long_stay=services.is_long_stay(start, end),
            agreement=agreement,
            tutor=tutor,
            steps=steps,
            overdue_count=sum(1 for row in steps if row.state == "late"),
            months=schedule.checkin_months(start, end),
            this_month=schedule.month_start(today),
            checkins=checkins,
            missing=missing,
            evaluations=[
                (kind, evaluations.get(kind), evaluation_state(evaluations.get(kind), now))
                for kind in EvaluationKind
            ],
            criteria=_criteria_labels(internship.cohort),
            incidents=incidents,
            surveys=surveys,
            confirmed_by=confirmed_by,
            report_form=forms.get("report") or IncidentReportForm(formdata=None, occurred_on=today),
            end_form=forms.get("end") or EndEarlyForm(formdata=None),
            return_form=forms.get("return")
            or ReturnForm(formdata=None, returned_on=internship.returned_on),
            action_form=ConfirmForm(formdata=None),
            today=today,
            **LABELS,
        ),
        status,
    )


def _confirmed(internship_id: int, anchor: str, action, success: str):
    """A button of the intern's page (a ``ConfirmForm``): ``action`` once the form is checked
    (see ``attempt``), then back to the intern's page at ``anchor``."""
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; try again."), "danger")
    else:
        attempt(action, success)
    return _to_intern(internship_id, anchor)


def _intern_again(internship_id: int, key: str):
    """The intern's page again (400) with the form posted as ``key``: for :func:`post_form`."""
    return lambda form: _render_intern(_load_internship(internship_id), {key: form}, 400)


def _to_intern(internship_id: int, anchor: str | None = None):
    return redirect(url_for("followup.intern", internship_id=internship_id, _anchor=anchor))


@bp.route("/followup/interns/<int:internship_id>")
@permission_required("followup.manage")
def intern(internship_id: int):
    return _render_intern(_load_internship(internship_id))


@bp.route("/followup/steps/<int:step_id>", methods=["POST"])
@permission_required("followup.manage")
def step(step_id: int):
    mobility_step = db.get_or_404(MobilityStep, step_id)
    internship_id = mobility_step.internship_id
    prefix = row_prefix("step", step_id)
    form = StepForm(prefix=prefix)
    return post_form(
        form,
        lambda: services.update_step(
            mobility_step,
            form.done_on.data,
            form.note.data,
            _actor(),
            visa_type=form.visa_type.data or None,
        ),
        lambda _value: _(
            "The step “%(step)s” is saved.", step=services.STEP_LABELS[mobility_step.key]
        ),
        _intern_again(internship_id, prefix),
    ) or _to_intern(internship_id, f"step-{step_id}")


# --- tutor evaluations -------------------------------------------------------------------------


@bp.route("/followup/interns/<int:internship_id>/evaluations", methods=["POST"])
@permission_required("followup.manage")
def send_evaluation(internship_id: int):
    internship = _load_internship(internship_id)
    form = EvaluationLinkForm()
    if not form.validate_on_submit():
        flash(_("Choose the evaluation to send (mid-term or final)."), "danger")
        return _to_intern(internship_id, "evaluations")
    kind = EvaluationKind(form.kind.data)

    def sent(value) -> str:
        evaluation, _token = value
        return _(
            "The link to the %(kind)s was e-mailed to %(tutor)s (%(email)s). Any earlier link "
            "no longer works.",
            kind=str(EVALUATION_KIND_LABELS[kind]).lower(),
            tutor=evaluation.tutor_name,
            email=evaluation.tutor_email,
        )

    attempt(lambda: services.send_evaluation_link(internship, kind, _actor()), sent)
    return _to_intern(internship_id, "evaluations")


@bp.route("/followup/evaluations/<int:evaluation_id>/revoke", methods=["POST"])
@permission_required("followup.manage")
def revoke_evaluation(evaluation_id: int):
    evaluation = db.get_or_404(TutorEvaluation, evaluation_id)
    internship_id = evaluation.internship_id
    return _confirmed(
        internship_id,
        "evaluations",
        lambda: services.revoke_evaluation_link(evaluation, _actor()),
        _("The link is withdrawn: the tutor can no longer open it."),
    )


# --- incidents of an intern --------------------------------------------------------------------


@bp.route("/followup/interns/<int:internship_id>/incidents", methods=["POST"])
@permission_required("followup.manage")
def report_incident(internship_id: int):
    internship = _load_internship(internship_id)
    form = IncidentReportForm()
    valid_or_again(form, lambda form: _render_intern(internship, {"report": form}, 400))
    done = attempt(lambda: services.report_incident(internship, _actor(), *form.details()))
    if not done:
        return _render_intern(_load_internship(internship_id), {"report": form}, 400)
    incident = done.value
    if incident.severity is Severity.critical:
        flash(_("The critical incident is recorded; every coordinator is e-mailed."), "warning")
    else:
        flash(_("The incident is recorded."), "success")
    return redirect(url_for("followup.incident", incident_id=incident.id))


# --- early end and return ----------------------------------------------------------------------


@bp.route("/followup/interns/<int:internship_id>/end-early", methods=["POST"])
@permission_required("followup.manage")
def end_early(internship_id: int):
    internship = _load_internship(internship_id)
    form = EndEarlyForm()
    return post_form(
        form,
        lambda: services.end_early(
            internship, form.ended_on.data, form.reason.data, form.early_return.data, _actor()
        ),
        _("The internship is recorded as ended early."),
        _intern_again(internship_id, "end"),
    ) or _to_intern(internship_id, "end")


@bp.route("/followup/interns/<int:internship_id>/return", methods=["POST"])
@permission_required("followup.manage")
def confirm_return(internship_id: int):
    internship = _load_internship(internship_id)
    form = ReturnForm()
    return post_form(
        form,
        lambda: services.confirm_return(internship, form.returned_on.data, _actor()),
        _("The return is confirmed; the employment surveys at 3, 6 and 12 months are scheduled."),
        _intern_again(internship_id, "return"),
    ) or _to_intern(internship_id, "surveys")


# --- employment surveys ------------------------------------------------------------------------


def _load_survey(survey_id: int) -> EmploymentSurvey:
    survey = db.session.scalar(
        select(EmploymentSurvey)
        .options(*intern_loads(EmploymentSurvey.internship))
        .where(EmploymentSurvey.id == survey_id)
    )
    if survey is None:
        abort(404)
    return survey


@bp.route("/followup/surveys/<int:survey_id>/record", methods=["GET", "POST"])
@permission_required("followup.manage")
def record_survey(survey_id: int):
    survey = _load_survey(survey_id)
    internship_id = survey.internship_id
    if survey.status is not SurveyStatus.pending:
        flash(_("This survey is already closed."), "info")
        return _to_intern(internship_id, "surveys")
    status = 200
    form = SituationForm()
    if form.is_submitted():
        if form.validate():
            done = attempt(
                lambda: services.answer_survey(survey, form.to_input(), _actor(), by_phone=True),
                _("The answer given on the phone is recorded."),
            )
            if done:
                return _to_intern(internship_id, "surveys")
            survey = _load_survey(survey_id)
        else:
            flash_form_errors(form)
        status = 400
    return (
        render_template(
            "followup/record_survey.html",
            survey=survey,
            internship=survey.internship,
            form=form,
            today=date.today(),
            **LABELS,
        ),
        status,
    )


@bp.route("/followup/surveys/<int:survey_id>/unreachable", methods=["POST"])
@permission_required("followup.manage")
def unreachable(survey_id: int):
    survey = db.get_or_404(EmploymentSurvey, survey_id)
    internship_id = survey.internship_id
    return _confirmed(
        internship_id,
        "surveys",
        lambda: services.mark_unreachable(survey, _actor()),
        _("The survey is closed: the alumnus could not be reached."),
    )


# --- incidents ---------------------------------------------------------------------------------


def _enum_arg(name: str, enum_cls):
    value = request.args.get(name) or None
    try:
        return enum_cls(value) if value else None
    except ValueError:
        return None


@bp.route("/followup/incidents")
@kept
@permission_required("followup.manage")
def incidents():
    cohort, choices = _requested_cohort()
    # ``?status=active``: every incident not closed yet (not handled, or being handled).
    active = request.args.get("status") == "active"
    status = None if active else _enum_arg("status", IncidentStatus)
    severity = _enum_arg("severity", Severity)
    rows: list[Incident] = []
    page = None
    if cohort is not None:
        severity_rank = case(
            {value: rank for rank, value in enumerate(SEVERITY_ORDER)}, value=Incident.severity
        )
        # The columns the list shows: the incident's, the reporter's name, the intern's names
        # and the company's name.
        placement = (
            joinedload(Incident.internship)
            .load_only(Internship.placement_id)
            .joinedload(Internship.placement)
            .load_only(Placement.application_id, Placement.offer_id)
        )
        query = (
            select(Incident)
            .join(Internship, Internship.id == Incident.internship_id)
            .options(
                load_only(
                    Incident.internship_id,
                    Incident.category,
                    Incident.severity,
                    Incident.status,
                    Incident.occurred_on,
                    Incident.summary,
                ),
                joinedload(Incident.reported_by).load_only(User.full_name),
                placement.joinedload(Placement.application).load_only(
                    Application.student_id, Application.first_name, Application.last_name
                ),
                placement.joinedload(Placement.offer)
                .load_only(Offer.company_id)
                .joinedload(Offer.company)
                .load_only(Company.legal_name),
            )
            .where(Internship.cohort_id == cohort.id)
            .order_by(
                case((Incident.status == IncidentStatus.closed, 1), else_=0),
                severity_rank,
                Incident.occurred_on.desc(),
                Incident.id.desc(),
            )
        )
        if status is not None:
            query = query.where(Incident.status == status)
        elif active:
            query = query.where(Incident.status != IncidentStatus.closed)
        if severity is not None:
            query = query.where(Incident.severity == severity)
        page = paginate(query)
        rows = page.items
        _preload_students(i.internship.placement.application for i in rows)
    return render_template(
        "followup/incidents.html",
        cohort=cohort,
        cohorts=choices,
        incidents=rows,
        page=page,
        status=status,
        status_arg="active" if active else (status.value if status else ""),
        severity=severity,
        severity_order=SEVERITY_ORDER,
        **LABELS,
    )


def _load_incident(incident_id: int) -> Incident:
    incident = db.session.scalar(
        select(Incident)
        .options(
            joinedload(Incident.reported_by),
            selectinload(Incident.comments).joinedload(IncidentComment.author),
            *intern_loads(Incident.internship),
        )
        .where(Incident.id == incident_id)
    )
    if incident is None:
        abort(404)
    return incident


def _render_incident(incident: Incident, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    triage_form = forms.get("triage") or TriageForm(
        formdata=None,
        data={
            "status": incident.status.value,
            "severity": incident.severity.value,
            "resolution": incident.resolution or "",
        },
    )
    return (
        render_template(
            "followup/incident.html",
            incident=incident,
            internship=incident.internship,
            comment_form=forms.get("comment") or CommentForm(formdata=None),
            triage_form=triage_form,
            transitions=services.INCIDENT_TRANSITIONS[incident.status],
            **LABELS,
        ),
        status,
    )


@bp.route("/followup/incidents/<int:incident_id>")
@permission_required("followup.manage")
def incident(incident_id: int):
    return _render_incident(_load_incident(incident_id))


@bp.route("/followup/incidents/<int:incident_id>/comments", methods=["POST"])
@permission_required("followup.manage")
def comment_incident(incident_id: int):
    incident = _load_incident(incident_id)
    form = CommentForm()
    again = post_form(
        form,
        lambda: services.comment_incident(incident, _actor(), form.body.data),
        _("Your comment is added."),
        lambda form: _render_incident(_load_incident(incident_id), {"comment": form}, 400),
    )
    if again is not None:
        return again
    return redirect(url_for("followup.incident", incident_id=incident_id, _anchor="comments"))


@bp.route("/followup/incidents/<int:incident_id>/status", methods=["POST"])
@permission_required("followup.manage")
def update_incident(incident_id: int):
    incident = _load_incident(incident_id)
    form = TriageForm()
    valid_or_again(form, lambda form: _render_incident(incident, {"triage": form}, 400))
    before = (incident.status, incident.severity)
    try:
        services.set_incident_status(
            incident,
            form.status_value,
            _actor(),
            resolution=form.resolution.data,
            severity=form.severity_value,
        )
    except DomainError as exc:
        refused(exc)
        return _render_incident(_load_incident(incident_id), {"triage": form}, 400)
    if before == (incident.status, incident.severity):
        flash(_("Nothing to change."), "info")
    else:
        db.session.commit()
        flash(_("The incident is updated."), "success")
    return redirect(url_for("followup.incident", incident_id=incident_id))


# --- evaluation criteria -----------------------------------------------------------------------


def _criteria_locked(cohort: Cohort) -> bool:
    return (
        db.session.scalar(
            select(TutorEvaluation.id)
            .join(Internship, Internship.id == TutorEvaluation.internship_id)
            .where(Internship.cohort_id == cohort.id, TutorEvaluation.submitted_at.is_not(None))
            .limit(1)
        )
        is not None
    )


@bp.route("/followup/criteria", methods=["GET", "POST"])
@permission_required("followup.manage")
def criteria():
    cohort, choices = _requested_cohort()
    if cohort is None:
        if request.method == "POST":
            flash(_("There is no cohort yet."), "danger")
            return redirect(url_for("followup.criteria"))
        return render_template(
            "followup/criteria.html", cohort=None, cohorts=choices, form=None, labels={}
        )
    status = 200
    form = CriteriaForm()
    if form.is_submitted():
        if form.validate():
            if attempt(
                lambda: services.save_criteria(cohort, form.lines(), _actor()),
                _("The evaluation criteria are saved."),
            ):
                return redirect(url_for("followup.criteria", cohort=cohort.id))
        else:
            flash_form_errors(form)
        status = 400
    labels = _criteria_labels(cohort)
    if not form.is_submitted():
        form = CriteriaForm(formdata=None, labels="\n".join(labels.values()))
    return (
        render_template(
            "followup/criteria.html",
            cohort=cohort,
            cohorts=choices,
            form=form,
            labels=labels,
            locked=_criteria_locked(cohort),
            saved=db.session.scalar(
                select(EvaluationCriterion.id)
                .where(EvaluationCriterion.cohort_id == cohort.id)
                .limit(1)
            )
            is not None,
        ),
        status,
    )


# --- returns and employment --------------------------------------------------------------------


@dataclass
class ReturnRow:
    internship_id: int
    full_name: str
    company: str
    outcome: InternshipOutcome
    early_return: bool
    returned_on: date | None
    surveys: dict[int, EmploymentSurvey]
    latest: EmploymentSurvey | None


def _return_rows(ids: list[int]) -> list[ReturnRow]:
    """The interns ``ids`` (in that order): what the list shows of each (plain columns) with
    their surveys and latest answer: two queries."""
    facts = services.intern_facts(ids, Internship.early_return, Internship.returned_on)
    surveys: dict[int, dict[int, EmploymentSurvey]] = {i: {} for i in ids}
    latest: dict[int, EmploymentSurvey] = {}
    for survey in db.session.scalars(
        select(EmploymentSurvey)
        .where(EmploymentSurvey.internship_id.in_(ids or [0]))
        .order_by(EmploymentSurvey.answered_at, EmploymentSurvey.id)
    ):
        if survey.wave in SURVEY_WAVES:
            surveys[survey.internship_id][survey.wave] = survey
        if survey.status is SurveyStatus.answered:
            latest[survey.internship_id] = survey  # the last one wins
    rows = []
    for i in ids:
        fact = facts[i]
        rows.append(
            ReturnRow(
                internship_id=i,
                full_name=name_shown(fact.first_name, fact.last_name, fact.student_name),
                company=fact.legal_name,
                outcome=fact.outcome,
                early_return=fact.early_return,
                returned_on=fact.returned_on,
                surveys=surveys[i],
                latest=latest.get(i),
            )
        )
    return rows


@bp.route("/followup/returns")
@kept
@permission_required("followup.manage")
def returns():
    cohort, choices = _requested_cohort()
    # ``?surveys=due``: the alumni with a survey due and unanswered.
    surveys_due = request.args.get("surveys") == "due"
    today = date.today()
    interns: list[tuple] = []
    counts: dict[int, dict[str, int]] = {}
    if cohort is not None:
        # The summary and the order read plain columns of every intern shown; the page's
        # interns only are loaded with their surveys.
        query = (
            select(Internship.id, Internship.returned_on, Internship.outcome, Application.last_name)
            .join(Placement, Placement.id == Internship.placement_id)
            .join(Application, Application.id == Placement.application_id)
            .where(Internship.cohort_id == cohort.id)
        )
        if surveys_due:
            due = select(EmploymentSurvey.internship_id).where(
                *services.survey_overdue_clause(today)
            )
            query = query.where(Internship.id.in_(due))
        interns = db.session.execute(query).all()
        interns.sort(key=lambda row: ((row.last_name or "").lower(), row.id))
        # The survey waves of the interns listed, counted in SQL (one row per wave): whether
        # each intern answered each wave, then the interns per wave.
        answered = EmploymentSurvey.status == SurveyStatus.answered
        employed = answered & (EmploymentSurvey.situation == Situation.employed_morocco)
        per_intern = (
            select(
                EmploymentSurvey.wave,
                EmploymentSurvey.internship_id,
                func.max(case((answered, 1), else_=0)).label("answered"),
                func.max(case((employed, 1), else_=0)).label("employed"),
            )
            .join(Internship, Internship.id == EmploymentSurvey.internship_id)
            .where(Internship.cohort_id == cohort.id, EmploymentSurvey.wave.in_(SURVEY_WAVES))
            .group_by(EmploymentSurvey.wave, EmploymentSurvey.internship_id)
        )
        if surveys_due:
            per_intern = per_intern.where(Internship.id.in_(due))
        per_intern = per_intern.subquery("per_intern")
        waves = select(
            per_intern.c.wave,
            func.count(),
            func.sum(per_intern.c.answered),
            func.sum(per_intern.c.employed),
        ).group_by(per_intern.c.wave)
        for wave, scheduled, answered_count, employed_count in db.session.execute(waves):
            counts[wave] = {
                "answered": int(answered_count),
                "employed_morocco": int(employed_count),
                "scheduled": scheduled,
            }

    summary = {
        "total": len(interns),
        "returned": sum(1 for row in interns if row.returned_on),
        "ended_early": sum(1 for row in interns if row.outcome is InternshipOutcome.ended_early),
        "waves": {
            wave: counts.get(wave, {"answered": 0, "employed_morocco": 0, "scheduled": 0})
            for wave in SURVEY_WAVES
        },
    }
    page = paginate_list(interns)
    rows = _return_rows([row.id for row in page.items])
    return render_template(
        "followup/returns.html",
        cohort=cohort,
        cohorts=choices,
        rows=rows,
        page=page,
        waves=SURVEY_WAVES,
        summary=summary,
        surveys_due=surveys_due,
        today=today,
        **LABELS,
    )
