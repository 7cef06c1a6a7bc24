"""A backup that cannot be restored is no backup (issue 13 §1).

The full demo data (history included, and a row in each table the demo leaves empty) is loaded
once for the module (about 40 s): this module's ``_app_context`` replaces the per-test one of
``tests/conftest.py``, as in ``tests/test_demo_history.py``. Every test leaves the database and
the uploads folder as it found them (a test that wipes them restores them).

- The round trip runs on the test database (SQLite, or PostgreSQL in CI's second run); on
  SQLite the restore runs with the foreign keys enforced, as PostgreSQL does.
- SQLite → PostgreSQL needs a PostgreSQL server: the test database's (``TEST_DATABASE_URL`` /
  ``DATABASE_URL``) or ``TEST_POSTGRES_URL`` (CI's SQLite pass); it creates a scratch database
  there and drops it afterwards. Without a server it is skipped, except in CI (``CI=true``),
  where it fails.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import uuid
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from flask import current_app
from sqlalchemy import create_engine, event, func, select, text
from sqlalchemy.engine import Engine, make_url

from mnc_exchange import create_app
from mnc_exchange.accounts.models import Role, User, UserSession
from mnc_exchange.agreements.models import AgreementDocument, Party, ReminderLog
from mnc_exchange.applications.models import Application, DocumentRequirement
from mnc_exchange.applications.reference import DocumentKind
from mnc_exchange.cohorts.models import Cohort
from mnc_exchange.config import normalise_database_url
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.demo import load_demo_data
from mnc_exchange.extensions import db, limiter, migrate
from mnc_exchange.followup.models import FollowUpReminder
from mnc_exchange.hosts.models import Company, CompanyInvitation
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.maintenance.backup import RestoreError, backup, restore
from mnc_exchange.reports.snapshots import figures_of
from mnc_exchange.selection.models import (
    Interview,
    ReviewAssignment,
    ReviewScore,
    RubricCriterion,
    SeatOffer,
)
from tests.conftest import _wipe
from tests.factories import UserFactory, make_application_with_document

TODAY = date(2026, 11, 26)
#: Every column that names a stored file (application documents, agreement PDFs, signed scans).
FILE_COLUMNS = {
    "documents": ("stored_name",),
    "agreement_documents": ("stored_name", "final_stored_name"),
    "agreement_signatures": ("scan_stored_name",),
}


def _tables():
    # The data version (core.page_cache) is not data: every commit replaces it.
    return [
        t for t in db.metadata.sorted_tables if t.name not in ("alembic_version", "data_version")
    ]


def _uploads() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def _clear_uploads() -> None:
    for child in _uploads().iterdir():
        shutil.rmtree(child) if child.is_dir() else child.unlink()


def _wipe_rows() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            names = ", ".join(f'"{t.name}"' for t in _tables())
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(_tables()):
                conn.execute(table.delete())


def _contents() -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order."""
    return {
        t.name: [tuple(r) for r in db.session.execute(select(t).order_by(*t.primary_key.columns))]
        for t in _tables()
    }


def _differences(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> list:
    """The first differing row of each table that differs (for a readable failure)."""
    found = []
    for name, rows in before.items():
        other = after.get(name, [])
        for old, new in zip(rows, other, strict=False):
            if old != new:
                found.append((name, [(a, b) for a, b in zip(old, new, strict=True) if a != b]))
                break
        else:
            if len(rows) != len(other):
                found.append((name, len(rows), len(other)))
    return found


def _counts(contents: dict[str, list[tuple]]) -> dict[str, int]:
    return {name: len(rows) for name, rows in contents.items()}


def _file_hashes() -> dict[str, str]:
    """Every file of the uploads folder (relative path -> SHA-256)."""
    root = _uploads()
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in root.rglob("*")
        if p.is_file()
    }


def _named_files() -> set[str]:
    tables = {t.name: t for t in _tables()}
    return {
        name
        for table, columns in FILE_COLUMNS.items()
        for column in columns
        for name in db.session.scalars(
            select(tables[table].c[column]).where(tables[table].c[column].is_not(None))
        )
    }


