"""End-to-end journey of the matching phase (issue 5): a company registers and is approved; its
offer with a stipend under the legal minimum is refused with the figures, then corrected,
approved and published; a selected student ranks it; a coordinator runs and commits the
matching; the company confirms the placement.

Everything goes through the browser (CSRF on); only the cohort, the coordinator and a selected
student with published decisions are loaded directly. The interface stays in French, whose
catalogue does not cover these pages yet: the selectors use ids, names and data attributes,
and the texts asserted are numbers, names and the titles typed in this test, so the test keeps
passing once the catalogue is translated.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Page = expect = None

from sqlalchemy import select

from mnc_exchange import internship_law as law
from mnc_exchange.accounts.models import Role, User
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.hosts.models import Company, CompanyStatus, Tutor
from mnc_exchange.offers.models import Offer, OfferStatus
from mnc_exchange.placements.models import (
    MatchingRun,
    Placement,
    PlacementStatus,
    StudentPreference,
)
from tests.browser.helpers import (
    HostCompany,
    OfferTerms,
    amount,
    expect_flash,
    log_in,
    log_out,
    menu,
    no_motion,
    programme_menu,
)
from tests.browser.helpers import fill_offer as fill_offer_form
from tests.browser.helpers import register_company as register_company_form
from tests.factories import PASSWORD, CohortFactory, make_selected

COORDINATOR = ("Karima Lahlou", "karima.lahlou@mnc.example.ma")

HOST_NAME = "Julien Moreau"
HOST_EMAIL = "julien.moreau@paiements-numeriques.example.fr"
HOST_PASSWORD = "une-phrase-de-passe-longue"
COMPANY = "Paiements Numériques Lyon SAS"
SIRET = "732 829 320 00074"

TUTOR_NAME = "Sophie Lambert"
TUTOR_TITLE = "Responsable d'équipe back-end"
TUTOR_EMAIL = "sophie.lambert@paiements-numeriques.example.fr"

OFFER_TITLE = "Stage développement d'API de paiement mobile"
WEEKLY_HOURS = 35
LOW_STIPEND = 600
STIPEND = 750

#: The year of the cohort and of the internship: next year, as offers are published months
#: ahead, but never beyond the year after the last ceiling of the legal table (later years
#: have no legal minimum to check against until the table is updated).
YEAR = min(date.today().year + 1, max(law.SOCIAL_SECURITY_HOURLY_CEILING) + 1)
#: 1 March – 28 May: more than 2 months of presence (a stipend is due), not more than 3 months
#: (no préfecture step).
START, END = date(YEAR, 3, 1), date(YEAR, 5, 28)
#: The ceiling applied: the year's, or provisionally the latest known for the next year.
CEILING_YEAR = YEAR if YEAR in law.SOCIAL_SECURITY_HOURLY_CEILING else YEAR - 1
MINIMUM = law.monthly_minimum(CEILING_YEAR, WEEKLY_HOURS)


def status_badge(page: Page):
    """The status badge next to the offer's title."""
    return page.locator("h1 ~ .badge[data-status]")


def seed() -> tuple[str, str]:
    """The current cohort (matching phase), a coordinator and one selected student whose
    decision is published; returns the student's e-mail and full name."""
    cohort = CohortFactory(
        year=YEAR, title=f"MNC {YEAR}", state=CohortState.matching, is_current=True, quota=5
    )
    coordinator = User(
        email=COORDINATOR[1],
        full_name=COORDINATOR[0],
        role=Role.coordinator,
        locale="fr",
        active=True,
        approved_at=utcnow(),
        password_hash="!",
    )
    coordinator.set_password(PASSWORD)
    db.session.add(coordinator)
    db.session.commit()
    (application,) = make_selected(cohort, 1)
    student = (application.student.email, application.full_name)
    db.session.commit()  # end the read: the live server writes next
    return student


def register_company(page: Page) -> None:
    register_company_form(
        page,
        HostCompany(
            contact=HOST_NAME,
            email=HOST_EMAIL,
            password=HOST_PASSWORD,
            legal_name=COMPANY,
            siret=SIRET,
        ),
    )


