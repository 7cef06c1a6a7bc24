"""Issue 15 §1, the signed agreement proves its signatures: the final version (every signature
printed, the signature record, the SHA-256 of the version signed) sealed with the programme's
certificate (PAdES, pyHanko), the PDF upload on /verify/<code> (byte-for-byte comparison and
seal validation), the signing order and delegation, the signature grid's page layout, the
verification link on SERVER_BASE_URL, gender-aware wording and addresses without repeats.

The PDFs are read back with pypdf (text, positions) and pyHanko (the seal). A key and a
self-signed certificate are made once for the module in a temporary folder.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from pypdf import PdfReader
from sqlalchemy import func, select

from mnc_exchange import create_app
from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements import services
from mnc_exchange.agreements.models import AgreementDocument, Party, Signature
from mnc_exchange.agreements.order import parse_signing_order
from mnc_exchange.applications.reference import Gender
from mnc_exchange.applications.uploads import upload_root
from mnc_exchange.core import seal as seals
from mnc_exchange.core.errors import DomainError, TransitionRefused
from mnc_exchange.extensions import db
from tests.factories import PASSWORD, CohortFactory
from tests.test_agreement_documents import (
    TODAY,
    YEAR,
    issue_for,
    make_confirmed,
    pdf_text,
    scan,
)

BASE_URL = "https://echange.mnc.example.ma"
PASSPHRASE = "mot de passe du sceau"  # noqa: S105 - a test key's


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seal_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seal")
    key, cert = folder / "key.pem", folder / "cert.pem"
    seals.create_demo_certificate(key, cert, passphrase=PASSPHRASE)
    return key, cert


def _configure(monkeypatch, apps, key, cert, passphrase=PASSPHRASE):
    for app in apps:
        monkeypatch.setitem(app.config, "SEAL_KEY_PATH", str(key))
        monkeypatch.setitem(app.config, "SEAL_CERT_PATH", str(cert))
        monkeypatch.setitem(app.config, "SEAL_KEY_PASSPHRASE", passphrase)


@pytest.fixture
def sealed(monkeypatch, app, data_app, seal_files):
    """The programme's seal configured for the test's context and for the requests."""
    _configure(monkeypatch, (app, data_app), *seal_files)
    for target in (app, data_app):
        monkeypatch.setitem(target.config, "SERVER_BASE_URL", BASE_URL)
    return seal_files


@pytest.fixture
def cohort():
    from mnc_exchange.cohorts.models import CohortState

    return CohortFactory(year=YEAR, state=CohortState.matching, is_current=True)


def _host(agreement):
    return next(c for c in agreement.placement.offer.company.contacts if c.role is Role.host)


def sign_all(document, coordinator, delegate: bool = True) -> None:
    """Every party signs in the default order: the host contact by delegation (capacity and
    on whose behalf), the student in the app, the others on paper."""
    agreement = document.agreement
    services.sign_in_app(
        document,
        _host(agreement),
        "203.0.113.9",
        capacity="Responsable des ressources humaines" if delegate else None,
        on_behalf_of="Claire Martin, présidente" if delegate else None,
    )
    services.sign_in_app(document, agreement.placement.application.student, "198.51.100.4")
    for party, name in (
        (Party.tutor, "Tuteur Papier"),
        (Party.institution, "Pr. Amina Alaoui"),
        (Party.referent, "Pr. Youssef Bennani"),
        (Party.programme, "Nadia Berrada"),
    ):
        services.record_paper_signature(
            document,
            party,
            name,
            scan(),
            coordinator,
            signed_on=TODAY,
            capacity="Vice-doyen, par intérim" if party is Party.institution else None,
            on_behalf_of="Pr. Amina Alaoui, doyenne" if party is Party.institution else None,
        )
    db.session.commit()


def _final(document) -> bytes:
    return services.file_to_serve(document).read_bytes()


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


# --- the final version and its seal ---------------------------------------------------------------


def test_the_final_version_is_sealed_and_records_every_signature(sealed, cohort):
    placement, coordinator = make_confirmed(cohort)
    document = issue_for(placement, coordinator)
    signed_bytes = services.file_of(document).read_bytes()
    assert document.final_stored_name is None  # not before every party has signed
    sign_all(document, coordinator)

    # The version signed keeps its file and its SHA-256; the final version is another file.
    assert services.file_of(document).read_bytes() == signed_bytes
    assert document.sha256 == hashlib.sha256(signed_bytes).hexdigest()
    final = _final(document)
    assert document.final_sha256 == hashlib.sha256(final).hexdigest() != document.sha256
    assert document.sealed is True and document.finalised_at is not None

    # The seal validates with pyHanko against the configured certificate.
    from pyhanko.keys import load_cert_from_pemder
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    root = load_cert_from_pemder(str(sealed[1]))
    (embedded,) = PdfFileReader(io.BytesIO(final)).embedded_signatures
    status = validate_pdf_signature(
        embedded,
        ValidationContext(trust_roots=[root], allow_fetching=False),
        key_usage_settings=KeyUsageConstraints(key_usage={"non_repudiation"}),
    )
    assert status.intact and status.valid and status.trusted
    assert status.coverage is SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.subject.native["common_name"] == "MNC Exchange — démo"
    assert embedded.sig_object["/SubFilter"] == "/ETSI.CAdES.detached"  # PAdES
    assert seals.check_seal(final).status == "valid"
    assert seals.check_seal(signed_bytes).status == "none"

    # The signature record: every signer, capacity, time with its zone, method, the hash.
    text, _reader = pdf_text(final)
    assert "Relevé des signatures" in text
    assert "Date : ……… / ……… / …………" not in text  # no empty box left
    assert "Date : ……… / ……… / …………" in pdf_text(signed_bytes)[0]
    host, student = _host(document.agreement), placement.application.student
    for expected in (
        host.full_name,
        "Responsable des ressources humaines, par délégation de Claire Martin, présidente",
        student.full_name,
        "stagiaire",
        "Tuteur Papier",
        "Vice-doyen, par intérim, par délégation de Pr. Amina Alaoui, doyenne",
        "Pr. Youssef Bennani, enseignant référent",
        "Nadia Berrada, pour le programme Maroc Numeric Cluster",
        "heure de Paris, Europe/Paris, UTC+01:00",  # the host signs from France (winter time)
        "Africa/Casablanca",  # the student, from Morocco
        "signature électronique dans l’application du programme",
        "signature manuscrite sur papier",
        "date portée sur l’exemplaire papier",
        coordinator.full_name,  # who recorded the paper signatures
        "scellée électroniquement par le programme",
        "MNC Exchange — démo",
    ):
        assert _flat(expected) in _flat(text), expected
    flat = _flat(text)
    assert document.sha256 in flat  # the version signed
    paper = db.session.scalars(
        select(Signature).where(
            Signature.document_id == document.id, Signature.party == Party.tutor
        )
    ).one()
    assert paper.scan_sha256 in flat  # the scan's reference
    assert text.count("Signé le") == 6  # each party's block
    # The record lists the six parties in the signing order.
    order = [
        text.index(label, text.index("Relevé des signatures"))
        for label in (
            "L’organisme d’accueil",
            "Le stagiaire",
            "Le tuteur de stage",
            "L’établissement d’enseignement",
            "L’enseignant référent",
            "Le programme Maroc Numeric Cluster",
        )
    ]
    assert order == sorted(order)
    assert document.snapshot.get("final") is None  # the snapshot is not changed


def test_the_version_history_says_which_version_each_signature_applies_to(client, sealed, cohort):
    placement, coordinator = make_confirmed(cohort)
    first = issue_for(placement, coordinator)
    services.sign_in_app(first, _host(first.agreement))
    db.session.commit()
    second = services.reissue(
        first.agreement,
        services.IssueInput("Pr. Youssef Bennani", "y.bennani@example.ma", "API.", "Tests."),
        coordinator,
    )
    db.session.commit()
    sign_all(second, coordinator)
    client.post("/login", data={"email": coordinator.email, "password": PASSWORD})
    page = client.get(f"/agreements/{second.agreement_id}").get_data(as_text=True)
    # The old version's signature applies to version 1, the new ones to version 2.
    assert page.count(f'data-applies-to="{first.sha256}"') == 1
    assert page.count(f'data-applies-to="{second.sha256}"') == 6
    assert f'id="final-version-{second.id}" data-sealed="yes"' in page
    assert second.final_sha256 in page
    assert f"/agreements/documents/{second.id}/download?version=signed" in page
    # The download is the final version; the version signed stays available.
    assert client.get(f"/agreements/documents/{second.id}/download").data == _final(second)
    signed = client.get(f"/agreements/documents/{second.id}/download?version=signed")
    assert hashlib.sha256(signed.data).hexdigest() == second.sha256
    assert "pour le compte de Claire Martin, présidente" in page  # the French interface


def test_amendments_and_certificates_are_sealed_once_final(sealed, cohort):
    placement, coordinator = make_confirmed(cohort)
    document = issue_for(placement, coordinator)
    sign_all(document, coordinator)
    amendment = services.amend(
        document.agreement,
        services.AmendmentInput(
            reasons=["stipend"], monthly_stipend=Decimal("750.00"), explanation="Hausse."
        ),
        coordinator,
        today=TODAY,
    )
    db.session.commit()
    assert amendment.final_stored_name is None
    sign_all(amendment, coordinator, delegate=False)
    assert amendment.sealed and seals.check_seal(_final(amendment)).valid
    text = pdf_text(_final(amendment))[0]
    assert "Relevé des signatures" in text and "Avenant n° 1" in text

    certificate = services.prepare_certificate(
        document.agreement, coordinator, Decimal("3500"), today=date(YEAR, 8, 2)
    )
    db.session.commit()
    # Prepared by the programme, delivered by the host: sealed after the host's signature.
    assert certificate.final_stored_name is None and not certificate.sealed
    host = _host(document.agreement)
    services.confirm_certificate(
        certificate, host, services.certificate_figures(certificate), today=date(YEAR, 8, 3)
    )
    db.session.commit()
    assert certificate.sealed and seals.check_seal(_final(certificate)).valid
    assert "scellée électroniquement par le programme" in pdf_text(_final(certificate))[0]


def test_without_a_seal_key(monkeypatch, app, data_app, runner, seal_files, cohort, caplog):
    placement, coordinator = make_confirmed(cohort)
    document = issue_for(placement, coordinator)
    # Development and tests: the final version is produced, unsealed, with a warning.
    with caplog.at_level(logging.WARNING):
        sign_all(document, coordinator)
    assert document.final_stored_name and document.sealed is False
    assert "is not sealed" in caplog.text
    assert seals.check_seal(_final(document)).status == "none"
    assert "non scellée électroniquement" in pdf_text(_final(document))[0]

    # Production: no final version without the seal; `flask seal finalise` catches up.
    second_placement, _ = make_confirmed(cohort)
    second = issue_for(second_placement, coordinator)
    monkeypatch.setitem(data_app.config, "ENV_NAME", "production")
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        sign_all(second, coordinator)
    assert services.status(second) == "fully_signed"
    assert second.final_stored_name is None
    assert "programme's seal is unavailable" in caplog.text
    _configure(monkeypatch, (app, data_app), *seal_files)  # the command runs in this context
    result = runner.invoke(args=["seal", "finalise"])
    assert result.exit_code == 0, result.output
    assert "1 final version(s) produced." in result.output
    db.session.expire_all()
    second = db.session.get(AgreementDocument, second.id)
    assert second.sealed and seals.check_seal(_final(second)).valid


def test_init_demo_creates_a_five_year_certificate(monkeypatch, data_app, runner, tmp_path):
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding
    from cryptography.x509.oid import NameOID

    key, cert = tmp_path / "k.pem", tmp_path / "c.pem"
    # The command runs in the test's application context (data_app).
    monkeypatch.setitem(data_app.config, "SEAL_KEY_PATH", str(key))
    monkeypatch.setitem(data_app.config, "SEAL_CERT_PATH", str(cert))
    result = runner.invoke(args=["seal", "init-demo"])
    assert result.exit_code == 0, result.output
    certificate = x509.load_pem_x509_certificate(cert.read_bytes())
    name = certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert name == "MNC Exchange — démo"
    days = (certificate.not_valid_after_utc - certificate.not_valid_before_utc).days
    assert 5 * 365 <= days <= 5 * 365 + 1
    assert key.stat().st_mode & 0o077 == 0  # private
    again = runner.invoke(args=["seal", "init-demo"])
    assert "already there" in again.output
    assert certificate.public_bytes(Encoding.PEM) == cert.read_bytes()  # kept
    status = runner.invoke(args=["seal", "status"])
    assert "MNC Exchange — démo" in status.output


# --- /verify: the uploaded PDF --------------------------------------------------------------------


def _upload(client, code, data: bytes, name: str = "convention.pdf"):
    return client.post(
        f"/verify/{code}",
        data={"pdf": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def _attr(html: str, element_id: str, attribute: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*{attribute}="([^"]*)"', html)
    assert match, (element_id, attribute)
    return match.group(1)


def test_verify_compares_the_uploaded_pdf_byte_for_byte_and_checks_its_seal(client, sealed, cohort):
    placement, coordinator = make_confirmed(cohort)
    document = issue_for(placement, coordinator)
    signed_bytes = services.file_of(document).read_bytes()
    sign_all(document, coordinator)
    final = _final(document)
    code = document.verification_code
    stored_before = sorted(p.name for p in upload_root().rglob("*") if p.is_file())
    documents_before = db.session.scalar(select(func.count()).select_from(AgreementDocument))

    # The page offers the upload form.
    page = client.get(f"/verify/{code}").get_data(as_text=True)
    assert 'id="upload-form"' in page and 'enctype="multipart/form-data"' in page
    assert 'id="final-version" data-sealed="yes"' in page

    # The final version, as issued by the programme.
    html = _upload(client, code, final).get_data(as_text=True)
    assert _attr(html, "file-verdict", "data-match") == "final"
    assert _attr(html, "file-verdict", "data-in-force") == "yes"
    assert _attr(html, "file-verdict", "data-latest") == "yes"
    assert _attr(html, "seal-verdict", "data-seal") == "valid"
    assert hashlib.sha256(final).hexdigest() in html

    # The version signed: registered, not the latest, no seal.
    html = _upload(client, code, signed_bytes).get_data(as_text=True)
    assert _attr(html, "file-verdict", "data-match") == "signed"
    assert _attr(html, "file-verdict", "data-latest") == "no"
    assert _attr(html, "seal-verdict", "data-seal") == "none"

    # One byte changed inside the sealed part: not registered, the seal broken.
    changed = bytearray(final)
    position = final.index(b"/MediaBox")
    changed[position + 1] = ord("m")
    html = _upload(client, code, bytes(changed)).get_data(as_text=True)
    assert _attr(html, "file-verdict", "data-match") == "none"
    assert _attr(html, "seal-verdict", "data-seal") == "invalid"
    assert "Ce fichier n’est pas une version enregistrée par le programme." in html

    # One byte added at the end: not registered, the seal no longer covers the whole file.
    html = _upload(client, code, final + b"\n").get_data(as_text=True)
    assert _attr(html, "file-verdict", "data-match") == "none"
    assert _attr(html, "seal-verdict", "data-seal") == "partial"

    # Not a PDF, empty, too large: a clear message, no 500.
    response = _upload(client, code, b"GIF89a not a pdf", "x.pdf")
    assert response.status_code == 400
    assert "Ce fichier n’est pas un PDF." in response.get_data(as_text=True)
    assert _upload(client, code, b"", "x.pdf").status_code == 400
    assert client.post(f"/verify/{code}", data={}).status_code == 400

    # Nothing was stored.
    assert sorted(p.name for p in upload_root().rglob("*") if p.is_file()) == stored_before
    assert db.session.scalar(select(func.count()).select_from(AgreementDocument)) == (
        documents_before
    )


def test_verify_knows_a_file_of_another_document_and_another_signer(
    client, monkeypatch, app, sealed, cohort, tmp_path
):
    placement, coordinator = make_confirmed(cohort)
    first = issue_for(placement, coordinator)
    second = services.reissue(
        first.agreement,
        services.IssueInput("Pr. Youssef Bennani", "y.bennani@example.ma", "API.", "Tests."),
        coordinator,
    )
    db.session.commit()
    html = _upload(client, second.verification_code, services.file_of(first).read_bytes())
    html = html.get_data(as_text=True)
    assert _attr(html, "file-verdict", "data-match") == "other"
    assert _attr(html, "file-verdict", "data-in-force") == "no"

    # A PDF sealed with another key: the seal is not the programme's.
    sign_all(second, coordinator)
    key, cert = tmp_path / "other-key.pem", tmp_path / "other-cert.pem"
    seals.create_demo_certificate(key, cert)
    monkeypatch.setitem(app.config, "SEAL_KEY_PASSPHRASE", None)
    monkeypatch.setitem(app.config, "SEAL_KEY_PATH", str(key))
    monkeypatch.setitem(app.config, "SEAL_CERT_PATH", str(cert))
    with app.app_context():
        foreign = seals.seal_pdf(services.file_of(second).read_bytes(), "Faux")
    _configure(monkeypatch, (app,), *sealed)
    html = _upload(client, second.verification_code, foreign).get_data(as_text=True)
    assert _attr(html, "seal-verdict", "data-seal") == "other_signer"


# --- the signing order and delegation -------------------------------------------------------------


def test_the_signing_order_is_enforced_and_shown(client, cohort):
    placement, coordinator = make_confirmed(cohort)
    document = issue_for(placement, coordinator)
    agreement = document.agreement
    student = placement.application.student
    assert services.awaited_parties(document) == [Party.host]

    # The student before the host company: refused with the reason.
    with pytest.raises(TransitionRefused) as refused:
        services.sign_in_app(document, student)
    assert "Entreprise d'accueil" in refused.value.message  # French: the test context
    db.session.rollback()
    # The programme on paper before everybody: refused too.
    with pytest.raises(TransitionRefused):
        services.record_paper_signature(document, Party.programme, "MNC", scan(), coordinator)
    db.session.rollback()
    assert document.signatures == []

    # Over HTTP: the student's page names who is awaited, offers no signature form yet, and a
    # forced request is refused with the message.
    client.post("/login", data={"email": student.email, "password": PASSWORD})
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert f'id="sign-form-{document.id}"' not in page
    assert 'id="sign-later"' in page
    assert _attr(page, f"awaited-{document.id}", "data-awaited") == "host"
    assert f'id="signing-order-{document.id}"' in page
    response = client.post(
        f"/agreements/documents/{document.id}/sign",
        data={f"doc{document.id}-accept": "y"},
        follow_redirects=True,
    )
    assert "Pas encore : Étudiant signe après Entreprise d" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    client.post("/logout")

    # The host signs; then the student's turn.
    services.sign_in_app(document, _host(agreement))
    db.session.commit()
    assert services.awaited_parties(document) == [Party.student]
    client.post("/login", data={"email": student.email, "password": PASSWORD})
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert f'id="sign-form-{document.id}"' in page
    # The student's form has no delegation fields.
    assert f'id="doc{document.id}-on_behalf_of"' not in page
    client.post("/logout")

    # A coordinator records the others: tutor, institution and referent in any order, the
    # programme last.
    services.sign_in_app(document, student)
    for party in (Party.referent, Party.tutor):
        services.record_paper_signature(document, party, "X", scan(), coordinator)
    assert set(services.awaited_parties(document)) == {Party.institution}
    with pytest.raises(TransitionRefused):
        services.record_paper_signature(document, Party.programme, "MNC", scan(), coordinator)
    db.session.rollback()


def test_a_configured_signing_order(monkeypatch, app, data_app, cohort):
    monkeypatch.setitem(
        data_app.config,
        "AGREEMENT_SIGNING_ORDER",
        "student > host, tutor > institution > referent > programme",
    )
    placement, coordinator = make_confirmed(cohort)
    document = issue_for(placement, coordinator)
    assert services.signing_order(document) == [
        (Party.student,),
        (Party.host, Party.tutor),
        (Party.institution,),
        (Party.referent,),
        (Party.programme,),
    ]
    services.sign_in_app(document, placement.application.student)
    assert set(services.awaited_parties(document)) == {Party.host, Party.tutor}
    for text in (
        "student > host > tutor",
        "host > student > host > tutor, institution, referent > programme",
        "host > student > nobody",
    ):
        with pytest.raises(ValueError):
            parse_signing_order(text)
    with pytest.raises(RuntimeError):
        create_app(
            {
                "CONFIG_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "AGREEMENT_SIGNING_ORDER": "host > student",
            }
        )


def test_a_host_contact_signs_on_behalf_of_the_representative(client, cohort):
    placement, coordinator = make_confirmed(cohort)
    document = issue_for(placement, coordinator)
    host = _host(document.agreement)
    client.post("/login", data={"email": host.email, "password": PASSWORD})
    page = client.get(f"/agreements/{document.agreement_id}").get_data(as_text=True)
    prefix = f"doc{document.id}-"
    assert f'id="{prefix}on_behalf_of"' in page and f'id="{prefix}capacity"' in page
    # On behalf of someone without a capacity: refused by the form.
    refused = client.post(
        f"/agreements/documents/{document.id}/sign",
        data={prefix + "accept": "y", prefix + "on_behalf_of": "Claire Martin"},
    )
    assert refused.status_code == 200  # the page again, the error beside the field
    assert f'id="{prefix}on_behalf_of-error"' in refused.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Signature)) == 0
    signed = client.post(
        f"/agreements/documents/{document.id}/sign",
        data={
            prefix + "accept": "y",
            prefix + "capacity": "  Directrice   financière ",
            prefix + "on_behalf_of": "Claire Martin, présidente",
        },
    )
    assert signed.status_code == 302
    signature = db.session.scalars(select(Signature)).one()
    assert (signature.signer_name, signature.signer_capacity, signature.on_behalf_of) == (
        host.full_name,
        "Directrice financière",
        "Claire Martin, présidente",
    )
    page = client.get(f"/agreements/{document.agreement_id}").get_data(as_text=True)
    assert "Claire Martin, présidente" in page
    # The service refuses it too (a form is not the only way in).
    second_placement, _ = make_confirmed(cohort)
    second = issue_for(second_placement, coordinator)
    with pytest.raises(DomainError):
        services.sign_in_app(second, _host(second.agreement), on_behalf_of="Quelqu’un")
    db.session.rollback()


# --- the signature grid on the page ---------------------------------------------------------------


def _lines(page) -> list[tuple[float, str]]:
    """(height from the bottom of the page, text) of each piece of text of a pypdf page."""
    found = []

    def visit(text, cm, tm, _font, _size):
        if text.strip():
            found.append((tm[4] * cm[1] + tm[5] * cm[3] + cm[5], text))

    page.extract_text(visitor_text=visit)
    return found


BLOCK_ROLES = (
    "Le stagiaire",
    "L’organisme d’accueil, représenté par",
    "Le tuteur de stage",
    "L’établissement, représenté par",
    "L’enseignant référent",
    "Le programme Maroc Numeric Cluster",
)


def _grid_page(reader: PdfReader, final: bool) -> int:
    """The page of the "Signatures" title, which must hold the whole grid: the six blocks,
    each with its date line (or, in the final version, its "Signé le" line)."""
    (grid,) = [
        n
        for n, page in enumerate(reader.pages)
        if any(text.strip() == "Signatures" for _y, text in _lines(page))
    ]
    texts = [text.strip() for _y, text in _lines(reader.pages[grid])]
    for role in BLOCK_ROLES:
        assert role in texts, f"{role!r} is not on the page of the signature grid"
    marker = "Signé le" if final else "Date : ……… / ……… / …………"
    assert sum(text.startswith(marker) for text in texts) == 6, "the grid is split"
    return grid


@pytest.mark.parametrize(
    ("months", "end"),
    [(2, date(YEAR, 4, 30)), (4, date(YEAR, 6, 30)), (6, date(YEAR, 8, 27))],
)
def test_the_signature_grid_never_splits_nor_leaves_a_half_empty_page(
    sealed, cohort, months, end, tmp_path
):
    placement, coordinator = make_confirmed(cohort, start_on=date(YEAR, 3, 1), end_on=end)
    document = issue_for(placement, coordinator)
    sign_all(document, coordinator)
    for final, data in ((False, services.file_of(document).read_bytes()), (True, _final(document))):
        (tmp_path / f"{months}-{len(data)}.pdf").write_bytes(data)
        reader = PdfReader(io.BytesIO(data))
        grid = _grid_page(reader, final)
        assert grid > 0
        height = float(reader.pages[grid - 1].mediabox.height)
        # The page before the grid is filled beyond its middle (the footer excluded).
        body = [y for y, _text in _lines(reader.pages[grid - 1]) if y > 20 * 72 / 25.4 + 12]
        assert min(body) < height / 2, f"{months} months: page {grid} is half empty"


# --- links, wording, addresses --------------------------------------------------------------------


def test_pdf_links_use_server_base_url_and_wording_follows_the_students_sex(client, sealed, cohort):
    placement, coordinator = make_confirmed(cohort)
    application = placement.application
    application.gender = Gender.female
    application.institution.address = "Avenue Mohammed Ben Abdallah Regragui, Rabat"
    db.session.commit()
    document = issue_for(placement, coordinator)
    sign_all(document, coordinator)
    for data in (services.file_of(document).read_bytes(), _final(document)):
        text = pdf_text(data)[0]
        assert f"{BASE_URL}/verify/{document.verification_code}" in text
        assert "127.0.0.1" not in text and "localhost" not in text
        assert "née le 14 mai 2003" in text and "né(e)" not in text
        assert "Regragui, Rabat (Maroc)" in text and "Rabat, Rabat" not in text
        assert "salarié de l’organisme" not in text
    certificate = services.prepare_certificate(
        document.agreement, coordinator, Decimal("3500"), today=date(YEAR, 8, 2)
    )
    db.session.commit()
    text = pdf_text(_final(certificate))[0]
    assert "la stagiaire désignée" in text and "née le" in text
    assert f"{BASE_URL}/verify/{certificate.verification_code}" in text

    other, _ = make_confirmed(cohort)
    other.application.gender = Gender.male
    db.session.commit()
    assert (
        "né le 14 mai 2003"
        in pdf_text(services.file_of(issue_for(other, coordinator)).read_bytes())[0]
    )

    # The verification page says "Programme", not "Filière".
    html = client.get(f"/verify/{document.verification_code}").get_data(as_text=True)
    assert "Filière" not in html and "Programme d’échange" in html


def test_signature_times_name_the_zone():
    from mnc_exchange.agreements.record import when
    from mnc_exchange.core.timeutils import CASABLANCA, PARIS

    moment = datetime(2027, 7, 1, 12, 30, tzinfo=UTC)
    assert when(moment, PARIS) == (
        "1er juillet 2027 à 14:30 (heure de Paris, Europe/Paris, UTC+02:00)"
    )
    assert when(moment, CASABLANCA).endswith("(heure du Maroc, Africa/Casablanca, UTC+01:00)")


def test_the_default_order_names_every_signatory(app):
    stages = parse_signing_order(app.config["AGREEMENT_SIGNING_ORDER"])
    assert stages == (
        (Party.host,),
        (Party.student,),
        (Party.tutor, Party.institution, Party.referent),
        (Party.programme,),
    )
    assert {p for stage in stages for p in stage} == set(services.SIGNATORIES)


def test_sealing_and_checking_work_inside_a_running_event_loop(sealed, cohort):
    """pyHanko runs ``asyncio.run`` inside: under a running loop (an async server, a test
    driver) the seal is made and checked in a worker thread instead of failing."""
    import asyncio

    placement, coordinator = make_confirmed(cohort)
    document = issue_for(placement, coordinator)
    data = services.file_of(document).read_bytes()

    async def seal_and_check():
        sealed_bytes = seals.seal_pdf(data, reason="test")
        return seals.check_seal(sealed_bytes)

    assert asyncio.run(seal_and_check()).valid
