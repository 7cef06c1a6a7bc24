"""Issue 15 §2, the law exactly: leave and absences past two months (Code de l'éducation
L124-13) on the offer and in the agreement; the préfecture's answer does not carry over to a
version that changes the dates, hours, stipend, host or activities (CESEDA R426-19/20); the
internship certificate delivered by the host (D124-9), prepared by the programme, confirmed and
signed by the host, then sealed.

The PDFs are read back with pypdf: every clause of D124-4 (as listed in DOMAIN.md) with its
figure for a 2-, a 4- and a 6-month internship, the leave clause, the certificate's figures and
signer; pyHanko validates the certificate's seal.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from mnc_exchange import internship_law as law
from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements import services
from mnc_exchange.agreements.changes import material_changes
from mnc_exchange.agreements.models import DocumentKind, Party, PrefectureDecision
from mnc_exchange.audit.models import AuditEvent as AuditLog
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core import seal as seals
from mnc_exchange.core.errors import DomainError, TransitionRefused
from mnc_exchange.extensions import db
from mnc_exchange.offers import law as offer_law
from mnc_exchange.offers import services as offer_services
from mnc_exchange.offers.models import Offer, OfferStatus
from tests.factories import CohortFactory, CompanyFactory, OfferFactory, UserFactory
from tests.test_agreement_documents import (
    TODAY,
    YEAR,
    eur,
    issue_for,
    issue_input,
    make_confirmed,
    num,
    pdf_text,
    sign_everything,
)

#: The préfecture's answer is recorded in the past (the application refuses future dates).
SUBMITTED, DECIDED = date.today() - timedelta(days=20), date.today() - timedelta(days=6)

#: 1 March 2027 + 2, 4 and 6 months (35 h a week): 308 h (exactly two months: no stipend nor
#: leave required), 595 h and 896 h.
DURATIONS = {
    2: (date(YEAR, 3, 1), date(YEAR, 4, 30)),
    4: (date(YEAR, 3, 1), date(YEAR, 6, 30)),
    6: (date(YEAR, 3, 1), date(YEAR, 8, 31)),
}


@pytest.fixture
def cohort():
    return CohortFactory(year=YEAR, state=CohortState.matching, is_current=True)


def _host(agreement):
    return next(c for c in agreement.placement.offer.company.contacts if c.role is Role.host)


def _terms(start, end, leave_days, hours=35) -> law.InternshipTerms:
    return law.InternshipTerms(
        start=start,
        end=end,
        weekly_hours=hours,
        daily_hours=7,
        monthly_stipend=Decimal(700),
        host_headcount=50,
        host_interns_in_same_week=0,
        tutor_running_agreements=0,
        leave_days=leave_days,
    )


# --- L124-13: the pure rule ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "end, leave, refused",
    [
        (date(2026, 10, 30), 0, False),  # exactly 308 h: two months, no leave required
        (date(2026, 11, 2), 0, True),  # 315 h: more than two months
        (date(2026, 11, 2), 1, False),
        (date(2026, 11, 2), None, False),  # leave not part of the terms: not judged
    ],
)
def test_no_leave_day_is_refused_past_two_months(end, leave, refused):
    report = law.check_internship(_terms(date(2026, 9, 1), end, leave))
    assert report.leave_required is (report.presence_hours > 308)
    assert ("leave_missing" in report.codes) is refused
    if refused:
        (finding,) = [f for f in report.violations if f.message_key == "leave_missing"]
        assert finding.code == "L124-13"
        assert finding.params == {"hours": Decimal(315), "threshold": 308, "minimum": 1}
        assert "must provide for leave and absences" in finding.default_message


def test_the_leave_threshold_is_in_the_dated_legal_table():
    assert law.LEAVE_REQUIRED_ABOVE_HOURS == 2 * law.DAYS_PER_MONTH * law.HOURS_PER_DAY == 308
    assert law.leave_required(Decimal(308)) is False
    assert law.leave_required(Decimal("308.01")) is True


# --- L124-13: the offer -------------------------------------------------------------------------


def test_an_offer_past_two_months_without_leave_is_refused_naming_the_rule(app):
    cohort = CohortFactory(year=2026, is_current=True, state=CohortState.open)
    offer = OfferFactory(
        cohort=cohort,
        status="draft",
        start_on=date(2026, 3, 2),
        end_on=date(2026, 5, 29),
        monthly_stipend=Decimal("693.00"),
        leave_days=0,
    )
    host = UserFactory(role=Role.host, company_id=offer.company_id)
    with force_locale("en"), pytest.raises(TransitionRefused) as refused:
        offer_services.transition(offer, OfferStatus.submitted, host, today=date(2025, 11, 3))
    assert (
        "an internship of more than 2 months (420 h of presence > 308 h) must provide for leave "
        "and absences: give at least 1 day of leave (L124-13)"
    ) in refused.value.message
    assert offer.status is OfferStatus.draft
    offer.leave_days = 5
    offer_services.transition(offer, OfferStatus.submitted, host, today=date(2025, 11, 3))
    assert offer.status is OfferStatus.submitted


def test_a_two_month_offer_needs_no_leave(app):
    cohort = CohortFactory(year=2026, is_current=True, state=CohortState.open)
    offer = OfferFactory(
        cohort=cohort,
        status="draft",
        start_on=date(2026, 3, 2),
        end_on=date(2026, 4, 30),
        leave_days=0,
    )
    report = offer_law.check_offer(offer, date(2025, 11, 3))
    assert report.ok, report.codes
    assert report.leave_required is False


def test_the_offer_form_takes_the_days_of_leave_and_the_page_says_why(client, auth):
    cohort = CohortFactory(year=2026, is_current=True, state=CohortState.open)
    company = CompanyFactory()
    auth.as_role("host", locale="en", company_id=company.id)
    data = {
        "title": "Mobile payments developer",
        "description": "Build the mobile payment API.",
        "pole": "mobile",
        "skills": "Kotlin",
        "city": "Lyon",
        "start_on": "2026-03-02",
        "end_on": "2026-05-29",
        "weekly_hours": "35",
        "daily_hours": "7",
        "monthly_stipend": "693,00",
        "seats": "1",
        "tutor_id": "",
        "language": "fr",
        "work_mode": "onsite",
    }
    page = client.post("/company/offers/new", data=data, follow_redirects=True)
    text = page.get_data(as_text=True)
    assert "must provide for leave and absences" in text and "L124-13" in text
    assert 'id="leave-required"' in text
    offer = db.session.scalar(select(Offer).where(Offer.cohort_id == cohort.id))
    assert offer.leave_days == 0
    client.post(f"/offers/{offer.id}/edit", data=data | {"leave_days": "8"})
    db.session.expire_all()
    assert offer.leave_days == 8
    assert "must provide for leave" not in client.get(f"/offers/{offer.id}").get_data(as_text=True)


# --- L124-13: the agreement ---------------------------------------------------------------------


def test_an_agreement_past_two_months_without_leave_is_refused(cohort):
    placement, coordinator = make_confirmed(cohort, leave_days=0)
    with force_locale("en"), pytest.raises(TransitionRefused) as refused:
        services.issue(placement, issue_input(leave_days=0), coordinator, today=TODAY)
    assert "L124-13" in refused.value.message
    db.session.rollback()
    # Without a figure of its own, the agreement takes the offer's days of leave.
    placement, coordinator = make_confirmed(cohort, leave_days=12)
    document = issue_for(placement, coordinator, leave_days=None)
    assert document.agreement.leave_days == 12
    # A new version cannot drop the leave either.
    with pytest.raises(TransitionRefused):
        services.reissue(document.agreement, issue_input(leave_days=0), coordinator)


def _d124_4(text: str, document, months: int) -> list[str]:
    """What is missing from the agreement's text: each clause of Code de l'éducation D124-4
    (DOMAIN.md), by its heading and its figure, the signatories, the 2024 model's clauses."""
    s = document.snapshot
    terms, f = s["terms"], s["figures"]
    start, end = DURATIONS[months]
    hours = law.presence_hours(start, end, 35, 7)
    expected = {
        # signatories: student, host, sending institution, referent teacher, host's tutor
        "signatory student": "Le stagiaire",
        "signatory host": "L’organisme d’accueil, représenté par",
        "signatory institution": "L’établissement, représenté par",
        "signatory referent": "L’enseignant référent",
        "signatory tutor": "Le tuteur de stage",
        # the programme and its teaching hours
        "programme": "Formation et volume pédagogique",
        "programme name": s["student"]["programme"],
        "teaching hours": f"{terms['teaching_hours']} heures",
        # referent teacher and tutor
        "referent and tutor": "Enseignant référent et tuteur de stage",
        "referent": s["referent"]["name"],
        "tutor": s["tutor"]["name"],
        # skills to acquire; activities
        "skills": "Compétences à acquérir ou à développer",
        "skills text": terms["skills_to_acquire"],
        "activities": "Activités confiées",
        "activities text": terms["activities"],
        # start/end dates and total duration in hours of presence
        "dates": "Dates et durée du stage",
        "start": "1er mars 2027",
        "end": {2: "30 avril 2027", 4: "30 juin 2027", 6: "31 août 2027"}[months],
        "total hours": f"{num(hours)} h",
        # weekly hours; night, Sunday or holiday presence
        "weekly hours": "Durée hebdomadaire de présence ; nuit, dimanche et jours fériés",
        "weekly figure": "35 h par semaine",
        "night": "Présence de nuit, le dimanche ou un jour férié : aucune",
        # how referent and tutor follow the intern
        "follow-up": "Encadrement et suivi du stagiaire",
        # stipend amount and payment terms
        "stipend": "Gratification et modalités de versement",
        "stipend amount": f"{eur(terms['monthly_stipend'])} par mois",
        "payment terms": "versée mensuellement",
        # social protection incl. work accidents; civil liability
        "social protection": "Protection sociale et accidents du travail",
        "work accidents": "L412-8",
        "civil liability": "Responsabilité civile et assurances",
        # absence and leave
        "leave": "Absences et congés",
        "leave figure": f"{terms['leave_days']} jours de congé",
        "pregnancy": "Grossesse, paternité, adoption",
        # suspension and end; validation when it stops early
        "suspension": "Suspension et résiliation",
        "validation": "Validation du stage en cas d’interruption",
        # benefits; internal rules; certificate
        "benefits": "Avantages",
        "benefits text": terms["benefits"],
        "internal rules": "Règlement intérieur, santé et sécurité",
        "certificate": "Attestation de stage",
        "certificate article": "D124-9",
        # the ministry's 2024 model
        "confidentiality": "Confidentialité",
        "intellectual property": "Propriété intellectuelle",
        "discipline": "Discipline",
        "law and courts": "Droit applicable et juridictions compétentes",
        # the maximum length (L124-5)
        "maximum": f"{num(law.MAX_HOURS_PER_HOST_PER_ACADEMIC_YEAR)} heures de présence",
    }
    if f["gratification_required"]:
        expected["monthly minimum"] = eur(f["monthly_minimum"])
    if f["long_stay"]:
        expected["préfecture"] = "avis sur une convention de stage"
    return [name for name, value in expected.items() if value not in text]


