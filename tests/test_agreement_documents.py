"""Service-level tests of the internship agreements (issue 6): numbering and versions, the PDFs'
text (every clause of D124-4 and every computed figure), embedded fonts, the local-only
renderer, signatures, reminders, the préfecture, amendments and the internship certificate.

The PDFs are parsed with pypdf; whitespace (including no-break spaces) is normalised before
asserting. Expected figures are computed here from ``internship_law`` and formatted by hand.
"""

from __future__ import annotations

import hashlib
import io
import re
import socket
from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from pypdf import PdfReader
from sqlalchemy import func, select

from mnc_exchange import internship_law as law
from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements import services
from mnc_exchange.agreements.models import (
    Agreement,
    AgreementDocument,
    DocumentKind,
    Party,
    PrefectureDecision,
    ReminderLog,
    SignatureMethod,
)
from mnc_exchange.applications.models import Institution
from mnc_exchange.applications.uploads import check_upload, path_of
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core import pdf
from mnc_exchange.core.errors import DomainError, TransitionRefused
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.placements.models import Placement, PlacementStatus
from tests.factories import (
    SAMPLE_PDF,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    UserFactory,
    make_selected,
)

#: Issue date pinned for the law checks (the préfecture deadline of a March start is 2 January).
TODAY = date(2026, 11, 26)
YEAR = 2027

#: The article headings the agreement must carry: every clause of Code de l'éducation D124-4,
#: plus the ministry's 2024 additions (confidentiality, IP, discipline, law and courts).
MANDATORY_HEADINGS = (
    "Formation et volume pédagogique",
    "Enseignant référent et tuteur de stage",
    "Compétences à acquérir ou à développer",
    "Activités confiées",
    "Dates et durée du stage",
    "Durée hebdomadaire de présence ; nuit, dimanche et jours fériés",
    "Encadrement et suivi du stagiaire",
    "Gratification et modalités de versement",
    "Protection sociale et accidents du travail",
    "Responsabilité civile et assurances",
    "Absences et congés",
    "Suspension et résiliation",
    "Validation du stage en cas d’interruption",
    "Avantages",
    "Règlement intérieur, santé et sécurité",
    "Attestation de stage",
    "Confidentialité",
    "Propriété intellectuelle",
    "Discipline",
    "Droit applicable et juridictions compétentes",
)


# --- helpers --------------------------------------------------------------------------------------


def _space(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("\u00a0", " ").replace("\u202f", " ")).strip()


def pdf_text(data: bytes) -> tuple[str, PdfReader]:
    reader = PdfReader(io.BytesIO(data))
    return _space(" ".join(page.extract_text() or "" for page in reader.pages)), reader


def doc_text(document: AgreementDocument) -> str:
    return pdf_text(services.file_of(document).read_bytes())[0]


def eur(value: Decimal | str) -> str:
    """French money, written independently of the application's filters: 2 381,40 €."""
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    return f"{amount:,.2f}".replace(",", " ").replace(".", ",") + " €"


def num(value: Decimal | str) -> str:
    """A French number without useless zeros: 756, 756,5, 1 050."""
    amount = Decimal(str(value))
    if amount == amount.to_integral_value():
        return f"{int(amount):,}".replace(",", " ")
    return f"{amount.normalize():,f}".replace(",", " ").replace(".", ",")


_institutions = iter(range(1, 10_000))
_cins = iter(range(100_000, 999_999))


def make_confirmed(cohort, company=None, **offer_values) -> tuple[Placement, object]:
    """A confirmed placement of a selected student with a complete file; returns it and a
    coordinator."""
    coordinator = UserFactory(role=Role.coordinator)
    institution = Institution(
        name=f"École Nationale Supérieure d’Informatique {next(_institutions)}",
        city="Rabat",
        legal_representative="Pr. Amina Alaoui",
        address="Avenue Mohammed Ben Abdallah Regragui, Madinat Al Irfane",
    )
    application = make_selected(cohort, 1)[0]
    application.institution = institution
    application.birth_date = date(2003, 5, 14)
    application.cin = f"AB{next(_cins)}"
    application.passport_number = "ZX1234567"
    application.phone = "+212600000000"
    offer = OfferFactory(cohort=cohort, company=company or CompanyFactory(), **offer_values)
    UserFactory(role=Role.host, company_id=offer.company_id, locale="en")
    placement = Placement(
        cohort_id=cohort.id,
        application_id=application.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
    )
    db.session.add(placement)
    db.session.commit()
    return placement, coordinator