def fill_offer(page: Page, stipend: int) -> None:
    fill_offer_form(
        page,
        OfferTerms(
            title=OFFER_TITLE,
            description=(
                "Conception et développement des API REST de notre application de paiement "
                "mobile, tests automatisés et revue de code au sein d'une équipe de six "
                "développeurs."
            ),
            pole="mobile",
            city="Lyon",
            skills="Python, API REST, sécurité des paiements",
            start=START,
            end=END,
            stipend=stipend,
            tutor_label=f"{TUTOR_NAME} ({TUTOR_TITLE})",
            weekly_hours=WEEKLY_HOURS,
        ),
    )


def test_company_publishes_a_legal_offer_student_is_matched_and_company_confirms(
    page: Page, new_page
):
    # The premises of the journey, from the legal table.
    hours = law.presence_hours(START, END, WEEKLY_HOURS)
    assert hours > law.GRATIFICATION_THRESHOLD_HOURS, hours
    assert not law.lasts_more_than_months(START, END, law.LONG_STAY_THRESHOLD_MONTHS)
    if CEILING_YEAR == 2026:
        assert Decimal("693.00") == MINIMUM
    assert LOW_STIPEND < MINIMUM < STIPEND, f"the legal minimum is now {MINIMUM} €"
    student_email, student_name = seed()

    # --- 1. The host contact registers the company: it waits for approval. ----------------
    host = no_motion(page)
    register_company(host)
    expect(host).to_have_url(re.compile(r"/dashboard$"))
    expect(host.locator("#pending-notice")).to_contain_text(COMPANY)
    expect(host.locator("#company-card")).to_have_count(0)

    # --- 2. A coordinator approves the company. -------------------------------------------
    coordinator = no_motion(new_page())
    log_in(coordinator, COORDINATOR[1])
    menu(coordinator, "nav-pending-hosts")
    expect(coordinator).to_have_url(re.compile(r"/hosts/pending$"))
    card = coordinator.locator("section.card").filter(has_text=HOST_EMAIL)
    expect(card).to_contain_text(COMPANY)
    expect(card).to_contain_text(SIRET)
    card.locator("[id^=approve-company-]").click()
    expect(coordinator.locator("section.card").filter(has_text=HOST_EMAIL)).to_have_count(0)
    expect(coordinator.locator("#no-pending-company")).to_be_visible()

    # --- 3. The host logs in again, adds a tutor and creates the offer. -------------------
    log_out(host)
    expect(host).to_have_url(re.compile(r"/login$"))
    log_in(host, HOST_EMAIL, HOST_PASSWORD)
    expect(host.locator("#pending-notice")).to_have_count(0)
    expect(host.locator("#company-card")).to_contain_text(COMPANY)
    host.locator("#link-tutors").click()
    tutor_form = host.locator("#tutor-form")
    tutor_form.locator("#full_name").fill(TUTOR_NAME)
    tutor_form.locator("#job_title").fill(TUTOR_TITLE)
    tutor_form.locator("#email").fill(TUTOR_EMAIL)
    tutor_form.locator("#phone").fill("04 72 00 00 00")
    tutor_form.locator("#submit").click()
    expect_flash(host, "success", TUTOR_NAME)
    expect(host.locator("#tutors tbody tr").filter(has_text=TUTOR_EMAIL)).to_contain_text(
        TUTOR_NAME
    )

    host.locator("#nav-offers").click()
    host.locator("#new-offer").click()
    expect(host).to_have_url(re.compile(r"/company/offers/new$"))
    fill_offer(host, LOW_STIPEND)

    # Saved as a draft; the page already says which rule the stipend breaks, with the figures.
    expect(host).to_have_url(re.compile(r"/offers/\d+$"))
    offer_id = int(re.search(r"/offers/(\d+)$", host.url).group(1))
    expect(host.get_by_role("heading", level=1)).to_have_text(OFFER_TITLE)
    expect(status_badge(host)).to_have_attribute("data-status", "draft")
    expect(host.locator("#stipend")).to_contain_text(amount(LOW_STIPEND))
    expect(host.locator("#monthly-minimum")).to_contain_text(amount(MINIMUM))
    expect(host.locator("#prefecture-deadline")).to_have_count(0)
    violations = host.locator("#law-violations")
    expect(violations).to_contain_text(amount(LOW_STIPEND))
    expect(violations).to_contain_text(amount(MINIMUM))
    expect(violations).to_contain_text("L124-6")
    if CEILING_YEAR != YEAR:  # next year's ceiling is not published: provisional, with a warning
        expect(host.locator("#law-warnings")).to_contain_text(str(CEILING_YEAR))

    # Submitting is refused with the stipend and the legal minimum; the offer stays a draft.
    host.locator("#do-submitted").click()
    expect(host).to_have_url(re.compile(rf"/offers/{offer_id}$"))
    refusal = host.locator("main > .alert-danger[role=alert]")  # the flash, not #law-violations
    expect(refusal).to_contain_text(amount(LOW_STIPEND))
    expect(refusal).to_contain_text(amount(MINIMUM))
    expect(status_badge(host)).to_have_attribute("data-status", "draft")
    db.session.expire_all()
    assert db.session.get(Offer, offer_id).status is OfferStatus.draft
    db.session.commit()

    # The host raises the stipend and submits again.
    host.locator("#edit-offer").click()
    expect(host).to_have_url(re.compile(rf"/offers/{offer_id}/edit$"))
    expect(host.locator("#monthly_stipend")).to_have_value(f"{LOW_STIPEND}.00")
    host.locator("#monthly_stipend").fill(str(STIPEND))
    host.locator("#offer-form #submit").click()
    expect(host).to_have_url(re.compile(rf"/offers/{offer_id}$"))
    expect(host.locator("#stipend")).to_contain_text(amount(STIPEND))
    expect(host.locator("#law-violations")).to_have_count(0)
    host.locator("#do-submitted").click()
    expect(status_badge(host)).to_have_attribute("data-status", "submitted")
    expect(host.locator("#do-submitted")).to_have_count(0)

    # The coordinator finds it in the review list and approves it.
    programme_menu(coordinator, "nav-offers-review")
    row = coordinator.locator(f"#offers tbody tr[data-offer='{offer_id}']")
    expect(row).to_have_attribute("data-status", "submitted")
    expect(row).to_contain_text(COMPANY)
    expect(row).to_contain_text(amount(STIPEND))
    row.get_by_role("link", name=OFFER_TITLE).click()
    expect(coordinator).to_have_url(re.compile(rf"/offers/{offer_id}$"))
    expect(coordinator.locator("#law-violations")).to_have_count(0)
    coordinator.locator("#do-approved").click()
    expect(status_badge(coordinator)).to_have_attribute("data-status", "approved")

    # The host publishes it.
    host.reload()
    expect(status_badge(host)).to_have_attribute("data-status", "approved")
    host.locator("#do-published").click()
    expect(status_badge(host)).to_have_attribute("data-status", "published")

    # --- 4. The selected student ranks the offer first. -----------------------------------
    student = no_motion(new_page())
    log_in(student, student_email)
    student.locator("#nav-my-offers").click()
    expect(student).to_have_url(re.compile(r"/my/offers$"))
    listed = student.locator(f"#offers tbody tr[data-offer='{offer_id}']")
    expect(listed).to_contain_text(OFFER_TITLE)
    expect(listed).to_contain_text(COMPANY)
    ranking = student.locator("#ranking-form")
    ranking.locator("#choice_1").select_option(str(offer_id))
    ranking.locator("#submit").click()
    expect(student).to_have_url(re.compile(r"/my/offers$"))
    expect(student.locator("main > .alert-success")).to_be_visible()
    expect(student.locator("#ranking-form #choice_1")).to_have_value(str(offer_id))
    expect(student.locator("#ranking-form #choice_2")).to_have_value("")

    # --- 5. The coordinator runs the matching (preview), reads it and commits it. ---------
    programme_menu(coordinator, "nav-matching")
    expect(coordinator).to_have_url(re.compile(r"/matching$"))
    expect(coordinator.locator("#count-selected")).to_have_text("1")
    expect(coordinator.locator("#count-to-place")).to_have_text("1")
    expect(coordinator.locator("#count-offers")).to_have_text("1")
    expect(coordinator.locator("#count-free-seats")).to_have_text("1")
    expect(coordinator.locator(f"#offer-inputs tr[data-offer='{offer_id}']")).to_contain_text(
        OFFER_TITLE
    )
    coordinator.locator("#run-matching").click()
    expect(coordinator).to_have_url(re.compile(r"/matching/runs/\d+$"))
    expect(coordinator.locator("#run-state")).to_be_visible()
    expect(coordinator.locator("#stat-students")).to_have_text("1")
    expect(coordinator.locator("#stat-matched")).to_contain_text(re.compile(r"^1 \(100"))
    expect(coordinator.locator("#stat-unmatched")).to_have_text("0")
    result = coordinator.locator(f"#results tbody tr[data-offer='{offer_id}']")
    expect(result).to_contain_text(student_name)
    expect(result).to_contain_text(OFFER_TITLE)
    expect(result.locator("li[data-reason=matched]")).to_have_count(1)
    expect(coordinator.locator("#stale")).to_have_count(0)
    # A preview proposes nothing yet.
    db.session.expire_all()
    assert db.session.scalars(select(Placement)).all() == []
    db.session.commit()
    coordinator.locator("#commit-run").click()
    expect(coordinator).to_have_url(re.compile(r"/matching\?cohort=\d+$"))
    expect(coordinator.locator("main > .alert-success")).to_contain_text("1")
    proposed = coordinator.locator("#placements tbody tr[data-status=proposed]")
    expect(proposed).to_have_count(1)
    expect(proposed).to_contain_text(student_name)
    expect(proposed).to_contain_text(OFFER_TITLE)

    # The student sees the proposal, and can no longer change the ranking.
    student.reload()
    expect(student.locator("#placement")).to_have_attribute("data-status", "proposed")
    expect(student.locator("#placement-offer")).to_have_text(OFFER_TITLE)
    expect(student.locator("#ranking-form")).to_have_count(0)
    expect(student.locator("#result-offer")).to_contain_text(OFFER_TITLE)

    # --- 6. The host confirms the placement. ----------------------------------------------
    host.locator("#nav-placements").click()
    expect(host).to_have_url(re.compile(r"/company/placements$"))
    card = host.locator("[data-placement][data-status=proposed]")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(student_name)
    expect(card).to_contain_text(OFFER_TITLE)
    card.locator("[id^=confirm-]").click()
    expect(host).to_have_url(re.compile(r"/company/placements$"))
    expect_flash(host, "success", student_name)
    expect(host.locator("[data-placement][data-status=proposed]")).to_have_count(0)
    confirmed = host.locator("#confirmed tbody tr[data-status=confirmed]")
    expect(confirmed).to_have_count(1)
    expect(confirmed).to_contain_text(student_name)

    # The student reads the confirmed placement.
    student.reload()
    placement_card = student.locator("#placement")
    expect(placement_card).to_have_attribute("data-status", "confirmed")
    expect(student.locator("#placement-offer")).to_have_text(OFFER_TITLE)
    expect(student.locator("#placement-company")).to_have_text(COMPANY)

    # --- The database agrees. -------------------------------------------------------------
    db.session.expire_all()
    company = db.session.scalar(select(Company).where(Company.legal_name == COMPANY))
    assert company.status is CompanyStatus.approved
    assert company.siret == SIRET.replace(" ", "")
    assert company.naf_code == "6201Z"
    assert company.headcount == 120
    contact = db.session.scalar(select(User).where(User.email == HOST_EMAIL))
    assert contact.role is Role.host and contact.company_id == company.id
    assert not contact.is_pending
    tutor = db.session.scalar(select(Tutor).where(Tutor.company_id == company.id))
    assert tutor.full_name == TUTOR_NAME
    offer = db.session.get(Offer, offer_id)
    assert offer.company_id == company.id and offer.tutor_id == tutor.id
    assert offer.status is OfferStatus.filled
    assert offer.monthly_stipend == Decimal(STIPEND)
    assert (offer.start_on, offer.end_on) == (START, END)
    assert offer.weekly_hours == WEEKLY_HOURS
    assert offer.submitted_at and offer.approved_at and offer.published_at
    preference = db.session.scalar(select(StudentPreference))
    assert (preference.offer_id, preference.rank) == (offer_id, 1)
    (run,) = db.session.scalars(select(MatchingRun)).all()
    assert run.committed_at is not None
    assert run.result == {str(preference.application_id): str(offer_id)}
    (placement,) = db.session.scalars(select(Placement)).all()
    assert placement.status is PlacementStatus.confirmed
    assert placement.offer_id == offer_id
    assert placement.application_id == preference.application_id
    assert placement.run_id == run.id
    assert placement.student_rank == 1
    assert placement.responded_by_id == contact.id
    assert placement.application.student.email == student_email
