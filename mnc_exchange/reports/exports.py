"""The tables behind the dashboard, and their CSV and XLSX files.

Every table is built from ``metrics.StudentRecord`` rows (no query here): the funnel, the key
rates, one breakdown per dimension, the trends year by year and the list of students (the
interns, or the students behind any number of the dashboard).

Cells are typed by their Python type, so both writers format them the same way:
``date`` → an ISO date in CSV, a real date cell in XLSX; ``Money`` → euros with a dot decimal
in CSV, a number with a € format in XLSX; ``Percent`` → percentage points (``83.33``) with a
% format in XLSX; ``Score`` → a number with 2 decimals; ``int`` → an integer; ``str`` → text,
with spreadsheet formulas neutralised (``core.spreadsheet``). CSV files are UTF-8 with a
BOM (Excel), quoted when needed, CRLF line ends; comma-separated with a dot as decimal mark,
or ("semicolon", the default in the French interface) semicolon-separated with a decimal
comma, as a French Excel expects.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from flask_babel import gettext as _
from flask_babel import ngettext

from ..core.spreadsheet import safe_text, write_csv
from . import labels
from .metrics import (
    BREAKDOWN_STAGES,
    COUNTED,
    DIMENSIONS,
    SEVERITIES,
    STAGES,
    WAVES,
    Figures,
    Rates,
    StudentRecord,
    YearFigures,
    as_figures,
    breakdown,
    funnel_rows,
    wave_rates,
)

# --- typed cells ------------------------------------------------------------------------------


class Money(Decimal):
    """An amount in euros."""


class Percent(Decimal):
    """A share between 0 and 1 (written as percentage points)."""


class Score(Decimal):
    """A score out of 5."""


def _typed(cls, value: Decimal | None):
    return None if value is None else cls(value)


# --- the lists of students behind the numbers -------------------------------------------------


#: Every list a number of the dashboard can open: the funnel's rows, the survey lists behind
#: the employment and response rates, and the other rates' denominators (``metrics.COUNTED``).
LISTS: dict[str, Callable[[StudentRecord], bool]] = COUNTED


def students(
    records: Iterable[StudentRecord],
    stage: str = "applied",
    dimension: str | None = None,
    value: str | None = None,
) -> list[StudentRecord]:
    """The students behind one number: a stage (or list) and, optionally, one value of a
    breakdown dimension (None or "" = the value is not known / not placed)."""
    predicate = LISTS[stage]
    chosen = [r for r in records if predicate(r)]
    if dimension is not None:
        attribute = DIMENSIONS[dimension]
        chosen = [r for r in chosen if (getattr(r, attribute) or None) == (value or None)]
    return chosen


# --- tables -----------------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: str
    width: int = 14


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]] = field(default_factory=list)

    def only(self, keys: list[str]) -> Table:
        """The same table with the chosen columns, in the table's order."""
        indexes = [i for i, c in enumerate(self.columns) if c.key in keys]
        return Table(
            self.key,
            self.title,
            [self.columns[i] for i in indexes],
            [[row[i] for i in indexes] for row in self.rows],
        )


def funnel_table(records: list[StudentRecord] | Figures) -> Table:
    """The funnel: every row with the list it is a share of (its denominator)."""
    rows = [
        [
            labels.stage_label(row.key),
            row.count,
            labels.stage_label(row.denominator_key) if row.denominator_key else None,
            row.denominator,
            _typed(Percent, row.share),
            _typed(Percent, row.share_of_applied),
        ]
        for row in funnel_rows(records)
    ]
    return Table(
        "funnel",
        _("Funnel"),
        [
            Column("stage", _("Stage"), 36),
            Column("students", _("Students")),
            Column("of", _("Share of"), 30),
            Column("of_students", _("Students in it"), 14),
            Column("share", _("Share") + " (%)", 12),
            Column("share_of_applied", _("Share of applicants") + " (%)", 20),
        ],
        rows,
    )