def issue_input(**values) -> services.IssueInput:
    data = {
        "referent_name": "Pr. Youssef Bennani",
        "referent_email": "y.bennani@example.ma",
        "activities": "Conception et développement d’API de paiement mobile.",
        "skills_to_acquire": "Architecture logicielle, tests automatisés, méthodes agiles.",
        "teaching_hours": 420,
        "leave_days": 5,
        "benefits": "Titres-restaurant de 9 € par jour travaillé.",
    }
    data.update(values)
    return services.IssueInput(**data)


def issue_for(placement, coordinator, **values) -> AgreementDocument:
    document = services.issue(placement, issue_input(**values), coordinator, today=TODAY)
    db.session.commit()
    return document


def scan() -> object:
    return check_upload(io.BytesIO(SAMPLE_PDF), "signed.pdf")


def sign_everything(document, coordinator) -> None:
    """Every party signs, in the default signing order."""
    agreement = document.agreement
    student = agreement.placement.application.student
    host = next(c for c in agreement.placement.offer.company.contacts if c.role is Role.host)
    services.sign_in_app(document, host)
    services.sign_in_app(document, student)
    for party in (Party.tutor, Party.institution, Party.referent, Party.programme):
        services.record_paper_signature(document, party, "Signataire papier", scan(), coordinator)
    db.session.commit()


@pytest.fixture
def cohort():
    return CohortFactory(year=YEAR, state=CohortState.matching, is_current=True)


@pytest.fixture
def issued(cohort):
    placement, coordinator = make_confirmed(cohort)
    return issue_for(placement, coordinator), coordinator


# --- issue: numbers, text, fonts, hash ------------------------------------------------------------


def test_issue_numbers_the_agreements_of_a_cohort(cohort):
    placement, coordinator = make_confirmed(cohort)
    first = issue_for(placement, coordinator)
    assert first.agreement.number == f"MNC-{YEAR}-001"
    assert (first.kind, first.version, first.reference) == (
        DocumentKind.agreement,
        1,
        f"MNC-{YEAR}-001",
    )
    second_placement, _ = make_confirmed(cohort)
    second = issue_for(second_placement, coordinator)
    assert second.agreement.number == f"MNC-{YEAR}-002"
    assert first.verification_code != second.verification_code
    # One agreement per placement: issuing again is refused (a new version is the way).
    with pytest.raises(DomainError):
        services.issue(placement, issue_input(), coordinator, today=TODAY)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Agreement)) == 2


def test_only_a_confirmed_placement_gets_an_agreement(cohort):
    placement, coordinator = make_confirmed(cohort)
    placement.status = PlacementStatus.proposed
    db.session.commit()
    with pytest.raises(DomainError):
        services.issue(placement, issue_input(), coordinator, today=TODAY)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Agreement)) == 0


def test_agreement_pdf_states_every_clause_party_and_figure(issued):
    document, _ = issued
    data = services.file_of(document).read_bytes()
    text, reader = pdf_text(data)
    agreement = document.agreement
    application = agreement.placement.application
    company = agreement.placement.offer.company

    assert "Convention de stage" in text
    for heading in MANDATORY_HEADINGS:
        assert heading in text, heading
    assert "Article 1 — Objet de la convention" in text
    # Parties.
    for expected in (
        application.first_name,
        application.last_name.upper(),
        application.cin,
        "ZX1234567",
        "14 mai 2003",
        application.institution.name,
        "Pr. Amina Alaoui",
        "Pr. Youssef Bennani",
        company.legal_name,
        company.siret,
        "6201Z",
        "Claire Martin",
        agreement.tutor.full_name,
        "Maroc Numeric Cluster",
    ):
        assert expected in text, expected
    # Computed figures: 2 March – 31 July 2027, 35 h a week, €700 a month.
    hours = law.presence_hours(date(YEAR, 3, 2), date(YEAR, 7, 31), 35, 7)
    months = hours / 154
    assert f"{num(hours)} h" in text
    assert f"{num((hours / 7).quantize(Decimal('0.1')))} jours de présence" in text
    assert "2 mars 2027" in text and "31 juillet 2027" in text
    assert "35 h par semaine" in text
    assert f"{eur(700)} par mois" in text
    assert eur(693) in text  # monthly legal minimum: 154 h × €4.50 (2026 ceiling, provisional)
    assert eur(hours * Decimal("4.50")) in text  # legal minimum for the whole internship
    assert eur((Decimal(700) * months).quantize(Decimal("0.01"))) in text  # total stipend
    assert "L124-6" in text and "premier jour" in text
    assert "5 jours de congé" in text and "Titres-restaurant" in text
    assert "2 janvier 2027" in text  # préfecture deadline (long stay)
    # Signatures, annex, verification, page numbers.
    assert text.count("Lu et approuvé") >= 6
    assert "Annex — English summary" in text
    assert document.verification_code in text
    assert f"/verify/{document.verification_code}" in text
    pages = len(reader.pages)
    assert pages >= 2
    assert f"page 1 / {pages}" in text and f"page {pages} / {pages}" in text
    assert f"MNC-{YEAR}-001" in reader.pages[1].extract_text()  # header on every page
    assert document.snapshot["figures"]["presence_hours"] == str(hours)


