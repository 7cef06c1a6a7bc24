"""End-to-end journey of an application: a student registers, fills in and submits the file,
a coordinator returns it for correction, the student corrects it and submits it again.

Everything goes through the browser (CSRF on); only the demo data are loaded directly. The UI
is French by default, so the selectors use the French labels of
``mnc_exchange/translations/fr/LC_MESSAGES/messages.po``.
"""

from __future__ import annotations

import re

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Page = expect = None

from mnc_exchange.demo import DEMO_PASSWORD, load_demo_data
from mnc_exchange.extensions import db
from tests.browser.helpers import (
    MOTIVATION,
    Applicant,
    confirm_address,
    fill_application,
    heading,
    in_memory_file,
    log_in,
    no_motion,
)

COORDINATOR_EMAIL = "coordinateur@demo.mnc.ma"

STUDENT_NAME = "Nour Benmoussa"
STUDENT_EMAIL = "nour.benmoussa@etudiant.example.ma"
STUDENT_PASSWORD = "une-phrase-de-passe-longue"

CORRECTION = "Précisez votre filière exacte telle qu'elle figure sur l'attestation de scolarité."

# French strings of the catalogue (msgid -> msgstr).
SUBMITTED = "Soumise"  # "Submitted"
RETURNED = "Renvoyée pour correction"  # "Returned for correction"
DRAFT = "Brouillon"  # "Draft"
SAVED = "Votre candidature est enregistrée."  # "Your application is saved."
SAVE_DRAFT = "Enregistrer le brouillon"  # "Save the draft"

#: The required documents: kind (as in the element ids), French label, file name.
DOCUMENTS = [
    ("cv", "CV", "cv.pdf"),
    ("transcript", "Relevé de notes", "releve-de-notes.pdf"),
    ("passport", "Copie du passeport", "passeport.png"),
    ("french_certificate", "Certificat de langue française", "delf-c1.pdf"),
    ("enrolment_certificate", "Certificat de scolarité", "attestation.pdf"),
    ("motivation_letter", "Lettre de motivation", "lettre-de-motivation.pdf"),
]


def expect_flash(page: Page, text: str) -> None:
    """A flashed message (an alert at the top of ``main``) shows ``text``."""
    expect(page.locator("main > .alert").filter(has_text=text)).to_be_visible()


def status_badge(page: Page):
    return page.locator("#application-status")


def fill_the_file(page: Page) -> None:
    """Fill every field of the application form through its label (Nour's file)."""
    fill_application(page, Applicant())


