"""The offer pages and the French-law checks on offers.

HTTP tests drive the pages with English-speaking users and assert on the database too. The law
checks are tested at and around each threshold through the services (``today=`` pins the
préfecture rule) and, for the main ones, through HTTP. HTTP tests use internships starting in
2026 (a known ceiling) and lasting at most 3 months, so that the préfecture rule, which uses
today's date, never applies to them unless a test wants it to.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from html import unescape

import pytest
from flask_babel import force_locale
from sqlalchemy import event, func, select

from mnc_exchange import internship_law
from mnc_exchange.accounts.models import Role
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.errors import DomainError, TransitionRefused
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.offers import law, services
from mnc_exchange.offers.models import Offer, OfferStatus
from tests.factories import (
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    TutorFactory,
    UserFactory,
    make_application_with_document,
)

O = OfferStatus  # noqa: E741

#: 2 March – 29 May 2026: 420 h at 35 h/week (stipend mandatory), not more than 3 months.
START, END = date(2026, 3, 2), date(2026, 5, 29)
#: A reference "today" for the préfecture rule in service tests.
TODAY = date(2025, 11, 3)


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture
def world():
    """The current 2026 cohort (open), an approved company of 50 with a tutor, a coordinator."""
    cohort = CohortFactory(year=2026, is_current=True, state=CohortState.open)
    company = CompanyFactory(headcount=50)
    tutor = TutorFactory(company=company, full_name="Tina Tutrice")
    coordinator = UserFactory(role=Role.coordinator, locale="en")
    return cohort, company, tutor, coordinator


def form_data(tutor=None, **overrides) -> dict:
    data = {
        "title": "Mobile payments developer",
        "description": "Build the mobile payment API.\nTest it.",
        "pole": "mobile",
        "skills": "Kotlin, REST",
        "city": "Lyon",
        "start_on": START.isoformat(),
        "end_on": END.isoformat(),
        "weekly_hours": "35",
        "daily_hours": "7",
        "monthly_stipend": "693,00",
        "leave_days": "5",
        "seats": "1",
        "tutor_id": str(tutor.id) if tutor else "",
        "language": "fr_en",
        "work_mode": "hybrid",
    }
    data.update({k: str(v) for k, v in overrides.items()})
    return data


def text(response) -> str:
    """The page as text, whitespace collapsed (for assertions on sentences)."""
    body = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return re.sub(r"\s+", " ", unescape(body))


def as_host(auth, company):
    return auth.as_role("host", locale="en", company_id=company.id)


def step(client, offer, target, follow_redirects=False, **data):
    return client.post(
        f"/offers/{offer.id}/transition",
        data={"target": target, **data},
        follow_redirects=follow_redirects,
    )


def reload(offer) -> Offer:
    db.session.expire_all()
    return db.session.get(Offer, offer.id)


def offer_count() -> int:
    return db.session.scalar(select(func.count()).select_from(Offer))


def make_offer(cohort, company, tutor=None, **kwargs) -> Offer:
    """A draft offer of the short 2026 internship (overridable)."""
    values = {
        "status": "draft",
        "start_on": START,
        "end_on": END,
        "monthly_stipend": Decimal("693.00"),
        "tutor": tutor,
    }
    values.update(kwargs)
    return OfferFactory(cohort=cohort, company=company, **values)


def check(offer, today=TODAY):
    return law.check_offer(offer, today)


def keys(findings) -> list[str]:
    return [f.message_key for f in findings]


# --- the whole lifecycle over HTTP -----------------------------------------------------------


def test_lifecycle_create_submit_approve_publish_close(client, auth, world):
    cohort, company, tutor, coordinator = world
    host = as_host(auth, company)

    response = client.get("/company/offers/new")
    assert response.status_code == 200
    assert "Tina Tutrice" in text(response)
    response = client.post(
        "/company/offers/new", data=form_data(tutor, weekly_hours="35,0", daily_hours="7")
    )
    assert response.status_code == 302
    offer = db.session.scalar(select(Offer))
    assert offer.status is O.draft and offer.cohort_id == cohort.id
    assert offer.company_id == company.id and offer.tutor_id == tutor.id
    assert offer.monthly_stipend == Decimal("693.00")
    assert offer.weekly_hours == Decimal("35") and offer.daily_hours == Decimal("7")
    assert offer.language.value == "fr_en" and offer.work_mode.value == "hybrid"
    assert response.headers["Location"].endswith(f"/offers/{offer.id}")

    body = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert "Build the mobile payment API.<br>Test it." in body
    page = text(client.get(f"/offers/{offer.id}"))
    assert "420 h" in page  # hours of presence, public holidays excluded
    assert "693.00 €" in page  # monthly legal minimum in 2026 at 35 h
    assert "yes (more than 308 h)" in page
    # The dates are behind us (the test pins 2026 figures): only a warning, never a refusal.
    assert "No problem found" in page or "not in the future" in page
    assert "Submit for approval" in page

    response = step(client, offer, "submitted")
    assert response.status_code == 302
    assert reload(offer).status is O.submitted
    assert db.session.scalar(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.recipient == coordinator.email)
    )
    # Submitted: no longer editable by the host.
    response = client.get(f"/offers/{offer.id}/edit", follow_redirects=True)
    assert "waiting for the programme's approval" in text(response)

    auth.logout()
    auth.login(coordinator.email)
    page = text(client.get("/offers"))
    assert "Mobile payments developer" in page
    response = step(client, offer, "approved")
    assert response.status_code == 302
    offer = reload(offer)
    assert offer.status is O.approved and offer.approved_by_id == coordinator.id

    auth.logout()
    auth.login(host.email)
    assert step(client, offer, "published").status_code == 302
    assert reload(offer).status is O.published
    # Closing needs the confirmation box.
    response = step(client, offer, "closed", follow_redirects=True)
    assert "Tick the box" in text(response)
    assert reload(offer).status is O.published
    step(client, offer, "closed", confirm="y")
    offer = reload(offer)
    assert offer.status is O.closed and offer.closed_at is not None


def test_send_back_needs_a_reason_and_shows_it_to_the_host(client, auth, world):
    cohort, company, tutor, coordinator = world
    offer = make_offer(cohort, company, tutor, status="submitted")
    auth.login(coordinator.email)
    page = text(client.get(f"/offers/{offer.id}"))
    assert "Send back for changes" in page and "What must the company change?" in page
    response = step(client, offer, "draft", reason="  ", follow_redirects=True)
    assert "Say what the company must change." in text(response)
    assert reload(offer).status is O.submitted
    step(client, offer, "draft", reason="Give the stack in the description.")
    offer = reload(offer)
    assert offer.status is O.draft
    assert offer.return_reason == "Give the stack in the description."

    auth.logout()
    as_host(auth, company)
    assert "Give the stack in the description." in text(client.get(f"/offers/{offer.id}"))
    assert "Give the stack in the description." in text(client.get(f"/offers/{offer.id}/edit"))


# --- the company's list, creation and editing ------------------------------------------------


def test_mine_groups_offers_by_cohort_current_first(client, auth, world):
    cohort, company, tutor, _ = world
    older = CohortFactory(year=2025)
    make_offer(older, company, title="Old offer", status="closed")
    make_offer(cohort, company, title="Current offer")
    OfferFactory(cohort=cohort, title="Someone else's offer")
    as_host(auth, company)
    page = text(client.get("/company/offers"))
    assert page.index("Current offer") < page.index("Old offer")
    assert "Someone else's offer" not in page
    assert "New offer" in page and "Draft" in page and "Closed" in page


def test_host_without_company_or_cohort_gets_a_clear_message(client, auth, world):
    cohort, company, _, _ = world
    auth.as_role("host", locale="en")
    page = text(client.get("/company/offers"))
    assert "not linked to a host company" in page
    response = client.get("/company/offers/new")
    assert response.status_code == 302

    auth.logout()
    cohort.is_current = False
    db.session.commit()
    as_host(auth, company)
    response = client.get("/company/offers/new", follow_redirects=True)
    assert "No cohort is open for offers yet" in text(response)
    response = client.post("/company/offers/new", data=form_data())
    assert response.status_code == 302
    assert offer_count() == 0


def test_no_tutor_yet_links_to_the_tutors_page(client, auth, world):
    company = CompanyFactory()
    as_host(auth, company)
    body = client.get("/company/offers/new").get_data(as_text=True)
    assert 'id="no-tutor"' in body and "/company/tutors" in body
    # No tutor is fine for a draft.
    assert client.post("/company/offers/new", data=form_data()).status_code == 302
    assert db.session.scalar(select(Offer.tutor_id)) is None


def test_decimal_commas_are_accepted(client, auth, world):
    _, company, tutor, _ = world
    as_host(auth, company)
    response = client.post(
        "/company/offers/new",
        data=form_data(tutor, weekly_hours="35,5", daily_hours="7,1", monthly_stipend="1 234,56"),
    )
    assert response.status_code == 302
    offer = db.session.scalar(select(Offer))
    assert offer.weekly_hours == Decimal("35.5")
    assert offer.daily_hours == Decimal("7.1")
    assert offer.monthly_stipend == Decimal("1234.56")


@pytest.mark.parametrize(
    "field, value, message",
    [
        ("start_on", "2026-02-31", "Enter a valid date."),
        ("end_on", "soon", "Enter a valid date."),
        ("end_on", "2026-03-01", "The end date must be after the start date."),
        ("end_on", START.isoformat(), "The end date must be after the start date."),
        ("monthly_stipend", "-1", "The stipend cannot be negative."),
        ("monthly_stipend", "abc", "Enter a number such as 35.5 or 35,5."),
        ("monthly_stipend", "700,123", "At most 2 decimal(s)."),
        ("seats", "0", "Between 1 and 20 seats."),
        ("seats", "21", "Between 1 and 20 seats."),
        ("weekly_hours", "0", "Enter a number greater than zero."),
        ("pole", "cooking", "Choose a value from the list."),
        ("title", "", "Give the offer a title."),
    ],
)
def test_bad_input_gives_field_errors_and_saves_nothing(client, auth, world, field, value, message):
    _, company, tutor, _ = world
    as_host(auth, company)
    response = client.post("/company/offers/new", data=form_data(tutor, **{field: value}))
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert f'id="{field}-error"' in body
    assert message in text(response)
    assert offer_count() == 0


def test_another_company_s_tutor_is_refused(client, auth, world):
    _, company, _, _ = world
    stranger = TutorFactory()  # of another company
    as_host(auth, company)
    response = client.post("/company/offers/new", data=form_data(stranger))
    assert response.status_code == 400
    assert 'id="tutor_id-error"' in response.get_data(as_text=True)
    assert "Choose one of your company's tutors." in text(response)
    assert offer_count() == 0


def test_a_refusing_service_is_flashed_and_nothing_is_saved(client, auth, world, monkeypatch):
    _, company, tutor, _ = world

    def refuse(*args, **kwargs):
        db.session.add(Offer())  # half-written work that must be rolled back
        raise DomainError("Refused by the service.")

    monkeypatch.setattr(services, "create_offer", refuse)
    as_host(auth, company)
    response = client.post("/company/offers/new", data=form_data(tutor))
    assert response.status_code == 400
    assert "Refused by the service." in text(response)
    assert offer_count() == 0


def test_edit_a_draft_and_refuse_to_edit_otherwise(client, auth, world):
    cohort, company, tutor, _ = world
    draft = make_offer(cohort, company, tutor, title="Draft post")
    published = make_offer(cohort, company, tutor, status="published", title="Live post")
    as_host(auth, company)

    form = client.get(f"/offers/{draft.id}/edit").get_data(as_text=True)
    assert 'value="Draft post"' in form and 'value="693.00"' in form
    response = client.post(
        f"/offers/{draft.id}/edit", data=form_data(tutor, title="Renamed", seats="2")
    )
    assert response.status_code == 302
    draft = reload(draft)
    assert (draft.title, draft.seats) == ("Renamed", 2)

    response = client.post(f"/offers/{published.id}/edit", data=form_data(tutor, title="Hacked"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/offers/{published.id}")
    assert reload(published).title == "Live post"
    page = text(client.get(f"/offers/{published.id}"))
    assert "A published offer can no longer be changed" in page


def test_saving_an_illegal_draft_says_why_at_once(client, auth, world):
    _, company, tutor, _ = world
    as_host(auth, company)
    response = client.post(
        "/company/offers/new",
        data=form_data(tutor, daily_hours="10,5"),
        follow_redirects=True,
    )
    assert "cannot be submitted" in text(response)
    assert "10.5 h a day > legal maximum 10 h (L124-14)" in text(response)
    assert db.session.scalar(select(Offer.status)) is O.draft  # saved, as a draft


# --- the law at the thresholds, through the services -----------------------------------------


def test_stipend_exactly_at_the_2026_minimum_passes(app, world):
    cohort, company, tutor, coordinator = world
    offer = make_offer(cohort, company, tutor, monthly_stipend=Decimal("693.00"))
    report = check(offer)
    assert report.ok, report.codes
    assert report.monthly_minimum == Decimal("693.00")
    assert report.hourly_minimum == Decimal("4.50")
    host = UserFactory(role=Role.host, company_id=company.id)
    services.transition(offer, O.submitted, host, today=TODAY)
    assert offer.status is O.submitted


def test_stipend_one_cent_below_is_refused_with_the_numbers(app, world):
    cohort, company, tutor, _ = world
    offer = make_offer(cohort, company, tutor, monthly_stipend=Decimal("692.99"))
    host = UserFactory(role=Role.host, company_id=company.id)
    with force_locale("en"), pytest.raises(TransitionRefused) as refused:
        services.transition(offer, O.submitted, host, today=TODAY)
    assert "stipend 692.99 €/month < legal minimum 693.00 €/month: 154 h × 4.50 € (L124-6)" in (
        refused.value.message
    )
    assert offer.status is O.draft


def test_stipend_refusal_over_http_changes_nothing(client, auth, world):
    cohort, company, tutor, _ = world
    offer = make_offer(cohort, company, tutor, monthly_stipend=Decimal("600.00"))
    as_host(auth, company)
    response = step(client, offer, "submitted", follow_redirects=True)
    assert (
        "The offer breaks French internship law: stipend 600.00 €/month < legal minimum "
        "693.00 €/month: 154 h × 4.50 € (L124-6)"
    ) in text(response)
    offer = reload(offer)
    assert offer.status is O.draft and offer.submitted_at is None


@pytest.mark.parametrize(
    "start, end, needs_stipend",
    [
        (date(2026, 3, 2), date(2026, 4, 30), False),  # 301 h (2 months)
        (date(2026, 9, 1), date(2026, 10, 30), False),  # exactly 308 h
        (date(2026, 9, 1), date(2026, 11, 2), True),  # 315 h
    ],
)
def test_no_stipend_needed_up_to_308_hours(app, world, start, end, needs_stipend):
    cohort, company, tutor, _ = world
    offer = make_offer(
        cohort, company, tutor, start_on=start, end_on=end, monthly_stipend=Decimal(0)
    )
    report = check(offer)
    assert report.gratification_required is needs_stipend
    assert (report.presence_hours <= 308) is not needs_stipend
    assert ("stipend_missing" in keys(report.violations)) is needs_stipend


def test_unpaid_two_month_internship_passes_over_http(client, auth, world):
    cohort, company, tutor, _ = world
    offer = make_offer(
        cohort,
        company,
        tutor,
        start_on=date(2026, 3, 2),
        end_on=date(2026, 4, 30),
        monthly_stipend=Decimal(0),
    )
    as_host(auth, company)
    assert "no (308 h or less)" in text(client.get(f"/offers/{offer.id}"))
    step(client, offer, "submitted")
    assert reload(offer).status is O.submitted


@pytest.mark.parametrize(
    "daily, weekly, violation, warning",
    [
        ("10", "35", None, None),
        ("10.5", "35", "daily_hours_exceeded", None),
        ("7", "48", None, "weekly_hours_above_legal"),
        ("7", "49", "weekly_hours_exceeded", None),
        ("7", "36", None, "weekly_hours_above_legal"),
        ("7", "35", None, None),
    ],
)
def test_working_time_limits(app, world, daily, weekly, violation, warning):
    cohort, company, tutor, _ = world
    offer = make_offer(
        cohort,
        company,
        tutor,
        daily_hours=Decimal(daily),
        weekly_hours=Decimal(weekly),
        monthly_stipend=Decimal(1000),  # above the minimum even at 49 h
    )
    report = check(offer)
    assert keys(report.violations) == ([violation] if violation else [])
    assert ("weekly_hours_above_legal" in keys(report.warnings)) is (warning is not None)


def test_weekly_warning_is_kept_on_the_offer_at_submission(app, world):
    cohort, company, tutor, _ = world
    offer = make_offer(
        cohort, company, tutor, weekly_hours=Decimal(36), monthly_stipend=Decimal(800)
    )
    host = UserFactory(role=Role.host, company_id=company.id)
    services.transition(offer, O.submitted, host, today=TODAY)
    assert [w["key"] for w in offer.law_warnings] == ["weekly_hours_above_legal"]


@pytest.mark.parametrize(
    "headcount, others, seats, allowed",
    [
        (19, 2, 1, True),  # 3 interns: the small-host maximum
        (19, 3, 1, False),  # a 4th intern
        (19, 2, 2, False),  # a 4th intern through this offer's second seat
        (20, 2, 1, True),  # 15 % of 20 = 3
        (20, 3, 1, False),
        (21, 3, 1, True),  # 15 % of 21 = 3.15, rounded up to 4
        (21, 4, 1, False),
    ],
)
def test_interns_per_host(app, world, headcount, others, seats, allowed):
    cohort, _, _, _ = world
    company = CompanyFactory(headcount=headcount)
    # Other approved and published offers overlapping this one hold ``others`` seats.
    OfferFactory(cohort=cohort, company=company, status="approved", seats=others - 1)
    OfferFactory(cohort=cohort, company=company, status="published", seats=1)
    # Draft, submitted or closed offers hold no seat.
    OfferFactory(cohort=cohort, company=company, status="draft", seats=5)
    OfferFactory(cohort=cohort, company=company, status="closed", seats=5)
    offer = make_offer(cohort, company, None, seats=seats)
    report = check(offer)
    assert ("too_many_interns_at_host" not in keys(report.violations)) is allowed
    assert report.ok is allowed


def test_offers_that_do_not_overlap_do_not_count(app, world):
    cohort, _, _, _ = world
    company = CompanyFactory(headcount=10)
    OfferFactory(
        cohort=cohort,
        company=company,
        status="published",
        seats=3,
        start_on=date(2026, 9, 1),
        end_on=date(2026, 12, 18),
    )
    offer = make_offer(cohort, company, None)
    assert check(offer).ok


@pytest.mark.parametrize("running, allowed", [(2, True), (3, False)])
def test_a_tutor_follows_at_most_three_interns(app, world, running, allowed):
    cohort, company, tutor, _ = world
    OfferFactory(cohort=cohort, company=company, tutor=tutor, status="published", seats=running)
    offer = make_offer(cohort, company, tutor)
    report = check(offer)
    assert ("tutor_overloaded" not in keys(report.violations)) is allowed


def test_tutor_overload_refuses_the_submission(app, world):
    cohort, company, tutor, _ = world
    OfferFactory(cohort=cohort, company=company, tutor=tutor, status="approved", seats=3)
    offer = make_offer(cohort, company, tutor)
    host = UserFactory(role=Role.host, company_id=company.id)
    refused = pytest.raises(TransitionRefused, match="already tutors 3 running agreements")
    with force_locale("en"), refused:
        services.transition(offer, O.submitted, host, today=TODAY)
    assert offer.status is O.draft


def test_long_stay_starting_too_soon_is_refused_with_the_deadline(app, world):
    cohort, company, tutor, _ = world
    # 2 March – 31 July 2026: more than 3 months; the deadline is 2 January 2026.
    offer = make_offer(cohort, company, tutor, end_on=date(2026, 7, 31))
    report = check(offer, today=date(2026, 1, 5))
    assert keys(report.violations) == ["prefecture_deadline_passed"]
    assert report.prefecture_deadline == date(2026, 1, 2)
    host = UserFactory(role=Role.host, company_id=company.id)
    with force_locale("en"), pytest.raises(TransitionRefused) as refused:
        services.transition(offer, O.submitted, host, today=date(2026, 1, 5))
    assert "the préfecture submission deadline (January 2, 2026) has passed" in (
        refused.value.message
    )


def test_long_stay_starting_later_is_a_warning_with_the_date(app, world):
    cohort, company, tutor, _ = world
    offer = make_offer(cohort, company, tutor, end_on=date(2026, 7, 31))
    report = check(offer, today=date(2026, 1, 2))  # on the deadline: still in time
    assert report.ok
    assert "prefecture_submission" in keys(report.warnings)
    host = UserFactory(role=Role.host, company_id=company.id)
    with force_locale("en"):
        services.transition(offer, O.submitted, host, today=date(2026, 1, 2))
    assert offer.status is O.submitted
    texts = [w["text"] for w in offer.law_warnings]
    assert any("préfecture by January 2, 2026" in t for t in texts)


def test_exactly_three_months_is_not_a_long_stay(app, world):
    cohort, company, tutor, _ = world
    offer = make_offer(cohort, company, tutor, start_on=date(2026, 3, 2), end_on=date(2026, 6, 1))
    report = check(offer, today=date(2026, 2, 27))
    assert not report.long_stay and report.ok


def test_long_stay_deadline_passed_over_http(client, auth, world):
    cohort, company, tutor, _ = world
    offer = make_offer(cohort, company, tutor, end_on=date(2026, 7, 31))  # deadline 2 Jan 2026
    as_host(auth, company)
    page = text(client.get(f"/offers/{offer.id}"))
    assert "January 2, 2026" in page  # the préfecture deadline figure
    response = step(client, offer, "submitted", follow_redirects=True)
    assert "the préfecture submission deadline (January 2, 2026) has passed" in text(response)
    assert reload(offer).status is O.draft


def test_unknown_ceiling_year_is_refused(app, world):
    cohort, company, tutor, _ = world
    year = max(internship_law.SOCIAL_SECURITY_HOURLY_CEILING) + 2
    offer = make_offer(
        cohort,
        company,
        tutor,
        start_on=date(year, 3, 1),
        end_on=date(year, 5, 28),
        monthly_stipend=Decimal(2000),
    )
    report = check(offer)
    assert keys(report.violations) == ["ceiling_unknown"]
    host = UserFactory(role=Role.host, company_id=company.id)
    with (
        force_locale("en"),
        pytest.raises(
            TransitionRefused, match=f"no social-security hourly ceiling is known for {year}"
        ),
    ):
        services.transition(offer, O.submitted, host, today=TODAY)


def test_low_stipend_on_a_short_internship_is_a_resources_warning_only(app, world):
    cohort, company, tutor, _ = world
    offer = make_offer(
        cohort,
        company,
        tutor,
        start_on=date(2026, 3, 2),
        end_on=date(2026, 4, 30),
        monthly_stipend=Decimal(600),
    )
    report = check(offer)
    assert report.ok
    assert keys(report.warnings) == ["resources_below_minimum"]


def test_approval_checks_the_law_again(app, world):
    cohort, company, tutor, coordinator = world
    offer = make_offer(cohort, company, tutor, status="submitted")
    # Meanwhile the tutor took three other interns.
    OfferFactory(cohort=cohort, company=company, tutor=tutor, status="published", seats=3)
    with force_locale("en"), pytest.raises(TransitionRefused):
        services.transition(offer, O.approved, coordinator, today=TODAY)
    assert offer.status is O.submitted


# --- the offer page: who sees what -----------------------------------------------------------


def test_host_and_staff_see_the_findings_students_do_not(client, auth, world):
    cohort, company, tutor, coordinator = world
    offer = make_offer(
        cohort,
        company,
        tutor,
        status="published",
        weekly_hours=Decimal(36),
        monthly_stipend=Decimal(800),
    )
    as_host(auth, company)
    body = client.get(f"/offers/{offer.id}").get_data(as_text=True)
    assert 'id="law-warnings"' in body and "above the legal working week" in body

    auth.logout()
    student = UserFactory(role=Role.student, locale="en")
    make_application_with_document(student, cohort)
    auth.login(student.email)
    response = client.get(f"/offers/{offer.id}")
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert offer.title in body
    assert 'id="law-warnings"' not in body and 'id="steps"' not in body
    assert tutor.email not in body


def test_students_see_only_published_offers_of_their_cohort(client, auth, world):
    cohort, company, tutor, _ = world
    published = make_offer(cohort, company, tutor, status="published")
    draft = make_offer(cohort, company, tutor, status="draft")
    approved = make_offer(cohort, company, tutor, status="approved")
    elsewhere = OfferFactory(cohort=CohortFactory(year=2027), status="published")
    student = UserFactory(role=Role.student, locale="en")
    make_application_with_document(student, cohort)
    auth.login(student.email)
    assert client.get(f"/offers/{published.id}").status_code == 200
    for offer in (draft, approved, elsewhere):
        assert client.get(f"/offers/{offer.id}").status_code == 404
    assert (
        client.post(f"/offers/{published.id}/transition", data={"target": "closed"}).status_code
        == 403
    )
    assert reload(published).status is O.published


def test_a_student_without_application_sees_no_offer(client, auth, world):
    cohort, company, tutor, _ = world
    offer = make_offer(cohort, company, tutor, status="published")
    auth.as_role("student", locale="en")
    assert client.get(f"/offers/{offer.id}").status_code == 404


def test_another_company_s_host_gets_404(client, auth, world):
    cohort, company, tutor, _ = world
    offer = make_offer(cohort, company, tutor)
    as_host(auth, CompanyFactory())
    assert client.get(f"/offers/{offer.id}").status_code == 404
    assert client.get(f"/offers/{offer.id}/edit").status_code == 404
    assert client.post(f"/offers/{offer.id}/edit", data=form_data()).status_code == 404
    assert step(client, offer, "submitted").status_code == 404
    assert step(client, offer, "closed", confirm="y").status_code == 404
    offer = reload(offer)
    assert offer.status is O.draft and offer.title != "Mobile payments developer"


def test_pending_host_gets_403(client, auth, world):
    cohort, _, _, _ = world
    pending = CompanyFactory(status="pending", approved_at=None)
    offer = make_offer(cohort, pending, None)
    auth.as_role("host", locale="en", company_id=pending.id, approved_at=None)
    for url in ("/company/offers", "/company/offers/new", f"/offers/{offer.id}/edit"):
        assert client.get(url).status_code == 403
    assert client.post("/company/offers/new", data=form_data()).status_code == 403
    assert step(client, offer, "submitted").status_code == 403
    assert client.get(f"/offers/{offer.id}").status_code == 404
    assert reload(offer).status is O.draft


def test_host_cannot_approve_and_staff_cannot_submit(client, auth, world):
    cohort, company, tutor, coordinator = world
    submitted = make_offer(cohort, company, tutor, status="submitted")
    draft = make_offer(cohort, company, tutor, status="draft")
    as_host(auth, company)
    body = client.get(f"/offers/{submitted.id}").get_data(as_text=True)
    assert 'id="do-approved"' not in body and 'id="do-draft"' in body
    response = step(client, submitted, "approved", follow_redirects=True)
    assert "You may not take this step on this offer." in text(response)
    assert reload(submitted).status is O.submitted

    auth.logout()
    auth.login(coordinator.email)
    body = client.get(f"/offers/{draft.id}").get_data(as_text=True)
    assert 'id="do-submitted"' not in body and 'id="do-closed"' in body
    response = step(client, draft, "submitted", follow_redirects=True)
    assert "You may not take this step on this offer." in text(response)
    assert reload(draft).status is O.draft


def test_unknown_or_impossible_step(client, auth, world):
    cohort, company, tutor, _ = world
    offer = make_offer(cohort, company, tutor, status="published")
    as_host(auth, company)
    response = step(client, offer, "teleported")
    assert response.status_code == 400
    assert "This step does not exist." in text(response)
    assert client.post(f"/offers/{offer.id}/transition", data={}).status_code == 400
    response = step(client, offer, "draft", follow_redirects=True)
    assert "An offer cannot go from “Published” to “Draft”." in text(response)
    assert reload(offer).status is O.published


def test_official_cannot_read_offers(client, auth, world):
    cohort, company, tutor, _ = world
    offer = make_offer(cohort, company, tutor, status="published")
    auth.as_role("official", locale="en")
    assert client.get(f"/offers/{offer.id}").status_code == 404
    assert client.get("/offers").status_code == 403


# --- the coordinators' review list -----------------------------------------------------------


def test_review_lists_counts_filters_and_puts_submitted_first(client, auth, world):
    cohort, company, tutor, coordinator = world
    other = CompanyFactory(legal_name="Zeta Paiements SAS", city="Nantes")
    make_offer(cohort, company, tutor, status="published", title="Published one")
    make_offer(cohort, other, None, status="submitted", title="Waiting one", city="Nantes")
    make_offer(cohort, company, tutor, status="draft", title="Draft one")
    old = CohortFactory(year=2025)
    make_offer(old, company, tutor, status="closed", title="Old one")
    auth.login(coordinator.email)

    response = client.get("/offers")
    assert response.status_code == 200
    page = text(response)
    assert page.index("Waiting one") < page.index("Published one")
    assert "Old one" not in page
    assert "Zeta Paiements SAS" in page and "Nantes" in page and "693.00 €" in page
    body = response.get_data(as_text=True)
    assert re.search(r'data-count-status="submitted">[^<]*<span[^>]*>1<', body)
    assert re.search(r'data-count-status="closed">[^<]*<span[^>]*>0<', body)

    page = text(client.get("/offers?status=published"))
    assert "Published one" in page and "Waiting one" not in page
    page = text(client.get(f"/offers?cohort={old.id}"))
    assert "Old one" in page and "Published one" not in page
    assert client.get("/offers?cohort=999999").status_code == 404
    assert client.get("/offers?status=bogus").status_code == 200
    assert client.get("/offers?cohort=abc").status_code == 200


def test_review_list_is_one_query_whatever_the_number_of_offers(
    client, auth, world, app, no_kept_pages
):
    cohort, _, _, coordinator = world
    auth.login(coordinator.email)

    def count_queries() -> int:
        statements = []

        def listen(conn, cursor, statement, *args):
            if statement.lstrip().upper().startswith("SELECT"):
                statements.append(statement)

        with app.app_context():
            engine = db.engine
        event.listen(engine, "before_cursor_execute", listen)
        try:
            assert client.get("/offers").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listen)
        return len(statements)

    for _ in range(2):
        OfferFactory(cohort=cohort, tutor=None)
    few = count_queries()
    for _ in range(5):
        OfferFactory(cohort=cohort, tutor=None)
    assert count_queries() == few


def test_review_without_any_cohort(client, auth):
    auth.as_role("coordinator", locale="en")
    response = client.get("/offers")
    assert response.status_code == 200
    assert "No cohort yet" in text(response)


def test_an_offer_starting_in_the_past_gets_a_warning_not_a_refusal():
    from datetime import date as _date

    from mnc_exchange.offers import law as offer_law
    from tests.factories import CohortFactory, OfferFactory

    cohort = CohortFactory(year=2026)
    offer = OfferFactory(
        cohort=cohort, start_on=_date(2026, 3, 2), end_on=_date(2026, 5, 29), status="draft"
    )
    report = offer_law.check_offer(offer, today=_date(2026, 4, 1))
    assert report.ok
    assert "start_not_in_future" in [f.message_key for f in report.warnings]
    with force_locale("en"):
        texts = [offer_law.message(f) for f in report.warnings]
    assert any("not in the future" in text for text in texts)
    later = offer_law.check_offer(offer, today=_date(2026, 1, 5))
    assert "start_not_in_future" not in [f.message_key for f in later.warnings]
