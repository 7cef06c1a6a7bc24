"""The public verification page of a PDF: /verify/<code> (rate-limited)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("verify", __name__)


@bp.route("/verify/<code>")
def check(code: str):  # to be written
    raise NotImplementedError
