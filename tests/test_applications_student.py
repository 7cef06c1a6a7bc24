"""The student's side of applications: the file, its validation, the checklist, documents,
deadlines, submission, returns for correction, withdrawal and who may see what.

New strings are not in the French catalogue yet: the client switches to English first and the
tests assert English text, element ids and the database.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role
from mnc_exchange.applications import services
from mnc_exchange.applications.models import (
    Application,
    ApplicationMessage,
    ApplicationStatus,
    Document,
    Institution,
    MessageKind,
)
from mnc_exchange.applications.reference import DEFAULT_DOCUMENT_REQUIREMENTS, DocumentKind
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from tests.factories import (
    SAMPLE_PDF,
    CohortFactory,
    UserFactory,
    make_application_with_document,
)

S = ApplicationStatus
TODAY = date.today()
URL = "/application/"
CONFIRM = {"confirm": "y"}  # the box that confirms a submission is final


def days(n: int) -> date:
    return TODAY + timedelta(days=n)


def years_ago(n: int, extra_days: int = 0) -> date:
    try:
        day = TODAY.replace(year=TODAY.year - n)
    except ValueError:  # 29 February
        day = TODAY.replace(year=TODAY.year - n, day=28)
    return day + timedelta(days=extra_days)


def png_bytes() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (11, 93, 59)).save(buffer, "PNG")
    return buffer.getvalue()


# --- fixtures and helpers --------------------------------------------------------------------


def _cohort(**overrides):
    values = {
        "state": CohortState.open,
        "is_current": True,
        "applications_open_on": days(-10),
        "applications_close_on": days(30),
        "selection_on": days(60),
        "matching_on": days(90),
        "departure_on": days(120),
        "return_on": days(300),
    }
    values.update(overrides)
    return CohortFactory(**values)


@pytest.fixture
def cohort():
    return _cohort()


@pytest.fixture
def institution():
    institution = Institution(
        name="ENSIAS", city="Rabat", legal_representative="Le directeur", address="Rabat"
    )
    db.session.add(institution)
    db.session.commit()
    return institution


def english(client) -> None:
    response = client.post("/language", data={"lang": "en", "next": "/"})
    assert response.status_code == 302


@pytest.fixture
def student(client, auth):
    user = auth.as_role("student")
    english(client)
    return user


def mine(student, cohort) -> Application | None:
    db.session.expire_all()
    return services.application_of(student, cohort)


def started(client, student, cohort) -> Application:
    response = client.post(URL + "start")
    assert response.status_code == 302
    application = mine(student, cohort)
    assert application is not None
    return application


def page(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.get_data(as_text=True)


MOTIVATION = (
    "Je souhaite rejoindre le programme MNC pour découvrir le développement logiciel dans une "
    "entreprise française, apprendre de nouvelles méthodes de travail et revenir au Maroc "
    "avec une expérience utile au cluster. Mon projet est de travailler sur des services "
    "mobiles et la sécurité des paiements, et de partager ensuite ce que j'aurai appris avec "
    "les étudiants et les entreprises de ma région."
)


def valid_form(institution, **overrides) -> dict:
    data = {
        "first_name": "Salma",
        "last_name": "El Idrissi",
        "birth_date": years_ago(21).isoformat(),
        "gender": "female",
        "cin": "ab123456",
        "phone": "06 12 34 56 78",
        "region": "casablanca-settat",
        "passport_number": "xk1234567",
        "passport_expiry": days(3 * 365).isoformat(),
        "institution_id": str(institution.id),
        "programme": "Génie logiciel",
        "year_of_study": "4",
        "grade_average": "14,5",
        "french_level": "B2",
        "english_level": "B1",
        "pole_1": "software",
        "pole_2": "security",
        "pole_3": "mobile",
        "pole_4": "multimedia",
        "motivation": MOTIVATION,
        "return_commitment": "y",
        "consent": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def upload(client, kind: str, data: bytes, name: str, **kwargs):
    return client.post(
        URL + "documents",
        data={"kind": kind, "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        **kwargs,
    )


def upload_all_required(client) -> None:
    for kind, required in DEFAULT_DOCUMENT_REQUIREMENTS.items():
        if required:
            assert upload(client, kind.value, SAMPLE_PDF, f"{kind.value}.pdf").status_code == 302


def complete(client, student, cohort, institution) -> Application:
    started(client, student, cohort)
    assert client.post(URL, data=valid_form(institution)).status_code == 302
    upload_all_required(client)
    return mine(student, cohort)


def files_under(app) -> set[Path]:
    root = Path(app.config["UPLOAD_FOLDER"])
    return {p for p in root.rglob("*") if p.is_file()}


def documents_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Document))


# --- the page according to the call ----------------------------------------------------------


def test_no_current_cohort_says_so(client, student):
    html = page(client)
    assert "No programme year is open at the moment" in html
    assert 'id="start-application"' not in html


def test_open_call_without_application_offers_to_start(client, student, cohort):
    html = page(client)
    assert 'id="call-status"' in html and "open until" in html
    assert 'id="start-application"' in html
    assert 'id="calendar-title"' in html
    assert 'style="' not in html  # the Content-Security-Policy forbids inline styles


def test_start_creates_one_application_per_cohort(client, student, cohort):
    first = started(client, student, cohort)
    assert first.status is S.draft and first.cohort_id == cohort.id
    second = started(client, student, cohort)
    assert second.id == first.id
    count = db.session.scalar(select(func.count()).select_from(Application))
    assert count == 1
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "application.create"))


def test_page_shows_form_checklist_documents_and_status(client, student, cohort):
    started(client, student, cohort)
    html = page(client)
    assert 'id="application-form"' in html
    assert 'id="checklist"' in html and 'id="documents"' in html
    assert 'data-status="draft"' in html and ">Draft<" in html
    for kind in DEFAULT_DOCUMENT_REQUIREMENTS:
        assert f'id="file-{kind.value}"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'id="privacy-notice"' in html and "09-08" in html and "GDPR" in html
    assert 'style="' not in html
    assert "<script>" not in html


# --- saving a draft: every field -------------------------------------------------------------


def test_save_full_draft_normalises_values(client, student, cohort, institution):
    started(client, student, cohort)
    response = client.post(URL, data=valid_form(institution))
    assert response.status_code == 302
    a = mine(student, cohort)
    assert (a.first_name, a.last_name) == ("Salma", "El Idrissi")
    assert a.birth_date == years_ago(21)
    assert a.gender.value == "female"
    assert a.cin == "AB123456"
    assert a.phone == "+212612345678"
    assert a.region == "casablanca-settat"
    assert a.passport_number == "XK1234567"
    assert a.passport_expiry == days(3 * 365)
    assert a.institution_id == institution.id
    assert (a.programme, a.year_of_study) == ("Génie logiciel", 4)
    assert a.grade_average == Decimal("14.50")
    assert (a.french_level, a.english_level) == ("B2", "B1")
    assert a.pole_ranking == ["software", "security", "mobile", "multimedia"]
    assert a.motivation == MOTIVATION
    assert a.return_commitment_at is not None and a.consent_at is not None
    assert a.status is S.draft  # saving never submits


def test_empty_draft_is_fine(client, student, cohort):
    started(client, student, cohort)
    response = client.post(URL, data={"first_name": "", "cin": "", "grade_average": ""})
    assert response.status_code == 302
    a = mine(student, cohort)
    assert a.first_name is None and a.cin is None and a.grade_average is None
    assert a.pole_ranking == [] and a.consent_at is None


def test_clearing_fields_and_unticking_consent(client, student, cohort, institution):
    started(client, student, cohort)
    client.post(URL, data=valid_form(institution))
    data = valid_form(institution, institution_id="", cin="", grade_average="", gender="")
    del data["consent"]
    assert client.post(URL, data=data).status_code == 302
    a = mine(student, cohort)
    assert a.institution_id is None and a.cin is None and a.grade_average is None
    assert a.gender is None and a.consent_at is None and a.return_commitment_at is not None


@pytest.mark.parametrize(
    "field, value, stored",
    [
        ("cin", " ab 123 ", "AB123"),
        ("cin", "a1", "A1"),
        ("cin", "Bk654321", "BK654321"),
        ("phone", "+212 6 12 34 56 78", "+212612345678"),
        ("phone", "0612345678", "+212612345678"),
        ("phone", "+212 5 22 12 34 56", "+212522123456"),
        ("phone", "+33 6 12 34 56 78", "+33612345678"),
        ("phone", "+33 1 42 68 53 00", "+33142685300"),
        ("grade_average", "14,5", Decimal("14.50")),
        ("grade_average", "12.25", Decimal("12.25")),
        ("grade_average", "20", Decimal("20.00")),
        ("grade_average", "0", Decimal("0.00")),
        ("grade_average", " 9,75 ", Decimal("9.75")),
        ("passport_number", "ab 12345", "AB12345"),
        ("passport_number", "123456", "123456"),
        ("first_name", "Aït-Ben", "Aït-Ben"),
        ("last_name", "O'Neil El Fassi", "O'Neil El Fassi"),
        ("year_of_study", "1", 1),
        ("year_of_study", "8", 8),
        ("birth_date", years_ago(16, -1).isoformat(), years_ago(16, -1)),
        ("birth_date", years_ago(45).isoformat(), years_ago(45)),
        ("passport_expiry", days(1).isoformat(), days(1)),
        ("programme", "x" * 200, "x" * 200),
        ("motivation", "m" * 5000, "m" * 5000),
        ("french_level", "C2", "C2"),
        ("english_level", "A1", "A1"),
    ],
)
def test_good_values(client, student, cohort, institution, field, value, stored):
    started(client, student, cohort)
    response = client.post(URL, data=valid_form(institution, **{field: value}))
    assert response.status_code == 302, re.findall(r'id="([a-z_0-9]+)-error"', response.text)
    assert getattr(mine(student, cohort), field) == stored


@pytest.mark.parametrize(
    "field, value",
    [
        ("first_name", "J0hn"),
        ("first_name", "<b>Salma</b>"),
        ("last_name", "x" * 101),
        ("birth_date", days(1).isoformat()),
        ("birth_date", TODAY.isoformat()),
        ("birth_date", "15/06/2004"),
        ("birth_date", years_ago(15).isoformat()),
        ("birth_date", years_ago(46, -1).isoformat()),
        ("gender", "other"),
        ("cin", "123456"),
        ("cin", "ABC123"),
        ("cin", "A1234567"),
        ("cin", "AB-123"),
        ("cin", "AB"),
        ("phone", "12345"),
        ("phone", "abc"),
        ("phone", "+1 202 555 0143"),
        ("phone", "+44 20 7946 0958"),
        ("phone", "+212 12"),
        ("region", "atlantis"),
        ("passport_number", "AB123"),
        ("passport_number", "ABCDE123456"),
        ("passport_number", "AB-12345"),
        ("passport_expiry", TODAY.isoformat()),
        ("passport_expiry", days(-1).isoformat()),
        ("institution_id", "999999"),
        ("institution_id", "abc"),
        ("programme", "x" * 201),
        ("year_of_study", "0"),
        ("year_of_study", "9"),
        ("year_of_study", "two"),
        ("grade_average", "20,01"),
        ("grade_average", "-1"),
        ("grade_average", "14,555"),
        ("grade_average", "abc"),
        ("grade_average", "NaN"),
        ("grade_average", "Infinity"),
        ("grade_average", "1e3"),
        ("french_level", "D1"),
        ("english_level", "b2"),
        ("pole_1", "robotics"),
        ("pole_2", "software"),  # the same as pole_1
        ("pole_4", "security"),  # the same as pole_2
        ("motivation", "m" * 5001),
    ],
)
def test_bad_values_are_refused_beside_the_field(
    client, student, cohort, institution, field, value
):
    started(client, student, cohort)
    response = client.post(URL, data=valid_form(institution, **{field: value}))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html
    assert re.search(rf'aria-describedby="[^"]*\b{field}-error"', html)
    assert "the fields marked in red are not" in html
    a = mine(student, cohort)  # the valid fields are saved, the refused one is not
    if field not in ("first_name", "last_name"):
        assert a.first_name == "Salma"
    if field != "cin":
        assert a.cin == "AB123456"
    if field.startswith("pole_"):
        assert a.pole_ranking == []
    elif field in ("birth_date", "passport_expiry", "grade_average", "year_of_study"):
        assert getattr(a, field) is None


def test_error_messages_are_clear(client, student, cohort, institution):
    started(client, student, cohort)
    cases = {
        "cin": ("12", "one or two letters followed by 1 to 6 digits"),
        "phone": ("+1 202 555 0143", "Moroccan (+212) or French (+33)"),
        "grade_average": ("25", "between 0 and 20"),
        "pole_2": ("software", "only once"),
        "birth_date": (years_ago(10).isoformat(), "between 16 and 45 years old"),
        "passport_expiry": (days(-3).isoformat(), "expiry after today"),
    }
    for field, (value, message) in cases.items():
        response = client.post(URL, data=valid_form(institution, **{field: value}))
        html = response.get_data(as_text=True)
        error = re.search(rf'id="{field}-error">([^<]*)<', html)
        assert error and message in error.group(1), (field, error and error.group(1))


def test_inactive_institution_is_not_offered(client, student, cohort, institution):
    closed = Institution(
        name="Ancienne école", city="Fès", legal_representative="X", address="Fès", active=False
    )
    db.session.add(closed)
    db.session.commit()
    started(client, student, cohort)
    html = page(client)
    assert "ENSIAS" in html and "Ancienne école" not in html
    response = client.post(URL, data=valid_form(institution, institution_id=str(closed.id)))
    assert response.status_code == 200 and 'id="institution_id-error"' in response.text


def test_institutions_are_ordered_by_name(client, student, cohort, institution):
    db.session.add(
        Institution(name="ENCG Agadir", city="Agadir", legal_representative="X", address="A")
    )
    db.session.add(Institution(name="UIR", city="Rabat", legal_representative="X", address="B"))
    db.session.commit()
    started(client, student, cohort)
    html = page(client)
    assert html.index("ENCG Agadir") < html.index("ENSIAS") < html.index("UIR")


def test_duplicate_cin_in_the_cohort_is_shown_on_the_cin_field(
    client, student, cohort, institution
):
    other = UserFactory(role=Role.student)
    db.session.add(
        Application(cohort_id=cohort.id, student_id=other.id, cin="AB123456", pole_ranking=[])
    )
    db.session.commit()
    started(client, student, cohort)
    response = client.post(URL, data=valid_form(institution, cin="ab 123456"))
    assert response.status_code == 200
    error = re.search(r'id="cin-error">([^<]*)<', response.text)
    assert error and "already used by another application" in error.group(1)
    a = mine(student, cohort)
    assert a.cin is None and a.first_name == "Salma"  # the other fields are kept


def test_same_cin_in_another_cohort_is_allowed(client, student, cohort, institution):
    past = CohortFactory(state=CohortState.archived)
    other = UserFactory(role=Role.student)
    db.session.add(
        Application(cohort_id=past.id, student_id=other.id, cin="AB123456", pole_ranking=[])
    )
    db.session.commit()
    started(client, student, cohort)
    assert client.post(URL, data=valid_form(institution)).status_code == 302
    assert mine(student, cohort).cin == "AB123456"


def test_passport_expiring_too_soon_is_a_warning_not_a_refusal(
    client, student, cohort, institution
):
    started(client, student, cohort)
    soon = days(200)  # before the return (day 300) + 3 months
    response = client.post(URL, data=valid_form(institution, passport_expiry=soon.isoformat()))
    assert response.status_code == 302
    assert mine(student, cohort).passport_expiry == soon
    html = page(client)
    assert 'id="passport-warning"' in html and "Renew your passport first" in html
    assert "it will be declared not eligible" in html  # what follows, before submitting


def test_form_shows_saved_values(client, student, cohort, institution):
    started(client, student, cohort)
    client.post(URL, data=valid_form(institution))
    html = page(client)
    assert 'value="AB123456"' in html and 'value="+212612345678"' in html
    assert 'value="14.50"' in html
    assert re.search(r'<option selected value="security">', html) or re.search(
        r'<option value="security" selected>', html
    )
    assert re.search(r'<input checked[^>]*id="consent"', html)
    assert re.search(r'<input checked[^>]*id="return_commitment"', html)


# --- checklist and submission ----------------------------------------------------------------


def test_checklist_shows_what_is_missing(client, student, cohort, institution):
    started(client, student, cohort)
    client.post(URL, data={"first_name": "Salma", "motivation": "Trop court."})
    upload(client, "cv", SAMPLE_PDF, "cv.pdf")
    html = page(client)
    assert re.search(r'id="check-first_name"[^>]*data-done="yes"', html)
    assert re.search(r'id="check-cin"[^>]*data-done="no"', html)
    assert re.search(r'id="check-document-cv"[^>]*data-done="yes"', html)
    assert re.search(r'id="check-document-passport"[^>]*data-done="no"', html)
    assert re.search(r'id="check-consent"[^>]*data-done="no"', html)
    assert "between 300 and 5000 are expected" in html


def test_incomplete_application_cannot_be_submitted(client, student, cohort, institution):
    started(client, student, cohort)
    data = valid_form(institution)
    del data["consent"]
    client.post(URL, data=data)
    upload(client, "cv", SAMPLE_PDF, "cv.pdf")
    response = client.post(URL + "submit", data=CONFIRM, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "The application is not complete. Still missing:" in html
    assert "Transcript of records" in html and "Consent to the processing" in html
    a = mine(student, cohort)
    assert a.status is S.draft and a.submitted_at is None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_submit_complete_application_then_read_only(client, student, cohort, institution):
    complete(client, student, cohort, institution)
    response = client.post(URL + "submit", data=CONFIRM, follow_redirects=True)
    assert "Your application is submitted" in response.get_data(as_text=True)
    a = mine(student, cohort)
    assert a.status is S.submitted and a.submitted_at is not None
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 1

    html = page(client)
    assert 'id="application-form"' not in html and 'id="application-readonly"' in html
    assert 'name="first_name"' not in html and 'id="file-cv"' not in html
    assert 'id="submit-application"' not in html
    assert 'data-status="submitted"' in html and "AB123456" in html
    assert "Software packages" in html  # the ranking, in words

    # Nothing can be changed any more.
    response = client.post(URL, data=valid_form(institution, first_name="Autre"))
    assert response.status_code == 302
    assert "can no longer be changed" in client.get(URL).get_data(as_text=True)
    assert mine(student, cohort).first_name == "Salma"
    before = documents_count()
    upload(client, "cv", SAMPLE_PDF, "cv2.pdf")
    assert documents_count() == before
    client.post(URL + "submit", data=CONFIRM)
    assert mine(student, cohort).status is S.submitted


def test_returned_for_correction_then_resubmitted(client, student, cohort, institution):
    complete(client, student, cohort, institution)
    client.post(URL + "submit", data=CONFIRM)
    coordinator = UserFactory(role=Role.coordinator)
    application = mine(student, cohort)
    services.return_for_correction(application, "Please scan the passport again.", coordinator)
    db.session.commit()

    html = page(client)
    assert 'data-status="returned"' in html and "Returned for correction" in html
    assert 'id="latest-correction"' in html and "Please scan the passport again." in html
    assert 'id="application-form"' in html and 'id="file-passport"' in html

    assert upload(client, "passport", png_bytes(), "passport.png").status_code == 302
    data = valid_form(institution, programme="Génie logiciel et sécurité")
    assert client.post(URL, data=data).status_code == 302
    assert client.post(URL + "submit", data=CONFIRM).status_code == 302
    a = mine(student, cohort)
    assert a.status is S.submitted and a.programme == "Génie logiciel et sécurité"
    html = page(client)
    assert "Please scan the passport again." in html  # the history stays
    assert 'id="application-form"' not in html


def test_messages_from_the_programme_are_shown(client, student, cohort):
    application = started(client, student, cohort)
    coordinator = UserFactory(role=Role.coordinator)
    db.session.add_all(
        [
            ApplicationMessage(
                application_id=application.id,
                author_id=coordinator.id,
                kind=MessageKind.info,
                body="Welcome to the 2026 call.",
            ),
            ApplicationMessage(
                application_id=application.id,
                author_id=coordinator.id,
                kind=MessageKind.document,
                body="Document CV rejected: unreadable.",
            ),
        ]
    )
    db.session.commit()
    html = page(client)
    assert "Welcome to the 2026 call." in html and "Document CV rejected: unreadable." in html


# --- withdrawal ------------------------------------------------------------------------------


def test_withdraw_needs_confirmation(client, student, cohort):
    started(client, student, cohort)
    response = client.post(URL + "withdraw", data={"reason": "Autre projet"})
    assert response.status_code == 200
    assert 'id="confirm-error"' in response.text
    assert mine(student, cohort).status is S.draft


def test_withdraw_with_reason(client, student, cohort):
    started(client, student, cohort)
    response = client.post(
        URL + "withdraw", data={"reason": "I found a job.", "confirm": "y"}, follow_redirects=True
    )
    assert "Your application is withdrawn." in response.get_data(as_text=True)
    a = mine(student, cohort)
    assert a.status is S.withdrawn and a.withdrawn_at is not None
    assert [m.body for m in a.messages if m.kind is MessageKind.withdrawal] == ["I found a job."]
    html = page(client)
    assert 'data-status="withdrawn"' in html and 'id="withdraw-section"' not in html
    assert 'id="application-form"' not in html
    # Withdrawing twice is refused with a message, not an error page.
    response = client.post(URL + "withdraw", data={"confirm": "y"})
    assert response.status_code == 302


def test_withdraw_a_submitted_application_needs_a_reason(client, student, cohort, institution):
    complete(client, student, cohort, institution)
    client.post(URL + "submit", data=CONFIRM)
    response = client.post(URL + "withdraw", data={"confirm": "y"})
    assert response.status_code == 200 and 'id="reason-error"' in response.text
    assert mine(student, cohort).status is S.submitted
    client.post(URL + "withdraw", data={"confirm": "y", "reason": "Autre projet"})
    a = mine(student, cohort)
    assert a.status is S.withdrawn
    assert a.messages[-1].body == "Autre projet"


# --- deadlines -------------------------------------------------------------------------------


CLOSED_CALLS = {
    "after the closing date": {"applications_close_on": days(-1)},
    "cohort closed": {"state": CohortState.closed},
    "not open yet": {"applications_open_on": days(5)},
    "cohort in draft": {"state": CohortState.draft},
}


@pytest.mark.parametrize("case", list(CLOSED_CALLS))
def test_no_start_when_the_call_is_not_open(client, student, case):
    cohort = _cohort(**CLOSED_CALLS[case])
    html = page(client)
    assert 'id="start-application"' not in html
    client.post(URL + "start")
    assert mine(student, cohort) is None


@pytest.mark.parametrize("case", list(CLOSED_CALLS))
def test_nothing_changes_when_the_call_is_not_open(client, student, institution, case):
    cohort = _cohort(**CLOSED_CALLS[case])
    application, document = make_application_with_document(student, cohort)
    html = page(client)
    assert 'id="application-form"' not in html and 'id="application-readonly"' in html
    assert 'id="not-editable"' in html and 'id="submit-application"' not in html
    assert 'id="file-cv"' not in html

    client.post(URL, data=valid_form(institution))
    assert mine(student, cohort).first_name is None
    upload(client, "passport", SAMPLE_PDF, "passport.pdf")
    assert documents_count() == 1
    client.post(URL + "submit", data=CONFIRM)
    assert mine(student, cohort).status is S.draft


def test_page_gives_the_closing_date(client, student):
    closed_on = days(-1)
    _cohort(applications_close_on=closed_on)
    html = page(client)
    status = re.search(r'id="call-status"[^>]*>([^<]*)<', html).group(1)
    assert "closed on" in status and str(closed_on.year) in status
    assert "can no longer be created, edited or submitted" in status


def test_page_gives_the_opening_date(client, student):
    _cohort(applications_open_on=days(5))
    status = re.search(r'id="call-status"[^>]*>([^<]*)<', page(client)).group(1)
    assert "not open yet" in status and str(days(5).year) in status


def test_a_draft_of_a_past_cohort_does_not_break_the_page(client, student):
    old = CohortFactory(state=CohortState.archived)
    make_application_with_document(student, old)
    html = page(client)
    assert "No programme year is open" in html
    assert client.post(URL, data={"first_name": "X"}).status_code == 302
    assert client.post(URL + "submit", data=CONFIRM).status_code == 302
    assert upload(client, "cv", SAMPLE_PDF, "cv.pdf").status_code == 302
    assert client.post(URL + "withdraw", data={"confirm": "y"}).status_code == 302
    db.session.expire_all()
    assert db.session.scalar(select(Application)).status is S.draft


# --- documents -------------------------------------------------------------------------------


def test_valid_pdf_is_stored_with_a_random_name(client, app, student, cohort):
    application = started(client, student, cohort)
    response = upload(client, "cv", SAMPLE_PDF, "Mon CV été.pdf")
    assert response.status_code == 302
    document = db.session.scalar(select(Document))
    assert document.application_id == application.id and document.kind is DocumentKind.cv
    assert document.original_name == "Mon CV été.pdf"
    assert document.sha256 == hashlib.sha256(SAMPLE_PDF).hexdigest()
    assert document.size == len(SAMPLE_PDF) and document.content_type == "application/pdf"
    assert re.fullmatch(rf"applications/{application.id}/[0-9a-f]{{32}}\.pdf", document.stored_name)
    stored = Path(app.config["UPLOAD_FOLDER"]) / document.stored_name
    assert stored.read_bytes() == SAMPLE_PDF
    html = page(client)
    assert "Mon CV été.pdf" in html and f"/documents/{document.id}/download" in html
    assert "Awaiting review" in html
    download = client.get(f"/documents/{document.id}/download")
    assert download.status_code == 200 and download.data == SAMPLE_PDF


def test_valid_png_is_accepted(client, student, cohort):
    started(client, student, cohort)
    data = png_bytes()
    assert upload(client, "passport", data, "passeport.png").status_code == 302
    document = db.session.scalar(select(Document))
    assert document.content_type == "image/png" and document.kind is DocumentKind.passport
    assert document.sha256 == hashlib.sha256(data).hexdigest()
    assert document.stored_name.endswith(".png") and "passeport" not in document.stored_name


def test_replacing_a_document_keeps_the_earlier_version(client, student, cohort):
    started(client, student, cohort)
    upload(client, "cv", SAMPLE_PDF, "cv-v1.pdf")
    upload(client, "cv", png_bytes(), "cv-v2.png")
    db.session.expire_all()
    documents = db.session.scalars(select(Document).order_by(Document.id)).all()
    assert [(d.original_name, d.version, d.is_current) for d in documents] == [
        ("cv-v1.pdf", 1, False),
        ("cv-v2.png", 2, True),
    ]
    html = page(client)
    assert "1 earlier version" in html
    assert all(f"/documents/{d.id}/download" in html for d in documents)


def test_document_review_status_and_comment_are_shown(client, student, cohort):
    started(client, student, cohort)
    upload(client, "cv", SAMPLE_PDF, "cv.pdf")
    coordinator = UserFactory(role=Role.coordinator)
    document = db.session.scalar(select(Document))
    services.review_document(document, False, "The scan is blurred.", coordinator)
    db.session.commit()
    html = page(client)
    assert "Rejected" in html and "The scan is blurred." in html
    assert re.search(r'id="check-document-cv"[^>]*data-done="no"', html)


EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
BAD_UPLOADS = {
    "renamed executable": ("cv.pdf", EXE, "Only PDF, JPEG and PNG files are accepted"),
    "path in the name": ("../cv.pdf", SAMPLE_PDF, "must not contain a path"),
    "deeper path": ("../../etc/cv.pdf", SAMPLE_PDF, "must not contain a path"),
    "empty file": ("cv.pdf", b"", "The file is empty."),
    "text named pdf": ("cv.pdf", b"Just some text, not a PDF.\n" * 20, "Only PDF, JPEG and PNG"),
    "png named pdf": ("cv.pdf", None, "does not match its content"),
    "truncated pdf": ("cv.pdf", SAMPLE_PDF[:-8], "damaged or incomplete"),
}


@pytest.mark.parametrize("case", list(BAD_UPLOADS))
def test_bad_uploads_are_refused_and_nothing_is_stored(client, app, student, cohort, case):
    started(client, student, cohort)
    name, data, message = BAD_UPLOADS[case]
    before = files_under(app)
    response = upload(client, "cv", png_bytes() if data is None else data, name)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    error = re.search(r'id="file-cv-error">([^<]*)<', html)
    assert error and message in error.group(1)
    assert "The document was not uploaded" in html
    assert documents_count() == 0
    assert files_under(app) == before


def test_oversized_upload_is_refused(client, app, data_app, student, cohort, monkeypatch):
    monkeypatch.setitem(app.config, "UPLOAD_MAX_BYTES", 100)
    monkeypatch.setitem(data_app.config, "UPLOAD_MAX_BYTES", 100)
    started(client, student, cohort)
    before = files_under(app)
    response = upload(client, "cv", SAMPLE_PDF, "cv.pdf")
    assert response.status_code == 200
    assert "The file is too large" in re.search(r'id="file-cv-error">([^<]*)<', response.text)[1]
    assert documents_count() == 0 and files_under(app) == before


def test_upload_without_a_file_or_with_an_unknown_kind(client, app, student, cohort):
    started(client, student, cohort)
    response = client.post(URL + "documents", data={"kind": "cv"})
    assert response.status_code == 200 and 'id="file-cv-error"' in response.text
    response = upload(client, "diploma", SAMPLE_PDF, "d.pdf", follow_redirects=True)
    assert "Unknown kind of document." in response.get_data(as_text=True)
    assert documents_count() == 0


def test_a_second_recommendation_letter_keeps_the_first_current(client, student, cohort):
    started(client, student, cohort)
    upload(client, "recommendation_letter", SAMPLE_PDF, "prof-a.pdf")
    upload(client, "recommendation_letter", SAMPLE_PDF, "prof-b.pdf")
    db.session.expire_all()
    assert [d.is_current for d in db.session.scalars(select(Document))] == [True, True]


# --- one student never sees another's file ---------------------------------------------------


def test_student_b_sees_nothing_of_student_a(client, auth, cohort, institution):
    alice = UserFactory(role=Role.student, full_name="Alice Amrani")
    application, document = make_application_with_document(alice, cohort)
    application.first_name, application.cin = "Alicia", "ZZ999999"
    db.session.commit()

    bob = auth.as_role("student")
    english(client)
    html = page(client)
    assert "Alicia" not in html and "ZZ999999" not in html
    assert f"/documents/{document.id}/download" not in html
    assert 'id="start-application"' in html  # Bob has no application of his own
    assert client.get(f"/documents/{document.id}/download").status_code == 404

    # Bob's posts never touch Alice's file.
    client.post(URL, data=valid_form(institution))
    upload(client, "cv", SAMPLE_PDF, "bob.pdf")
    client.post(URL + "submit", data=CONFIRM)
    client.post(URL + "withdraw", data={"confirm": "y"})
    db.session.expire_all()
    alice_app = db.session.get(Application, application.id)
    assert alice_app.first_name == "Alicia" and alice_app.status is S.draft
    assert documents_count() == 1
    assert services.application_of(bob, cohort) is None


def test_staff_and_anonymous_cannot_use_the_student_pages(client, auth, cohort):
    assert client.get(URL).status_code == 302  # to the login page
    auth.as_role("coordinator")
    assert client.get(URL).status_code == 403
    assert client.post(URL + "start").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Application)) == 0


# --- the dashboard card ----------------------------------------------------------------------


def test_dashboard_links_to_the_application(client, student, cohort):
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'id="my-application-card"' in html and 'href="/application/"' in html
    assert 'id="my-application-status"' not in html
    started(client, student, cohort)
    html = client.get("/dashboard").get_data(as_text=True)
    assert 'data-status="draft"' in html and ">Draft<" in html


def test_dashboard_without_cohort(client, student):
    assert client.get("/dashboard").status_code == 200


def _count_queries(app, client) -> int:
    from sqlalchemy import event

    with app.app_context():
        engine = db.engine
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(URL).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def test_the_page_makes_no_query_per_row(client, app, student, cohort, institution):
    application = started(client, student, cohort)
    client.post(URL, data=valid_form(institution))
    upload(client, "cv", SAMPLE_PDF, "cv.pdf")
    coordinator = UserFactory(role=Role.coordinator)
    db.session.add(
        ApplicationMessage(
            application_id=application.id, author_id=coordinator.id, kind=MessageKind.info, body="1"
        )
    )
    db.session.commit()
    few = _count_queries(app, client)
    assert few > 3
    upload_all_required(client)
    for n in range(5):
        other = UserFactory(role=Role.coordinator)
        db.session.add(
            ApplicationMessage(
                application_id=application.id,
                author_id=other.id,
                kind=MessageKind.info,
                body=str(n),
            )
        )
    db.session.commit()
    assert _count_queries(app, client) == few


def test_rejected_document_returns_the_file_and_a_new_version_fixes_it(
    client, student, cohort, institution
):
    complete(client, student, cohort, institution)
    client.post(URL + "submit", data=CONFIRM)
    coordinator = UserFactory(role=Role.coordinator)
    passport = db.session.scalar(select(Document).where(Document.kind == DocumentKind.passport))
    services.review_document(passport, False, "The photo page is cut off.", coordinator)
    db.session.commit()
    html = page(client)
    assert 'data-status="returned"' in html
    latest = re.search(r'id="latest-correction">(.*?)</blockquote>', html, re.S).group(1)
    assert "The photo page is cut off." in latest
    assert re.search(r'id="check-document-passport"[^>]*data-done="no"', html)
    assert client.post(URL + "submit", data=CONFIRM).status_code == 302
    assert mine(student, cohort).status is S.returned  # still incomplete
    upload(client, "passport", png_bytes(), "passport-full.png")
    client.post(URL + "submit", data=CONFIRM)
    assert mine(student, cohort).status is S.submitted


def test_a_kind_not_asked_this_year_is_refused(client, student, cohort):
    from mnc_exchange.applications.models import DocumentRequirement

    db.session.add(DocumentRequirement(cohort_id=cohort.id, kind=DocumentKind.cv, required=True))
    db.session.commit()
    started(client, student, cohort)
    html = page(client)
    assert 'id="file-cv"' in html and 'id="file-passport"' not in html
    response = upload(client, "passport", SAMPLE_PDF, "p.pdf", follow_redirects=True)
    assert "This kind of document is not asked for this year." in response.get_data(as_text=True)
    assert documents_count() == 0
