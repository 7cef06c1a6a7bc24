"""Follow-up services: internships and their checklist, reminders, check-ins, tutor evaluation
links, incidents, early end, return and employment surveys.

An ``Internship`` exists for every confirmed placement (``ensure_internship``, called when a
company confirms). Its dates are the agreement's terms when there is one, else the offer's.
"""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, case, cast, extract, func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import internship_law as law
from ..accounts.models import Role, User
from ..applications.models import Application, name_shown
from ..audit.services import record
from ..cohorts.models import Cohort
from ..cohorts.services import ordered_rows
from ..core.errors import DomainError, TransitionRefused
from ..core.i18n import long_date
from ..core.sql import codepoint, month_start
from ..core.timeutils import utcnow
from ..extensions import db
from ..hosts.models import Company, Pole
from ..mail.services import queue_email
from ..offers.models import Offer
from ..placements.models import Placement, PlacementStatus
from . import schedule
from .models import (
    SURVEY_WAVES,
    CheckIn,
    ContractType,
    EmploymentSurvey,
    EvaluationCriterion,
    EvaluationKind,
    FollowUpReminder,
    Incident,
    IncidentCategory,
    IncidentComment,
    IncidentStatus,
    Internship,
    InternshipOutcome,
    MobilityStep,
    SalaryBand,
    Severity,
    Situation,
    SurveyStatus,
    TutorEvaluation,
)

if TYPE_CHECKING:
    from ..agreements.models import Agreement

EVALUATION_LINK_DAYS = 30

STEP_LABELS = {
    "prefecture_stamp": _l("Préfecture stamp on the agreement"),
    "visa_appointment": _l("Visa appointment"),
    "insurance": _l("Insurance"),
    "housing": _l("Housing"),
    "visa_granted": _l("Visa granted"),
    "travel_booked": _l("Travel booked"),
    "departure": _l("Departure"),
    "arrival_confirmed": _l("Arrival confirmed"),
    "vls_ts_validated": _l("VLS-TS validated online"),
}

VISA_LABELS = {"short_stay": _l("Short-stay visa"), "vls_ts": _l("VLS-TS “stagiaire”")}

CATEGORY_LABELS = {
    IncidentCategory.health: _l("Health"),
    IncidentCategory.housing: _l("Housing"),
    IncidentCategory.workplace: _l("Workplace"),
    IncidentCategory.visa: _l("Visa"),
    IncidentCategory.safety: _l("Safety"),
    IncidentCategory.other: _l("Other"),
}

SEVERITY_LABELS = {
    Severity.low: _l("Low"),
    Severity.medium: _l("Medium"),
    Severity.high: _l("High"),
    Severity.critical: _l("Critical"),
}

INCIDENT_STATUS_LABELS = {
    IncidentStatus.open: _l("Not handled yet"),
    IncidentStatus.in_progress: _l("Being handled"),
    IncidentStatus.closed: _l("Handled and closed"),
}

#: Incident state machine.
INCIDENT_TRANSITIONS = {
    IncidentStatus.open: (IncidentStatus.in_progress, IncidentStatus.closed),
    IncidentStatus.in_progress: (IncidentStatus.closed,),
    IncidentStatus.closed: (IncidentStatus.in_progress,),  # re-opened
}

SITUATION_LABELS = {
    Situation.employed_morocco: _l("Employed in Morocco"),
    Situation.employed_abroad: _l("Employed abroad"),
    Situation.studying: _l("Studying"),
    Situation.seeking: _l("Looking for a job"),
    Situation.other: _l("Other"),
}

CONTRACT_LABELS = {
    ContractType.permanent: _l("Permanent contract (CDI)"),
    ContractType.fixed_term: _l("Fixed-term contract (CDD)"),
    ContractType.freelance: _l("Freelance / self-employed"),
    ContractType.internship: _l("Internship"),
    ContractType.other: _l("Other"),
}

SALARY_LABELS = {
    SalaryBand.below_6000: _l("Below 6,000 MAD a month"),
    SalaryBand.from_6000: _l("6,000 – 9,999 MAD a month"),
    SalaryBand.from_10000: _l("10,000 – 14,999 MAD a month"),
    SalaryBand.from_15000: _l("15,000 – 24,999 MAD a month"),
    SalaryBand.from_25000: _l("25,000 MAD a month or more"),
}

SURVEY_STATUS_LABELS = {
    SurveyStatus.pending: _l("Awaiting the answer"),
    SurveyStatus.answered: _l("Answered"),
    SurveyStatus.unreachable: _l("Closed: unreachable"),
}

DEFAULT_CRITERIA = (
    ("technical", _l("Technical skills")),
    ("autonomy", _l("Autonomy and initiative")),
    ("communication", _l("Communication")),
    ("teamwork", _l("Teamwork")),
    ("professionalism", _l("Punctuality and professional attitude")),
)


# --- internships and dates --------------------------------------------------------------------


def _agreement(internship: Internship):
    from ..agreements.models import Agreement

    return db.session.scalar(
        select(Agreement).where(Agreement.placement_id == internship.placement_id)
    )


def dates_of(internship: Internship) -> tuple[date, date]:
    """(start, planned or actual end): the agreement's terms, else the offer's."""
    agreement = _agreement(internship)
    if agreement is not None:
        start, end = agreement.start_on, agreement.ended_on or agreement.end_on
    else:
        offer = internship.placement.offer
        start, end = offer.start_on, offer.end_on
    if internship.ended_on is not None:
        end = min(end, internship.ended_on)
    return start, end


def is_long_stay(start: date, end: date) -> bool:
    return law.lasts_more_than_months(start, end, law.LONG_STAY_THRESHOLD_MONTHS)


def ensure_internship(placement: Placement) -> Internship:
    """The internship of a confirmed placement, created with its checklist if missing."""
    internship = db.session.scalar(
        select(Internship).where(Internship.placement_id == placement.id)
    )
    if internship is not None:
        return internship
    if placement.status is not PlacementStatus.confirmed:
        raise DomainError(_("Only a confirmed placement is followed."))
    internship = Internship(placement_id=placement.id, cohort_id=placement.cohort_id)
    internship.placement = placement
    db.session.add(internship)
    db.session.flush()
    start, end = dates_of(internship)
    long_stay = is_long_stay(start, end)
    internship.visa_type = "vls_ts" if long_stay else "short_stay"
    for position, (key, due) in enumerate(schedule.due_dates(start, long_stay).items()):
        db.session.add(
            MobilityStep(internship_id=internship.id, key=key, position=position, due_on=due)
        )
    db.session.flush()
    record("internship.create", internship, {"placement": placement.id})
    return internship


