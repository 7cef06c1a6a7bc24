"""Companies: candidates who ranked their offers, their ranking, and proposed placements."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("candidates", __name__)


@bp.route("/company/placements")
def placements():  # to be written
    raise NotImplementedError