@pytest.mark.parametrize("months", [2, 4, 6])
def test_no_clause_is_missing_for_2_4_and_6_months(cohort, months):
    start, end = DURATIONS[months]
    placement, coordinator = make_confirmed(cohort, start_on=start, end_on=end)
    leave = 0 if months == 2 else 10
    document = issue_for(placement, coordinator, leave_days=leave)
    text = pdf_text(services.file_of(document).read_bytes())[0]
    assert _d124_4(text, document, months) == [] or months == 2
    if months == 2:
        # Two months exactly: no leave required, none granted; the clause says so.
        missing = _d124_4(text, document, months)
        assert missing == ["leave figure"], missing
        assert "la loi n’impose pas de jours de congé" in text
        assert "aucun jour de congé en dehors des jours fériés" in text
        assert "la gratification n’est pas obligatoire" in text
    else:
        # The leave clause of L124-13, with the figure; never "no leave day".
        assert "Le stage durant plus de deux mois (plus de 308 heures de présence)" in text
        assert "prévoit des congés et des autorisations d’absence" in text
        assert "10 jours de congé pendant le stage" in text
        assert "Aucun jour de congé" not in text and "aucun jour de congé" not in text
        assert "internship over 2 months: leave is mandatory, L124-13" in text  # the annex
        assert document.snapshot["figures"]["leave_required"] is True
    assert (months > 3) is document.snapshot["figures"]["long_stay"]
    if months == 6:
        assert law.presence_hours(start, end, 35, 7) <= law.MAX_HOURS_PER_HOST_PER_ACADEMIC_YEAR


