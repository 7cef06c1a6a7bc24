"""Reference lists and per-cohort settings: sending institutions (admins), the documents asked
and the eligibility rules of a cohort (coordinators), and the demo applications."""

from __future__ import annotations

import hashlib
import re
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.applications import reference_services, services
from mnc_exchange.applications.models import (
    Application,
    ApplicationStatus,
    Document,
    DocumentRequirement,
    EligibilityRules,
    Institution,
    MessageKind,
)
from mnc_exchange.applications.reference import (
    DEFAULT_DOCUMENT_REQUIREMENTS,
    MOTIVATION_MIN,
    REGIONS,
    DocumentKind,
)
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.core.errors import DomainError
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from tests.factories import CohortFactory, UserFactory

K = DocumentKind


def _english(client):
    client.post("/language", data={"lang": "en", "next": "/"})


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _institution(name="ENSIAS", **values) -> Institution:
    institution = reference_services.create_institution(
        name,
        values.get("city", "Rabat"),
        values.get("legal_representative", "Pr. Test, directeur"),
        values.get("address", "Avenue Mohammed Ben Abdallah Regragui, Rabat"),
    )
    db.session.commit()
    return institution


def _form(**overrides) -> dict:
    data = {
        "name": "INPT",
        "city": "Rabat",
        "legal_representative": "Pr. Latifa Bennani, directrice",
        "address": "Avenue Allal El Fassi, Madinat Al Irfane, Rabat",
    }
    data.update(overrides)
    return data


# --- institutions ----------------------------------------------------------------------------


def test_admin_creates_lists_and_edits_an_institution(client, auth):
    admin = auth.as_role("admin")
    _english(client)
    response = client.post("/institutions/new", data=_form(name="  INPT  "))
    assert response.status_code == 302 and response.headers["Location"].endswith("/institutions")
    institution = db.session.scalar(select(Institution))
    assert (institution.name, institution.city, institution.active) == ("INPT", "Rabat", True)
    created = _events("institution.create")
    assert len(created) == 1 and created[0].actor_id == admin.id
    assert created[0].target_id == institution.id

    page = client.get("/institutions").get_data(as_text=True)
    assert "INPT" in page and "Avenue Allal El Fassi" in page
    assert f'id="institution-{institution.id}"' in page

    edit = client.get(f"/institutions/{institution.id}/edit").get_data(as_text=True)
    assert 'value="INPT"' in edit
    response = client.post(
        f"/institutions/{institution.id}/edit",
        data=_form(legal_representative="Pr. Ahmed Alaoui, directeur"),
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert institution.legal_representative == "Pr. Ahmed Alaoui, directeur"
    updated = _events("institution.update")
    assert len(updated) == 1 and updated[0].actor_id == admin.id
    assert updated[0].details["changes"] == {
        "legal_representative": ["Pr. Latifa Bennani, directrice", "Pr. Ahmed Alaoui, directeur"]
    }
    # Saving without a change writes no event.
    client.post(
        f"/institutions/{institution.id}/edit",
        data=_form(legal_representative="Pr. Ahmed Alaoui, directeur"),
    )
    assert len(_events("institution.update")) == 1


@pytest.mark.parametrize("field", ["name", "city", "legal_representative", "address"])
def test_every_field_is_required(client, auth, field):
    auth.as_role("admin")
    _english(client)
    response = client.post("/institutions/new", data=_form(**{field: "   "}))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f'id="{field}-error"' in page and 'aria-invalid="true"' in page
    assert db.session.scalar(select(func.count()).select_from(Institution)) == 0
    assert _events("institution.create") == []


def test_an_empty_form_is_refused(client, auth):
    auth.as_role("admin")
    response = client.post("/institutions/new", data={})
    assert response.status_code == 200
    assert response.get_data(as_text=True).count("invalid-feedback") == 4
    assert db.session.scalar(select(func.count()).select_from(Institution)) == 0


def test_too_long_values_are_refused(client, auth):
    auth.as_role("admin")
    response = client.post("/institutions/new", data=_form(name="x" * 201))
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(Institution)) == 0


