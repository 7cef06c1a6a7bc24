"""Charts drawn server-side as SVG with pygal; the same SVG serves the page (as an <img> data
URI, allowed by the Content Security Policy) and the PDF. No JavaScript, nothing fetched.

Labels are passed in already translated; tables beside the charts carry the same numbers for
accessibility.
"""

from __future__ import annotations

import base64
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


def data_uri(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def funnel_chart(title: str, stages: list[tuple[str, int]]) -> str:
    """Horizontal bars, one per stage of the funnel (first at the top)."""
    chart = pygal.HorizontalBar(**_config(show_legend=False, height=40 + 28 * len(stages)))
    chart.title = title
    chart.x_labels = [label for label, _ in reversed(stages)]
    chart.add(title, [value for _, value in reversed(stages)])
    return _render(chart)


def percent(value: Decimal | None) -> float | None:
    return None if value is None else float(value * 100)


def trend_chart(title: str, years: list[int], series: list[tuple[str, list[float | None]]]) -> str:
    """One line per rate (in %), one point per year."""
    chart = pygal.Line(
        **_config(range=(0, 100), value_formatter=lambda v: f"{v:.0f} %", dots_size=3)
    )
    chart.title = title
    chart.x_labels = [str(year) for year in years]
    for label, values in series:
        chart.add(label, values)
    return _render(chart)


def bar_chart(title: str, labels: list[str], series: list[tuple[str, list[int]]]) -> str:
    """Grouped vertical bars (e.g. placed and employed in Morocco per pole)."""
    chart = pygal.Bar(**_config(x_label_rotation=20 if len(labels) > 5 else 0))
    chart.title = title
    chart.x_labels = labels
    for label, values in series:
        chart.add(label, values)
    return _render(chart)
