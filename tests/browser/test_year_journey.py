"""A whole programme year in the browser (issue 9), every role in turn, through the pages:

1. the admin adds the sending institution; a coordinator creates the cohort (quota 2) and opens
   the call;
2. three students register, fill in their file, upload their documents (the demo files) and
   submit;
3. the coordinator closes the call, starts the selection and declares the three eligible;
4. two coordinators score every file (blind review);
5. shortlist, interviews scheduled and scored, decisions made and published: two selected, one
   waitlisted;
6. a company registers and is approved; its contact names a tutor and creates two offers whose
   terms the law check accepts (the legal minimum shown, no violation); a coordinator approves
   them, the company publishes them;
7. the two selected students rank the offers; the coordinator previews the matching, commits
   it, and the company confirms both placements;
8. the coordinator issues both agreements; the host contact and each student sign them in the
   application, the coordinator records the paper signatures of the other four parties;
9. the interns record their departure and arrival on their checklist; one sends a monthly
   check-in; the coordinator e-mails the final evaluation link to the tutor, who answers it
   from the e-mail (no account);
10. returns: one intern confirms it, the coordinator confirms the other's; one alumna answers
    the 6-month survey (employed in Morocco);
11. an official opens the dashboard, downloads the cohort report (PDF) and the Excel exports:
    their figures match what happened (3 applied … 2 placed, 2 returned, 1 employed in Morocco
    at 6 months).

The figures compared: the dashboard's funnel (every stage); the Excel funnel (every stage) and
key figures (rates with numerator and denominator, found by the application's own French
labels); the Excel list of the interns; the PDF's text (pypdf): the year, the interns and their
host, and the funnel's counts as "stage label, then count", which any layout of its funnel
table keeps (the PDF generator's layout is being reworked: nothing else of it is relied on).

Time. The pages work with ``date.today()``, so the internship is placed in the past: it ended
more than 6 months ago (the 6-month survey is then due), lasts less than 3 months (no
préfecture step, whose deadline a past start would miss) and more than 2 months (a stipend is
due and checked against the legal minimum). No page refuses these past dates, so the clock is
never moved. The cohort's own calendar (the call open today, the later steps in the coming
months) is only informative and does not have to agree with the internship dates.

Shortcuts (the only data written directly in the database): the four staff accounts (admin,
two coordinators, official) at the start. The tests read the database only to check it and to
take the tutor's link from the outbox (the e-mail is not sent in tests), as
``test_followup_journey.py`` does.

The interface stays in French. The selectors use ids, names and data attributes, and the French
labels of the catalogue where they are stable (login, the application form).
"""

from __future__ import annotations

import io
import re
import time
from datetime import date, timedelta
from decimal import Decimal

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Page = expect = None

import openpyxl
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import func, select

from mnc_exchange import internship_law as law
from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements.models import Agreement, AgreementDocument, Party, Signature
from mnc_exchange.applications.models import Application, ApplicationStatus
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.demo.applicants import demo_files
from mnc_exchange.extensions import db
from mnc_exchange.followup.models import (
    EmploymentSurvey,
    Internship,
    InternshipOutcome,
    SurveyStatus,
    TutorEvaluation,
)
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.placements.models import Placement, PlacementStatus
from mnc_exchange.reports import labels
from mnc_exchange.reports.metrics import STAGES
from tests.browser.helpers import (
    Applicant,
    HostCompany,
    OfferTerms,
    amount,
    download,
    expect_flash,
    fill_application,
    fill_offer,
    in_memory_file,
    link_in,
    log_in,
    menu,
    no_motion,
    open_paper_form,
    programme_menu,
    register_company,
    register_student,
)
from tests.factories import SAMPLE_PDF, UserFactory

# --- the cast ---------------------------------------------------------------------------------

ADMIN = ("Samir Admin", "samir.admin@mnc.example.ma")
COORDINATOR = ("Karima Lahlou", "karima.lahlou@mnc.example.ma")  # runs the year, reviews
REVIEWER = ("Badr Berrada", "badr.berrada@mnc.example.ma")  # the second reviewer
OFFICIAL = ("Nadia Officielle", "nadia.officielle@ministere.example.ma")

STUDENT_PASSWORD = "une-phrase-de-passe-longue"
INSTITUTION = ("ENSIAS", "Rabat", "Pr. Mohammed Alaoui", "Avenue Mohammed Ben Abdallah Regragui")

#: The applicants, best first (the reviewers' and interviewers' scores follow this order).
STUDENTS = [
    Applicant(
        first_name="Salma",
        last_name="Bennani",
        birth_date="2003-05-17",
        cin="bk471203",
        phone="06 11 22 33 44",
        region="Casablanca-Settat",
        passport_number="ZR5830194",
        email="salma.bennani@etudiant.example.ma",
    ),
    Applicant(
        first_name="Youssef",
        last_name="Chraibi",
        birth_date="2002-11-03",
        gender="Masculin",
        cin="jc208815",
        phone="06 55 44 33 22",
        region="Fès-Meknès",
        passport_number="TY4417720",
        programme="Réseaux et télécommunications",
        poles=(
            "Sécurité, paiement électronique et droits numériques",
            "Services mobiles",
            "Progiciels",
            "Multimédia",
        ),
        email="youssef.chraibi@etudiant.example.ma",
    ),
    Applicant(
        first_name="Imane",
        last_name="Drissi",
        birth_date="2003-02-21",
        cin="ee935120",
        phone="06 99 88 77 66",
        region="L'Oriental",
        passport_number="UA3390457",
        email="imane.drissi@etudiant.example.ma",
    ),
]