@pytest.mark.parametrize("name", ["ensias", "ENSIAS", " Ensias ", "EnSiAs"])
def test_duplicate_names_are_refused_case_insensitively(client, auth, name):
    _institution("ENSIAS")
    auth.as_role("admin")
    _english(client)
    response = client.post("/institutions/new", data=_form(name=name))
    assert response.status_code == 200
    assert 'id="name-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(Institution)) == 1
    assert len(_events("institution.create")) == 1


def test_renaming_onto_another_name_is_refused(client, auth):
    _institution("ENSIAS")
    other = _institution("EMI")
    auth.as_role("admin")
    response = client.post(f"/institutions/{other.id}/edit", data=_form(name="Ensias"))
    assert response.status_code == 200
    db.session.expire_all()
    assert other.name == "EMI"
    # Changing only the case of its own name is fine.
    response = client.post(f"/institutions/{other.id}/edit", data=_form(name="Emi"))
    assert response.status_code == 302
    db.session.expire_all()
    assert other.name == "Emi"


def test_duplicate_service_check_handles_accents_and_spaces():
    _institution("École Mohammadia d'ingénieurs")
    with pytest.raises(reference_services.DuplicateInstitution):
        reference_services.create_institution(
            "ÉCOLE   MOHAMMADIA D'INGÉNIEURS", "Rabat", "Pr. X", "Rabat"
        )
    with pytest.raises(DomainError):
        reference_services.create_institution("FST Fès", "", "Pr. X", "Fès")


def test_deactivate_and_reactivate(client, auth):
    institution = _institution()
    auth.as_role("admin")
    url = f"/institutions/{institution.id}/toggle"
    assert client.post(url, data={"active": "0"}).status_code == 302
    db.session.expire_all()
    assert institution.active is False
    assert 'id="reactivate-' in client.get("/institutions").get_data(as_text=True)
    # Sent twice: no flip back, no second event.
    client.post(url, data={"active": "0"})
    db.session.expire_all()
    assert institution.active is False
    assert len(_events("institution.deactivate")) == 1
    client.post(url, data={"active": "1"})
    db.session.expire_all()
    assert institution.active is True
    assert len(_events("institution.reactivate")) == 1
    assert client.post(url, data={"active": "maybe"}).status_code == 400
    assert db.session.get(Institution, institution.id) is not None  # never deleted


def test_unknown_institution_is_404(client, auth):
    auth.as_role("admin")
    assert client.get("/institutions/999/edit").status_code == 404
    assert client.post("/institutions/999/toggle", data={"active": "0"}).status_code == 404


@pytest.mark.parametrize("role", [Role.coordinator, Role.student, Role.official, Role.host])
def test_only_admins_manage_institutions(client, auth, role):
    institution = _institution()
    auth.as_role(role)
    assert client.get("/institutions").status_code == 403
    assert client.get("/institutions/new").status_code == 403
    assert client.post("/institutions/new", data=_form()).status_code == 403
    assert client.get(f"/institutions/{institution.id}/edit").status_code == 403
    assert client.post(f"/institutions/{institution.id}/edit", data=_form()).status_code == 403
    assert (
        client.post(f"/institutions/{institution.id}/toggle", data={"active": "0"}).status_code
        == 403
    )
    db.session.expire_all()
    assert institution.active and institution.name == "ENSIAS"
    assert db.session.scalar(select(func.count()).select_from(Institution)) == 1


def test_anonymous_goes_to_login(client):
    response = client.get("/institutions")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- documents asked per cohort --------------------------------------------------------------


def _levels(**overrides) -> dict:
    data = {kind.value: "not_asked" for kind in DocumentKind}
    data.update(overrides)
    return data


def test_document_settings_show_the_defaults(client, auth):
    cohort = CohortFactory()
    auth.as_role("coordinator")
    page = client.get(f"/cohorts/{cohort.id}/settings/documents").get_data(as_text=True)
    for kind, required in DEFAULT_DOCUMENT_REQUIREMENTS.items():
        expected = "required" if required else "optional"
        assert re.search(
            rf'name="{kind.value}"[^>]*value="{expected}"[^>]*checked', page
        ) or re.search(rf'checked[^>]*name="{kind.value}"[^>]*value="{expected}"', page), kind
    assert "<script" not in page.split("</main>")[0] and 'style="' not in page


