"""The coordinators' side: the list of applications, the detail page, screening."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("screening", __name__, url_prefix="/screening")
