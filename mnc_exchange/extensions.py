"""Every Flask extension, created unbound; ``create_app`` binds them."""

from __future__ import annotations

import weakref

import flask
from flask_babel import Babel
from flask_bootstrap import Bootstrap5
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits.storage import MemoryStorage
from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
bootstrap = Bootstrap5()

_LIMITER_STATE = "mnc_limiter_state"


class _PerApp:
    """An attribute of :class:`AppLimiter` kept per Flask application."""

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, limiter, owner=None):
        if limiter is None:
            return self
        return limiter._state().get(self.name)

    def __set__(self, limiter, value) -> None:
        limiter._state()[self.name] = value


class AppLimiter(Limiter):
    """Flask-Limiter whose storage and settings belong to each application it is bound to.

    Flask-Limiter keeps its storage, key prefix and error policy on the extension object, so a
    second ``create_app`` in the same process silently reused the first one's key prefix and
    replaced its storage. Here they live in ``app.extensions``: every application counts with
    its own storage (like a gunicorn worker does), and ``RATELIMIT_*`` settings apply to the
    application they are given to. The limits declared by the views stay shared.

    The per-application attributes below are Flask-Limiter 4.1's (pinned): check the list when
    upgrading it (tests/security/test_limits.py fails if the workers stop counting apart).
    """

    enabled = _PerApp()
    _swallow_errors = _PerApp()
    _fail_on_first_breach = _PerApp()
    _headers_enabled = _PerApp()
    _header_mapping = _PerApp()
    _retry_after = _PerApp()
    _strategy = _PerApp()
    _storage_uri = _PerApp()
    _storage_options = _PerApp()
    _storage = _PerApp()
    _limiter = _PerApp()
    _key_prefix = _PerApp()
    _request_identifier = _PerApp()
    _on_breach = _PerApp()
    _on_meta_breach = _PerApp()
    _in_memory_fallback = _PerApp()
    _in_memory_fallback_enabled = _PerApp()
    _fallback_storage = _PerApp()
    _fallback_limiter = _PerApp()
    _storage_dead = _PerApp()
    _Limiter__check_backend_count = _PerApp()
    _Limiter__last_check_backend = _PerApp()

    def __init__(self, *args, **kwargs) -> None:
        self.__dict__["_defaults"] = {}
        self.__dict__["_binding"] = None
        self.__dict__["_apps"] = weakref.WeakSet()
        super().__init__(*args, **kwargs)

    def _state(self) -> dict:
        app = self.__dict__["_binding"]
        if app is None and flask.has_app_context():
            app = flask.current_app
        state = app.extensions.get(_LIMITER_STATE) if app is not None else None
        return state if state is not None else self.__dict__["_defaults"]

    def init_app(self, app: flask.Flask) -> None:
        state = dict(self.__dict__["_defaults"])
        state["_storage_options"] = dict(state.get("_storage_options") or {})
        state["_header_mapping"] = dict(state.get("_header_mapping") or {})
        state["_in_memory_fallback"] = list(state.get("_in_memory_fallback") or [])
        app.extensions[_LIMITER_STATE] = state
        self.__dict__["_binding"] = app
        try:
            super().init_app(app)
        finally:
            self.__dict__["_binding"] = None
        self._apps.add(app)

    def reset(self) -> None:
        """Forget the counters of the current application; outside an application context (the
        tests, between two tests), those this process keeps in memory for every application.
        Counters in a shared store (Redis) are other processes' too and stay."""
        if flask.has_app_context() and _LIMITER_STATE in flask.current_app.extensions:
            super().reset()
            return
        for app in list(self._apps):
            storage = app.extensions[_LIMITER_STATE].get("_storage")
            if isinstance(storage, MemoryStorage):
                storage.reset()


limiter = AppLimiter(key_func=get_remote_address, default_limits=[])