def test_coordinator_sets_required_optional_and_not_asked(client, auth):
    cohort = CohortFactory()
    coordinator = auth.as_role("coordinator")
    url = f"/cohorts/{cohort.id}/settings/documents"
    response = client.post(url, data=_levels(cv="required", transcript="optional"))
    assert response.status_code == 302
    assert services.requirements_for(cohort) == {K.cv: True, K.transcript: False}
    assert db.session.scalar(select(func.count()).select_from(DocumentRequirement)) == 2
    event = _events("cohort.document_requirements")[-1]
    assert event.actor_id == coordinator.id and event.target_id == cohort.id
    assert event.details["required"] == ["cv"] and event.details["optional"] == ["transcript"]
    assert event.details["changes"]["passport"] == ["required", "not_asked"]

    # Changed again: rows updated in place, removed and added (no duplicate kind).
    response = client.post(
        url, data=_levels(cv="optional", passport="required", recommendation_letter="optional")
    )
    assert response.status_code == 302
    db.session.expire_all()
    assert services.requirements_for(cohort) == {
        K.cv: False,
        K.passport: True,
        K.recommendation_letter: False,
    }
    page = client.get(url).get_data(as_text=True)
    assert re.search(r'name="transcript"[^>]*value="not_asked"[^>]*checked', page) or re.search(
        r'checked[^>]*name="transcript"[^>]*value="not_asked"', page
    )


def test_asking_for_nothing_is_refused(client, auth):
    cohort = CohortFactory()
    auth.as_role("coordinator")
    response = client.post(f"/cohorts/{cohort.id}/settings/documents", data=_levels())
    assert response.status_code == 200
    assert "alert-danger" in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count()).select_from(DocumentRequirement)) == 0
    assert services.requirements_for(cohort) == DEFAULT_DOCUMENT_REQUIREMENTS
    with pytest.raises(DomainError):
        reference_services.save_document_requirements(cohort, {})


def test_an_unknown_level_is_a_form_error(client, auth):
    cohort = CohortFactory()
    auth.as_role("coordinator")
    response = client.post(
        f"/cohorts/{cohort.id}/settings/documents",
        data=_levels(cv="mandatory", transcript="required"),
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(DocumentRequirement)) == 0


def test_the_checklist_follows_the_settings():
    cohort = CohortFactory()
    student = UserFactory(role=Role.student)
    reference_services.save_document_requirements(
        cohort, {K.cv: "required", K.passport: "optional"}
    )
    application = Application(cohort_id=cohort.id, student_id=student.id, pole_ranking=[])
    db.session.add(application)
    db.session.flush()
    keys = {item.key for item in services.checklist(application)}
    assert "document:cv" in keys
    assert "document:passport" not in keys and "document:transcript" not in keys


@pytest.mark.parametrize("role", [Role.student, Role.official, Role.host])
def test_only_coordinators_and_admins_edit_cohort_settings(client, auth, role):
    cohort = CohortFactory()
    auth.as_role(role)
    for path in ("documents", "eligibility"):
        url = f"/cohorts/{cohort.id}/settings/{path}"
        assert client.get(url).status_code == 403
        assert client.post(url, data=_levels(cv="required")).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(DocumentRequirement)) == 0


def test_admin_may_edit_cohort_settings_and_cohort_page_links_them(client, auth):
    cohort = CohortFactory()
    auth.as_role("admin")
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert f"/cohorts/{cohort.id}/settings/documents" in page
    assert f"/cohorts/{cohort.id}/settings/eligibility" in page
    assert client.get(f"/cohorts/{cohort.id}/settings/eligibility").status_code == 200


def test_officials_see_no_settings_links(client, auth):
    cohort = CohortFactory()
    auth.as_role("official")
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert "/settings/" not in page


def test_archived_cohort_settings_are_frozen():
    cohort = CohortFactory(state=CohortState.archived)
    with pytest.raises(DomainError):
        reference_services.save_document_requirements(cohort, {K.cv: "required"})
    with pytest.raises(DomainError):
        reference_services.update_eligibility_rules(cohort, "B2", "12", [3], 3)


# --- eligibility rules -----------------------------------------------------------------------