def reschedule(internship: Internship) -> None:
    """Recompute the due dates of the steps not done yet (the dates changed)."""
    start, end = dates_of(internship)
    long_stay = is_long_stay(start, end)
    dues = schedule.due_dates(start, long_stay, internship.arrived_on)
    existing = {step.key: step for step in internship.steps}
    for position, (key, due) in enumerate(dues.items()):
        step = existing.get(key)
        if step is None:
            db.session.add(
                MobilityStep(internship_id=internship.id, key=key, position=position, due_on=due)
            )
        elif step.done_on is None:
            step.due_on = due
    internship.visa_type = internship.visa_type or ("vls_ts" if long_stay else "short_stay")


def reschedule_amended(agreement: Agreement) -> None:
    """An amendment changed the agreement's terms (``signals.agreement_amended``): the steps
    of its internship not done yet follow the new dates."""
    internship = db.session.scalar(
        select(Internship).where(Internship.placement_id == agreement.placement_id)
    )
    if internship is not None:
        reschedule(internship)


def final_evaluation_summary(agreement: Agreement) -> str:
    """The tutor's final evaluation in a sentence (French, like the certificate), or ""
    (the certificate asks it through ``signals.tutor_appraisal``)."""
    evaluation = db.session.scalar(
        select(TutorEvaluation)
        .join(Internship, Internship.id == TutorEvaluation.internship_id)
        .where(
            Internship.placement_id == agreement.placement_id,
            TutorEvaluation.kind == EvaluationKind.final,
            TutorEvaluation.submitted_at.is_not(None),
        )
    )
    if evaluation is None:
        return ""
    labels = {c.key: c.label for c in criteria_for(agreement.cohort)}
    scores = ", ".join(
        f"{labels.get(key, key)} {score}/5" for key, score in evaluation.scores.items()
    )
    text = (
        f"Évaluation finale du tuteur ({evaluation.tutor_name}) : appréciation globale "
        f"{evaluation.overall}/5 ({scores})."
    )
    if evaluation.comment:
        text += f" « {evaluation.comment} »"
    return text


def internship_of_student(user: User, cohort: Cohort | None = None) -> Internship | None:
    """The student's most recent internship (in ``cohort`` when given)."""
    query = (
        select(Internship)
        .join(Placement, Placement.id == Internship.placement_id)
        .join(Application, Application.id == Placement.application_id)
        .where(Application.student_id == user.id)
    )
    if cohort is not None:
        query = query.where(Internship.cohort_id == cohort.id)
    return db.session.scalar(query.order_by(Internship.id.desc()).limit(1))


def student_of(internship: Internship) -> User:
    return internship.placement.application.student


def company_id_of(internship: Internship) -> int:
    return internship.placement.offer.company_id


def may_view(user: User, internship: Internship) -> bool:
    """The intern, the host company's contacts, coordinators and admins."""
    if user.role in (Role.coordinator, Role.admin):
        return True
    if user.role is Role.student:
        return student_of(internship).id == user.id
    if user.role is Role.host and not user.is_pending:
        return user.company_id == company_id_of(internship)
    return False


# --- the checklist ----------------------------------------------------------------------------


def update_step(
    step: MobilityStep,
    done_on: date | None,
    note: str | None,
    actor: User,
    visa_type: str | None = None,
    today: date | None = None,
) -> None:
    today = today or date.today()
    if done_on is not None and done_on > today:
        raise DomainError(_("A step cannot be done in the future."))
    internship = step.internship
    if step.key == "vls_ts_validated" and done_on is not None:
        arrived = internship.arrived_on
        if arrived is None:
            raise DomainError(_("Confirm the arrival first."))
        if done_on < arrived:
            raise DomainError(_("The VLS-TS is validated after the arrival."))
    step.done_on = done_on
    step.note = (note or "").strip()[:500] or None
    step.updated_by_id = actor.id
    if step.key == "departure":
        internship.departed_on = done_on
    elif step.key == "arrival_confirmed":
        internship.arrived_on = done_on
        reschedule(internship)
    elif step.key == "visa_granted" and visa_type in VISA_LABELS:
        internship.visa_type = visa_type
    record(
        "internship.step",
        internship,
        {"step": step.key, "done_on": done_on.isoformat() if done_on else None},
        actor=actor,
    )


def step_states(internship: Internship) -> list[schedule.StepState]:
    return [schedule.StepState(s.key, s.due_on, s.done_on) for s in internship.steps]


@dataclass
class BoardRow:
    """One intern on the board. The rating, dates, counts and flags are computed for every
    intern (:func:`board_rows` in Python, :func:`board_table` in SQL); what the page shows of
    an intern (name, company, checklist) is read for the rows drawn only
    (:func:`board_page_rows`)."""

    internship_id: int
    rating: str
    overdue: list[str]
    next_step: schedule.StepState | None
    open_incidents: int
    critical: bool
    missing_checkins: int
    start: date
    end: date
    arrived_on: date | None = None
    name: str = ""
    #: The internship is over (its last day is past) and the return is not confirmed.
    return_overdue: bool = False
    returned_on: date | None = None
    cohort_id: int | None = None
    # What the page shows (rows drawn only): the intern's full name, the host company, the
    # offer's city, the outcome, the departure, and the due date of each step of the checklist.
    full_name: str = ""
    company: str = ""
    city: str = ""
    outcome: InternshipOutcome | None = None
    departed_on: date | None = None
    due: dict[str, date] = field(default_factory=dict)


#: The board's filters (``?flag=``) and the coordinators' to-do items built on them: which rows
#: need the coordinators' attention for what (tests on the plain columns of ``BoardRow``: no
#: internship needs loading).
BOARD_FLAGS: dict[str, Any] = {
    # a step of the mobility checklist overdue (ongoing internships only)
    "overdue": lambda row: bool(row.overdue),
    # months over without a check-in, while the intern has not come back
    "checkins": lambda row: row.missing_checkins > 0 and row.returned_on is None,
    # the internship is over and the return is not confirmed
    "return": lambda row: row.return_overdue,
}


def _board_where(where):
    """A cohort, or a condition on ``Internship``, as a condition on ``Internship``."""
    return Internship.cohort_id == where.id if isinstance(where, Cohort) else where


