"""Backup and restore: the database's rows and the uploaded files in one archive.

The archive (``.tar.gz``) holds ``manifest.json`` (format, Alembic revision, row counts, time,
each archived file's SHA-256, the files the rows name but the disk lacks),
``tables/<table>.jsonl`` (one JSON object per row, typed values encoded) and ``uploads/…``.
The dump is logical, not a ``pg_dump``: it restores on SQLite and on PostgreSQL alike (and can
move an installation from one to the other).

Consistency. Every row is read in one snapshot: on PostgreSQL one ``REPEATABLE READ``, read-only
transaction on one connection for every table; on SQLite the database is first copied with
SQLite's online backup API (one read transaction of a few milliseconds, so that uploads are not
blocked for the whole backup) and the rows are read from that copy. Only then are the files
archived, and only the files that those rows name (the ``stored_name`` / ``*_stored_name``
columns: application documents, agreement PDFs, signed scans): a file uploaded after the
snapshot is not named by it and is left out with its row, and files that no row names
(leftovers, abandoned uploads) are never archived. A named file missing on disk is listed in
the manifest (``missing_files``) and reported by ``flask backup`` and ``flask restore``.

Restoring requires an empty database at the same Alembic revision (``flask db upgrade`` first)
and refuses otherwise. It first checks every file against its SHA-256 in the manifest, then
inserts every row in one transaction, in two passes so that the order of mutually referencing
tables (``users.company_id`` → ``companies`` → ``users``) does not matter: the foreign-key
columns that point to a table not inserted yet (or to their own table) are inserted as NULL,
then set by an ``UPDATE`` once every row is in. PostgreSQL's sequences are reset afterwards.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import time
import zlib
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import IO, Any

from flask import current_app
from sqlalchemy import (
    Column,
    Connection,
    Integer,
    Table,
    and_,
    bindparam,
    create_engine,
    func,
    insert,
    inspect,
    select,
    text,
    update,
)
from sqlalchemy.exc import StatementError
from sqlalchemy.pool import NullPool

from ..extensions import db

FORMAT = "mnc-exchange-backup/2"
#: Formats ``restore`` reads (version 1 had no checksums: its files are not checked).
READABLE_FORMATS = ("mnc-exchange-backup/1", FORMAT)
_BATCH = 500
_SPOOL = 8 * 1024 * 1024  # rows of a table kept in memory up to this size, then on disk


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, date):
        return {"$d": value.isoformat()}
    if isinstance(value, Decimal):
        return {"$dec": str(value)}
    if isinstance(value, bytes):
        return {"$b": base64.b64encode(value).decode()}
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict) and len(value) == 1:
        ((key, inner),) = value.items()
        if key == "$dt":
            return datetime.fromisoformat(inner)
        if key == "$d":
            return date.fromisoformat(inner)
        if key == "$dec":
            return Decimal(inner)
        if key == "$b":
            return base64.b64decode(inner)
    return value


def _revision(conn=None) -> str | None:
    """The Alembic revision, read on ``conn`` (or the session); None when not migrated."""
    if conn is not None:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no Alembic table: not migrated
        db.session.rollback()
        return None


_NOT_BACKED_UP = ("alembic_version", "data_version")


def _tables() -> list[Table]:
    """Tables in dependency order (parents first); Alembic's own table and the data version
    (``core.page_cache``: not data, replaced by the restore's own commit) are excluded."""
    return [t for t in db.metadata.sorted_tables if t.name not in _NOT_BACKED_UP]


def file_columns(table: Table) -> list[Column]:
    """The columns of ``table`` that name a file under ``UPLOAD_FOLDER`` (relative path)."""
    return [c for c in table.columns if c.name == "stored_name" or c.name.endswith("_stored_name")]


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def _add_stream(archive: tarfile.TarFile, name: str, stream: IO[bytes]) -> None:
    info = tarfile.TarInfo(name)
    info.size = stream.seek(0, io.SEEK_END)
    info.mtime = int(time.time())
    stream.seek(0)
    archive.addfile(info, stream)


# --- backup ------------------------------------------------------------------------------------


@contextmanager
def _snapshot() -> Iterator[Connection]:
    """A connection that sees the whole database as of one instant, for reading only."""
    engine = db.engine
    if engine.dialect.name == "sqlite":
        with tempfile.TemporaryDirectory(prefix="mnc-backup-") as folder:
            copy = Path(folder) / "snapshot.sqlite"
            source = engine.raw_connection()
            try:
                target = sqlite3.connect(copy)
                try:
                    source.driver_connection.backup(target)  # one step: one read transaction
                finally:
                    target.close()
            finally:
                source.close()
            snapshot_engine = create_engine(f"sqlite:///{copy}", poolclass=NullPool)
            try:
                with snapshot_engine.connect() as conn, conn.begin():
                    yield conn
            finally:
                snapshot_engine.dispose()
        return
    with engine.connect() as conn:
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        with conn.begin():
            yield conn


@dataclass
class _Snapshot:
    revision: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    #: table name -> its rows as JSON lines (spooled to disk past a few MB)
    rows: dict[str, IO[bytes]] = field(default_factory=dict)
    #: relative file path -> the rows that name it ("table.column #id")
    files: dict[str, list[str]] = field(default_factory=dict)


def _read_rows(spools: ExitStack) -> _Snapshot:
    snap = _Snapshot()
    with _snapshot() as conn:
        snap.revision = _revision(conn)
        for table in _tables():
            spool = tempfile.SpooledTemporaryFile(max_size=_SPOOL)  # noqa: SIM115 - closed below
            spools.callback(spool.close)
            snap.rows[table.name] = spool
            named = file_columns(table)
            primary = list(table.primary_key.columns)
            n = 0
            for row in conn.execute(select(table).order_by(*primary)).mappings():
                line = json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False)
                spool.write(line.encode() + b"\n")
                n += 1
                for column in named:
                    if row[column.name]:
                        key = "/".join(str(row[c.name]) for c in primary)
                        where = f"{table.name}.{column.name} #{key}"
                        snap.files.setdefault(row[column.name], []).append(where)
            snap.counts[table.name] = n
    return snap


