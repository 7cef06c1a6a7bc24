"""The student's side of the selection: interview, result, seat offers."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("my_selection", __name__, url_prefix="/application/selection")
