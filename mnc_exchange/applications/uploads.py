"""Upload checks and storage: content-checked, size-capped, random names, no partial files.

A file is written under ``UPLOAD_FOLDER`` inside the request's transaction: if the transaction
rolls back, the file is removed again (``_remove_files_on_rollback``).
"""

from __future__ import annotations

import errno
import hashlib
import io
import os
import secrets
import tempfile
import unicodedata
import warnings
from dataclasses import dataclass
from pathlib import Path

import filetype
from flask import current_app
from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import Image, JpegImagePlugin, PngImagePlugin, UnidentifiedImageError
from sqlalchemy import event

from ..core.errors import DomainError
from ..core.i18n import decimal
from ..extensions import db

#: detected MIME type -> (stored extension, extensions accepted in the original name)
ALLOWED_TYPES: dict[str, tuple[str, tuple[str, ...]]] = {
    "application/pdf": ("pdf", ("pdf",)),
    "image/jpeg": ("jpg", ("jpg", "jpeg")),
    "image/png": ("png", ("png",)),
}
DEFAULT_MAX_BYTES = 5 * 1024 * 1024
#: Largest image accepted (width × height), read from the header before any decoding: a
#: small file can announce a huge image (a "decompression bomb"). Pillow's own guard is at
#: 89 million pixels; a scanned page or a phone photo of a passport is far below 40.
DEFAULT_MAX_IMAGE_PIXELS = 40_000_000
#: Errors of a full disk or an exhausted quota while storing a file.
STORAGE_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT})
#: The Pillow class reading each accepted image type (header only, no bomb check of its own).
_IMAGE_READERS = {
    "image/jpeg": JpegImagePlugin.JpegImageFile,
    "image/png": PngImagePlugin.PngImageFile,
}
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
                max=decimal(max_bytes / (1024 * 1024)),
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
    max_pixels = current_app.config.get("UPLOAD_MAX_IMAGE_PIXELS", DEFAULT_MAX_IMAGE_PIXELS)
    try:
        with warnings.catch_warnings():
            # Pillow warns (then fails) on huge images: both are refusals here.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            # The reader parses the header only: the size is known before any pixel is decoded.
            with _IMAGE_READERS[mime](io.BytesIO(data)) as image:
                width, height = image.size
                if width * height > max_pixels:
                    raise _too_large(width * height, max_pixels)
                image.verify()  # checks the structure (PNG checksums) without decoding
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_large(None, max_pixels) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise DomainError(_("The image is damaged or incomplete.")) from None


def _megapixels(pixels: int) -> str:
    return format_decimal(round(pixels / 1_000_000, 1))


def _too_large(pixels: int | None, max_pixels: int) -> DomainError:
    if pixels is None:
        return DomainError(
            _("The image is too large: %(max)s megapixels at most.", max=_megapixels(max_pixels))
        )
    return DomainError(
        _(
            "The image is too large: %(pixels)s megapixels, %(max)s at most. Send a smaller "
            "scan or photo.",
            pixels=_megapixels(pixels),
            max=_megapixels(max_pixels),
        )
    )


def upload_root() -> Path:
    return Path(current_app.config["UPLOAD_FOLDER"])


def store(upload: CheckedUpload, subfolder: str) -> str:
    """Write the file under a random name (atomically); return its path relative to the root.

    The file is removed again if the current transaction rolls back.
    """
    folder = upload_root() / subfolder
    relative = f"{subfolder}/{secrets.token_hex(16)}.{upload.extension}"
    final = upload_root() / relative
    tmp = None
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".part-")
        with os.fdopen(fd, "wb") as f:
            f.write(upload.data)
        os.replace(tmp, final)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.errno in STORAGE_FULL_ERRNOS:
            current_app.logger.error("Upload storage full (%s): %s", folder, exc)
            raise DomainError(
                _(
                    "The file could not be stored: the server's storage is full. Nothing was "
                    "saved; please try again later."
                )
            ) from None
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
