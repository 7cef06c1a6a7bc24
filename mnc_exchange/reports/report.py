"""The yearly cohort report as a printable A4 PDF (WeasyPrint), in French or English.

Contents: a cover page (programme, cohort, date of generation and data cut-off, contents; "in
progress" for a cohort still running), the key figures with their numerators and denominators
("—" with the reason when a rate cannot be computed; "signed on paper, not recorded here" for
the agreements of the cohorts before the platform), the funnel (chart and table: each stage a
subset of the previous one, each share with the list it is a share of — see ``metrics``), the
breakdowns (tables with the 3-, 6- and 12-month waves and their response rates; charts for the
MNC pole and the region of origin; long tables show the 15 largest groups and one line for the
others), the trends across all cohorts (the chart draws the finished cohorts only; the tables
mark the cohorts in progress), the list of the interns (the placed students),
the incidents summarised (counts by category, severity, month and status: no description, no
name) and a methods annex (the definitions of ``labels``). Every page has a running header and
"page X / Y" in its footer; the breakdowns and the trends are on landscape pages, so that their
column headings break between words only.

The figures are those of the dashboard: ``snapshots.figures_of`` (aggregate SQL, kept per version
of each cohort's data; the list of the interns from ``data.load_records``), the pure
``metrics`` and the tables of ``exports``; the charts are the SVG of
``charts`` embedded as ``data:`` URIs (the PDF fetches nothing). Texts go through gettext inside
``force_locale(lang)``; numbers, amounts and dates are formatted for ``lang``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from flask import current_app, render_template
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from ..cohorts.models import Cohort
from ..core.pdf import FONT_FACES
from ..core.timeutils import as_utc, utcnow
from ..extensions import db
from ..followup.models import Incident, IncidentCategory, IncidentStatus, Internship
from ..followup.services import CATEGORY_LABELS, INCIDENT_STATUS_LABELS
from ..placements.models import Placement, PlacementStatus
from ..templating import money, number
from . import charts, exports, labels
from .data import all_cohorts, in_progress, load_records
from .exports import BREAKDOWN_FUNNEL
from .metrics import (
    BREAKDOWN_COUNTS,
    DIMENSIONS,
    SEVERITIES,
    STAGES,
    WAVES,
    Figures,
    FunnelRow,
    StudentRecord,
    YearFigures,
    as_figures,
    breakdown,
    funnel,
    funnel_rows,
    rates,
    trends,
    wave_rates,
)
from .snapshots import figures_of

#: Rows of a breakdown table before the remaining groups are added up in one "others" line.
TOP = 15

#: Breakdowns drawn as a chart beside their table: dimension -> stages shown as bars (the same
#: series as on the dashboard).
CHARTED = {
    "pole": ("placed", "completed", "returned"),
    "region": ("applied", "selected", "placed"),
}

#: Rates drawn on the trend chart (as on the dashboard).
TREND_SERIES = (
    "quota_filled",
    "completion",
    "return_rate",
    *(f"employed_morocco_{w}" for w in WAVES),
)

#: Funnel stages in the "numbers year by year" table.
TREND_STAGES = ("applied", "eligible", "selected", "placed", "departed", "completed", "returned")

#: The dashboard's words under each key figure: what the numerator and the denominator count.
BASIS = {
    "quota_filled": _l("placed interns / places in the quota"),
    "completion": _l("completed / departed"),
    "return_rate": _l("returned / departed"),
    "average_stipend": _l("placed interns"),
    "tutor_satisfaction": _l("final evaluations"),
    "student_satisfaction": _l("interns who sent a check-in"),
    "agreement_signed": _l("signed in the application / placed interns"),
}


# --- the rendered document --------------------------------------------------------------------


@dataclass
class RenderedReport:
    pdf: bytes
    pages: int


def cohort_report_pdf(cohort: Cohort, lang: str, cutoff: date) -> bytes:
    """The cohort report of ``cohort`` in ``lang`` (fr or en), figures as of ``cutoff``."""
    return render_report(cohort, lang, cutoff).pdf


def render_report(
    cohort: Cohort, lang: str, cutoff: date, generated_at: datetime | None = None
) -> RenderedReport:
    """The PDF and its number of pages (printed by the CLI)."""
    from ..core.pdf import render_document

    html = report_html(cohort, lang, cutoff, generated_at)
    document = render_document(html)
    return RenderedReport(document.write_pdf(), len(document.pages))


def report_html(
    cohort: Cohort, lang: str, cutoff: date, generated_at: datetime | None = None
) -> str:
    """The report as an HTML document for WeasyPrint."""
    with force_locale(lang):
        context = build_context(cohort, lang, cutoff, generated_at or utcnow())
        return render_template("pdf/cohort_report.html", **context)


# --- formats ----------------------------------------------------------------------------------


def css_string(text: str) -> Markup:
    """``text`` as a quoted CSS string (for ``content:`` in the page margins): every character
    that could end the string, the rule or the <style> element is written as a hex escape."""
    out = []
    for char in str(text):
        if char.isalnum() or char in " .,;:·–—-_()/°’«»":
            out.append(char)
        else:
            out.append(f"\\{ord(char):x} ")
    return Markup('"' + "".join(out) + '"')  # noqa: S704 - every special character is escaped


@dataclass
class Formats:
    """Numbers, amounts and dates written for one language."""

    lang: str

    def count(self, value: int | None) -> str:
        return number(value, self.lang)

    def percent(self, value) -> str:
        return labels.percent(value, self.lang)

    def money(self, value) -> str:
        return money(value, self.lang)

    def score(self, value) -> str:
        return labels.score(value, self.lang)

    def date(self, value: date | None, fmt: str = "medium") -> str:
        return "—" if value is None else format_date(value, fmt, locale=self.lang)

    def month(self, year: int, month: int) -> str:
        return format_date(date(year, month, 1), "MMMM y", locale=self.lang)

    def value(self, row: exports.RateRow) -> str:
        if row.text:
            return row.text
        if row.value is None:
            return "—"
        if row.unit == "%":
            return self.percent(row.value)
        if row.unit == "€":
            return self.money(row.value)
        if row.unit == "/5":
            return self.score(row.value)
        return self.count(row.value)


# --- the sections -----------------------------------------------------------------------------


@dataclass
class KeyFigure:
    key: str
    label: str
    value: str
    basis: str  # "4 / 10"
    basis_words: str  # "placed interns / places in the quota"
    note: str  # why "—", or the response rate beside an employment rate


def _basis(row: exports.RateRow, fmt: Formats) -> str:
    if row.denominator is None:
        return ""
    if row.numerator is None:
        return fmt.count(row.denominator)
    return f"{fmt.count(row.numerator)} / {fmt.count(row.denominator)}"


def key_figures(
    records: list[StudentRecord] | Figures, quota: int, fmt: Formats
) -> list[KeyFigure]:
    """The key figures, in the dashboard's order, each with its basis and its caveat."""
    numbers = as_figures(records)
    rows = {row.key: row for row in exports.rate_rows(numbers, quota, rates(numbers, quota))}
    basis_words = {key: str(words) for key, words in BASIS.items()}
    figures = []
    for key in ("quota_filled", "completion", "return_rate", "agreement_signed"):
        row = rows[key]
        figures.append(
            KeyFigure(
                key,
                row.label,
                fmt.value(row),
                _basis(row, fmt),
                basis_words[key],
                row.note or row.missing,
            )
        )
    for wave in WAVES:
        row = rows[f"employed_morocco_{wave}"]
        response = rows[f"response_{wave}"]
        note = row.missing
        if row.value is not None:
            note = _(
                "Response rate: %(rate)s (%(answered)d answered of %(due)d due).",
                rate=fmt.percent(response.value),
                answered=response.numerator,
                due=response.denominator,
            )
        figures.append(
            KeyFigure(
                row.key,
                row.label,
                fmt.value(row),
                _basis(row, fmt),
                _("employed in Morocco / surveys due"),
                note,
            )
        )
    for key in ("average_stipend", "tutor_satisfaction", "student_satisfaction"):
        row = rows[key]
        figures.append(
            KeyFigure(
                key, row.label, fmt.value(row), _basis(row, fmt), basis_words[key], row.missing
            )
        )
    counts = [rows[f"incidents_{s}"].value for s in SEVERITIES]
    figures.append(
        KeyFigure(
            "incidents",
            str(labels.RATE_LABELS["incidents"]),
            fmt.count(sum(counts)),
            " · ".join(
                f"{labels.severity_label(s)} {fmt.count(c)}"
                for s, c in zip(SEVERITIES, counts, strict=True)
            ),
            "",
            "",
        )
    )
    return figures


