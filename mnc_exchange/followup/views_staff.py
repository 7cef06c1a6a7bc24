"""Coordinators: the interns board, each intern's file, incidents, evaluations, returns and surveys."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("followup", __name__)
