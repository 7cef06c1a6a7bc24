"""Translated error pages for 400, 403, 404, 405, 413, 429, 500 and 503.

The 503 (database unavailable) and 500 pages must render without the database: the page
layout reads ``current_user``, whose loader queries the database, and the locale of a
logged-in user comes from their account. So these pages are rendered for an anonymous user,
in the language already chosen for the request (or the session's, or the default one); if
even that fails, a bare translated page is returned.
"""

from __future__ import annotations

from flask import Flask, current_app, g, render_template, session
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import SecurityError

from .extensions import db

MESSAGES = {
    400: (_l("Bad request"), _l("The request could not be understood. Please try again.")),
    403: (_l("Access refused"), _l("You do not have the right to see this page.")),
    404: (_l("Page not found"), _l("This page does not exist or has been moved.")),
    405: (_l("Method not allowed"), _l("This action is not possible on this page.")),
    413: (
        _l("File too large"),
        _l("The file or the form you sent is too large. Send a smaller file."),
    ),
    429: (
        _l("Too many attempts"),
        _l("Too many attempts in a short time. Wait a minute, then try again."),
    ),
    500: (
        _l("Something went wrong"),
        _l("An unexpected error happened. Nothing was saved. Please try again later."),
    ),
    503: (
        _l("Service unavailable"),
        _l("The service is temporarily unavailable. Nothing was saved. Please try again soon."),
    ),
}


def _render(code: int):
    title, text = MESSAGES[code]
    return render_template("errors/error.html", code=code, title=title, text=text), code


UNTRUSTED_HOST_PAGE = """<!doctype html>
<html lang="fr"><head><meta charset="utf-8"><title>Requête refusée – Bad request</title></head>
<body><h1>Requête refusée</h1><p>Cette adresse ne correspond pas à ce site.</p>
<p lang="en">Bad request: this address does not belong to this site.</p></body></html>
"""


def _bad_request(exc):
    if isinstance(exc, SecurityError):
        # A Host outside TRUSTED_HOSTS: no URL can be built for it, so the page stands alone.
        return UNTRUSTED_HOST_PAGE, 400, {"Content-Type": "text/html; charset=utf-8"}
    return _render(400)


def _locale_without_database() -> str:
    """The request's language, found without a query: the one already chosen for this
    request, else the loaded user's (if still in memory), else the session's, else the
    default."""
    languages = current_app.config["LANGUAGES"]
    chosen = getattr(g.get("_flask_babel"), "babel_locale", None)
    if chosen is not None and str(chosen) in languages:
        return str(chosen)
    user = g.get("_login_user")
    loaded = getattr(user, "__dict__", {}).get("locale")  # no lazy load, no query
    if loaded in languages:
        return loaded
    try:
        lang = session.get("lang")
    except Exception:  # noqa: BLE001 - a session store that is down too
        lang = None
    if lang in languages:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _forget_user() -> None:
    """From here on the request is anonymous: templates reading ``current_user`` no longer
    call the user loader (which queries the database)."""
    g._login_user = current_app.login_manager.anonymous_user()


def _render_without_database(code: int):
    """The error page for an anonymous user, in the request's language, whatever state the
    database is in; a bare page if the templates fail too."""
    locale = _locale_without_database()
    _forget_user()
    try:
        db.session.rollback()
    except Exception:  # noqa: BLE001 - the connection may be gone
        current_app.logger.exception("Rollback failed while showing error %s", code)
    with force_locale(locale):
        title, text = MESSAGES[code]
        try:
            return _render(code)
        except Exception:  # noqa: BLE001 - never let the error page itself fail
            current_app.logger.exception("Error page %s failed to render", code)
            body = (
                f'<!doctype html><html lang="{locale}"><meta charset="utf-8">'
                f"<title>{escape(str(title))}</title><h1>{escape(str(title))}</h1>"
                f"<p>{escape(str(text))}</p></html>"
            )
            return body, code, {"Content-Type": "text/html; charset=utf-8"}


def register(app: Flask) -> None:
    from .core.guards import register as register_guards

    register_guards(app)  # NUL characters: 400; ids beyond the id columns' range: 404
    for code in (403, 404, 405, 413, 429):
        app.register_error_handler(code, lambda exc, code=code: _render(code))
    app.register_error_handler(400, _bad_request)

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        title = _l("Form expired")
        text = _l("The form has expired or was sent from elsewhere. Reload the page and retry.")
        return render_template("errors/error.html", code=400, title=title, text=text), 400

    @app.errorhandler(OperationalError)
    def database_unavailable(exc):
        app.logger.exception("Database error")
        return _render_without_database(503)

    @app.errorhandler(500)
    def internal_error(exc):
        # The error may come from the database (a lost connection, a failed query): the page
        # must not need it.
        return _render_without_database(500)