def test_pdf_embeds_the_bundled_fonts_and_its_hash_is_stored(issued):
    document, _ = issued
    data = services.file_of(document).read_bytes()
    assert data.startswith(b"%PDF-")
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.size == len(data)
    _, reader = pdf_text(data)
    fonts = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts")
            descriptor = (
                descendants[0].get_object()["/FontDescriptor"]
                if descendants
                else font["/FontDescriptor"]
            ).get_object()
            fonts[str(font["/BaseFont"])] = descriptor
    assert fonts
    for name, descriptor in fonts.items():
        assert "MNC-Sans" in name, name
        assert "/FontFile2" in descriptor, name  # the TrueType program is embedded


def test_the_renderer_refuses_remote_and_foreign_urls(monkeypatch):
    fetcher = pdf._fetcher()
    for url in (
        "http://example.org/logo.png",
        "https://example.org/font.ttf",
        "file:///etc/passwd",
        (pdf.FONTS_DIR / "README.txt").as_uri(),
        (pdf.FONTS_DIR.parent / "app.css").as_uri(),
    ):
        with pytest.raises(pdf.URLRefused):
            fetcher.fetch(url)
    assert fetcher.fetch((pdf.FONTS_DIR / "DejaVuSans.ttf").as_uri()) is not None

    # A document pointing outside renders without any network connection being attempted.
    attempts = []
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: attempts.append(a))
    monkeypatch.setattr(socket.socket, "connect", lambda *a, **k: attempts.append(a))
    data = pdf.render_pdf(
        "<html><body><p>x</p><img src='http://example.org/tracker.png'>"
        "<link rel='stylesheet' href='https://example.org/a.css'></body></html>"
    )
    assert data.startswith(b"%PDF-")
    assert attempts == []


# --- versions -------------------------------------------------------------------------------------


def test_reissue_supersedes_and_signatures_do_not_carry_over(issued):
    first, coordinator = issued
    agreement = first.agreement
    student = agreement.placement.application.student
    host = next(c for c in agreement.placement.offer.company.contacts if c.role is Role.host)
    services.sign_in_app(first, host)
    db.session.commit()
    assert services.status(first) == "partially_signed"

    second = services.reissue(
        agreement, issue_input(activities="Nouvelles activités : API temps réel."), coordinator
    )
    db.session.commit()
    assert (second.version, second.reference) == (2, f"MNC-{YEAR}-001 v2")
    assert first.superseded_at is not None
    assert services.status(first) == "superseded"
    assert services.status(second) == "issued"
    assert second.signatures == []
    assert services.current_document(agreement) == second
    assert "Nouvelles activités : API temps réel." in doc_text(second)
    assert second.snapshot["terms"]["activities"].startswith("Nouvelles")
    assert first.snapshot["terms"]["activities"].startswith("Conception")
    with pytest.raises(TransitionRefused):
        services.sign_in_app(first, student)
    db.session.rollback()


def test_user_text_is_printed_as_text_not_markup(issued):
    document, coordinator = issued
    markup = "<b>API</b> & <img src='http://example.org/x.png'> « temps réel »"
    second = services.reissue(document.agreement, issue_input(activities=markup), coordinator)
    db.session.commit()
    assert markup in doc_text(second)