def board_query(where):
    """The interns ``where`` selects (a cohort, or a condition on ``Internship``) as plain
    columns: what the board's ratings, flags and order need."""
    return (
        select(
            Internship.id,
            Internship.placement_id,
            Internship.outcome,
            Internship.arrived_on,
            Internship.ended_on,
            Internship.returned_on,
            Internship.cohort_id,
            Offer.start_on,
            Offer.end_on,
            Application.last_name,
        )
        .join(Placement, Placement.id == Internship.placement_id)
        .join(Offer, Offer.id == Placement.offer_id)
        .join(Application, Application.id == Placement.application_id)
        .where(_board_where(where))
    )


def board_rows(where, today: date | None = None) -> list[BoardRow]:
    """The interns ``where`` selects (a cohort, or a condition on ``Internship``) with
    red/amber/green, red first then by name (five queries of plain columns, whatever the
    number of interns; no intern loaded)."""
    from ..agreements.models import Agreement

    today = today or date.today()
    where = _board_where(where)
    interns = db.session.execute(board_query(where)).all()
    steps: dict[int, list[schedule.StepState]] = defaultdict(list)
    for internship_id, key, due_on, done_on in db.session.execute(
        select(
            MobilityStep.internship_id, MobilityStep.key, MobilityStep.due_on, MobilityStep.done_on
        )
        .join(Internship, Internship.id == MobilityStep.internship_id)
        .where(where)
        .order_by(MobilityStep.internship_id, MobilityStep.position)
    ):
        steps[internship_id].append(schedule.StepState(key, due_on, done_on))
    agreements = {
        placement_id: (start_on, ended_on or end_on)
        for placement_id, start_on, end_on, ended_on in db.session.execute(
            select(Agreement.placement_id, Agreement.start_on, Agreement.end_on, Agreement.ended_on)
            .join(Internship, Internship.placement_id == Agreement.placement_id)
            .where(where)
        )
    }
    severities: dict[int, list[Severity]] = defaultdict(list)
    for internship_id, severity in db.session.execute(
        select(Incident.internship_id, Incident.severity)
        .join(Internship, Internship.id == Incident.internship_id)
        .where(where, Incident.status != IncidentStatus.closed)
    ):
        severities[internship_id].append(severity)
    checkins: dict[int, set[date]] = defaultdict(set)
    for internship_id, month in db.session.execute(
        select(CheckIn.internship_id, CheckIn.month)
        .join(Internship, Internship.id == CheckIn.internship_id)
        .where(where)
    ):
        checkins[internship_id].add(month)
    rows = []
    for (
        internship_id,
        placement_id,
        outcome,
        arrived_on,
        ended_on,
        returned_on,
        cohort_id,
        offer_start,
        offer_end,
        last_name,
    ) in interns:
        start, end = agreements.get(placement_id, (offer_start, offer_end))
        if ended_on:
            end = min(end, ended_on)
        # A finished internship (completed or ended early) has no checklist left to chase.
        ongoing = outcome is InternshipOutcome.ongoing
        states = steps.get(internship_id, []) if ongoing else []
        open_incidents = severities.get(internship_id, [])
        critical = any(severity is Severity.critical for severity in open_incidents)
        missing = (
            schedule.missing_checkins(start, end, checkins.get(internship_id, set()), today)
            if arrived_on
            else []
        )
        rows.append(
            BoardRow(
                internship_id=internship_id,
                rating=schedule.rating(
                    states, today, critical, end if returned_on is None else None
                ),
                overdue=[s.key for s in schedule.overdue(states, today)],
                next_step=next((s for s in states if s.done_on is None), None),
                open_incidents=len(open_incidents),
                critical=critical,
                missing_checkins=len(missing),
                start=start,
                end=end,
                arrived_on=arrived_on,
                name=last_name or "",
                return_overdue=schedule.return_overdue(end, returned_on, today),
                returned_on=returned_on,
                cohort_id=cohort_id,
            )
        )
    order = {schedule.RED: 0, schedule.AMBER: 1, schedule.GREEN: 2}
    rows.sort(key=lambda r: (order[r.rating], r.name, r.internship_id))
    return rows


#: The board's order: red first, then amber, then green.
RATING_ORDER = {schedule.RED: 0, schedule.AMBER: 1, schedule.GREEN: 2}


def _month_index(day):
    """A date as a count of months (year × 12 + month), in SQL."""
    return extract("year", day) * 12 + extract("month", day)