def _rules_form(**overrides) -> dict:
    data = {
        "min_french_level": "C1",
        "min_average": "13,5",
        "allowed_years": ["4", "5"],
        "passport_months_after_end": "6",
    }
    data.update(overrides)
    return data


def test_eligibility_form_shows_the_defaults(client, auth):
    cohort = CohortFactory()
    auth.as_role("coordinator")
    page = client.get(f"/cohorts/{cohort.id}/settings/eligibility").get_data(as_text=True)
    assert re.search(
        r'<option[^>]*selected[^>]*value="B2"|<option[^>]*value="B2"[^>]*selected', page
    )
    assert 'value="12.00"' in page and 'value="3"' in page
    checked = set(re.findall(r'name="allowed_years"[^>]*value="(\d)"[^>]*checked', page)) | set(
        re.findall(r'checked[^>]*name="allowed_years"[^>]*value="(\d)"', page)
    )
    assert checked == {"3", "4", "5"}
    # Only a GET: no rules row is kept.
    assert db.session.scalar(select(func.count()).select_from(EligibilityRules)) == 0


def test_coordinator_saves_rules_with_a_decimal_comma(client, auth):
    cohort = CohortFactory()
    coordinator = auth.as_role("coordinator")
    response = client.post(f"/cohorts/{cohort.id}/settings/eligibility", data=_rules_form())
    assert response.status_code == 302
    db.session.expire_all()
    rules = services.rules_for(cohort)
    assert rules.min_french_level == "C1"
    assert Decimal(rules.min_average) == Decimal("13.50")
    assert rules.allowed_years == [4, 5]
    assert rules.passport_months_after_end == 6
    event = _events("cohort.eligibility_rules")[-1]
    assert event.actor_id == coordinator.id
    assert event.details["changes"]["min_average"] == ["12.00", "13.50"]
    assert event.details["changes"]["allowed_years"] == [[3, 4, 5], [4, 5]]
    # The same values again: no new event.
    client.post(f"/cohorts/{cohort.id}/settings/eligibility", data=_rules_form(min_average="13.50"))
    assert len(_events("cohort.eligibility_rules")) == 1


@pytest.mark.parametrize(
    "overrides",
    [
        {"min_average": "20,01"},
        {"min_average": "-1"},
        {"min_average": "abc"},
        {"min_average": "NaN"},
        {"min_average": "1e30"},
        {"min_average": "12,345"},
        {"min_average": ""},
        {"passport_months_after_end": "25"},
        {"passport_months_after_end": "-1"},
        {"passport_months_after_end": "x"},
        {"allowed_years": []},
        {"allowed_years": ["9"]},
        {"allowed_years": ["x"]},
        {"min_french_level": "D1"},
    ],
)
def test_rules_out_of_bounds_are_refused(client, auth, overrides):
    cohort = CohortFactory()
    auth.as_role("coordinator")
    response = client.post(
        f"/cohorts/{cohort.id}/settings/eligibility", data=_rules_form(**overrides)
    )
    assert response.status_code == 200
    assert db.session.scalar(select(func.count()).select_from(EligibilityRules)) == 0
    assert _events("cohort.eligibility_rules") == []


@pytest.mark.parametrize(
    "average, months, stored",
    [("0", "0", "0.00"), ("20", "24", "20.00"), ("20,00", "12", "20.00"), (" 9,5 ", "1", "9.50")],
)
def test_rules_bounds_are_inclusive(client, auth, average, months, stored):
    cohort = CohortFactory()
    auth.as_role("coordinator")
    response = client.post(
        f"/cohorts/{cohort.id}/settings/eligibility",
        data=_rules_form(
            min_average=average, passport_months_after_end=months, allowed_years=["1", "8"]
        ),
    )
    assert response.status_code == 302
    db.session.expire_all()
    rules = services.rules_for(cohort)
    assert rules.allowed_years == [1, 8]
    assert Decimal(rules.min_average) == Decimal(stored)
    assert rules.passport_months_after_end == int(months)


