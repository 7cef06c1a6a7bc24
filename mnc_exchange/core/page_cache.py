"""Pages kept per data version: a repeat view of a page, with nothing written to the database
since, is served from the worker's memory instead of being built again.

What a kept page depends on is its key: the URL (path and query), the language, the user and
the server-side session the request runs under, the rest of the Flask session (the cohort a
staff page remembers...), the data version and the current minute. So:

- **the data version** is the token of the ``data_version`` row. Every transaction that
  writes through the application's session (a flush with changes, an ORM or Core
  ``INSERT``/``UPDATE``/``DELETE`` through ``db.session``) replaces it with a new random token
  as its last statement, in the same transaction: a page is never served for data older than
  what the database holds. The token is read before anything else the view reads, so a page
  built while another request commits is kept under the older token, which no later request
  reads again. A random token (not a counter) also holds after a restore: the restored row
  stands for the restored data;
- **the minute**: what depends on the clock (a deadline passed, "overdue", today's date) is
  at most a minute behind, and nothing is kept longer than the minute it was built in;
- **who**: a page is kept for one user's one session, never shared between two users or two
  logins of one user.

A page is kept only when building it changed nothing: no write to the database (a view that
records something runs every time), the Flask session as it was, no message shown (the
flashed messages are read once); only a ``200`` HTML answer to a ``GET``. The CSRF token in the
page is replaced by the request's own when it is served again. Only the views marked ``kept``
(the pages of the menus) take part; ``PAGE_CACHE = False`` (environment ``PAGE_CACHE=0``)
turns it off, and nothing is kept while templates reload (``FLASK_DEBUG``).

Each worker process keeps its own pages (at most ``PAGE_CACHE_BYTES``, the least recently
served dropped first); they are all dropped when the data version changes.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, has_request_context, request, session
from flask_babel import get_locale
from flask_login import current_user
from sqlalchemy import event, insert, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from . import timeutils
from .models import DataVersion

F = TypeVar("F", bound=Callable[..., Any])

_KEPT = "_mnc_kept_page"
_VERSION = DataVersion.__table__
_READ_VERSION = select(_VERSION.c.token).where(_VERSION.c.id == 1)
#: session.info key: the transaction wrote something (the token is replaced at commit).
_WROTE = "page_cache_wrote"
#: Stands for the request's CSRF token in a kept page.
_CSRF_MARK = b"\x00csrf\x00"
#: Answer headers that belong to one answer only (the session's cookie, the length).
_NOT_KEPT_HEADERS = frozenset({"set-cookie", "content-length"})


def kept(view: F) -> F:
    """Mark a view whose page may be kept (put it right under the route decorator)."""
    setattr(view, _KEPT, True)
    return view


@dataclass(frozen=True, slots=True)
class _Page:
    body: bytes
    headers: tuple[tuple[str, str], ...]
    has_csrf: bool

    def answer(self) -> Response:
        body = self.body
        if self.has_csrf:
            from flask_wtf.csrf import generate_csrf

            body = body.replace(_CSRF_MARK, generate_csrf().encode())
        return Response(body, status=200, headers=self.headers)


class PageStore:
    """The pages kept by one worker for one application, at most ``limit`` bytes; all of them
    dropped when the data version changes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.token: str | None = None
        self.size = 0
        self.hits = 0
        self._pages: OrderedDict[tuple, _Page] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._pages)

    def at_version(self, token: str) -> None:
        with self._lock:
            if token != self.token:
                self._pages.clear()
                self.size = 0
                self.token = token

    def get(self, key: tuple) -> _Page | None:
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
                self.hits += 1
            return page

    def put(self, key: tuple, page: _Page) -> None:
        if len(page.body) > self.limit // 8:
            return
        with self._lock:
            if key[0] != self.token:
                return  # built at a version already replaced
            old = self._pages.pop(key, None)
            if old is not None:
                self.size -= len(old.body)
            self._pages[key] = page
            self.size += len(page.body)
            while self.size > self.limit and self._pages:
                _unused, dropped = self._pages.popitem(last=False)
                self.size -= len(dropped.body)

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self.size = 0


def store(app: Flask | None = None) -> PageStore:
    app = app or current_app
    return app.extensions["mnc_page_cache"]