def board_table(where, today: date | None = None):
    """The board as SQL, one row per intern ``where`` selects (a cohort, or a condition on
    ``Internship``): the same rating, counts and flags as :func:`board_rows` computes in
    Python, read from aggregates (the earliest step left to do, the open incidents, the
    check-ins of the months over) so that the summary is counted and the page sorted, filtered
    and cut in the database. Columns: ``internship_id``, ``rating``, ``rank`` (the board's
    order), ``name``, ``start``, ``end``, ``arrived_on``, ``returned_on``, ``cohort_id``,
    ``outcome``, ``open_incidents``, ``critical``, ``missing_checkins``, ``has_overdue``,
    ``return_overdue`` (the last five integers, the flags 0 or 1)."""
    from ..agreements.models import Agreement

    today = today or date.today()
    where = _board_where(where)
    red_before = today - timedelta(days=schedule.RED_AFTER_DAYS)
    soon = today + timedelta(days=schedule.AMBER_WITHIN_DAYS)
    # The internship's dates: the agreement's terms (its early end included), else the offer's;
    # an internship ended before its term ends then.
    has_agreement = Agreement.id.is_not(None)
    planned_end = case(
        (has_agreement, func.coalesce(Agreement.ended_on, Agreement.end_on)), else_=Offer.end_on
    )
    interns = (
        select(
            Internship.id.label("internship_id"),
            Internship.outcome,
            Internship.arrived_on,
            Internship.returned_on,
            Internship.cohort_id,
            case((has_agreement, Agreement.start_on), else_=Offer.start_on).label("start"),
            case(
                (
                    Internship.ended_on.is_not(None) & (Internship.ended_on < planned_end),
                    Internship.ended_on,
                ),
                else_=planned_end,
            ).label("end"),
            func.coalesce(Application.last_name, "").label("name"),
        )
        .join(Placement, Placement.id == Internship.placement_id)
        .join(Offer, Offer.id == Placement.offer_id)
        .join(Application, Application.id == Placement.application_id)
        .outerjoin(Agreement, Agreement.placement_id == Internship.placement_id)
        .where(where)
        .subquery("interns")
    )
    # The checklist of an ongoing internship: its earliest step left to do, and its earliest
    # step left to do that is not overdue yet.
    steps = (
        select(
            MobilityStep.internship_id,
            func.min(MobilityStep.due_on).label("first_due"),
            func.min(case((MobilityStep.due_on >= today, MobilityStep.due_on))).label("next_due"),
        )
        .join(Internship, Internship.id == MobilityStep.internship_id)
        .where(
            where,
            Internship.outcome == InternshipOutcome.ongoing,
            MobilityStep.done_on.is_(None),
        )
        .group_by(MobilityStep.internship_id)
        .subquery("open_steps")
    )
    incidents = (
        select(
            Incident.internship_id,
            func.count().label("open_incidents"),
            func.max(case((Incident.severity == Severity.critical, 1), else_=0)).label("critical"),
        )
        .join(Internship, Internship.id == Incident.internship_id)
        .where(where, Incident.status != IncidentStatus.closed)
        .group_by(Incident.internship_id)
        .subquery("open_incidents")
    )
    i = interns.c
    # Check-ins: one for each month the internship touches, due once the month is over. The
    # months over run from the start's month to the end's, or to last month.
    this_month = today.replace(day=1)
    last_over = case((i.end < this_month, i.end), else_=this_month - timedelta(days=1))
    months_over = cast(_month_index(last_over) - _month_index(i.start) + 1, Integer)
    checked = (
        select(func.count())
        .where(
            CheckIn.internship_id == i.internship_id,
            CheckIn.month == month_start(CheckIn.month),
            CheckIn.month >= month_start(i.start),
            CheckIn.month <= i.end,
            CheckIn.month < this_month,
        )
        .scalar_subquery()
    )
    missing = case((i.arrived_on.is_not(None) & (months_over > 0), months_over - checked), else_=0)
    critical = func.coalesce(incidents.c.critical, 0) == 1
    not_back = i.returned_on.is_(None)
    rating = case(
        (critical, schedule.RED),
        (not_back & (i.end < red_before), schedule.RED),
        (steps.c.first_due < red_before, schedule.RED),
        (steps.c.first_due < today, schedule.AMBER),
        (steps.c.next_due <= soon, schedule.AMBER),
        (not_back & (i.end < today), schedule.AMBER),
        else_=schedule.GREEN,
    )

    def flag(condition):
        return case((condition, 1), else_=0)

    board = (
        select(
            i.internship_id,
            rating.label("rating"),
            i.name,
            i.start,
            i.end,
            i.arrived_on,
            i.returned_on,
            i.cohort_id,
            i.outcome,
            func.coalesce(incidents.c.open_incidents, 0).label("open_incidents"),
            flag(critical).label("critical"),
            missing.label("missing_checkins"),
            flag(steps.c.first_due < today).label("has_overdue"),
            flag(not_back & (i.end < today)).label("return_overdue"),
        )
        .select_from(interns)
        .outerjoin(steps, steps.c.internship_id == i.internship_id)
        .outerjoin(incidents, incidents.c.internship_id == i.internship_id)
        # A fence: each intern's row is computed once, not again for each use of a column in
        # the summary or the page's filters (PostgreSQL would merge the subquery into them).
        .offset(0)
        .subquery("board")
    )
    return board


def _board_rank(board):
    return case(*((board.c.rating == key, rank) for key, rank in RATING_ORDER.items()), else_=3)


#: The board's filters in SQL (see ``BOARD_FLAGS``), on the columns of :func:`board_table`.
BOARD_FLAG_CLAUSES: dict[str, Any] = {
    "overdue": lambda b: b.c.has_overdue == 1,
    "checkins": lambda b: (b.c.missing_checkins > 0) & b.c.returned_on.is_(None),
    "return": lambda b: b.c.return_overdue == 1,
}


def _summary_columns(board) -> dict[str, Any]:
    """The board's counts as aggregates over the rows of ``board`` (:func:`board_table`)."""

    def count(condition):
        return func.sum(case((condition, 1), else_=0))

    c = board.c
    return {
        "total": func.count(),
        "incidents": func.sum(c.open_incidents),
        "critical": count(c.critical == 1),
        "missing_checkins": count(c.missing_checkins > 0),
        "arrived": count(c.arrived_on.is_not(None)),
        **{f"rating_{key}": count(c.rating == key) for key in RATING_ORDER},
        **{f"flag_{key}": count(test(board)) for key, test in BOARD_FLAG_CLAUSES.items()},
    }


def board_summary(board, rows=None) -> dict[str, Any]:
    """The board's counts over every intern of ``board`` (:func:`board_table`): read from
    ``rows`` of :func:`board_page_query` (which carry them) when there are some, else one
    query."""
    if rows:
        values = {name: getattr(rows[0], f"summary_{name}") for name in _summary_columns(board)}
    else:
        columns = _summary_columns(board)
        values = db.session.execute(select(*(v.label(k) for k, v in columns.items()))).one()
        values = values._mapping
    values = {name: int(value or 0) for name, value in dict(values).items()}
    return {
        "total": values["total"],
        "ratings": {key: values[f"rating_{key}"] for key in RATING_ORDER},
        "incidents": values["incidents"],
        "critical": values["critical"],
        "missing_checkins": values["missing_checkins"],
        "arrived": values["arrived"],
        "flags": {key: values[f"flag_{key}"] for key in BOARD_FLAG_CLAUSES},
    }


def board_page_query(board, rating: str | None = None, flag: str | None = None):
    """The interns of ``board`` (:func:`board_table`) with that ``rating`` and ``flag`` (each
    optional), red first then by name (as Python sorts the names), for ``paginate(rows=True)``
    and :func:`board_page_rows`. Each row also carries the board's counts over every intern
    (``summary_<name>``, for :func:`board_summary`) and the number of interns kept
    (``matching``): the page and its summary in one query."""
    counted = select(
        board,
        *(
            column.over().label(f"summary_{name}")
            for name, column in _summary_columns(board).items()
        ),
    ).subquery("counted")
    query = select(counted, func.count().over().label("matching")).order_by(
        _board_rank(counted), codepoint(counted.c.name), counted.c.internship_id
    )
    if rating is not None:
        query = query.where(counted.c.rating == rating)
    if flag is not None:
        query = query.where(BOARD_FLAG_CLAUSES[flag](counted))
    return query


