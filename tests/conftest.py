"""Shared fixtures: one app per session, a clean database per test, a login helper per role.

The database is SQLite in a temporary folder, or the PostgreSQL server named by
``TEST_DATABASE_URL`` / ``DATABASE_URL`` (``.ci/run`` sets it).
"""

from __future__ import annotations

import os
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from mnc_exchange import create_app
from mnc_exchange.accounts.models import Role
from mnc_exchange.extensions import db, limiter
from tests.factories import PASSWORD, UserFactory


def test_database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL")
    if url:
        return url
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    return test_database_url(tmp_path_factory)


def _make_app(database_url: str, uploads: str):
    return create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": uploads,
        }
    )


@pytest.fixture(scope="session")
def uploads_dir(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("uploads"))


@pytest.fixture(scope="session")
def app(database_url, uploads_dir):
    """The application that serves the test clients' requests."""
    app = _make_app(database_url, uploads_dir)
    with app.app_context():
        db.drop_all()
        db.create_all()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _wipe(app) -> None:
    with app.app_context():
        db.session.remove()
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":
                names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
                conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            else:
                for table in reversed(db.metadata.sorted_tables):
                    conn.execute(table.delete())


@pytest.fixture(scope="session")
def data_app(app, database_url, uploads_dir):
    """A twin application (same database) whose context the tests run in.

    Flask reuses an already pushed app context for a request of the *same* app, which would
    share ``g`` and the database session between the test and its requests. With a twin, every
    request gets its own context and session, as in production.
    """
    return _make_app(database_url, uploads_dir)


@pytest.fixture(autouse=True)
def _app_context(app, data_app):
    """Every test runs inside an app context on an empty database."""
    with data_app.app_context():
        yield
        db.session.remove()
    _wipe(app)
    limiter.reset()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def no_kept_pages(app, monkeypatch):
    """Build every page (core.page_cache off): for the tests that count what building costs."""
    monkeypatch.setitem(app.config, "PAGE_CACHE", False)


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


class Auth:
    """Log a client in and out through the real login form."""

    def __init__(self, client):
        self.client = client

    def login(self, email: str, password: str = PASSWORD, **kwargs):
        return self.client.post("/login", data={"email": email, "password": password}, **kwargs)

    def logout(self):
        return self.client.post("/logout")

    def as_role(self, role: Role | str, **attrs):
        """Create a user of ``role`` and log the client in as that user; returns the user."""
        user = UserFactory(role=Role(role), **attrs)
        response = self.login(user.email)
        assert response.status_code == 302, response.data[:500]
        return user


@pytest.fixture
def auth(client):
    return Auth(client)


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """A real Redis server (see tests/redis_server.py): TEST_REDIS_URL, or one started here."""
    from tests.redis_server import redis_server

    with redis_server(str(tmp_path_factory.mktemp("redis"))) as url:
        yield url


@contextmanager
def count_queries(app):
    """Count the SQL statements run by the requests (on the serving app's engine) to build
    their pages: the kept pages (core.page_cache) are off meanwhile."""
    with app.app_context():
        engine = db.engine
    statements: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    kept = app.config["PAGE_CACHE"]
    app.config["PAGE_CACHE"] = False
    event.listen(engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before)
        app.config["PAGE_CACHE"] = kept
