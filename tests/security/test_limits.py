"""Limits that hold with several workers (issue 13 §5).

Each "worker" is its own ``create_app`` on the same database, as each gunicorn worker process
is: with ``memory://`` every one counts alone; with Redis they share the count. The shared tests
need a real Redis (``redis_url`` in tests/conftest.py). The per-account throttling of logins
lives in the database and needs none.
"""

from __future__ import annotations

import importlib.util
import re
import uuid
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from mnc_exchange import create_app
from mnc_exchange.accounts import services
from mnc_exchange.accounts.models import User
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
WRONG = "not-the-password-at-all"
HINT_FR = "vous devrez peut-être patienter quelques minutes"


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def make_worker(database_url, uploads_dir, app):
    """Build a "worker": its own application on the test database (``app`` created the
    tables). Every worker of a test shares one fresh key prefix."""
    prefix = f"test-{uuid.uuid4().hex}"
    workers = []

    def make(**config):
        settings = {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": uploads_dir,
            "RATELIMIT_KEY_PREFIX": prefix,
            "RATELIMIT_STORAGE_URI": "",
            "REDIS_URL": "",
        }
        settings.update(config)
        workers.append(create_app(settings))
        return workers[-1]

    make.prefix = prefix
    yield make
    for worker in workers:
        with worker.app_context():
            db.engine.dispose()


def _redis_keys(url: str, prefix: str) -> list[bytes]:
    import redis

    return list(redis.Redis.from_url(url).scan_iter(match=f"*{prefix}*"))


# The three public limits, with their production values (per hour here: a test never crosses
# the end of a window).
LIMITED = [
    pytest.param("post", "/login", "LOGIN_RATE_LIMIT", 10, id="login"),
    pytest.param("get", "/verify/NOSUCHCODE", "VERIFY_RATE_LIMIT", 30, id="verify"),
    pytest.param("get", "/evaluation/no-such-token", "EVALUATION_RATE_LIMIT", 20, id="evaluation"),
]


def _hit(client, method: str, url: str):
    if method == "post":
        return client.post(
            url,
            data={"email": "nobody@example.org", "password": WRONG},
            environ_base={"REMOTE_ADDR": "192.0.2.10"},
        )
    return client.get(url, environ_base={"REMOTE_ADDR": "192.0.2.10"})


@pytest.mark.parametrize("method, url, setting, limit", LIMITED)
def test_two_workers_share_the_limit_through_redis(
    make_worker, redis_url, method, url, setting, limit
):
    config = {"REDIS_URL": redis_url, setting: f"{limit} per hour"}
    workers = [make_worker(**config).test_client(), make_worker(**config).test_client()]
    statuses = [_hit(workers[i % 2], method, url).status_code for i in range(limit)]
    assert 429 not in statuses
    # The limit is reached whichever worker gets the next request.
    assert _hit(workers[0], method, url).status_code == 429
    assert _hit(workers[1], method, url).status_code == 429
    # The count is kept in Redis, under the configured prefix.
    assert _redis_keys(redis_url, make_worker.prefix)


def test_in_memory_every_worker_counts_alone(make_worker):
    """What Redis fixes (and proof the two "workers" above are as separate as processes): in
    memory, two workers let twice the login limit through."""
    config = {"RATELIMIT_STORAGE_URI": "memory://", "LOGIN_RATE_LIMIT": "10 per hour"}
    workers = [make_worker(**config).test_client(), make_worker(**config).test_client()]
    statuses = [_hit(workers[i % 2], "post", "/login").status_code for i in range(20)]
    assert 429 not in statuses
    assert _hit(workers[0], "post", "/login").status_code == 429


def test_redis_down_falls_back_to_limits_in_memory(make_worker):
    """Redis unreachable: no error page, and each worker still applies the limits itself."""
    worker = make_worker(
        RATELIMIT_STORAGE_URI=f"redis://127.0.0.1:{_free_port()}/0", LOGIN_RATE_LIMIT="3 per hour"
    ).test_client()
    statuses = [_hit(worker, "post", "/login").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


# --- the production configuration -----------------------------------------------------------


@pytest.fixture
def production(monkeypatch, tmp_path, database_url, uploads_dir):
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    monkeypatch.setenv("SERVER_BASE_URL", "https://exchange.example.ma")
    monkeypatch.setenv("INSTANCE_PATH", str(tmp_path / "instance"))
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)

    def make(**config):
        settings = {
            "CONFIG_NAME": "production",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": uploads_dir,
            "RATELIMIT_STORAGE_URI": "",
            "REDIS_URL": "",
        }
        settings.update(config)
        return create_app(settings)

    return make


def test_production_refuses_limits_counted_per_worker(production):
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        production()
    with pytest.raises(RuntimeError, match="WEB_CONCURRENCY=1"):
        production(RATELIMIT_STORAGE_URI="memory://")


