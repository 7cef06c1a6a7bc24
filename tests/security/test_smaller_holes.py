"""Issue 13 §6, the smaller holes: a company's change of legal identity, huge images and a
full disk on upload, CSV injection through any separator, the error page when the database
is down for a logged-in user, and the Permissions-Policy / Cache-Control headers."""

from __future__ import annotations

import csv
import errno
import io
import re
import struct
import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.exc import OperationalError

from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements import services as agreements
from mnc_exchange.agreements.models import Agreement, AgreementDocument, DocumentKind
from mnc_exchange.applications import uploads
from mnc_exchange.applications.models import Application, ApplicationStatus, Document, Institution
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.errors import DomainError
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.hosts.models import Company, CompanyStatus
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.offers import services as offers
from mnc_exchange.offers.models import OfferStatus
from mnc_exchange.placements.models import Placement, PlacementStatus
from tests.factories import (
    PASSWORD,
    SAMPLE_PDF,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    UserFactory,
    make_selected,
)

# --- helpers ---------------------------------------------------------------------------------


def english(client) -> None:
    client.post("/language", data={"lang": "en", "next": "/"})


def text(response) -> str:
    return response.get_data(as_text=True)


def fresh(model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def outbox_to(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)))


def company_form(company: Company, **changes) -> dict:
    data = {
        "legal_name": company.legal_name,
        "siret": company.siret,
        "naf_code": company.naf_code,
        "address": company.address,
        "postcode": company.postcode,
        "city": company.city,
        "headcount": str(company.headcount),
        "sector": company.sector,
        "representative_name": company.representative_name or "",
        "representative_title": company.representative_title or "",
    }
    if company.mnc_member:
        data["mnc_member"] = "y"
    data.update(changes)
    return data


def last_update_event(company_id: int) -> AuditEvent:
    return db.session.scalar(
        select(AuditEvent)
        .where(AuditEvent.action == "company.update", AuditEvent.target_id == company_id)
        .order_by(AuditEvent.id.desc())
    )


@pytest.fixture
def host(auth):
    """An approved contact of an approved company, logged in, speaking English."""
    company = CompanyFactory(legal_name="Atlas Logiciels SARL", siret="73282932000074")
    user = auth.as_role("host", locale="en", company_id=company.id)
    english(auth.client)
    return user


def make_agreement(company: Company, coordinator) -> AgreementDocument:
    """A confirmed placement at ``company`` with its issued agreement (version 1; the stored
    PDF is a small sample, the snapshot the real one)."""
    cohort = CohortFactory(year=2027)
    offer = OfferFactory(cohort=cohort, company=company)
    student = UserFactory(role=Role.student)
    institution = Institution(
        name="ENSIAS", city="Rabat", legal_representative="Le directeur", address="Rabat"
    )
    application = Application(
        cohort_id=cohort.id,
        student_id=student.id,
        status=ApplicationStatus.selected,
        first_name="Salma",
        last_name="Idrissi",
        birth_date=date(2003, 1, 2),
        cin="AC123456",
        programme="Génie logiciel",
        year_of_study=4,
        pole_ranking=[],
        institution=institution,
        submitted_at=utcnow(),
        eligibility_reasons=[],
        final_score=Decimal(80),
        final_rank=1,
    )
    db.session.add_all([institution, application])
    db.session.flush()
    placement = Placement(
        cohort_id=cohort.id,
        application_id=application.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
    )
    db.session.add(placement)
    db.session.flush()
    agreement = Agreement(
        cohort_id=cohort.id,
        placement_id=placement.id,
        sequence=1,
        number="MNC-2027-001",
        start_on=offer.start_on,
        end_on=offer.end_on,
        weekly_hours=offer.weekly_hours,
        daily_hours=offer.daily_hours,
        monthly_stipend=offer.monthly_stipend,
        tutor_id=offer.tutor_id,
        work_address=company.address,
        work_city=offer.city,
        referent_name="Pr. Référent",
        referent_email="referent@example.ma",
        activities="Activités",
        skills_to_acquire="Compétences",
    )
    agreement.placement, agreement.cohort = placement, cohort
    db.session.add(agreement)
    db.session.flush()
    pdf = uploads.check_upload(io.BytesIO(SAMPLE_PDF), "MNC-2027-001.pdf")
    document = AgreementDocument(
        agreement_id=agreement.id,
        kind=DocumentKind.agreement,
        version=1,
        reference=agreement.number,
        snapshot=agreements.build_snapshot(agreement),
        stored_name=uploads.store(pdf, "agreements/2027"),
        sha256=pdf.sha256,
        size=len(pdf.data),
        verification_code="SMALLHOLES2345678923",
        issued_by_id=coordinator.id,
    )
    db.session.add(document)
    db.session.commit()
    return document