#: Each reviewer's scores per student (academic /20, French /10, technical /10, motivation
#: /10): student 1 > 2 > 3 for both.
CRITERIA = ("academic", "french", "technical", "motivation")
SCORES = {
    COORDINATOR: [("18", "9", "9", "9"), ("14", "7", "7", "7"), ("10", "5", "5", "5")],
    REVIEWER: [("17,5", "8", "9", "8.5"), ("13", "7", "6", "7"), ("9", "5", "4", "5")],
}
INTERVIEW_SCORES = ["9", "7", "5"]
QUOTA = 2

HOST = HostCompany(
    contact="Julien Moreau",
    email="julien.moreau@paiements-numeriques.example.fr",
    password="une-phrase-de-passe-longue",
    legal_name="Paiements Numériques Lyon SAS",
    siret="732 829 320 00074",
)
TUTOR = ("Sophie Lambert", "Responsable d'équipe back-end", "sophie.lambert@paiements.example.fr")

# --- the calendar -----------------------------------------------------------------------------

TODAY = date.today()
#: The internship ended 7 months ago (the 3- and 6-month surveys are due, the 12-month one is
#: not) and lasted 12 weeks: more than 308 hours (a stipend is due), at most 3 months (no
#: préfecture step, whose deadline a start in the past would have missed).
END = law.add_months(TODAY, -7)
START = END - timedelta(weeks=12) + timedelta(days=1)
WEEKLY_HOURS = 35
STIPEND = Decimal("760.00")
#: The cohort is the year the internships started.
YEAR = START.year
OFFERS = [
    OfferTerms(
        title="Stage développement d'API de paiement mobile",
        description=(
            "Conception et développement des API REST de notre application de paiement mobile, "
            "tests automatisés et revue de code au sein d'une équipe de six développeurs."
        ),
        pole="mobile",
        city="Lyon",
        skills="Python, API REST, sécurité des paiements",
        start=START,
        end=END,
        stipend=STIPEND,
        tutor_label=f"{TUTOR[0]} ({TUTOR[1]})",
    ),
    OfferTerms(
        title="Stage sécurité des transactions monétiques",
        description=(
            "Analyse des flux de paiement par carte, tests d'intrusion de nos terminaux et "
            "rédaction des procédures de conformité PCI DSS avec l'équipe sécurité."
        ),
        pole="security",
        city="Lyon",
        skills="Sécurité, PCI DSS, tests d'intrusion",
        start=START,
        end=END,
        stipend=STIPEND,
        tutor_label=f"{TUTOR[0]} ({TUTOR[1]})",
    ),
]

#: The signatures made on paper: party -> the signer's name.
PAPER = {
    Party.tutor: TUTOR[0],
    Party.institution: INSTITUTION[2],
    Party.referent: "Pr. Samira Tazi",
    Party.programme: "Nadia Berrada",
}
ISSUE = {
    "referent_name": "Pr. Samira Tazi",
    "referent_email": "samira.tazi@ensias.example.ma",
    "teaching_hours": "420",
    "leave_days": "5",
    "benefits": "Titres-restaurant, moitié de l'abonnement TCL",
}


# --- helpers ----------------------------------------------------------------------------------


class Clock:
    """How long each phase takes (printed at the end; ``pytest -s`` shows it)."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.laps: list[tuple[str, float]] = []

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps.append((name, now - self.last))
        self.last = now

    def report(self) -> str:
        lines = [f"{name:<40} {seconds:6.1f} s" for name, seconds in self.laps]
        lines.append(f"{'total':<40} {time.perf_counter() - self.start:6.1f} s")
        return "\n".join(lines)


def read(query):
    """Run ``query`` (a callable) on fresh data and end the read (SQLite: the live server
    writes next)."""
    db.session.expire_all()
    try:
        return query()
    finally:
        db.session.commit()


def staff(role: Role, person: tuple[str, str]) -> None:
    UserFactory(role=role, full_name=person[0], email=person[1], locale="fr")


def open_cohort(page: Page) -> None:
    """From the menu, the cohort's page."""
    page.locator("nav a[href='/cohorts/']").click()
    page.get_by_role("link", name=f"MNC {YEAR}", exact=True).click()
    expect(page).to_have_url(re.compile(r"/cohorts/\d+$"))


def move_cohort(page: Page, state: CohortState) -> None:
    """The coordinator moves the cohort to its next state from the cohort's page."""
    open_cohort(page)
    page.locator(f"#to-{state.value}").click()
    expect_flash(page, "success")
    assert read(lambda: db.session.scalar(select(Cohort.state))) is state


