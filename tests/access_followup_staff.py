"""Access expectations for the coordinators' follow-up pages (followup.*) (merged into
tests/test_access_matrix.py).

``setup_values`` adds, in the shared cohort, a selected student (not the shared draft
``application`` of users["student"]) placed and confirmed on a new offer of users["host"]'s
company, hence an internship with its checklist; its three employment surveys; one incident
(low severity) reported by the coordinator; a mid-term evaluation link sent to the tutor.
Every followup.* route is for coordinators and admins only; the empty POSTs of the matrix
are answered with form errors (400) or a redirect, never a 500.
"""

from __future__ import annotations

from tests.access_helpers import FORBIDDEN, LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

STAFF = ("coordinator", "admin")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("followup.board", "GET"): only(*STAFF),
    ("followup.intern", "GET"): only(*STAFF),
    ("followup.step", "POST"): only(*STAFF),
    ("followup.send_evaluation", "POST"): only(*STAFF),
    ("followup.revoke_evaluation", "POST"): only(*STAFF),
    ("followup.report_incident", "POST"): only(*STAFF),
    ("followup.end_early", "POST"): only(*STAFF),
    ("followup.confirm_return", "POST"): only(*STAFF),
    ("followup.record_survey", "GET"): only(*STAFF),
    ("followup.record_survey", "POST"): only(*STAFF),
    ("followup.unreachable", "POST"): only(*STAFF),
    ("followup.incidents", "GET"): only(*STAFF),
    ("followup.incident", "GET"): only(*STAFF),
    ("followup.comment_incident", "POST"): only(*STAFF),
    ("followup.update_incident", "POST"): only(*STAFF),
    ("followup.criteria", "GET"): only(*STAFF),
    ("followup.criteria", "POST"): only(*STAFF),
    ("followup.returns", "GET"): only(*STAFF),
}


def setup_values(users, cohort, application) -> dict:
    from datetime import date, timedelta

    from mnc_exchange.core.timeutils import utcnow
    from mnc_exchange.extensions import db
    from mnc_exchange.followup import services
    from mnc_exchange.followup.models import (
        EvaluationKind,
        IncidentCategory,
        Severity,
        TutorEvaluation,
    )
    from mnc_exchange.hosts.models import Company
    from mnc_exchange.placements.models import Placement, PlacementStatus
    from tests.factories import OfferFactory, make_selected

    company = db.session.get(Company, users["host"].company_id)
    offer = OfferFactory(cohort=cohort, company=company, title="Offre suivie")
    intern = make_selected(cohort, 1, published=False, start_rank=77)[0]
    placement = Placement(
        cohort_id=cohort.id,
        application_id=intern.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
        responded_at=utcnow(),
        responded_by_id=users["host"].id,
    )
    db.session.add(placement)
    db.session.flush()
    internship = services.ensure_internship(placement)
    survey = services.schedule_surveys(internship)[0]
    incident = services.report_incident(
        internship,
        users["coordinator"],
        IncidentCategory.housing,
        Severity.low,
        date.today() - timedelta(days=1),
        "Logement introuvable",
        "Le bail a été annulé la veille de l'arrivée.",
    )
    evaluation = TutorEvaluation(
        internship_id=internship.id,
        kind=EvaluationKind.midterm,
        tutor_name=offer.tutor.full_name,
        tutor_email=offer.tutor.email,
        token_hash="0" * 64,
        sent_at=utcnow(),
        expires_at=utcnow() + timedelta(days=30),
    )
    db.session.add(evaluation)
    db.session.commit()
    return {
        "internship_id": internship.id,
        "step_id": internship.steps[0].id,
        "survey_id": survey.id,
        "incident_id": incident.id,
        "evaluation_id": evaluation.id,
    }
