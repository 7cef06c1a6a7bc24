"""Build ``metrics.StudentRecord`` rows for a cohort in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..applications.models import Application, ApplicationStatus
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
from .metrics import WAVES, StudentRecord

A = ApplicationStatus

ELIGIBLE = {
    A.eligible,
    A.scored,
    A.shortlisted,
    A.interviewed,
    A.selected,
    A.waitlisted,
    A.rejected,
}
SHORTLISTED = {A.shortlisted, A.interviewed}


def load_records(cohort: Cohort, cutoff: date | None = None) -> list[StudentRecord]:
    """One record per application of ``cohort``, as things stood on ``cutoff`` for the
    surveys (a survey counts as due when its due date is on or before the cut-off)."""
    from ..agreements.models import Agreement, AgreementDocument, DocumentKind
    from ..agreements.services import status as document_status

    cutoff = cutoff or date.today()
    applications = db.session.scalars(
        select(Application)
        .options(joinedload(Application.institution))
        .where(Application.cohort_id == cohort.id)
        .order_by(Application.last_name, Application.first_name, Application.id)
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
        select(EmploymentSurvey).where(
            EmploymentSurvey.internship_id.in_(internship_ids), EmploymentSurvey.wave.in_(WAVES)
        )
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
        internship_id: float(value)
        for internship_id, value in db.session.execute(
            select(CheckIn.internship_id, func.avg(CheckIn.wellbeing))
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
