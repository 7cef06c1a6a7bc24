"""The agreement pages over HTTP: issue (law refusal, numbering), re-issue (versions), in-app
and paper signatures, préfecture, amendments, certificate, downloads (PDF, scan, cohort ZIP),
the public verification page (authentic, superseded, unknown, rate limit, nothing personal),
authorisation, and the `flask agreements` commands.

Most tests replace the PDF rendering by a tiny valid PDF (the PDF's content is tested with the
templates); ``test_real_pdf_download`` renders for real.
"""

from __future__ import annotations

import io
import zipfile
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements import services
from mnc_exchange.agreements.models import (
    Agreement,
    AgreementDocument,
    DocumentKind,
    Party,
    PrefectureDecision,
    Signature,
    SignatureMethod,
)
from mnc_exchange.applications import uploads
from mnc_exchange.applications.models import Institution
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.placements.models import Placement, PlacementStatus
from tests.factories import (
    PASSWORD,
    SAMPLE_PDF,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    TutorFactory,
    UserFactory,
    make_selected,
)


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


PNG = _png()


@pytest.fixture
def fake_pdf(monkeypatch):
    """Rendering replaced by a tiny valid PDF (for tests that do not read the PDF)."""
    calls = []

    def render(kind, snapshot, reference, code, verify_url):
        calls.append((kind, reference, code, verify_url))
        return SAMPLE_PDF

    monkeypatch.setattr(services, "render", render)
    return calls


def _institution() -> Institution:
    institution = db.session.scalar(select(Institution).where(Institution.name == "ENSIAS"))
    if institution is None:
        institution = Institution(
            name="ENSIAS",
            city="Rabat",
            legal_representative="Pr. Mohammed Alaoui",
            address="Avenue Mohammed Ben Abdallah Regragui, Rabat",
        )
        db.session.add(institution)
    return institution


def make_placement(cohort, company, n: int = 1, offer=None, **offer_attrs):
    """A confirmed placement of a selected student (with an institution, CIN, passport)."""
    offer = offer or OfferFactory(cohort=cohort, company=company, **offer_attrs)
    (application,) = make_selected(cohort, 1, start_rank=n)
    application.institution = _institution()
    application.birth_date = date(2003, 5, 17)
    application.cin = f"AB{123450 + n}"
    application.passport_number = f"ZX{998870 + n}"
    application.phone = "+212600000000"
    application.student.locale = "en"
    placement = Placement(
        cohort_id=cohort.id,
        application_id=application.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
    )
    db.session.add(placement)
    db.session.commit()
    return placement


@pytest.fixture
def world():
    """A 2027 cohort, an approved company with a host contact, one confirmed placement."""
    cohort = CohortFactory(year=2027, state=CohortState.placed, is_current=True)
    company = CompanyFactory()
    host = UserFactory(role=Role.host, company_id=company.id, locale="en")
    placement = make_placement(cohort, company)
    return cohort, company, host, placement


ISSUE_FORM = {
    "referent_name": "Pr. Samira Bennani",
    "referent_email": "s.bennani@ensias.ma",
    "activities": "Développer des API de paiement.",
    "skills_to_acquire": "Python, tests automatisés",
    "teaching_hours": "400",
    "leave_days": "5",
    "benefits": "Titres-restaurant",
    "work_address": "",
}

#: A new version voids the one in force: a reason and a ticked box.
REISSUE = {"reason": "Coquille dans le nom du référent.", "confirm": "y"}


def _issue(client, placement, **changes):
    return client.post(f"/agreements/placements/{placement.id}/issue", data=ISSUE_FORM | changes)


def _issued(placement) -> Agreement:
    db.session.expire_all()
    return db.session.scalar(select(Agreement).where(Agreement.placement_id == placement.id))


