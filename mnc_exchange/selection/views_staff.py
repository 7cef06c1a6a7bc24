"""The coordinators' selection pages: rubric, assignments, shortlist, interviews, decisions."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("selection", __name__, url_prefix="/selection")
