"""The coordinators' follow-up pages: the interns board (ratings, bounded queries), an intern's
file (checklist, evaluation links, incidents, early end, return, surveys recorded by phone),
incident triage, evaluation criteria, the returns board and the daily reminder command."""

from __future__ import annotations

import re
from datetime import date, timedelta
from itertools import count

import pytest
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.errors import DomainError
from mnc_exchange.extensions import db
from mnc_exchange.followup import services
from mnc_exchange.followup.models import (
    EmploymentSurvey,
    EvaluationCriterion,
    EvaluationKind,
    Incident,
    IncidentCategory,
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
from mnc_exchange.internship_law import add_months
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.placements import services as placement_services
from tests.conftest import count_queries
from tests.factories import CohortFactory, CompanyFactory, OfferFactory, UserFactory, make_selected


@pytest.fixture(autouse=True)
def _english_messages():
    """Service messages are asserted in English (the app's default language is French)."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


_ranks = count(1)


def make_internship(cohort, start: date | None = None, end: date | None = None, company=None):
    """A confirmed placement through the real flow (preferences, preview run, commit, the
    company's confirmation): returns its Internship."""
    company = company or CompanyFactory()
    host = UserFactory(role=Role.host, company_id=company.id)
    coordinator = UserFactory(role=Role.coordinator)
    extra = {}
    if start is not None:
        extra = {"start_on": start, "end_on": end or start + timedelta(days=150)}
    offer = OfferFactory(cohort=cohort, company=company, **extra)
    (application,) = make_selected(cohort, 1, start_rank=next(_ranks))
    placement_services.set_preferences(application, [offer.id], application.student)
    db.session.commit()
    run = placement_services.run_preview(cohort, coordinator)
    (placement,) = placement_services.commit_run(run, coordinator)
    db.session.commit()
    placement_services.confirm(placement, host)
    db.session.commit()
    return db.session.scalar(select(Internship).where(Internship.placement_id == placement.id))


@pytest.fixture
def cohort():
    return CohortFactory(state=CohortState.matching, is_current=True, quota=30)


@pytest.fixture
def coordinator(auth):
    return auth.as_role("coordinator", locale="en")


def past_internship(cohort, **kwargs):
    """Started 300 days ago, ended 120 days ago: the 3-month survey is already due."""
    today = date.today()
    return make_internship(
        cohort, today - timedelta(days=300), today - timedelta(days=120), **kwargs
    )


def outbox_to(email: str) -> list[OutboxMessage]:
    return list(
        db.session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id)
        )
    )


def steps_by_key(internship) -> dict[str, MobilityStep]:
    return {s.key: s for s in internship.steps}


def rows_by_id(rows):
    return {row.internship_id: row for row in rows}


def page_rating(html: str, internship_id: int) -> str | None:
    match = re.search(rf'data-internship="{internship_id}" data-rating="(\w+)"', html)
    return match.group(1) if match else None


# --- the board -----------------------------------------------------------------------------