def intern_facts(ids: list[int], *columns) -> dict:
    """Internship id → what a list shows of the interns ``ids`` as plain columns (one query):
    the id, the outcome, the application's names, the account's name (``student_name``), the
    company's ``legal_name``, plus ``columns`` (of the internship, its placement, application,
    offer or company)."""
    return {
        fact.id: fact
        for fact in db.session.execute(
            select(
                Internship.id,
                Internship.outcome,
                Application.first_name,
                Application.last_name,
                User.full_name.label("student_name"),
                Company.legal_name,
                *columns,
            )
            .join(Placement, Placement.id == Internship.placement_id)
            .join(Application, Application.id == Placement.application_id)
            .join(User, User.id == Application.student_id)
            .join(Offer, Offer.id == Placement.offer_id)
            .join(Company, Company.id == Offer.company_id)
            .where(Internship.id.in_(ids or [0]))
        )
    }


def board_page_rows(rows, today: date | None = None) -> list[BoardRow]:
    """``BoardRow``s of the rows of :func:`board_page_query`, with what the page shows of each
    intern (student, company, city, checklist): two queries of plain columns. The overdue steps
    and the next step of an ongoing internship are read from its checklist."""
    today = today or date.today()
    ids = [row.internship_id for row in rows]
    facts = intern_facts(ids, Internship.departed_on, Offer.city)
    steps: dict[int, list[schedule.StepState]] = defaultdict(list)
    for internship_id, key, due_on, done_on in db.session.execute(
        select(
            MobilityStep.internship_id, MobilityStep.key, MobilityStep.due_on, MobilityStep.done_on
        )
        .where(MobilityStep.internship_id.in_(ids or [0]))
        .order_by(MobilityStep.internship_id, MobilityStep.position)
    ):
        steps[internship_id].append(schedule.StepState(key, due_on, done_on))
    board_rows = []
    for row in rows:
        fact = facts[row.internship_id]
        states = steps.get(row.internship_id, [])
        # A finished internship (completed or ended early) has no checklist left to chase.
        ongoing = fact.outcome is InternshipOutcome.ongoing
        board_rows.append(
            BoardRow(
                internship_id=row.internship_id,
                rating=row.rating,
                overdue=[s.key for s in schedule.overdue(states, today)] if ongoing else [],
                next_step=next((s for s in states if s.done_on is None), None) if ongoing else None,
                open_incidents=int(row.open_incidents),
                critical=bool(row.critical),
                missing_checkins=int(row.missing_checkins),
                start=row.start,
                end=row.end,
                arrived_on=row.arrived_on,
                name=row.name,
                return_overdue=bool(row.return_overdue),
                returned_on=row.returned_on,
                cohort_id=row.cohort_id,
                full_name=name_shown(fact.first_name, fact.last_name, fact.student_name),
                company=fact.legal_name,
                city=fact.city,
                outcome=fact.outcome,
                departed_on=fact.departed_on,
                due={s.key: s.due_on for s in states},
            )
        )
    return board_rows


def board(cohort: Cohort, today: date | None = None) -> list[BoardRow]:
    """Every intern of the cohort with red/amber/green, in the board's order, each with what
    the board's pages show of it."""
    today = today or date.today()
    query = board_page_query(board_table(cohort, today))
    return board_page_rows(db.session.execute(query).all(), today)


# --- reminders (CLI, daily) ---------------------------------------------------------------------


def _sent_today(subject: str, subject_id: int, today: date) -> bool:
    return (
        db.session.scalar(
            select(FollowUpReminder.id).where(
                FollowUpReminder.subject == subject,
                FollowUpReminder.subject_id == subject_id,
                FollowUpReminder.sent_on == today,
            )
        )
        is not None
    )


def _log(subject: str, subject_id: int, today: date) -> None:
    db.session.add(FollowUpReminder(subject=subject, subject_id=subject_id, sent_on=today))


def send_reminders(today: date | None = None) -> dict[str, int]:
    """Overdue steps, missing check-ins, due surveys; at most one reminder per subject a day.
    Also sends the tutors' evaluation links when due (mid-term at the midpoint, final two
    weeks before the end). Returns counts per kind."""
    today = today or date.today()
    counts = {"steps": 0, "checkins": 0, "surveys": 0, "evaluations": 0}
    overdue_steps = db.session.scalars(
        select(MobilityStep)
        .join(Internship, Internship.id == MobilityStep.internship_id)
        .options(joinedload(MobilityStep.internship))
        .where(
            MobilityStep.done_on.is_(None),
            MobilityStep.due_on < today,
            Internship.outcome == InternshipOutcome.ongoing,
        )
    ).all()
    by_internship: dict[int, list[MobilityStep]] = defaultdict(list)
    for step in overdue_steps:
        if not _sent_today("step", step.id, today):
            by_internship[step.internship_id].append(step)
    for steps in by_internship.values():
        internship = steps[0].internship
        student = student_of(internship)
        queue_email(
            student.email,
            "followup_steps_overdue",
            student.locale,
            user=student,
            steps=[(STEP_LABELS[s.key], s.due_on) for s in steps],
        )
        for step in steps:
            _log("step", step.id, today)
        counts["steps"] += 1

    ongoing = db.session.scalars(
        select(Internship)
        .options(joinedload(Internship.placement))
        .where(Internship.outcome == InternshipOutcome.ongoing, Internship.arrived_on.is_not(None))
    ).all()
    done: dict[int, set[date]] = defaultdict(set)
    for internship_id, month in db.session.execute(select(CheckIn.internship_id, CheckIn.month)):
        done[internship_id].add(month)
    for internship in ongoing:
        start, end = dates_of(internship)
        missing = schedule.missing_checkins(start, end, done[internship.id], today)
        if missing and not _sent_today("checkin", internship.id, today):
            student = student_of(internship)
            queue_email(
                student.email,
                "followup_checkin_missing",
                student.locale,
                user=student,
                months=missing,
            )
            _log("checkin", internship.id, today)
            counts["checkins"] += 1
        counts["evaluations"] += _send_due_evaluations(internship, start, end, today)

    surveys = db.session.scalars(
        select(EmploymentSurvey).where(
            EmploymentSurvey.status == SurveyStatus.pending,
            EmploymentSurvey.due_on <= today,
        )
    ).all()
    for survey in surveys:
        # On the due date, then every 7 days until answered or closed as unreachable.
        if (today - survey.due_on).days % 7 != 0 or _sent_today("survey", survey.id, today):
            continue
        alumnus = student_of(survey.internship)
        queue_email(
            alumnus.email, "followup_survey_due", alumnus.locale, user=alumnus, survey=survey
        )
        _log("survey", survey.id, today)
        counts["surveys"] += 1
    return counts


