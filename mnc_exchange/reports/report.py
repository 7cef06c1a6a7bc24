"""The yearly cohort report as a PDF.

Placeholder kept minimal on purpose: the full report (cover, charts, breakdowns, trends, list
of interns, incidents, page numbers) replaces the internals of ``cohort_report_pdf`` with the
same signature.
"""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import escape

from ..cohorts.models import Cohort
from ..core.pdf import FONT_FACES, render_pdf
from . import labels
from .data import load_records
from .metrics import funnel


def cohort_report_pdf(cohort: Cohort, lang: str, cutoff: date) -> bytes:
    """The cohort report of ``cohort`` in ``lang`` (fr or en), figures as of ``cutoff``."""
    records = load_records(cohort, cutoff)
    counts = funnel(records)
    with force_locale(lang):
        rows = "".join(
            f"<tr><td>{escape(labels.stage_label(key))}</td><td>{count}</td></tr>"
            for key, count in counts.items()
        )
        html = (
            f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
            f"<title>{escape(_('Cohort report %(year)d', year=cohort.year))}</title>"
            f"<style>{FONT_FACES} html {{ font-family: 'MNC Sans'; }} "
            "td { border: 0.4pt solid #999; padding: 1mm 2mm; }</style></head><body>"
            f"<h1>{escape(_('Cohort report %(year)d', year=cohort.year))}</h1>"
            f"<p>{escape(_('Data as of %(date)s', date=cutoff.isoformat()))}</p>"
            f"<table>{rows}</table></body></html>"
        )
    return render_pdf(html)
