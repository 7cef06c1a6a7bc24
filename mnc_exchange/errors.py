"""Translated error pages for 400, 403, 404, 405, 413, 429, 500 and 503."""

from __future__ import annotations

from flask import Flask, render_template
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
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
        db.session.rollback()
        app.logger.exception("Database error")
        return _render(503)

    @app.errorhandler(500)
    def internal_error(exc):
        db.session.rollback()
        return _render(500)
