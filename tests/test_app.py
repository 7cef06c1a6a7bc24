"""Configuration, error pages, security headers, translations, CLI commands."""

from __future__ import annotations

import pytest
from babel.messages.pofile import read_po
from sqlalchemy import func, select

from mnc_exchange import ROOT, create_app
from mnc_exchange.accounts.models import Role, User
from mnc_exchange.cohorts.models import Cohort
from mnc_exchange.demo import DEMO_ACCOUNTS, DEMO_PASSWORD
from mnc_exchange.extensions import db


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"CONFIG_NAME": "production", "SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_production_starts_with_secret_key(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("SERVER_BASE_URL", "https://exchange.example.ma")
    app = create_app(
        {
            "CONFIG_NAME": "production",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "REDIS_URL": "redis://127.0.0.1:6379/0",  # rate limits shared by the workers
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_database_url_is_normalised_for_psycopg(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u:p@localhost/db")
    app = create_app("testing")
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@localhost/db"


def test_404_page_is_translated(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_405_for_wrong_method(client):
    assert client.get("/language").status_code == 405


def test_security_headers(client):
    response = client.get("/")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]


def test_bootstrap_is_served_locally(client):
    page = client.get("/").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert client.get("/bootstrap/static/css/bootstrap.min.css").status_code == 200


def test_french_catalog_is_complete():
    """Every extracted string has a French translation (run `make translations` to update)."""
    path = ROOT / "mnc_exchange/translations/fr/LC_MESSAGES/messages.po"
    with path.open("rb") as f:
        catalog = read_po(f)
    missing = [
        m.id
        for m in catalog
        if m.id and (not m.string or (isinstance(m.string, tuple) and not all(m.string)))
    ]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not [m.id for m in catalog if m.id and m.fuzzy], "fuzzy translations left"


def test_catalog_covers_the_source(tmp_path):
    """The French catalog knows every string the code and templates use."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}
    source = {
        (msg[0] if isinstance(msg, tuple) else msg)
        for _f, _l, msg, *_rest in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }
    with (ROOT / "mnc_exchange/translations/fr/LC_MESSAGES/messages.po").open("rb") as f:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    missing = sorted(source - known)
    assert not missing, f"strings missing from the catalog (run `make translations`): {missing}"


def test_create_user_command(runner):
    result = runner.invoke(
        args=[
            "create-user",
            "--role",
            "coordinator",
            "--email",
            "New@Example.org",
            "--name",
            "Nouvelle Coordinatrice",
        ],
        input="a-long-enough-password\na-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.email == "new@example.org"))
    assert user.role is Role.coordinator and user.check_password("a-long-enough-password")


def test_create_user_command_refuses_short_password(runner):
    result = runner.invoke(
        args=["create-user", "--role", "admin", "--email", "a@example.org", "--password", "short"]
    )
    assert result.exit_code != 0
    assert db.session.scalar(select(func.count()).select_from(User)) == 0


def test_demo_data_is_idempotent_and_prints_accounts(runner):
    first = runner.invoke(args=["demo-data", "--no-history"])
    assert first.exit_code == 0, first.output
    second = runner.invoke(args=["demo-data", "--no-history"])
    assert second.exit_code == 0
    for _role, email, _name in DEMO_ACCOUNTS:
        assert email in first.output
    assert DEMO_PASSWORD in first.output
    demo_emails = [email for _role, email, _name in DEMO_ACCOUNTS]
    assert db.session.scalar(
        select(func.count()).select_from(User).where(User.email.in_(demo_emails))
    ) == len(DEMO_ACCOUNTS)
    users_after_first = db.session.scalar(select(func.count()).select_from(User))
    runner.invoke(args=["demo-data", "--no-history"])
    assert db.session.scalar(select(func.count()).select_from(User)) == users_after_first
    assert db.session.scalar(select(func.count()).select_from(Cohort)) == 2
    assert db.session.scalar(select(func.count()).select_from(Cohort).where(Cohort.is_current)) == 1


def test_demo_accounts_log_in(client, runner):
    runner.invoke(args=["demo-data", "--no-history"])
    for _role, email, _name in DEMO_ACCOUNTS:
        response = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
        assert response.status_code == 302, email
        assert client.get("/dashboard").status_code == 200
        client.post("/logout")


def _isolated_app(**overrides):
    config = {"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"}
    config.update(overrides)
    return create_app(config)


def test_500_page_is_translated_and_rolls_back():
    app = _isolated_app(PROPAGATE_EXCEPTIONS=False)

    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "Une erreur inattendue" in response.get_data(as_text=True)


def test_413_page_for_too_large_request(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024)
    response = client.post("/login", data={"email": "x" * 5000, "password": "y"})
    assert response.status_code == 413
    assert "trop volumineux" in response.get_data(as_text=True)


def test_csrf_is_enforced_outside_tests():
    app = _isolated_app(WTF_CSRF_ENABLED=True)
    with app.app_context():
        db.create_all()
    response = app.test_client().post("/login", data={"email": "a@b.c", "password": "x"})
    assert response.status_code == 400
    assert "expiré" in response.get_data(as_text=True)


def test_times_are_shown_in_casablanca(app):
    from datetime import UTC, datetime

    from mnc_exchange.templating import localdt

    with app.test_request_context():
        shown = localdt(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), fmt="HH:mm")
        paris = localdt(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), zone="Europe/Paris", fmt="HH:mm")
    assert shown == "13:00"  # Morocco is UTC+1 (outside Ramadan)
    assert paris == "14:00"


def test_ping_and_health_check(client):
    assert client.get("/ping").get_data(as_text=True) == "ok\n"
    assert client.get("/healthz").status_code == 200


def test_health_check_says_503_when_the_database_is_down():
    app = _isolated_app(
        SQLALCHEMY_DATABASE_URI="postgresql+psycopg://nobody@127.0.0.1:1/none",
        PROPAGATE_EXCEPTIONS=False,
    )
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    # The translated page, not a stack trace.
    assert "Traceback" not in response.get_data(as_text=True)


def test_no_stray_percent_sign_in_the_french_catalog():
    """Jinja formats every translated string with ``%``: a lone "%" (e.g. "15 %") breaks the
    page. Write "pour cent" (or use a placeholder)."""
    import re
    from pathlib import Path

    from babel.messages.pofile import read_po

    path = Path("mnc_exchange/translations/fr/LC_MESSAGES/messages.po")
    catalog = read_po(path.open("rb"))
    lone = re.compile(r"%(?!\([a-z_]+\)[sd]|[sd%])")
    offenders = []
    for message in catalog:
        if not message.id:
            continue
        texts = message.string if isinstance(message.string, tuple) else (message.string,)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        offenders += [t for t in (*texts, *ids) if t and lone.search(t)]
    assert not offenders


def test_every_menu_entry_points_to_a_route(app):
    """The menu hides entries whose endpoint does not exist: a typo would hide a page."""
    import re
    from pathlib import Path

    text = Path("templates/_nav.html").read_text(encoding="utf-8")
    endpoints = re.findall(r"\{\{ (?:item|entry)\('([a-z_.]+)'", text)
    assert len(endpoints) > 20
    missing = [e for e in endpoints if e not in app.view_functions]
    assert not missing


def test_behind_a_proxy_the_client_address_comes_from_x_forwarded_for():
    from flask import request

    app = _isolated_app(PROXY_COUNT=1)

    @app.route("/whoami")
    def whoami():
        return request.remote_addr

    client = app.test_client()
    response = client.get("/whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.get_data(as_text=True) == "203.0.113.7"
    # Without a declared proxy, the header is ignored (it could be forged).
    plain = _isolated_app()
    plain.add_url_rule("/whoami", "whoami", lambda: request.remote_addr)
    response = plain.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.7"})
    assert response.get_data(as_text=True) != "203.0.113.7"