@dataclass
class RateRow:
    """One key figure: its value, and the lists behind its numerator and denominator."""

    key: str
    label: str
    value: Any  # Percent | Money | Score | int | None
    unit: str
    numerator: int | None = None
    denominator: int | None = None
    numerator_list: str | None = None
    denominator_list: str | None = None
    definition: str = ""
    missing: str = ""  # why the value is "—"
    text: str = ""  # a value in words, shown instead of "—" (agreements signed on paper)
    note: str = ""  # a caveat shown beside the value


def rate_rows(records: list[StudentRecord] | Figures, quota: int, rates: Rates) -> list[RateRow]:
    """The key figures; every numerator is a subset of its denominator (metrics)."""
    figures = as_figures(records)
    n = figures.counts
    pct = "%"

    def share(key: str, value, numerator: str, denominator: str, definition: str | None = None):
        """A percentage: ``numerator`` of ``denominator`` (the counts of those names and the
        lists behind them), defined by ``RATE_DEFINITIONS[definition]`` (none if None)."""
        return RateRow(
            key,
            str(labels.RATE_LABELS[key]),
            _typed(Percent, value),
            pct,
            n[numerator],
            n[denominator],
            numerator,
            denominator,
            str(labels.RATE_DEFINITIONS[definition]) if definition else "",
        )

    rows = [
        RateRow(
            "quota_filled",
            str(labels.RATE_LABELS["quota_filled"]),
            _typed(Percent, rates.quota_filled),
            pct,
            n["placed"],
            quota,
            "placed",
            None,
            str(labels.RATE_DEFINITIONS["quota_filled"]),
        ),
        share("completion", rates.completion, "completed", "departed", "completion"),
        share("return_rate", rates.return_rate, "returned", "departed", "return_rate"),
    ]
    for wave in WAVES:
        due = f"survey_due_{wave}"
        employed = f"employed_morocco_{wave}"
        rows.append(
            share(employed, rates.employed_morocco[wave], employed, due, "employed_morocco")
        )
        rows.append(share(f"response_{wave}", rates.response[wave], f"survey_answered_{wave}", due))
    signed = None if rates.agreements_all_on_paper else rates.agreement_signed
    rows.append(share("agreement_signed", signed, "agreement_signed", "placed", "agreement_signed"))
    rows.append(
        RateRow(
            "average_stipend",
            str(labels.RATE_LABELS["average_stipend"]),
            _typed(Money, rates.average_stipend),
            "€",
            None,
            figures.stipend_n,
            None,
            "placed",
            str(labels.RATE_DEFINITIONS["average_stipend"]),
        )
    )
    for severity in SEVERITIES:
        rows.append(
            RateRow(
                f"incidents_{severity}",
                f"{labels.RATE_LABELS['incidents']} — {labels.severity_label(severity)}",
                rates.incidents[severity],
                _("incidents"),
                None,
                None,
                f"incident_{severity}",
                None,
                str(labels.RATE_DEFINITIONS["incidents"]),
            )
        )
    for key, flag in (
        ("tutor_satisfaction", "tutor_evaluated"),
        ("student_satisfaction", "checked_in"),
    ):
        answers = n[flag]
        rows.append(
            RateRow(
                key,
                str(labels.RATE_LABELS[key]),
                _typed(Score, getattr(rates, key)),
                "/5",
                None,
                answers,
                None,
                flag,
                str(labels.RATE_DEFINITIONS[key]),
            )
        )
    for row in rows:
        if row.key == "agreement_signed" and rates.agreements_on_paper:
            # The cohorts before the platform: never "0 signed".
            if rates.agreements_all_on_paper:
                row.text = str(labels.ON_PAPER)
            row.note = ngettext(
                "%(num)d intern departed with an agreement signed on paper, not recorded here.",
                "%(num)d interns departed with an agreement signed on paper, not recorded here.",
                rates.agreements_on_paper,
            )
            continue
        if row.value is None:
            missing = labels.RATE_MISSING.get(row.key)
            if missing is None and row.key.startswith("response_"):
                missing = labels.RATE_MISSING[row.key.replace("response_", "employed_morocco_")]
            row.missing = str(missing or "")
    return rows


