"""The officials' dashboard, the students behind every number, the exports and the cohort
report (PDF). Read-only: every route is a GET guarded by ``cohort.view`` (coordinators,
admins, officials).

The figures come from ``snapshots.figures_of`` (aggregate SQL, kept per version of each cohort's
data) and the pure ``metrics``; the lists of students from ``data.load_records``. The
tables are built once in ``exports`` and serve the page, the CSV and the XLSX. The dashboard's
content is rendered once per language, date and figures, and kept by each worker.
"""

from __future__ import annotations

import hashlib
import re
from datetime import date

from flask import Blueprint, Response, abort, current_app, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select

from ..cohorts.models import Cohort
from ..core.page_cache import kept
from ..core.timeutils import utcnow
from ..extensions import db
from ..permissions import permission_required
from ..placements.models import Placement, PlacementStatus
from . import charts, exports, labels
from .data import all_cohorts, in_progress, load_records
from .exports import BREAKDOWN_FUNNEL
from .metrics import (
    DIMENSIONS,
    STAGES,
    WAVES,
    Figures,
    breakdown,
    funnel,
    funnel_rows,
    rates,
    wave_rates,
)
from .snapshots import LRU, figures_of

bp = Blueprint("reports", __name__, url_prefix="/reports")

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

#: Breakdowns drawn as a chart beside their table: dimension -> stages shown as bars (the
#: employment waves stay in the tables, where their surveys due and response rates are).
CHARTED = {
    "pole": ("placed", "completed", "returned"),
    "region": ("applied", "selected", "placed"),
    "gender": ("applied", "selected", "placed"),
}


@bp.after_request
def _private(response: Response) -> Response:
    # Lists of named students: never kept by a shared cache (the charts, counts only, say
    # themselves how long they may be kept).
    if request.endpoint != "reports.chart":
        response.headers["Cache-Control"] = "private, no-store"
    return response


class BadRequest(Exception):
    """A parameter of the query string is wrong: a 400 page saying which."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _bad_request(message: str, cohort: Cohort | None = None):
    return (
        render_template("reports/bad_request.html", message=message, cohort=cohort),
        400,
    )


#: Years a cohort can have (a wider number in a URL is simply not found).
YEARS = range(1900, 10000)


def _cohort(year: int) -> Cohort:
    if year not in YEARS:
        abort(404)
    cohort = db.session.scalar(select(Cohort).where(Cohort.year == year))
    if cohort is None:
        abort(404)
    return cohort


def _default_cohort(cohorts: list[Cohort]) -> Cohort | None:
    """The latest cohort with confirmed placements, else the current one, else the latest."""
    if not cohorts:
        return None
    placed = set(
        db.session.scalars(
            select(Placement.cohort_id)
            .where(Placement.status == PlacementStatus.confirmed)
            .distinct()
        )
    )
    with_placements = [c for c in cohorts if c.id in placed]
    if with_placements:
        return max(with_placements, key=lambda c: c.year)
    current = next((c for c in cohorts if c.is_current), None)
    return current or max(cohorts, key=lambda c: c.year)


def _filters(args) -> tuple[str, str | None, str | None]:
    """(stage, dimension, value) of a list of students, checked."""
    stage = args.get("stage") or "applied"
    if stage not in exports.LISTS:
        raise BadRequest(_("This list of students does not exist."))
    dimension = args.get("dimension") or None
    value = args.get("value")
    if dimension is None:
        if value:
            raise BadRequest(_("A value was given without saying what it is a value of."))
        return stage, None, None
    if dimension not in DIMENSIONS:
        raise BadRequest(_("Breakdowns are by pole, city, company, institution, region or gender."))
    if value is None:
        raise BadRequest(_("Say which value of the breakdown to list."))
    return stage, dimension, value


def _describe(stage: str, dimension: str | None, value: str | None) -> str:
    text = labels.stage_label(stage)
    if dimension is not None:
        text += f" · {labels.DIMENSION_LABELS[dimension]}: {labels.value_label(dimension, value)}"
    return text


# --- dashboard --------------------------------------------------------------------------------


def _trend_figures(cohorts: list[Cohort], figures: dict[int, Figures]):
    from .report import trend_figures

    return trend_figures(cohorts, figures)


def _breakdown_chart(dimension: str, rows) -> str:
    stages = CHARTED[dimension]
    return charts.bar_chart(
        str(labels.BREAKDOWN_TITLES[dimension]),
        [labels.value_label(dimension, value) for value, _counts in rows],
        [(labels.short_label(s), [counts[s] for _v, counts in rows]) for s in stages],
    )


#: The dashboard's content, by language, date, cohort and the figures of every cohort (the
#: page's frame — menu, account — is rendered for each request).
_bodies = LRU(16)
#: The dashboard's charts (SVG), under the same keys: the page links to them (``chart``).
_charts = LRU(16)


def _dashboard_key(cohorts: list[Cohort], cohort: Cohort, figures, cutoff: date) -> tuple:
    """What the dashboard of ``cohort`` shows depends on: language, date, every cohort."""
    return (
        str(get_locale()),
        cutoff,
        cohort.id,
        tuple(
            (c.id, c.year, c.title, c.quota, c.state.value, c.is_current, figures[c.id].digest)
            for c in cohorts
        ),
    )


def _version(key: tuple) -> str:
    """A short fingerprint of a dashboard key: the charts' URLs change with the figures."""
    return hashlib.sha256(repr(key).encode()).hexdigest()[:16]