def new_context(new_page) -> Page:
    return no_motion(new_page())


def full_name(n: int) -> str:
    return STUDENTS[n].full_name


# --- the phases -------------------------------------------------------------------------------


def admin_adds_the_institution(admin: Page) -> None:
    log_in(admin, ADMIN[1])
    menu(admin, "nav-institutions")
    admin.locator("#new-institution").click()
    name, city, representative, address = INSTITUTION
    admin.locator("#name").fill(name)
    admin.locator("#city").fill(city)
    admin.locator("#legal_representative").fill(representative)
    admin.locator("#address").fill(address)
    admin.locator("main form [type=submit]").click()
    expect(admin.locator("#institutions")).to_contain_text(name)


def coordinator_opens_the_call(coordinator: Page) -> None:
    log_in(coordinator, COORDINATOR[1])
    coordinator.locator("nav a[href='/cohorts/']").click()
    coordinator.locator("#new-cohort").click()
    coordinator.locator("#year").fill(str(YEAR))
    coordinator.locator("#quota").fill(str(QUOTA))
    calendar = {
        "applications_open_on": TODAY,
        "applications_close_on": TODAY + timedelta(days=30),
        "selection_on": TODAY + timedelta(days=45),
        "matching_on": TODAY + timedelta(days=60),
        "departure_on": TODAY + timedelta(days=90),
        "return_on": TODAY + timedelta(days=270),
    }
    for field_id, day in calendar.items():
        coordinator.locator(f"#{field_id}").fill(day.isoformat())
    coordinator.locator("main form [type=submit]").click()
    expect(coordinator.locator("#cohort-state")).to_be_visible()
    coordinator.locator("#to-open").click()
    expect_flash(coordinator, "success")
    expect(coordinator.locator("#to-closed")).to_be_visible()
    cohort = read(lambda: db.session.scalar(select(Cohort)))
    assert (cohort.year, cohort.quota, cohort.state) == (YEAR, QUOTA, CohortState.open)
    assert cohort.is_current


def student_applies(page: Page, person: Applicant) -> None:
    register_student(page, person.full_name, person.email, STUDENT_PASSWORD)
    page.locator("#my-application-link").click()
    page.locator("#start-application").click()
    expect(page.locator("#application-status")).to_be_visible()
    fill_application(page, person)
    page.locator("#application-form [type=submit]").click()
    expect_flash(page, "success")
    for kind, (name, content) in demo_files().items():  # the optional letter too
        section = page.locator(f"#doc-{kind.value}")
        section.locator(f"#file-{kind.value}").set_input_files(in_memory_file(name, content))
        section.locator(f"#upload-{kind.value}").click()
        expect_flash(page, "success", name)
        expect(page.locator(f"#doc-{kind.value}").get_by_role("link", name=name)).to_be_visible()
    expect(page.locator("#checklist li[data-done=no]")).to_have_count(0)
    page.locator("#confirm-submit").check()  # submitting is final: the box says so
    page.locator("#submit-application").click()
    expect_flash(page, "success")
    expect(page.locator("#application-readonly")).to_be_visible()


def coordinator_screens(coordinator: Page) -> None:
    move_cohort(coordinator, CohortState.closed)
    move_cohort(coordinator, CohortState.selection)
    for n in range(len(STUDENTS)):
        coordinator.locator("#nav-applications").click()
        row = coordinator.locator("#applications tbody tr").filter(has_text=full_name(n))
        expect(row.locator("[data-status]").first).to_have_attribute("data-status", "submitted")
        row.get_by_role("link", name=full_name(n)).click()
        expect(coordinator.locator("#suggestion")).to_have_attribute("data-suggestion", "eligible")
        expect(coordinator.locator("#checklist li[data-done=no]")).to_have_count(0)
        form = coordinator.locator("#eligibility-form")
        form.locator("input[name=decision][value=eligible]").check()
        form.locator("#decide").click()
        expect_flash(coordinator, "success")
        expect(coordinator.locator("#eligibility-decision")).to_contain_text(COORDINATOR[0])


def coordinator_assigns_reviewers(coordinator: Page) -> None:
    open_cohort(coordinator)
    coordinator.locator("#selection-round").click()
    expect(coordinator.locator("#step-assign")).to_be_enabled()
    coordinator.locator("#step-assign").click()
    expect_flash(coordinator, "success", "6")
    expect(coordinator).to_have_url(re.compile(r"/selection/\d+/assignments$"))


def reviewer_scores(page: Page, reviewer: tuple[str, str], logged_in: bool) -> None:
    if not logged_in:
        log_in(page, reviewer[1])
    page.locator("#nav-reviews").click()
    expect(page.locator("#count-todo")).to_have_text(str(len(STUDENTS)))
    for n, scores in enumerate(SCORES[reviewer]):
        page.locator("#nav-reviews").click()
        row = page.locator("#todo tbody tr").filter(has_text=full_name(n))
        row.locator("a").first.click()
        form = page.locator("#review-form")
        for key, value in zip(CRITERIA, scores, strict=True):
            form.locator(f"#score_{key}").fill(value)
        form.locator("#comment").fill(f"Avis de {reviewer[0]} sur {full_name(n)}.")
        form.locator("[type=submit]").click()
        expect_flash(page, "success")
        expect(page.locator("#my-review")).to_be_visible()
    page.locator("#nav-reviews").click()
    expect(page.locator("#count-todo")).to_have_text("0")
    expect(page.locator("#count-submitted")).to_have_text(str(len(STUDENTS)))