# --- signatures -----------------------------------------------------------------------------------


def test_signature_states_in_app_and_on_paper(issued):
    document, coordinator = issued
    agreement = document.agreement
    student = agreement.placement.application.student
    host = next(c for c in agreement.placement.offer.company.contacts if c.role is Role.host)
    assert services.status(document) == "issued"
    assert services.missing_parties(document) == list(services.SIGNATORIES)

    services.sign_in_app(document, host)
    db.session.commit()
    assert services.status(document) == "partially_signed"
    assert services.party_of(host, agreement) is Party.host
    services.sign_in_app(document, student, ip_address="203.0.113.7")
    db.session.commit()

    upload = scan()
    services.record_paper_signature(
        document, Party.tutor, "Jean Tuteur", upload, coordinator, signed_on=date.today()
    )
    for party in (Party.institution, Party.referent):
        services.record_paper_signature(document, party, "Signataire", scan(), coordinator)
    db.session.commit()
    assert services.status(document) == "partially_signed"
    assert services.missing_parties(document) == [Party.programme]
    services.record_paper_signature(document, Party.programme, "MNC", scan(), coordinator)
    db.session.commit()
    assert services.status(document) == "fully_signed"

    by_party = {s.party: s for s in document.signatures}
    assert by_party[Party.student].method is SignatureMethod.in_app
    assert by_party[Party.student].user_id == student.id
    assert by_party[Party.student].ip_address == "203.0.113.7"
    tutor = by_party[Party.tutor]
    assert tutor.method is SignatureMethod.paper and tutor.recorded_by_id == coordinator.id
    assert tutor.scan_sha256 == upload.sha256
    assert path_of(tutor.scan_stored_name).read_bytes() == SAMPLE_PDF


def test_nobody_signs_twice_and_strangers_cannot_sign(issued, cohort):
    document, coordinator = issued
    student = document.agreement.placement.application.student
    host = next(
        c for c in document.agreement.placement.offer.company.contacts if c.role is Role.host
    )
    services.sign_in_app(document, host)
    services.sign_in_app(document, student)
    db.session.commit()
    with pytest.raises(TransitionRefused):
        services.sign_in_app(document, student)
    db.session.rollback()
    with pytest.raises(TransitionRefused):
        services.record_paper_signature(document, Party.student, "X", scan(), coordinator)
    db.session.rollback()

    other_student = UserFactory(role=Role.student)
    other_host = UserFactory(role=Role.host, company_id=CompanyFactory().id)
    for stranger in (other_student, other_host, coordinator):
        with pytest.raises(TransitionRefused):
            services.sign_in_app(document, stranger)
        db.session.rollback()
    with pytest.raises(DomainError):
        services.record_paper_signature(document, Party.tutor, "  ", scan(), coordinator)
    db.session.rollback()
    with pytest.raises(DomainError):
        services.record_paper_signature(
            document,
            Party.tutor,
            "Jean Tuteur",
            scan(),
            coordinator,
            signed_on=date.today() + timedelta(days=1),
        )
    db.session.rollback()
    assert [s.party for s in document.signatures] == [Party.host, Party.student]


# --- reminders ------------------------------------------------------------------------------------


def test_reminders_go_to_the_parties_whose_signature_is_awaited(issued):
    document, coordinator = issued
    agreement = document.agreement
    student = agreement.placement.application.student
    host = next(c for c in agreement.placement.offer.company.contacts if c.role is Role.host)

    def queued_since(floor):
        return sorted(
            db.session.scalars(
                select(OutboxMessage.recipient).where(OutboxMessage.id > floor)
            ).all()
        )

    def floor():
        return db.session.scalar(select(func.max(OutboxMessage.id))) or 0

    # The signing order: the host company first.
    day = date(2026, 12, 1)
    start = floor()
    assert services.send_reminders(day) == 1
    db.session.commit()
    assert queued_since(start) == [host.email]

    # Not twice the same day.
    start = floor()
    assert services.send_reminders(day) == 0
    db.session.commit()
    assert queued_since(start) == []

    # The next day, the student (the host has signed).
    services.sign_in_app(document, host)
    db.session.commit()
    start = floor()
    assert services.send_reminders(day + timedelta(days=1)) == 1
    db.session.commit()
    assert queued_since(start) == [student.email]
    logged = db.session.scalars(
        select(ReminderLog.party).where(ReminderLog.sent_on == day + timedelta(days=1))
    ).all()
    assert logged == [Party.student]

    # Then the tutor and the referent teacher (the institution has no e-mail address here).
    services.sign_in_app(document, student)
    db.session.commit()
    start = floor()
    assert services.send_reminders(day + timedelta(days=2)) == 2
    db.session.commit()
    assert set(queued_since(start)) == {agreement.tutor.email, agreement.referent_email}

    # A fully signed document is not reminded about.
    for party in (Party.tutor, Party.institution, Party.referent, Party.programme):
        services.record_paper_signature(document, party, "Signataire", scan(), coordinator)
    db.session.commit()
    assert services.send_reminders(day + timedelta(days=3)) == 0