def _dashboard_of(year: str | None):
    """(cohorts, cohort or None, figures, cutoff, key) of the dashboard asked for; a 404 for a
    year without a cohort."""
    cohorts = all_cohorts()
    if year:
        cohort = next((c for c in cohorts if c.year == int(year)), None)
        if cohort is None:
            abort(404)
    else:
        cohort = _default_cohort(cohorts)
    if cohort is None:
        return cohorts, None, None, None, None
    cutoff = date.today()
    figures = figures_of(cohorts, cutoff)
    return cohorts, cohort, figures, cutoff, _dashboard_key(cohorts, cohort, figures, cutoff)


@bp.route("")
@kept
@permission_required("cohort.view")
def dashboard():
    year = request.args.get("year")
    if year and not re.fullmatch(r"[0-9]{1,4}", year):
        return _bad_request(_("The year must be a number, such as 2031."))
    cohorts, cohort, figures, cutoff, key = _dashboard_of(year)
    if cohort is None:
        return render_template("reports/dashboard.html", cohort=None, cohorts=[])
    body = _bodies.get(key, lambda: _dashboard_body(cohorts, cohort, figures, cutoff, key))
    return render_template("reports/dashboard.html", cohort=cohort, body=body)


@bp.route("/<int:year>/charts/<name>.svg")
@permission_required("cohort.view")
def chart(year: int, name: str):
    """One chart of the dashboard (SVG). Only counts, no name: the browser may keep it, and its
    URL carries the version of the figures it draws (``?v=``)."""
    cohorts, cohort, figures, cutoff, key = _dashboard_of(str(year))
    svg = _charts.get(key, lambda: _chart_svgs(cohorts, cohort, figures)).get(name)
    if svg is None:
        abort(404)
    response = Response(svg, mimetype="image/svg+xml")
    if request.args.get("v") == _version(key):
        response.headers["Cache-Control"] = "private, max-age=31536000, immutable"
    else:
        response.headers["Cache-Control"] = "private, no-cache"
    # Shown as an image; opened on its own it may not run anything nor load anything.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _chart_svgs(cohorts: list[Cohort], cohort: Cohort, figures) -> dict[str, str]:
    """The dashboard's charts of ``cohort`` (name -> SVG)."""
    from .report import funnel_bars, trend_svg

    numbers = figures[cohort.id]
    svgs = {
        "funnel": charts.funnel_chart(
            _("Funnel of the %(year)d cohort", year=cohort.year),
            funnel_bars(funnel_rows(numbers)),
        ),
        **{
            dimension: _breakdown_chart(dimension, rows)
            for dimension in CHARTED
            if (rows := breakdown(numbers, dimension))
        },
    }
    trends = trend_svg(_trend_figures(cohorts, figures))
    if trends is not None:
        svgs["trends"] = trends
    return svgs


