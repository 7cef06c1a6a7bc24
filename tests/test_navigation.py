"""The menu bar is rendered once per role, stage, page and language and kept
(``mnc_exchange.templating.navigation``): what differs between two users who see the same menu
— their name, the CSRF token, the page's path — must still be theirs, escaped."""

from __future__ import annotations

import re

import pytest

from mnc_exchange.accounts.models import Role
from mnc_exchange.templating import NAV_CSRF, NAV_NAME, NAV_NEXT
from tests.factories import CompanyFactory

from .conftest import Auth


def nav_of(html: str) -> str:
    return html[html.index("<nav") : html.index("</nav>")]


def untimed(nav: str) -> str:
    """The menu without its CSRF tokens' values (signed with the second they were made)."""
    return re.sub(r'(name="csrf_token" type="hidden" value=")[^"]+"', r'\1"', nav)


@pytest.fixture
def with_csrf(app):
    """The CSRF token rendered as in production (the tests turn it off)."""
    app.config["WTF_CSRF_ENABLED"] = True
    yield
    app.config["WTF_CSRF_ENABLED"] = False


@pytest.fixture
def fresh(app):
    """Render the menu from its template on every request (as while templates reload)."""

    def render(client, path: str) -> str:
        app.jinja_env.auto_reload = True
        try:
            return client.get(path).get_data(as_text=True)
        finally:
            app.jinja_env.auto_reload = False

    return render


@pytest.mark.parametrize("role", ["student", "host", "coordinator", "official", "admin"])
@pytest.mark.parametrize("path", ["/dashboard", "/account/password", "/no-such-page"])
def test_the_kept_menu_is_the_one_the_template_renders(
    app, client, auth, fresh, with_csrf, role, path
):
    extra = {"company_id": CompanyFactory().id} if role == "host" else {}
    app.config["WTF_CSRF_ENABLED"] = False
    auth.as_role(role, **extra)
    app.config["WTF_CSRF_ENABLED"] = True
    expected = untimed(nav_of(fresh(client, path)))
    for _ in range(2):  # the first may fill the store, the second reads it
        html = client.get(path).get_data(as_text=True)
        assert untimed(nav_of(html)) == expected
    for stand_in in (NAV_NAME, NAV_CSRF, NAV_NEXT):
        assert stand_in not in html
    assert re.search(r'name="csrf_token" type="hidden" value="[^"]+"', nav_of(html))


def test_each_user_sees_their_own_name_escaped(app, client):
    first, second = Auth(client), Auth(app.test_client())
    one = first.as_role(Role.coordinator, full_name="Nadia <b>Alaoui</b> & Cie")
    two = second.as_role(Role.coordinator, full_name='Omar "El" Fassi')
    html_one = nav_of(client.get("/dashboard").get_data(as_text=True))
    html_two = nav_of(second.client.get("/dashboard").get_data(as_text=True))
    assert "Nadia &lt;b&gt;Alaoui&lt;/b&gt; &amp; Cie" in html_one
    assert "<b>Alaoui</b>" not in html_one
    assert "Omar &#34;El&#34; Fassi" in html_two
    assert one.full_name not in html_two and "Omar" not in html_one
    # Same role, same page: the same menu around the names.
    assert html_one.replace("Nadia &lt;b&gt;Alaoui&lt;/b&gt; &amp; Cie", "X") == html_two.replace(
        "Omar &#34;El&#34; Fassi", "X"
    )
    assert two.role is Role.coordinator


def test_each_user_gets_their_own_csrf_token(app, client, with_csrf):
    other = app.test_client()
    app.config["WTF_CSRF_ENABLED"] = False
    Auth(client).as_role(Role.coordinator)
    Auth(other).as_role(Role.coordinator)
    app.config["WTF_CSRF_ENABLED"] = True

    def tokens(c) -> set[str]:
        nav = nav_of(c.get("/dashboard").get_data(as_text=True))
        return set(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', nav))

    mine, theirs = tokens(client), tokens(other)
    assert len(mine) == 1 and len(theirs) == 1 and mine != theirs


def test_the_language_form_returns_to_the_page_asked(client, auth):
    auth.as_role(Role.coordinator)
    html = client.get('/cohorts/?q="><script>x</script>').get_data(as_text=True)
    nav = nav_of(html)
    assert "<script>x</script>" not in nav
    assert 'name="next" value="/cohorts/?q=&#34;&gt;&lt;script&gt;x&lt;/script&gt;"' in nav


def test_the_menu_follows_the_page_and_the_language(client, auth):
    auth.as_role(Role.coordinator)
    cohorts = nav_of(client.get("/cohorts/").get_data(as_text=True))
    assert re.search(r'class="nav-link active" href="/cohorts/" aria-current="page"', cohorts)
    dashboard = nav_of(client.get("/dashboard").get_data(as_text=True))
    assert 'href="/cohorts/" aria-current' not in dashboard
    assert "Tableau de bord" in dashboard
    client.post("/language", data={"lang": "en", "next": "/dashboard"})
    english = nav_of(client.get("/dashboard").get_data(as_text=True))
    assert "Dashboard" in english and "Tableau de bord" not in english


def test_a_visitor_and_a_user_do_not_share_a_menu(client, auth):
    visitor = nav_of(client.get("/").get_data(as_text=True))
    assert 'href="/login"' in visitor and 'id="logout"' not in visitor
    auth.as_role(Role.official)
    user = nav_of(client.get("/dashboard").get_data(as_text=True))
    assert 'id="logout"' in user and 'href="/login"' not in user
