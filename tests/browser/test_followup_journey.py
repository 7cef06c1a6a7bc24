"""End-to-end follow-up journeys (CSRF on): a tutor completes the evaluation from the link in
the e-mail, without an account; an intern records a checklist step; an alumnus answers the
6-month survey from the e-mailed link.

The internships are built in the test context (a confirmed placement and its internship); the
e-mails are read from the outbox, the rest goes through the browser.
"""

from __future__ import annotations

from datetime import date, timedelta

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Page = expect = None

from sqlalchemy import select

from mnc_exchange.extensions import db
from mnc_exchange.followup import services
from mnc_exchange.followup.models import EvaluationKind, SurveyStatus, TutorEvaluation
from mnc_exchange.internship_law import add_months
from mnc_exchange.mail.models import OutboxMessage
from tests.browser.helpers import english, link_in
from tests.browser.helpers import log_in as log_in_fr
from tests.test_followup_student import make_internship, steps_by_key, student_of


def log_in(page: Page, email: str) -> None:
    log_in_fr(page, email)
    english(page)


def test_tutor_completes_the_evaluation_from_the_emailed_link(page: Page, live_server):
    today = date.today()
    internship = make_internship(today - timedelta(days=150), today + timedelta(days=10))
    evaluation, _token = services.send_evaluation_link(internship, EvaluationKind.final, None)
    db.session.commit()
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == evaluation.tutor_email)
    )
    path = link_in(message, live_server)
    assert path.startswith("/evaluation/")

    page.goto(path)
    english(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Final evaluation")
    expect(page.locator("#intern-name")).to_have_text(internship.placement.application.full_name)
    criteria = services.criteria_for(internship.cohort)
    db.session.commit()
    # Sending with a score missing keeps the answers and says what is missing.
    page.get_by_role("button", name="Send the evaluation").click()
    expect(page.locator("main > .alert-danger")).to_be_visible()
    for criterion in criteria:
        page.locator(f"#criterion-{criterion.key}").get_by_label("4", exact=True).check()
    page.locator("#overall").get_by_label("5", exact=True).check()
    page.get_by_label("Comment (optional)").fill("Autonome et rigoureux.")
    page.get_by_role("button", name="Send the evaluation").click()
    expect(page.locator("#evaluation-thanks")).to_be_visible()

    db.session.expire_all()
    stored = db.session.get(TutorEvaluation, evaluation.id)
    assert stored.overall == 5 and set(stored.scores.values()) == {4}
    # The link works once.
    page.goto(path)
    expect(page.locator("#evaluation-reason")).to_contain_text("already been answered")


def test_intern_records_a_step(page: Page):
    today = date.today()
    internship = make_internship(today - timedelta(days=20), today + timedelta(days=100))
    step = steps_by_key(internship)["housing"]
    log_in(page, student_of(internship).email)
    page.locator("#my-internship-link").click()
    item = page.locator(f"#step-{step.id}")
    expect(item).to_have_attribute("data-state", "overdue")
    item.get_by_text("Update this step").click()
    item.get_by_label("Done on").fill((today - timedelta(days=30)).isoformat())
    item.get_by_label("Note (optional)").fill("Résidence universitaire")
    item.get_by_role("button", name="Save").click()
    expect(page.locator("main > .alert-success")).to_contain_text("Housing")
    expect(page.locator(f"#step-{step.id}")).to_have_attribute("data-state", "done")


def test_alumnus_answers_the_six_month_survey(page: Page):
    today = date.today()
    end = add_months(today, -6) - timedelta(days=1)
    internship = make_internship(end - timedelta(days=150), end)
    student = student_of(internship)
    services.confirm_return(internship, end + timedelta(days=3), student)
    db.session.commit()
    survey = next(s for s in services.surveys(internship) if s.wave == 6)
    assert survey.due_on <= today
    services.send_reminders(survey.due_on)
    db.session.commit()
    message = db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == student.email)
        .order_by(OutboxMessage.id.desc())
    )
    path = link_in(message, "")
    assert path == f"/my/internship/surveys/{survey.id}"

    log_in(page, student.email)
    page.goto(path)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Survey 6 months after the internship"
    )
    form = page.locator("#survey-form")
    form.get_by_label("My situation").select_option("employed_morocco")
    form.get_by_label("Employer", exact=True).fill("HPS")
    form.get_by_label("City", exact=True).fill("Casablanca")
    form.get_by_label("Job title", exact=True).fill("Ingénieure monétique")
    form.get_by_label("Type of contract").select_option("permanent")
    form.get_by_label("Is the employer a member of Maroc Numeric Cluster?").select_option("yes")
    form.get_by_role("button", name="Send").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    expect(page.locator(f"tr[data-survey='{survey.id}']")).to_have_attribute(
        "data-status", "answered"
    )
    db.session.expire_all()
    assert services.surveys(internship)[1].status is SurveyStatus.answered