#: The indentation between two tags (a fifth of the page): one space renders the same (the
#: dashboard's content has no ``pre`` nor ``textarea``).
_BLANKS_BETWEEN_TAGS = re.compile(r">\s+<")


def _dashboard_body(
    cohorts: list[Cohort], cohort: Cohort, figures, cutoff: date, page_key: tuple
) -> Markup:
    numbers = figures[cohort.id]
    counts = funnel(numbers)
    cohort_rates = rates(numbers, cohort.quota)
    rate_rows = {row.key: row for row in exports.rate_rows(numbers, cohort.quota, cohort_rates)}
    breakdowns = {dimension: breakdown(numbers, dimension) for dimension in DIMENSIONS}
    trend = _trend_figures(cohorts, figures)

    rows = funnel_rows(numbers)
    stage_titles = [(key, labels.stage_label(key)) for key, _p in STAGES]
    version = _version(page_key)
    chart = {
        name: url_for("reports.chart", year=cohort.year, name=name, v=version)
        for name in _charts.get(page_key, lambda: _chart_svgs(cohorts, cohort, figures))
    }
    return Markup(  # noqa: S704 - a template rendered by Jinja with autoescape
        _BLANKS_BETWEEN_TAGS.sub(
            "> <",
            render_template(
                "reports/_dashboard_body.html",
                cohort=cohort,
                cohorts=sorted(cohorts, key=lambda c: c.year, reverse=True),
                cutoff=cutoff,
                in_progress=in_progress(cohort),
                counts=counts,
                funnel_rows=rows,
                stage_titles=stage_titles,
                rate_rows=rate_rows,
                rates=cohort_rates,
                breakdowns=breakdowns,
                breakdown_stages=BREAKDOWN_FUNNEL,
                wave_rates=wave_rates,
                charted=CHARTED,
                figures=trend,
                drawn=[f.year for f in trend if not f.in_progress],
                apart=[f.year for f in trend if f.in_progress],
                trend_stages=("applied", "selected", "placed", "departed", "completed", "returned"),
                chart=chart,
                waves=WAVES,
                labels=labels,
                percent=labels.percent,
                score=labels.score,
                dimensions=list(DIMENSIONS),
                empty=not numbers.total,
            ),
        )
    )


# --- the students behind a number -------------------------------------------------------------


@bp.route("/<int:year>/students")
@permission_required("cohort.view")
def students(year: int):
    cohort = _cohort(year)
    try:
        stage, dimension, value = _filters(request.args)
    except BadRequest as exc:
        return _bad_request(exc.message, cohort)
    records = exports.students(load_records(cohort, date.today()), stage, dimension, value)
    return render_template(
        "reports/students.html",
        cohort=cohort,
        records=records,
        stage=stage,
        dimension=dimension,
        value=value,
        title=_describe(stage, dimension, value),
        definition=labels.stage_definition(stage),
        cutoff=date.today(),
        labels=labels,
        filters={"stage": stage, "dimension": dimension, "value": value}
        if dimension
        else {"stage": stage},
    )


# --- exports ----------------------------------------------------------------------------------


def _dashboard_tables() -> list[tuple[str, str]]:
    """The dashboard's tables (the lists of students have their own form)."""
    keys = [k for k in exports.table_keys() if k not in ("interns", "students")]
    return [(key, exports.table_title(key)) for key in keys]


@bp.route("/<int:year>/exports")
@permission_required("cohort.view")
def exports_page(year: int):
    cohort = _cohort(year)
    return render_template(
        "reports/exports.html",
        cohort=cohort,
        tables=_dashboard_tables(),
        columns=exports.student_columns(),
        chosen=set(exports.STUDENT_COLUMNS),
        separator=exports.default_separator(str(get_locale())),
        error=None,
    )