# --- the préfecture's answer and new versions ---------------------------------------------------


def _snap(**sections):
    base = {
        "terms": {
            "start_on": "2027-03-01",
            "end_on": "2027-06-30",
            "weekly_hours": "35.0",
            "daily_hours": "7.0",
            "monthly_stipend": "700.00",
            "work_address": "10 rue de la Paix, 75002 Paris",
            "work_city": "Paris",
            "activities": "- API\n- Tests",
            "skills_to_acquire": "Python",
            "leave_days": 10,
            "benefits": "Titres-restaurant",
        },
        "host": {"legal_name": "Exemple SAS", "siret": "73282932000074", "city": "Paris"},
        "referent": {"name": "Pr. Bennani", "email": "b@example.ma"},
    }
    for section, values in sections.items():
        base[section] = base[section] | values
    return base


@pytest.mark.parametrize(
    "changes, expected",
    [
        ({}, []),
        ({"referent": {"email": "other@example.ma"}}, []),  # a correction
        ({"terms": {"benefits": "Aucun", "leave_days": 12}}, []),
        ({"terms": {"weekly_hours": "35"}}, []),  # the same number
        ({"terms": {"activities": "- API\n\n-   Tests "}}, []),  # the same words
        ({"terms": {"end_on": "2027-07-31"}}, ["dates"]),
        ({"terms": {"daily_hours": "8.0"}}, ["hours"]),
        ({"terms": {"monthly_stipend": "750.00"}}, ["stipend"]),
        ({"host": {"siret": "55210055400013"}}, ["host"]),
        ({"terms": {"work_city": "Lyon"}}, ["host"]),
        ({"terms": {"skills_to_acquire": "Go"}}, ["activities"]),
        (
            {"terms": {"monthly_stipend": "1", "start_on": "2027-03-02", "activities": "x"}},
            ["dates", "stipend", "activities"],
        ),
    ],
)
def test_material_changes_compares_two_snapshots(changes, expected):
    assert material_changes(_snap(), _snap(**changes)) == expected