def test_production_accepts_redis_or_a_declared_single_worker(production, monkeypatch):
    app = production(REDIS_URL="redis://127.0.0.1:6379/0")
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/0"
    app = production(RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/1")
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/1"
    monkeypatch.setenv("WEB_CONCURRENCY", "2")
    with pytest.raises(RuntimeError):
        production()
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert production().config["RATELIMIT_STORAGE_URI"] == "memory://"


def test_gunicorn_refuses_more_workers_than_declared(monkeypatch):
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    server = SimpleNamespace(cfg=SimpleNamespace(workers=4))
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    with pytest.raises(SystemExit, match="WEB_CONCURRENCY=1"):
        conf.on_starting(server)
    server.cfg.workers = 1
    conf.on_starting(server)  # agrees
    monkeypatch.delenv("WEB_CONCURRENCY")
    server.cfg.workers = 4
    conf.on_starting(server)  # nothing declared: gunicorn's --workers decides


# --- per-account throttling of logins ---------------------------------------------------------


class Clock:
    """The time services.authenticate sees (monkeypatched ``utcnow``)."""

    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(services, "utcnow", clock)
    return clock


def _login(client, email, password, address="192.0.2.1"):
    return client.post(
        "/login",
        data={"email": email, "password": password},
        environ_base={"REMOTE_ADDR": address},
    )


def _flash(response) -> str:
    match = re.search(r'class="alert alert-danger[^"]*"[^>]*>(.*?)<', response.get_data(True), re.S)
    assert match, response.get_data(True)[:2000]
    return " ".join(match.group(1).split())


def _user(user_id: int) -> User:
    db.session.expire_all()
    return db.session.get(User, user_id)


def test_many_addresses_cannot_guess_one_password(client, clock):
    user = UserFactory(email="target@example.org")
    for i in range(200):
        response = _login(client, user.email, f"{WRONG}-{i}", f"192.0.2.{i % 25 + 1}")
        assert response.status_code == 200
    # Throttled: even the right password is refused (and not checked), from a new address.
    refused = _login(client, user.email, PASSWORD, "198.51.100.7")
    assert refused.status_code == 200
    assert HINT_FR in _flash(refused)
    assert client.get("/dashboard", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 302
    # Only the attempts outside the delays counted: the first five.
    assert _user(user.id).failed_login_count == services.THROTTLE_AFTER
    throttled = db.session.scalars(
        select(AuditEvent).where(
            AuditEvent.action == "auth.login_failed", AuditEvent.target_id == user.id
        )
    ).all()
    assert sum(1 for e in throttled if e.details.get("reason") == "throttled") == 196
    # After the delay (15 s after the fifth failure), the right password logs in and the count
    # starts again from zero.
    clock.advance(seconds=16)
    assert _login(client, user.email, PASSWORD, "198.51.100.7").status_code == 302
    assert client.get("/dashboard", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200
    user = _user(user.id)
    assert user.failed_login_count == 0 and user.last_failed_login_at is None


def test_delays_grow_then_stay_at_fifteen_minutes(clock):
    user = UserFactory(email="slow@example.org")
    assert [services.login_delay(n).total_seconds() for n in (0, 4, 5, 6, 7, 10, 11, 99)] == [
        0,
        0,
        15,
        30,
        60,
        480,
        900,
        900,
    ]
    for _ in range(5):
        assert services.authenticate(user.email, WRONG) is None
    assert user.failed_login_count == 5
    clock.advance(seconds=15)
    assert services.authenticate(user.email, WRONG) is None  # counted: the delay was over
    assert user.failed_login_count == 6
    clock.advance(seconds=29)
    assert services.authenticate(user.email, PASSWORD) is None  # 30 s now
    clock.advance(seconds=1)
    assert services.authenticate(user.email, PASSWORD) == user
    assert user.failed_login_count == 0
    # A success resets: the next four failures cost no delay.
    for _ in range(4):
        assert services.authenticate(user.email, WRONG) is None
    assert services.authenticate(user.email, PASSWORD) == user


def test_throttled_known_and_unknown_addresses_read_the_same(client, clock):
    user = UserFactory(email="known@example.org")
    unknown = _flash(_login(client, "unknown@example.org", WRONG))
    wrong = _flash(_login(client, user.email, WRONG))
    for _ in range(5):
        _login(client, user.email, WRONG)
    throttled = _flash(_login(client, user.email, PASSWORD))
    assert unknown == wrong == throttled
    assert "Adresse e-mail ou mot de passe incorrect" in unknown and HINT_FR in unknown
    # An unknown address gets no counter (no row is created for it), whatever the attempts.
    for _ in range(20):
        assert _login(client, "unknown@example.org", WRONG).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(User)) == 1


def _alerts(email: str) -> list[OutboxMessage]:
    return db.session.scalars(
        select(OutboxMessage).where(OutboxMessage.recipient == email).order_by(OutboxMessage.id)
    ).all()


def test_owner_is_told_once_a_day_in_their_language(client, clock, app, monkeypatch):
    monkeypatch.setitem(app.config, "SERVER_BASE_URL", "https://exchange.example.org")
    user = UserFactory(email="owner@example.org", locale="en")
    for i in range(12):
        _login(client, user.email, WRONG, f"192.0.2.{i + 1}")
        clock.advance(minutes=16)  # past every delay: each attempt counts
    assert _user(user.id).failed_login_count == 12
    (message,) = _alerts(user.email)
    assert message.subject == "Failed login attempts on your MNC Exchange account"
    assert "a wrong password 10 times in a row" in message.body_text
    assert "https://exchange.example.org/password/forgot" in message.body_text
    assert db.session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "auth.login_alert")
    )
    # A day later, still failing: one more e-mail.
    clock.advance(days=1)
    _login(client, user.email, WRONG)
    assert len(_alerts(user.email)) == 2


def test_alert_in_french(client, clock):
    user = UserFactory(email="proprietaire@example.org", locale="fr")
    for _ in range(10):
        _login(client, user.email, WRONG)
        clock.advance(minutes=16)
    (message,) = _alerts(user.email)
    assert message.subject == "Tentatives de connexion échouées sur votre compte MNC Exchange"
    assert "10 fois de suite" in message.body_text
