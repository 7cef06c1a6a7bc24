"""Security controls that span every route (OWASP ASVS level 2 where it applies)."""

from __future__ import annotations

import re

import pytest

from mnc_exchange.extensions import db
from tests.test_app import _isolated_app


@pytest.fixture(scope="module")
def csrf_app():
    app = _isolated_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
    return app


def _state_changing_routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods & {"POST", "PUT", "PATCH", "DELETE"}):
            routes.append((rule, method))
    return routes


def _sample_url(rule) -> str:
    url = rule.rule
    for name in rule.arguments:
        url = re.sub(rf"<(?:[a-z]+:)?{name}>", "1" if "id" in name else "x", url)
    return url


def test_every_state_changing_route_requires_a_csrf_token(csrf_app):
    """Enumerates the URL map: a POST without a token is refused with 400 before any view
    runs (anonymous or not), on every route."""
    routes = _state_changing_routes(csrf_app)
    assert len(routes) > 50
    client = csrf_app.test_client()
    failures = []
    for rule, method in routes:
        response = client.open(_sample_url(rule), method=method, data={"x": "1"})
        if response.status_code != 400:
            failures.append(f"{method} {rule.rule}: {response.status_code}")
    assert not failures, "Routes accepting a request without CSRF token: " + ", ".join(failures)


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_no_inline_script_in_templates():
    """The CSP forbids inline scripts: no template may contain one (or an on* handler)."""
    from pathlib import Path

    offenders = []
    for path in Path("templates").rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        if re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text) or re.search(
            r"\son[a-z]+\s*=\s*[\"']", text
        ):
            offenders.append(str(path))
    assert not offenders, f"inline scripts or event handlers in {offenders}"