@pytest.fixture
def stamped(cohort):
    """A signed 4-month agreement whose préfecture stamped it."""
    placement, coordinator = make_confirmed(
        cohort, start_on=DURATIONS[4][0], end_on=DURATIONS[4][1]
    )
    document = issue_for(placement, coordinator)
    sign_everything(document, coordinator)
    agreement = document.agreement
    assert agreement.prefecture_required
    services.record_prefecture(
        agreement,
        SUBMITTED,
        PrefectureDecision.stamped,
        DECIDED,
        None,
        coordinator,
    )
    db.session.commit()
    return agreement, coordinator


def test_a_correction_keeps_the_prefecture_s_answer(stamped):
    agreement, coordinator = stamped
    second = services.reissue(
        agreement, issue_input(referent_email="y.bennani@univ.example.ma"), coordinator
    )
    db.session.commit()
    assert agreement.prefecture_decision is PrefectureDecision.stamped
    assert agreement.prefecture_submitted_on == SUBMITTED
    assert second.snapshot["changes"] == {
        "since": agreement.number,
        "terms": [],
        "prefecture": "kept",
        "previous_prefecture": None,
    }
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "agreement.prefecture_basis")
    )
    assert entry.details["prefecture"] == "kept" and entry.details["terms"] == []


def test_new_activities_need_a_new_submission(stamped, client, auth):
    agreement, coordinator = stamped
    second = services.reissue(
        agreement,
        issue_input(activities="Conception d’une application mobile de paiement."),
        coordinator,
    )
    db.session.commit()
    changes = second.snapshot["changes"]
    assert changes["terms"] == ["activities"]
    assert changes["prefecture"] == "new_submission"
    assert changes["previous_prefecture"] == {
        "reference": agreement.number,
        "submitted_on": SUBMITTED.isoformat(),
        "decision": "stamped",
        "decided_on": DECIDED.isoformat(),
    }
    assert agreement.prefecture_decision is PrefectureDecision.pending
    assert agreement.prefecture_submitted_on is None and agreement.prefecture_decided_on is None
    entry = db.session.scalar(
        select(AuditLog).where(AuditLog.action == "agreement.prefecture_basis")
    )
    assert entry.details["terms"] == ["activities"]
    assert entry.details["previous_prefecture"]["decision"] == "stamped"

    # The agreement page says so, in English and in French.
    auth.as_role("coordinator", locale="en")
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert 'id="prefecture-resubmit"' in page and 'data-changes="activities"' in page
    assert (
        f"{second.reference} changes the activities or skills of {agreement.number}: the "
        "préfecture's answer on the previous version does not carry over"
    ) in page
    assert "Previous answer, for MNC-2027-001: Stamped (approved)" in page
    auth.logout()
    auth.as_role("coordinator", locale="fr")
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert "ne vaut pas pour elle" in page