def rates_table(records: list[StudentRecord] | Figures, quota: int, rates: Rates) -> Table:
    return Table(
        "rates",
        _("Key figures"),
        [
            Column("indicator", _("Indicator"), 40),
            Column("value", _("Value")),
            Column("unit", _("Unit"), 10),
            Column("numerator", _("Numerator")),
            Column("denominator", _("Denominator")),
            Column("definition", _("Definition"), 60),
            Column("note", _("Note"), 50),
        ],
        [
            [
                row.label,
                row.value,
                row.unit,
                row.numerator,
                row.denominator,
                row.definition,
                row.note or row.missing,
            ]
            for row in rate_rows(records, quota, rates)
        ],
    )


def _wave_columns(wave: int) -> list[Column]:
    months = labels.WAVE_HEADINGS[wave]
    return [
        Column(f"employed_morocco_{wave}", labels.stage_label(f"employed_morocco_{wave}"), 16),
        Column(f"survey_due_{wave}", labels.stage_label(f"survey_due_{wave}"), 14),
        Column(f"survey_answered_{wave}", labels.stage_label(f"survey_answered_{wave}"), 14),
        Column(f"response_{wave}", f"{labels.RESPONSE_SHORT} — {months} (%)", 14),
    ]


def _wave_cells(numbers: dict[str, int], wave: int) -> list[Any]:
    _employment_rate, response = wave_rates(numbers, wave)
    return [
        numbers[f"employed_morocco_{wave}"],
        numbers[f"survey_due_{wave}"],
        numbers[f"survey_answered_{wave}"],
        _typed(Percent, response),
    ]


#: The funnel counts of a breakdown table (before the survey waves).
BREAKDOWN_FUNNEL = tuple(s for s in BREAKDOWN_STAGES if not s.startswith("employed_"))


def breakdown_table(records: list[StudentRecord] | Figures, dimension: str) -> Table:
    """Counts per group, then for each survey wave: employed in Morocco, surveys due,
    answered and the response rate."""
    columns = [Column("value", str(labels.DIMENSION_LABELS[dimension]), 36)]
    columns += [Column(stage, labels.stage_label(stage), 16) for stage in BREAKDOWN_FUNNEL]
    for wave in WAVES:
        columns += _wave_columns(wave)
    rows = []
    for value, numbers in breakdown(records, dimension):
        row = [labels.value_label(dimension, value)] + [numbers[s] for s in BREAKDOWN_FUNNEL]
        for wave in WAVES:
            row += _wave_cells(numbers, wave)
        rows.append(row)
    return Table(f"breakdown_{dimension}", str(labels.BREAKDOWN_TITLES[dimension]), columns, rows)


#: Rates listed in the trends table.
TREND_RATES = ("quota_filled", "completion", "return_rate")


def trends_table(figures: list[YearFigures]) -> Table:
    columns = [
        Column("year", _("Year"), 8),
        Column("in_progress", _("Cohort in progress"), 12),
        Column("quota", _("Quota"), 8),
    ]
    columns += [Column(key, labels.stage_label(key), 16) for key, _p in STAGES]
    columns += [Column(key, f"{labels.RATE_LABELS[key]} (%)", 16) for key in TREND_RATES]
    columns += [
        Column(f"employed_morocco_{w}_rate", f"{labels.RATE_LABELS[f'employed_morocco_{w}']} (%)")
        for w in WAVES
    ]
    columns += [
        Column(f"response_{w}", f"{labels.RATE_LABELS[f'response_{w}']} (%)") for w in WAVES
    ]
    columns += [
        Column("agreement_signed_rate", f"{labels.RATE_LABELS['agreement_signed']} (%)", 16),
        Column("average_stipend", f"{labels.RATE_LABELS['average_stipend']} (€)", 16),
        Column("incidents", _("Incidents (all severities)")),
        Column("tutor_satisfaction", f"{labels.RATE_LABELS['tutor_satisfaction']} (/5)"),
        Column("student_satisfaction", f"{labels.RATE_LABELS['student_satisfaction']} (/5)"),
    ]
    rows = []
    for year in figures:
        r = year.rates
        rows.append(
            [year.year, year.in_progress, year.quota]
            + [year.funnel[key] for key, _p in STAGES]
            + [_typed(Percent, getattr(r, key)) for key in TREND_RATES]
            + [_typed(Percent, r.employed_morocco[w]) for w in WAVES]
            + [_typed(Percent, r.response[w]) for w in WAVES]
            + [
                None if r.agreements_all_on_paper else _typed(Percent, r.agreement_signed),
                _typed(Money, r.average_stipend),
                sum(r.incidents.values()),
                _typed(Score, r.tutor_satisfaction),
                _typed(Score, r.student_satisfaction),
            ]
        )
    return Table("trends", _("Trends"), columns, rows)


