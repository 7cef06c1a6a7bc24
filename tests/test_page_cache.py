"""Repeat views of the menus' pages are served from memory while nothing is written to the
database (``mnc_exchange.core.page_cache``): never a page older than the data, never another
user's or another session's page, never a message twice, never a view's side effect skipped."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from mnc_exchange.accounts.models import Role
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.core import page_cache, timeutils
from mnc_exchange.core.models import DataVersion
from mnc_exchange.extensions import db
from tests.factories import CohortFactory
from tests.test_cohorts import _form as cohort_form

from .conftest import Auth


@pytest.fixture
def pages(app):
    store = page_cache.store(app)
    store.clear()
    return store


def served(store, client, path: str) -> tuple[str, bool]:
    """The page's HTML, and whether it came from the store."""
    hits = store.hits
    html = client.get(path).get_data(as_text=True)
    return html, store.hits == hits + 1


def logged_in(auth: Auth, role: Role, **attrs):
    """Log in, then read the login's welcome message (a page with a message is not kept)."""
    user = auth.as_role(role, **attrs)
    auth.client.get("/dashboard")
    return user


def token() -> str | None:
    return db.session.scalar(select(DataVersion.token))


def test_a_repeat_view_is_served_from_memory_until_the_data_changes(client, auth, pages):
    logged_in(auth, Role.coordinator)
    CohortFactory(year=2031, title="Promotion pionnière")
    first, was_kept = served(pages, client, "/cohorts/")
    assert not was_kept and "Promotion pionnière" in first
    again, was_kept = served(pages, client, "/cohorts/")
    assert was_kept and again == first

    # A change committed anywhere (here by the test's own session) is shown at the next view.
    CohortFactory(year=2032, title="Promotion suivante")
    after, was_kept = served(pages, client, "/cohorts/")
    assert not was_kept and "Promotion suivante" in after


def test_a_change_made_through_a_form_is_shown_at_once(client, auth, pages):
    logged_in(auth, Role.coordinator)
    cohort = CohortFactory(year=2031, title="Avant", quota=30)
    served(pages, client, "/cohorts/")
    assert served(pages, client, "/cohorts/")[1]
    form = cohort_form(title="Après la modification", quota="28")
    response = client.post(f"/cohorts/{cohort.id}/edit", data=form)
    assert response.status_code == 302
    client.get(response.headers["Location"])  # the confirmation is shown there, once
    html, was_kept = served(pages, client, "/cohorts/")
    assert not was_kept
    assert "Après la modification" in html and "Avant" not in html


def test_two_users_never_share_a_page(app, client, pages):
    one, two = Auth(client), Auth(app.test_client())
    logged_in(one, Role.coordinator, full_name="Nadia Alaoui")
    logged_in(two, Role.coordinator, full_name="Omar Fassi")
    served(pages, client, "/cohorts/")
    assert served(pages, client, "/cohorts/")[1]
    html, was_kept = served(pages, two.client, "/cohorts/")
    assert not was_kept
    assert "Omar Fassi" in html and "Nadia Alaoui" not in html


def test_two_sessions_of_one_user_never_share_a_page(app, client, pages):
    one, two = Auth(client), Auth(app.test_client())
    user = logged_in(one, Role.coordinator)
    assert two.login(user.email).status_code == 302
    two.client.get("/dashboard")
    served(pages, client, "/cohorts/")
    assert served(pages, client, "/cohorts/")[1]
    html, was_kept = served(pages, two.client, "/cohorts/")
    assert not was_kept and user.full_name in html


def test_a_flashed_message_is_shown_once_and_the_page_is_not_kept_with_it(client, auth, pages):
    logged_in(auth, Role.coordinator)
    CohortFactory(year=2031)
    served(pages, client, "/dashboard")
    assert served(pages, client, "/dashboard")[1]
    with client.session_transaction() as session:
        session["_flashes"] = [("success", "Message à lire une fois")]
    html, was_kept = served(pages, client, "/dashboard")
    assert not was_kept and "Message à lire une fois" in html
    html, _ = served(pages, client, "/dashboard")
    assert "Message à lire une fois" not in html


def test_a_view_that_changes_the_session_runs_every_time(client, auth, pages):
    """``?cohort=`` is remembered in the session: serving that page from memory would skip it."""
    logged_in(auth, Role.coordinator)
    older = CohortFactory(year=2030, title="Promotion 2030", state=CohortState.archived)
    newer = CohortFactory(year=2031, title="Promotion 2031")
    for cohort in (older, newer, older, newer):
        html, was_kept = served(pages, client, f"/followup?cohort={cohort.id}")
        assert not was_kept  # each view changes the remembered cohort: none is kept
    html, _ = served(pages, client, "/followup")
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "Promotion 2031" in title and "Promotion 2030" not in title