def coordinator_selects(coordinator: Page) -> None:
    """Shortlist, interviews, decisions, publication."""
    open_cohort(coordinator)
    coordinator.locator("#selection-round").click()
    coordinator.locator("#step-shortlist").click()
    expect_flash(coordinator, "success")
    expect(coordinator).to_have_url(re.compile(r"/selection/\d+/interviews$"))
    tomorrow = (TODAY + timedelta(days=1)).isoformat()
    for n, interview_score in enumerate(INTERVIEW_SCORES):
        card = coordinator.locator("section[data-application]").filter(has_text=full_name(n))
        card.locator("[name$='-day']").fill(tomorrow)
        card.locator("[name$='-time']").fill("10:00")
        card.locator("[name$='-location']").fill("Salle du conseil, MNC Rabat")
        card.locator("[id^=schedule-]").click()
        expect_flash(coordinator, "success", full_name(n))
        card = coordinator.locator("section[data-application]").filter(has_text=full_name(n))
        card.locator("[name$='-score']").fill(interview_score)
        card.locator("[type=submit][id^=score-]").click()
        expect_flash(coordinator, "success", full_name(n))
    coordinator.locator("#tab-overview").click()
    coordinator.locator("#step-decide").click()
    expect_flash(coordinator, "success")
    coordinator.locator("#tab-overview").click()
    expect(coordinator.locator("#seats")).to_contain_text(re.compile(rf"\b{QUOTA}\D+{QUOTA}\b"))
    coordinator.locator("#step-publish").click()  # a confirmation page, with a written note
    coordinator.locator("#note").fill("Décisions du comité de sélection.")
    coordinator.locator("#publish-form [type=submit]").click()
    expect_flash(coordinator, "success", str(len(STUDENTS)))
    expect(coordinator.locator("#step-publish")).to_be_disabled()

    statuses = read(
        lambda: {
            a.last_name: (a.status, a.final_rank)
            for a in db.session.scalars(select(Application)).all()
        }
    )
    assert statuses == {
        "Bennani": (ApplicationStatus.selected, 1),
        "Chraibi": (ApplicationStatus.selected, 2),
        "Drissi": (ApplicationStatus.waitlisted, 3),
    }


def student_reads_the_result(page: Page, expected: str) -> None:
    page.locator("nav a[href='/dashboard']").click()
    expect(page.locator("#my-application-status")).to_have_attribute("data-status", expected)


def company_registers_and_is_approved(host: Page, coordinator: Page) -> None:
    register_company(host, HOST)
    expect(host).to_have_url(re.compile(r"/dashboard$"))
    expect(host.locator("#pending-notice")).to_contain_text(HOST.legal_name)

    menu(coordinator, "nav-pending-hosts")
    card = coordinator.locator("section.card").filter(has_text=HOST.email)
    expect(card).to_contain_text(HOST.legal_name)
    card.locator("[id^=approve-company-]").click()
    expect(coordinator.locator("#no-pending-company")).to_be_visible()

    host.reload()
    expect(host.locator("#pending-notice")).to_have_count(0)
    expect(host.locator("#company-card")).to_contain_text(HOST.legal_name)


def company_publishes_offers(host: Page, coordinator: Page) -> list[int]:
    host.locator("#link-tutors").click()
    form = host.locator("#tutor-form")
    form.locator("#full_name").fill(TUTOR[0])
    form.locator("#job_title").fill(TUTOR[1])
    form.locator("#email").fill(TUTOR[2])
    form.locator("#phone").fill("04 72 00 00 00")
    form.locator("#submit").click()
    expect_flash(host, "success", TUTOR[0])

    # The ceiling applied: the start year's, or provisionally the latest known for the year
    # after it (see internship_law.check_internship).
    latest = max(law.SOCIAL_SECURITY_HOURLY_CEILING)
    assert START.year <= latest + 1, f"add the {START.year} ceiling to the legal table"
    minimum = law.monthly_minimum(min(START.year, latest), WEEKLY_HOURS)
    assert minimum < STIPEND, f"the legal minimum is now {minimum} €"

    offer_ids = []
    for terms in OFFERS:
        host.locator("#nav-offers").click()
        host.locator("#new-offer").click()
        fill_offer(host, terms)
        expect(host).to_have_url(re.compile(r"/offers/\d+$"))
        offer_ids.append(int(re.search(r"/offers/(\d+)$", host.url).group(1)))
        # The law check: the legal minimum is shown, the terms break no rule.
        expect(host.locator("#monthly-minimum")).to_contain_text(amount(minimum))
        expect(host.locator("#stipend")).to_contain_text(amount(STIPEND))
        expect(host.locator("#law-violations")).to_have_count(0)
        expect(host.locator("#prefecture-deadline")).to_have_count(0)
        host.locator("#do-submitted").click()
        expect(host.locator("h1 ~ .badge[data-status]")).to_have_attribute(
            "data-status", "submitted"
        )

    for offer_id, terms in zip(offer_ids, OFFERS, strict=True):
        programme_menu(coordinator, "nav-offers-review")
        row = coordinator.locator(f"#offers tbody tr[data-offer='{offer_id}']")
        expect(row).to_have_attribute("data-status", "submitted")
        row.get_by_role("link", name=terms.title).click()
        expect(coordinator.locator("#law-violations")).to_have_count(0)
        coordinator.locator("#do-approved").click()
        expect(coordinator.locator("h1 ~ .badge[data-status]")).to_have_attribute(
            "data-status", "approved"
        )

    for terms in OFFERS:
        host.locator("#nav-offers").click()
        host.locator("main").get_by_role("link", name=terms.title, exact=True).click()
        host.locator("#do-published").click()
        expect(host.locator("h1 ~ .badge[data-status]")).to_have_attribute(
            "data-status", "published"
        )
    return offer_ids


