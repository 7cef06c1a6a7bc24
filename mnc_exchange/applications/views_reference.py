"""Reference lists and per-cohort settings: institutions, document requirements, rules."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("reference", __name__)