def _employment_at(wave: int) -> Callable[[StudentRecord], str]:
    """Whether the student was employed in Morocco at ``wave`` months (or why not known)."""

    def employment(record: StudentRecord) -> str:
        due, situation = record.surveys.get(wave, (False, None))
        if not due:
            return _("Not due yet")
        if situation is None:
            return _("No answer")
        return _("Yes") if situation == "employed_morocco" else _("No")

    return employment


def _labelled(dimension: str) -> Callable[[StudentRecord], str | None]:
    """The record's value for ``dimension`` (its attribute of that name), by its label."""

    def label(record: StudentRecord) -> str | None:
        value = getattr(record, dimension)
        return labels.value_label(dimension, value) if value else None

    return label


#: Columns of the list of students: key -> (label, width, value).
STUDENT_COLUMNS: dict[str, tuple[Callable[[], str], int, Callable[[StudentRecord], Any]]] = {
    "name": (lambda: _("Name"), 28, lambda r: r.name),
    "institution": (lambda: _("Sending institution"), 32, lambda r: r.institution),
    "region": (lambda: _("Region of origin"), 24, _labelled("region")),
    "gender": (lambda: _("Gender"), 10, _labelled("gender")),
    "company": (lambda: _("Host company"), 30, lambda r: r.company),
    "city": (lambda: _("Host city"), 16, lambda r: r.host_city),
    "pole": (lambda: _("MNC pole"), 24, _labelled("pole")),
    "start": (lambda: _("Start"), 12, lambda r: r.start_on),
    "end": (lambda: _("End"), 12, lambda r: r.end_on),
    "monthly_stipend": (
        lambda: _("Monthly stipend") + " (€)",
        14,
        lambda r: _typed(Money, r.monthly_stipend),
    ),
    "outcome": (lambda: _("Outcome"), 28, lambda r: labels.outcome_label(r.outcome)),
    "employed_morocco_3": (lambda: _("Employed in Morocco at 3 months"), 16, _employment_at(3)),
    "employed_morocco_6": (lambda: _("Employed in Morocco at 6 months"), 16, _employment_at(6)),
    "employed_morocco_12": (
        lambda: _("Employed in Morocco at 12 months"),
        16,
        _employment_at(12),
    ),
}


def student_columns() -> list[tuple[str, str]]:
    """(key, translated label) of the columns a list of students can have."""
    return [(key, label()) for key, (label, _w, _v) in STUDENT_COLUMNS.items()]


def students_table(records: list[StudentRecord], key: str = "interns", title: str = "") -> Table:
    columns = [Column(k, label(), width) for k, (label, width, _v) in STUDENT_COLUMNS.items()]
    rows = [[value(r) for _label, _w, value in STUDENT_COLUMNS.values()] for r in records]
    return Table(key, title or _("Interns"), columns, rows)


def table_keys() -> list[str]:
    """Every table that can be exported."""
    return (
        ["funnel", "rates"]
        + [f"breakdown_{d}" for d in DIMENSIONS]
        + ["trends", "interns", "students"]
    )


