"""Build ``metrics.StudentRecord`` rows for a cohort in a fixed number of queries
(``load_records``), or a cohort's ``metrics.Figures`` with aggregate SQL (``aggregate_figures``:
GROUP BY and COUNT, no row per student in Python)."""

from __future__ import annotations

import functools
from collections import defaultdict
from datetime import date
from decimal import Decimal
from fractions import Fraction

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    bindparam,
    case,
    exists,
    false,
    func,
    literal,
    null,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import aliased, joinedload, selectinload

from ..applications.models import IN_THE_RUNNING, Application, ApplicationStatus
from ..cohorts.models import Cohort, CohortState
from ..extensions import db
from ..followup.models import (
    CheckIn,
    EmploymentSurvey,
    EvaluationKind,
    Incident,
    Internship,
    InternshipOutcome,
    SurveyStatus,
    TutorEvaluation,
)
from ..offers.models import Offer
from ..placements.models import Placement, PlacementStatus
from .metrics import SEVERITIES, WAVES, Figures, StudentRecord, tally

A = ApplicationStatus

#: Past the eligibility check, whatever the decision.
ELIGIBLE = {*IN_THE_RUNNING, A.rejected}
SHORTLISTED = {A.shortlisted, A.interviewed}


def load_records(
    cohort: Cohort, cutoff: date | None = None, placed_only: bool = False
) -> list[StudentRecord]:
    """One record per application of ``cohort``, as things stood on ``cutoff`` for the
    surveys (a survey counts as due when its due date is on or before the cut-off).
    ``placed_only``: only the students with a confirmed placement (the list of the interns)."""
    from ..agreements.models import Agreement, AgreementDocument, DocumentKind
    from ..agreements.services import status as document_status

    cutoff = cutoff or date.today()
    chosen = select(Application).options(joinedload(Application.institution))
    if placed_only:
        chosen = chosen.join(
            Placement,
            and_(
                Placement.application_id == Application.id,
                Placement.cohort_id == cohort.id,
                Placement.status == PlacementStatus.confirmed,
            ),
        )
    applications = db.session.scalars(
        chosen.where(Application.cohort_id == cohort.id).order_by(
            Application.last_name, Application.first_name, Application.id
        )
    ).all()
    placements = {
        p.application_id: p
        for p in db.session.scalars(
            select(Placement)
            .options(joinedload(Placement.offer).joinedload(Offer.company))
            .where(
                Placement.cohort_id == cohort.id,
                Placement.status == PlacementStatus.confirmed,
            )
        )
    }
    proposed = set(
        db.session.scalars(
            select(Placement.application_id).where(
                Placement.cohort_id == cohort.id, Placement.status == PlacementStatus.proposed
            )
        )
    )
    agreements = {
        a.placement_id: a
        for a in db.session.scalars(
            select(Agreement)
            .options(selectinload(Agreement.documents).selectinload(AgreementDocument.signatures))
            .where(Agreement.cohort_id == cohort.id)
        )
    }
    internships = {
        i.placement_id: i
        for i in db.session.scalars(select(Internship).where(Internship.cohort_id == cohort.id))
    }
    internship_ids = [i.id for i in internships.values()] or [0]
    surveys: dict[int, dict[int, EmploymentSurvey]] = defaultdict(dict)
    for survey in db.session.scalars(
        select(EmploymentSurvey)
        .where(EmploymentSurvey.internship_id.in_(internship_ids), EmploymentSurvey.wave.in_(WAVES))
        .order_by(EmploymentSurvey.id)  # two surveys of a wave: the latest counts
    ):
        surveys[survey.internship_id][survey.wave] = survey
    incidents: dict[int, list[str]] = defaultdict(list)
    for internship_id, severity in db.session.execute(
        select(Incident.internship_id, Incident.severity).where(
            Incident.internship_id.in_(internship_ids)
        )
    ):
        incidents[internship_id].append(severity.value)
    tutor = dict(
        db.session.execute(
            select(TutorEvaluation.internship_id, TutorEvaluation.overall).where(
                TutorEvaluation.internship_id.in_(internship_ids),
                TutorEvaluation.kind == EvaluationKind.final,
                TutorEvaluation.submitted_at.is_not(None),
            )
        ).all()
    )
    wellbeing = {
        internship_id: Fraction(int(total), int(n))
        for internship_id, total, n in db.session.execute(
            select(CheckIn.internship_id, func.sum(CheckIn.wellbeing), func.count())
            .where(CheckIn.internship_id.in_(internship_ids))
            .group_by(CheckIn.internship_id)
        )
    }

    records = []
    for application in applications:
        status = application.status
        placement = placements.get(application.id)
        record = StudentRecord(
            application_id=application.id,
            name=f"{application.first_name or ''} {application.last_name or ''}".strip()
            or f"#{application.id}",
            gender=application.gender.value if application.gender else None,
            region=application.region,
            institution=application.institution.name if application.institution else None,
            applied=application.submitted_at is not None,
            eligible=status in ELIGIBLE
            or placement is not None
            or (status is A.withdrawn and application.review_score is not None),
            shortlisted=status in SHORTLISTED
            or application.final_rank is not None
            or placement is not None,
            selected=status is A.selected or placement is not None or application.id in proposed,
        )
        if placement is not None:
            offer = placement.offer
            record.placed = True
            record.company = offer.company.legal_name
            record.host_city = offer.city
            record.pole = offer.pole.value
            agreement = agreements.get(placement.id)
            if agreement is not None:
                record.start_on, record.end_on = agreement.start_on, agreement.end_on
                record.monthly_stipend = agreement.monthly_stipend
                versions = [d for d in agreement.documents if d.kind is DocumentKind.agreement]
                record.agreement_recorded = bool(versions)
                current = [d for d in versions if d.superseded_at is None]
                record.agreement_signed = bool(current) and (
                    document_status(current[0]) == "fully_signed"
                )
            else:
                record.start_on, record.end_on = offer.start_on, offer.end_on
                record.monthly_stipend = offer.monthly_stipend
            internship = internships.get(placement.id)
            if internship is not None:
                record.departed = internship.departed_on is not None
                record.completed = internship.outcome is InternshipOutcome.completed
                record.ended_early = internship.outcome is InternshipOutcome.ended_early
                if internship.ended_on:
                    record.end_on = internship.ended_on
                record.returned = internship.returned_on is not None
                for wave, survey in surveys.get(internship.id, {}).items():
                    due = survey.due_on <= cutoff
                    answered = (
                        survey.situation.value
                        if survey.status is SurveyStatus.answered and survey.situation
                        else None
                    )
                    record.surveys[wave] = (due, answered if due else None)
                record.incidents = incidents.get(internship.id, [])
                record.tutor_score = tutor.get(internship.id)
                record.wellbeing = wellbeing.get(internship.id)
        records.append(record)
    return records