def test_amendments_of_the_stipend_need_a_new_submission_an_early_end_does_not(stamped):
    agreement, coordinator = stamped
    amendment = services.amend(
        agreement,
        services.AmendmentInput(
            reasons=["stipend"], monthly_stipend=Decimal("800.00"), explanation="Hausse."
        ),
        coordinator,
        today=TODAY,
    )
    db.session.commit()
    assert amendment.snapshot["changes"]["terms"] == ["stipend"]
    assert agreement.prefecture_decision is PrefectureDecision.pending
    sign_everything(amendment, coordinator)
    services.record_prefecture(
        agreement, DECIDED, PrefectureDecision.stamped, DECIDED, None,
        coordinator,
    )  # fmt: skip
    db.session.commit()
    early = services.amend(
        agreement,
        services.AmendmentInput(
            reasons=["early_end"], early_end_on=date(YEAR, 5, 28), explanation="Fin."
        ),
        coordinator,
        today=TODAY,
    )
    db.session.commit()
    assert early.snapshot["changes"]["terms"] == []
    assert early.snapshot["changes"]["prefecture"] == "kept"
    assert agreement.prefecture_decision is PrefectureDecision.stamped


def test_a_short_internship_records_the_changes_without_prefecture(cohort):
    placement, coordinator = make_confirmed(
        cohort, start_on=DURATIONS[2][0], end_on=DURATIONS[2][1]
    )
    document = issue_for(placement, coordinator, leave_days=0)
    second = services.reissue(
        document.agreement, issue_input(leave_days=0, activities="Autre."), coordinator
    )
    assert second.snapshot["changes"]["prefecture"] == "not_required"
    assert second.snapshot["changes"]["terms"] == ["activities"]


