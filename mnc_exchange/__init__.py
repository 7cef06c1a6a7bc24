"""mnc_exchange: the Maroc Numeric Cluster internship exchange.

``create_app(config=None)`` builds the Flask application: configuration, extensions,
blueprints per domain, error handlers and CLI commands.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

from flask import Flask, g, request, session
from flask_login import current_user

from . import wiring
from .config import default_database_url, load_config, normalise_database_url
from .extensions import babel, bootstrap, csrf, db, limiter, login_manager, migrate

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: str | dict | None = None) -> Flask:
    """Application factory.

    ``config`` is a configuration name (``development``, ``testing``, ``production``), a dict of
    overrides applied on top of the ``MNC_CONFIG`` configuration, or None.
    """
    app = Flask(
        __name__,
        instance_path=os.environ.get("INSTANCE_PATH") or str(ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
    )
    overrides = config if isinstance(config, dict) else {}
    name = config if isinstance(config, str) else overrides.pop("CONFIG_NAME", None)
    app.config.from_object(load_config(name))
    app.config.update(overrides)
    _finish_config(app)

    if app.config.get("PROXY_COUNT"):
        # Behind a reverse proxy: the client's address (rate limits, audit) and scheme come
        # from X-Forwarded-For / X-Forwarded-Proto set by that many trusted proxies.
        from werkzeug.middleware.proxy_fix import ProxyFix

        # Only X-Forwarded-For and X-Forwarded-Proto are trusted. The Host header is the one
        # the proxy passes on (nginx: `proxy_set_header Host $host`) and TRUSTED_HOSTS checks
        # it; X-Forwarded-Host, -Port and -Prefix are ignored (a client could set them).
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(
            app.wsgi_app, x_for=count, x_proto=count, x_host=0, x_port=0, x_prefix=0
        )
    register_extensions(app)
    wiring.connect()
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_request_hooks(app)
    register_commands(app)
    return app


def _finish_config(app: Flask) -> None:
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if app.config.get("ENV_NAME") == "production" and not os.environ.get("SECRET_KEY"):
        raise RuntimeError(
            "SECRET_KEY must be set in the environment in the production configuration."
        )
    if app.config.get("ENV_NAME") == "production":
        if not os.environ.get("SERVER_BASE_URL"):
            raise RuntimeError(
                "SERVER_BASE_URL must be set in the environment in the production "
                "configuration (e.g. https://exchange.example.ma): every link in e-mails and "
                "PDFs is built on it."
            )
        app.config["SERVER_BASE_URL"] = os.environ["SERVER_BASE_URL"]
    base_url = urlsplit(app.config["SERVER_BASE_URL"])
    if base_url.scheme not in ("http", "https") or not base_url.hostname:
        raise RuntimeError(
            "SERVER_BASE_URL must be an absolute http(s) URL, not "
            f"{app.config['SERVER_BASE_URL']!r}"
        )
    if app.config.get("TRUSTED_HOSTS") is None and app.config.get("ENV_NAME") == "production":
        # Production answers only for the host of SERVER_BASE_URL unless told otherwise.
        app.config["TRUSTED_HOSTS"] = [base_url.hostname]
    _finish_ratelimit_config(app)
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        url = os.environ.get("DATABASE_URL") or default_database_url(app.instance_path)
        app.config["SQLALCHEMY_DATABASE_URI"] = url
    app.config["SQLALCHEMY_DATABASE_URI"] = normalise_database_url(
        app.config["SQLALCHEMY_DATABASE_URI"]
    )
    if not app.config.get("UPLOAD_FOLDER"):
        app.config["UPLOAD_FOLDER"] = str(Path(app.instance_path) / "uploads")
    Path(app.config["UPLOAD_FOLDER"]).mkdir(parents=True, exist_ok=True)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(Path(__file__).parent / "translations")
    if app.config.get("ENV_NAME") == "development" and not (
        app.config.get("SEAL_KEY_PATH") or app.config.get("SEAL_CERT_PATH")
    ):
        # The demo certificate of `flask seal init-demo` (make run), if it exists.
        seal_dir = Path(app.instance_path) / "seal"
        app.config["SEAL_KEY_PATH"] = str(seal_dir / "demo-key.pem")
        app.config["SEAL_CERT_PATH"] = str(seal_dir / "demo-cert.pem")
    from .agreements.order import parse_signing_order

    try:
        parse_signing_order(app.config["AGREEMENT_SIGNING_ORDER"])
    except ValueError as exc:
        raise RuntimeError(f"AGREEMENT_SIGNING_ORDER: {exc}") from None


# Seconds a rate-limited request waits for Redis before the in-memory fallback takes over.
REDIS_TIMEOUT = 1.0


def _finish_ratelimit_config(app: Flask) -> None:
    """Rate limits count in Redis (``REDIS_URL``) whenever it is configured. Counting in memory
    counts per process: with N gunicorn workers every limit lets N times its value through, so
    the production configuration refuses it unless the deployment declares a single worker."""
    config = app.config
    uri = config.get("RATELIMIT_STORAGE_URI") or config.get("REDIS_URL") or "memory://"
    config["RATELIMIT_STORAGE_URI"] = uri
    if uri.startswith(("redis://", "rediss://", "redis+unix://")):
        options = dict(config.get("RATELIMIT_STORAGE_OPTIONS") or {})
        options.setdefault("socket_connect_timeout", REDIS_TIMEOUT)
        options.setdefault("socket_timeout", REDIS_TIMEOUT)
        config["RATELIMIT_STORAGE_OPTIONS"] = options
    if (
        config.get("ENV_NAME") == "production"
        and uri.startswith("memory://")
        and os.environ.get("WEB_CONCURRENCY", "").strip() != "1"
    ):
        raise RuntimeError(
            "Rate limits would be counted per worker process (RATELIMIT_STORAGE_URI=memory://): "
            "with several gunicorn workers each one lets the whole limit through. Set REDIS_URL "
            "(e.g. redis://127.0.0.1:6379/0) in the production configuration, or run a single "
            "worker and declare it with WEB_CONCURRENCY=1."
        )


def _select_locale() -> str:
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    lang = session.get("lang")
    if lang in languages:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401 - registers every model with the metadata

    db.init_app(app)
    migrate.init_app(app, db, directory=str(ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    bootstrap.init_app(app)
    limiter.init_app(app)

    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please log in to see this page.")

    from .accounts.sessions import session_identifier

    # "strong" protection on a fingerprint that ignores X-Forwarded-For (see session_identifier).
    login_manager._session_identifier_generator = session_identifier

    @login_manager.user_loader
    def load_user(token: str):
        # Sessions and remember cookies carry the token of a server-side session
        # (accounts.sessions), never the user's id: logout and "log out of all devices" end them.
        from .accounts.sessions import load

        return load(token)


def register_blueprints(app: Flask) -> None:
    from .accounts.views import bp as accounts_bp
    from .admin.views import bp as admin_bp
    from .agreements.views import bp as agreements_bp
    from .agreements.views_verify import bp as verify_bp
    from .applications.views_documents import bp as documents_bp
    from .applications.views_reference import bp as reference_bp
    from .applications.views_staff import bp as screening_bp
    from .applications.views_student import bp as applications_bp
    from .cohorts.views import bp as cohorts_bp
    from .followup.views_host import bp as host_interns_bp
    from .followup.views_staff import bp as followup_bp
    from .followup.views_student import bp as my_internship_bp
    from .followup.views_tutor import bp as evaluation_bp
    from .hosts.views_host import bp as company_bp
    from .hosts.views_staff import bp as companies_bp
    from .main.views import bp as main_bp
    from .maintenance.views import bp as privacy_bp
    from .offers.views import bp as offers_bp
    from .placements.views_host import bp as candidates_bp
    from .placements.views_staff import bp as matching_bp
    from .placements.views_student import bp as my_ranking_bp
    from .reports.views import bp as reports_bp
    from .selection.views_reviewer import bp as reviews_bp
    from .selection.views_staff import bp as selection_bp
    from .selection.views_student import bp as my_selection_bp

    for bp in (
        main_bp,
        accounts_bp,
        cohorts_bp,
        admin_bp,
        applications_bp,
        screening_bp,
        reference_bp,
        documents_bp,
        selection_bp,
        reviews_bp,
        my_selection_bp,
        company_bp,
        companies_bp,
        offers_bp,
        my_ranking_bp,
        candidates_bp,
        matching_bp,
        agreements_bp,
        verify_bp,
        privacy_bp,
        my_internship_bp,
        evaluation_bp,
        followup_bp,
        host_interns_bp,
        reports_bp,
    ):
        app.register_blueprint(bp)


def register_errorhandlers(app: Flask) -> None:
    from .errors import register

    register(app)


def register_template_helpers(app: Flask) -> None:
    from .templating import register

    register(app)

    @app.context_processor
    def inject():
        from flask import has_request_context
        from flask_babel import get_locale

        from .accounts.forms import ROLE_LABELS
        from .cohorts.services import STATE_LABELS
        from .mail.models import OUTBOX_LABELS
        from .main.calendar import STEP_LABELS
        from .permissions import can

        # The user object itself: a page asks `can` several times. Outside a request (e-mails
        # rendered by the CLI, the scheduler, the demo data) nobody, as current_user is there.
        # The menu's two forms (language, log out) are written by `navigation()`.
        user = current_user._get_current_object() if has_request_context() else None
        return {
            "can": lambda permission: can(user, permission),
            "role_labels": ROLE_LABELS,
            "current_locale": str(get_locale()),
            "state_label": lambda state: STATE_LABELS[state],
            "calendar_labels": STEP_LABELS,
            "outbox_labels": OUTBOX_LABELS,
        }


def register_request_hooks(app: Flask) -> None:
    from .security import apply_security_headers

    # No e-mail is sent on the request path: requests queue, the outbox worker delivers.
    app.after_request(apply_security_headers)

    @app.before_request
    def _remember_path() -> None:
        g.request_path = request.path

    from .core import page_cache

    # Last of the request hooks: the rate limits, the host and input checks run first.
    page_cache.init_app(app)


def register_commands(app: Flask) -> None:
    from .cli import register

    register(app)