def student_ranks(page: Page, offer_ids: list[int]) -> None:
    page.locator("#nav-my-offers").click()
    expect(page).to_have_url(re.compile(r"/my/offers$"))
    ranking = page.locator("#ranking-form")
    for rank, offer_id in enumerate(offer_ids, start=1):
        ranking.locator(f"#choice_{rank}").select_option(str(offer_id))
    ranking.locator("#submit").click()
    expect(page.locator("main > .alert-success")).to_be_visible()
    expect(page.locator("#ranking-form #choice_1")).to_have_value(str(offer_ids[0]))


def coordinator_matches(coordinator: Page, offer_ids: list[int]) -> None:
    move_cohort(coordinator, CohortState.matching)
    programme_menu(coordinator, "nav-matching")
    expect(coordinator.locator("#count-selected")).to_have_text(str(QUOTA))
    expect(coordinator.locator("#count-offers")).to_have_text("2")
    coordinator.locator("#run-matching").click()
    expect(coordinator).to_have_url(re.compile(r"/matching/runs/\d+$"))
    expect(coordinator.locator("#stat-students")).to_have_text(str(QUOTA))
    expect(coordinator.locator("#stat-unmatched")).to_have_text("0")
    for n, offer_id in enumerate(offer_ids):  # each student gets their first choice
        result = coordinator.locator(f"#results tbody tr[data-offer='{offer_id}']")
        expect(result).to_contain_text(full_name(n))
    assert read(lambda: db.session.scalar(select(func.count(Placement.id)))) == 0  # a preview
    coordinator.locator("#commit-run").click()
    expect(coordinator.locator("#placements tbody tr[data-status=proposed]")).to_have_count(2)


def company_confirms(host: Page) -> None:
    host.locator("#nav-placements").click()
    for n in range(QUOTA):
        card = host.locator("[data-placement][data-status=proposed]").filter(has_text=full_name(n))
        card.locator("[id^=confirm-]").click()
        expect_flash(host, "success", full_name(n))
    expect(host.locator("#confirmed tbody tr[data-status=confirmed]")).to_have_count(2)


def coordinator_issues_agreements(coordinator: Page) -> list[tuple[int, int]]:
    """Both agreements; returns (agreement id, document id) per student, in order."""
    move_cohort(coordinator, CohortState.placed)
    placements = read(
        lambda: {
            p.application.last_name: p.id
            for p in db.session.scalars(select(Placement)).all()
            if p.status is PlacementStatus.confirmed
        }
    )
    issued = []
    for n in range(QUOTA):
        placement_id = placements[STUDENTS[n].last_name]
        programme_menu(coordinator, "nav-agreements")
        coordinator.locator(f"#issue-{placement_id}").click()
        expect(coordinator.locator("#law-violations")).to_have_count(0)
        expect(coordinator.locator("#no-institution")).to_have_count(0)
        form = coordinator.locator("#issue-form")
        expect(form.locator("#activities")).not_to_have_value("")
        for name, value in ISSUE.items():
            form.locator(f"[name='{name}']").fill(value)
        form.locator("#submit").click()
        expect(coordinator).to_have_url(re.compile(r"/agreements/\d+$"))
        expect(coordinator.locator("#agreement-status")).to_have_attribute("data-status", "issued")
        expect(coordinator.locator("#prefecture-state")).to_have_attribute(
            "data-prefecture", "not_required"
        )
        agreement_id = int(re.search(r"/agreements/(\d+)$", coordinator.url).group(1))
        doc_id = read(
            lambda agreement_id=agreement_id: db.session.scalar(
                select(AgreementDocument.id).where(AgreementDocument.agreement_id == agreement_id)
            )
        )
        issued.append((agreement_id, doc_id))
    return issued


def sign_in_app(page: Page, doc_id: int) -> None:
    sign = page.locator(f"#sign-form-{doc_id}")
    sign.locator(f"#doc{doc_id}-accept").check()
    sign.locator("[type=submit]").click()
    expect_flash(page, "success")
    expect(page.locator(f"#sign-form-{doc_id}")).to_have_count(0)