def _upload_path(uploads: Path, relative: str) -> Path | None:
    """The file's path, or None if the name would leave the uploads folder."""
    path = PurePosixPath(relative)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return None
    return uploads / Path(*path.parts)


def backup(path: Path) -> dict[str, Any]:
    """Write the archive to ``path`` (under a temporary name until complete); returns the
    manifest.

    ``manifest["missing_files"]`` lists the files the rows name but the disk lacks (the archive
    is written all the same, without them)."""
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    path = Path(path)
    partial = path.with_name(f".{path.name}.part")
    with ExitStack() as spools:
        snap = _read_rows(spools)
        try:
            with tarfile.open(partial, "w:gz") as archive:
                for name, spool in snap.rows.items():
                    _add_stream(archive, f"tables/{name}.jsonl", spool)
                checksums, missing = _add_files(archive, uploads, snap.files)
                manifest = {
                    "format": FORMAT,
                    "revision": snap.revision,
                    "created_at": datetime.now().astimezone().isoformat(),
                    "dialect": db.engine.dialect.name,
                    "tables": snap.counts,
                    "files": len(checksums),
                    "sha256": checksums,
                    "missing_files": missing,
                }
                _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
            os.replace(partial, path)
        except BaseException:
            partial.unlink(missing_ok=True)
            raise
    return manifest


def _add_files(
    archive: tarfile.TarFile, uploads: Path, named: dict[str, list[str]]
) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Archive the named files; returns their SHA-256 and the named files missing on disk."""
    checksums: dict[str, str] = {}
    missing: list[dict[str, Any]] = []
    for relative in sorted(named):
        file = _upload_path(uploads, relative)
        try:
            if file is None:
                raise FileNotFoundError(relative)
            data = file.read_bytes()
            mtime = int(file.stat().st_mtime)
        except OSError:
            missing.append({"path": relative, "named_by": named[relative]})
            continue
        info = tarfile.TarInfo(f"uploads/{relative}")
        info.size = len(data)
        info.mtime = mtime
        archive.addfile(info, io.BytesIO(data))
        checksums[relative] = hashlib.sha256(data).hexdigest()
    return checksums, missing


# --- restore -----------------------------------------------------------------------------------


class RestoreError(Exception):
    pass


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise RestoreError(f"unsafe path in the archive: {name}")
    return path


def _deferred_columns(tables: list[Table]) -> dict[str, list[Column]]:
    """Per table, the foreign-key columns inserted as NULL then set in the second pass.

    Tables are inserted in ``tables``' order; a foreign key to a table at the same or a later
    place (a cycle, closed by a ``use_alter`` key, or a reference to the same table) cannot be
    satisfied at insert time."""
    place = {t.name: i for i, t in enumerate(tables)}
    deferred: dict[str, list[Column]] = {}
    for table in tables:
        columns = []
        for fk in table.foreign_keys:
            target = fk.column.table.name
            if place.get(target, -1) >= place[table.name] and fk.parent not in columns:
                if not fk.parent.nullable:
                    raise RestoreError(
                        f"{table.name}.{fk.parent.name} references {target}, which is restored "
                        "later, and cannot be NULL: the two-pass restore cannot order it"
                    )
                columns.append(fk.parent)
        if columns:
            deferred[table.name] = columns
    return deferred


def _check_files(archive: tarfile.TarFile, manifest: dict[str, Any]) -> None:
    """Refuse an archive whose files do not match the SHA-256 its manifest records."""
    expected: dict[str, str] | None = manifest.get("sha256")
    seen: set[str] = set()
    for member in archive.getmembers():
        if not member.name.startswith("uploads/"):
            continue
        relative = str(_safe_member(member.name).relative_to("uploads"))
        if not member.isfile():
            continue
        if expected is None:  # format 1: no checksums
            continue
        if relative not in expected:
            raise RestoreError(f"file {relative} is in the archive but not in its manifest")
        digest = hashlib.sha256()
        stream = archive.extractfile(member)
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
        if digest.hexdigest() != expected[relative]:
            raise RestoreError(f"file {relative} is damaged (its SHA-256 does not match)")
        seen.add(relative)
    if expected is not None and (lost := sorted(set(expected) - seen)):
        raise RestoreError(f"{len(lost)} files of the manifest are missing from the archive")


def _insert_rows(archive: tarfile.TarFile) -> None:
    """Insert every table's rows, the deferred foreign keys NULL; then set those by UPDATE."""
    tables = _tables()
    deferred = _deferred_columns(tables)
    later: list[tuple[Any, list[dict[str, Any]]]] = []
    for table in tables:
        try:
            data = archive.extractfile(f"tables/{table.name}.jsonl").read()
        except KeyError:
            continue
        columns = {c.name for c in table.columns}
        postponed = [c.name for c in deferred.get(table.name, [])]
        # The UPDATE would stamp ``onupdate`` columns (``updated_at``): it sets them back.
        kept = [c.name for c in table.columns if c.onupdate is not None]
        primary = [c.name for c in table.primary_key.columns]
        rows, updates = [], []
        for line in data.splitlines():
            if not line.strip():
                continue
            row = {k: _decode(v) for k, v in json.loads(line).items() if k in columns}
            if any(row.get(name) is not None for name in postponed):
                updates.append(
                    {f"pk_{k}": row[k] for k in primary}
                    | {f"v_{k}": row.get(k) for k in (*postponed, *kept)}
                )
            rows.append(row | dict.fromkeys(postponed))
        for start in range(0, len(rows), _BATCH):
            db.session.execute(insert(table), rows[start : start + _BATCH])
        if updates:
            statement = (
                update(table)
                .where(and_(*(c == bindparam(f"pk_{c.name}") for c in table.primary_key.columns)))
                .values({k: bindparam(f"v_{k}") for k in (*postponed, *kept)})
            )
            later.append((statement, updates))
    for statement, updates in later:
        for start in range(0, len(updates), _BATCH):
            db.session.connection().execute(statement, updates[start : start + _BATCH])


