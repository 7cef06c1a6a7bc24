"""Registration, login, throttling, logout, password change and reset, redirects."""

from __future__ import annotations

import re

import pytest
from flask import current_app
from sqlalchemy import select

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.accounts.services import make_reset_token
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory
from tests.registration import confirm_address

NEW_PASSWORD = "another-long-passphrase"


def _register(client, url="/register", **overrides):
    data = {
        "full_name": "Salma El Idrissi",
        "email": "Salma@Example.ORG",
        "password": "un-mot-de-passe-solide",
        "confirm": "un-mot-de-passe-solide",
    }
    data.update(overrides)
    return client.post(url, data=data)


def test_student_registers_confirms_the_address_and_sees_dashboard(client):
    response = _register(client)
    assert response.status_code == 302 and response.location.endswith("/register/sent")
    user = db.session.scalar(select(User))
    assert user.email == "salma@example.org"  # stored lower-case
    assert user.role is Role.student and not user.is_pending
    assert user.email_confirmed_at is None
    assert client.get("/dashboard").status_code == 302  # not logged in
    confirm_address(client, "salma@example.org")
    login = client.post(
        "/login", data={"email": "salma@example.org", "password": "un-mot-de-passe-solide"}
    )
    assert login.status_code == 302 and login.location.endswith("/dashboard")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Salma El Idrissi" in page


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"email": "not-an-email"}, "adresse e-mail valide"),
        ({"password": "short", "confirm": "short"}, "au moins 12 caractères"),
        ({"confirm": "something-else-entirely"}, "Les deux mots de passe"),
        ({"full_name": ""}, "nom complet"),
        ({"password": "password1234", "confirm": "password1234"}, "trop courant"),
    ],
)
def test_registration_refuses_bad_input_with_french_message(client, overrides, message):
    response = _register(client, **overrides)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None


def test_registration_email_is_unique_case_insensitively(client):
    UserFactory(email="salma@example.org")
    response = _register(client, email="SALMA@example.org")
    # The same answer as for a new address; the owner is told by e-mail.
    assert response.status_code == 302 and response.location.endswith("/register/sent")
    assert "existe déjà" not in client.get("/register/sent").get_data(as_text=True)
    assert len(db.session.scalars(select(User)).all()) == 1
    (message,) = db.session.scalars(select(OutboxMessage)).all()
    assert message.recipient == "salma@example.org" and "existe déjà" in message.subject


HOST_COMPANY = {
    "legal_name": "Entreprise Exemple SAS",
    "siret": "732 829 320 00074",
    "naf_code": "62.01Z",
    "address": "10 rue de la Paix",
    "postcode": "75002",
    "city": "Paris",
    "headcount": "120",
    "sector": "Services numériques",
}


def test_host_registration_stays_pending_until_approved(client, app):
    coordinator = UserFactory(role=Role.coordinator)
    response = _register(client, url="/register/host", email="rh@entreprise.fr", **HOST_COMPANY)
    assert response.status_code == 302
    host = db.session.scalar(select(User).where(User.email == "rh@entreprise.fr"))
    assert host.role is Role.host and host.is_pending and host.company_id is not None
    confirm_address(client, "rh@entreprise.fr")
    client.post("/login", data={"email": "rh@entreprise.fr", "password": "un-mot-de-passe-solide"})
    page = client.get("/dashboard").get_data(as_text=True)
    assert 'id="pending-notice"' in page
    # A pending host cannot act: the coordinator pages are refused.
    assert client.get("/hosts/pending").status_code == 403
    # The coordinators were told.
    assert db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == coordinator.email)
    )
    # A coordinator approves the company, and with it its contact.
    staff = app.test_client()
    staff.post("/login", data={"email": coordinator.email, "password": PASSWORD})
    assert host.full_name in staff.get("/hosts/pending").get_data(as_text=True)
    assert staff.post(f"/companies/{host.company_id}/approve").status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, host.id).is_pending
    assert "pending-notice" not in client.get("/dashboard").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.approve"))


def test_host_contact_without_company_is_approved_alone(client, app):
    """Contacts registered before companies existed are still approved one by one."""
    host = UserFactory(role=Role.host, approved_at=None)
    coordinator = UserFactory(role=Role.coordinator)
    client.post("/login", data={"email": host.email, "password": PASSWORD})
    assert 'id="pending-notice"' in client.get("/dashboard").get_data(as_text=True)
    staff = app.test_client()
    staff.post("/login", data={"email": coordinator.email, "password": PASSWORD})
    assert host.full_name in staff.get("/hosts/pending").get_data(as_text=True)
    assert staff.post(f"/hosts/{host.id}/approve").status_code == 302
    db.session.expire_all()
    assert not db.session.get(User, host.id).is_pending
    assert "pending-notice" not in client.get("/dashboard").get_data(as_text=True)
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "user.approve"))


def test_login_success_and_audit(client):
    user = UserFactory(email="k@example.org")
    response = client.post("/login", data={"email": "K@Example.org", "password": PASSWORD})
    assert response.status_code == 302 and response.location.endswith("/dashboard")
    assert db.session.scalar(
        select(AuditEvent).where(AuditEvent.action == "auth.login", AuditEvent.target_id == user.id)
    )