def host_signs(host: Page, issued: list[tuple[int, int]]) -> None:
    for agreement_id, doc_id in issued:
        host.locator("#nav-company-agreements").click()
        host.locator(f"#agreements tr[data-agreement='{agreement_id}'] a").first.click()
        sign_in_app(host, doc_id)


def coordinator_records_paper_signatures(coordinator: Page, issued, scan_path) -> None:
    signed_on = TODAY.isoformat()
    for agreement_id, doc_id in issued:
        programme_menu(coordinator, "nav-agreements")
        coordinator.locator(f"#agreements tr[data-agreement='{agreement_id}'] a").first.click()
        expect(coordinator.locator("#agreement-status")).to_have_attribute(
            "data-status", "partially_signed"
        )
        for party, signer in PAPER.items():
            form = open_paper_form(coordinator, doc_id)
            form.locator(f"#doc{doc_id}-party").select_option(party.value)
            form.locator(f"#doc{doc_id}-signer_name").fill(signer)
            form.locator(f"#doc{doc_id}-signed_on").fill(signed_on)
            form.locator(f"#doc{doc_id}-scan").set_input_files(str(scan_path))
            form.locator("[type=submit]").click()
            expect_flash(coordinator, "success")
        expect(coordinator.locator("#agreement-status")).to_have_attribute(
            "data-status", "fully_signed"
        )


def record_step(page: Page, key: str, done_on: date) -> None:
    item = page.locator(f"#checklist li[data-step={key}]")
    item.locator("summary").click()
    item.locator("[name$='-done_on']").fill(done_on.isoformat())
    item.locator("form [type=submit]").click()
    expect_flash(page, "success")
    expect(page.locator(f"#checklist li[data-step={key}]")).to_have_attribute("data-state", "done")


def intern_departs_and_arrives(page: Page) -> None:
    page.locator("#nav-my-internship").click()
    expect(page.locator("#internship-outcome")).to_have_attribute("data-outcome", "ongoing")
    record_step(page, "departure", START - timedelta(days=1))
    record_step(page, "arrival_confirmed", START - timedelta(days=1))


def intern_checks_in(page: Page) -> None:
    form = page.locator("#checkin-form")
    first_month = START.replace(day=1).isoformat()
    form.locator("#month").select_option(first_month)
    form.locator("#wellbeing input[value='4']").check()
    form.locator("#workload input[value='3']").check()
    form.locator("#learned").fill("Les API REST de paiement et les tests automatisés.")
    form.locator("[type=submit]").click()
    expect_flash(page, "success")
    expect(page.locator(f"#past-checkins tr[data-month='{first_month}']")).to_be_visible()


def tutor_evaluates(coordinator: Page, tutor: Page) -> None:
    """The coordinator sends the final evaluation link; the tutor answers from the e-mail."""
    programme_menu(coordinator, "nav-followup")
    coordinator.locator("#board").get_by_role("link", name=full_name(0)).click()
    coordinator.locator("#send-final").click()
    expect_flash(coordinator, "success")
    expect(coordinator.locator("#evaluation-final")).to_have_attribute("data-state", "sent")
    message = read(
        lambda: db.session.scalar(
            select(OutboxMessage)
            .where(OutboxMessage.recipient == TUTOR[2])
            .order_by(OutboxMessage.id.desc())
        )
    )
    path = link_in(message)
    assert path.startswith("/evaluation/"), path

    tutor.goto(path)  # no account: the link is the key
    expect(tutor.locator("#intern-name")).to_have_text(full_name(0))
    expect(tutor.locator("#intern-company")).to_have_text(HOST.legal_name)
    form = tutor.locator("#evaluation-form")
    for fieldset in form.locator("fieldset[id^=criterion-]").all():
        fieldset.locator("input[value='4']").check()
    form.locator("#overall input[value='5']").check()
    form.locator("textarea").first.fill("Autonome et rigoureuse.")
    form.locator("[type=submit]").click()
    expect(tutor.locator("#evaluation-thanks")).to_be_visible()
    coordinator.reload()
    expect(coordinator.locator("#evaluation-final")).to_have_attribute("data-state", "answered")


def intern_confirms_return(page: Page, returned_on: date) -> None:
    page.locator("#nav-my-internship").click()
    form = page.locator("#return-form")
    form.locator("#returned_on").fill(returned_on.isoformat())
    form.locator("[type=submit]").click()
    expect_flash(page, "success")
    expect(page.locator("#return-confirmed")).to_be_visible()
    expect(page.locator("#internship-outcome")).to_have_attribute("data-outcome", "completed")


def coordinator_confirms_return(coordinator: Page, n: int, returned_on: date) -> None:
    programme_menu(coordinator, "nav-followup")
    coordinator.locator("#board").get_by_role("link", name=full_name(n)).click()
    form = coordinator.locator("#return-form")
    form.locator("#returned_on").fill(returned_on.isoformat())
    coordinator.locator("#return-submit").click()
    expect_flash(coordinator, "success")
    expect(coordinator.locator("#outcome")).to_have_attribute("data-outcome", "completed")
    expect(coordinator.locator("#survey-list tbody tr")).to_have_count(3)


