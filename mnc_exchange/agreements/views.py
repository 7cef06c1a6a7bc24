"""Agreements: the coordinators' cohort list and actions, the parties' agreement pages,
signatures, préfecture, amendments, certificate, downloads (PDF, cohort ZIP)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("agreements", __name__)