def _login(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def _issue_as_coordinator(client, placement) -> Agreement:
    coordinator = UserFactory(role=Role.coordinator, locale="en")
    _login(client, coordinator)
    assert _issue(client, placement).status_code == 302
    client.post("/logout")
    return _issued(placement)


def _documents(agreement: Agreement, kind=DocumentKind.agreement) -> list[AgreementDocument]:
    return list(
        db.session.scalars(
            select(AgreementDocument)
            .where(AgreementDocument.agreement_id == agreement.id, AgreementDocument.kind == kind)
            .order_by(AgreementDocument.version)
        )
    )


def _paper(client, document, party: str, data: bytes = SAMPLE_PDF, name: str = "scan.pdf", on=None):
    prefix = f"doc{document.id}-"
    return client.post(
        f"/agreements/documents/{document.id}/paper-signature",
        data={
            prefix + "party": party,
            prefix + "signer_name": "Signataire Papier",
            prefix + "signed_on": (on or date.today()).isoformat(),
            prefix + "scan": (io.BytesIO(data), name),
        },
        content_type="multipart/form-data",
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# --- issue ----------------------------------------------------------------------------------


def test_issue_page_prefills_and_issue_numbers_the_agreements(client, auth, world, fake_pdf):
    cohort, company, host, placement = world
    second = make_placement(cohort, company, n=2)
    auth.as_role("coordinator", locale="en")

    page = client.get("/agreements/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'href="/agreements/placements/{placement.id}/issue"' in html
    assert "Confirmed placements without an agreement" in html

    form = client.get(f"/agreements/placements/{placement.id}/issue")
    assert form.status_code == 200
    assert "Développement d&#39;API et de services de paiement mobile." in form.get_data(
        as_text=True
    )  # activities prefilled from the offer's description
    assert "Python, SQL" in form.get_data(as_text=True)

    mails_before = _count(OutboxMessage)
    response = _issue(client, placement)
    assert response.status_code == 302
    agreement = _issued(placement)
    assert agreement.number == "MNC-2027-001"
    assert agreement.referent_name == "Pr. Samira Bennani"
    assert agreement.teaching_hours == 400
    (v1,) = _documents(agreement)
    assert (v1.version, v1.reference) == (1, "MNC-2027-001")
    assert response.headers["Location"].endswith(f"/agreements/{agreement.id}")
    assert _count(OutboxMessage) == mails_before + 2  # the student and the host contact
    assert services.file_of(v1).read_bytes() == SAMPLE_PDF

    assert _issue(client, second).status_code == 302
    assert _issued(second).number == "MNC-2027-002"

    # Issuing again for the same placement does not create another agreement.
    again = client.get(f"/agreements/placements/{placement.id}/issue")
    assert again.status_code == 302
    assert _count(Agreement) == 2

    listing = client.get("/agreements/").get_data(as_text=True)
    assert "MNC-2027-001" in listing and "MNC-2027-002" in listing
    assert "Every confirmed placement has its agreement." in listing


def test_a_law_refusal_shows_the_reason_and_saves_nothing(client, auth, world, fake_pdf):
    cohort, company, host, _placement = world
    # Over 2 months of presence without a stipend: L124-6 refuses.
    placement = make_placement(cohort, company, n=3, monthly_stipend=0)
    auth.as_role("coordinator", locale="en")
    mails_before = _count(OutboxMessage)

    page = client.get(f"/agreements/placements/{placement.id}/issue")
    assert "French internship law refuses these terms" in page.get_data(as_text=True)

    response = _issue(client, placement)
    assert response.status_code == 400
    assert "French internship law refuses these terms" in response.get_data(as_text=True)
    assert _issued(placement) is None
    assert _count(AgreementDocument) == 0
    assert _count(OutboxMessage) == mails_before
    assert fake_pdf == []


def test_an_invalid_issue_form_is_answered_with_its_errors(client, auth, world, fake_pdf):
    _cohort, _company, _host, placement = world
    auth.as_role("coordinator", locale="en")
    response = _issue(client, placement, referent_email="not-an-address", teaching_hours="-3")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Enter a valid e-mail address." in html
    assert _issued(placement) is None


def test_a_proposed_placement_gets_no_agreement(client, auth, world, fake_pdf):
    _cohort, _company, _host, placement = world
    placement.status = PlacementStatus.proposed
    db.session.commit()
    auth.as_role("coordinator", locale="en")
    response = _issue(client, placement)
    assert response.status_code == 302
    assert _issued(placement) is None


# --- versions -------------------------------------------------------------------------------


def test_reissue_creates_version_2_and_supersedes_version_1(client, auth, world, fake_pdf):
    _cohort, _company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    auth.as_role("coordinator", locale="en")

    form = client.get(f"/agreements/{agreement.id}/reissue")
    assert form.status_code == 200
    assert "Pr. Samira Bennani" in form.get_data(as_text=True)  # prefilled from the agreement

    response = client.post(
        f"/agreements/{agreement.id}/reissue",
        data=ISSUE_FORM | REISSUE | {"referent_name": "Pr. Karim Tazi", "leave_days": "10"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    v1, v2 = _documents(agreement)
    assert v1.superseded_at is not None and v2.superseded_at is None
    assert (v2.version, v2.reference) == (2, "MNC-2027-001 v2")
    assert v2.snapshot["referent"]["name"] == "Pr. Karim Tazi"
    assert v1.snapshot["referent"]["name"] == "Pr. Samira Bennani"
    assert db.session.get(Agreement, agreement.id).number == "MNC-2027-001"

    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert f'id="superseded-{v1.id}"' in page
    assert "See the current version, MNC-2027-001 v2." in page


# --- signatures -----------------------------------------------------------------------------


def test_student_and_host_sign_in_the_app(client, auth, world, fake_pdf):
    _cohort, _company, host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    student = placement.application.student

    # The host company signs first (the signing order).
    _login(client, host)
    listing = client.get("/agreements/mine").get_data(as_text=True)
    assert "MNC-2027-001" in listing and "1 document to sign" in listing
    client.post(f"/agreements/documents/{document.id}/sign", data={f"doc{document.id}-accept": "y"})
    client.post("/logout")

    _login(client, student)
    mine = client.get("/agreements/mine")
    assert mine.status_code == 302
    assert mine.headers["Location"].endswith(f"/agreements/{agreement.id}")
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "I have read the agreement and I accept its terms" in page
    assert "Your signature is expected on:" in page

    # Without the confirmation box: refused, nothing recorded.
    refused = client.post(f"/agreements/documents/{document.id}/sign", data={})
    assert refused.status_code == 200  # the page again, the error beside the box
    assert f'id="doc{document.id}-accept-error"' in refused.get_data(as_text=True)
    assert _count(Signature) == 1  # the host's

    signed = client.post(
        f"/agreements/documents/{document.id}/sign", data={f"doc{document.id}-accept": "y"}
    )
    assert signed.status_code == 302
    signature = db.session.scalar(select(Signature).where(Signature.party == Party.student))
    assert (signature.party, signature.method) == (Party.student, SignatureMethod.in_app)
    assert signature.user_id == student.id
    assert signature.ip_address == "127.0.0.1"
    # Signing twice is refused with a message, not a second row.
    client.post(f"/agreements/documents/{document.id}/sign", data={f"doc{document.id}-accept": "y"})
    assert _count(Signature) == 2
    client.post("/logout")

    _login(client, host)
    db.session.expire_all()
    assert {s.party for s in db.session.scalars(select(Signature))} == {Party.student, Party.host}
    assert services.status(db.session.get(AgreementDocument, document.id)) == "partially_signed"
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "Partially signed" in page
    assert "You have signed every document in force." in page


def test_paper_signatures_with_scans_until_fully_signed(client, auth, world, fake_pdf):
    _cohort, _company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    auth.as_role("coordinator", locale="en")
    scans = uploads.upload_root() / "agreements" / "2027" / "scans"

    def scan_files() -> set:
        # The uploads folder is shared by the session: compare with what was there before.
        return set(scans.iterdir()) if scans.exists() else set()

    before = scan_files()

    # A "PDF" that is not one: refused on its content, nothing saved, no file left.
    bad = _paper(client, document, "host", data=b"this is not a PDF at all", name="scan.pdf")
    assert bad.status_code == 400
    assert "Only PDF, JPEG and PNG files are accepted" in bad.get_data(as_text=True)
    assert _count(Signature) == 0
    assert scan_files() == before

    # A PNG named .pdf is refused too (the name must match the content).
    mismatch = _paper(client, document, "host", data=PNG, name="scan.pdf")
    assert mismatch.status_code == 400
    assert _count(Signature) == 0

    # A signature dated in the future: refused by the service, the stored scan removed again.
    future = _paper(client, document, "host", on=date.today() + timedelta(days=2))
    assert future.status_code == 400
    assert "The signature date cannot be in the future." in future.get_data(as_text=True)
    assert _count(Signature) == 0
    assert scan_files() == before

    # A party already signed or unknown is refused by the form.
    assert _paper(client, document, "nobody").status_code == 400

    for party in ("host", "student", "tutor", "institution", "referent"):
        assert _paper(client, document, party).status_code == 302
    assert services.status(db.session.get(AgreementDocument, document.id)) == "partially_signed"
    assert _paper(client, document, "programme", data=PNG, name="scan.png").status_code == 302
    db.session.expire_all()
    signatures = list(db.session.scalars(select(Signature).order_by(Signature.id)))
    assert len(signatures) == 6
    assert all(s.method is SignatureMethod.paper and s.scan_stored_name for s in signatures)
    assert services.status(db.session.get(AgreementDocument, document.id)) == "fully_signed"

    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert 'data-status="fully_signed"' in page and "Fully signed" in page

    scan = client.get(f"/agreements/signatures/{signatures[0].id}/scan")
    assert scan.status_code == 200
    assert scan.data == SAMPLE_PDF
    assert scan.headers["Content-Disposition"].startswith("attachment")
    png = client.get(f"/agreements/signatures/{signatures[-1].id}/scan")
    assert png.mimetype == "image/png"

    verify = client.get(f"/verify/{document.verification_code}").get_data(as_text=True)
    assert 'data-fully-signed="yes"' in verify

    # A party who signed on paper no longer sees a form to sign.
    client.post("/logout")
    _login(client, placement.application.student)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "I have read the agreement" not in page
    assert client.get(f"/agreements/signatures/{signatures[0].id}/scan").status_code == 403


# --- préfecture, amendments, certificate ------------------------------------------------------


def test_prefecture_submission_and_decision(client, auth, world, fake_pdf):
    _cohort, _company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    assert agreement.prefecture_required  # 2 March – 31 July: over 3 months
    auth.as_role("coordinator", locale="en")
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert 'data-prefecture="to_submit"' in page

    # A decision without its date: the form refuses it.
    response = client.post(
        f"/agreements/{agreement.id}/prefecture",
        data={"submitted_on": date.today().isoformat(), "decision": "stamped"},
    )
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).prefecture_submitted_on is None

    submitted = date.today() - timedelta(days=3)
    response = client.post(
        f"/agreements/{agreement.id}/prefecture",
        data={"submitted_on": submitted.isoformat(), "decision": "pending", "note": "Dépôt"},
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Agreement, agreement.id)
    assert saved.prefecture_submitted_on == submitted
    assert services.prefecture_state(saved) == "submitted"

    response = client.post(
        f"/agreements/{agreement.id}/prefecture",
        data={
            "submitted_on": submitted.isoformat(),
            "decision": "stamped",
            "decided_on": date.today().isoformat(),
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).prefecture_decision is PrefectureDecision.stamped
    assert 'data-prefecture="stamped"' in client.get(f"/agreements/{agreement.id}").get_data(
        as_text=True
    )


def test_the_list_highlights_a_late_prefecture_submission(client, auth, fake_pdf):
    cohort = CohortFactory(year=2027, state=CohortState.placed, is_current=True)
    company = CompanyFactory()
    placement = make_placement(cohort, company)
    agreement = _issue_as_coordinator(client, placement)
    # The start comes closer than 2 months (as if time passed).
    agreement.start_on = date.today() + timedelta(days=30)
    agreement.end_on = agreement.start_on + timedelta(days=150)
    db.session.commit()
    auth.as_role("coordinator", locale="en")
    listing = client.get("/agreements/").get_data(as_text=True)
    assert 'id="prefecture-alerts"' in listing
    assert 'class="table-danger"' in listing
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert 'id="prefecture-alert"' in page


def test_amendment_changes_the_terms_and_is_checked_by_the_law(client, auth, world, fake_pdf):
    _cohort, company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    new_tutor = TutorFactory(company=company, full_name="Nadia Leroy")
    auth.as_role("coordinator", locale="en")
    page = client.get(f"/agreements/{agreement.id}/amend").get_data(as_text=True)
    assert "Nadia Leroy" in page

    # A reason without its new value: the form says which field is missing.
    response = client.post(
        f"/agreements/{agreement.id}/amend",
        data={"reasons": ["stipend"], "explanation": "Hausse."},
    )
    assert response.status_code == 400
    assert "Required for this reason." in response.get_data(as_text=True)

    # Longer than 924 hours at the same host in the academic year: refused, nothing saved.
    response = client.post(
        f"/agreements/{agreement.id}/amend",
        data={
            "reasons": ["dates"],
            "start_on": "2027-03-01",
            "end_on": "2027-12-31",
            "explanation": "Prolongation du stage.",
        },
    )
    assert response.status_code == 400
    assert "French internship law refuses these terms" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Agreement, agreement.id).end_on == date(2027, 7, 31)
    assert _documents(agreement, DocumentKind.amendment) == []

    response = client.post(
        f"/agreements/{agreement.id}/amend",
        data={
            "reasons": ["tutor", "stipend"],
            "tutor_id": str(new_tutor.id),
            "monthly_stipend": "850,00",
            "explanation": "Changement de tuteur et revalorisation.",
        },
    )
    assert response.status_code == 302
    db.session.expire_all()
    saved = db.session.get(Agreement, agreement.id)
    assert saved.tutor_id == new_tutor.id
    assert saved.monthly_stipend == Decimal("850.00")
    (amendment,) = _documents(agreement, DocumentKind.amendment)
    assert amendment.reference == "MNC-2027-001-A1"
    assert amendment.reasons == ["tutor", "stipend"]
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "MNC-2027-001-A1" in page
    assert f'id="paper-form-{amendment.id}"' in page  # its own signatures


def test_certificate_after_the_end_of_a_fully_signed_agreement(client, auth, fake_pdf):
    # A short internship that ended before today (no préfecture; stipend due over 2 months).
    cohort = CohortFactory(year=2026, state=CohortState.abroad, is_current=True)
    company = CompanyFactory()
    placement = make_placement(cohort, company, start_on=date(2026, 6, 1), end_on=date(2026, 8, 14))
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    auth.as_role("coordinator", locale="en")

    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert 'id="certificate-unsigned"' in page
    refused = client.post(
        f"/agreements/{agreement.id}/certificate", data={"total_stipend_paid": "1800"}
    )
    assert refused.status_code == 400
    assert "The agreement is not fully signed." in refused.get_data(as_text=True)
    assert _documents(agreement, DocumentKind.certificate) == []

    for party in ("host", "student", "tutor", "institution", "referent", "programme"):
        assert _paper(client, document, party).status_code == 302
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert 'id="certificate-form"' in page
    response = client.post(
        f"/agreements/{agreement.id}/certificate",
        data={"total_stipend_paid": "1 812,50", "programme_note": "Très bon stage."},
    )
    assert response.status_code == 302
    (certificate,) = _documents(agreement, DocumentKind.certificate)
    assert certificate.reference == "MNC-2026-001-ATT"
    assert certificate.snapshot["certificate"]["total_stipend_paid"] == "1812.50"
    verify = client.get(f"/verify/{certificate.verification_code}").get_data(as_text=True)
    assert "Internship certificate" in verify


# --- downloads ------------------------------------------------------------------------------


def test_download_serves_the_pdf_as_an_attachment(client, auth, world, fake_pdf):
    _cohort, _company, host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    for user in (placement.application.student, host):
        _login(client, user)
        response = client.get(f"/agreements/documents/{document.id}/download")
        assert response.status_code == 200
        assert response.mimetype == "application/pdf"
        assert response.data == SAMPLE_PDF
        disposition = response.headers["Content-Disposition"]
        assert disposition.startswith("attachment") and "MNC-2027-001.pdf" in disposition
        client.post("/logout")


def test_cohort_zip_holds_the_documents_in_force(client, auth, world, fake_pdf):
    cohort, company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    second = _issue_as_coordinator(client, make_placement(cohort, company, n=2))
    auth.as_role("coordinator", locale="en")
    client.post(
        f"/agreements/{agreement.id}/reissue", data=ISSUE_FORM | REISSUE | {"leave_days": "2"}
    )
    client.post(
        f"/agreements/{agreement.id}/amend",
        data={"reasons": ["stipend"], "monthly_stipend": "800", "explanation": "Hausse."},
    )
    response = client.get(f"/agreements/cohorts/{cohort.id}/agreements.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "agreements-2027.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    assert sorted(archive.namelist()) == [
        "MNC-2027-001 v2.pdf",
        "MNC-2027-001-A1.pdf",
        f"{second.number}.pdf",
    ]
    assert archive.read("MNC-2027-001 v2.pdf") == SAMPLE_PDF

    # A cohort without agreements: a message, not an empty archive.
    other = CohortFactory(year=2026)
    empty = client.get(f"/agreements/cohorts/{other.id}/agreements.zip")
    assert empty.status_code == 302


def test_real_pdf_download(client, auth, world):
    _cohort, _company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    auth.as_role("coordinator", locale="en")
    response = client.get(f"/agreements/documents/{document.id}/download")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF")
    import hashlib

    assert hashlib.sha256(response.data).hexdigest() == document.sha256


# --- verification ---------------------------------------------------------------------------


def test_verification_page_authentic_current_and_nothing_personal(client, world, fake_pdf):
    _cohort, company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    application = placement.application
    response = client.get(
        f"/verify/{document.verification_code}", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-verdict="current"' in html
    assert "MNC-2027-001" in html
    assert f"{application.first_name} {application.last_name}" in html
    assert company.legal_name in html and "ENSIAS" in html
    assert 'data-fully-signed="no"' in html
    for secret in (
        application.cin,
        application.passport_number,
        "2003",  # birth year
        "700",  # stipend
        application.student.email,
        agreement.referent_email,
    ):
        assert secret not in html, secret
    assert response.headers["X-Robots-Tag"].startswith("noindex")
    # The code is read case-insensitively (typed from the paper).
    assert client.get(f"/verify/{document.verification_code.lower()}").status_code == 200


def test_verification_of_a_superseded_version(client, auth, world, fake_pdf):
    _cohort, _company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    auth.as_role("coordinator", locale="en")
    client.post(f"/agreements/{agreement.id}/reissue", data=ISSUE_FORM | REISSUE)
    client.post("/logout")
    v1, v2 = _documents(agreement)
    html = client.get(f"/verify/{v1.verification_code}").get_data(as_text=True)
    assert 'data-verdict="superseded"' in html
    assert "MNC-2027-001 v2" in html
    html = client.get(f"/verify/{v2.verification_code}").get_data(as_text=True)
    assert 'data-verdict="current"' in html


def test_verification_of_an_unknown_code_is_a_404_page(client):
    response = client.get("/verify/NOSUCHCODE123")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert 'data-verdict="unknown"' in html
    assert "NOSUCHCODE123" in html
    assert "Traceback" not in html
    assert client.get("/verify/" + "X" * 200).status_code == 404


def test_verification_is_rate_limited(app, client, monkeypatch):
    from mnc_exchange.agreements import views_verify

    assert views_verify.DEFAULT_LIMIT == "30 per minute"
    monkeypatch.setitem(app.config, "VERIFY_RATE_LIMIT", "3 per minute")
    codes = [client.get(f"/verify/CODE{i}").status_code for i in range(4)]
    assert codes == [404, 404, 404, 429]


# --- authorisation --------------------------------------------------------------------------


def test_other_parties_never_see_an_agreement(client, auth, world, fake_pdf):
    cohort, _company, _host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    urls = [
        f"/agreements/{agreement.id}",
        f"/agreements/documents/{document.id}/download",
    ]
    # Another company's host contact: 404 (not revealed), and their list is empty.
    other_company = CompanyFactory()
    auth.as_role("host", locale="en", company_id=other_company.id)
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            f"/agreements/documents/{document.id}/sign", data={f"doc{document.id}-accept": "y"}
        ).status_code
        == 404
    )
    assert "MNC-2027-001" not in client.get("/agreements/mine").get_data(as_text=True)
    assert client.get("/agreements/").status_code == 403
    client.post("/logout")

    # Another student: 404; their "My agreement" says there is none.
    auth.as_role("student", locale="en")
    for url in urls:
        assert client.get(url).status_code == 404, url
    assert "You have no internship agreement yet." in client.get("/agreements/mine").get_data(
        as_text=True
    )
    client.post("/logout")

    # An official: 403 everywhere.
    auth.as_role("official", locale="en")
    for url in [*urls, "/agreements/", f"/agreements/cohorts/{cohort.id}/agreements.zip"]:
        assert client.get(url).status_code == 403, url
    assert _count(Signature) == 0


def test_the_student_and_the_host_cannot_manage(client, world, fake_pdf):
    _cohort, _company, host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    (document,) = _documents(agreement)
    for user in (placement.application.student, host):
        _login(client, user)
        assert client.get(f"/agreements/{agreement.id}/reissue").status_code == 403
        assert client.post(f"/agreements/{agreement.id}/amend", data={}).status_code == 403
        assert _paper(client, document, "tutor").status_code == 403
        page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
        assert "Record a signature made on paper" not in page
        assert 'id="prefecture-form"' not in page
        client.post("/logout")
    assert _count(Signature) == 0


# --- commands -------------------------------------------------------------------------------


def test_cli_generate_renders_the_current_versions(runner, world, fake_pdf, tmp_path):
    cohort, company, _host, placement = world
    coordinator = UserFactory(role=Role.coordinator)
    services.issue(placement, services.IssueInput("Pr. A", "a@ensias.ma", "x", "y"), coordinator)
    db.session.commit()
    waiting = make_placement(cohort, company, n=2)
    result = runner.invoke(args=["agreements", "generate", "2027", "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "MNC-2027-001.pdf").read_bytes() == SAMPLE_PDF
    assert "1 agreement(s)" in result.output
    assert "1 confirmed placement(s) still without an agreement" in result.output
    assert f"placement {waiting.id}" in result.output
    kind, reference, code, url = fake_pdf[-1]
    assert (kind, reference) == (DocumentKind.agreement, "MNC-2027-001")
    assert url.endswith(f"/verify/{code}")

    unknown = runner.invoke(args=["agreements", "generate", "1999"])
    assert unknown.exit_code != 0 and "No cohort for 1999" in unknown.output


def test_cli_remind_queues_the_reminders_once_a_day(runner, world, fake_pdf):
    _cohort, _company, _host, placement = world
    coordinator = UserFactory(role=Role.coordinator)
    services.issue(placement, services.IssueInput("Pr. A", "a@ensias.ma", "x", "y"), coordinator)
    db.session.commit()
    before = _count(OutboxMessage)
    result = runner.invoke(args=["agreements", "remind"])
    assert result.exit_code == 0, result.output
    queued = _count(OutboxMessage) - before
    # The host contact, whose signature comes first in the signing order.
    assert queued == 1
    assert f"{queued} reminder e-mail(s) queued." in result.output
    again = runner.invoke(args=["agreements", "remind"])
    assert "0 reminder e-mail(s) queued." in again.output


def test_the_cohort_list_makes_no_query_per_row(app, client, auth, world, fake_pdf):
    from sqlalchemy import event

    cohort, company, _host, placement = world
    _issue_as_coordinator(client, placement)
    make_placement(cohort, company, n=5)  # one placement waiting for its agreement
    auth.as_role("coordinator", locale="en")
    with app.app_context():
        engine = db.engine
    statements = []

    def count(*args):
        statements.append(args[2])

    def queries_for_list() -> int:
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        try:
            assert client.get("/agreements/").status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(statements)

    few = queries_for_list()
    for n in (2, 3, 4):
        _issue_as_coordinator(client, make_placement(cohort, company, n=n))
        make_placement(cohort, company, n=10 + n)
    _login(client, UserFactory(role=Role.coordinator, locale="en"))
    assert few > 3
    assert queries_for_list() == few


def test_dashboards_link_to_the_agreements(client, auth, world, fake_pdf):
    _cohort, _company, _host, placement = world
    _login(client, placement.application.student)
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="my-agreement-link"' in page and 'href="/agreements/mine"' in page
    client.post("/logout")
    auth.as_role("coordinator", locale="en")
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="link-agreements"' in page


def test_a_superseded_version_cannot_be_signed(client, auth, world, fake_pdf):
    _cohort, _company, host, placement = world
    agreement = _issue_as_coordinator(client, placement)
    auth.as_role("coordinator", locale="en")
    client.post(f"/agreements/{agreement.id}/reissue", data=ISSUE_FORM | REISSUE)
    client.post("/logout")
    v1, v2 = _documents(agreement)
    _login(client, host)  # the first to sign
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert f'id="sign-form-{v1.id}"' not in page and f'id="sign-form-{v2.id}"' in page
    response = client.post(
        f"/agreements/documents/{v1.id}/sign",
        data={f"doc{v1.id}-accept": "y"},
        follow_redirects=True,
    )
    assert "This version has been superseded: sign the current one." in response.get_data(
        as_text=True
    )
    assert _count(Signature) == 0