def alumna_answers_the_6_month_survey(page: Page) -> None:
    page.locator("#nav-my-internship").click()
    survey = page.locator("#survey-list tr[data-wave='6']")
    expect(survey).to_have_attribute("data-status", "pending")
    expect(page.locator("#survey-list tr[data-wave='12'] a[id^=answer-survey-]")).to_have_count(0)
    survey.locator("a[id^=answer-survey-]").click()
    form = page.locator("#survey-form")
    form.locator("#situation").select_option("employed_morocco")
    form.locator("#employer").fill("HPS")
    form.locator("#city").fill("Casablanca")
    form.locator("#job_title").fill("Ingénieure monétique")
    form.locator("#contract_type").select_option("permanent")
    form.locator("#employer_mnc_member").select_option("yes")
    form.locator("[type=submit]").click()
    expect_flash(page, "success")
    expect(page.locator("#survey-list tr[data-wave='6']")).to_have_attribute(
        "data-status", "answered"
    )
    expect(page.locator("#my-situation")).to_have_attribute("data-situation", "employed_morocco")


#: What happened, stage by stage (the funnel of the dashboard, the report and the export).
EXPECTED_FUNNEL = {
    "applied": 3,
    "eligible": 3,
    "shortlisted": 3,
    "selected": 2,
    "placed": 2,
    "agreement_signed": 2,
    "agreement_on_paper": 0,
    "departed": 2,
    "completed": 2,
    "ended_early": 0,
    "ongoing": 0,
    "returned": 2,
    "employed_morocco_3": 0,  # the 3-month surveys were not answered
    "employed_morocco_6": 1,
    "employed_morocco_12": 0,  # not due yet
}


def official_reads_the_figures(official: Page) -> None:
    log_in(official, OFFICIAL[1])
    official.locator("#nav-reports").click()
    expect(official.locator("#year-select")).to_have_value(str(YEAR))
    for stage, count in EXPECTED_FUNNEL.items():
        expect(official.locator(f"#funnel td[data-stage='{stage}']")).to_have_text(str(count))

    # The cohort report (PDF, French).
    filename, data = download(official, "#report-pdf-fr")
    assert filename == f"mnc-cohort-report-{YEAR}-fr.pdf"
    assert data.startswith(b"%PDF")
    reader = PdfReader(io.BytesIO(data))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    assert str(YEAR) in text
    for n in range(QUOTA):  # the list of the interns: name, host
        assert full_name(n) in text
    assert full_name(2) not in text  # waitlisted: not an intern
    assert HOST.legal_name in text
    # The funnel's table: each stage's label followed by its count (whatever the layout
    # around it).
    with force_locale("fr"):
        stage_labels = {key: str(labels.stage_label(key)) for key in EXPECTED_FUNNEL}
    for stage in ("applied", "selected", "placed", "returned", "employed_morocco_6"):
        pattern = rf"{re.escape(stage_labels[stage])}\s+{EXPECTED_FUNNEL[stage]}(?![\d,.])"
        assert re.search(pattern, text), (stage, pattern)

    # The Excel exports: the funnel and the list of the interns.
    official.locator("#exports-link").click()
    filename, data = download(official, "#export-funnel-xlsx")
    assert filename == f"mnc-{YEAR}-funnel.xlsx"
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    counts = {key: row[1] for (key, _predicate), row in zip(STAGES, rows[1:], strict=True)}
    assert counts == EXPECTED_FUNNEL

    filename, data = download(official, "#export-rates-xlsx")
    assert filename == f"mnc-{YEAR}-rates.xlsx"
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    with force_locale("fr"):
        keys = {str(label): key for key, label in labels.RATE_LABELS.items()}
    # key -> (value, numerator, denominator); percentages in points.
    rates = {keys[row[0]]: (row[1], row[3], row[4]) for row in rows[1:] if row[0] in keys}
    assert rates["quota_filled"] == (100, 2, 2)
    assert rates["completion"] == (100, 2, 2)
    assert rates["return_rate"] == (100, 2, 2)
    assert rates["employed_morocco_6"] == (50, 1, 2)  # one alumna of two answered
    assert rates["response_6"] == (50, 1, 2)
    assert rates["employed_morocco_12"] == (None, 0, 0)  # not due yet
    assert rates["average_stipend"][0] == float(STIPEND)
    assert rates["tutor_satisfaction"][0] == 5
    assert rates["student_satisfaction"][0] == 4

    filename, data = download(official, "#interns-submit")
    assert filename == f"mnc-{YEAR}-interns.xlsx"
    rows = list(openpyxl.load_workbook(io.BytesIO(data)).worksheets[0].iter_rows(values_only=True))
    assert sorted(row[0] for row in rows[1:]) == sorted(full_name(n) for n in range(QUOTA))


# --- the year ---------------------------------------------------------------------------------