def _send_due_evaluations(internship: Internship, start: date, end: date, today: date) -> int:
    sent = 0
    due = {
        EvaluationKind.midterm: schedule.midpoint(start, end),
        EvaluationKind.final: end - timedelta(days=14),
    }
    existing = {
        e.kind: e
        for e in db.session.scalars(
            select(TutorEvaluation).where(TutorEvaluation.internship_id == internship.id)
        )
    }
    for kind, when in due.items():
        if today >= when and kind not in existing:
            try:
                send_evaluation_link(internship, kind, None)
            except DomainError:
                continue
            sent += 1
    return sent


# --- check-ins --------------------------------------------------------------------------------


def submit_checkin(
    internship: Internship,
    month: date,
    wellbeing: int,
    workload: int,
    learned: str,
    problems: str,
    actor: User,
    today: date | None = None,
) -> CheckIn:
    today = today or date.today()
    month = schedule.month_start(month)
    start, end = dates_of(internship)
    if month not in schedule.checkin_months(start, end):
        raise DomainError(_("This month is not part of your internship."))
    if month > schedule.month_start(today):
        raise DomainError(_("You cannot report on a month that has not started."))
    if not (1 <= wellbeing <= 5 and 1 <= workload <= 5):
        raise DomainError(_("Answer on a scale from 1 to 5."))
    existing = db.session.scalar(
        select(CheckIn).where(CheckIn.internship_id == internship.id, CheckIn.month == month)
    )
    if existing is not None:
        raise DomainError(_("You have already sent the check-in of this month."))
    checkin = CheckIn(
        internship_id=internship.id,
        month=month,
        wellbeing=wellbeing,
        workload=workload,
        learned=learned.strip(),
        problems=problems.strip(),
    )
    db.session.add(checkin)
    db.session.flush()
    record("internship.checkin", internship, {"month": month.isoformat()}, actor=actor)
    if wellbeing <= 2 or problems.strip():
        for coordinator in _coordinators():
            queue_email(
                coordinator.email,
                "followup_checkin_alert",
                coordinator.locale,
                checkin=checkin,
                internship=internship,
            )
    return checkin


def checkins(internship: Internship) -> list[CheckIn]:
    return list(
        db.session.scalars(
            select(CheckIn).where(CheckIn.internship_id == internship.id).order_by(CheckIn.month)
        )
    )


def pending_checkin_month(internship: Internship, today: date | None = None) -> date | None:
    """The earliest month the student can still report on (started, within the internship,
    not yet reported), or None."""
    today = today or date.today()
    start, end = dates_of(internship)
    done = {c.month for c in checkins(internship)}
    for month in schedule.checkin_months(start, end):
        if month <= schedule.month_start(today) and month not in done:
            return month
    return None


# --- tutor evaluations ------------------------------------------------------------------------


def criteria_for(cohort: Cohort) -> list[EvaluationCriterion]:
    def defaults() -> list[EvaluationCriterion]:
        from flask_babel import force_locale

        with force_locale("fr"):  # stored in the programme's language
            return [
                EvaluationCriterion(
                    cohort_id=cohort.id, key=key, label=str(label), position=position
                )
                for position, (key, label) in enumerate(DEFAULT_CRITERIA)
            ]

    return ordered_rows(EvaluationCriterion, cohort, defaults)


def save_criteria(cohort: Cohort, labels: list[str], actor: User) -> None:
    """Replace the cohort's criteria by ``labels`` (in order); keys derive from positions.
    Refused once an evaluation of the cohort has been answered."""
    labels = [label.strip() for label in labels if label.strip()]
    if not 1 <= len(labels) <= 12:
        raise DomainError(_("Give between 1 and 12 criteria."))
    answered = db.session.scalar(
        select(TutorEvaluation.id)
        .join(Internship, Internship.id == TutorEvaluation.internship_id)
        .where(Internship.cohort_id == cohort.id, TutorEvaluation.submitted_at.is_not(None))
        .limit(1)
    )
    if answered is not None:
        raise DomainError(_("Evaluations have been answered: the criteria can no longer change."))
    for row in criteria_for(cohort):
        db.session.delete(row)
    db.session.flush()
    for position, label in enumerate(labels):
        db.session.add(
            EvaluationCriterion(
                cohort_id=cohort.id, key=f"c{position + 1}", label=label[:200], position=position
            )
        )
    record("followup.criteria", cohort, {"criteria": labels}, actor=actor)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _tutor(internship: Internship) -> tuple[str, str] | None:
    agreement = _agreement(internship)
    tutor = agreement.tutor if agreement is not None else internship.placement.offer.tutor
    if tutor is None:
        return None
    return tutor.full_name, tutor.email


def send_evaluation_link(
    internship: Internship, kind: EvaluationKind, actor: User | None
) -> tuple[TutorEvaluation, str]:
    """Create (or renew) the evaluation link and e-mail it to the tutor."""
    tutor = _tutor(internship)
    if tutor is None:
        raise DomainError(_("No tutor is named for this internship."))
    evaluation = db.session.scalar(
        select(TutorEvaluation).where(
            TutorEvaluation.internship_id == internship.id, TutorEvaluation.kind == kind
        )
    )
    if evaluation is not None and evaluation.submitted_at is not None:
        raise DomainError(_("The tutor has already answered this evaluation."))
    if evaluation is None:
        evaluation = TutorEvaluation(internship_id=internship.id, kind=kind)
        db.session.add(evaluation)
    token = secrets.token_urlsafe(32)
    evaluation.tutor_name, evaluation.tutor_email = tutor
    evaluation.token_hash = _hash(token)
    evaluation.sent_at = utcnow()
    evaluation.expires_at = utcnow() + timedelta(days=EVALUATION_LINK_DAYS)
    evaluation.revoked_at = None
    db.session.flush()
    record("evaluation.send", evaluation, {"kind": kind.value}, actor=actor)
    queue_email(
        evaluation.tutor_email,
        "evaluation_link",
        "fr",
        evaluation=evaluation,
        internship=internship,
        token=token,
    )
    return evaluation, token