def _build(key: str, cohort: Cohort, cutoff: date, args) -> tuple[exports.Table, str]:
    """The table ``key`` of ``cohort`` and a description of what it holds."""
    if key not in exports.table_keys():
        raise BadRequest(_("This table does not exist."))
    if key == "trends":
        cohorts = all_cohorts()
        return exports.trends_table(_trend_figures(cohorts, figures_of(cohorts, cutoff))), ""
    if key in ("funnel", "rates") or key.startswith("breakdown_"):
        numbers = figures_of([cohort], cutoff)[cohort.id]
        if key == "funnel":
            return exports.funnel_table(numbers), ""
        if key == "rates":
            return exports.rates_table(numbers, cohort.quota, rates(numbers, cohort.quota)), ""
        return exports.breakdown_table(numbers, key[len("breakdown_") :]), ""
    records = load_records(cohort, cutoff)
    if key == "interns":
        chosen = exports.students(records, "placed")
        return exports.students_table(chosen, "interns", _("Interns")), labels.stage_label("placed")
    stage, dimension, value = _filters(args)
    description = _describe(stage, dimension, value)
    chosen = exports.students(records, stage, dimension, value)
    return exports.students_table(chosen, "students", _("Students")), description


@bp.route("/<int:year>/export")
@permission_required("cohort.view")
def export(year: int):
    cohort = _cohort(year)
    key = request.args.get("table", "")
    fmt = request.args.get("format", "")
    columns = request.args.getlist("columns")
    separator = request.args.get("separator") or exports.default_separator(str(get_locale()))
    cutoff = date.today()
    try:
        if fmt not in FORMATS:
            raise BadRequest(_("Choose the CSV or the XLSX (Excel) format."))
        if separator not in exports.SEPARATORS:
            raise BadRequest(_("The CSV separator is a comma or a semicolon."))
        table, description = _build(key, cohort, cutoff, request.args)
        keys = [c.key for c in table.columns]
        unknown = [c for c in columns if c not in keys]
        if unknown:
            raise BadRequest(_("Unknown column: %(names)s.", names=", ".join(unknown[:5])))
    except BadRequest as exc:
        return _bad_request(exc.message, cohort)
    if request.args.get("choose") and not columns:
        return (
            render_template(
                "reports/exports.html",
                cohort=cohort,
                tables=_dashboard_tables(),
                columns=exports.student_columns(),
                chosen=set(),
                separator=separator,
                error=_("Choose at least one column."),
            ),
            400,
        )
    if columns:
        table = table.only(columns)
    filename = f"mnc-{cohort.year}-{table.key}.{fmt}"
    if fmt == "csv":
        body = exports.to_csv(table, separator)
    else:
        about = [
            (_("Cohort"), cohort.title or str(cohort.year)),
            (_("Table"), exports.table_title(key)),
            (_("Data as of"), cutoff),
            (_("Generated at (UTC)"), utcnow().replace(microsecond=0)),
            (_("Source"), "MNC Exchange"),
        ]
        if description:
            about.insert(2, (_("Students"), description))
        body = exports.to_xlsx(table, about)
    return Response(
        body,
        content_type=FORMATS[fmt],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# --- the cohort report ------------------------------------------------------------------------


@bp.route("/<int:year>/report.pdf")
@permission_required("cohort.view")
def pdf(year: int):
    from .report import cohort_report_pdf

    cohort = _cohort(year)
    lang = request.args.get("lang") or str(get_locale())
    if lang not in current_app.config["LANGUAGES"]:
        return _bad_request(_("The report exists in French (fr) and English (en)."), cohort)
    body = cohort_report_pdf(cohort, lang, date.today())
    return Response(
        body,
        content_type="application/pdf",
        headers={
            "Content-Disposition": (
                f'attachment; filename="mnc-cohort-report-{cohort.year}-{lang}.pdf"'
            )
        },
    )


def students_url(year: int, stage: str, dimension: str | None = None, value=None) -> str:
    """The list of students behind a number (used by the templates)."""
    if dimension is None:
        return url_for("reports.students", year=year, stage=stage)
    return url_for(
        "reports.students", year=year, stage=stage, dimension=dimension, value=value or ""
    )


@bp.context_processor
def _helpers():
    return {"students_url": students_url}