@dataclass
class BreakdownRow:
    label: str
    counts: dict[str, int]
    kind: str = "value"  # value | others | unknown | total


@dataclass
class Breakdown:
    dimension: str
    title: str
    heading: str
    rows: list[BreakdownRow]
    groups: int  # number of distinct values (the unknown one included)
    others: int = 0  # groups added up in the "others" line
    chart: str | None = None


def _sum(rows, stages=BREAKDOWN_COUNTS) -> dict[str, int]:
    return {stage: sum(counts[stage] for _value, counts in rows) for stage in stages}


def capped_breakdown(
    records: list[StudentRecord] | Figures, dimension: str, top: int = TOP
) -> Breakdown:
    """The breakdown table with at most ``top`` named groups: the rest is one line "others";
    the unknown value ("Not placed" / "Not given") keeps its own line, last; then the total."""
    rows = breakdown(records, dimension)
    known = [(value, counts) for value, counts in rows if value not in (None, "")]
    unknown = [(value, counts) for value, counts in rows if value in (None, "")]
    shown, rest = known[:top], known[top:]
    table = [BreakdownRow(labels.value_label(dimension, v), c) for v, c in shown]
    if rest:
        others = ngettext("%(num)d other group", "%(num)d other groups", len(rest))
        table.append(BreakdownRow(others, _sum(rest), kind="others"))
    if unknown:
        table.append(BreakdownRow(labels.value_label(dimension, None), _sum(unknown), "unknown"))
    if rows:
        table.append(BreakdownRow(_("Total"), _sum(rows), kind="total"))
    result = Breakdown(
        dimension,
        str(labels.BREAKDOWN_TITLES[dimension]),
        str(labels.DIMENSION_LABELS[dimension]),
        table,
        groups=len(rows),
        others=len(rest),
    )
    if dimension in CHARTED and known:
        stages = CHARTED[dimension]
        bars = [row for row in table if row.kind in ("value", "others")]
        result.chart = charts.data_uri(
            charts.bar_chart(
                result.title,
                [row.label for row in bars],
                [(labels.short_label(s), [row.counts[s] for row in bars]) for s in stages],
            )
        )
    return result