def test_a_whole_programme_year_every_role_in_turn(new_page, tmp_path):
    assert law.presence_hours(START, END, WEEKLY_HOURS) > law.GRATIFICATION_THRESHOLD_HOURS
    assert not law.lasts_more_than_months(START, END, law.LONG_STAY_THRESHOLD_MONTHS)
    assert law.add_months(END, 6) <= TODAY < law.add_months(END, 12)
    clock = Clock()
    staff(Role.admin, ADMIN)
    staff(Role.coordinator, COORDINATOR)
    staff(Role.coordinator, REVIEWER)
    staff(Role.official, OFFICIAL)
    db.session.remove()

    # 1. The institution, the cohort, the call.
    admin = new_context(new_page)
    admin_adds_the_institution(admin)
    coordinator = new_context(new_page)
    coordinator_opens_the_call(coordinator)
    clock.lap("institution, cohort, call")

    # 2. Three students apply.
    students = []
    for person in STUDENTS:
        page = new_context(new_page)
        student_applies(page, person)
        students.append(page)
    clock.lap("3 applications with 7 documents")

    # 3-5. Screening, reviews, interviews, decisions.
    coordinator_screens(coordinator)
    coordinator_assigns_reviewers(coordinator)
    reviewer_scores(coordinator, COORDINATOR, logged_in=True)
    reviewer = new_context(new_page)
    reviewer_scores(reviewer, REVIEWER, logged_in=False)
    coordinator_selects(coordinator)
    for page, expected in zip(students, ("selected", "selected", "waitlisted"), strict=True):
        student_reads_the_result(page, expected)
    clock.lap("screening, reviews, selection")

    # 6. The company and its offers.
    host = new_context(new_page)
    company_registers_and_is_approved(host, coordinator)
    offer_ids = company_publishes_offers(host, coordinator)
    clock.lap("company, tutor, 2 offers")

    # 7. Ranking, matching, confirmation.
    student_ranks(students[0], offer_ids)
    student_ranks(students[1], list(reversed(offer_ids)))
    coordinator_matches(coordinator, offer_ids)
    company_confirms(host)
    for n, page in enumerate(students[:QUOTA]):
        page.locator("#nav-my-offers").click()
        expect(page.locator("#placement")).to_have_attribute("data-status", "confirmed")
        expect(page.locator("#placement-offer")).to_have_text(OFFERS[n].title)
    clock.lap("ranking, matching, confirmation")

    # 8. The agreements, signed.
    issued = coordinator_issues_agreements(coordinator)
    host_signs(host, issued)
    for page, (agreement_id, doc_id) in zip(students, issued, strict=False):
        page.locator("nav a[href='/dashboard']").click()
        page.locator("#my-agreement-link").click()
        expect(page).to_have_url(re.compile(rf"/agreements/{agreement_id}$"))
        sign_in_app(page, doc_id)
    scan = tmp_path / "convention-signee.pdf"
    scan.write_bytes(SAMPLE_PDF)
    coordinator_records_paper_signatures(coordinator, issued, scan)
    clock.lap("2 agreements, 12 signatures")

    # 9. Abroad: departure, arrival, a check-in, the tutor's evaluation.
    move_cohort(coordinator, CohortState.abroad)
    for page in students[:QUOTA]:
        intern_departs_and_arrives(page)
    intern_checks_in(students[0])
    tutor = new_context(new_page)
    tutor_evaluates(coordinator, tutor)
    clock.lap("departure, arrival, check-in, evaluation")

    # 10. Return and the 6-month survey.
    intern_confirms_return(students[0], END + timedelta(days=2))
    coordinator_confirms_return(coordinator, 1, END + timedelta(days=3))
    move_cohort(coordinator, CohortState.returned)
    alumna_answers_the_6_month_survey(students[0])
    clock.lap("returns, 6-month survey")

    # 11. The official's figures.
    official = new_context(new_page)
    official_reads_the_figures(official)
    clock.lap("dashboard, report, exports")

    # --- The database agrees. -------------------------------------------------------------
    db.session.expire_all()
    assert db.session.scalar(select(func.count(Signature.id))) == 12
    for agreement in db.session.scalars(select(Agreement)).all():
        assert (agreement.start_on, agreement.end_on) == (START, END)
        assert agreement.monthly_stipend == STIPEND
    internships = db.session.scalars(select(Internship).order_by(Internship.id)).all()
    assert len(internships) == QUOTA
    for internship in internships:
        assert internship.outcome is InternshipOutcome.completed
        assert internship.departed_on == START - timedelta(days=1)
        assert internship.returned_on is not None
    evaluation = db.session.scalar(select(TutorEvaluation))
    assert evaluation.overall == 5 and evaluation.submitted_at is not None
    answered = db.session.scalars(
        select(EmploymentSurvey).where(EmploymentSurvey.status == SurveyStatus.answered)
    ).all()
    assert [(s.wave, s.situation.value) for s in answered] == [(6, "employed_morocco")]
    documents = db.session.scalar(
        select(func.count()).select_from(
            select(Application.id).join(Application.documents).subquery()
        )
    )
    assert documents == len(STUDENTS) * len(demo_files())
    db.session.commit()
    print("\n" + clock.report())
