"""Host contacts: their company profile, tutors and invitations; joining by invitation."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("company", __name__)


@bp.route("/join/<token>", methods=["GET", "POST"])
def join(token: str):  # to be written: register through an invitation link
    raise NotImplementedError
