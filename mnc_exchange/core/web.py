"""Small helpers for views."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash


def safe_next(target: str | None) -> str | None:
    """Return ``target`` only if it is a path on this site (no scheme, no host, no ``//``)."""
    if not target:
        return None
    target = target.strip()
    if "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def flash_form_errors(form) -> None:
    """Flash a summary when a form did not validate (field errors are shown beside fields)."""
    from flask_babel import gettext as _

    if form.errors:
        flash(_("Please correct the errors shown in the form."), "danger")
