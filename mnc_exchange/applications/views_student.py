"""The student's side of the application: the file, the checklist, documents, submission."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("applications", __name__, url_prefix="/application")
