"""Coordinators: every company, approval and refusal."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("companies", __name__)
