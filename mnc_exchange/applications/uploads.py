"""Upload checks and storage: content-checked, size-capped, random names, no partial files.

A file is written under ``UPLOAD_FOLDER`` inside the request's transaction: if the transaction
rolls back, the file is removed again (``_remove_files_on_rollback``).
"""

from __future__ import annotations

import hashlib
import io
import os
import secrets
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import gettext as _
from PIL import Image, UnidentifiedImageError
from sqlalchemy import event

from ..core.errors import DomainError
from ..extensions import db

#: detected MIME type -> (stored extension, extensions accepted in the original name)
ALLOWED_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "application/pdf": ("pdf", ("pdf",)),
    "image/jpeg": ("jpg", ("jpg", "jpeg")),
    "image/png": ("png", ("png",)),
}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
_NEW_FILES_KEY = "mnc_new_upload_files"


@dataclass(frozen=True)
class CheckedUpload:
    data: bytes
    original_name: str
    content_type: str
    extension: str
    sha256: str


def clean_original_name(name: str | None) -> str:
    """The name shown to users: refuse paths and control characters, keep accents."""
    name = unicodedata.normalize("NFC", (name or "").strip())
    if not name:
        raise DomainError(_("The file has no name."))
    if "/" in name or "\\" in name or ".." in name or name.startswith("."):
        raise DomainError(_("The file name must not contain a path (“/”, “\\” or “..”)."))
    if any(unicodedata.category(c).startswith("C") for c in name):
        raise DomainError(_("The file name contains invalid characters."))
    if len(name) > 150:
        raise DomainError(_("The file name is too long (150 characters at most)."))
    return name


def check_upload(stream, filename: str | None) -> CheckedUpload:
    """Read and check an uploaded file; raise ``DomainError`` with a clear message if refused."""
    max_bytes = current_app.config.get("UPLOAD_MAX_BYTES", DEFAULT_MAX_BYTES)
    original = clean_original_name(filename)
    data = stream.read(max_bytes + 1)
    if not data:
        raise DomainError(_("The file is empty."))
    if len(data) > max_bytes:
        raise DomainError(
            _(
                "The file is too large: %(max)s MB at most.",
                max=f"{max_bytes / (1024 * 1024):g}",
            )
        )
    kind = filetype.guess(data)
    mime = kind.mime if kind else None
    if mime not in ALLOWED_TYPES:
        raise DomainError(_("Only PDF, JPEG and PNG files are accepted (checked on the content)."))
    stored_ext, name_exts = ALLOWED_TYPES[mime]
    name_ext = original.rsplit(".", 1)[-1].lower() if "." in original else ""
    if name_ext not in name_exts:
        raise DomainError(
            _(
                "The file's name (.%(ext)s) does not match its content (%(type)s).",
                ext=name_ext or "?",
                type=stored_ext.upper(),
            )
        )
    _check_structure(data, mime)
    return CheckedUpload(
        data=data,
        original_name=original,
        content_type=mime,
        extension=stored_ext,
        sha256=hashlib.sha256(data).hexdigest(),
    )


def _check_structure(data: bytes, mime: str) -> None:
    if mime == "application/pdf":
        if b"%%EOF" not in data[-2048:]:
            raise DomainError(_("The PDF file is damaged or incomplete."))
        return
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(_("The image is damaged or incomplete.")) from None


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def store(upload: CheckedUpload, subfolder: str) -> str:
    """Write the file under a random name (atomically); return its path relative to the root.

    The file is removed again if the current transaction rolls back.
    """
    folder = upload_root() / subfolder
    folder.mkdir(parents=True, exist_ok=True)
    relative = f"{subfolder}/{secrets.token_hex(16)}.{upload.extension}"
    final = upload_root() / relative
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(upload.data)
        os.replace(tmp, final)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    db.session.info.setdefault(_NEW_FILES_KEY, []).append(str(final))
    return relative


def path_of(relative: str) -> Path:
    root = upload_root().resolve()
    path = (root / relative).resolve()
    if root not in path.parents:
        raise DomainError(_("Invalid file path."))
    return path


@event.listens_for(db.session, "after_commit")
def _forget_files_on_commit(session) -> None:
    session.info.pop(_NEW_FILES_KEY, None)


@event.listens_for(db.session, "after_soft_rollback")
def _remove_files_on_rollback(session, previous_transaction) -> None:
    for path in session.info.pop(_NEW_FILES_KEY, []):
        Path(path).unlink(missing_ok=True)