def test_the_page_carries_the_requests_own_csrf_token(app, client, auth, pages):
    logged_in(auth, Role.coordinator)
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        first, _ = served(pages, client, "/cohorts/")
        html, was_kept = served(pages, client, "/cohorts/")
        assert was_kept
        tokens = set(re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', html))
        assert tokens and "\x00" not in html
        # The token works: the language form of the kept page is accepted.
        response = client.post(
            "/language", data={"lang": "en", "next": "/cohorts/", "csrf_token": tokens.pop()}
        )
        assert response.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    html, was_kept = served(pages, client, "/cohorts/")
    assert not was_kept and 'lang="en"' in html  # the account's language changed: a write


def test_a_page_is_kept_no_longer_than_the_minute(client, auth, pages, monkeypatch):
    logged_in(auth, Role.coordinator)
    served(pages, client, "/cohorts/")
    assert served(pages, client, "/cohorts/")[1]
    later = timeutils.utcnow() + timedelta(minutes=1)
    monkeypatch.setattr(timeutils, "utcnow", lambda: later)
    assert not served(pages, client, "/cohorts/")[1]


def test_writes_not_yet_committed_are_never_hidden(app, client, auth, pages):
    """A request that runs in a session holding its own pending changes builds the page."""
    logged_in(auth, Role.coordinator)
    served(pages, client, "/cohorts/")
    assert served(pages, client, "/cohorts/")[1]
    with app.test_request_context("/cohorts/"):
        db.session.add(Cohort(year=2040, title="pending", quota=30))
        try:
            assert page_cache._before_request() is None
        finally:
            db.session.rollback()


def test_every_writing_transaction_replaces_the_token_and_a_read_does_not(client, auth, pages):
    assert token() is None  # an empty database has no row: a restore finds it empty
    logged_in(auth, Role.coordinator)  # the login writes (its session row)
    first = token()
    assert first
    client.get("/cohorts/")
    client.get("/dashboard")
    assert token() == first
    CohortFactory(year=2031)
    second = token()
    assert second and second != first
    # A bulk statement without any object flushed also counts.
    db.session.execute(update(Cohort).values(quota=Cohort.quota))
    db.session.commit()
    assert token() not in (first, second)


def test_only_the_marked_pages_and_only_when_enabled(app, client, auth, pages):
    logged_in(auth, Role.coordinator)
    client.get("/account/password")
    assert len(pages) == 0  # not a menu page
    app.config["PAGE_CACHE"] = False
    try:
        client.get("/cohorts/")
        assert len(pages) == 0
    finally:
        app.config["PAGE_CACHE"] = True
    client.get("/cohorts/")
    assert len(pages) == 1


def test_the_store_keeps_its_byte_limit_and_drops_everything_at_a_new_version():
    store = page_cache.PageStore(limit=8 * 100)
    store.at_version("a")
    for n in range(20):
        store.put(("a", n), page_cache._Page(b"x" * 100, (), False))
    assert store.size <= 800 and len(store) == 8
    assert store.get(("a", 19)) is not None and store.get(("a", 0)) is None
    store.put(("b", 1), page_cache._Page(b"y", (), False))  # built at another version
    assert store.get(("b", 1)) is None
    store.at_version("b")
    assert len(store) == 0 and store.size == 0
    store.put(("b", 2), page_cache._Page(b"z" * 101, (), False))  # over an eighth: not kept
    assert len(store) == 0


def test_a_page_whose_view_writes_is_built_every_time(app, client, auth, pages, monkeypatch):
    """A view that records something (here: a cohort renamed on each view) runs every time."""
    logged_in(auth, Role.coordinator)
    cohort = CohortFactory(year=2031, title="Vue 0")
    view = app.view_functions["cohorts.index"]

    @page_cache.kept
    def counting_view():
        row = db.session.get(Cohort, cohort.id)
        row.title = f"Vue {int(row.title.split()[1]) + 1}"
        db.session.commit()
        return view()

    monkeypatch.setitem(app.view_functions, "cohorts.index", counting_view)
    for expected in ("Vue 1", "Vue 2", "Vue 3"):
        html, was_kept = served(pages, client, "/cohorts/")
        assert not was_kept and expected in html
    assert len(pages) == 0


def test_a_savepoint_leaves_the_token_to_its_whole_transaction():
    """Savepoints released, or rolled back after a refusal, inside a transaction that wrote:
    the token is replaced once, when the whole transaction commits (not while a savepoint is
    released, which would keep its row locked for the rest of the transaction)."""
    CohortFactory(year=2030)
    before = token()
    db.session.add(Cohort(year=2031, title="Gardée", quota=30))
    with db.session.begin_nested():
        db.session.add(Cohort(year=2032, title="Gardée aussi", quota=30))
    assert token() == before  # read inside the transaction: not replaced yet
    try:
        with db.session.begin_nested():
            db.session.add(Cohort(year=2030, title="Refusée (année prise)", quota=30))
    except IntegrityError:
        pass
    db.session.commit()
    after = token()
    assert after and after != before
    assert db.session.scalar(select(func.count()).select_from(Cohort)) == 3


def test_a_rolled_back_transaction_does_not_replace_the_token():
    CohortFactory(year=2030)
    before = token()
    db.session.add(Cohort(year=2031, title="Annulée", quota=30))
    db.session.flush()
    db.session.rollback()
    CohortFactory.build()  # nothing written since
    db.session.commit()
    assert token() == before
