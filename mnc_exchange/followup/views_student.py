"""The intern's and alumnus's pages: checklist, check-ins, incidents, return, surveys."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("my_internship", __name__)
