"""The tutor's evaluation page, opened from the e-mailed link (no account)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("evaluation", __name__)