def issue_input() -> agreements.IssueInput:
    return agreements.IssueInput(
        referent_name="Pr. Référent",
        referent_email="referent@example.ma",
        activities="Activités",
        skills_to_acquire="Compétences",
    )


# --- 1. a change of legal identity needs a new approval ----------------------------------------


def test_a_new_legal_name_and_siret_send_the_company_back_to_approval(client, host):
    coordinator = UserFactory(role=Role.coordinator, locale="en")
    company = db.session.get(Company, host.company_id)
    response = client.post(
        "/company/edit",
        data=company_form(company, legal_name="Globex France SAS", siret="552 100 554 00013"),
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "waits for approval by a programme coordinator" in text(response)

    company = fresh(Company, company.id)
    assert company.legal_name == "Globex France SAS" and company.siret == "55210055400013"
    assert company.status is CompanyStatus.pending and company.identity_change_pending
    # The coordinators are told, with the former and the new identity.
    [message] = outbox_to(coordinator.email)
    assert "Atlas Logiciels SARL" in message.body_text and "Globex France SAS" in message.body_text
    assert "73282932000074" in message.body_text and "55210055400013" in message.body_text
    # The audit entry says what changed.
    details = last_update_event(company.id).details
    assert details["changes"]["legal_name"] == {
        "before": "Atlas Logiciels SARL",
        "after": "Globex France SAS",
    }
    assert details["changes"]["siret"] == {"before": "73282932000074", "after": "55210055400013"}
    assert details["back_to_approval"] is True
    # What a pending company may not do: publish or create offers, invite colleagues.
    cohort = CohortFactory(state=CohortState.open, is_current=True)
    offer = OfferFactory(cohort=cohort, company=company, status=OfferStatus.approved)
    with pytest.raises(DomainError):
        offers.transition(offer, OfferStatus.published, host)
    db.session.rollback()
    response = client.post("/company/invitations", data={"email": "new@globex.fr"})
    assert response.status_code == 400
    assert "must be approved before inviting" in text(response)
    # The coordinator sees the change on the company's page and approves it.
    staff = client.application.test_client()
    english(staff)
    assert staff.post("/login", data={"email": coordinator.email, "password": PASSWORD}).status_code
    page = text(staff.get(f"/companies/{company.id}"))
    assert f'id="identity-changes-{company.id}"' in page
    assert "Atlas Logiciels SARL" in page and "Globex France SAS" in page
    assert f'id="identity-changes-{company.id}"' in text(staff.get("/hosts/pending"))
    assert staff.post(f"/companies/{company.id}/approve").status_code == 302
    assert fresh(Company, company.id).is_approved


def test_running_work_carries_on_and_issued_agreements_keep_the_former_name(client, host):
    coordinator = UserFactory(role=Role.coordinator)
    company = db.session.get(Company, host.company_id)
    document = make_agreement(company, coordinator)
    before = dict(document.snapshot)
    assert before["host"]["legal_name"] == "Atlas Logiciels SARL"

    response = client.post("/company/edit", data=company_form(company, legal_name="Globex SAS"))
    assert response.status_code == 302
    company = fresh(Company, company.id)
    assert company.status is CompanyStatus.pending

    # The issued agreement is unchanged, and can still be downloaded and read.
    document = fresh(AgreementDocument, document.id)
    assert document.snapshot == before
    assert client.get(f"/agreements/documents/{document.id}/download").status_code == 200
    assert client.get(f"/agreements/{document.agreement_id}").status_code == 200
    # The company's pages and its running work stay open to its contacts.
    for url in ("/company", "/company/edit", "/company/tutors", "/company/placements"):
        assert client.get(url).status_code == 200, url
    assert client.get("/company/interns").status_code == 200
    assert 'id="identity-pending-notice"' in text(client.get("/dashboard"))
    # No document with the unapproved name: re-issuing waits for the approval.
    agreement = db.session.get(Agreement, document.agreement_id)
    with pytest.raises(DomainError, match="approuvez l.entreprise"):
        agreements.reissue(agreement, issue_input(), coordinator)
    db.session.rollback()
    # Once approved, a new version would carry the new name.
    company = fresh(Company, company.id)
    from mnc_exchange.hosts import services as hosts

    hosts.approve_company(company, coordinator)
    db.session.commit()
    agreement = fresh(Agreement, document.agreement_id)
    assert agreements.build_snapshot(agreement)["host"]["legal_name"] == "Globex SAS"


@pytest.mark.parametrize(
    "changes",
    [
        {"address": "25 avenue de l'Opéra", "headcount": "150", "naf_code": "62.02A"},
        {"representative_name": "Paul Durand", "city": "Lyon", "postcode": "69002"},
        {"legal_name": "ATLAS  LOGICIELS sarl"},  # the same name, other capitals and spaces
    ],
)
def test_other_changes_keep_the_approval_with_before_and_after_in_the_audit(client, host, changes):
    coordinator = UserFactory(role=Role.coordinator)
    company = db.session.get(Company, host.company_id)
    old = {name: getattr(company, name) for name in ("address", "headcount", "city")}
    response = client.post("/company/edit", data=company_form(company, **changes))
    assert response.status_code == 302
    company = fresh(Company, company.id)
    assert company.is_approved
    assert outbox_to(coordinator.email) == []
    details = last_update_event(company.id).details
    assert details["back_to_approval"] is False and details["identity_changed"] == []
    if "address" in changes:
        assert details["changes"]["address"] == {
            "before": old["address"],
            "after": changes["address"],
        }
        assert details["changes"]["headcount"] == {"before": old["headcount"], "after": 150}
        assert details["changes"]["naf_code"] == {"before": "6201Z", "after": "6202A"}
    elif "city" in changes:
        assert details["changes"]["city"] == {"before": old["city"], "after": "Lyon"}
        assert details["changes"]["representative_name"]["after"] == "Paul Durand"
    else:
        assert set(details["changes"]) == {"legal_name"}


def test_the_edit_page_warns_that_a_new_identity_needs_approval(client, host):
    page = text(client.get("/company/edit"))
    assert 'id="identity-warning"' in page
    assert "needs a new approval by a programme coordinator" in page


# --- 2. images too large to decode --------------------------------------------------------------


def png_of(width: int, height: int) -> bytes:
    """A valid 1-bit PNG of ``width`` × ``height`` pixels, all black: tiny once compressed."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    body = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def bomb() -> bytes:
    data = png_of(20000, 20000)
    assert len(data) < 64 * 1024  # 400 megapixels in about 48 KB
    return data


def files_under(app) -> set[Path]:
    return {p for p in Path(app.config["UPLOAD_FOLDER"]).rglob("*") if p.is_file()}


@pytest.fixture
def student_with_draft(client, auth):
    from mnc_exchange.applications import services as applications

    cohort = CohortFactory(
        state=CohortState.open,
        is_current=True,
        applications_open_on=date.today().replace(day=1),
        applications_close_on=date.today().replace(year=date.today().year + 1),
    )
    student = auth.as_role("student")
    english(client)
    assert client.post("/application/start").status_code == 302
    return applications.application_of(student, cohort)


def upload(client, data: bytes, name: str, kind: str = "passport"):
    return client.post(
        "/application/documents",
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_a_huge_image_is_refused_with_its_size_and_nothing_is_saved(
    client, app, student_with_draft, bomb
):
    before = files_under(app)
    response = upload(client, bomb, "passeport.png")
    assert response.status_code == 200
    error = re.search(r'id="file-passport-error">([^<]*)<', text(response))
    assert error, text(response)[:2000]
    assert "The image is too large: 400 megapixels, 40 at most." in error.group(1)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert files_under(app) == before


def test_the_image_limit_is_a_setting_checked_before_decoding(data_app, monkeypatch):
    monkeypatch.setitem(data_app.config, "UPLOAD_MAX_IMAGE_PIXELS", 1_000_000)
    with data_app.test_request_context():
        uploads.check_upload(io.BytesIO(png_of(1000, 1000)), "ok.png")
        with pytest.raises(DomainError, match="1,1 mégapixels, 1 au maximum"):
            uploads.check_upload(io.BytesIO(png_of(1100, 1000)), "big.png")


def test_a_huge_paper_scan_is_refused_too(client, auth, bomb):
    coordinator = auth.as_role("coordinator", locale="en")
    english(client)
    company = CompanyFactory()
    document = make_agreement(company, coordinator)
    prefix = f"doc{document.id}-"
    response = client.post(
        f"/agreements/documents/{document.id}/paper-signature",
        data={
            prefix + "party": "student",
            prefix + "signer_name": "Salma Idrissi",
            prefix + "signed_on": date.today().isoformat(),
            prefix + "scan": (io.BytesIO(bomb), "scan.png"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "The image is too large: 400 megapixels" in text(response)
    assert fresh(AgreementDocument, document.id).signatures == []


# --- 3. a full disk --------------------------------------------------------------------------


@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT])
def test_a_full_disk_says_the_file_could_not_be_stored(
    client, app, student_with_draft, monkeypatch, code
):
    def full(*args, **kwargs):
        raise OSError(code, "No space left on device")

    monkeypatch.setattr(uploads.os, "replace", full)
    before = files_under(app)
    response = upload(client, SAMPLE_PDF, "cv.pdf", kind="cv")
    assert response.status_code == 200
    error = re.search(r'id="file-cv-error">([^<]*)<', text(response))
    assert error and "could not be stored: the server&#39;s storage is full" in error.group(1)
    assert "Nothing was saved" in error.group(1)
    assert db.session.scalar(select(func.count()).select_from(Document)) == 0
    assert files_under(app) == before  # no partial file left


def test_a_full_disk_while_writing_leaves_no_partial_file(app, data_app, monkeypatch):
    real_fdopen = uploads.os.fdopen

    class FullFile:
        def __init__(self, fd, mode):
            self.file = real_fdopen(fd, mode)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.file.close()

        def write(self, data):
            self.file.write(data[:10])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(uploads.os, "fdopen", FullFile)
    checked = uploads.CheckedUpload(SAMPLE_PDF, "cv.pdf", "application/pdf", "pdf", "x")
    before = files_under(data_app)
    with data_app.test_request_context(), pytest.raises(DomainError, match="stockage"):
        uploads.store(checked, "applications/full")
    assert files_under(data_app) == before


# --- 4. CSV injection whatever the separator ---------------------------------------------------

MALICIOUS = [
    '=HYPERLINK("http://evil.example","x")',
    'Dupont;=HYPERLINK("http://evil.example","x")',
    "Dupont;+cmd|' /C calc'!A0",
    "Dupont,-2+3",
    "Dupont\t@SUM(A1:A2)",
    'Dupont; "=1+1"',
    "Dupont\r\n=1+1",
]
STARTERS = ("=", "+", "-", "@")


def formula_cells(csv_text: str) -> list[tuple[str, str]]:
    """Cells that a spreadsheet splitting on ``,``, ``;`` or tab would run as formulas."""
    found = []
    for delimiter in (",", ";", "\t"):
        for row in csv.reader(io.StringIO(csv_text.lstrip("\ufeff")), delimiter=delimiter):
            for cell in row:
                stripped = cell.lstrip(' "\t\r\n')
                if stripped.startswith(STARTERS) and not _is_number(stripped):
                    found.append((delimiter, cell))
    return found


def _is_number(value: str) -> bool:
    try:
        Decimal(value)
    except ArithmeticError:
        return False
    return True


@pytest.mark.parametrize("value", MALICIOUS)
def test_safe_text_leaves_no_formula_after_any_separator(value):
    from mnc_exchange.core.spreadsheet import safe_text

    cell = safe_text(value)
    for part in re.split(r"[,;\t\r\n]", cell):
        assert not part.lstrip(' "').startswith(STARTERS), (value, cell)
    assert safe_text(cell) == cell  # applying it twice changes nothing


def test_the_screening_export_neutralises_every_separator(data_app):
    cohort = CohortFactory(state=CohortState.selection)
    applications = make_selected(cohort, len(MALICIOUS))
    for application, value in zip(applications, MALICIOUS, strict=True):
        application.last_name = value
        application.programme = value
    db.session.commit()
    from mnc_exchange.applications import screening

    with data_app.test_request_context():
        body = screening.export_csv(cohort, screening.Filters())
    assert "Dupont" in body
    assert formula_cells(body) == []


def test_the_ranking_export_neutralises_every_separator(data_app):
    cohort = CohortFactory(state=CohortState.selection)
    applications = make_selected(cohort, len(MALICIOUS))
    for application, value in zip(applications, MALICIOUS, strict=True):
        application.last_name = value
        application.decision_override_reason = value
    db.session.commit()
    from mnc_exchange.selection import minutes

    with data_app.test_request_context():
        body = minutes.ranking_csv(cohort).decode("utf-8")
    assert "Dupont" in body
    assert formula_cells(body) == []


def test_the_report_exports_neutralise_text_and_keep_negative_numbers(data_app):
    from mnc_exchange.reports import exports

    table = exports.Table(
        "students",
        "Students",
        [exports.Column("name", "Name"), exports.Column("amount", "Amount")],
        [[value, exports.Money(Decimal("-12.5"))] for value in MALICIOUS],
    )
    with data_app.test_request_context():
        body = exports.to_csv(table).decode("utf-8")
    assert "Dupont" in body
    assert formula_cells(body) == []
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert {row[1] for row in rows[1:]} == {"-12.50"}  # a number, not text


# --- 5. the database is down for a logged-in user -----------------------------------------------


@pytest.fixture
def broken_database(app):
    """Every query of the served application fails as if the database server were gone."""
    with app.app_context():
        engine = db.engine

    def fail(*args, **kwargs):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))

    event.listen(engine, "before_cursor_execute", fail)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", fail)


@pytest.fixture
def logged_in_student(auth):
    return auth.as_role("student", locale="fr")


def test_a_logged_in_user_gets_the_translated_503_page(client, logged_in_student, request):
    assert client.get("/dashboard").status_code == 200
    request.getfixturevalue("broken_database")
    response = client.get("/dashboard")
    assert response.status_code == 503
    page = text(response)
    assert "Service indisponible" in page
    assert "Le service est temporairement indisponible" in page
    assert "Internal Server Error" not in page


def test_the_503_page_keeps_the_language_of_the_session(client, auth, request):
    auth.as_role("student", locale="en")
    client.post("/language", data={"lang": "en", "next": "/"})
    request.getfixturevalue("broken_database")
    response = client.get("/application/")
    assert response.status_code == 503
    assert "Service unavailable" in text(response)


def test_a_500_for_a_logged_in_user_is_the_translated_page(app, client, auth, monkeypatch):
    """A 500 whose cause also broke the database (the page would load the user again)."""
    auth.as_role("student", locale="fr")
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    with app.app_context():
        engine = db.engine

    def boom(*args, **kwargs):
        def fail(*a, **k):
            raise RuntimeError("the database connection is gone")

        event.listen(engine, "before_cursor_execute", fail)
        boom.listener = fail
        raise RuntimeError("unexpected")

    monkeypatch.setitem(app.view_functions, "main.dashboard", boom)
    try:
        response = client.get("/dashboard")
    finally:
        if hasattr(boom, "listener"):
            event.remove(engine, "before_cursor_execute", boom.listener)
    assert response.status_code == 500
    assert "Une erreur s'est produite" in text(response)


# --- 6. headers ------------------------------------------------------------------------------


def test_every_response_has_a_permissions_policy(client):
    policy = client.get("/").headers.get("Permissions-Policy", "")
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy
    assert "interest-cohort" not in policy  # not a standard feature any more


def test_pages_of_a_logged_in_user_are_not_stored(client, auth):
    auth.as_role("coordinator")
    response = client.get("/dashboard")
    assert response.status_code == 200
    assert "no-store" in response.headers.get("Cache-Control", "")


@pytest.mark.parametrize("url", ["/login", "/password/reset/not-a-token", "/join/not-a-token"])
def test_public_pages_with_personal_links_are_not_stored(client, url):
    assert "no-store" in client.get(url).headers.get("Cache-Control", "")


def test_a_document_download_is_not_stored(client, auth):
    from tests.factories import make_application_with_document

    student = auth.as_role("student")
    _application, document = make_application_with_document(student, CohortFactory())
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]


def test_static_files_keep_their_caching(client, auth):
    auth.as_role("student")
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
