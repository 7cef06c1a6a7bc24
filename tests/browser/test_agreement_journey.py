"""End-to-end journey of an internship agreement (issue 6): a coordinator issues the agreement
of a confirmed placement and downloads its PDF; the host contact and the student sign it in the
application; the coordinator records the paper signatures of the other parties with the signed
scan; anybody holding the printed document checks it on the public verification page.

The premises (cohort, coordinator, host company with its contact and tutor, a selected student
with a full file and a placement the company confirmed on a legal offer) are loaded directly;
everything else goes through the browser (CSRF on). The interface stays in French, whose
catalogue does not cover these pages yet: the selectors use ids, names and data attributes,
and the texts asserted are numbers, names and values typed in this test, so the test keeps
passing once the catalogue is translated.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date
from decimal import Decimal
from pathlib import Path

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the `browser` fixture skips, or fails in CI, and says why
    Page = expect = None

from sqlalchemy import func, select

from mnc_exchange import internship_law as law
from mnc_exchange.accounts.models import Role, User
from mnc_exchange.agreements.models import (
    Agreement,
    AgreementDocument,
    DocumentKind,
    Party,
    Signature,
    SignatureMethod,
)
from mnc_exchange.applications import uploads
from mnc_exchange.applications.models import Institution
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.placements.models import Placement, PlacementStatus
from tests.browser.helpers import (
    expect_flash,
    log_in,
    no_motion,
    open_paper_form,
    programme_menu,
)
from tests.factories import (
    SAMPLE_PDF,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    TutorFactory,
    UserFactory,
    make_selected,
)

COORDINATOR = ("Karima Lahlou", "karima.lahlou@mnc.example.ma")
HOST = ("Julien Moreau", "julien.moreau@paiements-numeriques.example.fr")
COMPANY = "Paiements Numériques Lyon SAS"
TUTOR = ("Sophie Lambert", "sophie.lambert@paiements-numeriques.example.fr")
STUDENT = ("Salma", "Bennani", "salma.bennani@etudiant.example.ma")
CIN = "BK471203"
PASSPORT = "ZR5830194"
BIRTH_DATE = date(2003, 5, 17)
INSTITUTION = ("ENSIAS", "Rabat", "Pr. Mohammed Alaoui")

#: What the coordinator types on the issue form.
REFERENT = ("Pr. Samira Tazi", "samira.tazi@ensias.example.ma")
ISSUE = {
    "referent_name": REFERENT[0],
    "referent_email": REFERENT[1],
    "teaching_hours": "420",
    "activities": "Conception et développement des API REST de paiement mobile.",
    "skills_to_acquire": "Python, API REST, sécurité des paiements",
    "leave_days": "5",
    "benefits": "Titres-restaurant, moitié du passe Navigo",
}
#: The signatures made on paper: party -> the signer's name.
PAPER = {
    Party.tutor: TUTOR[0],
    Party.institution: INSTITUTION[2],
    Party.referent: REFERENT[0],
    Party.programme: "Nadia Berrada",
}

#: The cohort's year: next year (agreements are issued months ahead), but never beyond the
#: year after the last ceiling of the legal table (later years have no legal minimum to check).
YEAR = min(date.today().year + 1, max(law.SOCIAL_SECURITY_HOURLY_CEILING) + 1)
#: 1 March – 28 May: a stipend is due (more than 2 months), no préfecture step (3 months or
#: less), so no deadline depends on the day the test runs.
START, END = date(YEAR, 3, 1), date(YEAR, 5, 28)
WEEKLY_HOURS = 35
STIPEND = Decimal("750.00")
NUMBER = f"MNC-{YEAR}-001"


def make_user(role: Role, name: str, email: str, **attrs) -> User:
    return UserFactory(role=role, full_name=name, email=email, locale="fr", **attrs)


def seed() -> dict:
    """The current cohort (placed), a coordinator, an approved company with its host contact
    and tutor, and a selected student (institution, birth date, CIN, passport) whose placement
    on the company's legal offer is confirmed. Returns the ids and e-mails the journey needs."""
    premises = law.presence_hours(START, END, WEEKLY_HOURS)
    assert premises > law.GRATIFICATION_THRESHOLD_HOURS
    assert not law.lasts_more_than_months(START, END, law.LONG_STAY_THRESHOLD_MONTHS)
    ceiling_year = YEAR if YEAR in law.SOCIAL_SECURITY_HOURLY_CEILING else YEAR - 1
    assert law.monthly_minimum(ceiling_year, WEEKLY_HOURS) <= STIPEND

    cohort = CohortFactory(
        year=YEAR, title=f"MNC {YEAR}", state=CohortState.placed, is_current=True, quota=5
    )
    make_user(Role.coordinator, *COORDINATOR)
    company = CompanyFactory(legal_name=COMPANY, city="Lyon", postcode="69002")
    host = make_user(Role.host, *HOST, company_id=company.id)
    tutor = TutorFactory(
        company=company, full_name=TUTOR[0], email=TUTOR[1], job_title="Responsable back-end"
    )
    offer = OfferFactory(
        cohort=cohort,
        company=company,
        tutor=tutor,
        title="Stage développement d'API de paiement mobile",
        city="Lyon",
        start_on=START,
        end_on=END,
        weekly_hours=WEEKLY_HOURS,
        daily_hours=7,
        monthly_stipend=STIPEND,
    )
    (application,) = make_selected(cohort, 1)
    first, last, email = STUDENT
    application.first_name, application.last_name = first, last
    application.student.full_name = f"{first} {last}"
    application.student.email = email
    application.institution = Institution(
        name=INSTITUTION[0],
        city=INSTITUTION[1],
        legal_representative=INSTITUTION[2],
        address="Avenue Mohammed Ben Abdallah Regragui, Madinat Al Irfane, Rabat",
    )
    application.birth_date = BIRTH_DATE
    application.cin = CIN
    application.passport_number = PASSPORT
    placement = Placement(
        cohort_id=cohort.id,
        application_id=application.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
        responded_at=utcnow(),
        responded_by_id=host.id,
    )
    db.session.add(placement)
    db.session.commit()
    ids = {"placement": placement.id, "tutor": tutor.id, "student": application.student_id}
    db.session.commit()  # end the read: the live server writes next
    return ids


