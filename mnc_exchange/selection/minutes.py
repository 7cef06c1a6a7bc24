"""The selection committee's minutes (PDF) and the ranking exports (CSV, XLSX).

The PDF is rendered by WeasyPrint from ``templates/pdf/selection_minutes.html`` (autoescaped:
names, labels and reasons typed by users are text, never HTML) with a URL fetcher that refuses
everything but ``data:`` URLs, so a document can never make the server fetch a file or a URL.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..applications.models import Application, ApplicationStatus
from ..applications.services import STATUS_LABELS
from ..cohorts.models import Cohort
from ..core.spreadsheet import safe_text, write_csv
from ..core.timeutils import as_utc, utcnow
from . import queries
from .services import criterion_label

#: Interviews are scheduled, and times shown, in Morocco's time.
ZONE_NAME = "Africa/Casablanca"
ZONE = ZoneInfo(ZONE_NAME)

#: The documented, deterministic order of the final ranking (see ranking.final_order_key).
TIE_BREAK = _l(
    "Ranking by final score, highest first. Equal final scores are ordered by the interview "
    "score (highest first), then by the earlier submission of the application, then by the "
    "application number."
)

PDF_CONTENT_TYPE = "application/pdf"
CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- PDF -------------------------------------------------------------------------------------


def _data_only_fetcher():
    """The local-only URL fetcher shared by every generated PDF (``core.pdf``)."""
    from ..core.pdf import _fetcher

    return _fetcher()


def decimal(value, places: int = 2) -> str:
    """A score in the document's language: ``88,50`` (fr), ``88.50`` (en); "—" for none."""
    if value is None:
        return "—"
    return format_decimal(Decimal(value), "0." + "0" * places, locale=str(get_locale()))


#: Why a score has no review beside it (the cohorts selected before the platform, or scores
#: entered by hand): said in the minutes instead of an empty "no review" next to the score.
IMPORTED = _l(
    "Score recorded without its reviews: no review of this application is recorded in the "
    "application (selection held outside it, scores imported)."
)


def minutes_html(cohort: Cohort, now: datetime | None = None) -> str:
    """The minutes in the current language: candidates with their application number, the
    grid with its labels in that language, every score beside the reviews it comes from (or
    the reason there are none), decimal commas in French."""
    data = queries.minutes(cohort, now or utcnow())
    return render_template(
        "pdf/selection_minutes.html",
        m=data,
        status_labels=STATUS_LABELS,
        status=ApplicationStatus,
        label_of=_status_label,
        tie_break=TIE_BREAK,
        zone=ZONE_NAME,
        decimal=decimal,
        criterion_label=criterion_label,
        imported=IMPORTED,
        scores_of=scores_of,
    )


def scores_of(assignment) -> dict[int, Decimal]:
    """A review's scores: criterion id -> score."""
    return {score.criterion_id: Decimal(score.score) for score in assignment.scores}


def _status_label(value: str) -> str:
    try:
        return str(STATUS_LABELS[ApplicationStatus(value)])
    except ValueError:
        return value or ""


def render_pdf(html: str) -> bytes:
    from ..core.pdf import render_pdf as render

    return render(html)


def minutes_pdf(cohort: Cohort, now: datetime | None = None) -> bytes:
    return render_pdf(minutes_html(cohort, now))


# --- CSV and XLSX ----------------------------------------------------------------------------

#: A cell typed by a user: spreadsheet formulas neutralised (CSV/XLSX injection).
_text = safe_text


def _local(value: datetime | None) -> datetime | None:
    """A stored UTC time as a naive Casablanca time (spreadsheets have no time zones)."""
    if value is None:
        return None
    return as_utc(value).astimezone(ZONE).replace(tzinfo=None)


def header() -> list[str]:
    return [
        _("Rank"),
        _("Application"),
        _("Last name"),
        _("First name(s)"),
        _("E-mail"),
        _("Review score"),
        _("Interview score"),
        _("Final score"),
        _("Submitted at (Casablanca)"),
        _("Decision"),
        _("Waitlist rank"),
        _("Override reason"),
    ]


def _row(application: Application, interview_score: Decimal | None) -> list[Any]:
    """One exported row with typed values (numbers, datetimes, text)."""
    return [
        application.final_rank,
        application.id,
        _text(application.last_name or application.student.full_name),
        _text(application.first_name),
        _text(application.student.email),
        Decimal(application.review_score) if application.review_score is not None else None,
        interview_score,
        Decimal(application.final_score) if application.final_score is not None else None,
        _local(application.submitted_at),
        str(STATUS_LABELS[application.status]),
        application.waitlist_rank if application.status is ApplicationStatus.waitlisted else None,
        _text(application.decision_override_reason),
    ]


def ranking_rows(cohort: Cohort) -> list[list[Any]]:
    """The final ranking in rank order, then the applications left out of the shortlist."""
    rows = [_row(r.application, r.interview_score) for r in queries.ranking(cohort)]
    rows += [_row(a, None) for a in queries.not_shortlisted(cohort)]
    return rows


def _csv_cell(value: Any) -> Any:
    """Numbers stay numbers (points with 2 decimals); ``write_csv`` neutralises the text."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, Decimal):
        return value.quantize(Decimal("0.01"))
    return value


def ranking_csv(cohort: Cohort) -> bytes:
    """UTF-8 with a BOM (for Excel), comma-separated, ISO local times, points as decimals."""
    rows = ([_csv_cell(v) for v in row] for row in ranking_rows(cohort))
    return write_csv(header(), rows).encode("utf-8")


def ranking_xlsx(cohort: Cohort) -> bytes:
    """One sheet: numbers as numbers (two decimals), times as dates, a frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Ranking")[:31]
    sheet.append(header())
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    score_columns = (6, 7, 8)
    date_column = 9
    for row in ranking_rows(cohort):
        sheet.append(row)
        index = sheet.max_row
        for column in score_columns:
            sheet.cell(index, column).number_format = "0.00"
        sheet.cell(index, date_column).number_format = "yyyy-mm-dd hh:mm"
    sheet.freeze_panes = "A2"
    widths = (8, 12, 22, 22, 30, 12, 12, 12, 20, 16, 12, 50)
    for column, width in enumerate(widths, start=1):
        sheet.column_dimensions[sheet.cell(1, column).column_letter].width = width
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
