"""Every registered route × every role against an explicit expectation table.

A new route without an entry in ``EXPECTED`` makes ``test_every_route_has_an_expectation``
fail: whoever adds a route must decide who may use it.
"""

from __future__ import annotations

import pytest

from mnc_exchange.accounts.models import Role
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from tests import (
    access_agreements,
    access_followup_staff,
    access_followup_student,
    access_hosts,
    access_offers,
    access_placements,
    access_reference,
    access_reports,
    access_reviews,
    access_screening,
    access_selection_staff,
    access_selection_student,
    access_student_applications,
)
from tests.access_helpers import FORBIDDEN, LOGIN, OK, ROLES, logged_in, only, public
from tests.factories import (
    PASSWORD,
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    UserFactory,
    make_application_with_document,
)

DOMAIN_MODULES = (
    access_student_applications,
    access_screening,
    access_reference,
    access_selection_staff,
    access_reviews,
    access_selection_student,
    access_hosts,
    access_offers,
    access_placements,
    access_agreements,
    access_followup_student,
    access_followup_staff,
    access_reports,
)

_public, _logged_in, _only = public, logged_in, only


STAFF = ("coordinator", "admin")
OWNER_OR_STAFF = ("student", "coordinator", "admin")  # "student" owns the sample application
COHORT_VIEWERS = ("coordinator", "admin", "official")

#: (endpoint, method) -> role -> expected outcome
EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("static", "GET"): _public(),
    ("bootstrap.static", "GET"): _public(),
    ("main.index", "GET"): _public(),
    ("main.set_language", "POST"): _public(),
    ("main.dashboard", "GET"): _logged_in(),
    ("main.ping", "GET"): _public(),
    ("main.healthz", "GET"): _public(),
    ("accounts.login", "GET"): _public(),
    ("accounts.login", "POST"): _public(),
    ("accounts.logout", "POST"): _logged_in(),
    ("accounts.logout_everywhere", "POST"): _logged_in(),
    ("accounts.register", "GET"): _public(),
    ("accounts.register", "POST"): _public(),
    ("accounts.register_host", "GET"): _public(),
    ("accounts.register_host", "POST"): _public(),
    ("accounts.check_mailbox", "GET"): _public(),
    ("accounts.confirm_email", "GET"): _public(),
    ("accounts.confirm_email", "POST"): _public(),
    ("accounts.resend_confirmation", "POST"): _public(),
    ("accounts.change_password", "GET"): _logged_in(),
    ("accounts.change_password", "POST"): _logged_in(),
    ("accounts.forgot_password", "GET"): _public(),
    ("accounts.forgot_password", "POST"): _public(),
    ("accounts.reset_password", "GET"): _public(),
    ("accounts.reset_password", "POST"): _public(),
    ("accounts.pending_hosts", "GET"): _only(*STAFF),
    ("accounts.approve_host", "POST"): _only(*STAFF),
    ("cohorts.index", "GET"): _only(*COHORT_VIEWERS),
    ("cohorts.create", "GET"): _only(*STAFF),
    ("cohorts.create", "POST"): _only(*STAFF),
    ("cohorts.detail", "GET"): _only(*COHORT_VIEWERS),
    ("cohorts.edit", "GET"): _only(*STAFF),
    ("cohorts.edit", "POST"): _only(*STAFF),
    ("cohorts.transition", "POST"): _only(*STAFF),
    ("cohorts.make_current", "POST"): _only(*STAFF),
    ("admin.users", "GET"): _only("admin"),
    ("admin.create_user", "GET"): _only("admin"),
    ("admin.create_user", "POST"): _only("admin"),
    ("admin.deactivate_user", "POST"): _only("admin"),
    ("admin.reactivate_user", "POST"): _only("admin"),
    ("admin.audit", "GET"): _only("admin"),
    ("admin.outbox", "GET"): _only("admin"),
    ("admin.outbox_message", "GET"): _only("admin"),
    ("documents.download", "GET"): _only(*OWNER_OR_STAFF),
    ("privacy.index", "GET"): _logged_in(),
    ("privacy.download", "GET"): _logged_in(),
}

# Each domain keeps its table (and the sample objects its URLs need) in its own module.
for _module in DOMAIN_MODULES:
    _overlap = set(EXPECTED) & set(_module.EXPECTED)
    assert not _overlap, f"{_module.__name__} repeats {_overlap}"
    EXPECTED.update(_module.EXPECTED)


