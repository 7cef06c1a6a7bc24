"""No IDOR: for every route that takes an object id, a user of the same role as the owner, but
who is not the owner, is refused (403/404) wherever the owner is allowed.

The sample objects come from the access matrix's set-up: they belong to users["student"] and to
users["host"]'s company. A stranger student (no application anywhere) and a stranger host (a
contact of another approved company) try every such route.
"""

from __future__ import annotations

import pytest

from mnc_exchange.accounts.models import Role
from tests.access_helpers import OK
from tests.factories import PASSWORD, CompanyFactory, UserFactory
from tests.test_access_matrix import EXPECTED, _outcome, _routes, _setup, _url

#: Routes whose argument is not an owned object (public tokens and codes).
NOT_OWNED = {"company.join", "evaluation.form", "verify.check", "static", "bootstrap.static"}


def _id_routes(app):
    routes = []
    for rule, method in _routes(app):
        if rule.endpoint in NOT_OWNED or not rule.arguments:
            continue
        if not any(arg.endswith("id") for arg in rule.arguments):
            continue
        expected = EXPECTED[(rule.endpoint, method)]
        for role in ("student", "host"):
            if expected[role] == OK and any(
                expected[other] != OK for other in ("anon", "student", "host", "official")
            ):
                routes.append((rule.endpoint, method, role))
    return sorted(set(routes))


def _cases():
    from mnc_exchange import create_app

    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    return _id_routes(app)


CASES = _cases()


def test_there_are_owned_routes_to_check():
    assert len(CASES) > 20


@pytest.mark.parametrize("endpoint, method, role", CASES)
def test_a_stranger_of_the_same_role_is_refused(app, endpoint, method, role):
    _users, values = _setup()
    if role == "host":
        stranger = UserFactory(role=Role.host, company_id=CompanyFactory().id)
    else:
        stranger = UserFactory(role=Role.student)
    rule = next(r for r, m in _routes(app) if r.endpoint == endpoint and m == method)
    url = _url(app, rule, values)
    client = app.test_client()
    response = client.post("/login", data={"email": stranger.email, "password": PASSWORD})
    assert response.status_code == 302
    outcome, status, _location = _outcome(client.open(url, method=method, data={}))
    assert status in (403, 404), f"{method} {url} as another {role}: HTTP {status} ({outcome})"
