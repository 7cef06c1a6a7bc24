"""Account enumeration through self-registration (issue 13 §6) and the rate limits of the
registration forms (§5).

``/register`` and ``/register/host`` answer the same whether the address already has an account
or not: a new address gets an unconfirmed account and a "confirm your address" e-mail, a known
one gets nothing created and an e-mail to its owner. Nobody is logged in by registering.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, null, select, update

from mnc_exchange.accounts import services as accounts
from mnc_exchange.accounts.models import Role, User
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.hosts.models import Company
from mnc_exchange.mail.models import OutboxMessage
from tests.factories import PASSWORD, CompanyFactory, UserFactory
from tests.registration import confirm_address, confirm_path

NEW_PASSWORD = "une-phrase-de-passe-longue"
KNOWN = "connue@exemple.fr"
UNKNOWN = "inconnue@exemple.fr"

STUDENT = {"full_name": "Salma El Idrissi", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
HOST = STUDENT | {
    "legal_name": "Exemple Numérique SAS",
    "siret": "732 829 320 00074",
    "naf_code": "62.01Z",
    "address": "10 rue de la Paix",
    "postcode": "75002",
    "city": "Paris",
    "headcount": "45",
    "sector": "Édition de logiciels",
}
CSRF = re.compile(r'<input[^>]*name="csrf_token"[^>]*>')


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def outbox() -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def answer(app, url: str, data: dict) -> tuple[int, str, str, bool]:
    """Register from a fresh browser: the status and target of the answer, the page it leads
    to (its flash included, the CSRF token left out), and whether the browser is logged in."""
    client = app.test_client()
    response = client.post(url, data=data)
    page = client.get(response.location) if response.status_code == 302 else response
    logged_in = client.get("/dashboard").status_code == 200
    return (
        response.status_code,
        response.location,
        CSRF.sub("", page.get_data(as_text=True)),
        logged_in,
    )


def log_in(client, email: str, password: str = NEW_PASSWORD):
    return client.post("/login", data={"email": email, "password": password})


# --- the same answer for a known and an unknown address ---------------------------------------


@pytest.mark.parametrize("url, form", [("/register", STUDENT), ("/register/host", HOST)])
def test_known_and_unknown_addresses_get_the_same_page_and_nobody_is_logged_in(app, url, form):
    UserFactory(email=KNOWN, full_name="Déjà Inscrite")
    known = answer(app, url, form | {"email": KNOWN.upper()})
    unknown = answer(app, url, form | {"email": UNKNOWN})
    assert known[0] == unknown[0] == 302
    assert known[1] == unknown[1]
    assert known[2] == unknown[2]  # byte for byte: the flash and the page
    assert "Presque terminé" in known[2] and "Consultez votre messagerie" in known[2]
    assert "existe déjà" not in known[2]
    assert known[3] is unknown[3] is False


def test_a_known_address_creates_nothing_and_tells_its_owner(client):
    owner = UserFactory(email=KNOWN, full_name="Déjà Inscrite", locale="en")
    before = owner.password_hash
    client.post("/register", data=STUDENT | {"email": KNOWN})
    assert count(User) == 1
    db.session.expire_all()
    assert db.session.get(User, owner.id).password_hash == before
    (message,) = outbox()
    assert message.recipient == KNOWN
    assert message.subject == "Your MNC Exchange account already exists"  # the owner's language
    assert "/login" in message.body_text and "/password/forgot" in message.body_text
    assert "/register/confirm/" not in message.body_text


def test_an_unknown_address_gets_an_unconfirmed_account_and_one_confirmation_email(client):
    client.post("/register", data=STUDENT | {"email": UNKNOWN})
    user = db.session.scalar(select(User))
    assert user.email == UNKNOWN and user.email_confirmed_at is None
    (message,) = outbox()
    assert message.recipient == UNKNOWN
    assert message.subject == "Confirmez votre adresse e-mail pour MNC Exchange"
    assert "/register/confirm/" in message.body_text and "48 heures" in message.body_text
    # The link is built on SERVER_BASE_URL, never on the request's Host.
    assert message.body_text.count(client.application.config["SERVER_BASE_URL"]) == 1


def test_repeated_attempts_on_a_known_address_send_one_email_per_ten_minutes(client):
    UserFactory(email=KNOWN)
    for _ in range(3):
        response = client.post("/register", data=STUDENT | {"email": KNOWN})
        assert response.status_code == 302
    assert len(outbox()) == 1
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.action == "auth.register_attempt_sent")
        .values(created_at=utcnow() - timedelta(minutes=11))
    )
    db.session.commit()
    client.post("/register", data=STUDENT | {"email": KNOWN})
    assert [m.recipient for m in outbox()] == [KNOWN, KNOWN]


def test_a_known_address_on_the_host_form_creates_no_company(client):
    coordinator = UserFactory(role=Role.coordinator)
    UserFactory(email=KNOWN)
    response = client.post("/register/host", data=HOST | {"email": KNOWN})
    assert response.status_code == 302
    assert count(Company) == 0 and count(User) == 2
    assert [m.recipient for m in outbox()] == [KNOWN]
    assert coordinator.email not in [m.recipient for m in outbox()]


def test_the_password_is_hashed_for_a_known_address_too(client, monkeypatch):
    """The same costly work either way, so that the time taken tells nothing."""
    from mnc_exchange.accounts import models, services

    calls = []

    def counting(real):
        return lambda *args, **kwargs: calls.append(1) or real(*args, **kwargs)

    monkeypatch.setattr(models, "generate_password_hash", counting(models.generate_password_hash))
    monkeypatch.setattr(
        services, "generate_password_hash", counting(services.generate_password_hash)
    )
    UserFactory(email=KNOWN)
    calls.clear()
    client.post("/register", data=STUDENT | {"email": KNOWN})
    known = len(calls)
    calls.clear()
    client.post("/register", data=STUDENT | {"email": UNKNOWN})
    assert known == len(calls) == 1


def test_form_errors_are_still_shown_but_never_that_the_address_is_known(client):
    UserFactory(email=KNOWN)
    response = client.post("/register", data=STUDENT | {"email": KNOWN, "confirm": "autre-chose"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Les deux mots de passe" in page and "existe déjà" not in page
    assert outbox() == []


def test_a_siret_already_registered_is_still_refused_whatever_the_address(client):
    CompanyFactory(siret="73282932000074")
    UserFactory(email=KNOWN)
    pages = []
    for email in (KNOWN, UNKNOWN):
        response = client.post("/register/host", data=HOST | {"email": email})
        assert response.status_code == 400
        pages.append(response.get_data(as_text=True).replace(email, "…"))
    assert "Une entreprise avec ce numéro SIRET est déjà inscrite." in pages[0]
    assert pages[0] == pages[1]  # nothing about the address
    assert count(Company) == 1 and count(User) == 1 and outbox() == []


# --- confirmation --------------------------------------------------------------------------------


def test_the_new_account_can_log_in_only_after_confirming(client):
    client.post("/register", data=STUDENT | {"email": UNKNOWN})
    refused = log_in(client, UNKNOWN)
    assert refused.status_code == 200
    assert "pas encore confirmée" in refused.get_data(as_text=True)
    assert client.get("/dashboard").status_code == 302
    user = db.session.scalar(select(User))
    assert user.last_login_at is None

    # Opening the link shows a button: a mail scanner that opens links confirms nothing.
    path = confirm_path(UNKNOWN)
    page = client.get(path)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is None
    response = client.post(path, follow_redirects=True)
    assert "Votre adresse e-mail est confirmée" in response.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is not None

    assert log_in(client, UNKNOWN).status_code == 302
    assert client.get("/dashboard").status_code == 200


def test_a_confirmation_link_works_once(client, app):
    client.post("/register", data=STUDENT | {"email": UNKNOWN})
    path = confirm_path(UNKNOWN)
    confirm_address(client, UNKNOWN)
    confirmed_at = db.session.scalar(select(User.email_confirmed_at))
    other = app.test_client()
    for response in (other.get(path), other.post(path)):
        assert response.status_code == 400
        assert "déjà été utilisé" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.email_confirmed_at)) == confirmed_at
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.email_confirmed")
    ).all()
    assert len(events) == 1


def test_an_expired_link_confirms_nothing_and_offers_a_new_one(client, app, monkeypatch):
    client.post("/register", data=STUDENT | {"email": UNKNOWN})
    path = confirm_path(UNKNOWN)
    monkeypatch.setitem(app.config, "EMAIL_CONFIRM_MAX_AGE", -1)
    for response in (client.get(path), client.post(path)):
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert "expiré" in page and 'id="resend-form"' in page
        assert f'value="{UNKNOWN}"' in page  # the address, for the new-link button
    assert db.session.scalar(select(User.email_confirmed_at)) is None


def test_a_tampered_link_is_refused(client):
    user = UserFactory(email=UNKNOWN, email_confirmed_at=null())
    token = accounts.make_confirm_token(user)
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = client.post(f"/register/confirm/{tampered}")
    assert response.status_code == 400
    assert "pas valide" in response.get_data(as_text=True)
    assert db.session.scalar(select(User.email_confirmed_at)) is None


def test_the_coordinators_hear_of_a_host_at_confirmation_not_before(client):
    coordinator = UserFactory(role=Role.coordinator)
    client.post("/register/host", data=HOST | {"email": UNKNOWN})
    assert [m.recipient for m in outbox()] == [UNKNOWN]
    confirm_address(client, UNKNOWN)
    to_coordinator = [m for m in outbox() if m.recipient == coordinator.email]
    assert len(to_coordinator) == 1
    assert "Exemple Numérique SAS" in to_coordinator[0].body_text


def test_login_on_an_unconfirmed_account_resends_the_link_at_most_every_ten_minutes(client):
    client.post("/register", data=STUDENT | {"email": UNKNOWN})
    assert len(outbox()) == 1
    # Just registered: the first link is recent, no second one.
    response = log_in(client, UNKNOWN)
    assert "il y a moins de 10 minutes" in response.get_data(as_text=True)
    assert len(outbox()) == 1
    # Eleven minutes later, a login sends a new link, once.
    db.session.execute(
        update(AuditEvent)
        .where(AuditEvent.action == "auth.confirm_sent")
        .values(created_at=utcnow() - timedelta(minutes=11))
    )
    db.session.commit()
    response = log_in(client, UNKNOWN)
    assert "nouveau lien de confirmation" in response.get_data(as_text=True)
    assert len(outbox()) == 2 and outbox()[-1].recipient == UNKNOWN
    log_in(client, UNKNOWN)
    assert len(outbox()) == 2
    # A wrong password says only "incorrect" and sends nothing.
    response = log_in(client, UNKNOWN, "pas-le-bon-mot-de-passe")
    assert "incorrect" in response.get_data(as_text=True) and len(outbox()) == 2
    # The newest link works.
    confirm_address(client, UNKNOWN)
    assert log_in(client, UNKNOWN).status_code == 302


def test_asking_for_a_new_link_answers_the_same_for_any_address(app):
    UserFactory(email=KNOWN)
    pages = []
    for email in (KNOWN, UNKNOWN, "personne@exemple.fr"):
        client = app.test_client()
        if email == UNKNOWN:
            client.post("/register", data=STUDENT | {"email": UNKNOWN}, follow_redirects=True)
        response = client.post("/register/confirm", data={"email": email}, follow_redirects=True)
        pages.append(CSRF.sub("", response.get_data(as_text=True)))
    assert pages[0] == pages[1] == pages[2]
    assert "Si un compte en attente de confirmation" in pages[0]
    # Only the registration's own link went out (the last one is less than 10 minutes old).
    assert [m.recipient for m in outbox()] == [UNKNOWN]


def test_a_password_reset_confirms_the_address(client):
    """The owner of an address someone else registered takes the account back by a reset."""
    client.post("/register", data=STUDENT | {"email": UNKNOWN})
    assert db.session.scalar(select(User.email_confirmed_at)) is None
    client.post("/password/forgot", data={"email": UNKNOWN})
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+)", outbox()[-1].body_text).group(1)
    client.post(link, data={"password": PASSWORD, "confirm": PASSWORD})
    assert db.session.scalar(select(User.email_confirmed_at)) is not None
    assert log_in(client, UNKNOWN, PASSWORD).status_code == 302


# --- rate limits ---------------------------------------------------------------------------------


def _invitation_token(client) -> str:
    company = CompanyFactory()
    host = UserFactory(role=Role.host, company_id=company.id)
    assert log_in(client, host.email, PASSWORD).status_code == 302
    client.post("/company/invitations", data={"email": "collegue@exemple.fr"})
    client.post("/logout")
    return re.search(r"/join/([A-Za-z0-9_\-]+)", outbox()[-1].body_text).group(1)


@pytest.mark.parametrize(
    "url", ["/register", "/register/host", "/register/confirm", "/join/{token}"]
)
def test_registration_forms_are_rate_limited(client, app, monkeypatch, url):
    if "{token}" in url:
        url = url.format(token=_invitation_token(client))
    monkeypatch.setitem(app.config, "REGISTER_RATE_LIMIT", "3 per minute")
    data = {"email": "not-an-email", "password": "x", "confirm": "y", "full_name": ""}
    for _ in range(3):
        assert client.post(url, data=data).status_code != 429
    response = client.post(url, data=data)
    assert response.status_code == 429
    assert "Trop de tentatives" in response.get_data(as_text=True)
    if url != "/register/confirm":
        assert client.get(url).status_code == 200  # reading the form is not limited