#: A cohort in one of these states is over: its figures are final (apart from the surveys
#: still to come, which are counted only once due).
FINISHED = frozenset({CohortState.returned, CohortState.archived})


def in_progress(cohort: Cohort) -> bool:
    """The cohort is still running (from the call to the return of its interns): its figures
    are not final, so the trends show it apart and never draw it."""
    return cohort.state not in FINISHED


def all_cohorts() -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).order_by(Cohort.year)))


# --- the same figures with aggregate SQL ------------------------------------------------------


def aggregate_figures(cohort: Cohort, cutoff: date | None = None) -> Figures:
    """``metrics.summarise(load_records(cohort, cutoff))``, computed by the database: one
    query gives, per group of students with the same facts and the same breakdown values,
    how many they are (GROUP BY … COUNT); the pure predicates of ``metrics`` are then
    evaluated once per group (``metrics.tally``). Four small queries add the sums behind the
    averages and the incidents. Every fact below is the one ``load_records`` derives."""
    queries = _queries()
    params = {"cohort_id": cohort.id, "cutoff": cutoff or date.today()}

    def groups():
        records: dict[tuple, StudentRecord] = {}  # one record per distinct set of facts
        for row in db.session.execute(queries["groups"], params):
            m = row._mapping
            facts = tuple(row[:-7])  # every column but the 6 dimensions and the count
            record = records.get(facts)
            if record is None:
                record = records[facts] = _record(m)
            dimensions = (
                _value(m["pole"]),
                m["host_city"],
                m["company"],
                m["institution"],
                m["region"],
                _value(m["gender"]),
            )
            yield record, dimensions, m["n"]

    figures = tally(groups())
    for value, n in db.session.execute(queries["stipends"], params):
        figures.stipend_total += Decimal(value) * n
        figures.stipend_n += n
    for overall, n in db.session.execute(queries["tutor"], params):
        figures.tutor_total += overall * n
        figures.tutor_n += n
    for total, months, n in db.session.execute(queries["wellbeing"], params):
        figures.wellbeing_total += Fraction(int(total), int(months)) * n
        figures.wellbeing_n += n
    severities = dict(db.session.execute(queries["incidents"], params).all())
    figures.incidents = {s: severities.get(_severity(s), 0) for s in SEVERITIES}
    return figures