def _write_files(archive: tarfile.TarFile, uploads: Path, created: list[Path]) -> int:
    written = 0
    for member in archive.getmembers():
        if not member.name.startswith("uploads/") or not member.isfile():
            continue
        relative = _safe_member(member.name).relative_to("uploads")
        target = uploads / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if not target.exists():
            created.append(target)
        target.write_bytes(archive.extractfile(member).read())
        written += 1
    return written


def restore(path: Path) -> dict[str, Any]:
    """Load the archive into the (empty, migrated) database and the uploads folder.

    Nothing is changed when it raises: the rows are rolled back and the files it created are
    removed again."""
    created: list[Path] = []
    try:
        try:
            manifest = _restore(Path(path), created)
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile, ValueError) as exc:
            raise RestoreError(f"the archive is damaged or not a backup ({exc})") from exc
        except StatementError as exc:
            reason = str(exc.orig or exc).strip().splitlines()[0]
            raise RestoreError(f"the database refused the archive's rows: {reason}") from exc
        _reset_sequences()
        db.session.commit()
    except BaseException:
        db.session.rollback()
        for file in created:
            file.unlink(missing_ok=True)
        raise
    return manifest


def _restore(path: Path, created: list[Path]) -> dict[str, Any]:
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    with tarfile.open(path, "r:gz") as archive:
        try:
            manifest = json.loads(archive.extractfile("manifest.json").read())
        except KeyError:
            raise RestoreError("not a backup archive: manifest.json is missing") from None
        if manifest.get("format") not in READABLE_FORMATS:
            raise RestoreError(f"unknown backup format {manifest.get('format')!r}")
        revision = _revision()
        if manifest.get("revision") != revision:
            raise RestoreError(
                f"the backup is at revision {manifest.get('revision')}, the database at "
                f"{revision}: run `flask db upgrade` (or restore into a matching version)"
            )
        for table in _tables():
            if db.session.scalar(select(func.count()).select_from(table)):
                raise RestoreError(f"the database is not empty (table {table.name} has rows)")
        _check_files(archive, manifest)
        _insert_rows(archive)
        written = _write_files(archive, uploads, created)
    return {**manifest, "restored_files": written}


def _reset_sequences() -> None:
    if db.engine.dialect.name != "postgresql":
        return
    for table in _tables():
        for column in table.primary_key.columns:
            if not isinstance(column.type, Integer):
                continue
            sequence = db.session.execute(
                text("SELECT pg_get_serial_sequence(:t, :c)"),
                {"t": table.name, "c": column.name},
            ).scalar()
            if sequence:
                db.session.execute(
                    text(
                        f"SELECT setval(:s, COALESCE((SELECT MAX({column.name}) "  # noqa: S608
                        f"FROM {table.name}), 0) + 1, false)"
                    ),
                    {"s": sequence},
                )
