"""Helpers shared by the browser journeys: logging in, flashed messages, menus, the student's
application form and its documents, the host company's registration and offers, the paper
signatures of an agreement, the links of the e-mails in the outbox (such as the link that
confirms a new account's address).

The interface is French by default: the labels used here are those of the catalogue
(``mnc_exchange/translations/fr/LC_MESSAGES/messages.po``) where they are stable, else ids,
names and data attributes.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from PIL import Image, ImageDraw

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Page = expect = None

from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from tests.factories import PASSWORD, SAMPLE_PDF
from tests.registration import confirm_path

# French strings of the catalogue (msgid -> msgstr).
EMAIL = "Adresse e-mail"  # "E-mail address"
PASSWORD_LABEL = "Mot de passe"  # "Password"
LOGIN = "Se connecter"  # "Log in"

LINK = re.compile(r"https?://\S+")


# --- pages, menus, messages --------------------------------------------------------------------


def no_motion(page: Page) -> Page:
    """Reduce motion: Bootstrap then no longer scrolls smoothly to an anchor after a form,
    which made every click wait about a second for the page to settle."""
    page.emulate_media(reduced_motion="reduce")
    return page


def heading(page: Page):
    return page.get_by_role("heading", level=1)


def menu(page: Page, entry_id: str) -> None:
    """Click the menu entry ``#entry_id``: on a narrow window the collapsed menu is opened
    first, and the dropdown that holds the entry (the user's menu, "Programme"…) if needed."""
    # The dropdowns and the collapsed menu open with Bootstrap's script: wait until it runs
    # (a click right after a navigation could come first and do nothing).
    page.wait_for_load_state()
    entry = page.locator(f"#{entry_id}")
    toggler = page.locator("nav .navbar-toggler")
    if not entry.is_visible() and toggler.is_visible():
        toggler.click()
        expect(page.locator("#nav")).to_be_visible()
    if not entry.is_visible():
        holder = page.locator(f"nav .dropdown:has(#{entry_id}) > .dropdown-toggle")
        if holder.count():
            holder.click()
    entry.click()


def english(page: Page) -> None:
    """Switch the interface to English with the language button (in the user's menu)."""
    menu(page, "lang-en")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def log_out(page: Page) -> None:
    """Log out from the user's menu."""
    menu(page, "logout")


def log_in(page: Page, email: str, password: str = PASSWORD) -> None:
    """Log in through the form (French labels); lands on the dashboard."""
    page.goto("/login")
    page.get_by_label(EMAIL, exact=True).fill(email)
    page.get_by_label(PASSWORD_LABEL, exact=True).fill(password)
    page.locator("main").get_by_role("button", name=LOGIN).click()
    expect(page).to_have_url(re.compile(r"/dashboard$"))


def expect_flash(page: Page, category: str, pattern=None) -> None:
    """A flashed message of ``category`` (success, danger, …), matching ``pattern`` when given,
    is shown (the pages' own alerts, such as the law boxes of an offer, have an id)."""
    flashed = page.locator(f"main > .alert-{category}:not([id])")
    if pattern is not None:
        flashed = flashed.filter(has_text=pattern)
    expect(flashed.first).to_be_visible()


def programme_menu(page: Page, entry_id: str) -> None:
    """Open an entry of the coordinators' "Programme" dropdown."""
    menu(page, entry_id)


def amount(value) -> re.Pattern:
    """``693.00`` or ``693,00`` (French), not part of a longer number (amounts under 1,000)."""
    whole, cents = f"{Decimal(value):.2f}".split(".")
    return re.compile(rf"(?<![\d.,]){whole}[.,]{cents}(?!\d)")


def download(page: Page, selector: str) -> tuple[str, bytes]:
    """Click ``selector``, wait for the download; its suggested file name and its bytes."""
    with page.expect_download() as info:
        page.locator(selector).click()
    got = info.value
    assert got.failure() is None
    return got.suggested_filename, Path(got.path()).read_bytes()


def link_in(message: OutboxMessage, base_url: str = "") -> str:
    """The path of the first link of an e-mail (to be opened on the live server)."""
    url = LINK.search(message.body_text).group(0)
    return re.sub(r"^https?://[^/]+", "", url)


# --- the student's application -----------------------------------------------------------------


def passport_png() -> bytes:
    """A small PNG standing in for the passport scan."""
    image = Image.new("RGB", (240, 160), (120, 24, 38))
    ImageDraw.Draw(image).text((20, 70), "PASSEPORT - SPECIMEN", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def in_memory_file(name: str, content: bytes | None = None) -> dict:
    """The file for ``set_input_files``: ``content`` if given, else the PNG scan for a
    ``.png`` name and the sample PDF otherwise."""
    if name.endswith(".png"):
        return {"name": name, "mimeType": "image/png", "buffer": content or passport_png()}
    return {"name": name, "mimeType": "application/pdf", "buffer": content or SAMPLE_PDF}


MOTIVATION = (
    "Étudiante en quatrième année de génie logiciel à l'ENSIAS, je souhaite effectuer mon "
    "stage de fin d'études en France au sein d'une entreprise du numérique. Au cours de mes "
    "projets académiques, j'ai conçu une application mobile de suivi des rendez-vous médicaux, "
    "ce qui m'a appris à travailler en équipe avec des méthodes agiles et à livrer dans les "
    "délais. Le pôle des services mobiles correspond le mieux à mon projet professionnel. À mon "
    "retour, je souhaite mettre ces compétences au service d'une entreprise marocaine."
)


@dataclass
class Applicant:
    """What a student types in the application form (French labels of the choices)."""

    first_name: str = "Nour"
    last_name: str = "Benmoussa"
    birth_date: str = "2003-05-14"
    gender: str = "Féminin"
    cin: str = "ab123456"
    phone: str = "06 12 34 56 78"
    region: str = "Rabat-Salé-Kénitra"
    passport_number: str = "TX9876543"
    institution: str = "ENSIAS"
    programme: str = "Génie logiciel"
    year_of_study: str = "4"
    grade_average: str = "14,5"
    french_level: str = "C1"
    english_level: str = "B2"
    poles: tuple[str, str, str, str] = (
        "Services mobiles",
        "Sécurité, paiement électronique et droits numériques",
        "Multimédia",
        "Progiciels",
    )
    motivation: str = MOTIVATION
    email: str = field(default="")

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def fill_application(page: Page, person: Applicant) -> None:
    """Fill every field of the application form through its label."""
    page.get_by_label("Prénom(s) comme sur le passeport").fill(person.first_name)
    page.get_by_label("Nom comme sur le passeport").fill(person.last_name)
    page.get_by_label("Date de naissance").fill(person.birth_date)
    page.get_by_label("Sexe").select_option(label=person.gender)
    page.get_by_label("CIN (carte d'identité nationale)").fill(person.cin)
    page.get_by_label("Numéro de téléphone").fill(person.phone)
    page.get_by_label("Région d'origine").select_option(label=person.region)
    page.get_by_label("Numéro de passeport").fill(person.passport_number)
    page.get_by_label("Date d'expiration du passeport").fill(f"{date.today().year + 8}-06-30")
    page.get_by_label("Établissement d'origine").select_option(label=person.institution)
    page.get_by_label("Filière d'études").fill(person.programme)
    page.get_by_label("Année d'études").fill(person.year_of_study)
    page.get_by_label("Moyenne (/20)").fill(person.grade_average)
    page.get_by_label("Niveau de français (CECRL)").select_option(label=person.french_level)
    page.get_by_label("Niveau d'anglais (CECRL)").select_option(label=person.english_level)
    for label, pole in zip(
        ("Premier choix", "Deuxième choix", "Troisième choix", "Quatrième choix"),
        person.poles,
        strict=True,
    ):
        page.get_by_label(label).select_option(label=pole)
    page.get_by_label("Motivation", exact=True).fill(person.motivation)
    page.get_by_label("Je m'engage à revenir au Maroc").check()
    page.get_by_label("je consens au traitement de mes données personnelles").check()


def confirm_address(page: Page, email: str) -> None:
    """Open the link e-mailed to a new account (read from the outbox) and press its button;
    lands on the login page."""
    db.session.expire_all()
    try:
        path = confirm_path(email)
    finally:
        db.session.commit()  # end the read (SQLite: the live server writes next)
    page.goto(path)
    page.locator("#confirm-email").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect_flash(page, "success")


def registered(page: Page, email: str, password: str) -> None:
    """After a registration form: the "check your mailbox" page; then the address is confirmed
    from the e-mailed link and the new account logs in (lands on the dashboard)."""
    expect(page).to_have_url(re.compile(r"/register/sent$"))
    expect_flash(page, "info")
    confirm_address(page, email)
    log_in(page, email, password)


def register_student(page: Page, full_name: str, email: str, password: str) -> None:
    """Create a student account through the registration form, confirm the address from the
    e-mail and log in; lands on the dashboard."""
    page.goto("/register")
    page.get_by_label("Nom complet", exact=True).fill(full_name)
    page.get_by_label(EMAIL, exact=True).fill(email)
    page.get_by_label(PASSWORD_LABEL, exact=True).fill(password)
    page.get_by_label("Confirmez le mot de passe", exact=True).fill(password)
    page.get_by_role("button", name="Créer mon compte").click()
    registered(page, email, password)


# --- host companies and offers -----------------------------------------------------------------


@dataclass
class HostCompany:
    """What the contact types when registering the company."""

    contact: str
    email: str
    password: str
    legal_name: str
    siret: str
    naf_code: str = "6201Z"
    address: str = "25 quai Perrache"
    postcode: str = "69002"
    city: str = "Lyon"
    headcount: int = 120
    sector: str = "Paiement électronique"


def register_company(page: Page, host: HostCompany) -> None:
    """The contact registers their account and their company in one form, confirms the address
    from the e-mail and logs in; lands on the dashboard."""
    page.goto("/register/host")
    form = page.locator("#register-host-form")
    form.locator("#full_name").fill(host.contact)
    form.locator("#email").fill(host.email)
    form.locator("#password").fill(host.password)
    form.locator("#confirm").fill(host.password)
    form.locator("#legal_name").fill(host.legal_name)
    form.locator("#siret").fill(host.siret)
    form.locator("#naf_code").fill(host.naf_code)
    form.locator("#address").fill(host.address)
    form.locator("#postcode").fill(host.postcode)
    form.locator("#city").fill(host.city)
    form.locator("#headcount").fill(str(host.headcount))
    form.locator("#sector").fill(host.sector)
    form.locator("#submit").click()
    registered(page, host.email, host.password)


@dataclass
class OfferTerms:
    """What the host types on the offer form."""

    title: str
    description: str
    pole: str  # Pole value
    city: str
    skills: str
    start: date
    end: date
    stipend: Decimal | int
    tutor_label: str  # "Name (job title)" as in the tutor list
    daily_hours: str = "7"
    #: The form's default weekly hours, checked before saving.
    weekly_hours: int = 35
    #: Days of leave (L124-13: at least one past 2 months of presence).
    leave_days: int = 10


def fill_offer(page: Page, terms: OfferTerms) -> None:
    """Fill the offer form (one seat, the default) and save it as a draft."""
    form = page.locator("#offer-form")
    form.locator("#title").fill(terms.title)
    form.locator("#description").fill(terms.description)
    form.locator("#pole").select_option(terms.pole)
    form.locator("#city").fill(terms.city)
    form.locator("#skills").fill(terms.skills)
    form.locator("#start_on").fill(terms.start.isoformat())
    form.locator("#end_on").fill(terms.end.isoformat())
    expect(form.locator("#weekly_hours")).to_have_value(str(terms.weekly_hours))
    form.locator("#daily_hours").fill(terms.daily_hours)
    form.locator("#monthly_stipend").fill(str(terms.stipend))
    form.locator("#leave_days").fill(str(terms.leave_days))
    expect(form.locator("#seats")).to_have_value("1")
    form.locator("#tutor_id").select_option(label=terms.tutor_label)
    form.locator("#submit").click()


# --- agreements --------------------------------------------------------------------------------


def open_paper_form(page: Page, doc_id: int):
    """Unfold the collapsed "record a signature made on paper" section of the document."""
    section = page.locator(f"#paper-{doc_id}")
    if section.get_attribute("open") is None:
        section.locator("summary").click()
    form = page.locator(f"#paper-form-{doc_id}")
    expect(form).to_be_visible()
    return form
