"""Access expectations for the follow-up pages of the intern, the tutor and the host contact
(followup_student) (merged into tests/test_access_matrix.py).

The shared ``application`` is a draft of users["student"] in the shared cohort: it cannot have
an internship. ``setup_values`` therefore adds a second, earlier cohort in which users["student"]
was selected and placed at users["host"]'s company (a confirmed placement on an offer that ended
150 days ago), with its internship and the return confirmed, so the 3-month survey is due:
"my_step_id", "my_survey_id" and "internship_id" are that intern's (the URL variables of
my_internship.step and .survey are named "my_..." so that the values of
tests/access_followup_staff.py, another student's step and survey, do not replace them).

- my_internship.*: the student's own pages. The empty POSTs are answered (the step saved as
  not done, form errors for the check-in, incident and survey, "already confirmed" for the
  return), never a 500.
- host_interns.*: the host contact of that company (another company's intern is a 404; tested
  in tests/test_followup_student.py).
- evaluation.form: public, but the shared "token" ("not-a-valid-token") belongs to no
  evaluation, so every role gets the "link not valid" page with status 404 ("forbidden" here);
  the valid, used, expired and revoked links are tested in tests/test_followup_student.py.
"""

from __future__ import annotations

from tests.access_helpers import FORBIDDEN, LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("my_internship.index", "GET"): only("student"),
    ("my_internship.step", "POST"): only("student"),
    ("my_internship.checkin", "POST"): only("student"),
    ("my_internship.report_incident", "POST"): only("student"),
    ("my_internship.confirm_return", "POST"): only("student"),
    ("my_internship.survey", "GET"): only("student"),
    ("my_internship.survey", "POST"): only("student"),
    ("my_internship.situation", "GET"): only("student"),
    ("my_internship.situation", "POST"): only("student"),
    # An unknown token: 404 for everyone (the page itself needs no account).
    ("evaluation.form", "GET"): dict.fromkeys(ROLES, FORBIDDEN),
    ("evaluation.form", "POST"): dict.fromkeys(ROLES, FORBIDDEN),
    ("host_interns.index", "GET"): only("host"),
    ("host_interns.report_incident", "POST"): only("host"),
}


def setup_values(users, cohort, application) -> dict:
    from datetime import date, timedelta

    from mnc_exchange.applications.models import Application, ApplicationStatus
    from mnc_exchange.core.timeutils import utcnow
    from mnc_exchange.extensions import db
    from mnc_exchange.followup import services
    from mnc_exchange.hosts.models import Company
    from mnc_exchange.placements.models import Placement, PlacementStatus
    from tests.factories import CohortFactory, OfferFactory

    student = users["student"]
    earlier = CohortFactory()
    company = db.session.get(Company, users["host"].company_id)
    today = date.today()
    offer = OfferFactory(
        cohort=earlier,
        company=company,
        title="Stage terminé",
        start_on=today - timedelta(days=300),
        end_on=today - timedelta(days=150),
    )
    placed = Application(
        cohort_id=earlier.id,
        student_id=student.id,
        status=ApplicationStatus.selected,
        first_name="Salma",
        last_name="Bennani",
        pole_ranking=[],
        eligibility_reasons=[],
    )
    db.session.add(placed)
    db.session.flush()
    placement = Placement(
        cohort_id=earlier.id,
        application_id=placed.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
        responded_at=utcnow(),
    )
    db.session.add(placement)
    db.session.flush()
    internship = services.ensure_internship(placement)
    services.confirm_return(internship, offer.end_on + timedelta(days=1), student)
    survey = next(s for s in services.surveys(internship) if s.wave == 3)
    db.session.commit()
    return {
        "my_step_id": internship.steps[0].id,
        "my_survey_id": survey.id,
        "internship_id": internship.id,
    }