def test_student_applies_is_returned_for_correction_and_resubmits(page: Page, new_page):
    no_motion(page)
    load_demo_data(history=False)
    db.session.commit()
    assert len(MOTIVATION) >= 400

    # --- 1. The student registers, fills in the file, uploads the documents, submits. -----
    page.goto("/register")
    expect(heading(page)).to_have_text("Créer un compte étudiant")
    page.get_by_label("Nom complet", exact=True).fill(STUDENT_NAME)
    page.get_by_label("Adresse e-mail", exact=True).fill(STUDENT_EMAIL)
    page.get_by_label("Mot de passe", exact=True).fill(STUDENT_PASSWORD)
    page.get_by_label("Confirmez le mot de passe", exact=True).fill(STUDENT_PASSWORD)
    page.get_by_role("button", name="Créer mon compte").click()

    # The address is confirmed from the e-mailed link before the first login.
    expect(page).to_have_url(re.compile(r"/register/sent$"))
    expect_flash(page, "Presque terminé")
    expect(heading(page)).to_have_text("Consultez votre messagerie")
    confirm_address(page, STUDENT_EMAIL)
    expect_flash(page, "Votre adresse e-mail est confirmée.")
    log_in(page, STUDENT_EMAIL, STUDENT_PASSWORD)
    expect(heading(page)).to_have_text(f"Bonjour {STUDENT_NAME}")
    expect(page.locator("#my-application-card")).to_contain_text(
        "Vous n'avez pas commencé de candidature pour cette année."
    )
    page.locator("#my-application-link").click()

    expect(page).to_have_url(re.compile(r"/application/$"))
    expect(heading(page)).to_have_text("Ma candidature")
    expect(page.locator("#call-status")).to_contain_text("L'appel à candidatures est ouvert")
    page.get_by_role("button", name="Commencer ma candidature").click()
    expect_flash(page, "Votre candidature est créée.")
    expect(status_badge(page)).to_have_text(DRAFT)

    fill_the_file(page)
    page.get_by_role("button", name=SAVE_DRAFT).click()
    expect_flash(page, SAVED)
    # The CIN is stored (and shown again) upper-cased, the grade with a decimal point.
    expect(page.get_by_label("CIN (carte d'identité nationale)")).to_have_value("AB123456")
    expect(page.get_by_label("Numéro de téléphone")).to_have_value("+212612345678")
    expect(page.get_by_label("Moyenne (/20)")).to_have_value(re.compile(r"^14[.,]50?$"))
    expect(page.get_by_label("Établissement d'origine")).to_have_value(re.compile(r"^\d+$"))
    expect(page.get_by_label("Je m'engage à revenir au Maroc")).to_be_checked()
    # Every field is done; only the documents are missing.
    expect(page.locator("#checklist li[data-done=no]")).to_have_count(len(DOCUMENTS))
    expect(page.locator("#check-motivation")).to_have_attribute("data-done", "yes")

    # Nothing typed is lost: a field changed but not saved is saved with the next upload.
    page.get_by_label("Numéro de passeport").fill("XK7654321")

    for kind, label, name in DOCUMENTS:
        section = page.locator(f"#doc-{kind}")
        expect(section).to_contain_text("Pas encore téléversé")
        section.get_by_label(f"Choisir un fichier : {label}").set_input_files(in_memory_file(name))
        section.get_by_role("button", name="Téléverser").click()
        expect_flash(page, f"« {name} » est téléversé comme document « {label} ».")
        section = page.locator(f"#doc-{kind}")
        expect(section.get_by_role("link", name=name)).to_be_visible()
        expect(section.get_by_label(f"Remplacer par un nouveau fichier : {label}")).to_be_visible()
        expect(page.locator(f"#check-document-{kind}")).to_have_attribute("data-done", "yes")

    expect(page.get_by_label("Numéro de passeport")).to_have_value("XK7654321")
    page.reload()
    expect(page.get_by_label("Numéro de passeport")).to_have_value("XK7654321")

    expect(page.locator("#checklist-summary")).to_have_text("Tout est complet.")
    expect(page.locator("#checklist li[data-done=no]")).to_have_count(0)
    # Submitting is final: without the box ticked, nothing is submitted.
    page.get_by_role("button", name="Soumettre ma candidature").click()
    expect_flash(page, "Veuillez corriger les erreurs signalées dans le formulaire.")
    expect(page.locator("#confirm-submit-error")).to_have_text(
        "Cochez la case pour confirmer que votre dossier est définitif."
    )
    expect(status_badge(page)).to_have_text(DRAFT)
    page.get_by_label("J'ai vérifié mon dossier").check()
    page.get_by_role("button", name="Soumettre ma candidature").click()

    expect_flash(page, "Votre candidature est soumise.")
    expect(status_badge(page)).to_have_text(SUBMITTED)
    expect(page.locator("#application-readonly")).to_be_visible()
    expect(page.locator("#value-cin")).to_have_text("AB123456")
    expect(page.get_by_role("button", name=SAVE_DRAFT)).to_have_count(0)

    # --- 2. The coordinator finds the application and returns it for correction. ----------
    coordinator = no_motion(new_page())
    coordinator.goto("/login")
    coordinator.get_by_label("Adresse e-mail", exact=True).fill(COORDINATOR_EMAIL)
    coordinator.get_by_label("Mot de passe", exact=True).fill(DEMO_PASSWORD)
    coordinator.locator("main").get_by_role("button", name="Se connecter").click()
    expect(coordinator).to_have_url(re.compile(r"/dashboard$"))

    coordinator.get_by_role("navigation").get_by_role(
        "link", name="Candidatures", exact=True
    ).click()
    expect(heading(coordinator)).to_contain_text("Candidatures")
    search = coordinator.get_by_role("search")
    search.get_by_label("Rechercher").fill("ab123456")
    search.get_by_role("button", name="Filtrer").click()
    rows = coordinator.locator("#applications tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("AB123456")
    expect(rows).to_contain_text(STUDENT_EMAIL)
    expect(rows).to_contain_text(SUBMITTED)
    rows.get_by_role("link", name="Nour Benmoussa").click()

    expect(heading(coordinator)).to_contain_text("Nour Benmoussa")
    expect(heading(coordinator)).to_contain_text(SUBMITTED)
    expect(coordinator.locator("#field-cin")).to_have_text("AB123456")
    expect(coordinator.locator("#field-programme")).to_have_text("Génie logiciel")
    expect(coordinator.locator("#field-institution_id")).to_contain_text("ENSIAS")
    expect(coordinator.locator("#checklist li[data-done=no]")).to_have_count(0)
    coordinator.get_by_label("Message à l'étudiant").fill(CORRECTION)
    coordinator.get_by_role("button", name="Renvoyer pour correction").click()

    expect_flash(coordinator, "La candidature est renvoyée à l'étudiant pour correction.")
    expect(heading(coordinator)).to_contain_text(RETURNED)
    expect(coordinator.locator("#return-form")).to_have_count(0)
    expect(coordinator.locator("#history")).to_contain_text(CORRECTION)

    # --- 3. The student sees the message, corrects the programme, submits again. ----------
    page.reload()
    expect(status_badge(page)).to_have_text(RETURNED)
    expect(page.locator("#latest-correction")).to_contain_text(CORRECTION)
    expect(page.locator("#messages")).to_contain_text(CORRECTION)
    programme = page.get_by_label("Filière d'études")
    expect(programme).to_have_value("Génie logiciel")
    programme.fill("Génie logiciel – option ingénierie mobile")
    page.get_by_role("button", name=SAVE_DRAFT).click()
    expect_flash(page, SAVED)
    expect(status_badge(page)).to_have_text(RETURNED)
    expect(page.get_by_label("Filière d'études")).to_have_value(
        "Génie logiciel – option ingénierie mobile"
    )
    page.get_by_label("J'ai vérifié mon dossier").check()
    page.get_by_role("button", name="Soumettre ma candidature corrigée").click()

    expect_flash(page, "Votre candidature est soumise.")
    expect(status_badge(page)).to_have_text(SUBMITTED)
    expect(page.locator("#value-programme")).to_have_text(
        "Génie logiciel – option ingénierie mobile"
    )

    # The coordinator sees the corrected file, submitted again.
    coordinator.reload()
    expect(heading(coordinator)).to_contain_text(SUBMITTED)
    expect(coordinator.locator("#field-programme")).to_have_text(
        "Génie logiciel – option ingénierie mobile"
    )