def test_board_ratings_with_pinned_dates(cohort):
    internship = make_internship(cohort)  # 2 March – 31 July of the cohort's year
    year = cohort.year
    steps = steps_by_key(internship)
    # A long stay: the préfecture stamp comes first, a week before the visa appointment.
    assert steps["visa_appointment"].due_on == date(year, 2, 2) + timedelta(days=7)
    first = min(steps.values(), key=lambda s: s.due_on)
    assert first.key == "prefecture_stamp"
    appointment = first.due_on

    def rating(today):
        return rows_by_id(services.board(cohort, today=today))[internship.id]

    assert rating(date(year, 1, 1)).rating == "green"
    # Due within 7 days, then overdue by up to 7 days: amber.
    assert rating(appointment - timedelta(days=3)).rating == "amber"
    row = rating(appointment + timedelta(days=2))
    assert (row.rating, row.overdue) == ("amber", ["prefecture_stamp"])
    # Overdue by more than 7 days: red.
    row = rating(appointment + timedelta(days=8))
    assert row.rating == "red"
    assert row.next_step.key == "prefecture_stamp"

    # Once the step is done, nothing is overdue any more.
    step = steps_by_key(internship)["prefecture_stamp"]
    services.update_step(
        step, appointment, None, UserFactory(role=Role.coordinator), today=appointment
    )
    db.session.commit()
    assert "prefecture_stamp" not in rating(appointment + timedelta(days=8)).overdue
    assert rating(appointment + timedelta(days=6)).overdue == []

    # An open critical incident turns the intern red whatever the checklist.
    db.session.add(
        Incident(
            internship_id=internship.id,
            reported_by_id=UserFactory(role=Role.student).id,
            category=IncidentCategory.health,
            severity=Severity.critical,
            occurred_on=date(year, 1, 1),
            summary="Hospitalisation",
            description="Hospitalised after an accident.",
        )
    )
    db.session.commit()
    row = rating(date(year, 1, 1))
    assert (row.rating, row.critical, row.open_incidents) == ("red", True, 1)

    # A finished internship has no checklist left to chase: only a critical incident counts.
    services.set_incident_status(
        db.session.scalar(select(Incident)),
        IncidentStatus.closed,
        UserFactory(role=Role.coordinator),
        resolution="Sorti de l'hôpital.",
    )
    internship.outcome = InternshipOutcome.completed
    internship.returned_on = date(year, 8, 2)
    db.session.commit()
    row = rating(date(year, 9, 1))
    assert (row.rating, row.overdue, row.next_step) == ("green", [], None)
    # Over without a confirmed return: amber for a week after the last day (31 July), then red.
    internship.returned_on = None
    db.session.commit()
    assert (rating(date(year, 8, 3)).rating, rating(date(year, 8, 3)).return_overdue) == (
        "amber",
        True,
    )
    assert rating(date(year, 9, 1)).rating == "red"
    assert rating(date(year, 7, 31)).return_overdue is False


def test_board_page_shows_every_intern_with_its_rating_and_filters(client, coordinator, cohort):
    today = date.today()
    # Short stays (2 months): the visa appointment is the first step, 42 days before the start.
    two_months = timedelta(days=60)
    red = make_internship(
        cohort, today + timedelta(days=20), today + timedelta(days=20) + two_months
    )
    amber = make_internship(
        cohort, today + timedelta(days=45), today + timedelta(days=45) + two_months
    )
    green = make_internship(
        cohort, today + timedelta(days=120), today + timedelta(days=120) + two_months
    )
    services.report_incident(
        amber,
        coordinator,
        IncidentCategory.housing,
        Severity.high,
        today,
        "Bail annulé",
        "Le propriétaire a annulé le bail.",
    )
    db.session.commit()

    response = client.get("/followup")  # the current cohort
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page_rating(html, red.id) == "red"
    assert page_rating(html, amber.id) == "amber"
    assert page_rating(html, green.id) == "green"
    assert 'data-count="total">3<' in html
    assert 'data-count="red">1<' in html
    assert 'data-open-incidents="1"' in html
    assert red.placement.offer.company.legal_name in html
    assert red.placement.application.full_name in html
    assert "Visa appointment" in html  # the overdue step, named
    assert "Red" in html and "Amber" in html and "Green" in html  # text, not colour alone

    only_red = client.get(f"/followup?cohort={cohort.id}&rating=red").get_data(as_text=True)
    assert page_rating(only_red, red.id) == "red"
    assert page_rating(only_red, amber.id) is None
    assert page_rating(only_red, green.id) is None

    other = CohortFactory()
    empty = client.get(f"/followup?cohort={other.id}")
    assert empty.status_code == 200
    assert "No intern in this cohort yet" in empty.get_data(as_text=True)
    assert client.get("/followup?cohort=999999").status_code == 404