def _year_rate(figures: YearFigures, key: str):
    if key.startswith("employed_morocco_"):
        return figures.rates.employed_morocco[int(key.rsplit("_", 1)[1])]
    return getattr(figures.rates, key)


def funnel_bars(rows: list[FunnelRow]) -> list[tuple[str, int]]:
    """The bars of the funnel chart: the stages of the chain, and the employment waves whose
    surveys are due (a wave not due yet is no "0 employed")."""
    return [
        (labels.stage_label(row.key), row.count)
        for row in rows
        if not row.detail and not (row.key.startswith("employed_") and not row.denominator)
    ]


def trend_figures(cohorts: list[Cohort], figures: dict[int, Figures]) -> list[YearFigures]:
    """Every cohort's figures (``snapshots.figures_of``), year by year, each marked when the
    cohort is still in progress."""
    return trends([(c.year, c.quota, figures[c.id], in_progress(c)) for c in cohorts])


def trend_chart(figures: list[YearFigures]) -> str | None:
    """``trend_svg`` as a data: URI (for the PDF), or None."""
    svg = trend_svg(figures)
    return charts.data_uri(svg) if svg is not None else None


def trend_svg(figures: list[YearFigures]) -> str | None:
    """The rates of the finished cohorts, year by year (SVG), or None when no cohort is
    finished. Cohorts in progress are never drawn: their rates are not final and would drag
    the lines down (they are in the tables, marked "in progress")."""
    drawn = [f for f in figures if not f.in_progress]
    if not drawn:
        return None
    return charts.trend_chart(
        _("Rates year by year, in percent (finished cohorts)"),
        [f.year for f in drawn],
        [
            (
                str(labels.RATE_LABELS[key]),
                # A year without any application has no point (not a 0 per cent).
                [
                    charts.percent(_year_rate(f, key)) if f.funnel["applied"] else None
                    for f in drawn
                ],
            )
            for key in TREND_SERIES
        ],
    )


