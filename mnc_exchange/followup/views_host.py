"""Host contacts: their company's interns and incident reports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("host_interns", __name__)
