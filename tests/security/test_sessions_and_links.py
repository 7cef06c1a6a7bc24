"""Issue 13 §2 and §3: links come from SERVER_BASE_URL; logout and password changes end
sessions everywhere; spoofed headers are not trusted.

Each test replays an attack that worked before: a reset link pointing at the attacker's host,
a remember cookie or a copied session cookie that outlived a logout or a password change, a
session moved to another address by forging X-Forwarded-For, X-Forwarded-Host trusted.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask import request
from sqlalchemy import select

from mnc_exchange import create_app
from mnc_exchange.accounts.models import Role, UserSession
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.templating import external_url
from tests.factories import PASSWORD, UserFactory

BASE = "https://exchange.example.ma"
NEW_PASSWORD = "an-entirely-new-passphrase"
PRODUCTION = {
    "CONFIG_NAME": "production",
    "SQLALCHEMY_DATABASE_URI": "sqlite://",
    "REDIS_URL": "redis://127.0.0.1:6379/0",  # production refuses per-process rate limits
}


def _login(client, user, remember=False, **kwargs):
    data = {"email": user.email, "password": PASSWORD}
    if remember:
        data["remember"] = "y"
    response = client.post("/login", data=data, **kwargs)
    assert response.status_code == 302, response.data[:300]
    return response


def _logged_in(client, **kwargs) -> bool:
    response = client.get("/dashboard", **kwargs)
    return response.status_code == 200


def _copy_cookie(source, target, name: str) -> None:
    cookie = source.get_cookie(name)
    assert cookie is not None, f"no {name} cookie"
    target.set_cookie(name, cookie.value)


# --- §2 links and hosts ----------------------------------------------------------------------


def test_reset_link_ignores_the_host_header(client, app):
    app.config["SERVER_BASE_URL"] = BASE
    try:
        user = UserFactory(email="victim@example.org")
        response = client.post(
            "/password/forgot",
            data={"email": user.email},
            headers={"Host": "evil.example.com"},
        )
        assert response.status_code == 302
        message = db.session.scalar(
            select(OutboxMessage).where(OutboxMessage.recipient == user.email)
        )
        assert "evil.example.com" not in message.body_text
        assert re.search(re.escape(BASE) + r"/password/reset/\S+", message.body_text)
    finally:
        app.config["SERVER_BASE_URL"] = "http://127.0.0.1:5000"


def test_every_external_link_is_built_on_server_base_url(app):
    """E-mails (invitations, tutor evaluation links…) and PDFs (verification URL, QR code)
    all go through external_url: inside a request for another host it still uses the base."""
    app.config["SERVER_BASE_URL"] = BASE + "/"
    try:
        with app.test_request_context("/", base_url="http://evil.example.com"):
            assert external_url("verify.check", code="ABC") == BASE + "/verify/ABC"
            assert external_url("evaluation.form", token="t0k").startswith(BASE + "/")
            assert external_url("company.join", token="t0k").startswith(BASE + "/join/")
    finally:
        app.config["SERVER_BASE_URL"] = "http://127.0.0.1:5000"


def test_production_refuses_to_start_without_server_base_url(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.delenv("SERVER_BASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="SERVER_BASE_URL"):
        create_app(dict(PRODUCTION))


def test_production_answers_only_for_its_own_host(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("SERVER_BASE_URL", BASE)
    app = create_app(dict(PRODUCTION))
    assert app.config["TRUSTED_HOSTS"] == ["exchange.example.ma"]
    client = app.test_client()
    assert client.get("/ping", headers={"Host": "exchange.example.ma"}).status_code == 200
    refused = client.get("/ping", headers={"Host": "evil.example.com"})
    assert refused.status_code == 400


def test_trusted_hosts_refuse_other_hosts_with_the_error_page(client, app):
    app.config["TRUSTED_HOSTS"] = ["localhost"]
    try:
        assert client.get("/login").status_code == 200
        response = client.get("/login", headers={"Host": "evil.example.com"})
        assert response.status_code == 400
        assert "evil.example.com" not in response.get_data(as_text=True)
    finally:
        app.config["TRUSTED_HOSTS"] = None


def test_behind_one_proxy_only_for_and_proto_are_trusted(tmp_path):
    app = create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": "sqlite://",
            "UPLOAD_FOLDER": str(tmp_path),
            "PROXY_COUNT": 1,
        }
    )

    @app.route("/_whoami")
    def whoami():
        return f"{request.remote_addr}|{request.host}|{request.scheme}|{request.script_root}"

    response = app.test_client().get(
        "/_whoami",
        headers={
            # The client forged the first address; nginx appended the real one.
            "X-Forwarded-For": "198.51.100.1, 203.0.113.7",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "evil.example.com",
            "X-Forwarded-Port": "8443",
            "X-Forwarded-Prefix": "/evil",
        },
    )
    addr, host, scheme, root = response.get_data(as_text=True).split("|")
    assert addr == "203.0.113.7"
    assert scheme == "https"
    assert host == "localhost"
    assert root == ""


# --- §3 sessions -----------------------------------------------------------------------------


def test_remember_cookie_dies_at_logout(app, client):
    user = UserFactory()
    _login(client, user, remember=True)
    thief = app.test_client()
    _copy_cookie(client, thief, "remember_token")
    assert _logged_in(thief)  # the stolen cookie works while the session is open
    client.post("/logout")
    other = app.test_client()
    _copy_cookie(thief, other, "remember_token")
    assert not _logged_in(other)


def test_remember_cookie_dies_at_password_change(app, client):
    user = UserFactory()
    _login(client, user, remember=True)
    thief = app.test_client()
    _copy_cookie(client, thief, "remember_token")
    response = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302
    fresh = app.test_client()
    _copy_cookie(thief, fresh, "remember_token")
    assert not _logged_in(fresh, environ_base={"REMOTE_ADDR": "198.51.100.9"})
    # The browser that changed the password stays logged in, on a new session.
    assert _logged_in(client)


def test_copied_session_cookie_dies_at_logout(app, client):
    user = UserFactory()
    _login(client, user)
    thief = app.test_client()
    _copy_cookie(client, thief, "session")
    assert _logged_in(thief)
    client.post("/logout")
    assert not _logged_in(thief)


def test_log_out_of_all_devices(app, client):
    user = UserFactory()
    laptop, phone = client, app.test_client()
    _login(laptop, user, remember=True)
    _login(phone, user, remember=True)
    page = laptop.get("/account/password").get_data(as_text=True)
    assert "/account/logout-everywhere" in page
    response = laptop.post("/account/logout-everywhere")
    assert response.status_code == 302
    assert not _logged_in(phone)
    assert not _logged_in(laptop)
    # Neither remember cookie brings a session back.
    again = app.test_client()
    _copy_cookie(phone, again, "remember_token")
    assert not _logged_in(again)
    assert (
        db.session.scalars(select(UserSession).where(UserSession.revoked_at.is_(None))).all() == []
    )


def test_deactivation_ends_every_session(app, client, auth):
    user = UserFactory()
    victim = app.test_client()
    _login(victim, user, remember=True)
    auth.as_role(Role.admin)
    assert client.post(f"/admin/users/{user.id}/deactivate").status_code == 302
    assert not _logged_in(victim)
    rows = db.session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    assert rows and all(row.revoked_at is not None for row in rows)


def test_forged_x_forwarded_for_does_not_carry_a_session_to_another_address(app, client):
    user = UserFactory()
    _login(client, user, environ_base={"REMOTE_ADDR": "192.0.2.10"})
    assert _logged_in(client, environ_base={"REMOTE_ADDR": "192.0.2.10"})
    thief = app.test_client()
    _copy_cookie(client, thief, "session")
    stolen = thief.get(
        "/dashboard",
        environ_base={"REMOTE_ADDR": "198.51.100.66"},
        headers={"X-Forwarded-For": "192.0.2.10"},
    )
    assert stolen.status_code != 200


def test_cookies_carry_a_token_whose_hash_only_is_stored(client):
    user = UserFactory()
    _login(client, user, remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert cookie.expires is not None
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    assert row.remember is True
    assert row.expires_at - row.created_at <= timedelta(days=30)
    token = cookie.value.split("|")[0]
    assert str(user.id) != token
    assert row.token_hash != token and len(row.token_hash) == 64


def test_remember_cookie_settings_in_production(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "a-real-secret")
    monkeypatch.setenv("SERVER_BASE_URL", BASE)
    app = create_app(dict(PRODUCTION))
    cfg = app.config
    assert cfg["REMEMBER_COOKIE_SECURE"] is True
    assert cfg["REMEMBER_COOKIE_HTTPONLY"] is True
    assert cfg["REMEMBER_COOKIE_SAMESITE"] == "Lax"
    assert cfg["REMEMBER_COOKIE_DURATION"] <= timedelta(days=30)


def test_expired_server_session_is_refused(client):
    user = UserFactory()
    _login(client, user)
    row = db.session.scalar(select(UserSession).where(UserSession.user_id == user.id))
    row.expires_at = row.created_at - timedelta(seconds=1)
    db.session.commit()
    assert not _logged_in(client)