def table_title(key: str) -> str:
    if key.startswith("breakdown_"):
        return str(labels.BREAKDOWN_TITLES[key[len("breakdown_") :]])
    return {
        "funnel": _("Funnel"),
        "rates": _("Key figures"),
        "trends": _("Trends since the first cohort"),
        "interns": _("List of the interns"),
        "students": _("List of students"),
    }[key]


# --- writers ----------------------------------------------------------------------------------

_CENT = Decimal("0.01")


def _points(value: Decimal) -> Decimal:
    return (Decimal(value) * 100).quantize(_CENT, rounding=ROUND_HALF_UP)


def _csv_cell(value: Any) -> Any:
    """Numbers as numbers (``Decimal``, ``int``), the rest as text; ``write_csv`` neutralises
    every text cell."""
    if value is None:
        return ""
    if isinstance(value, Percent):
        return _points(value)
    if isinstance(value, (Money, Score)):
        return Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP)
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, (int, Decimal)):
        return value
    return safe_text(value)


#: CSV separators a user can choose: key -> (separator, decimal mark).
SEPARATORS = {"comma": (",", "."), "semicolon": (";", ",")}


def default_separator(locale: str) -> str:
    """A French Excel splits on semicolons and reads decimal commas; an English one, commas."""
    return "semicolon" if locale.startswith("fr") else "comma"


def to_csv(table: Table, separator: str = "comma") -> bytes:
    """UTF-8 with a BOM; with ``separator`` "semicolon" the numbers take a decimal comma."""
    delimiter, decimal_mark = SEPARATORS[separator]
    rows = ([_csv_cell(v) for v in row] for row in table.rows)
    text = write_csv(
        [c.label for c in table.columns], rows, delimiter=delimiter, decimal_mark=decimal_mark
    )
    return text.encode("utf-8")


MONEY_FORMAT = '#,##0.00\\ "€"'
PERCENT_FORMAT = '0.00\\ "%"'
SCORE_FORMAT = "0.00"
DATE_FORMAT = "yyyy-mm-dd"


def _xlsx_cell(cell, value: Any) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if value is None:
        return
    if isinstance(value, Percent):
        cell.value = float(_points(value))
        cell.number_format = PERCENT_FORMAT
    elif isinstance(value, Money):
        cell.value = float(Decimal(value).quantize(_CENT, rounding=ROUND_HALF_UP))
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, Score):
        cell.value = float(value)
        cell.number_format = SCORE_FORMAT
    elif isinstance(value, datetime):
        cell.value = value.replace(tzinfo=None)
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.value = value
        cell.number_format = DATE_FORMAT
    elif isinstance(value, (bool, int)):
        cell.value = value
    elif isinstance(value, Decimal):
        cell.value = float(value)
        cell.number_format = "0.00"
    else:
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", str(value))
        cell.data_type = "s"  # never a formula, whatever the text starts with


def to_xlsx(table: Table, about: list[tuple[str, Any]] | None = None) -> bytes:
    """One sheet with the table (bold frozen header, filters), then an "About" sheet."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _sheet_title(table.title)
    for index, column in enumerate(table.columns, start=1):
        cell = sheet.cell(1, index)
        _xlsx_cell(cell, column.label)
        cell.font = Font(bold=True)
        sheet.column_dimensions[get_column_letter(index)].width = column.width
    for row_index, row in enumerate(table.rows, start=2):
        for index, value in enumerate(row, start=1):
            _xlsx_cell(sheet.cell(row_index, index), value)
    sheet.freeze_panes = "A2"
    if table.columns:
        sheet.auto_filter.ref = sheet.dimensions
    if about:
        info = workbook.create_sheet(_sheet_title(_("About")))
        for row_index, (label, value) in enumerate(about, start=1):
            _xlsx_cell(info.cell(row_index, 1), label)
            info.cell(row_index, 1).font = Font(bold=True)
            _xlsx_cell(info.cell(row_index, 2), value)
        info.column_dimensions["A"].width = 30
        info.column_dimensions["B"].width = 60
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_title(title: str) -> str:
    for char in "[]:*?/\\":
        title = title.replace(char, " ")
    return title.strip()[:31] or "Sheet"
