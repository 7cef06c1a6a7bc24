"""The reviewers' pages: my reviews, blind scoring, conflicts of interest."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reviews", __name__, url_prefix="/reviews")