def revoke_evaluation_link(evaluation: TutorEvaluation, actor: User) -> None:
    if evaluation.submitted_at is not None:
        raise DomainError(_("The tutor has already answered this evaluation."))
    evaluation.revoked_at = utcnow()
    record("evaluation.revoke", evaluation, actor=actor)


def evaluation_for_token(token: str, now: datetime | None = None) -> TutorEvaluation:
    """The evaluation the link opens, or DomainError saying clearly why it does not."""
    now = now or utcnow()
    evaluation = db.session.scalar(
        select(TutorEvaluation).where(TutorEvaluation.token_hash == _hash(token or ""))
    )
    if evaluation is None:
        raise DomainError(_("This evaluation link is not valid. Check that it was copied whole."))
    if evaluation.submitted_at is not None:
        raise DomainError(_("This evaluation has already been answered. Thank you!"))
    if evaluation.revoked_at is not None:
        raise DomainError(_("This link has been withdrawn by the programme."))
    if evaluation.expires_at is None or evaluation.expires_at < now:
        raise DomainError(
            _("This link has expired. Ask the programme's coordinators for a new one.")
        )
    return evaluation


def submit_evaluation(
    token: str, scores: dict[str, int], overall: int, comment: str
) -> TutorEvaluation:
    evaluation = evaluation_for_token(token)
    criteria = criteria_for(evaluation.internship.cohort)
    keys = {c.key for c in criteria}
    if set(scores) != keys:
        raise DomainError(_("Score every criterion."))
    if any(not 1 <= int(v) <= 5 for v in scores.values()) or not 1 <= overall <= 5:
        raise DomainError(_("Scores go from 1 to 5."))
    evaluation.scores = {k: int(v) for k, v in scores.items()}
    evaluation.overall = overall
    evaluation.comment = comment.strip() or None
    evaluation.submitted_at = utcnow()
    # The link works once: submitted_at closes it, and the kept hash lets the same link say
    # "already answered" (clearing it would make the link read as invalid).
    record("evaluation.submit", evaluation, {"kind": evaluation.kind.value}, actor=None)
    return evaluation


def evaluations(internship: Internship) -> dict[EvaluationKind, TutorEvaluation]:
    return {
        e.kind: e
        for e in db.session.scalars(
            select(TutorEvaluation).where(TutorEvaluation.internship_id == internship.id)
        )
    }


# --- incidents --------------------------------------------------------------------------------


def _coordinators() -> list[User]:
    return list(
        db.session.scalars(select(User).where(User.role == Role.coordinator, User.active.is_(True)))
    )


def report_incident(
    internship: Internship,
    reporter: User,
    category: IncidentCategory,
    severity: Severity,
    occurred_on: date,
    summary: str,
    description: str,
    today: date | None = None,
) -> Incident:
    today = today or date.today()
    if not may_view(reporter, internship):
        raise DomainError(_("You cannot report an incident for this intern."))
    if occurred_on > today:
        raise DomainError(_("The incident cannot have happened in the future."))
    if not summary.strip() or not description.strip():
        raise DomainError(_("Give a short title and describe what happened."))
    incident = Incident(
        internship_id=internship.id,
        reported_by_id=reporter.id,
        category=category,
        severity=severity,
        occurred_on=occurred_on,
        summary=summary.strip()[:200],
        description=description.strip(),
    )
    db.session.add(incident)
    db.session.flush()
    record(
        "incident.report",
        incident,
        {"severity": severity.value, "category": category.value},
        actor=reporter,
    )
    if severity is Severity.critical:
        for coordinator in _coordinators():
            queue_email(
                coordinator.email,
                "incident_critical",
                coordinator.locale,
                incident=incident,
                internship=internship,
            )
    return incident


def comment_incident(incident: Incident, author: User, body: str) -> IncidentComment:
    if not body.strip():
        raise DomainError(_("Write a comment."))
    comment = IncidentComment(incident_id=incident.id, author_id=author.id, body=body.strip())
    db.session.add(comment)
    record("incident.comment", incident, actor=author)
    return comment


def set_incident_status(
    incident: Incident,
    target: IncidentStatus,
    actor: User,
    resolution: str | None = None,
    severity: Severity | None = None,
) -> None:
    """Coordinators triage (severity), handle and close (with a resolution) incidents."""
    if severity is not None and severity is not incident.severity:
        incident.severity = severity
        record("incident.severity", incident, {"severity": severity.value}, actor=actor)
    if target is incident.status:
        return
    if target not in INCIDENT_TRANSITIONS[incident.status]:
        raise TransitionRefused(
            _(
                "An incident cannot go from “%(source)s” to “%(target)s”.",
                source=INCIDENT_STATUS_LABELS[incident.status],
                target=INCIDENT_STATUS_LABELS[target],
            )
        )
    if target is IncidentStatus.closed:
        if not (resolution or "").strip():
            raise TransitionRefused(_("Say how the incident was resolved before closing it."))
        incident.resolution = resolution.strip()
        incident.closed_at = utcnow()
    else:
        incident.closed_at = None
    source = incident.status
    incident.status = target
    record("incident.transition", incident, {"from": source.value, "to": target.value}, actor=actor)


def incidents_for(internship: Internship) -> list[Incident]:
    return list(
        db.session.scalars(
            select(Incident)
            .options(selectinload(Incident.comments))
            .where(Incident.internship_id == internship.id)
            .order_by(Incident.created_at.desc())
        )
    )


# --- early end and return ---------------------------------------------------------------------


def end_early(
    internship: Internship,
    ended_on: date,
    reason: str,
    early_return: bool,
    actor: User,
) -> None:
    start, end = dates_of(internship)
    if internship.outcome is not InternshipOutcome.ongoing:
        raise DomainError(_("This internship is already over."))
    if not reason.strip():
        raise DomainError(_("Give the reason for the early end."))
    if not start <= ended_on < end:
        raise DomainError(_("The early end must fall within the internship."))
    internship.outcome = InternshipOutcome.ended_early
    internship.ended_on = ended_on
    internship.early_end_reason = reason.strip()
    internship.early_return = early_return
    record(
        "internship.end_early",
        internship,
        {"ended_on": ended_on.isoformat(), "early_return": early_return},
        actor=actor,
    )
    for coordinator in _coordinators():
        queue_email(
            coordinator.email,
            "internship_ended_early",
            coordinator.locale,
            internship=internship,
        )