# --- préfecture -----------------------------------------------------------------------------------


def test_prefecture_states(issued):
    document, coordinator = issued
    agreement = document.agreement  # 2 March – 31 July: more than 3 months
    assert agreement.prefecture_required is True
    assert services.prefecture_state(agreement, date(2026, 12, 1)) == "to_submit"
    assert services.prefecture_alert(agreement, date(2026, 12, 1)) is False
    assert services.prefecture_state(agreement, date(2027, 1, 3)) == "late"
    assert services.prefecture_alert(agreement, date(2027, 1, 3)) is True

    real_today = date.today()
    submitted = real_today - timedelta(days=3)
    services.record_prefecture(
        agreement, submitted, PrefectureDecision.pending, None, "Dépôt en ligne", coordinator
    )
    db.session.commit()
    assert services.prefecture_state(agreement, real_today) == "submitted"
    assert services.prefecture_state(agreement, submitted + timedelta(days=30)) == "submitted"
    assert services.prefecture_state(agreement, submitted + timedelta(days=31)) == "silence"

    services.record_prefecture(
        agreement, submitted, PrefectureDecision.stamped, real_today, None, coordinator
    )
    db.session.commit()
    assert services.prefecture_state(agreement, real_today) == "stamped"
    assert agreement.prefecture_decided_on == real_today
    services.record_prefecture(
        agreement, submitted, PrefectureDecision.refused, real_today, "Refus", coordinator
    )
    db.session.commit()
    assert services.prefecture_state(agreement, real_today) == "refused"


@pytest.mark.parametrize(
    ("submitted", "decision", "decided"),
    [
        (1, PrefectureDecision.pending, None),  # submitted in the future
        (None, PrefectureDecision.stamped, 0),  # a decision without a submission
        (-3, PrefectureDecision.stamped, None),  # a decision without its date
        (-3, PrefectureDecision.refused, -5),  # decided before the submission
        (-3, PrefectureDecision.refused, 1),  # decided in the future
    ],
)
def test_record_prefecture_validation(issued, submitted, decision, decided):
    document, coordinator = issued
    agreement = document.agreement
    today = date.today()
    with pytest.raises(DomainError):
        services.record_prefecture(
            agreement,
            None if submitted is None else today + timedelta(days=submitted),
            decision,
            None if decided is None else today + timedelta(days=decided),
            None,
            coordinator,
        )
    db.session.rollback()
    assert agreement.prefecture_submitted_on is None
    assert agreement.prefecture_decision is PrefectureDecision.pending


def test_a_short_internship_needs_no_prefecture(cohort):
    placement, coordinator = make_confirmed(
        cohort, start_on=date(YEAR, 3, 1), end_on=date(YEAR, 5, 31)
    )
    document = issue_for(placement, coordinator)
    agreement = document.agreement
    assert agreement.prefecture_required is False
    assert services.prefecture_state(agreement, TODAY) == "not_required"
    with pytest.raises(DomainError):
        services.record_prefecture(
            agreement, TODAY, PrefectureDecision.pending, None, None, coordinator
        )
    db.session.rollback()
    text = doc_text(document)
    assert "visa de court séjour" in text and "1er mars 2027" in text


# --- amendments -----------------------------------------------------------------------------------


