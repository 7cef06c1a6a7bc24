"""Host companies through HTTP: registration with the company, approval and refusal by a
coordinator, the company's pages (data, tutors, invitations), joining by invitation, and the
coordinators' list of companies.

Clients are switched to English to assert on text; every test also checks the database.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.hosts.models import Company, CompanyInvitation, CompanyStatus, Tutor
from mnc_exchange.mail.models import OutboxMessage
from tests.conftest import count_queries
from tests.factories import (
    PASSWORD,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    TutorFactory,
    UserFactory,
)
from tests.registration import confirm_address

NEW_PASSWORD = "une-phrase-de-passe-longue"

REGISTRATION = {
    "full_name": "Julie Durand",
    "email": "Julie.Durand@Exemple-Entreprise.fr",
    "password": NEW_PASSWORD,
    "confirm": NEW_PASSWORD,
    "legal_name": "Exemple Numérique SAS",
    "siret": "732 829 320 00074",
    "naf_code": "62.01z",
    "address": "10 rue de la Paix",
    "postcode": "75002",
    "city": "Paris",
    "headcount": "45",
    "sector": "Édition de logiciels",
    "mnc_member": "y",
    "representative_name": "Claire Martin",
    "representative_title": "Présidente",
}


# --- helpers ---------------------------------------------------------------------------------


def english(client) -> None:
    client.post("/language", data={"lang": "en", "next": "/"})


def login(client, user) -> None:
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 302


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def text(response) -> str:
    return response.get_data(as_text=True)


def outbox_to(email: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == email)))


def pending_company_with_contact(**attrs):
    company = CompanyFactory(status=CompanyStatus.pending, approved_at=None, **attrs)
    contact = UserFactory(role=Role.host, approved_at=None, company_id=company.id, locale="en")
    return company, contact


@pytest.fixture
def host(auth):
    """An approved contact of an approved company, logged in, speaking English."""
    company = CompanyFactory(legal_name="Atlas Logiciels SARL")
    return auth.as_role("host", locale="en", company_id=company.id)


@pytest.fixture
def coordinator(auth):
    return auth.as_role("coordinator", locale="en")


def invite(client, email="colleague@exemple-entreprise.fr") -> str:
    """Invite ``email`` as the logged-in host; returns the raw token read from the e-mail."""
    response = client.post("/company/invitations", data={"email": email})
    assert response.status_code == 302, text(response)[:500]
    message = outbox_to(email)[-1]
    match = re.search(r"/join/([A-Za-z0-9_\-]+)", message.body_text)
    assert match, message.body_text
    return match.group(1)


# --- registration ----------------------------------------------------------------------------


def test_registration_creates_a_pending_company_and_contact_and_tells_coordinators(client):
    coordinator = UserFactory(role=Role.coordinator)
    english(client)
    response = client.post("/register/host", data=REGISTRATION)
    assert response.status_code == 302 and response.location.endswith("/register/sent")

    company = db.session.scalar(select(Company))
    assert company.status is CompanyStatus.pending
    assert company.siret == "73282932000074"
    assert company.naf_code == "6201Z"
    assert company.headcount == 45 and company.mnc_member is True
    assert company.representative_name == "Claire Martin"
    contact = db.session.scalar(select(User).where(User.role == Role.host))
    assert contact.email == "julie.durand@exemple-entreprise.fr"
    assert contact.company_id == company.id and contact.is_pending
    assert contact.email_confirmed_at is None
    assert not outbox_to(coordinator.email), "nobody is told before the address is confirmed"
    confirm_address(client, contact.email)
    assert outbox_to(coordinator.email), "the coordinators are told"
    response = client.post("/login", data={"email": contact.email, "password": NEW_PASSWORD})
    assert response.status_code == 302

    page = text(client.get("/dashboard"))
    assert 'id="pending-notice"' in page
    assert "Your company Exemple Numérique SAS is waiting for approval" in page
    # Still pending: the company pages are refused.
    assert client.get("/company").status_code == 403


def test_registration_form_shows_the_company_fields(client):
    english(client)
    page = text(client.get("/register/host"))
    for name in ("legal_name", "siret", "naf_code", "postcode", "headcount", "mnc_member"):
        assert f'name="{name}"' in page
    assert "15 per cent of the headcount" in page  # why the headcount is asked


@pytest.mark.parametrize(
    "siret, message",
    [
        ("73282932000075", "This SIRET is not valid"),  # bad check digit
        ("7328293200007", "This SIRET is not valid"),  # 13 digits
        ("732829320000744", "This SIRET is not valid"),  # 15 digits
        ("73282932OOOO74", "This SIRET is not valid"),  # letters
        ("", "Enter the SIRET"),
    ],
)
def test_registration_refuses_an_invalid_siret_and_creates_nothing(client, siret, message):
    english(client)
    response = client.post("/register/host", data=REGISTRATION | {"siret": siret})
    assert response.status_code == 400
    assert message in text(response)
    assert count(Company) == 0 and count(User) == 0
    assert count(OutboxMessage) == 0


def test_registration_refuses_a_siret_already_registered(client):
    CompanyFactory(siret="73282932000074")
    english(client)
    response = client.post("/register/host", data=REGISTRATION | {"siret": "732 829 320 00074"})
    assert response.status_code == 400
    assert "A company with this SIRET is already registered." in text(response)
    assert count(Company) == 1 and count(User) == 0


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"naf_code": "620Z"}, "A NAF code has 4 digits and a letter"),
        ({"naf_code": "62011"}, "A NAF code has 4 digits and a letter"),
        ({"postcode": "7500"}, "A French postcode has 5 digits."),
        ({"postcode": "75OO2"}, "A French postcode has 5 digits."),
        ({"headcount": "-1"}, "Enter a whole number between 0 and"),
        ({"headcount": ""}, "Enter the number of employees."),
        ({"legal_name": ""}, "Enter the company's legal name."),
        ({"confirm": "something-else-entirely"}, "The two passwords differ."),
    ],
)
def test_registration_validates_every_field(client, overrides, message):
    english(client)
    response = client.post("/register/host", data=REGISTRATION | overrides)
    assert response.status_code == 400
    assert message in text(response)
    assert count(Company) == 0 and count(User) == 0


def test_registration_with_a_taken_email_creates_no_company(client):
    UserFactory(email="julie.durand@exemple-entreprise.fr")
    english(client)
    response = client.post("/register/host", data=REGISTRATION)
    # The same answer as for a new address (the owner is told by e-mail), and nothing created.
    assert response.status_code == 302 and response.location.endswith("/register/sent")
    assert "An account already exists" not in text(client.get("/register/sent"))
    assert count(Company) == 0 and count(User) == 1


def test_headcount_zero_is_accepted(client):
    response = client.post("/register/host", data=REGISTRATION | {"headcount": "0"})
    assert response.status_code == 302 and response.location.endswith("/register/sent")
    assert db.session.scalar(select(Company.headcount)) == 0


# --- approval and refusal --------------------------------------------------------------------


def test_pending_hosts_lists_pending_companies_with_contacts_and_legacy_contacts(
    client, coordinator
):
    english(client)
    company, contact = pending_company_with_contact(legal_name="Attente SAS")
    CompanyFactory(legal_name="Déjà Approuvée SA")
    legacy = UserFactory(role=Role.host, approved_at=None, full_name="Ancien Contact")
    page = text(client.get("/hosts/pending"))
    assert "Attente SAS" in page and contact.email in page
    assert "Déjà Approuvée SA" not in page
    assert f'action="/companies/{company.id}/approve"' in page
    assert f'action="/companies/{company.id}/reject"' in page
    assert "Ancien Contact" in page and f"/hosts/{legacy.id}/approve" in page
    # The coordinator's dashboard counts the pending company.
    assert "1 company waits for approval." in text(client.get("/dashboard"))


def test_approving_a_company_approves_its_contacts_and_emails_them(client, coordinator):
    english(client)
    company, contact = pending_company_with_contact()
    other = UserFactory(role=Role.host, approved_at=None, company_id=company.id)
    response = client.post(f"/companies/{company.id}/approve", data={"next": "/hosts/pending"})
    assert response.status_code == 302 and response.location.endswith("/hosts/pending")
    db.session.expire_all()
    company = db.session.get(Company, company.id)
    assert company.status is CompanyStatus.approved and company.approved_by_id == coordinator.id
    assert not db.session.get(User, contact.id).is_pending
    assert not db.session.get(User, other.id).is_pending
    assert outbox_to(contact.email) and outbox_to(other.email)
    assert "is approved" in text(client.get("/hosts/pending"))
    # Approving twice says so and changes nothing.
    client.post(f"/companies/{company.id}/approve")
    assert len(outbox_to(contact.email)) == 1


def test_the_approved_contact_reaches_the_company_pages(client, app):
    company, contact = pending_company_with_contact()
    login(client, contact)
    assert client.get("/company").status_code == 403
    staff = app.test_client()
    login(staff, UserFactory(role=Role.coordinator))
    staff.post(f"/companies/{company.id}/approve")
    assert client.get("/company").status_code == 200
    page = text(client.get("/dashboard"))
    for link in ("/company/offers", "/company/placements", "/company/tutors", 'href="/company"'):
        assert link in page


def test_refusing_needs_a_reason(client, coordinator):
    english(client)
    company, contact = pending_company_with_contact()
    response = client.post(f"/companies/{company.id}/reject", data={"reason": "   "})
    assert response.status_code == 400
    assert "Give the reason for refusing the company." in text(response)
    db.session.expire_all()
    assert db.session.get(Company, company.id).status is CompanyStatus.pending
    assert outbox_to(contact.email) == []

    reason = "Ce SIRET correspond à une autre entreprise."
    response = client.post(f"/companies/{company.id}/reject", data={"reason": reason})
    assert response.status_code == 302
    db.session.expire_all()
    company = db.session.get(Company, company.id)
    assert company.status is CompanyStatus.rejected and company.rejection_reason == reason
    assert db.session.get(User, contact.id).is_pending
    [message] = outbox_to(contact.email)
    assert reason in message.body_text


def test_an_approved_company_cannot_be_refused(client, coordinator):
    company = CompanyFactory()
    response = client.post(f"/companies/{company.id}/reject", data={"reason": "Trop tard"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Company, company.id).status is CompanyStatus.approved


def test_the_refused_contact_sees_the_reason(client):
    company = CompanyFactory(
        status=CompanyStatus.rejected, approved_at=None, rejection_reason="Hors de France."
    )
    contact = UserFactory(role=Role.host, approved_at=None, company_id=company.id, locale="en")
    login(client, contact)
    page = text(client.get("/dashboard"))
    assert 'id="rejected-notice"' in page and "Hors de France." in page
    assert client.get("/company").status_code == 403


def test_legacy_approve_refuses_a_contact_of_a_company(client, coordinator):
    company, contact = pending_company_with_contact()
    response = client.post(f"/hosts/{contact.id}/approve")
    assert response.status_code == 302
    assert response.location.endswith(f"/companies/{company.id}")
    db.session.expire_all()
    assert db.session.get(User, contact.id).is_pending


# --- the company's pages ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, url",
    [
        ("GET", "/company"),
        ("GET", "/company/edit"),
        ("GET", "/company/tutors"),
        ("POST", "/company/tutors"),
        ("POST", "/company/invitations"),
    ],
)
def test_a_pending_contact_cannot_reach_company_pages(client, method, url):
    company, contact = pending_company_with_contact()
    login(client, contact)
    data = {"full_name": "X", "job_title": "Y", "email": "x@example.fr"}
    response = client.open(url, method=method, data=data)
    assert response.status_code == 403
    assert count(Tutor) == 0 and count(CompanyInvitation) == 0


def test_a_host_without_a_company_gets_an_explanation(client, auth):
    auth.as_role("host", locale="en")
    response = client.get("/company/tutors")
    assert response.status_code == 403
    assert 'id="no-company"' in text(response)
    assert 'id="no-company-notice"' in text(client.get("/dashboard"))


def test_profile_shows_company_contacts_and_invitations(client, host):
    colleague = UserFactory(role=Role.host, company_id=host.company_id, full_name="Omar Tazi")
    invite(client, "nouveau@exemple.fr")
    page = text(client.get("/company"))
    assert "Atlas Logiciels SARL" in page
    assert host.email in page and colleague.email in page
    assert "nouveau@exemple.fr" in page and 'id="open-invitations"' in page


def test_edit_company_revalidates_the_siret(client, host):
    CompanyFactory(siret="55210055400013")
    company = db.session.get(Company, host.company_id)
    data = REGISTRATION | {"legal_name": "Atlas Logiciels SAS", "siret": company.siret}
    for bad, message in (
        ("55210055400014", "This SIRET is not valid"),
        ("552 100 554 00013", "A company with this SIRET is already registered."),
    ):
        response = client.post("/company/edit", data=data | {"siret": bad})
        assert response.status_code == 400 and message in text(response)
        db.session.expire_all()
        assert db.session.get(Company, company.id).legal_name == "Atlas Logiciels SARL"

    # Its own SIRET is not "taken"; a new valid one is stored normalised.
    response = client.post("/company/edit", data=data)
    assert response.status_code == 302
    response = client.post("/company/edit", data=data | {"siret": "443 061 841 00047"})
    assert response.status_code == 302
    db.session.expire_all()
    company = db.session.get(Company, company.id)
    assert company.legal_name == "Atlas Logiciels SAS" and company.siret == "44306184100047"
    assert company.headcount == 45


def test_edit_company_form_is_filled_with_the_company(client, host):
    page = text(client.get("/company/edit"))
    assert 'value="Atlas Logiciels SARL"' in page


# --- invitations -----------------------------------------------------------------------------


def test_an_invitation_works_once_and_the_colleague_joins_approved(client, host, app):
    token = invite(client)
    invitation = db.session.scalar(select(CompanyInvitation))
    assert invitation.company_id == host.company_id and invitation.token_hash != token

    newcomer = app.test_client()
    english(newcomer)
    page = text(newcomer.get(f"/join/{token}"))
    assert "Join Atlas Logiciels SARL" in page and "colleague@exemple-entreprise.fr" in page
    response = newcomer.post(
        f"/join/{token}",
        data={"full_name": "Nadia Berrada", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 302 and response.location.endswith("/dashboard")
    user = db.session.scalar(select(User).where(User.email == "colleague@exemple-entreprise.fr"))
    assert user.role is Role.host and user.company_id == host.company_id
    assert not user.is_pending
    assert user.email_confirmed_at is not None  # the invitation proves the address
    assert user.locale == "en"
    db.session.expire_all()
    assert db.session.get(CompanyInvitation, invitation.id).accepted_at is not None
    # Logged in, with access to the company pages.
    assert newcomer.get("/company").status_code == 200

    # The link works once.
    again = app.test_client()
    english(again)
    response = again.get(f"/join/{token}")
    assert response.status_code == 404
    assert "This invitation has already been used." in text(response)
    response = again.post(
        f"/join/{token}",
        data={"full_name": "Intrus", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 404
    assert count(User) == 2


def test_an_expired_invitation_is_refused(client, host, app):
    token = invite(client)
    invitation = db.session.scalar(select(CompanyInvitation))
    invitation.expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    other = app.test_client()
    english(other)
    response = other.post(
        f"/join/{token}",
        data={"full_name": "Trop Tard", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 404
    assert "This invitation has expired" in text(response)
    assert count(User) == 1
    # The contact sees it expired and can withdraw it.
    assert "expired" in text(client.get("/company"))


def test_a_revoked_invitation_is_refused(client, host, app):
    token = invite(client)
    invitation = db.session.scalar(select(CompanyInvitation))
    response = client.post(f"/company/invitations/{invitation.id}/revoke")
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(CompanyInvitation, invitation.id).revoked_at is not None
    assert 'id="open-invitations"' not in text(client.get("/company"))
    other = app.test_client()
    english(other)
    response = other.get(f"/join/{token}")
    assert response.status_code == 404
    assert "This invitation has been withdrawn." in text(response)


def test_a_tampered_token_is_refused(client, host, app):
    token = invite(client)
    other = app.test_client()
    english(other)
    for bad in (token[:-1] + ("A" if token[-1] != "A" else "B"), "not-a-token"):
        response = other.get(f"/join/{bad}")
        assert response.status_code == 404
        assert "This invitation link is not valid." in text(response)
        assert response.headers["Referrer-Policy"] == "no-referrer"


def test_inviting_a_taken_email_is_refused(client, host):
    UserFactory(email="deja@exemple.fr")
    response = client.post("/company/invitations", data={"email": "Deja@Exemple.fr"})
    assert response.status_code == 400
    assert "An account already exists with this e-mail address." in text(response)
    assert count(CompanyInvitation) == 0 and outbox_to("deja@exemple.fr") == []


def test_inviting_twice_the_same_address_is_refused_while_the_first_is_open(client, host):
    invite(client, "double@exemple.fr")
    response = client.post("/company/invitations", data={"email": "double@exemple.fr"})
    assert response.status_code == 400
    assert "already waiting for an answer" in text(response)
    assert count(CompanyInvitation) == 1


def test_joining_when_the_email_was_taken_since_creates_nothing(client, host, app):
    token = invite(client)
    UserFactory(email="colleague@exemple-entreprise.fr")
    other = app.test_client()
    english(other)
    response = other.post(
        f"/join/{token}",
        data={"full_name": "Nadia Berrada", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 400
    assert "An account already exists with this e-mail address." in text(response)
    assert count(User) == 2
    assert db.session.scalar(select(CompanyInvitation.accepted_at)) is None


def test_join_refuses_a_bad_password_and_keeps_the_invitation(client, host, app):
    token = invite(client)
    other = app.test_client()
    english(other)
    response = other.post(
        f"/join/{token}", data={"full_name": "Nadia", "password": "short", "confirm": "short"}
    )
    assert response.status_code == 400
    assert count(User) == 1
    assert db.session.scalar(select(CompanyInvitation.accepted_at)) is None


def test_join_while_logged_in_creates_nothing(client, host):
    token = invite(client)
    response = client.get(f"/join/{token}")
    assert response.status_code == 200 and 'id="logged-in-notice"' in text(response)
    response = client.post(
        f"/join/{token}",
        data={"full_name": "Nadia", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
    )
    assert response.status_code == 409
    assert count(User) == 1


def test_another_companys_invitation_cannot_be_revoked(client, host):
    other_company = CompanyFactory()
    inviter = UserFactory(role=Role.host, company_id=other_company.id)
    invitation = CompanyInvitation(
        company_id=other_company.id,
        email="x@exemple.fr",
        token_hash="0" * 64,
        invited_by_id=inviter.id,
        expires_at=utcnow() + timedelta(days=7),
    )
    db.session.add(invitation)
    db.session.commit()
    assert client.post(f"/company/invitations/{invitation.id}/revoke").status_code == 404
    db.session.expire_all()
    assert db.session.get(CompanyInvitation, invitation.id).revoked_at is None


# --- tutors ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "phone, stored, shown",
    [
        ("06 12 34 56 78", "+33612345678", "+33 6 12 34 56 78"),
        ("+33 1 23 45 67 89", "+33123456789", "+33 1 23 45 67 89"),
        ("+212 6 12 34 56 78", "+212612345678", "+212 6 12 34 56 78"),
        ("", None, "—"),
    ],
)
def test_add_a_tutor_stores_the_phone_in_e164(client, host, phone, stored, shown):
    data = {
        "full_name": "Marc Lefèvre",
        "job_title": "Chef de projet",
        "email": "Marc.Lefevre@Atlas.fr",
        "phone": phone,
    }
    response = client.post("/company/tutors", data=data)
    assert response.status_code == 302
    tutor = db.session.scalar(select(Tutor))
    assert tutor.company_id == host.company_id
    assert tutor.phone == stored and tutor.email == "marc.lefevre@atlas.fr"
    page = text(client.get("/company/tutors"))
    assert "Marc Lefèvre" in page
    assert f'<td class="text-nowrap">{shown}</td>' in page


@pytest.mark.parametrize("phone", ["12345", "06 12 34", "téléphone", "+999 123 456 789"])
def test_add_a_tutor_refuses_an_invalid_phone(client, host, phone):
    data = {"full_name": "Marc", "job_title": "CTO", "email": "m@atlas.fr", "phone": phone}
    response = client.post("/company/tutors", data=data)
    assert response.status_code == 400
    assert "This phone number is not valid" in text(response)
    assert count(Tutor) == 0


def test_add_a_tutor_needs_name_title_and_email(client, host):
    response = client.post("/company/tutors", data={"full_name": "", "email": "nope"})
    assert response.status_code == 400
    page = text(response)
    assert "Enter the tutor's full name." in page and "Enter a valid e-mail address." in page
    assert count(Tutor) == 0


def test_edit_a_tutor(client, host):
    tutor = TutorFactory(company=db.session.get(Company, host.company_id), full_name="Marc Lefèvre")
    page = text(client.get(f"/company/tutors/{tutor.id}/edit"))
    assert 'value="Marc Lefèvre"' in page
    data = {
        "full_name": "Marc Lefèvre",
        "job_title": "Directeur technique",
        "email": tutor.email,
        "phone": "07 98 76 54 32",
    }
    assert client.post(f"/company/tutors/{tutor.id}/edit", data=data).status_code == 302
    db.session.expire_all()
    tutor = db.session.get(Tutor, tutor.id)
    assert tutor.job_title == "Directeur technique" and tutor.phone == "+33798765432"
    # An invalid phone changes nothing.
    response = client.post(f"/company/tutors/{tutor.id}/edit", data=data | {"phone": "123"})
    assert response.status_code == 400
    db.session.expire_all()
    assert db.session.get(Tutor, tutor.id).phone == "+33798765432"


def test_another_companys_tutor_is_not_found(client, host):
    stranger = TutorFactory(job_title="Secret")
    assert client.get(f"/company/tutors/{stranger.id}/edit").status_code == 404
    data = {"full_name": "Pirate", "job_title": "Pirate", "email": "p@x.fr", "phone": ""}
    assert client.post(f"/company/tutors/{stranger.id}/edit", data=data).status_code == 404
    db.session.expire_all()
    assert db.session.get(Tutor, stranger.id).job_title == "Secret"
    assert "Secret" not in text(client.get("/company/tutors"))


# --- the coordinators' list and page ---------------------------------------------------------


def _companies(n: int, cohort) -> None:
    for i in range(n):
        company = CompanyFactory(status=(CompanyStatus.pending if i % 3 == 0 else "approved"))
        UserFactory(role=Role.host, company_id=company.id)
        UserFactory(role=Role.host, company_id=company.id)
        OfferFactory(cohort=cohort, company=company)


def test_companies_index_runs_a_bounded_number_of_queries(client, coordinator, app):
    cohort = CohortFactory()
    _companies(3, cohort)
    with count_queries(app) as few:
        assert client.get("/companies").status_code == 200
    _companies(12, cohort)
    with count_queries(app) as many:
        response = client.get("/companies")
    assert response.status_code == 200
    assert text(response).count('<tr id="company-') == 15
    assert len(many) == len(few), many


def test_companies_index_counts_and_filters(client, coordinator):
    english(client)
    cohort = CohortFactory()
    approved = CompanyFactory(legal_name="Alpha Conseil", city="Lyon", headcount=33)
    UserFactory(role=Role.host, company_id=approved.id)
    UserFactory(role=Role.host, company_id=approved.id)
    OfferFactory(cohort=cohort, company=approved)
    OfferFactory(cohort=cohort, company=approved)
    OfferFactory(cohort=cohort, company=approved)
    pending = CompanyFactory(legal_name="Beta Mobile", status=CompanyStatus.pending)
    page = text(client.get("/companies"))
    row = re.search(rf'<tr id="company-{approved.id}">(.*?)</tr>', page, re.S).group(1)
    cells = [
        re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)
    ]
    assert cells[0] == "Alpha Conseil" and cells[2] == "Lyon" and cells[3] == "33"
    assert cells[-2:] == ["2", "3"]  # contacts, offers
    page = text(client.get("/companies?status=pending"))
    assert "Beta Mobile" in page and "Alpha Conseil" not in page
    page = text(client.get("/companies?q=lyon"))
    assert "Alpha Conseil" in page and "Beta Mobile" not in page
    page = text(client.get(f"/companies?q={pending.siret[:9]}"))
    assert "Beta Mobile" in page and "Alpha Conseil" not in page
    assert client.get("/companies?status=nonsense").status_code == 404


def test_company_detail_shows_everything_and_the_decision_forms(client, coordinator):
    english(client)
    cohort = CohortFactory()
    company, contact = pending_company_with_contact(legal_name="Gamma Paiements")
    tutor = TutorFactory(company=company, full_name="Sophie Tuteur", phone="+33612345678")
    OfferFactory(cohort=cohort, company=company, tutor=tutor, title="Développeur mobile")
    page = text(client.get(f"/companies/{company.id}"))
    for expected in (
        "Gamma Paiements",
        contact.email,
        "Sophie Tuteur",
        "+33 6 12 34 56 78",
        "Développeur mobile",
        "Published",
        f'action="/companies/{company.id}/approve"',
        f'action="/companies/{company.id}/reject"',
    ):
        assert expected in page, expected
    approved = CompanyFactory()
    page = text(client.get(f"/companies/{approved.id}"))
    assert f"/companies/{approved.id}/approve" not in page
    assert client.get("/companies/999999").status_code == 404