# --- the internship certificate, delivered by the host ------------------------------------------


@pytest.fixture(scope="module")
def seal_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("seal-law")
    key, cert = folder / "key.pem", folder / "cert.pem"
    seals.create_demo_certificate(key, cert)
    return key, cert


@pytest.fixture
def sealed(monkeypatch, app, data_app, seal_files):
    for target in (app, data_app):
        monkeypatch.setitem(target.config, "SEAL_KEY_PATH", str(seal_files[0]))
        monkeypatch.setitem(target.config, "SEAL_CERT_PATH", str(seal_files[1]))
        monkeypatch.setitem(target.config, "SEAL_KEY_PASSPHRASE", None)
    return seal_files


@pytest.fixture
def ended(cohort):
    """A fully signed 4-month agreement (ended), with the tutor's final evaluation."""
    from mnc_exchange.followup import services as followup
    from mnc_exchange.followup.models import EvaluationKind

    placement, coordinator = make_confirmed(
        cohort, start_on=DURATIONS[4][0], end_on=DURATIONS[4][1]
    )
    document = issue_for(placement, coordinator)
    sign_everything(document, coordinator)
    internship = followup.ensure_internship(placement)
    _evaluation, token = followup.send_evaluation_link(internship, EvaluationKind.final, None)
    keys = [c.key for c in followup.criteria_for(cohort)]
    followup.submit_evaluation(token, dict.fromkeys(keys, 4), 4, "Travail soigné, bonne équipe.")
    db.session.commit()
    return document.agreement, coordinator


def _between(text: str, first: str, then: str) -> str:
    return text.split(first, 1)[1].split(then, 1)[0]


def test_the_host_confirms_corrects_and_signs_the_certificate_then_it_is_sealed(sealed, ended):
    agreement, coordinator = ended
    prepared = services.prepare_certificate(
        agreement, coordinator, programme_note="Stagiaire très investie dans le programme.",
        today=date(YEAR, 7, 2),
    )  # fmt: skip
    db.session.commit()
    planned = law.presence_hours(*DURATIONS[4], 35, 7)
    figures = services.certificate_figures(prepared)
    assert figures.presence_hours == planned == Decimal(595)
    assert figures.total_stipend_paid == Decimal("2704.55")  # 700 € × 595 h / 154 h
    assert services.status(prepared) == "issued" and prepared.final_stored_name is None
    assert services.awaited_parties(prepared) == [Party.host]
    # The programme prepares it; only the host confirms and signs.
    for user in (coordinator, agreement.placement.application.student):
        with pytest.raises(TransitionRefused):
            services.confirm_certificate(prepared, user, figures)
    host = _host(agreement)
    with pytest.raises(DomainError):  # beyond the agreement
        services.confirm_certificate(
            prepared, host, services.CertificateFigures(
                DURATIONS[4][0], date(YEAR, 7, 15), Decimal(595), Decimal(2700)
            ),
        )  # fmt: skip
    with pytest.raises(DomainError):  # more hours than planned
        services.confirm_certificate(
            prepared, host, services.CertificateFigures(
                *DURATIONS[4], Decimal(596), Decimal(2700)
            ),
        )  # fmt: skip
    db.session.rollback()

    # Two days of absence: 581 hours; 2 640,00 € actually paid.
    confirmed = services.CertificateFigures(*DURATIONS[4], Decimal(581), Decimal("2640.00"))
    signed = services.confirm_certificate(
        prepared, host, confirmed, "203.0.113.9", capacity="Directrice des ressources humaines",
        today=date(YEAR, 7, 3),
    )  # fmt: skip
    db.session.commit()
    assert signed.id != prepared.id and prepared.superseded_at is not None
    assert signed.reference == f"{agreement.number}-ATT2"
    assert signed.snapshot["certificate"]["corrected_from"] == prepared.reference
    assert services.status(signed) == "fully_signed"
    assert [s.party for s in signed.signatures] == [Party.host]
    assert signed.sealed

    data = services.file_to_serve(signed).read_bytes()
    assert seals.check_seal(data).valid
    text = pdf_text(data)[0]
    assert "581 h de présence" in text and "83 jours de présence" in text
    assert eur("2640.00") in text and eur("2704.55") not in text
    assert "du 1er mars 2027 au 30 juin 2027" in text
    assert "Pour l’organisme d’accueil, qui délivre la présente attestation" in text
    assert f"{host.full_name}, Directrice des ressources humaines" in text
    assert "durée et gratification confirmées par l’organisme d’accueil" in text
    assert (
        f"chiffres corrigés par l’organisme d’accueil par rapport à la version {prepared.reference}"
        in text
    )
    assert signed.sha256 in text
    assert "scellée électroniquement par le programme" in text
    # Two voices, each under its own heading.
    tutor = _between(text, "Appréciation du tuteur de stage", "Observations du programme")
    note = _between(
        text, "Observations du programme Maroc Numeric Cluster", "L’attestation de stage"
    )
    assert "Travail soigné, bonne équipe." in tutor and "très investie" not in tutor
    assert "Stagiaire très investie dans le programme." in note and "Travail soigné" not in note