@dataclass
class Intern:
    name: str
    institution: str
    company: str
    city: str
    start: str
    end: str
    outcome: str


def interns(records: list[StudentRecord], fmt: Formats) -> list[Intern]:
    """The placed students, by name (the order of ``load_records``)."""
    return [
        Intern(
            r.name,
            r.institution or "—",
            r.company or "—",
            r.host_city or "—",
            fmt.date(r.start_on),
            fmt.date(r.end_on),
            labels.outcome_label(r.outcome),
        )
        for r in exports.students(records, "placed")
    ]


@dataclass
class IncidentSummary:
    total: int = 0
    interns: int = 0  # interns with at least one incident
    by_category: list[tuple[str, dict[str, int], int]] = field(default_factory=list)
    severity_totals: dict[str, int] = field(default_factory=dict)
    by_month: list[tuple[str, dict[str, int], int]] = field(default_factory=list)
    by_status: list[tuple[str, int]] = field(default_factory=list)


def incident_summary(cohort: Cohort, records: list[StudentRecord] | Figures, fmt: Formats):
    """Counts of the incidents of the cohort's interns (confirmed placements, as in the key
    figures) by category and severity, by month and by status; one query, no description."""
    rows = db.session.execute(
        select(Incident.category, Incident.severity, Incident.occurred_on, Incident.status)
        .join(Internship, Incident.internship_id == Internship.id)
        .join(Placement, Internship.placement_id == Placement.id)
        .where(
            Internship.cohort_id == cohort.id,
            Placement.status == PlacementStatus.confirmed,
        )
    ).all()
    interns = as_figures(records).counts["incident"]
    summary = IncidentSummary(total=len(rows), interns=interns)
    cells = Counter((category, severity.value) for category, severity, _on, _st in rows)
    summary.severity_totals = {s: sum(cells[(c, s)] for c in IncidentCategory) for s in SEVERITIES}
    for category in IncidentCategory:
        counts = {s: cells[(category, s)] for s in SEVERITIES}
        if sum(counts.values()):
            summary.by_category.append(
                (str(CATEGORY_LABELS[category]), counts, sum(counts.values()))
            )
    months = Counter((on.year, on.month, severity.value) for _c, severity, on, _st in rows)
    for year, month in sorted({(y, m) for y, m, _s in months}):
        counts = {s: months[(year, month, s)] for s in SEVERITIES}
        summary.by_month.append((fmt.month(year, month), counts, sum(counts.values())))
    statuses = Counter(status for _c, _s, _on, status in rows)
    summary.by_status = [
        (str(INCIDENT_STATUS_LABELS[status]), statuses[status]) for status in IncidentStatus
    ]
    return summary