def test_an_amendment_below_the_legal_minimum_is_refused(issued):
    document, coordinator = issued
    agreement = document.agreement
    with force_locale("en"), pytest.raises(TransitionRefused) as refused:
        services.amend(
            agreement,
            services.AmendmentInput(
                reasons=["stipend"],
                monthly_stipend=Decimal("600.00"),
                explanation="Baisse demandée.",
            ),
            coordinator,
            today=TODAY,
        )
    db.session.rollback()
    assert "legal minimum 693.00" in refused.value.message
    assert agreement.monthly_stipend == Decimal("700.00")
    assert [d.kind for d in agreement.documents] == [DocumentKind.agreement]


def test_an_amendment_beyond_924_hours_is_refused(issued):
    document, coordinator = issued
    agreement = document.agreement
    with force_locale("en"), pytest.raises(TransitionRefused) as refused:
        services.amend(
            agreement,
            services.AmendmentInput(
                reasons=["dates"],
                start_on=date(YEAR, 3, 2),
                end_on=date(YEAR, 9, 30),
                explanation="Prolongation jusqu’à fin septembre.",
            ),
            coordinator,
            today=TODAY,
        )
    db.session.rollback()
    assert "legal maximum 924 h (6 months)" in refused.value.message
    assert agreement.end_on == date(YEAR, 7, 31)
    assert [d.kind for d in agreement.documents] == [DocumentKind.agreement]


def test_a_valid_amendment_is_numbered_rendered_and_changes_the_terms(issued):
    document, coordinator = issued
    agreement = document.agreement
    old_tutor = agreement.tutor
    from tests.factories import TutorFactory

    new_tutor = TutorFactory(company=agreement.placement.offer.company, full_name="Luc Nouveau")
    amendment = services.amend(
        agreement,
        services.AmendmentInput(
            reasons=["stipend", "dates", "tutor"],
            monthly_stipend=Decimal("750.00"),
            start_on=date(YEAR, 3, 15),
            end_on=date(YEAR, 8, 13),
            tutor_id=new_tutor.id,
            explanation="Report du début à la demande de l’entreprise.",
        ),
        coordinator,
        today=TODAY,
    )
    db.session.commit()
    assert (amendment.kind, amendment.version) == (DocumentKind.amendment, 1)
    assert amendment.reference == f"MNC-{YEAR}-001-A1"
    assert amendment.reasons == ["stipend", "dates", "tutor"]
    assert agreement.monthly_stipend == Decimal("750.00")
    assert (agreement.start_on, agreement.end_on) == (date(YEAR, 3, 15), date(YEAR, 8, 13))
    assert agreement.tutor_id == new_tutor.id
    assert services.status(amendment) == "issued"  # its own signatures
    assert services.status(document) == "issued"  # the agreement stays in force

    text = doc_text(amendment)
    hours = law.presence_hours(date(YEAR, 3, 15), date(YEAR, 8, 13), 35, 7)
    assert f"Avenant n° 1 à la convention MNC-{YEAR}-001" in text
    assert "Modification de la gratification" in text
    assert eur(700) in text and eur(750) in text  # before → after
    assert "15 mars 2027" in text and "13 août 2027" in text
    assert old_tutor.full_name in text and "Luc Nouveau" in text
    assert "Report du début à la demande de l’entreprise." in text
    assert f"{num(hours)} h" in text
    assert eur((Decimal(750) * hours / 154).quantize(Decimal("0.01"))) in text
    assert eur(693) in text
    assert amendment.verification_code in text
    assert text.count("Lu et approuvé") >= 6

    second = services.amend(
        agreement,
        services.AmendmentInput(
            reasons=["interruption"],
            interruption_from=date(YEAR, 5, 3),
            interruption_to=date(YEAR, 5, 7),
            explanation="Raison familiale.",
        ),
        coordinator,
        today=TODAY,
    )
    db.session.commit()
    assert second.reference == f"MNC-{YEAR}-001-A2"
    text = doc_text(second)
    assert "Avenant n° 2" in text and "3 mai 2027" in text and "7 mai 2027" in text


def test_an_early_end_amendment(issued):
    document, coordinator = issued
    agreement = document.agreement
    amendment = services.amend(
        agreement,
        services.AmendmentInput(
            reasons=["early_end"], early_end_on=date(YEAR, 5, 28), explanation="Abandon."
        ),
        coordinator,
        today=TODAY,
    )
    db.session.commit()
    assert agreement.ended_on == date(YEAR, 5, 28)
    text = doc_text(amendment)
    assert "Fin anticipée du stage" in text and "28 mai 2027" in text
    hours = law.presence_hours(date(YEAR, 3, 2), date(YEAR, 5, 28), 35, 7)
    assert f"{num(hours)} h" in text


