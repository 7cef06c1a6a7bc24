"""Backup and restore: the database's rows and the uploaded files in one archive.

The archive (``.tar.gz``) holds ``manifest.json`` (format, Alembic revision, row counts, time),
``tables/<table>.jsonl`` (one JSON object per row, typed values encoded) and ``uploads/…``.
The dump is logical, not a ``pg_dump``: it restores on SQLite and on PostgreSQL alike (and can
move an installation from one to the other). Restoring requires an empty database at the same
Alembic revision (``flask db upgrade`` first) and refuses otherwise; it runs in one
transaction, then resets PostgreSQL's sequences.
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path, PurePosixPath
from typing import Any

from flask import current_app
from sqlalchemy import Integer, func, insert, select, text

from ..extensions import db

FORMAT = "mnc-exchange-backup/1"


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


def _revision() -> str | None:
    try:
        return db.session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except Exception:  # noqa: BLE001 - no Alembic table: not migrated
        db.session.rollback()
        return None


def _tables():
    """Tables in dependency order (parents first); Alembic's own table is excluded."""
    return [t for t in db.metadata.sorted_tables if t.name != "alembic_version"]


def _add_bytes(archive: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mtime = int(time.time())
    archive.addfile(info, io.BytesIO(data))


def backup(path: Path) -> dict[str, Any]:
    """Write the archive to ``path``; returns the manifest."""
    counts: dict[str, int] = {}
    uploads = Path(current_app.config["UPLOAD_FOLDER"])
    files = sorted(p for p in uploads.rglob("*") if p.is_file() and not p.name.startswith(".part-"))
    with tarfile.open(path, "w:gz") as archive:
        for table in _tables():
            buffer = io.BytesIO()
            n = 0
            primary = list(table.primary_key.columns)
            for row in db.session.execute(select(table).order_by(*primary)).mappings():
                line = json.dumps({k: _encode(v) for k, v in row.items()}, ensure_ascii=False)
                buffer.write(line.encode() + b"\n")
                n += 1
            counts[table.name] = n
            _add_bytes(archive, f"tables/{table.name}.jsonl", buffer.getvalue())
        for file in files:
            archive.add(file, arcname=f"uploads/{file.relative_to(uploads).as_posix()}")
        manifest = {
            "format": FORMAT,
            "revision": _revision(),
            "created_at": datetime.now().astimezone().isoformat(),
            "dialect": db.engine.dialect.name,
            "tables": counts,
            "files": len(files),
        }
        _add_bytes(archive, "manifest.json", json.dumps(manifest, indent=2).encode())
    return manifest


class RestoreError(Exception):
    pass


def _safe_member(name: str) -> PurePosixPath:
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts:
        raise RestoreError(f"unsafe path in the archive: {name}")
    return path


def restore(path: Path) -> dict[str, Any]:
    """Load the archive into the (empty, migrated) database and the uploads folder."""
    with tarfile.open(path, "r:gz") as archive:
        try:
            manifest = json.loads(archive.extractfile("manifest.json").read())
        except KeyError:
            raise RestoreError("not a backup archive: manifest.json is missing") from None
        if manifest.get("format") != FORMAT:
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
        for table in _tables():
            member = f"tables/{table.name}.jsonl"
            try:
                data = archive.extractfile(member).read()
            except KeyError:
                continue
            columns = {c.name for c in table.columns}
            rows = []
            for line in data.splitlines():
                if line.strip():
                    raw = json.loads(line)
                    rows.append({k: _decode(v) for k, v in raw.items() if k in columns})
            for start in range(0, len(rows), 500):
                db.session.execute(insert(table), rows[start : start + 500])
        uploads = Path(current_app.config["UPLOAD_FOLDER"])
        written = 0
        for member in archive.getmembers():
            if not member.name.startswith("uploads/") or not member.isfile():
                continue
            relative = _safe_member(member.name).relative_to("uploads")
            target = uploads / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(archive.extractfile(member).read())
            written += 1
    _reset_sequences()
    db.session.commit()
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
