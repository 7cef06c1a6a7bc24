"""`flask backup` / `flask restore` round trip (runs on SQLite and, in CI, on PostgreSQL)."""

from __future__ import annotations

import tarfile
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.applications.models import Application, Document
from mnc_exchange.applications.uploads import path_of
from mnc_exchange.extensions import db
from mnc_exchange.maintenance.backup import RestoreError, backup, restore
from mnc_exchange.offers.models import Offer
from tests.factories import (
    CohortFactory,
    OfferFactory,
    UserFactory,
    make_application_with_document,
)


def _wipe_rows() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())


def _counts() -> dict[str, int]:
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def test_round_trip_restores_rows_files_and_sequences(tmp_path):
    student = UserFactory(role=Role.student, full_name="Éloïse محمد")
    cohort = CohortFactory()
    application, document = make_application_with_document(student, cohort)
    OfferFactory(cohort=cohort, monthly_stipend=Decimal("712.35"))
    stored = path_of(document.stored_name)
    original_bytes = stored.read_bytes()
    ids = {"student": student.id, "document": document.id, "application": application.id}
    sha, cohort_id = document.sha256, cohort.id
    before = _counts()
    archive = tmp_path / "backup.tar.gz"

    manifest = backup(archive)
    assert manifest["tables"]["users"] == before["users"]
    assert manifest["files"] >= 1
    with tarfile.open(archive) as tar:
        assert "manifest.json" in tar.getnames()

    _wipe_rows()
    stored.unlink()
    assert _counts()["users"] == 0

    restore(archive)
    db.session.expire_all()
    assert _counts() == before
    assert stored.read_bytes() == original_bytes
    assert db.session.scalar(select(User.full_name).where(User.id == ids["student"])) == (
        "Éloïse محمد"
    )
    assert db.session.scalar(select(Offer.monthly_stipend)) == Decimal("712.35")
    assert db.session.get(Document, ids["document"]).sha256 == sha
    assert db.session.get(Application, ids["application"]).cohort_id == cohort_id
    # New rows get fresh ids (PostgreSQL sequences were reset past the restored ids).
    newcomer = UserFactory(role=Role.coordinator)
    assert newcomer.id > ids["student"]


def test_restore_refuses_a_non_empty_database(tmp_path):
    UserFactory()
    archive = tmp_path / "backup.tar.gz"
    backup(archive)
    with pytest.raises(RestoreError, match="not empty"):
        restore(archive)
    db.session.rollback()


def test_restore_refuses_a_foreign_archive(tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    with tarfile.open(bogus, "w:gz") as tar:
        note = tmp_path / "note.txt"
        note.write_text("hello")
        tar.add(note, arcname="note.txt")
    with pytest.raises(RestoreError, match="manifest"):
        restore(bogus)


def test_cli_round_trip(runner, tmp_path):
    UserFactory(role=Role.admin)
    archive = tmp_path / "cli.tar.gz"
    result = runner.invoke(args=["backup", str(archive)])
    assert result.exit_code == 0, result.output
    assert "Backup written" in result.output
    refused = runner.invoke(args=["restore", str(archive)])
    assert refused.exit_code != 0
    assert "not empty" in refused.output
    _wipe_rows()
    result = runner.invoke(args=["restore", str(archive)])
    assert result.exit_code == 0, result.output
    assert Path(archive).exists()
