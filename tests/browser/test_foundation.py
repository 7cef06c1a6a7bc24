"""End-to-end journeys of the foundation: log in per role, language switch, cohorts, hosts.

The UI is French by default, so the selectors use the French labels of
``mnc_exchange/translations/fr/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Page = expect = None

from mnc_exchange.cohorts.models import Cohort
from mnc_exchange.demo import DEMO_ACCOUNTS, DEMO_PASSWORD, load_demo_data
from mnc_exchange.extensions import db
from tests.browser.helpers import log_out, menu, registered

ACCOUNTS = {role.value: (email, name) for role, email, name in DEMO_ACCOUNTS}

# French strings of the catalogue (msgid -> msgstr).
LOGIN = "Se connecter"  # "Log in"
EMAIL = "Adresse e-mail"  # "E-mail address"
PASSWORD = "Mot de passe"  # "Password"
COORDINATION = "Coordination du programme"  # "Programme coordination"
OVERVIEW = "Vue d'ensemble du programme"  # "Programme overview"
COHORTS = "Promotions"  # "Cohorts"
USERS = "Utilisateurs"  # "Users"
HOSTS_TO_APPROVE = "Entreprises à approuver"  # "Companies to approve"
NEW_COHORT = "Nouvelle promotion"  # "New cohort"


def load_demo() -> int:
    """Load the demo data through the test's app context; returns the current cohort's year."""
    load_demo_data(history=False)
    year = db.session.scalar(select(Cohort.year).where(Cohort.is_current))
    db.session.commit()
    return year


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def nav_link(page: Page, name: str):
    return page.get_by_role("navigation").get_by_role("link", name=name, exact=True)


def expect_flash(page: Page, text: str) -> None:
    """A flashed message (an alert at the top of ``main``) shows ``text``."""
    expect(page.locator("main > .alert").filter(has_text=text)).to_be_visible()


def login(page: Page, email: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label(EMAIL, exact=True).fill(email)
    page.get_by_label(PASSWORD, exact=True).fill(password)
    page.locator("main").get_by_role("button", name=LOGIN).click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def logout(page: Page) -> None:
    log_out(page)
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(heading(page)).to_have_text(LOGIN)
    expect_flash(page, "Vous êtes déconnecté.")


@pytest.mark.parametrize("role", ["admin", "coordinator", "student", "host", "official"])
def test_demo_account_logs_in_sees_its_dashboard_and_logs_out(page: Page, role: str):
    load_demo()
    email, name = ACCOUNTS[role]

    login(page, email)

    expect_flash(page, f"Bienvenue, {name}.")
    # The user's menu carries their name (with the account, the language and logging out).
    expect(page.locator("#nav-user")).to_have_text(name)
    if role in ("student", "host"):
        expect(heading(page)).to_have_text(f"Bonjour {name}")
        expect(nav_link(page, COHORTS)).to_have_count(0)
        expect(page.locator("#nav-pending-hosts")).to_have_count(0)
    if role == "student":
        # The demo year is open: the student is told what to prepare.
        expect(page.get_by_role("heading", name="Prochaines étapes")).to_be_visible()
    if role == "host":
        expect(page.locator("#pending-notice")).to_have_count(0)
    if role in ("coordinator", "admin"):
        expect(heading(page)).to_have_text(COORDINATION)
        expect(nav_link(page, COHORTS)).to_be_visible()
        # In the "Programme" dropdown (closed: not in the accessibility tree).
        expect(page.locator("#nav-pending-hosts")).to_have_text(HOSTS_TO_APPROVE)
        expect(page.get_by_role("link", name=NEW_COHORT)).to_be_visible()
    if role == "official":
        expect(heading(page)).to_have_text(OVERVIEW)
        expect(nav_link(page, COHORTS)).to_be_visible()
        expect(page.locator("#nav-pending-hosts")).to_have_count(0)
        expect(page.get_by_role("link", name=NEW_COHORT)).to_have_count(0)
    if role == "admin":
        expect(page.locator("#nav-users")).to_have_text(USERS)  # in "Administration"
    else:
        expect(page.locator("#nav-users")).to_have_count(0)

    logout(page)
    expect(nav_link(page, LOGIN)).to_be_visible()


def test_anonymous_visitor_switches_the_language(page: Page):
    page.goto("/login")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(heading(page)).to_have_text(LOGIN)
    # CSRF protection is on for the browser tests: the forms carry a token.
    expect(page.locator("#language-form input[name=csrf_token]")).to_have_value(re.compile(".+"))

    page.locator("#lang-en").click()
    expect(page).to_have_url(re.compile(r"/login\??$"))
    expect(heading(page)).to_have_text("Log in")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_label("E-mail address", exact=True)).to_be_visible()

    page.locator("#lang-fr").click()
    expect(heading(page)).to_have_text(LOGIN)
    expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_coordinator_creates_a_cohort_and_opens_its_call(page: Page):
    demo_year = load_demo()
    email, _name = ACCOUNTS["coordinator"]
    login(page, email)

    nav_link(page, COHORTS).click()
    expect(heading(page)).to_have_text(COHORTS)
    page.locator("#new-cohort").click()
    expect(heading(page)).to_have_text(NEW_COHORT)

    page.get_by_label("Année", exact=True).fill("2035")
    expect(page.get_by_label("Quota (étudiants sélectionnés)")).to_have_value("30")
    for field, day in {
        "applications_open_on": "2034-10-01",
        "applications_close_on": "2034-12-15",
        "selection_on": "2035-01-31",
        "matching_on": "2035-02-28",
        "departure_on": "2035-04-01",
        "return_on": "2035-09-30",
    }.items():
        page.fill(f"#{field}", day)
    page.get_by_role("button", name="Enregistrer").click()

    expect_flash(page, "La promotion 2035 est créée.")
    expect(heading(page)).to_have_text("MNC 2035")
    expect(page.locator("#cohort-state")).to_have_text("Brouillon")
    expect(page.locator("#to-open")).to_have_text("Ouvrir les candidatures")

    # The demo year's call is open, and only one call may be open at a time: refused.
    page.locator("#to-open").click()
    expect_flash(page, f"L'appel {demo_year} est déjà ouvert : clôturez-le d'abord.")
    expect(page.locator("#cohort-state")).to_have_text("Brouillon")

    # Close the demo year's call, then the 2035 call can open.
    page.get_by_role("link", name="Retour aux promotions").click()
    open_row = page.get_by_role("row").filter(has_text="Candidatures ouvertes")
    expect(open_row).to_have_count(1)
    open_row.get_by_role("link").click()
    expect(page.locator("#to-closed")).to_have_text("Clore les candidatures")
    page.locator("#to-closed").click()
    expect(page.locator("#cohort-state")).to_have_text("Candidatures closes")

    page.get_by_role("link", name="Retour aux promotions").click()
    page.get_by_role("link", name="MNC 2035", exact=True).click()
    page.locator("#to-open").click()
    expect(page.locator("#cohort-state")).to_have_text("Candidatures ouvertes")
    expect_flash(page, "La promotion est maintenant à l'état « Candidatures ouvertes ».")
    expect(page.locator("#to-open")).to_have_count(0)
    expect(page.locator("#to-closed")).to_be_visible()


def test_host_registers_waits_and_is_approved_by_a_coordinator(page: Page, new_page):
    load_demo()
    host_name, host_email = "Julie Durand", "julie.durand@exemple-entreprise.fr"

    # The contact registers their account and their company in one form (new fields are
    # found by id: their French labels come with the next catalogue update).
    page.goto("/register/host")
    page.get_by_label("Nom complet", exact=True).fill(host_name)
    page.get_by_label(EMAIL, exact=True).fill(host_email)
    page.get_by_label(PASSWORD, exact=True).fill("une-phrase-de-passe-longue")
    page.get_by_label("Confirmez le mot de passe", exact=True).fill("une-phrase-de-passe-longue")
    page.locator("#legal_name").fill("Exemple Numérique SAS")
    page.locator("#siret").fill("732 829 320 00074")
    page.locator("#naf_code").fill("62.01Z")
    page.locator("#address").fill("10 rue de la Paix")
    page.locator("#postcode").fill("75002")
    page.locator("#city").fill("Paris")
    page.locator("#headcount").fill("45")
    page.locator("#sector").fill("Édition de logiciels")
    page.locator("#register-host-form #submit").click()

    # "Check your mailbox": the address is confirmed from the e-mailed link, then the contact
    # logs in.
    expect(page).to_have_url(re.compile(r"/register/sent$"))
    expect_flash(page, "Exemple Numérique SAS")
    registered(page, host_email, "une-phrase-de-passe-longue")
    expect(page).to_have_url(re.compile(r"/dashboard$"))
    expect(heading(page)).to_have_text(f"Bonjour {host_name}")
    expect(page.locator("#pending-notice")).to_contain_text("Exemple Numérique SAS")

    coordinator = new_page()
    login(coordinator, ACCOUNTS["coordinator"][0])
    expect(coordinator.locator("#pending-companies")).to_contain_text("1")
    menu(coordinator, "nav-pending-hosts")
    expect(coordinator).to_have_url(re.compile(r"/hosts/pending$"))
    card = coordinator.locator("section.card").filter(has_text=host_email)
    expect(card).to_contain_text("Exemple Numérique SAS")
    expect(card).to_contain_text("732 829 320 00074")
    card.locator("[id^=approve-company-]").click()  # a real form with its CSRF token
    expect(coordinator).to_have_url(re.compile(r"/hosts/pending$"))
    expect(coordinator.locator("section.card").filter(has_text=host_email)).to_have_count(0)
    expect(coordinator.locator("#no-pending-company")).to_be_visible()

    page.reload()
    expect(heading(page)).to_have_text(f"Bonjour {host_name}")
    expect(page.locator("#pending-notice")).to_have_count(0)
    expect(page.get_by_text("Merci d'accueillir des stagiaires marocains.")).to_be_visible()
    expect(page.locator("#company-card")).to_contain_text("Exemple Numérique SAS")