def test_rules_service_checks_again():
    cohort = CohortFactory()
    for bad in (
        {"min_french_level": "Z9"},
        {"min_average": "21"},
        {"min_average": "douze"},
        {"allowed_years": []},
        {"allowed_years": [0]},
        {"passport_months_after_end": 30},
    ):
        values = {
            "min_french_level": "B2",
            "min_average": "12",
            "allowed_years": [3],
            "passport_months_after_end": 3,
            **bad,
        }
        with pytest.raises(DomainError):
            reference_services.update_eligibility_rules(cohort, **values)
    rules = reference_services.update_eligibility_rules(cohort, "B1", "11,25", [5, 3, 3], 0)
    assert (Decimal(rules.min_average), rules.allowed_years) == (Decimal("11.25"), [3, 5])


def test_screening_uses_the_cohort_rules(client, auth):
    cohort = CohortFactory(return_on=date(2031, 9, 30))
    student = UserFactory(role=Role.student)
    application = Application(
        cohort_id=cohort.id,
        student_id=student.id,
        pole_ranking=[],
        french_level="B2",
        grade_average=Decimal("13.00"),
        year_of_study=3,
        passport_expiry=date(2032, 3, 1),
    )
    db.session.add(application)
    db.session.commit()
    assert services.suggest(application, services.rules_for(cohort)).eligible

    auth.as_role("coordinator")
    client.post(f"/cohorts/{cohort.id}/settings/eligibility", data=_rules_form())
    db.session.expire_all()
    screening = services.suggest(application, services.rules_for(cohort))
    assert not screening.eligible
    # C1 required, 13.50 required, year 3 not allowed, passport needed until 2032-03-30.
    assert {r.code for r in screening.reasons} == {
        "french_level",
        "average",
        "year_of_study",
        "passport",
    }


def test_settings_pages_render_in_english(client, auth):
    cohort = CohortFactory()
    auth.as_role("coordinator")
    _english(client)
    for path in ("documents", "eligibility"):
        response = client.get(f"/cohorts/{cohort.id}/settings/{path}")
        assert response.status_code == 200
        assert '<html lang="en">' in response.get_data(as_text=True)


# --- demo data -------------------------------------------------------------------------------


def _pdf_is_consistent(data: bytes) -> bool:
    """Every xref offset points at its object; startxref points at the xref table."""
    assert data.startswith(b"%PDF-1.") and data.rstrip().endswith(b"%%EOF")
    startxref = int(re.search(rb"startxref\s+(\d+)", data).group(1))
    assert data[startxref:].startswith(b"xref")
    entries = re.findall(rb"(\d{10}) 00000 n", data[startxref:])
    for number, offset in enumerate(entries, 1):
        assert data[int(offset) :].startswith(b"%d 0 obj" % number), number
    return len(entries) >= 4


def test_demo_pdf_and_png_are_real_files():
    from mnc_exchange.demo.applicants import demo_files

    files = demo_files()
    assert set(files) == set(DocumentKind)
    for kind, (name, data) in files.items():
        if kind is K.passport:
            assert name.endswith(".png") and data.startswith(b"\x89PNG")
        else:
            assert name.endswith(".pdf") and _pdf_is_consistent(data)
            assert 500 < len(data) < 2048


