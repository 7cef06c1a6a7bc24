"""Charts drawn server-side as SVG with pygal; the same SVG serves the page (as an <img> data
URI, allowed by the Content Security Policy) and the PDF. No JavaScript, nothing fetched.

Labels are passed in already translated; tables beside the charts carry the same numbers (and
the full labels) for accessibility. Labels never overlap: the groups of a breakdown are drawn as
horizontal bars (one label per line) when there are many or long ones, long labels are cut with
"…" (the full text stays in the SVG as a <title> tooltip, and in the table), and the trend
chart prints no values over its lines (the table under it has them).

A chart is drawn once per worker for the same title, labels and values (an LRU cache keyed by
them): the figures of a finished cohort change only with its data, so its charts are drawn
once per data version and language.
"""

from __future__ import annotations

import base64
import functools
import re
from decimal import Decimal

import pygal
from pygal.style import Style

STYLE = Style(
    background="white",
    plot_background="white",
    foreground="#222",
    foreground_strong="#111",
    foreground_subtle="#999",
    colors=("#0b5d3b", "#d08c00", "#2f6db5", "#a23b72", "#5c6b73", "#8ab17d"),
    font_family="DejaVu Sans, MNC Sans, sans-serif",
    title_font_size=14,
    label_font_size=11,
    major_label_font_size=11,
    value_font_size=10,
    legend_font_size=11,
)

_COMMENTS = re.compile(r"<!--.*?-->", re.S)


def _config(**overrides):
    options = {
        "js": [],
        "disable_xml_declaration": True,
        "style": STYLE,
        "width": 760,
        "height": 360,
        "print_values": True,
        "print_values_position": "top",
        "legend_at_bottom": True,
        "truncate_label": 30,
        "show_y_guides": True,
    }
    options.update(overrides)
    return options


def _render(chart) -> str:
    svg = chart.render(is_unicode=True)
    return _COMMENTS.sub("", svg)


#: Charts kept per worker (the dashboard draws 5, the report 4; two languages).
CACHED = 256


def _frozen(value):
    """``value`` with every list made a tuple (a key of the cache)."""
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    return value


@functools.lru_cache(maxsize=CACHED)
def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


#: Longest label drawn in full; longer ones are cut with "…".
LABEL_LENGTH = 28
#: The funnel's stages have a whole line each: they can be longer.
FUNNEL_LABEL_LENGTH = 36


def short(label: str, length: int = LABEL_LENGTH) -> str:
    """``label`` cut to ``length`` characters at most, with "…"."""
    label = str(label)
    return label if len(label) <= length else label[: length - 1].rstrip() + "…"


def _tooltips(svg: str, labels: list[str], length: int = LABEL_LENGTH) -> str:
    """Give every cut label its full text as a <title> (a tooltip where the SVG is shown)."""
    for label in labels:
        cut = short(label, length)
        if cut != label:
            svg = svg.replace(
                f">{_escape(cut)}</text>",
                f">{_escape(cut)}</text><title>{_escape(label)}</title>",
            )
    return svg


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def funnel_chart(title: str, stages: list[tuple[str, int]]) -> str:
    """Horizontal bars, one per stage of the funnel (first at the top)."""
    return _funnel_chart(str(title), _frozen([(str(label), value) for label, value in stages]))


@functools.lru_cache(maxsize=CACHED)
def _funnel_chart(title: str, stages: tuple) -> str:
    chart = pygal.HorizontalBar(**_config(show_legend=False, height=40 + 28 * len(stages)))
    chart.title = title
    chart.x_labels = [short(label, FUNNEL_LABEL_LENGTH) for label, _ in reversed(stages)]
    chart.add(title, [value for _, value in reversed(stages)])
    return _tooltips(_render(chart), [label for label, _ in stages], FUNNEL_LABEL_LENGTH)


def percent(value: Decimal | None) -> float | None:
    return None if value is None else float(value * 100)


def trend_chart(title: str, years: list[int], series: list[tuple[str, list[float | None]]]) -> str:
    """One line per rate (in %), one point per year; no printed values (they would overlap:
    the table under the chart gives them)."""
    return _trend_chart(
        str(title), _frozen(years), _frozen([(str(label), values) for label, values in series])
    )


@functools.lru_cache(maxsize=CACHED)
def _trend_chart(title: str, years: tuple, series: tuple) -> str:
    chart = pygal.Line(
        **_config(
            range=(0, 100),
            value_formatter=lambda v: f"{v:.0f} %",
            dots_size=3,
            print_values=False,
            legend_at_bottom_columns=3,
        )
    )
    chart.title = title
    chart.x_labels = [str(year) for year in years]
    for label, values in series:
        chart.add(label, list(values))
    return _render(chart)


#: More groups than this (or a label longer than ``LABEL_LENGTH`` / 2) are drawn as
#: horizontal bars, one label per line.
VERTICAL_GROUPS = 5


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> str:
    """Grouped bars (e.g. placed, completed and returned per pole): vertical for a few short
    labels, horizontal otherwise, so that no two labels overlap."""
    return _bar_chart(
        str(title),
        _frozen([str(label) for label in labels]),
        _frozen([(str(label), values) for label, values in series]),
    )


@functools.lru_cache(maxsize=CACHED)
def _bar_chart(title: str, labels: tuple, series: tuple) -> str:
    horizontal = len(labels) > VERTICAL_GROUPS or any(
        len(label) > LABEL_LENGTH // 2 for label in labels
    )
    if horizontal:
        height = 90 + len(labels) * (8 + 11 * len(series))
        chart = pygal.HorizontalBar(**_config(height=height, legend_at_bottom_columns=3))
        chart.x_labels = [short(label) for label in reversed(labels)]
        for label, values in series:
            chart.add(label, list(reversed(values)))
    else:
        chart = pygal.Bar(**_config(legend_at_bottom_columns=3))
        chart.x_labels = [short(label) for label in labels]
        for label, values in series:
            chart.add(label, list(values))
    chart.title = title
    return _tooltips(_render(chart), list(labels))