# --- the internship certificate -------------------------------------------------------------------


def _confirm(certificate, **changes):
    """The host contact confirms the certificate's figures (changed as given) and signs."""
    agreement = certificate.agreement
    host = next(c for c in agreement.placement.offer.company.contacts if c.role is Role.host)
    figures = services.certificate_figures(certificate)
    for key, value in changes.items():
        setattr(figures, key, value)
    signed = services.confirm_certificate(certificate, host, figures, today=date(YEAR, 8, 3))
    db.session.commit()
    return signed


def test_certificate_after_the_end_of_a_fully_signed_agreement(issued):
    document, coordinator = issued
    agreement = document.agreement
    with pytest.raises(DomainError):
        services.prepare_certificate(
            agreement, coordinator, Decimal("3500"), today=date(YEAR, 7, 1)
        )
    db.session.rollback()
    with pytest.raises(DomainError):  # ended but not fully signed
        services.prepare_certificate(
            agreement, coordinator, Decimal("3500"), today=date(YEAR, 8, 2)
        )
    db.session.rollback()
    assert not [d for d in agreement.documents if d.kind is DocumentKind.certificate]

    sign_everything(document, coordinator)
    certificate = services.prepare_certificate(
        agreement,
        coordinator,
        Decimal("3612.40"),
        programme_note="Stagiaire autonome et rigoureux.",
        today=date(YEAR, 8, 2),
    )
    db.session.commit()
    assert certificate.kind is DocumentKind.certificate
    assert certificate.reference == f"MNC-{YEAR}-001-ATT"
    # Prepared by the programme: the host confirms and signs it.
    assert services.status(certificate) == "issued"
    assert services.awaited_parties(certificate) == [Party.host]
    assert certificate.final_stored_name is None
    signed = _confirm(certificate)
    assert signed.id == certificate.id and services.status(certificate) == "fully_signed"
    assert certificate.final_stored_name is not None
    hours = law.presence_hours(date(YEAR, 3, 2), date(YEAR, 7, 31), 35, 7)
    text = pdf_text(services.file_to_serve(certificate).read_bytes())[0]
    application = agreement.placement.application
    assert "Attestation de stage" in text and "D124-9" in text
    assert eur("3612.40") in text
    assert f"{num(hours)} h" in text
    assert f"{num((hours / 7).quantize(Decimal('0.1')))} jours" in text
    assert "2 mars 2027" in text and "31 juillet 2027" in text
    assert application.last_name.upper() in text and application.cin in text
    assert agreement.placement.offer.company.siret in text
    assert "Claire Martin" in text
    assert "Stagiaire autonome et rigoureux." in text
    assert "Observations du programme Maroc Numeric Cluster" in text
    assert "Appréciation du tuteur" not in text  # no final evaluation: no tutor heading
    assert "jusqu’à son terme" in text
    assert certificate.verification_code in text


def test_the_tutors_final_evaluation_feeds_the_certificate(issued):
    from mnc_exchange.followup import services as followup
    from mnc_exchange.followup.models import EvaluationKind

    document, coordinator = issued
    agreement = document.agreement
    sign_everything(document, coordinator)
    internship = followup.ensure_internship(agreement.placement)
    _evaluation, token = followup.send_evaluation_link(internship, EvaluationKind.final, None)
    keys = [c.key for c in followup.criteria_for(agreement.cohort)]
    followup.submit_evaluation(token, dict.fromkeys(keys, 4), 5, "Très bon stage, autonome.")
    db.session.commit()
    certificate = services.prepare_certificate(
        agreement, coordinator, Decimal("3612.40"), today=date(YEAR, 8, 2)
    )
    db.session.commit()
    summary = certificate.snapshot["certificate"]["tutor_appraisal"]
    assert "appréciation globale 5/5" in summary and "Très bon stage" in summary
    assert certificate.snapshot["certificate"]["programme_note"] == ""
    text = _space(doc_text(certificate))
    assert "Appréciation du tuteur de stage" in text and "appréciation globale 5/5" in text
    assert "Observations du programme" not in text