@functools.cache
def _queries() -> dict:
    """The statements of ``aggregate_figures``, built once (building them costs more than
    running them); the cohort and the cut-off are bound parameters."""
    from ..agreements.models import Agreement, AgreementDocument, DocumentKind, Signature
    from ..agreements.services import SIGNATORIES
    from ..applications.models import Institution
    from ..hosts.models import Company

    cid = bindparam("cohort_id", type_=Integer)
    cutoff = bindparam("cutoff", type_=Date)
    a = Application
    confirmed = aliased(Placement, name="confirmed")
    internship = aliased(Internship, name="internship")
    agreement = aliased(Agreement, name="agreement")
    offer = aliased(Offer, name="offer")
    company = aliased(Company, name="company")
    institution = aliased(Institution, name="institution")

    placed = confirmed.id.is_not(None)
    proposed = exists().where(
        Placement.application_id == a.id,
        # "+ 0": look the placements up by application, not by cohort (SQLite's planner would
        # scan the cohort's placements for every application).
        Placement.cohort_id + 0 == cid,
        Placement.status == PlacementStatus.proposed,
    )
    # Each subquery refers to its immediate parent only (SQL correlates one level).
    document = aliased(AgreementDocument, name="doc")
    earlier = aliased(AgreementDocument, name="earlier")
    versions = select(document.id).where(
        document.agreement_id == agreement.id, document.kind == DocumentKind.agreement
    )
    recorded = and_(agreement.id.is_not(None), versions.exists())
    # The first current version (``load_records``: ``current[0]``) is signed by every party.
    first_current = ~exists().where(
        earlier.agreement_id == document.agreement_id,
        earlier.kind == DocumentKind.agreement,
        earlier.superseded_at.is_(None),
        earlier.id < document.id,
    )
    parties = (
        select(func.count(func.distinct(Signature.party)))
        .where(Signature.document_id == document.id, Signature.party.in_(SIGNATORIES))
        .scalar_subquery()
    )
    signed = and_(
        agreement.id.is_not(None),
        exists().where(
            document.agreement_id == agreement.id,
            document.kind == DocumentKind.agreement,
            document.superseded_at.is_(None),
            first_current,
            parties == len(SIGNATORIES),
        ),
    )

    def flag(condition):
        return case((condition, true()), else_=false())

    def wave(w: int):
        """NULL (no survey, or not due by the cut-off), '' (due, no answer) or the answer."""
        survey = aliased(EmploymentSurvey, name=f"s{w}")
        later = aliased(EmploymentSurvey, name=f"later{w}")
        latest = ~exists().where(
            later.internship_id == survey.internship_id, later.wave == w, later.id > survey.id
        )
        answered = and_(survey.status == SurveyStatus.answered, survey.situation.is_not(None))
        return (
            select(
                type_coerce(
                    case(
                        (survey.due_on > cutoff, null()),
                        (answered, type_coerce(survey.situation, String)),
                        else_=literal(""),
                    ),
                    String,
                )
            )
            .where(survey.internship_id == internship.id, survey.wave == w, latest)
            .scalar_subquery()
        )

    def incident(severity: str):
        return flag(
            exists().where(
                Incident.internship_id == internship.id, Incident.severity == _severity(severity)
            )
        )

    facts = [
        flag(a.submitted_at.is_not(None)).label("applied"),
        flag(
            or_(
                a.status.in_(ELIGIBLE),
                placed,
                and_(a.status == A.withdrawn, a.review_score.is_not(None)),
            )
        ).label("eligible"),
        flag(or_(a.status.in_(SHORTLISTED), a.final_rank.is_not(None), placed)).label(
            "shortlisted"
        ),
        flag(or_(a.status == A.selected, placed, proposed)).label("selected"),
        flag(placed).label("placed"),
        flag(recorded).label("agreement_recorded"),
        flag(signed).label("agreement_signed"),
        flag(internship.departed_on.is_not(None)).label("departed"),
        flag(internship.outcome == InternshipOutcome.completed).label("completed"),
        flag(internship.outcome == InternshipOutcome.ended_early).label("ended_early"),
        flag(internship.returned_on.is_not(None)).label("returned"),
        *(wave(w).label(f"wave_{w}") for w in WAVES),
        *(incident(s).label(f"incident_{s}") for s in SEVERITIES),
        flag(
            exists().where(
                TutorEvaluation.internship_id == internship.id,
                TutorEvaluation.kind == EvaluationKind.final,
                TutorEvaluation.submitted_at.is_not(None),
                TutorEvaluation.overall.is_not(None),
            )
        ).label("tutor_evaluated"),
        flag(exists().where(CheckIn.internship_id == internship.id)).label("checked_in"),
    ]
    dimensions = [
        offer.pole.label("pole"),
        offer.city.label("host_city"),
        company.legal_name.label("company"),
        institution.name.label("institution"),
        a.region.label("region"),
        a.gender.label("gender"),
    ]
    students = (
        select(*facts, *dimensions)
        .select_from(a)
        .outerjoin(
            confirmed,
            and_(
                confirmed.application_id == a.id,
                confirmed.cohort_id + 0 == cid,  # by application (see ``proposed``)
                confirmed.status == PlacementStatus.confirmed,
            ),
        )
        .outerjoin(
            internship,
            and_(internship.placement_id == confirmed.id, internship.cohort_id + 0 == cid),
        )
        .outerjoin(
            agreement,
            and_(agreement.placement_id == confirmed.id, agreement.cohort_id + 0 == cid),
        )
        .outerjoin(offer, offer.id == confirmed.offer_id)
        .outerjoin(company, company.id == offer.company_id)
        .outerjoin(institution, institution.id == a.institution_id)
        .where(a.cohort_id == cid)
        .subquery("students")
    )
    columns = list(students.c)
    grouped = select(*columns, func.count().label("n")).group_by(*columns)

    interns = (
        select(a.id.label("application_id"), confirmed.id.label("placement_id"))
        .join(
            confirmed,
            and_(
                confirmed.application_id == a.id,
                confirmed.cohort_id == cid,
                confirmed.status == PlacementStatus.confirmed,
            ),
        )
        .where(a.cohort_id == cid)
        .subquery("interns")
    )
    stipend = case(
        (agreement.id.is_not(None), agreement.monthly_stipend), else_=offer.monthly_stipend
    )
    their = (
        select(internship.id)
        .join(interns, interns.c.placement_id == internship.placement_id)
        .where(internship.cohort_id == cid)
    )
    per_intern = (
        select(func.sum(CheckIn.wellbeing).label("total"), func.count().label("months"))
        .where(CheckIn.internship_id.in_(their))
        .group_by(CheckIn.internship_id)
        .subquery("per_intern")
    )
    return {
        "groups": grouped,
        # The sums behind the averages, over the placed interns (as ``metrics.summarise``).
        "stipends": select(stipend, func.count())
        .select_from(interns)
        .join(confirmed, confirmed.id == interns.c.placement_id)
        .join(offer, offer.id == confirmed.offer_id)
        .outerjoin(
            agreement, and_(agreement.placement_id == confirmed.id, agreement.cohort_id == cid)
        )
        .where(stipend.is_not(None))
        .group_by(stipend),
        "tutor": select(TutorEvaluation.overall, func.count())
        .where(
            TutorEvaluation.internship_id.in_(their),
            TutorEvaluation.kind == EvaluationKind.final,
            TutorEvaluation.submitted_at.is_not(None),
            TutorEvaluation.overall.is_not(None),
        )
        .group_by(TutorEvaluation.overall),
        "wellbeing": select(per_intern.c.total, per_intern.c.months, func.count()).group_by(
            per_intern.c.total, per_intern.c.months
        ),
        "incidents": select(Incident.severity, func.count())
        .where(Incident.internship_id.in_(their))
        .group_by(Incident.severity),
    }


def _record(m) -> StudentRecord:
    """A record standing for the students of a group (its facts; no name, no dimension)."""
    record = StudentRecord(
        application_id=0,
        name="",
        gender=None,
        region=None,
        institution=None,
        applied=bool(m["applied"]),
        eligible=bool(m["eligible"]),
        shortlisted=bool(m["shortlisted"]),
        selected=bool(m["selected"]),
        placed=bool(m["placed"]),
        agreement_signed=bool(m["agreement_signed"]),
        agreement_recorded=bool(m["agreement_recorded"]),
        departed=bool(m["departed"]),
        completed=bool(m["completed"]),
        ended_early=bool(m["ended_early"]),
        returned=bool(m["returned"]),
        incidents=[s for s in SEVERITIES if m[f"incident_{s}"]],
        tutor_score=0 if m["tutor_evaluated"] else None,
        wellbeing=Fraction(0) if m["checked_in"] else None,
    )
    if record.placed:
        for w in WAVES:
            answer = m[f"wave_{w}"]
            if answer is not None:
                record.surveys[w] = (True, answer or None)
    return record


def _value(member):
    return None if member is None else getattr(member, "value", member)


def _severity(name: str):
    from ..followup.models import Severity

    return Severity(name)