def _generated(moment: datetime, fmt: Formats) -> str:
    """The date and time of generation in the programme's time zone (Casablanca)."""
    local = as_utc(moment).astimezone(ZoneInfo(current_app.config["DISPLAY_TIMEZONE"]))
    return f"{fmt.date(local.date(), 'long')}, {format_time(local, 'short', locale=fmt.lang)}"


def build_context(cohort: Cohort, lang: str, cutoff: date, generated_at: datetime) -> dict:
    """Everything the template shows, already computed and formatted for ``lang``."""
    fmt = Formats(lang)
    cohorts = all_cohorts()
    every = figures_of(cohorts, cutoff)
    numbers = every[cohort.id]
    records = load_records(cohort, cutoff, placed_only=True)  # the list of the interns
    counts = funnel(numbers)
    rows = funnel_rows(numbers)
    stage_titles = [(key, labels.stage_label(key)) for key, _p in STAGES]
    figures = trend_figures(cohorts, every)
    placed = counts["placed"]
    headline = [
        (labels.stage_label("applied"), fmt.count(counts["applied"])),
        (labels.stage_label("selected"), fmt.count(counts["selected"])),
        (labels.stage_label("placed"), fmt.count(placed)),
        (labels.stage_label("returned"), fmt.count(counts["returned"])),
    ]
    paper = rates(numbers, cohort.quota).agreements_all_on_paper
    return {
        "lang": lang,
        "font_faces": FONT_FACES,
        "css_string": css_string,
        "fmt": fmt,
        "labels": labels,
        "cohort": cohort,
        "in_progress": in_progress(cohort),
        "cutoff": fmt.date(cutoff, "long"),
        "generated_at": _generated(generated_at, fmt),
        "empty": not numbers.total,
        "headline": headline,
        "quota": fmt.count(cohort.quota),
        "key_figures": key_figures(numbers, cohort.quota, fmt),
        "funnel": [
            {
                "key": row.key,
                "title": labels.stage_label(row.key),
                "detail": row.detail,
                "count": (
                    str(labels.ON_PAPER)
                    if row.key == "agreement_signed" and paper
                    else fmt.count(row.count)
                ),
                "share": (
                    fmt.percent(row.share)
                    if row.denominator_key and not (row.key == "agreement_signed" and paper)
                    else "—"
                ),
                "of": (
                    f"{labels.stage_label(row.denominator_key)} ({fmt.count(row.denominator)})"
                    if row.denominator_key
                    else ""
                ),
                "share_of_applied": fmt.percent(row.share_of_applied),
            }
            for row in rows
        ],
        "funnel_chart": charts.data_uri(
            charts.funnel_chart(
                _("Funnel of the %(year)d cohort", year=cohort.year),
                funnel_bars(rows),
            )
        ),
        "breakdown_stages": [(s, labels.short_label(s)) for s in BREAKDOWN_FUNNEL],
        "breakdowns": [capped_breakdown(numbers, d) for d in DIMENSIONS],
        "wave_rates": wave_rates,
        "top": TOP,
        "figures": figures,
        "apart": [f.year for f in figures if f.in_progress],
        "trend_stages": [(s, labels.short_label(s)) for s in TREND_STAGES],
        "trend_chart": trend_chart(figures),
        "waves": WAVES,
        "interns": interns(records, fmt),
        "incidents": incident_summary(cohort, numbers, fmt),
        "severities": [(s, labels.severity_label(s)) for s in SEVERITIES],
        "stage_titles": stage_titles,
        "rate_definitions": [
            (
                labels.RATE_LABELS.get(key) or _("Employment in Morocco"),
                labels.RATE_DEFINITIONS[key],
            )
            for key in (
                "quota_filled",
                "completion",
                "return_rate",
                "employed_morocco",
                "agreement_signed",
                "average_stipend",
                "incidents",
                "tutor_satisfaction",
                "student_satisfaction",
            )
        ],
    }