def confirm_return(
    internship: Internship, returned_on: date, actor: User, today: date | None = None
) -> None:
    """The student (or a coordinator) confirms the return to Morocco; the surveys at 3, 6 and
    12 months after the internship's end are scheduled."""
    today = today or date.today()
    start, end = dates_of(internship)
    if returned_on > today:
        raise DomainError(_("The return date cannot be in the future."))
    if returned_on < start:
        raise DomainError(_("The return cannot come before the start of the internship."))
    internship.returned_on = returned_on
    internship.return_confirmed_by_id = actor.id
    if internship.outcome is InternshipOutcome.ongoing:
        internship.outcome = InternshipOutcome.completed
        internship.ended_on = end
    schedule_surveys(internship)
    record("internship.return", internship, {"returned_on": returned_on.isoformat()}, actor=actor)


def schedule_surveys(internship: Internship) -> list[EmploymentSurvey]:
    _start, end = dates_of(internship)
    existing = {
        s.wave
        for s in db.session.scalars(
            select(EmploymentSurvey).where(EmploymentSurvey.internship_id == internship.id)
        )
    }
    created = []
    for wave in SURVEY_WAVES:
        if wave not in existing:
            survey = EmploymentSurvey(
                internship_id=internship.id, wave=wave, due_on=schedule.survey_due(end, wave)
            )
            db.session.add(survey)
            created.append(survey)
    db.session.flush()
    return created


# --- employment surveys -----------------------------------------------------------------------


@dataclass
class SituationInput:
    situation: Situation
    employer: str | None = None
    city: str | None = None
    sector: str | None = None
    pole: Pole | None = None
    employer_mnc_member: bool | None = None
    job_title: str | None = None
    contract_type: ContractType | None = None
    salary_band: SalaryBand | None = None
    comment: str | None = None


EMPLOYED = (Situation.employed_morocco, Situation.employed_abroad)


def _apply_situation(survey: EmploymentSurvey, data: SituationInput) -> None:
    employed = data.situation in EMPLOYED
    if employed and not ((data.employer or "").strip() and (data.job_title or "").strip()):
        raise DomainError(_("Give the employer and the job title."))
    if employed and data.contract_type is None:
        raise DomainError(_("Give the type of contract."))
    survey.situation = data.situation
    values: dict[str, Any] = {
        "employer": (data.employer or "").strip() or None,
        "city": (data.city or "").strip() or None,
        "sector": (data.sector or "").strip() or None,
        "pole": data.pole,
        "employer_mnc_member": data.employer_mnc_member,
        "job_title": (data.job_title or "").strip() or None,
        "contract_type": data.contract_type,
        "salary_band": data.salary_band,
    }
    for name, value in values.items():
        setattr(survey, name, value if employed else None)
    survey.comment = (data.comment or "").strip() or None


def answer_survey(
    survey: EmploymentSurvey,
    data: SituationInput,
    actor: User,
    by_phone: bool = False,
    today: date | None = None,
) -> None:
    today = today or date.today()
    if survey.status is not SurveyStatus.pending:
        raise DomainError(_("This survey is already closed."))
    if survey.due_on > today:
        raise DomainError(_("This survey opens on %(date)s.", date=long_date(survey.due_on)))
    _apply_situation(survey, data)
    survey.status = SurveyStatus.answered
    survey.answered_at = utcnow()
    survey.by_phone = by_phone
    survey.recorded_by_id = actor.id if by_phone else None
    record(
        "survey.answer",
        survey,
        {"wave": survey.wave, "situation": data.situation.value, "by_phone": by_phone},
        actor=actor,
    )


def update_situation(internship: Internship, data: SituationInput, actor: User) -> None:
    """The alumnus updates their situation at any time (a dated answer outside the waves)."""
    if internship.returned_on is None:
        raise DomainError(_("Confirm your return first."))
    survey = EmploymentSurvey(
        internship_id=internship.id, wave=0, due_on=date.today(), status=SurveyStatus.pending
    )
    db.session.add(survey)
    _apply_situation(survey, data)
    survey.status = SurveyStatus.answered
    survey.answered_at = utcnow()
    db.session.flush()
    record("survey.update", survey, {"situation": data.situation.value}, actor=actor)


def mark_unreachable(survey: EmploymentSurvey, actor: User) -> None:
    if survey.status is not SurveyStatus.pending:
        raise DomainError(_("This survey is already closed."))
    survey.status = SurveyStatus.unreachable
    survey.recorded_by_id = actor.id
    record("survey.unreachable", survey, {"wave": survey.wave}, actor=actor)


def surveys(internship: Internship) -> list[EmploymentSurvey]:
    return list(
        db.session.scalars(
            select(EmploymentSurvey)
            .where(EmploymentSurvey.internship_id == internship.id)
            .order_by(EmploymentSurvey.due_on, EmploymentSurvey.id)
        )
    )


def latest_situation(internship: Internship) -> EmploymentSurvey | None:
    return db.session.scalar(
        select(EmploymentSurvey)
        .where(
            EmploymentSurvey.internship_id == internship.id,
            EmploymentSurvey.status == SurveyStatus.answered,
        )
        .order_by(EmploymentSurvey.answered_at.desc(), EmploymentSurvey.id.desc())
        .limit(1)
    )


def survey_overdue_clause(today: date):
    """A scheduled survey (3, 6 or 12 months) due by ``today`` and still unanswered: the
    returns board's ``?surveys=due`` and the coordinators' to-do list."""
    return (
        EmploymentSurvey.status == SurveyStatus.pending,
        EmploymentSurvey.due_on <= today,
        EmploymentSurvey.wave.in_(SURVEY_WAVES),
    )


def survey_overdue(survey: EmploymentSurvey, today: date) -> bool:
    """The same test as ``survey_overdue_clause``, on a loaded survey."""
    return (
        survey.status is SurveyStatus.pending
        and survey.due_on <= today
        and survey.wave in SURVEY_WAVES
    )


def evaluation_awaited_clause(now: datetime):
    """A tutor evaluation whose link is out and still valid, not answered yet: what the host
    company's tutors have to do (its interns page's ``?show=evaluations`` and its to-do list)."""
    return (
        TutorEvaluation.sent_at.is_not(None),
        TutorEvaluation.submitted_at.is_(None),
        TutorEvaluation.revoked_at.is_(None),
        TutorEvaluation.expires_at > now,
    )