def test_wrong_password_and_unknown_email_say_the_same(client):
    UserFactory(email="k@example.org")
    wrong = client.post("/login", data={"email": "k@example.org", "password": "nope-nope-nope"})
    unknown = client.post("/login", data={"email": "x@example.org", "password": "nope-nope-nope"})
    assert wrong.status_code == unknown.status_code == 200
    message = "Adresse e-mail ou mot de passe incorrect"
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    failed = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login_failed")
    ).all()
    assert len(failed) == 2


def test_inactive_user_cannot_log_in(client):
    user = UserFactory(active=False)
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200
    assert "incorrect" in response.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302


def test_deactivated_user_is_logged_out_on_next_request(client, auth):
    user = auth.as_role("student")
    assert client.get("/dashboard").status_code == 200
    user.active = False
    db.session.commit()
    assert client.get("/dashboard").status_code == 302


def test_login_is_throttled(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "3 per minute")
    for _ in range(3):
        client.post("/login", data={"email": "x@example.org", "password": "whatever-long"})
    response = client.post("/login", data={"email": "x@example.org", "password": "whatever-long"})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    # Reading the page is not throttled.
    assert client.get("/login").status_code == 200


@pytest.mark.parametrize(
    "target, safe",
    [
        ("/cohorts/", True),
        ("https://evil.example.com/", False),
        ("//evil.example.com/", False),
        ("/\\evil.example.com", False),
        ("javascript:alert(1)", False),
        ("http:/evil.example.com", False),
    ],
)
def test_next_redirect_only_goes_to_this_site(client, target, safe):
    user = UserFactory(role=Role.coordinator)
    response = client.post(
        "/login", query_string={"next": target}, data={"email": user.email, "password": PASSWORD}
    )
    assert response.status_code == 302
    if safe:
        assert response.location == target
    else:
        assert response.location.endswith("/dashboard")


def test_logout(client, auth):
    auth.as_role("student")
    assert client.post("/logout").status_code == 302
    assert client.get("/dashboard").status_code == 302


def test_logout_needs_post(client, auth):
    auth.as_role("student")
    assert client.get("/logout").status_code == 405


def test_change_password(client, auth):
    user = auth.as_role("student")
    bad = client.post(
        "/account/password",
        data={
            "current_password": "wrong-wrong-wrong",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert "Votre mot de passe actuel" in bad.get_data(as_text=True)
    good = client.post(
        "/account/password",
        data={"current_password": PASSWORD, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert good.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)


def _reset_link(recipient: str) -> str:
    message = db.session.scalar(
        select(OutboxMessage)
        .where(OutboxMessage.recipient == recipient)
        .order_by(OutboxMessage.id.desc())
    )
    base = re.escape(current_app.config["SERVER_BASE_URL"])
    return re.search(base + r"(/password/reset/\S+)", message.body_text).group(1)


def test_password_reset_round_trip_single_use(client):
    user = UserFactory(email="reset@example.org")
    response = client.post("/password/forgot", data={"email": "reset@example.org"})
    assert response.status_code == 302
    link = _reset_link("reset@example.org")
    assert client.get(link).status_code == 200
    response = client.post(link, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)
    # The same link cannot be used twice.
    again = client.post(
        link,
        data={"password": "yet-another-passphrase", "confirm": "yet-another-passphrase"},
        follow_redirects=True,
    )
    assert "déjà été utilisé" in again.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).check_password(NEW_PASSWORD)


def test_password_reset_does_not_reveal_unknown_email(client):
    UserFactory(email="known@example.org")
    known = client.post(
        "/password/forgot", data={"email": "known@example.org"}, follow_redirects=True
    )
    unknown = client.post(
        "/password/forgot", data={"email": "unknown@example.org"}, follow_redirects=True
    )
    assert known.status_code == unknown.status_code == 200
    flash = "Si un compte existe"
    assert flash in known.get_data(as_text=True) and flash in unknown.get_data(as_text=True)
    recipients = db.session.scalars(select(OutboxMessage.recipient)).all()
    assert recipients == ["known@example.org"]


def test_password_reset_token_tampered(client):
    user = UserFactory()
    token = make_reset_token(user)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.get(f"/password/reset/{tampered}", follow_redirects=True)
    assert "pas valide" in response.get_data(as_text=True)


def test_password_reset_token_expired(client, app, monkeypatch):
    user = UserFactory()
    token = make_reset_token(user)
    monkeypatch.setitem(app.config, "PASSWORD_RESET_MAX_AGE", -1)
    response = client.get(f"/password/reset/{token}", follow_redirects=True)
    assert "expiré" in response.get_data(as_text=True)


def test_password_reset_refused_for_inactive_user(client):
    user = UserFactory(active=False)
    client.post("/password/forgot", data={"email": user.email})
    assert db.session.scalar(select(OutboxMessage)) is None


def test_language_switch_to_english_and_back(client, auth):
    assert "Se connecter" in client.get("/login").get_data(as_text=True)
    client.post("/language", data={"lang": "en", "next": "/login"})
    assert "Log in" in client.get("/login").get_data(as_text=True)
    user = auth.as_role("student")
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "fr"  # the account keeps its own language
    client.post("/language", data={"lang": "en", "next": "/dashboard"})
    db.session.expire_all()
    assert db.session.get(User, user.id).locale == "en"
    assert "Dashboard" in client.get("/dashboard").get_data(as_text=True)
