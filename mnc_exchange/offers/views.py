"""Offers: a company's offers (create, edit, steps), the review list and the offer page."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("offers", __name__)


@bp.route("/offers/<int:offer_id>")
def detail(offer_id: int):  # to be written
    raise NotImplementedError
