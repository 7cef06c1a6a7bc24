"""Selected students rank published offers."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("my_ranking", __name__)