def data_version() -> str:
    """The current data version (``""`` before the first write)."""
    return db.session.connection().execute(_READ_VERSION).scalar() or ""


def _session_state() -> str:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    return json.dumps({k: v for k, v in session.items() if k != field}, sort_keys=True, default=str)


def _active(app: Flask) -> bool:
    return bool(app.config.get("PAGE_CACHE")) and not app.jinja_env.auto_reload


def _before_request() -> Response | None:
    if request.method != "GET":
        return None
    app = current_app._get_current_object()
    view = app.view_functions.get(request.endpoint or "")
    if view is None or not getattr(view, _KEPT, False) or not _active(app):
        return None
    if "_flashes" in session:
        return None  # the page shows a message once
    pending = db.session()
    if pending.info.get(_WROTE) or pending.new or pending.dirty or pending.deleted:
        return None  # this session's writes, not committed yet, are not in any token
    token = data_version()  # before anything the view reads
    pages = store(app)
    pages.at_version(token)
    user = current_user._get_current_object()
    if user.is_authenticated:
        current = getattr(user, "current_session", None)
        who: tuple = (user.id, getattr(current, "id", None))
    else:
        who = (None, None)
    key = (
        token,
        timeutils.utcnow().strftime("%Y%m%d%H%M"),
        request.host,
        request.full_path,
        str(get_locale()),
        who,
        _session_state(),
    )
    page = pages.get(key)
    if page is not None:
        return page.answer()
    g.page_cache_key = key
    g.page_cache_wrote = False
    return None


def _after_request(response: Response) -> Response:
    key = g.pop("page_cache_key", None)
    if key is None:
        return response
    if (
        response.status_code != 200
        or response.mimetype != "text/html"
        or response.is_streamed
        or response.direct_passthrough
        or g.get("page_cache_wrote")
        or "_flashes" in session
        or _session_state() != key[-1]
    ):
        return response
    body = response.get_data()
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    token = g.get(field)
    has_csrf = bool(token) and token.encode() in body
    if has_csrf:
        body = body.replace(token.encode(), _CSRF_MARK)
    headers = tuple(
        (name, value) for name, value in response.headers if name.lower() not in _NOT_KEPT_HEADERS
    )
    store().put(key, _Page(body, headers, has_csrf))
    return response


def _note_write(session_) -> None:
    session_.info[_WROTE] = True
    if has_request_context():
        g.page_cache_wrote = True


@event.listens_for(db.session, "before_flush")
def _before_flush(session_, flush_context, instances) -> None:
    if session_.new or session_.deleted or any(session_.is_modified(o) for o in session_.dirty):
        _note_write(session_)


@event.listens_for(db.session, "do_orm_execute")
def _statement(orm_execute_state) -> None:
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        _note_write(orm_execute_state.session)


@event.listens_for(db.session, "before_commit")
def _before_commit(session_) -> None:
    """Replace the data version's token, as the transaction's last statement.

    SQLAlchemy also calls this when a savepoint (``begin_nested``) is released: the token is
    left to the whole transaction's commit, so that its row is locked only for the commit (and
    the transaction's writes are counted whatever becomes of its savepoints)."""
    if session_.in_nested_transaction():
        return
    if session_.new or session_.dirty or session_.deleted:
        session_.flush()  # the last changes (the commit's own flush comes after this hook)
    if not session_.info.pop(_WROTE, False):
        return
    connection = session_.connection()
    token = secrets.token_hex(16)
    changed = connection.execute(update(_VERSION).where(_VERSION.c.id == 1).values(token=token))
    if changed.rowcount:
        return
    try:
        with connection.begin_nested():
            connection.execute(insert(_VERSION).values(id=1, token=token))
    except IntegrityError:  # another transaction created the row meanwhile
        connection.execute(update(_VERSION).where(_VERSION.c.id == 1).values(token=token))


@event.listens_for(db.session, "after_soft_rollback")
def _after_rollback(session_, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session_.info.pop(_WROTE, None)


def init_app(app: Flask) -> None:
    app.extensions["mnc_page_cache"] = PageStore(app.config["PAGE_CACHE_BYTES"])
    app.before_request(_before_request)
    app.after_request(_after_request)