def test_the_same_figures_sign_the_prepared_certificate(ended):
    agreement, coordinator = ended
    prepared = services.prepare_certificate(
        agreement, coordinator, Decimal("2704.55"), today=date(YEAR, 7, 2)
    )
    db.session.commit()
    signed = services.confirm_certificate(
        prepared, _host(agreement), services.certificate_figures(prepared)
    )
    db.session.commit()
    assert signed.id == prepared.id and prepared.final_stored_name
    text = pdf_text(services.file_to_serve(prepared).read_bytes())[0]
    assert "595 h de présence" in text and eur("2704.55") in text
    assert "chiffres corrigés" not in text
    # Without a programme note: no programme heading; the tutor's appraisal keeps its own.
    assert "Observations du programme" not in text
    assert "Appréciation du tuteur de stage" in text


def test_the_host_confirms_on_the_agreement_page(ended, client, auth):
    agreement, coordinator = ended
    prepared = services.prepare_certificate(agreement, coordinator, today=date(YEAR, 7, 2))
    db.session.commit()
    host = _host(agreement)
    auth.login(host.email)
    page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert f'id="confirm-form-{prepared.id}"' in page
    assert f'value="{prepared.snapshot["certificate"]["presence_hours"]}"' in page or "595" in page
    # The generic signature does not sign a certificate: its figures must be confirmed.
    client.post(f"/agreements/documents/{prepared.id}/sign", data={f"doc{prepared.id}-accept": "y"})
    assert services.status(prepared) == "issued"
    prefix = f"doc{prepared.id}-"
    response = client.post(
        f"/agreements/documents/{prepared.id}/certificate/confirm",
        data={
            prefix + "start_on": "2027-03-01",
            prefix + "end_on": "2027-06-30",
            prefix + "presence_hours": "595",
            prefix + "total_stipend_paid": "1 500,00",  # below the legal minimum
            prefix + "capacity": "Gérante",
            prefix + "accept": "y",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "below the legal minimum" in text and "L124-6" in text
    db.session.expire_all()
    (signed,) = [
        d
        for d in agreement.documents
        if d.kind is DocumentKind.certificate and d.superseded_at is None
    ]
    assert signed.snapshot["certificate"]["total_stipend_paid"] == "1500.00"
    assert services.status(signed) == "fully_signed"
    assert signed.signatures[0].signer_capacity == "Gérante"
    # Refused input changes nothing and says why.
    bad = client.post(
        f"/agreements/documents/{signed.id}/certificate/confirm",
        data={prefix + "presence_hours": "abc", prefix + "accept": "y"},
    )
    assert bad.status_code in (302, 400)
