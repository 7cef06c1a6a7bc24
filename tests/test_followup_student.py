"""Follow-up abroad, from the intern's, the tutor's and the host's side: the checklist and its
due dates, reminders, monthly check-ins, tutor evaluation links, incidents, the return and the
employment surveys."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements.models import Agreement
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.errors import DomainError
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.followup import schedule, services
from mnc_exchange.followup.models import (
    CheckIn,
    EmploymentSurvey,
    EvaluationKind,
    Incident,
    IncidentCategory,
    Internship,
    InternshipOutcome,
    MobilityStep,
    Severity,
    Situation,
    SurveyStatus,
    TutorEvaluation,
)
from mnc_exchange.internship_law import add_months
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.placements import services as placement_services
from mnc_exchange.placements.models import Placement, PlacementStatus
from tests.factories import (
    PASSWORD,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    UserFactory,
    make_selected,
)


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are asserted in English (the app's default language is French)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


TODAY = date.today()


# --- helpers ----------------------------------------------------------------------------------


def make_internship(
    start: date, end: date, *, company=None, cohort=None, locale: str = "en"
) -> Internship:
    """A confirmed placement on an offer running ``start``..``end``, and its internship. The
    student (``internship.placement.application.student``) speaks ``locale``."""
    cohort = cohort or CohortFactory(state=CohortState.matching)
    company = company or CompanyFactory()
    offer = OfferFactory(cohort=cohort, company=company, start_on=start, end_on=end)
    application = make_selected(cohort, 1, start_rank=db.session.query(Placement).count() + 1)[0]
    application.student.locale = locale
    placement = Placement(
        cohort_id=cohort.id,
        application_id=application.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
        responded_at=utcnow(),
    )
    db.session.add(placement)
    db.session.flush()
    internship = services.ensure_internship(placement)
    db.session.commit()
    return internship


def student_of(internship: Internship):
    return internship.placement.application.student


def login(client, user) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def steps_by_key(internship: Internship) -> dict[str, MobilityStep]:
    return {s.key: s for s in internship.steps}


def outbox_to(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)))


def current(days_before: int = 60, days_after: int = 90) -> tuple[date, date]:
    """Dates of an internship under way: started ``days_before`` days ago."""
    return TODAY - timedelta(days=days_before), TODAY + timedelta(days=days_after)


def past() -> tuple[date, date]:
    """Dates of an internship over for about eight months."""
    return TODAY - timedelta(days=400), TODAY - timedelta(days=240)


# --- due dates ----------------------------------------------------------------------------------


def test_due_dates_pure_core():
    start = date(2031, 3, 3)
    short = schedule.due_dates(start, long_stay=False)
    assert "prefecture_stamp" not in short and "vls_ts_validated" not in short
    assert short["visa_appointment"] == start - timedelta(days=42)
    assert short["arrival_confirmed"] == start
    long = schedule.due_dates(start, long_stay=True)
    assert long["prefecture_stamp"] == date(2031, 2, 3)
    # The visa appointment follows the préfecture's stamp.
    assert long["prefecture_stamp"] < long["visa_appointment"] < long["visa_granted"] < start
    assert long["vls_ts_validated"] == date(2031, 6, 3)
    assert schedule.due_dates(start, True, arrived_on=date(2031, 3, 10))["vls_ts_validated"] == (
        date(2031, 6, 10)
    )


def test_short_stay_has_no_prefecture_or_vls_ts_step():
    internship = make_internship(date(2031, 3, 3), date(2031, 5, 2))  # exactly 2 months
    keys = [s.key for s in internship.steps]
    assert "prefecture_stamp" not in keys and "vls_ts_validated" not in keys
    assert keys[0] == "visa_appointment" and "arrival_confirmed" in keys
    assert internship.visa_type == "short_stay"
    steps = steps_by_key(internship)
    assert steps["visa_appointment"].due_on == date(2031, 1, 20)  # 42 days before
    assert steps["insurance"].due_on == date(2031, 2, 10)  # 21 days before
    assert steps["departure"].due_on == date(2031, 3, 2)


def test_long_stay_has_prefecture_and_vls_ts_after_arrival():
    internship = make_internship(date(2031, 3, 3), date(2031, 8, 29))
    steps = steps_by_key(internship)
    assert internship.visa_type == "vls_ts"
    assert steps["prefecture_stamp"].due_on == date(2031, 2, 3)  # a month before the start
    assert steps["vls_ts_validated"].due_on == date(2031, 6, 3)  # provisional: start + 3 months
    student = student_of(internship)
    # The VLS-TS cannot be validated before the arrival is confirmed.
    with pytest.raises(DomainError):
        services.update_step(
            steps["vls_ts_validated"], date(2031, 3, 20), None, student, today=date(2031, 3, 21)
        )
    db.session.rollback()
    services.update_step(
        steps["arrival_confirmed"], date(2031, 3, 9), None, student, today=date(2031, 3, 10)
    )
    db.session.commit()
    db.session.refresh(internship)
    assert internship.arrived_on == date(2031, 3, 9)
    assert steps_by_key(internship)["vls_ts_validated"].due_on == date(2031, 6, 9)


def test_internship_created_when_the_company_confirms():
    cohort = CohortFactory(state=CohortState.matching, is_current=True)
    company = CompanyFactory()
    host = UserFactory(role=Role.host, company_id=company.id)
    coordinator = UserFactory(role=Role.coordinator)
    offer = OfferFactory(cohort=cohort, company=company)
    (application,) = make_selected(cohort, 1)
    placement_services.set_preferences(application, [offer.id], application.student)
    db.session.commit()
    run = placement_services.run_preview(cohort, coordinator)
    (placement,) = placement_services.commit_run(run, coordinator)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Internship)) == 0
    placement_services.confirm(placement, host)
    db.session.commit()
    internship = services.internship_of_student(application.student)
    assert internship is not None and internship.placement_id == placement.id
    assert len(internship.steps) == 9  # 2 March - 31 July: a long stay, every step


# --- the checklist page -------------------------------------------------------------------------


def test_no_internship_page_says_what_comes_next(client, auth):
    auth.as_role("student", locale="en")
    response = client.get("/my/internship")
    assert response.status_code == 200
    assert b"This page opens once a host company has confirmed your internship" in response.data


def test_student_updates_a_step_and_future_dates_are_refused(client):
    internship = make_internship(*current())
    student = student_of(internship)
    login(client, student)
    step = steps_by_key(internship)["insurance"]
    page = client.get("/my/internship")
    assert page.status_code == 200
    assert b"Mobility checklist" in page.data and b"Overdue" in page.data

    prefix = f"step{step.id}-"
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    response = client.post(
        f"/my/internship/steps/{step.id}",
        data={prefix + "done_on": tomorrow},
        follow_redirects=True,
    )
    assert b"A step cannot be done in the future." in response.data
    db.session.refresh(step)
    assert step.done_on is None

    done = (TODAY - timedelta(days=70)).isoformat()
    response = client.post(
        f"/my/internship/steps/{step.id}",
        data={prefix + "done_on": done, prefix + "note": "AXA, contrat 123"},
    )
    assert response.status_code == 302
    db.session.refresh(step)
    assert step.done_on == TODAY - timedelta(days=70)
    assert step.note == "AXA, contrat 123"

    response = client.post(f"/my/internship/steps/{step.id}", data={prefix + "done_on": "31/02"})
    assert response.status_code == 400
    db.session.refresh(step)
    assert step.done_on == TODAY - timedelta(days=70)


def test_visa_type_is_recorded_with_the_visa_granted_step(client):
    internship = make_internship(*current())
    login(client, student_of(internship))
    step = steps_by_key(internship)["visa_granted"]
    prefix = f"step{step.id}-"
    visa_before = internship.visa_type
    other = "short_stay" if visa_before == "vls_ts" else "vls_ts"
    response = client.post(
        f"/my/internship/steps/{step.id}",
        data={
            prefix + "done_on": (TODAY - timedelta(days=80)).isoformat(),
            prefix + "visa_type": other,
        },
    )
    assert response.status_code == 302
    db.session.refresh(internship)
    assert internship.visa_type == other


def test_another_students_step_is_not_found(client):
    mine = make_internship(*current())
    theirs = make_internship(*current())
    login(client, student_of(mine))
    step = steps_by_key(theirs)["housing"]
    done = (TODAY - timedelta(days=10)).isoformat()
    response = client.post(f"/my/internship/steps/{step.id}", data={f"step{step.id}-done_on": done})
    assert response.status_code == 404
    db.session.refresh(step)
    assert step.done_on is None
    assert client.post("/my/internship/steps/999999", data={}).status_code == 404


def test_student_dashboard_shows_what_is_due(client):
    internship = make_internship(*current())
    login(client, student_of(internship))
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert b'id="internship-due"' in response.data
    assert "Next step: Préfecture stamp on the agreement".encode() in response.data
    assert b"Monthly check-in to send for" in response.data


# --- reminders ----------------------------------------------------------------------------------


def test_overdue_steps_get_one_reminder_a_day_and_none_once_done():
    internship = make_internship(date(2031, 3, 3), date(2031, 5, 30))
    student = student_of(internship)
    day = date(2031, 2, 12)  # visa appointment (20 Jan) and insurance/housing (10 Feb) overdue
    counts = services.send_reminders(day)
    db.session.commit()
    assert counts["steps"] == 1
    (message,) = outbox_to(student.email)
    assert "Visa appointment" in message.body_text and "Insurance" in message.body_text
    assert "/my/internship" in message.body_text

    assert services.send_reminders(day)["steps"] == 0  # not twice the same day
    db.session.commit()
    assert len(outbox_to(student.email)) == 1

    assert services.send_reminders(day + timedelta(days=1))["steps"] == 1  # again the next day
    db.session.commit()
    assert len(outbox_to(student.email)) == 2

    for step in internship.steps:
        if step.due_on < day + timedelta(days=2):
            services.update_step(step, date(2031, 2, 1), None, student, today=day)
    db.session.commit()
    assert services.send_reminders(day + timedelta(days=2))["steps"] == 0  # none for done steps
    db.session.commit()
    assert len(outbox_to(student.email)) == 2


def test_missing_checkins_are_flagged_and_reminded(client):
    start, end = current(days_before=75)
    internship = make_internship(start, end)
    student = student_of(internship)
    services.update_step(steps_by_key(internship)["arrival_confirmed"], start, None, student)
    db.session.commit()
    # The first month is over without a check-in.
    first = schedule.month_start(start)
    assert first in schedule.missing_checkins(start, end, set(), TODAY)
    counts = services.send_reminders(TODAY)
    db.session.commit()
    assert counts["checkins"] == 1
    reminders = [m for m in outbox_to(student.email) if "check-in" in m.subject]
    assert len(reminders) == 1
    assert services.send_reminders(TODAY)["checkins"] == 0
    login(client, student)
    page = client.get("/my/internship")
    assert b'id="missing-checkins"' in page.data


# --- check-ins ----------------------------------------------------------------------------------


def test_checkin_rules():
    internship = make_internship(date(2031, 3, 3), date(2031, 6, 30))
    student = student_of(internship)
    today = date(2031, 5, 15)
    with pytest.raises(DomainError, match="not part of your internship"):
        services.submit_checkin(internship, date(2031, 8, 1), 4, 3, "x", "", student, today=today)
    with pytest.raises(DomainError, match="has not started"):
        services.submit_checkin(internship, date(2031, 6, 1), 4, 3, "x", "", student, today=today)
    services.submit_checkin(internship, date(2031, 3, 1), 4, 3, "API", "", student, today=today)
    db.session.commit()
    with pytest.raises(DomainError, match="already sent"):
        services.submit_checkin(internship, date(2031, 3, 9), 2, 3, "x", "", student, today=today)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    assert services.pending_checkin_month(internship, today) == date(2031, 4, 1)


def test_student_sends_a_checkin_once_per_month(client):
    internship = make_internship(*current(days_before=40))
    coordinator = UserFactory(role=Role.coordinator)
    login(client, student_of(internship))
    month = schedule.month_start(services.dates_of(internship)[0])
    data = {
        "month": month.isoformat(),
        "wellbeing": "2",
        "workload": "4",
        "learned": "Tests d'intégration",
        "problems": "Logement trop cher",
    }
    response = client.post("/my/internship/checkin", data=data)
    assert response.status_code == 302
    checkin = db.session.scalar(select(CheckIn).where(CheckIn.internship_id == internship.id))
    assert (checkin.month, checkin.wellbeing, checkin.workload) == (month, 2, 4)
    # A low well-being alerts the coordinators.
    assert len(outbox_to(coordinator.email)) == 1
    # The same month again is no longer offered.
    again = client.post("/my/internship/checkin", data=data)
    assert again.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
    # Scores outside 1-5 are refused.
    bad = client.post(
        "/my/internship/checkin",
        data=data | {"month": schedule.month_start(TODAY).isoformat(), "wellbeing": "9"},
    )
    assert bad.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1


# --- tutor evaluation links ---------------------------------------------------------------------


def _evaluation(kind=EvaluationKind.midterm):
    internship = make_internship(*current())
    coordinator = UserFactory(role=Role.coordinator)
    evaluation, token = services.send_evaluation_link(internship, kind, coordinator)
    db.session.commit()
    return internship, evaluation, token


def _answers(internship, score="4"):
    criteria = services.criteria_for(internship.cohort)
    db.session.commit()
    data = {f"score_{c.key}": score for c in criteria}
    data.update(overall="4", comment="Très bon stagiaire.")
    return data


def test_tutor_answers_once_through_the_link(client):
    internship, evaluation, token = _evaluation()
    tutor_mail = outbox_to(evaluation.tutor_email)
    assert len(tutor_mail) == 1 and f"/evaluation/{token}" in tutor_mail[0].body_text

    client.post("/language", data={"lang": "en", "next": "/"})
    page = client.get(f"/evaluation/{token}")
    assert page.status_code == 200
    assert internship.placement.application.full_name.encode() in page.data
    assert internship.placement.offer.company.legal_name.encode() in page.data
    assert page.headers["Referrer-Policy"] == "no-referrer"

    incomplete = client.post(f"/evaluation/{token}", data={"overall": "4"})
    assert incomplete.status_code == 400
    db.session.refresh(evaluation)
    assert evaluation.submitted_at is None

    response = client.post(f"/evaluation/{token}", data=_answers(internship))
    assert response.status_code == 200
    assert b'id="evaluation-thanks"' in response.data
    db.session.refresh(evaluation)
    assert evaluation.submitted_at is not None
    assert evaluation.overall == 4 and set(evaluation.scores.values()) == {4}

    reused = client.get(f"/evaluation/{token}")
    assert reused.status_code == 410
    assert b"already been answered" in reused.data
    again = client.post(f"/evaluation/{token}", data=_answers(internship, "1"))
    assert again.status_code == 410
    db.session.refresh(evaluation)
    assert set(evaluation.scores.values()) == {4}


def test_expired_link_says_so(client):
    internship, evaluation, token = _evaluation()
    evaluation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    client.post("/language", data={"lang": "en", "next": "/"})
    response = client.get(f"/evaluation/{token}")
    assert response.status_code == 410
    assert b"This link has expired" in response.data
    response = client.post(f"/evaluation/{token}", data=_answers(internship))
    assert response.status_code == 410
    db.session.refresh(evaluation)
    assert evaluation.submitted_at is None


def test_revoked_link_says_so(client):
    internship, evaluation, token = _evaluation(EvaluationKind.final)
    services.revoke_evaluation_link(evaluation, UserFactory(role=Role.coordinator))
    db.session.commit()
    client.post("/language", data={"lang": "en", "next": "/"})
    response = client.post(f"/evaluation/{token}", data=_answers(internship))
    assert response.status_code == 410
    assert b"withdrawn" in response.data
    db.session.refresh(evaluation)
    assert evaluation.submitted_at is None


def test_tampered_link_is_invalid(client):
    _internship, evaluation, token = _evaluation()
    client.post("/language", data={"lang": "en", "next": "/"})
    response = client.get(f"/evaluation/{token[:-1]}x")
    assert response.status_code == 404
    assert b"not valid" in response.data
    assert client.get("/evaluation/x").status_code == 404
    db.session.refresh(evaluation)
    assert evaluation.submitted_at is None


def test_unknown_or_missing_criteria_are_refused():
    internship, evaluation, token = _evaluation()
    keys = [c.key for c in services.criteria_for(internship.cohort)]
    scores = dict.fromkeys(keys, 3)
    with pytest.raises(DomainError):
        services.submit_evaluation(token, scores | {"charm": 5}, 4, "")
    with pytest.raises(DomainError):
        services.submit_evaluation(token, dict.fromkeys(keys[1:], 3), 4, "")
    with pytest.raises(DomainError):
        services.submit_evaluation(token, scores | {keys[0]: 6}, 4, "")
    db.session.rollback()
    assert db.session.get(TutorEvaluation, evaluation.id).submitted_at is None
    services.submit_evaluation(token, scores, 4, "")
    db.session.commit()
    assert db.session.get(TutorEvaluation, evaluation.id).submitted_at is not None


# --- incidents ----------------------------------------------------------------------------------


def _incident_data(severity="medium"):
    return {
        "category": "housing",
        "severity": severity,
        "occurred_on": (TODAY - timedelta(days=2)).isoformat(),
        "summary": "Dégât des eaux",
        "description": "Le logement est inondé depuis deux jours.",
    }


def test_student_reports_an_incident(client):
    internship = make_internship(*current())
    coordinator = UserFactory(role=Role.coordinator)
    student = student_of(internship)
    login(client, student)
    response = client.post("/my/internship/incidents", data=_incident_data())
    assert response.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert incident.reported_by_id == student.id and incident.internship_id == internship.id
    assert incident.severity is Severity.medium
    assert outbox_to(coordinator.email) == []  # only a critical one alerts at once
    page = client.get("/my/internship")
    assert b"D\xc3\xa9g\xc3\xa2t des eaux" in page.data

    future = _incident_data() | {"occurred_on": (TODAY + timedelta(days=3)).isoformat()}
    response = client.post("/my/internship/incidents", data=future)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1


def test_critical_incident_emails_every_coordinator_at_once(client):
    internship = make_internship(*current())
    coordinators = [UserFactory(role=Role.coordinator) for _ in range(3)]
    UserFactory(role=Role.coordinator, active=False)
    login(client, student_of(internship))
    response = client.post("/my/internship/incidents", data=_incident_data("critical"))
    assert response.status_code == 302
    recipients = sorted(
        m.recipient
        for m in db.session.scalars(select(OutboxMessage))
        if m.recipient in {c.email for c in coordinators}
    )
    assert recipients == sorted(c.email for c in coordinators)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 3
    body = db.session.scalars(select(OutboxMessage)).first().body_text
    assert f"/followup/interns/{internship.id}" in body


def test_host_reports_an_incident_for_its_own_intern_only(client, auth):
    company = CompanyFactory()
    internship = make_internship(*current(), company=company)
    other = make_internship(*current())
    host = auth.as_role("host", locale="en", company_id=company.id)
    page = client.get("/company/interns")
    assert page.status_code == 200
    assert internship.placement.application.full_name.encode() in page.data
    assert other.placement.application.full_name.encode() not in page.data

    response = client.post(
        f"/company/interns/{internship.id}/incidents", data=_incident_data("high")
    )
    assert response.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert incident.reported_by_id == host.id and incident.internship_id == internship.id
    page = client.get("/company/interns")
    assert b"D\xc3\xa9g\xc3\xa2t des eaux" in page.data

    response = client.post(f"/company/interns/{other.id}/incidents", data=_incident_data())
    assert response.status_code == 404
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1

    invalid = client.post(f"/company/interns/{internship.id}/incidents", data={})
    assert invalid.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1


def test_students_do_not_see_what_the_host_reported(client):
    company = CompanyFactory()
    internship = make_internship(*current(), company=company)
    host = UserFactory(role=Role.host, company_id=company.id)
    services.report_incident(
        internship,
        host,
        IncidentCategory.workplace,
        Severity.low,
        TODAY,
        "Absences répétées",
        "Trois absences non justifiées.",
    )
    db.session.commit()
    login(client, student_of(internship))
    page = client.get("/my/internship")
    assert page.status_code == 200
    assert "Absences répétées".encode() not in page.data


# --- return and surveys -------------------------------------------------------------------------


def test_surveys_are_scheduled_from_the_offers_end():
    internship = make_internship(date(2031, 3, 3), date(2031, 7, 31))
    student = student_of(internship)
    services.confirm_return(internship, date(2031, 8, 2), student, today=date(2031, 8, 3))
    db.session.commit()
    assert internship.outcome is InternshipOutcome.completed
    dues = {s.wave: s.due_on for s in services.surveys(internship)}
    assert dues == {3: date(2031, 10, 31), 6: date(2032, 1, 31), 12: date(2032, 7, 31)}


def test_surveys_are_scheduled_from_the_agreements_end():
    internship = make_internship(date(2031, 3, 3), date(2031, 7, 31))
    offer = internship.placement.offer
    db.session.add(
        Agreement(
            cohort_id=internship.cohort_id,
            placement_id=internship.placement_id,
            sequence=1,
            number="MNC-TEST-001",
            start_on=offer.start_on,
            end_on=date(2031, 6, 30),  # amended: a month shorter
            weekly_hours=35,
            daily_hours=7,
            monthly_stipend=700,
            work_address="1 rue de Rivoli, 75001 Paris",
            work_city="Paris",
            referent_name="Pr. Alaoui",
            referent_email="alaoui@example.ma",
        )
    )
    db.session.commit()
    services.confirm_return(
        internship, date(2031, 7, 1), student_of(internship), today=date(2031, 7, 2)
    )
    db.session.commit()
    dues = {s.wave: s.due_on for s in services.surveys(internship)}
    assert dues == {3: date(2031, 9, 30), 6: date(2031, 12, 30), 12: date(2032, 6, 30)}


def test_surveys_are_scheduled_from_an_early_end():
    internship = make_internship(date(2031, 3, 3), date(2031, 7, 31))
    coordinator = UserFactory(role=Role.coordinator)
    services.end_early(internship, date(2031, 5, 15), "Raisons familiales", True, coordinator)
    db.session.commit()
    assert len(outbox_to(coordinator.email)) == 1  # internship_ended_early
    services.confirm_return(
        internship, date(2031, 5, 17), student_of(internship), today=date(2031, 5, 20)
    )
    db.session.commit()
    assert internship.outcome is InternshipOutcome.ended_early
    dues = {s.wave: s.due_on for s in services.surveys(internship)}
    assert dues == {3: date(2031, 8, 15), 6: date(2031, 11, 15), 12: date(2032, 5, 15)}


def test_return_is_confirmed_only_after_the_end(client):
    internship = make_internship(*current())
    login(client, student_of(internship))
    page = client.get("/my/internship")
    assert b'id="return-later"' in page.data
    response = client.post(
        "/my/internship/return", data={"returned_on": TODAY.isoformat()}, follow_redirects=True
    )
    assert b"once your internship is over" in response.data
    db.session.refresh(internship)
    assert internship.returned_on is None
    assert db.session.scalar(select(func.count()).select_from(EmploymentSurvey)) == 0


def test_alumnus_confirms_the_return_and_answers_a_due_survey(client):
    start, end = past()
    internship = make_internship(start, end)
    student = student_of(internship)
    login(client, student)
    page = client.get("/my/internship")
    assert b'id="return-form"' in page.data
    response = client.post(
        "/my/internship/return", data={"returned_on": (end + timedelta(days=2)).isoformat()}
    )
    assert response.status_code == 302
    db.session.refresh(internship)
    assert internship.returned_on == end + timedelta(days=2)
    surveys = {s.wave: s for s in services.surveys(internship)}
    assert surveys[3].due_on == add_months(end, 3)
    three, twelve = surveys[3], surveys[12]
    assert twelve.due_on > TODAY

    page = client.get("/my/internship")
    assert f'id="answer-survey-{three.id}"'.encode() in page.data
    dashboard = client.get("/dashboard")
    assert b'data-todo="survey"' in dashboard.data

    # Employed: employer, job title and contract are required.
    response = client.post(
        f"/my/internship/surveys/{three.id}", data={"situation": "employed_morocco"}
    )
    assert response.status_code == 400
    assert b"Give the name of your employer." in response.data
    db.session.refresh(three)
    assert three.status is SurveyStatus.pending

    answer = {
        "situation": "employed_morocco",
        "employer": "HPS",
        "city": "Casablanca",
        "sector": "Monétique",
        "pole": "security",
        "employer_mnc_member": "yes",
        "job_title": "Ingénieure logiciel",
        "contract_type": "permanent",
        "salary_band": "10000_14999",
    }
    response = client.post(f"/my/internship/surveys/{three.id}", data=answer)
    assert response.status_code == 302
    db.session.refresh(three)
    assert three.status is SurveyStatus.answered
    assert (three.situation, three.employer, three.employer_mnc_member) == (
        Situation.employed_morocco,
        "HPS",
        True,
    )
    assert three.by_phone is False
    # Answered: shown, not answerable again.
    again = client.post(f"/my/internship/surveys/{three.id}", data=answer | {"employer": "X"})
    assert again.status_code == 302
    db.session.refresh(three)
    assert three.employer == "HPS"

    # Not yet due: a clear message, and the answer is refused.
    page = client.get(f"/my/internship/surveys/{twelve.id}")
    assert page.status_code == 200 and b'id="survey-not-due"' in page.data
    response = client.post(f"/my/internship/surveys/{twelve.id}", data=answer)
    assert response.status_code == 302
    db.session.refresh(twelve)
    assert twelve.status is SurveyStatus.pending


def test_survey_answer_rules_in_the_service():
    internship = make_internship(date(2031, 3, 3), date(2031, 7, 31))
    student = student_of(internship)
    services.confirm_return(internship, date(2031, 8, 1), student, today=date(2031, 8, 1))
    db.session.commit()
    survey = next(s for s in services.surveys(internship) if s.wave == 6)
    seeking = services.SituationInput(situation=Situation.seeking, employer="Ignoré")
    with pytest.raises(DomainError, match="opens on"):
        services.answer_survey(survey, seeking, student, today=date(2031, 12, 1))
    employed = services.SituationInput(
        situation=Situation.employed_abroad, employer="Capgemini", job_title="Dev"
    )
    with pytest.raises(DomainError, match="contract"):
        services.answer_survey(survey, employed, student, today=date(2032, 2, 1))
    services.answer_survey(survey, seeking, student, today=date(2032, 2, 1))
    db.session.commit()
    assert survey.status is SurveyStatus.answered and survey.employer is None


def test_another_alumnus_survey_is_not_found(client):
    mine = make_internship(*past())
    theirs = make_internship(*past())
    for internship in (mine, theirs):
        services.confirm_return(internship, past()[1], student_of(internship))
    db.session.commit()
    survey = next(s for s in services.surveys(theirs) if s.wave == 3)
    login(client, student_of(mine))
    assert client.get(f"/my/internship/surveys/{survey.id}").status_code == 404
    response = client.post(f"/my/internship/surveys/{survey.id}", data={"situation": "seeking"})
    assert response.status_code == 404
    db.session.refresh(survey)
    assert survey.status is SurveyStatus.pending


def test_situation_update_after_the_return(client):
    internship = make_internship(*past())
    student = student_of(internship)
    login(client, student)
    response = client.get("/my/internship/situation", follow_redirects=True)
    assert b"once your return to Morocco is confirmed" in response.data
    services.confirm_return(internship, past()[1] + timedelta(days=1), student)
    db.session.commit()

    assert client.get("/my/internship/situation").status_code == 200
    response = client.post("/my/internship/situation", data={"situation": "employed_abroad"})
    assert response.status_code == 400
    response = client.post(
        "/my/internship/situation",
        data={"situation": "studying", "employer": "Ignoré", "comment": "Master à Rabat"},
    )
    assert response.status_code == 302
    latest = services.latest_situation(internship)
    assert latest.wave == 0 and latest.situation is Situation.studying
    assert latest.employer is None and latest.comment == "Master à Rabat"
    # The scheduled waves are untouched.
    assert all(s.status is SurveyStatus.pending for s in services.surveys(internship) if s.wave)
    page = client.get("/my/internship")
    assert b'data-situation="studying"' in page.data


def test_evaluation_page_is_rate_limited(app, client, monkeypatch):
    _internship, evaluation, token = _evaluation()
    monkeypatch.setitem(app.config, "EVALUATION_RATE_LIMIT", "3 per minute")
    statuses = [client.get(f"/evaluation/{token}x").status_code for _ in range(4)]
    assert statuses == [404, 404, 404, 429]