def test_board_queries_do_not_grow_with_the_interns(app, client, coordinator, cohort):
    today = date.today()
    for n in range(2):
        make_internship(cohort, today + timedelta(days=20 + 30 * n))
    first = db.session.scalar(select(Internship).order_by(Internship.id))
    services.report_incident(
        first, coordinator, IncidentCategory.visa, Severity.low, today, "Visa", "Retard du visa."
    )
    db.session.commit()
    with count_queries(app) as few:
        assert client.get(f"/followup?cohort={cohort.id}").status_code == 200
    for n in range(6):
        make_internship(cohort, today - timedelta(days=10 * n))
    assert db.session.scalar(select(func.count()).select_from(Internship)) == 8
    with count_queries(app) as many:
        html = client.get(f"/followup?cohort={cohort.id}").get_data(as_text=True)
    assert 'data-count="total">8<' in html
    assert len(many) == len(few)

    with count_queries(app) as returns_many:
        assert client.get(f"/followup/returns?cohort={cohort.id}").status_code == 200
    with count_queries(app) as incidents_many:
        assert client.get(f"/followup/incidents?cohort={cohort.id}").status_code == 200
    other = CohortFactory()
    for _n in range(2):
        past = make_internship(other)
        services.report_incident(
            past, coordinator, IncidentCategory.visa, Severity.low, today, "Visa", "Retard."
        )
    db.session.commit()
    with count_queries(app) as returns_few:
        assert client.get(f"/followup/returns?cohort={other.id}").status_code == 200
    with count_queries(app) as incidents_few:
        assert client.get(f"/followup/incidents?cohort={other.id}").status_code == 200
    assert len(returns_many) == len(returns_few)
    assert len(incidents_many) == len(incidents_few)


# --- the checklist -------------------------------------------------------------------------


