"""Coordinators: matching settings, preview runs, commit, placements and unplaced students."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("matching", __name__)


@bp.route("/matching")
def index():  # to be written
    raise NotImplementedError