def _routes(app):
    routes = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            routes.append((rule, method))
    return routes


def test_every_route_has_an_expectation(app):
    missing = [
        f"{method} {rule.rule} ({rule.endpoint})"
        for rule, method in _routes(app)
        if (rule.endpoint, method) not in EXPECTED
    ]
    assert not missing, "Routes without an access expectation: " + ", ".join(missing)
    registered = {(rule.endpoint, method) for rule, method in _routes(app)}
    stale = sorted(set(EXPECTED) - registered)
    assert not stale, f"Expectations for routes that no longer exist: {stale}"


def _setup():
    users = {
        "student": UserFactory(role=Role.student),
        "coordinator": UserFactory(role=Role.coordinator),
        "host": UserFactory(role=Role.host),
        "pending_host": UserFactory(role=Role.host, approved_at=None),
        "official": UserFactory(role=Role.official),
        "admin": UserFactory(role=Role.admin),
    }
    target = UserFactory(role=Role.host, approved_at=None)
    cohort = CohortFactory()
    message = OutboxMessage(recipient="x@example.org", subject="s", body_text="b")
    db.session.add(message)
    db.session.commit()
    application, document = make_application_with_document(users["student"], cohort)
    # The host contact belongs to an approved company with a published offer; the pending host
    # contact to a company waiting for approval.
    company = CompanyFactory()
    pending_company = CompanyFactory(status="pending", approved_at=None)
    users["host"].company_id = company.id
    users["pending_host"].company_id = pending_company.id
    offer = OfferFactory(cohort=cohort, company=company)
    db.session.commit()
    values = {
        "user_id": target.id,
        "cohort_id": cohort.id,
        "message_id": message.id,
        "token": "not-a-valid-token",
        "application_id": application.id,
        "document_id": document.id,
        "company_id": company.id,
        "offer_id": offer.id,
        "tutor_id": offer.tutor_id,
    }
    for module in DOMAIN_MODULES:
        values.update(module.setup_values(users, cohort, application))
    return users, values


def _url(app, rule, values):
    args = {}
    for name in rule.arguments:
        if name == "filename":
            args[name] = "app.css" if rule.endpoint == "static" else "css/bootstrap.min.css"
        else:
            args[name] = values[name]
    with app.test_request_context():
        from flask import url_for

        return url_for(rule.endpoint, **args)


ROUTES = sorted(EXPECTED)

#: Roles whose request may change the sample data are tried last, so that the roles expected
#: to be refused meet the same state as the first allowed one.
_ORDER = ("anon", "student", "pending_host", "official", "host", "coordinator", "admin")


def _outcome(response) -> tuple[str, int, str]:
    status = response.status_code
    location = response.headers.get("Location", "")
    if status == 302 and "/login?next=" in location:
        return LOGIN, status, location
    if status in (403, 404):  # 404: another user's object is not revealed
        return FORBIDDEN, status, location
    if status < 500 and status != 401:
        return OK, status, location
    return f"status {status}", status, location


@pytest.mark.parametrize("endpoint, method", ROUTES)
def test_access(app, endpoint, method):
    """One sample data set per route; every role is tried on it with its own client. Forbidden
    roles go first; an allowed request may change the data (e.g. approve), later allowed roles
    still must not be refused."""
    users, values = _setup()
    rule = next(r for r, m in _routes(app) if r.endpoint == endpoint and m == method)
    url = _url(app, rule, values)
    expected = EXPECTED[(endpoint, method)]
    roles = sorted(ROLES, key=lambda role: (expected[role] == OK, _ORDER.index(role)))
    failures = []
    for role in roles:
        client = app.test_client()
        if role != "anon":
            response = client.post(
                "/login", data={"email": users[role].email, "password": PASSWORD}
            )
            assert response.status_code == 302, f"cannot log in as {role}"
        outcome, status, location = _outcome(client.open(url, method=method, data={}))
        if outcome != expected[role]:
            failures.append(
                f"{method} {url} as {role}: got {outcome} (HTTP {status}, Location {location!r}),"
                f" expected {expected[role]}"
            )
    assert not failures, "\n".join(failures)