def _fill_empty_tables() -> list[str]:
    """A row in each table the demo leaves empty; returns their names."""
    empty = [
        t.name for t in _tables() if not db.session.scalar(select(func.count()).select_from(t))
    ]
    cohort = db.session.scalar(select(Cohort).where(Cohort.is_current))
    application = db.session.scalar(
        select(Application).where(Application.cohort_id == cohort.id).order_by(Application.id)
    )
    coordinator = db.session.scalar(select(User).where(User.role == Role.coordinator))
    company = db.session.scalar(select(Company).order_by(Company.id))
    agreement_document = db.session.scalar(select(AgreementDocument).order_by(AgreementDocument.id))
    now = utcnow()
    criterion = RubricCriterion(
        cohort_id=cohort.id,
        key="backup_test",
        label="Critère de test",
        weight=Decimal("1.50"),
        max_score=Decimal("20.00"),
    )
    assignment = ReviewAssignment(
        application_id=application.id, reviewer_id=coordinator.id, total=Decimal("15.25")
    )
    db.session.add_all([criterion, assignment])
    db.session.flush()
    db.session.add_all(
        [
            FollowUpReminder(subject="step", subject_id=1, sent_on=TODAY),
            OutboxMessage(recipient="sauvegarde@example.org", subject="Test", body_text="Corps"),
            UserSession(
                user_id=coordinator.id,
                token_hash=hashlib.sha256(b"backup-session").hexdigest(),
                remember=True,
                created_at=now,
                expires_at=now + timedelta(days=30),
            ),
            DocumentRequirement(cohort_id=cohort.id, kind=DocumentKind.cv, required=True),
            CompanyInvitation(
                company_id=company.id,
                email="collegue@example.fr",
                token_hash=hashlib.sha256(b"backup-test").hexdigest(),
                invited_by_id=coordinator.id,
                expires_at=now + timedelta(days=7),
            ),
            Interview(application_id=application.id, starts_at=now, location="Rabat"),
            SeatOffer(application_id=application.id, deadline_at=now + timedelta(days=3)),
            ReviewScore(
                assignment_id=assignment.id, criterion_id=criterion.id, score=Decimal("7.50")
            ),
            ReminderLog(document_id=agreement_document.id, party=Party.student, sent_on=TODAY),
        ]
    )
    db.session.commit()
    # The kept report figures: computed as the reports dashboard does on a first view.
    figures_of(list(db.session.scalars(select(Cohort))), TODAY)
    db.session.commit()
    return empty


@pytest.fixture(scope="module", autouse=True)
def _app_context(app, data_app):
    """One app context and one database for the module; wiped at its end."""
    with data_app.app_context():
        yield
        db.session.remove()
    _wipe(app)
    limiter.reset()


def _load_demo() -> list[str]:
    _clear_uploads()
    load_demo_data(TODAY)
    db.session.commit()
    filled = _fill_empty_tables()
    assert [name for name, rows in _contents().items() if not rows] == []
    assert set(_file_hashes()) == _named_files()
    return filled


@pytest.fixture(scope="module")
def demo(_app_context):
    """The full demo data; every table holds rows and every file of the uploads folder is named
    by a row. Returns the names of the tables the demo left empty (filled here)."""
    return _load_demo()


@pytest.fixture(autouse=True)
def _demo_intact(demo):
    """A test that failed halfway may leave the database empty: the next test gets the demo
    again (slow, but only after a failure), so that each test fails for its own reason."""
    yield
    db.session.rollback()
    db.session.expire_all()
    if (
        not all(db.session.scalar(select(func.count()).select_from(t)) for t in _tables())
        or set(_file_hashes()) != _named_files()
    ):
        _wipe_rows()
        _load_demo()


