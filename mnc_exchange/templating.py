"""Jinja filters and globals: local dates and times, money and numbers, external URLs.

(The page-wide template context, which names the domains' labels, is set up by
``create_app``: this module stays below every domain.)"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from zoneinfo import ZoneInfo

from babel.dates import (
    format_date,
    format_datetime,
    get_date_format,
    get_datetime_format,
    get_time_format,
)
from babel.numbers import format_currency, format_decimal
from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from jinja2 import pass_context
from markupsafe import Markup

from .core.i18n import de, decimal, filesize, long_date
from .core.timeutils import as_utc

NAMED_FORMATS = ("short", "medium", "long", "full")


@lru_cache(maxsize=64)
def datetime_pattern(fmt: str, locale: str) -> str:
    """The locale's date pattern ``fmt`` with the hours and minutes, never the seconds nor
    the zone (``12 mars 2027, 14:05``)."""
    if fmt not in NAMED_FORMATS:
        return fmt
    return (
        str(get_datetime_format(fmt, locale=locale))
        .replace("{1}", get_date_format(fmt, locale=locale).pattern)
        .replace("{0}", get_time_format("short", locale=locale).pattern)
    )


def localdt(
    value: datetime | None,
    zone: str | None = None,
    fmt: str = "medium",
    locale: str | None = None,
) -> str:
    """Show a UTC datetime in Africa/Casablanca (or ``zone``, e.g. Europe/Paris), to the
    minute: deadlines are read at the hour they fall in that zone."""
    if value is None:
        return "—"
    tz = ZoneInfo(zone or current_app.config["DISPLAY_TIMEZONE"])
    locale = locale or str(get_locale())
    return format_datetime(
        as_utc(value).astimezone(tz), datetime_pattern(fmt, locale), locale=locale
    )


def fdate(value: date | None, fmt: str = "long") -> str:
    if value is None:
        return "—"
    return _formatted_date(value, fmt, str(get_locale()))


@lru_cache(maxsize=4096)
def _formatted_date(value: date, fmt: str, locale: str) -> str:
    """``format_date``, remembered: a list page shows the same few dates on every row (15 µs
    each with Babel)."""
    return format_date(value, fmt, locale=locale)


def _decimal(value) -> Decimal | None:
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def money(value, locale: str | None = None) -> str:
    """Euros with 2 decimals in the locale's style: ``693,00 €`` (fr), ``€693.00`` (en).
    Accepts a Decimal, a number or a decimal string (as kept in PDF snapshots)."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return format_currency(amount, "EUR", locale=locale or str(get_locale()))


def number(value, locale: str | None = None) -> str:
    """A number without useless decimals in the locale's style: ``756``, ``756,5``, ``1 050``."""
    amount = _decimal(value)
    if amount is None:
        return "—"
    return format_decimal(amount, locale=locale or str(get_locale()))


#: ``fdate`` for an ISO string (PDF snapshots keep dates as strings) or a date: the one
#: ``core.i18n.long_date`` (French long dates write the first of the month "1er").
isodate = long_date


def external_url(endpoint: str, **values) -> str:
    """Absolute URL of ``endpoint`` for anything that leaves the application (e-mails, PDFs,
    QR codes): always built on ``SERVER_BASE_URL``, never on the request's Host header, which
    a client chooses."""
    from flask import current_app

    adapter = current_app.url_map.bind("localhost")
    path = adapter.build(endpoint, values)
    return current_app.config["SERVER_BASE_URL"].rstrip("/") + path


#: Stand-ins for what differs between two users who see the same menu (``templates/_nav.html``).
NAV_NAME, NAV_CSRF, NAV_NEXT = "\ue000name\ue001", "\ue000csrf\ue001", "\ue000next\ue001"
#: Menus kept per process (a few per role, page and language: far fewer than this in practice).
NAV_KEPT = 2048


@pass_context
def navigation(context) -> Markup:
    """The menu bar of every page. It depends on who is logged in only through their role and
    state (what ``can`` answers), a student's stage (``student_menu``) and their name, so it is
    rendered once per role, state, stage, page and language and kept for the process; the
    name, the CSRF token of its two forms and the page's path (the language form's ``next``)
    are put in afterwards, escaped as the template would. Not kept while templates reload
    (debugging), so an edited menu shows at once."""
    user = context["current_user"]
    authenticated = user.is_authenticated
    key = (
        request.script_root,
        context["current_locale"],
        (user.role, user.is_active, user.is_pending) if authenticated else None,
        context["student_menu"](),
        request.endpoint,
        request.blueprint,
    )
    kept: dict = current_app.extensions.setdefault("mnc_navigation", {})
    html = kept.get(key)
    if html is None:
        template = current_app.jinja_env.get_template("_nav.html")
        # The autoescaped output of _nav.html, so markup already.
        html = Markup(  # noqa: S704
            template.render(
                context.get_all()
                | {"nav_name": NAV_NAME, "nav_csrf": NAV_CSRF, "nav_next": NAV_NEXT}
            ).strip("\n")
        )
        if not current_app.jinja_env.auto_reload:
            if len(kept) >= NAV_KEPT:
                kept.clear()
            kept[key] = html
    csrf = Markup()
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        csrf = Markup('<input id="{0}" name="{0}" type="hidden" value="{1}">').format(
            field, generate_csrf()
        )
    path = request.full_path if request.method == "GET" else "/"
    name = user.full_name if authenticated else ""
    # Markup.replace escapes what it puts in (the name, the path), not the CSRF markup.
    return html.replace(NAV_NAME, name).replace(NAV_CSRF, csrf).replace(NAV_NEXT, path)


def register(app: Flask) -> None:
    app.jinja_env.globals["navigation"] = navigation
    app.jinja_env.globals["external_url"] = external_url
    app.jinja_env.globals["has_endpoint"] = lambda name: name in app.view_functions
    app.jinja_env.filters["localdt"] = localdt
    app.jinja_env.filters["fdate"] = fdate
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["number"] = number
    app.jinja_env.filters["isodate"] = isodate
    app.jinja_env.filters["filesize"] = filesize
    app.jinja_env.filters["decimal"] = decimal
    app.jinja_env.globals["de"] = de