def the_agreement() -> Agreement:
    db.session.expire_all()
    return db.session.scalar(select(Agreement).where(Agreement.number == NUMBER))


def test_agreement_is_issued_signed_in_the_app_and_on_paper_and_verified(
    page: Page, new_page, tmp_path: Path
):
    ids = seed()
    placement_id = ids["placement"]

    # --- 1. The coordinator issues the agreement and downloads its PDF. --------------------
    coordinator = no_motion(page)
    log_in(coordinator, COORDINATOR[1])
    programme_menu(coordinator, "nav-agreements")
    expect(coordinator).to_have_url(re.compile(r"/agreements/$"))
    expect(coordinator.locator("#no-agreements")).to_be_visible()
    waiting = coordinator.locator(f"#waiting tr[data-placement='{placement_id}']")
    expect(waiting).to_contain_text(f"{STUDENT[0]} {STUDENT[1]}")
    expect(waiting).to_contain_text(COMPANY)
    waiting.locator(f"#issue-{placement_id}").click()
    expect(coordinator).to_have_url(re.compile(rf"/agreements/placements/{placement_id}/issue$"))
    expect(coordinator.locator("#law-violations")).to_have_count(0)
    expect(coordinator.locator("#no-institution")).to_have_count(0)
    form = coordinator.locator("#issue-form")
    # The content of the internship is prefilled from the offer.
    expect(form.locator("#activities")).not_to_have_value("")
    for name, value in ISSUE.items():
        form.locator(f"[name='{name}']").fill(value)
    form.locator("#submit").click()

    expect(coordinator).to_have_url(re.compile(r"/agreements/\d+$"))
    expect_flash(coordinator, "success", NUMBER)
    expect(coordinator.get_by_role("heading", level=1)).to_contain_text(NUMBER)
    expect(coordinator.locator("#agreement-status")).to_have_attribute("data-status", "issued")
    expect(coordinator.locator("#parties")).to_contain_text(REFERENT[0])
    expect(coordinator.locator("#parties")).to_contain_text(TUTOR[0])
    expect(coordinator.locator("#prefecture-state")).to_have_attribute(
        "data-prefecture", "not_required"
    )

    agreement = the_agreement()
    assert agreement is not None and agreement.placement_id == placement_id
    assert (agreement.start_on, agreement.end_on) == (START, END)
    assert agreement.monthly_stipend == STIPEND and agreement.tutor_id == ids["tutor"]
    assert (agreement.referent_name, agreement.referent_email) == REFERENT
    assert agreement.teaching_hours == 420 and agreement.leave_days == 5
    assert agreement.benefits == ISSUE["benefits"]
    assert agreement.activities == ISSUE["activities"]
    assert not agreement.prefecture_required
    (document,) = agreement.documents
    doc_id, code, sha256 = document.id, document.verification_code, document.sha256
    assert (document.kind, document.version, document.reference) == (
        DocumentKind.agreement,
        1,
        NUMBER,
    )
    # The student and the host contact are e-mailed to sign.
    recipients = set(
        db.session.scalars(
            select(OutboxMessage.recipient).where(OutboxMessage.subject.contains(NUMBER))
        )
    )
    assert recipients == {STUDENT[2], HOST[1]}
    db.session.commit()

    card = coordinator.locator(f"#doc-{doc_id}")
    expect(card).to_have_attribute("data-reference", NUMBER)
    expect(card.locator(f"#status-{doc_id}")).to_have_attribute("data-status", "issued")
    expect(card.locator("tr[data-missing]")).to_have_count(6)
    with coordinator.expect_download() as download_info:
        card.locator(f"#download-{doc_id}").click()
    download = download_info.value
    assert download.suggested_filename == f"{NUMBER}.pdf"
    pdf = Path(download.path()).read_bytes()
    assert pdf.startswith(b"%PDF-")
    assert hashlib.sha256(pdf).hexdigest() == sha256  # the very file issued and hashed

    # --- 2. The host contact signs in the application. ------------------------------------
    host = no_motion(new_page())
    log_in(host, HOST[1])
    # No menu entry leads hosts to their agreements yet (see the report): the list's URL.
    host.goto("/agreements/mine")
    expect(host.locator("#to-sign")).to_be_visible()
    row = host.locator(f"#agreements tr[data-agreement='{agreement.id}']")
    expect(row).to_contain_text(f"{STUDENT[0]} {STUDENT[1]}")
    row.get_by_role("link", name=NUMBER).click()
    expect(host).to_have_url(re.compile(rf"/agreements/{agreement.id}$"))
    expect(host.locator("#to-sign")).to_contain_text(NUMBER)
    expect(host.locator(f"#paper-{doc_id}")).to_have_count(0)  # coordinators only
    sign = host.locator(f"#sign-form-{doc_id}")
    # The acceptance box is required in the page: the browser does not send the form without
    # it, and nothing is recorded.
    box = sign.locator(f"#doc{doc_id}-accept")
    expect(box).to_have_attribute("required", "")
    sign.locator("[type=submit]").click()
    assert box.evaluate("element => element.validity.valueMissing")
    expect(host).to_have_url(re.compile(rf"/agreements/{agreement.id}$"))
    assert db.session.scalar(select(func.count(Signature.id))) == 0
    db.session.commit()
    sign = host.locator(f"#sign-form-{doc_id}")
    sign.locator(f"#doc{doc_id}-accept").check()
    sign.locator("[type=submit]").click()
    expect_flash(host, "success", NUMBER)
    expect(host.locator("#nothing-to-sign")).to_be_visible()
    expect(host.locator(f"#sign-form-{doc_id}")).to_have_count(0)
    expect(host.locator("#agreement-status")).to_have_attribute("data-status", "partially_signed")
    expect(host.locator(f"#signatures-{doc_id} tr[data-party='host']")).to_contain_text(HOST[0])

    # --- 3. The student signs the same way. -----------------------------------------------
    student = no_motion(new_page())
    log_in(student, STUDENT[2])
    student.locator("#my-agreement-link").click()  # straight to the student's agreement
    expect(student).to_have_url(re.compile(rf"/agreements/{agreement.id}$"))
    expect(student.locator("#to-sign")).to_contain_text(NUMBER)
    expect(student.locator(f"#paper-{doc_id}")).to_have_count(0)
    sign = student.locator(f"#sign-form-{doc_id}")
    sign.locator(f"#doc{doc_id}-accept").check()
    sign.locator("[type=submit]").click()
    expect_flash(student, "success", NUMBER)
    expect(student.locator("#nothing-to-sign")).to_be_visible()
    expect(student.locator("#agreement-status")).to_have_attribute(
        "data-status", "partially_signed"
    )
    expect(student.locator(f"#signatures-{doc_id} tr[data-party='student']")).to_contain_text(
        f"{STUDENT[0]} {STUDENT[1]}"
    )

    # --- 4. The coordinator records the paper signatures of the other four parties. -------
    scan = tmp_path / "convention-signee.pdf"
    scan.write_bytes(SAMPLE_PDF)
    signed_on = date.today().isoformat()
    coordinator.reload()
    expect(coordinator.locator("#agreement-status")).to_have_attribute(
        "data-status", "partially_signed"
    )
    for party, signer in PAPER.items():
        form = open_paper_form(coordinator, doc_id)
        form.locator(f"#doc{doc_id}-party").select_option(party.value)
        form.locator(f"#doc{doc_id}-signer_name").fill(signer)
        form.locator(f"#doc{doc_id}-signed_on").fill(signed_on)
        form.locator(f"#doc{doc_id}-scan").set_input_files(str(scan))
        form.locator("[type=submit]").click()
        expect_flash(coordinator, "success", NUMBER)
        row = coordinator.locator(f"#signatures-{doc_id} tr[data-party='{party.value}']")
        expect(row).to_contain_text(signer)
        expect(row.locator("a[id^='scan-']")).to_have_count(1)
    expect(coordinator.locator("#agreement-status")).to_have_attribute(
        "data-status", "fully_signed"
    )
    expect(coordinator.locator(f"#status-{doc_id}")).to_have_attribute(
        "data-status", "fully_signed"
    )
    expect(coordinator.locator(f"#signatures-{doc_id} tr[data-missing]")).to_have_count(0)
    expect(coordinator.locator(f"#paper-{doc_id}")).to_have_count(0)  # nobody left to sign

    # --- 5. Anybody holding the printed agreement checks it. ------------------------------
    visitor = no_motion(new_page())
    visitor.goto(f"/verify/{code}")
    expect(visitor.locator("#verdict")).to_have_attribute("data-verdict", "current")
    expect(visitor.locator("#reference")).to_have_text(NUMBER)
    expect(visitor.locator("#student")).to_have_text(f"{STUDENT[0]} {STUDENT[1]}")
    expect(visitor.locator("#host")).to_have_text(COMPANY)
    expect(visitor.locator("#institution")).to_have_text(INSTITUTION[0])
    expect(visitor.locator("#signature-status")).to_have_attribute("data-fully-signed", "yes")
    expect(visitor.locator("#signature-status")).to_contain_text("6")
    content = visitor.locator("main")
    for private in (CIN, PASSPORT, BIRTH_DATE.isoformat(), "17/05/2003", str(STIPEND)):
        expect(content).not_to_contain_text(private)
    # A code nobody issued is not authentic.
    response = visitor.goto("/verify/AAAAAAAAAAAAAAAAAAAA")
    assert response is not None and response.status == 404
    expect(visitor.locator("#verdict")).to_have_attribute("data-verdict", "unknown")

    # --- The database: six signatures, two in the app, four on paper with their scans. ----
    db.session.expire_all()
    document = db.session.get(AgreementDocument, doc_id)
    signatures = {s.party: s for s in document.signatures}
    assert set(signatures) == set(Party) and len(document.signatures) == 6
    assert db.session.scalar(select(func.count(Signature.id))) == 6
    host_user = db.session.scalar(select(User).where(User.email == HOST[1]))
    for party, user_id in ((Party.host, host_user.id), (Party.student, ids["student"])):
        signature = signatures[party]
        assert signature.method is SignatureMethod.in_app
        assert signature.user_id == user_id and signature.ip_address == "127.0.0.1"
        assert signature.scan_stored_name is None
    coordinator_id = db.session.scalar(select(User.id).where(User.email == COORDINATOR[1]))
    for party, signer in PAPER.items():
        signature = signatures[party]
        assert signature.method is SignatureMethod.paper
        assert signature.signer_name == signer
        assert signature.recorded_by_id == coordinator_id
        assert signature.signed_at.date() == date.fromisoformat(signed_on)
        assert signature.scan_sha256 == hashlib.sha256(SAMPLE_PDF).hexdigest()
        assert uploads.path_of(signature.scan_stored_name).read_bytes() == SAMPLE_PDF
    assert document.superseded_at is None
    events = list(
        db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("agreement.%")))
    )
    assert events.count("agreement.issue") == 1
    assert events.count("agreement.sign") == 6
    assert events.count("agreement.fully_signed") == 1
    db.session.commit()