def test_demo_data_loads_applications_once(runner, data_app):
    started = time.perf_counter()
    result = runner.invoke(args=["demo-data", "--no-history"])
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    assert elapsed < 15, f"demo load took {elapsed:.1f} s"

    cohort = db.session.scalar(select(Cohort).where(Cohort.is_current))
    count = db.session.scalar(
        select(func.count()).select_from(Application).where(Application.cohort_id == cohort.id)
    )
    assert 140 <= count <= 160

    statuses = dict(
        db.session.execute(
            select(Application.status, func.count())
            .where(Application.cohort_id == cohort.id)
            .group_by(Application.status)
        ).all()
    )
    # The current cohort is still in its call: every screening status is present.
    screening_statuses = {"draft", "submitted", "returned", "eligible", "ineligible", "withdrawn"}
    assert set(statuses) == {ApplicationStatus(s) for s in screening_statuses}
    assert statuses[ApplicationStatus.submitted] + statuses[ApplicationStatus.eligible] > count / 2

    names = set(db.session.scalars(select(Institution.name)))
    assert {"ENSIAS", "INPT", "EMI", "ENSA Tanger", "ENSA Marrakech", "UM6P"} <= names
    assert {"FST Settat", "FST Fès", "ENSAM Casablanca"} <= names

    applications = db.session.scalars(
        select(Application).where(Application.cohort_id == cohort.id)
    ).all()
    assert {a.region for a in applications} == set(REGIONS)
    assert len({a.cin for a in applications}) == count
    for application in applications:
        assert re.fullmatch(r"[A-Z]{2}\d{6}", application.cin)
        assert application.phone is None or re.fullmatch(r"\+2126\d{8}", application.phone)
        assert Decimal("10") <= application.grade_average <= Decimal("18")
        assert application.student.role is Role.student
        if application.status is ApplicationStatus.draft:
            continue
        assert application.consent_at and application.return_commitment_at
        assert application.submitted_at
        assert len(application.motivation) >= max(400, MOTIVATION_MIN)
        assert len(application.pole_ranking) == 4
        kinds = {m.kind for m in application.messages}
        if application.status is ApplicationStatus.returned:
            assert kinds & {MessageKind.correction, MessageKind.document}
        if application.status is ApplicationStatus.ineligible:
            assert application.eligibility_reasons or application.eligibility_override_reason
            assert MessageKind.eligibility in kinds
        if application.status is ApplicationStatus.withdrawn:
            assert application.withdrawn_at and MessageKind.withdrawal in kinds
        if application.status in (ApplicationStatus.eligible, ApplicationStatus.ineligible):
            assert application.eligibility_decided_at is not None
            if application.eligibility_suggestion != (
                application.status is ApplicationStatus.eligible
            ):
                assert application.eligibility_override_reason

    # Every non-draft file has every required document; each document is its own stored file.
    required = {k for k, r in services.requirements_for(cohort).items() if r}
    for application in applications:
        if application.status is not ApplicationStatus.draft:
            assert required <= {d.kind for d in application.documents}
    documents = db.session.scalars(select(Document)).all()
    assert len(documents) > 5 * (count - 20)
    assert len({d.stored_name for d in documents}) == len(documents)
    root = Path(data_app.config["UPLOAD_FOLDER"])
    for document in documents:
        path = root / document.stored_name
        assert path.is_file(), document.stored_name
        data = path.read_bytes()
        assert hashlib.sha256(data).hexdigest() == document.sha256
        assert len(data) == document.size
        assert document.content_type in ("application/pdf", "image/png")

    # Accounts: one hash computed once, shared, and it checks.
    first = db.session.scalar(select(User).where(User.email == "candidat001@demo.mnc.ma"))
    last = db.session.scalar(select(User).where(User.email == "candidat150@demo.mnc.ma"))
    from mnc_exchange.demo import DEMO_PASSWORD

    assert first.check_password(DEMO_PASSWORD) and last.check_password(DEMO_PASSWORD)
    assert first.password_hash == last.password_hash
    # Audit events written, no e-mail queued (demo data bypass the notifications).
    assert len(_events("application.transition")) >= count - 20
    assert len(_events("document.upload")) == len(documents)
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0

    # Twice: nothing more (the previous cohort's applications come from demo_hosts).
    events = db.session.scalar(select(func.count()).select_from(AuditEvent))
    total = db.session.scalar(select(func.count()).select_from(Application))
    result = runner.invoke(args=["demo-data", "--no-history"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Application)) == total
    assert db.session.scalar(select(func.count()).select_from(Document)) == len(documents)
    assert db.session.scalar(select(func.count()).select_from(Institution)) == len(names)
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events


def test_demo_student_can_log_in_and_staff_see_demo_files(client, runner):
    runner.invoke(args=["demo-data", "--no-history"])
    from mnc_exchange.demo import DEMO_PASSWORD

    response = client.post(
        "/login", data={"email": "candidat042@demo.mnc.ma", "password": DEMO_PASSWORD}
    )
    assert response.status_code == 302
    client.post("/logout")
    client.post("/login", data={"email": "admin@demo.mnc.ma", "password": DEMO_PASSWORD})
    document = db.session.scalar(select(Document).order_by(Document.id))
    response = client.get(f"/documents/{document.id}/download")
    assert response.status_code == 200
    assert hashlib.sha256(response.data).hexdigest() == document.sha256
    assert client.get("/institutions").status_code == 200