@contextmanager
def _foreign_keys_enforced():
    """On SQLite, enforce the foreign keys on every new connection (PostgreSQL always does)."""
    if db.engine.dialect.name != "sqlite":
        yield
        return

    def enforce(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    db.session.remove()
    db.engine.dispose()
    event.listen(db.engine, "connect", enforce)
    try:
        assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1
        yield
    finally:
        event.remove(db.engine, "connect", enforce)
        db.session.remove()
        db.engine.dispose()


def test_full_demo_round_trip_restores_every_row_and_file(demo, tmp_path):
    before = _contents()
    files = _file_hashes()
    assert all(before.values()) and files
    archive = tmp_path / "demo.tar.gz"

    manifest = backup(archive)
    assert manifest["tables"] == _counts(before)

    _wipe_rows()
    _clear_uploads()
    assert sum(_counts(_contents()).values()) == 0 and _file_hashes() == {}

    with _foreign_keys_enforced():
        result = restore(archive)
    assert result["restored_files"] == len(files)
    db.session.expire_all()
    after = _contents()
    assert _counts(after) == _counts(before)
    assert _differences(before, after) == []
    assert _file_hashes() == files
    if db.engine.dialect.name == "sqlite":
        assert db.session.execute(text("PRAGMA foreign_key_check")).all() == []
    # The host contacts' company (the column restored in the second pass) came back.
    assert db.session.scalar(select(func.count(User.company_id))) > 0
    # Sequences were reset past the restored ids.
    newcomer = UserFactory(role=Role.coordinator)
    assert newcomer.id > max(row[0] for row in before["users"])
    db.session.delete(newcomer)
    db.session.commit()
    # The manifest records every file's SHA-256 (restore checks them) and no missing file.
    assert manifest["sha256"] == files
    assert manifest["missing_files"] == []


def _postgres_server() -> str:
    for name in ("TEST_DATABASE_URL", "DATABASE_URL", "TEST_POSTGRES_URL"):
        url = normalise_database_url(os.environ.get(name) or "")
        if url.startswith("postgresql"):
            return url
    reason = (
        "NO POSTGRESQL SERVER: the SQLite -> PostgreSQL restore was NOT tested. Set "
        "TEST_POSTGRES_URL (or run the suite with DATABASE_URL=postgresql://...)."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(reason)
    pytest.skip(reason)


@contextmanager
def _scratch_postgres(server: str):
    name = f"mnc_backup_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def _other_app(url: str, uploads: Path):
    other = create_app(
        {"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url, "UPLOAD_FOLDER": str(uploads)}
    )
    with other.app_context():
        try:
            yield other
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.postgres
def test_a_sqlite_backup_restores_into_postgresql(demo, tmp_path):
    """How a pilot moves to production: the demo is copied into a scratch SQLite file (through a
    backup of the test database), stamped at the migrations' head, backed up, and restored into
    a scratch PostgreSQL database built by the migrations."""
    server = _postgres_server()
    before = _contents()
    files = _file_hashes()
    backup(tmp_path / "test-db.tar.gz")

    with _other_app("sqlite:///" + str(tmp_path / "pilot.sqlite"), tmp_path / "pilot-up"):
        db.create_all()
        restore(tmp_path / "test-db.tar.gz")
        command.stamp(migrate.get_config(), "head")
        assert db.engine.dialect.name == "sqlite"
        pilot = backup(tmp_path / "pilot.tar.gz")
    assert pilot["dialect"] == "sqlite" and pilot["revision"]
    assert pilot["tables"] == _counts(before)

    with (
        _scratch_postgres(server) as url,
        _other_app(url, tmp_path / "production-up"),
    ):
        command.upgrade(migrate.get_config(), "head")
        assert db.engine.dialect.name == "postgresql"
        result = restore(tmp_path / "pilot.tar.gz")
        assert result["restored_files"] == len(files)
        assert _differences(before, _contents()) == []
        assert _file_hashes() == files
        assert db.session.scalar(select(func.count(User.company_id))) > 0
    assert pilot["sha256"] == files


def _archived_rows(archive: tarfile.TarFile) -> dict[str, list[dict]]:
    return {
        table.name: [
            json.loads(line)
            for line in archive.extractfile(f"tables/{table.name}.jsonl").read().splitlines()
        ]
        for table in _tables()
    }


def _dangling_references(rows: dict[str, list[dict]]) -> list[str]:
    """The archived foreign-key values that name no archived row."""
    dangling = []
    for table in _tables():
        for fk in table.foreign_keys:
            target = fk.column
            present = {r[target.name] for r in rows[target.table.name]}
            for row in rows[table.name]:
                value = row[fk.parent.name]
                if value is not None and value not in present:
                    dangling.append(f"{table.name}.{fk.parent.name}={value}")
    return dangling


def test_an_upload_during_the_backup_is_archived_with_its_file_or_not_at_all(demo, app, tmp_path):
    """An upload (a new student, application and document, with its file) lands while the
    backup reads the rows, just before it reads ``documents``: the archive is as of one instant
    (no row refers to a missing row) and every document row in it has its file in it."""
    landed = {}

    def upload_now(conn, cursor, statement, parameters, context, executemany):
        if landed or not statement.lstrip().upper().startswith("SELECT"):
            return
        if "FROM documents" not in statement:
            return
        landed["yes"] = True
        with app.app_context():  # another session and connection, as a request would have
            student = UserFactory(role=Role.student)
            cohort = db.session.scalar(select(Cohort).where(Cohort.is_current))
            _application, document = make_application_with_document(student, cohort)
            landed["stored_name"] = document.stored_name
            db.session.remove()

    event.listen(Engine, "before_cursor_execute", upload_now)
    try:
        manifest = backup(tmp_path / "busy.tar.gz")
    finally:
        event.remove(Engine, "before_cursor_execute", upload_now)
    assert landed.get("stored_name"), "the simulated upload did not happen"

    with tarfile.open(tmp_path / "busy.tar.gz") as archive:
        members = set(archive.getnames())
        rows = _archived_rows(archive)
    named = {
        row[column]
        for table, columns in FILE_COLUMNS.items()
        for row in rows[table]
        for column in columns
        if row[column]
    }
    assert named, "the archive names no file"
    assert sorted(n for n in named if f"uploads/{n}" not in members) == []
    assert _dangling_references(rows) == []
    assert set(manifest["sha256"]) == named
    assert manifest["missing_files"] == []


def test_a_named_file_missing_on_disk_is_reported(demo, runner, tmp_path):
    stored = db.session.scalar(select(AgreementDocument.stored_name).order_by(AgreementDocument.id))
    path = _uploads() / stored
    aside = tmp_path / "aside.pdf"
    shutil.move(path, aside)
    try:
        result = runner.invoke(args=["backup", str(tmp_path / "gap.tar.gz")])
    finally:
        shutil.move(aside, path)
    assert result.exit_code == 0, result.output
    assert "missing" in result.output and stored in result.output
    assert "agreement_documents.stored_name" in result.output
    with tarfile.open(tmp_path / "gap.tar.gz") as archive:
        manifest = json.loads(archive.extractfile("manifest.json").read())
        assert f"uploads/{stored}" not in archive.getnames()
    assert [m["path"] for m in manifest["missing_files"]] == [stored]


def test_restore_refuses_a_damaged_file_and_changes_nothing(demo, tmp_path):
    good = tmp_path / "good.tar.gz"
    backup(good)
    damaged = tmp_path / "damaged.tar.gz"
    with tarfile.open(good) as source, tarfile.open(damaged, "w:gz") as target:
        altered = None
        for member in source.getmembers():
            data = source.extractfile(member).read()
            if altered is None and member.name.startswith("uploads/"):
                altered, data = member.name, data[:-1] + bytes([data[-1] ^ 1])
            target.addfile(member, io.BytesIO(data))
    before = _contents()
    files = _file_hashes()
    _wipe_rows()
    _clear_uploads()
    try:
        with pytest.raises(RestoreError, match="damaged"):
            restore(damaged)
        assert sum(_counts(_contents()).values()) == 0
        assert _file_hashes() == {}
    finally:
        db.session.rollback()
        _wipe_rows()
        restore(good)
    db.session.expire_all()
    assert _differences(before, _contents()) == [] and _file_hashes() == files


def test_a_truncated_or_foreign_archive_is_refused_with_a_clear_message(demo, runner, tmp_path):
    whole = tmp_path / "whole.tar.gz"
    backup(whole)
    truncated = tmp_path / "truncated.tar.gz"
    truncated.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    text_file = tmp_path / "notes.tar.gz"
    text_file.write_text("not an archive")
    for archive in (truncated, text_file):
        result = runner.invoke(args=["restore", str(archive)])
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)  # a message, not a traceback
        assert "damaged or not a backup" in result.output


def test_the_backup_finds_every_column_that_names_a_file():
    from mnc_exchange.maintenance.backup import file_columns

    found = {t.name: tuple(c.name for c in file_columns(t)) for t in _tables() if file_columns(t)}
    assert found == FILE_COLUMNS