def test_coordinator_updates_a_step(client, coordinator, cohort):
    today = date.today()
    internship = make_internship(cohort, today + timedelta(days=20))
    step = steps_by_key(internship)["visa_appointment"]
    prefix = f"step-{step.id}"

    page = client.get(f"/followup/interns/{internship.id}").get_data(as_text=True)
    assert f'id="step-form-{step.id}"' in page
    assert 'data-step="visa_appointment" data-state="late"' in page

    response = client.post(
        f"/followup/steps/{step.id}",
        data={f"{prefix}-done_on": (today - timedelta(days=2)).isoformat(), f"{prefix}-note": "OK"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(
        f"/followup/interns/{internship.id}#step-{step.id}"
    )
    db.session.expire_all()
    assert step.done_on == today - timedelta(days=2)
    assert step.note == "OK"
    assert step.updated_by_id == coordinator.id

    # A date in the future is refused; nothing changes and the typed date is kept.
    future = (today + timedelta(days=3)).isoformat()
    refused = client.post(f"/followup/steps/{step.id}", data={f"{prefix}-done_on": future})
    assert refused.status_code == 400
    assert "A step cannot be done in the future." in refused.get_data(as_text=True)
    assert future in refused.get_data(as_text=True)
    db.session.expire_all()
    assert step.done_on == today - timedelta(days=2)

    invalid = client.post(f"/followup/steps/{step.id}", data={f"{prefix}-done_on": "31/02/2020"})
    assert invalid.status_code == 400
    assert "Enter a valid date." in invalid.get_data(as_text=True)

    # The visa step also records the visa obtained.
    visa = steps_by_key(internship)["visa_granted"]
    client.post(
        f"/followup/steps/{visa.id}",
        data={f"step-{visa.id}-done_on": today.isoformat(), f"step-{visa.id}-visa_type": "vls_ts"},
    )
    db.session.expire_all()
    assert visa.done_on == today and internship.visa_type == "vls_ts"

    assert client.post("/followup/steps/999999", data={}).status_code == 404


# --- tutor evaluations ---------------------------------------------------------------------


def _token(message: OutboxMessage) -> str:
    match = re.search(r"/evaluation/([A-Za-z0-9_\-]+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


def test_evaluation_link_send_renew_and_revoke(client, coordinator, cohort):
    internship = make_internship(cohort)
    tutor = internship.placement.offer.tutor
    url = f"/followup/interns/{internship.id}/evaluations"

    response = client.post(url, data={"kind": "midterm"})
    assert response.status_code == 302
    (first_mail,) = outbox_to(tutor.email)
    first = _token(first_mail)
    evaluation = services.evaluation_for_token(first)
    assert evaluation.kind is EvaluationKind.midterm
    assert evaluation.tutor_email == tutor.email

    # A new link: the e-mail carries a new token and the old one no longer opens anything.
    assert client.post(url, data={"kind": "midterm"}).status_code == 302
    mails = outbox_to(tutor.email)
    assert len(mails) == 2
    second = _token(mails[-1])
    assert second != first
    db.session.expire_all()
    with pytest.raises(DomainError, match="not valid"):
        services.evaluation_for_token(first)
    assert services.evaluation_for_token(second).id == evaluation.id

    page = client.get(f"/followup/interns/{internship.id}").get_data(as_text=True)
    assert 'id="evaluation-midterm" data-state="sent"' in page
    assert 'id="evaluation-final" data-state="not_sent"' in page

    response = client.post(f"/followup/evaluations/{evaluation.id}/revoke", data={})
    assert response.status_code == 302
    db.session.expire_all()
    assert evaluation.revoked_at is not None
    with pytest.raises(DomainError, match="withdrawn"):
        services.evaluation_for_token(second)
    page = client.get(f"/followup/interns/{internship.id}").get_data(as_text=True)
    assert 'id="evaluation-midterm" data-state="revoked"' in page

    # An unknown kind is refused without a change.
    client.post(url, data={"kind": "weekly"})
    assert len(outbox_to(tutor.email)) == 2


def test_an_answered_evaluation_shows_its_scores_and_cannot_be_resent(client, coordinator, cohort):
    internship = make_internship(cohort)
    _evaluation, token = services.send_evaluation_link(internship, EvaluationKind.final, None)
    db.session.commit()
    keys = [c.key for c in services.criteria_for(cohort)]
    services.submit_evaluation(token, dict.fromkeys(keys, 4), 5, "Excellent stagiaire.")
    db.session.commit()
    page = client.get(f"/followup/interns/{internship.id}").get_data(as_text=True)
    assert 'id="evaluation-final" data-state="answered"' in page
    assert "Excellent stagiaire." in page
    assert "5/5" in page
    before = len(outbox_to(internship.placement.offer.tutor.email))
    response = client.post(
        f"/followup/interns/{internship.id}/evaluations",
        data={"kind": "final"},
        follow_redirects=True,
    )
    assert "already answered" in response.get_data(as_text=True)
    assert len(outbox_to(internship.placement.offer.tutor.email)) == before


# --- incidents -----------------------------------------------------------------------------


def test_coordinator_reports_an_incident(client, coordinator, cohort):
    internship = make_internship(cohort)
    other_coordinator = UserFactory(role=Role.coordinator)
    today = date.today()
    url = f"/followup/interns/{internship.id}/incidents"
    data = {
        "category": "safety",
        "severity": "critical",
        "occurred_on": today.isoformat(),
        "summary": "Agression",
        "description": "Agressé dans le métro.",
    }
    future = client.post(url, data=data | {"occurred_on": (today + timedelta(days=1)).isoformat()})
    assert future.status_code == 400
    assert "cannot have happened in the future" in future.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 0

    response = client.post(url, data=data)
    assert response.status_code == 302
    incident = db.session.scalar(select(Incident))
    assert response.headers["Location"].endswith(f"/followup/incidents/{incident.id}")
    assert (incident.reported_by_id, incident.severity) == (coordinator.id, Severity.critical)
    assert len(outbox_to(other_coordinator.email)) == 1  # every coordinator, at once

    missing = client.post(url, data=data | {"summary": "", "category": "nope"})
    assert missing.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(Incident)) == 1


def _incident(internship, reporter, severity=Severity.medium, summary="Souci") -> Incident:
    incident = services.report_incident(
        internship,
        reporter,
        IncidentCategory.workplace,
        severity,
        date.today(),
        summary,
        "Détails.",
    )
    db.session.commit()
    return incident


def test_incident_triage_comment_and_closing(client, coordinator, cohort):
    internship = make_internship(cohort)
    incident = _incident(internship, internship.placement.application.student)
    url = f"/followup/incidents/{incident.id}/status"

    page = client.get(f"/followup/incidents/{incident.id}")
    assert page.status_code == 200 and "Souci" in page.get_data(as_text=True)

    # Closing without a resolution is refused; nothing changes, not even the severity.
    refused = client.post(url, data={"status": "closed", "severity": "high", "resolution": ""})
    assert refused.status_code == 400
    assert "Say how the incident was resolved" in refused.get_data(as_text=True)
    db.session.expire_all()
    assert (incident.status, incident.severity) == (IncidentStatus.open, Severity.medium)

    assert client.post(url, data={"status": "in_progress", "severity": "high"}).status_code == 302
    db.session.expire_all()
    assert (incident.status, incident.severity) == (IncidentStatus.in_progress, Severity.high)

    # In progress → open is not a transition.
    invalid = client.post(url, data={"status": "open", "severity": "high"})
    assert invalid.status_code == 400
    assert "cannot go from" in invalid.get_data(as_text=True)
    db.session.expire_all()
    assert incident.status is IncidentStatus.in_progress

    comment = client.post(f"/followup/incidents/{incident.id}/comments", data={"body": "Appelé."})
    assert comment.status_code == 302
    assert db.session.scalar(select(IncidentComment.body)) == "Appelé."
    assert client.post(f"/followup/incidents/{incident.id}/comments", data={}).status_code == 400

    closed = client.post(
        url, data={"status": "closed", "severity": "high", "resolution": "Relogé par l'école."}
    )
    assert closed.status_code == 302
    db.session.expire_all()
    assert incident.status is IncidentStatus.closed
    assert incident.resolution == "Relogé par l'école."
    assert incident.closed_at is not None
    assert "Relogé par l&#39;école." in client.get(f"/followup/incidents/{incident.id}").get_data(
        as_text=True
    )


@pytest.mark.parametrize("role", ["student", "host", "official"])
def test_only_coordinators_triage(client, auth, cohort, role):
    internship = make_internship(cohort)
    incident = _incident(internship, UserFactory(role=Role.coordinator))
    auth.as_role(role, locale="en")
    response = client.post(
        f"/followup/incidents/{incident.id}/status",
        data={"status": "closed", "severity": "low", "resolution": "x"},
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert (incident.status, incident.severity) == (IncidentStatus.open, Severity.medium)


def test_incidents_list_puts_critical_first_and_filters(client, coordinator, cohort):
    internship = make_internship(cohort)
    low = _incident(internship, coordinator, Severity.low, "Faible")
    critical = _incident(internship, coordinator, Severity.critical, "Grave")
    medium = _incident(internship, coordinator, Severity.medium, "Moyen")
    services.set_incident_status(medium, IncidentStatus.closed, coordinator, resolution="Réglé")
    db.session.commit()

    html = client.get("/followup/incidents").get_data(as_text=True)
    order = [int(i) for i in re.findall(r'<tr data-incident="(\d+)"', html)]
    assert order == [critical.id, low.id, medium.id]

    html = client.get(f"/followup/incidents?cohort={cohort.id}&severity=low").get_data(as_text=True)
    assert re.findall(r'<tr data-incident="(\d+)"', html) == [str(low.id)]
    html = client.get(f"/followup/incidents?cohort={cohort.id}&status=closed").get_data(
        as_text=True
    )
    assert re.findall(r'<tr data-incident="(\d+)"', html) == [str(medium.id)]
    # An unknown filter value shows everything rather than failing.
    html = client.get("/followup/incidents?severity=bogus").get_data(as_text=True)
    assert len(re.findall(r'<tr data-incident="(\d+)"', html)) == 3


# --- early end, return, surveys ------------------------------------------------------------


def test_end_early(client, coordinator, cohort):
    internship = past_internship(cohort)
    start, end = services.dates_of(internship)
    url = f"/followup/interns/{internship.id}/end-early"
    for wrong in (end, end + timedelta(days=1), start - timedelta(days=1)):
        response = client.post(
            url, data={"ended_on": wrong.isoformat(), "reason": "Santé", "early_return": "y"}
        )
        assert response.status_code == 400
        assert "The early end must fall within the internship." in response.get_data(as_text=True)
    no_reason = client.post(url, data={"ended_on": (end - timedelta(days=30)).isoformat()})
    assert no_reason.status_code == 400
    db.session.expire_all()
    assert internship.outcome is InternshipOutcome.ongoing and internship.ended_on is None

    ended_on = end - timedelta(days=30)
    response = client.post(
        url,
        data={"ended_on": ended_on.isoformat(), "reason": "Raisons de santé", "early_return": "y"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert internship.outcome is InternshipOutcome.ended_early
    assert internship.ended_on == ended_on
    assert internship.early_end_reason == "Raisons de santé"
    assert internship.early_return is True
    assert outbox_to(coordinator.email)  # the coordinators are told

    again = client.post(url, data={"ended_on": ended_on.isoformat(), "reason": "x"})
    assert again.status_code == 400
    assert "already over" in again.get_data(as_text=True)

    # The surveys count from the early end.
    client.post(
        f"/followup/interns/{internship.id}/return", data={"returned_on": ended_on.isoformat()}
    )
    dues = {s.wave: s.due_on for s in services.surveys(internship)}
    assert dues == {w: add_months(ended_on, w) for w in (3, 6, 12)}


def test_confirm_return_schedules_three_surveys(client, coordinator, cohort):
    internship = past_internship(cohort)
    _start, end = services.dates_of(internship)
    url = f"/followup/interns/{internship.id}/return"
    future = client.post(url, data={"returned_on": (date.today() + timedelta(days=1)).isoformat()})
    assert future.status_code == 400
    assert "cannot be in the future" in future.get_data(as_text=True)
    assert services.surveys(internship) == []

    returned_on = end + timedelta(days=3)
    assert client.post(url, data={"returned_on": returned_on.isoformat()}).status_code == 302
    db.session.expire_all()
    assert internship.returned_on == returned_on
    assert internship.return_confirmed_by_id == coordinator.id
    assert internship.outcome is InternshipOutcome.completed
    surveys = services.surveys(internship)
    assert [(s.wave, s.due_on, s.status) for s in surveys] == [
        (3, add_months(end, 3), SurveyStatus.pending),
        (6, add_months(end, 6), SurveyStatus.pending),
        (12, add_months(end, 12), SurveyStatus.pending),
    ]
    page = client.get(f"/followup/interns/{internship.id}").get_data(as_text=True)
    assert page.count('data-status="pending"') == 3


def _returned(cohort):
    internship = past_internship(cohort)
    _start, end = services.dates_of(internship)
    services.confirm_return(internship, end, UserFactory(role=Role.coordinator))
    db.session.commit()
    return {s.wave: s for s in services.surveys(internship)}


def test_record_a_survey_answer_by_phone(client, coordinator, cohort):
    surveys = _returned(cohort)
    survey = surveys[3]  # due 30 days ago or so
    url = f"/followup/surveys/{survey.id}/record"
    page = client.get(url)
    assert page.status_code == 200 and 'id="survey-form"' in page.get_data(as_text=True)

    incomplete = client.post(url, data={"situation": "employed_morocco", "employer": "OCP"})
    assert incomplete.status_code == 400
    text = incomplete.get_data(as_text=True)
    assert "Give the job title." in text and "Give the type of contract." in text
    db.session.expire_all()
    assert survey.status is SurveyStatus.pending

    response = client.post(
        url,
        data={
            "situation": "employed_morocco",
            "employer": "OCP Digital",
            "job_title": "Développeuse",
            "city": "Casablanca",
            "sector": "Industrie",
            "pole": "software",
            "employer_mnc_member": "yes",
            "contract_type": "permanent",
            "salary_band": "10000_14999",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert survey.status is SurveyStatus.answered
    assert survey.by_phone is True and survey.recorded_by_id == coordinator.id
    assert (survey.situation, survey.employer, survey.employer_mnc_member) == (
        Situation.employed_morocco,
        "OCP Digital",
        True,
    )
    # Closed: the page sends back to the intern's file.
    again = client.get(url)
    assert again.status_code == 302 and "#surveys" in again.headers["Location"]

    # A survey not yet due cannot be answered.
    later = surveys[12]
    early = client.post(f"/followup/surveys/{later.id}/record", data={"situation": "seeking"})
    assert early.status_code == 400
    assert "This survey opens on" in early.get_data(as_text=True)
    db.session.expire_all()
    assert later.status is SurveyStatus.pending


def test_close_a_survey_as_unreachable(client, coordinator, cohort):
    survey = _returned(cohort)[3]
    url = f"/followup/surveys/{survey.id}/unreachable"
    assert client.post(url, data={}).status_code == 302
    db.session.expire_all()
    assert survey.status is SurveyStatus.unreachable and survey.recorded_by_id == coordinator.id
    again = client.post(url, data={}, follow_redirects=True)
    assert "This survey is already closed." in again.get_data(as_text=True)
    assert client.post("/followup/surveys/999999/unreachable", data={}).status_code == 404


def test_returns_board(client, coordinator, cohort):
    surveys = _returned(cohort)
    pending = past_internship(cohort)
    services.answer_survey(
        surveys[3],
        services.SituationInput(situation=Situation.seeking),
        coordinator,
        by_phone=True,
    )
    db.session.commit()
    other = CohortFactory()
    html = client.get(f"/followup/returns?cohort={cohort.id}").get_data(as_text=True)
    assert 'data-count="returned">1<' in html
    assert f'data-internship="{pending.id}"' in html
    assert "not confirmed" in html
    assert "Looking for a job" in html  # the latest situation
    assert 'data-survey-status="answered"' in html
    # Every cohort is offered in the selector.
    assert f'<option value="{other.id}"' in html


# --- criteria ------------------------------------------------------------------------------


def test_criteria_editing_is_refused_once_an_evaluation_is_answered(client, coordinator, cohort):
    page = client.get(f"/followup/criteria?cohort={cohort.id}").get_data(as_text=True)
    assert "Technical skills" in page or "Compétences techniques" in page

    response = client.post(
        f"/followup/criteria?cohort={cohort.id}",
        data={"labels": "Rigueur\n\nAutonomie\nCommunication écrite\n"},
    )
    assert response.status_code == 302
    rows = services.criteria_for(cohort)
    assert [(c.key, c.label) for c in rows] == [
        ("c1", "Rigueur"),
        ("c2", "Autonomie"),
        ("c3", "Communication écrite"),
    ]
    too_many = "\n".join(f"Critère {n}" for n in range(13))
    assert (
        client.post(f"/followup/criteria?cohort={cohort.id}", data={"labels": too_many}).status_code
        == 400
    )

    internship = make_internship(cohort)
    _evaluation, token = services.send_evaluation_link(internship, EvaluationKind.midterm, None)
    services.submit_evaluation(token, {"c1": 3, "c2": 4, "c3": 5}, 4, "")
    db.session.commit()

    refused = client.post(f"/followup/criteria?cohort={cohort.id}", data={"labels": "Autre"})
    assert refused.status_code == 400
    assert "can no longer change" in refused.get_data(as_text=True)
    labels = db.session.scalars(
        select(EvaluationCriterion.label).where(EvaluationCriterion.cohort_id == cohort.id)
    ).all()
    assert sorted(labels) == ["Autonomie", "Communication écrite", "Rigueur"]
    page = client.get(f"/followup/criteria?cohort={cohort.id}").get_data(as_text=True)
    assert 'id="criteria-locked"' in page and 'id="criteria-form"' not in page


# --- the daily reminders -------------------------------------------------------------------


def test_cli_remind_sends_nothing_twice_the_same_day(runner, cohort):
    today = date.today()
    internship = make_internship(cohort, today + timedelta(days=20))  # steps overdue
    student = internship.placement.application.student
    before = len(outbox_to(student.email))

    result = runner.invoke(args=["followup", "remind", "--date", today.isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 intern(s) with overdue steps" in result.output
    db.session.expire_all()
    assert len(outbox_to(student.email)) == before + 1

    again = runner.invoke(args=["followup", "remind", "--date", today.isoformat()])
    assert again.exit_code == 0, again.output
    assert "0 intern(s) with overdue steps" in again.output
    assert "0 evaluation link(s)" in again.output
    db.session.expire_all()
    assert len(outbox_to(student.email)) == before + 1

    # The next day, the reminder goes again (still overdue).
    tomorrow = (today + timedelta(days=1)).isoformat()
    next_day = runner.invoke(args=["followup", "remind", "--date", tomorrow])
    assert "1 intern(s) with overdue steps" in next_day.output

    bad = runner.invoke(args=["followup", "remind", "--date", "05/03/2031"])
    assert bad.exit_code != 0


def test_cli_remind_defaults_to_today(runner, cohort):
    make_internship(cohort, date.today() + timedelta(days=120))  # nothing due
    result = runner.invoke(args=["followup", "remind"])
    assert result.exit_code == 0, result.output
    assert f"Reminders for {date.today().isoformat()}" in result.output
    assert "0 intern(s) with overdue steps" in result.output


# --- authorisation -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["student", "host", "official"])
def test_followup_pages_are_for_coordinators(client, auth, cohort, role):
    internship = make_internship(cohort)
    incident = _incident(internship, UserFactory(role=Role.coordinator))
    step = internship.steps[0]
    auth.as_role(role, locale="en")
    for url in (
        "/followup",
        f"/followup/interns/{internship.id}",
        "/followup/incidents",
        f"/followup/incidents/{incident.id}",
        "/followup/returns",
        "/followup/criteria",
    ):
        assert client.get(url).status_code == 403, url
    response = client.post(
        f"/followup/steps/{step.id}", data={f"step-{step.id}-done_on": date.today().isoformat()}
    )
    assert response.status_code == 403
    db.session.expire_all()
    assert step.done_on is None


def test_unknown_objects_are_404_and_admins_see_the_board(client, auth, cohort):
    internship = make_internship(cohort)
    auth.as_role("admin", locale="en")
    assert client.get("/followup").status_code == 200
    assert client.get(f"/followup/interns/{internship.id}").status_code == 200
    for url in (
        "/followup/interns/999999",
        "/followup/incidents/999999",
        "/followup/surveys/999999/record",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        "/followup/interns/999999/evaluations",
        "/followup/evaluations/999999/revoke",
        "/followup/interns/999999/incidents",
        "/followup/interns/999999/end-early",
        "/followup/interns/999999/return",
        "/followup/incidents/999999/comments",
        "/followup/incidents/999999/status",
    ):
        assert client.post(url, data={}).status_code == 404, url
    assert client.get("/followup/returns?cohort=999999").status_code == 404
    assert client.get("/followup/criteria?cohort=999999").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(TutorEvaluation)) == 0
    assert db.session.scalar(select(func.count()).select_from(EmploymentSurvey)) == 0
