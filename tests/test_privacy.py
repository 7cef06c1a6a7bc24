"""Personal data: the download of one's own data, and the retention purge."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date

from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.applications.models import Application, ApplicationStatus, Document
from mnc_exchange.applications.uploads import path_of
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from mnc_exchange.maintenance.retention import purge
from tests.factories import PASSWORD, CohortFactory, UserFactory, make_application_with_document


def login(client, user):
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def test_a_student_downloads_their_data_and_files_only(client):
    cohort = CohortFactory()
    me = UserFactory(role=Role.student, full_name="Éloïse Benali")
    other = UserFactory(role=Role.student)
    application, document = make_application_with_document(me, cohort)
    application.first_name, application.cin = "Éloïse", "AB123456"
    make_application_with_document(other, cohort)
    db.session.commit()
    login(client, me)
    page = client.get("/account/data")
    assert page.status_code == 200
    response = client.get("/account/data/export.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    data = json.loads(archive.read("my-data.json"))
    assert data["account"]["email"] == me.email
    assert "password_hash" not in data["account"]
    assert [a["id"] for a in data["applications"]] == [application.id]
    assert data["applications"][0]["cin"] == "AB123456"
    assert len(data["applications"][0]["documents"]) == 1
    files = [name for name in archive.namelist() if name.startswith("documents/")]
    assert len(files) == 1
    assert archive.read(files[0]) == path_of(document.stored_name).read_bytes()


def test_anonymous_users_are_sent_to_login(client):
    response = client.get("/account/data/export.zip")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def _old_cohort(state=CohortState.archived, year=2021):
    return CohortFactory(year=year, state=state)


def test_retention_anonymises_unsuccessful_applicants_after_the_period():
    old = _old_cohort()
    recent = _old_cohort(state=CohortState.returned, year=date.today().year - 1)
    loser = UserFactory(role=Role.student)
    winner_elsewhere = UserFactory(role=Role.student)
    recent_loser = UserFactory(role=Role.student)
    rejected, document = make_application_with_document(loser, old)
    rejected.status = ApplicationStatus.rejected
    rejected.first_name, rejected.cin, rejected.region = "Nadia", "AB1", "oriental"
    twice, _doc = make_application_with_document(winner_elsewhere, old)
    twice.status = ApplicationStatus.ineligible
    kept, _ = make_application_with_document(winner_elsewhere, recent)
    kept.status = ApplicationStatus.selected
    fresh, _ = make_application_with_document(recent_loser, recent)
    fresh.status = ApplicationStatus.rejected
    db.session.commit()
    stored = path_of(document.stored_name)
    assert stored.exists()

    dry = purge(today=date(2026, 11, 26), years=2, dry_run=True)
    db.session.rollback()
    assert dry.applications == 2
    assert db.session.get(Application, rejected.id).cin == "AB1"

    report = purge(today=date(2026, 11, 26), years=2)
    db.session.commit()
    assert report.applications == 2
    assert report.accounts == 1  # the other person keeps a live application
    gone = db.session.get(Application, rejected.id)
    assert gone.anonymised_at is not None
    assert (gone.first_name, gone.cin) == (None, None)
    # The lists' sort keys keep no name either (the account's, anonymised, is shown).
    assert (gone.sort_last_name, gone.sort_first_name) == ("—", "")
    assert gone.region == "oriental" and gone.status is ApplicationStatus.rejected
    assert not stored.exists()
    assert (
        db.session.scalar(
            select(func.count()).select_from(Document).where(Document.application_id == rejected.id)
        )
        == 0
    )
    account = db.session.get(User, loser.id)
    assert not account.active and account.email.startswith("anonymised-")
    assert db.session.get(User, winner_elsewhere.id).active
    assert db.session.get(Application, fresh.id).anonymised_at is None
    # Idempotent.
    assert purge(today=date(2026, 11, 26), years=2).applications == 0


def test_retention_cli(runner):
    result = runner.invoke(args=["retention", "purge", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Would anonymise 0 applications" in result.output
