"""Configuration, read from environment variables with safe development defaults.

Every variable is documented in the README ("Configuration").
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path


def _bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def _list(name: str) -> list[str] | None:
    value = os.environ.get(name)
    if not value:
        return None
    return [item.strip() for item in value.split(",") if item.strip()]


def normalise_database_url(url: str) -> str:
    """Accept the usual ``postgres://`` / ``postgresql://`` forms and use psycopg 3."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


class Config:
    """Base configuration shared by every environment."""

    ENV_NAME = "base"
    SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-secret-change-me")
    SQLALCHEMY_DATABASE_URI: str | None = None  # set in create_app from DATABASE_URL
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    UPLOAD_FOLDER: str | None = os.environ.get("UPLOAD_FOLDER")
    MAX_CONTENT_LENGTH = _int("MAX_CONTENT_LENGTH", 16 * 1024 * 1024)

    BABEL_DEFAULT_LOCALE = "fr"
    BABEL_DEFAULT_TIMEZONE = "UTC"
    LANGUAGES = ("fr", "en")
    DISPLAY_TIMEZONE = os.environ.get("DISPLAY_TIMEZONE", "Africa/Casablanca")

    BOOTSTRAP_SERVE_LOCAL = True
    WTF_CSRF_TIME_LIMIT = None

    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    #: "Remember me" lasts this many days (30 at most); the server-side session ends with it.
    REMEMBER_COOKIE_DURATION = timedelta(days=min(_int("REMEMBER_DAYS", 30), 30))
    #: A login without "remember me" ends after this many seconds, whatever the browser keeps.
    SESSION_MAX_AGE = _int("SESSION_MAX_AGE", 12 * 3600)

    #: Number of trusted reverse proxies in front of the app (nginx: 1). 0 = none: the socket's
    #: peer is the client. Never set it higher than the real number of proxies.
    PROXY_COUNT = _int("PROXY_COUNT", 0)
    #: Redis, shared by every worker process: the rate limits' counters (``redis://host:6379/0``).
    REDIS_URL = os.environ.get("REDIS_URL", "")
    #: Where the rate limits count; default: ``REDIS_URL`` if set, else ``memory://`` (per process:
    #: refused in production unless a single worker is declared with ``WEB_CONCURRENCY=1``).
    RATELIMIT_STORAGE_URI = os.environ.get("RATELIMIT_STORAGE_URI", "")
    RATELIMIT_KEY_PREFIX = os.environ.get("RATELIMIT_KEY_PREFIX", "mnc-exchange")
    # Redis down: count in each worker's memory (the limits hold per worker) until it answers
    # again, rather than refusing every limited page or dropping the limits.
    RATELIMIT_IN_MEMORY_FALLBACK_ENABLED = _bool("RATELIMIT_IN_MEMORY_FALLBACK_ENABLED", True)
    RATELIMIT_HEADERS_ENABLED = True
    LOGIN_RATE_LIMIT = os.environ.get("LOGIN_RATE_LIMIT", "10 per minute")
    RESET_RATE_LIMIT = os.environ.get("RESET_RATE_LIMIT", "5 per minute")
    # Self-registration, joining by invitation and asking for a new confirmation link (POST).
    REGISTER_RATE_LIMIT = os.environ.get("REGISTER_RATE_LIMIT", "5 per minute")
    # Public pages opened from a link: document verification and the tutors' evaluation form.
    VERIFY_RATE_LIMIT = os.environ.get("VERIFY_RATE_LIMIT", "30 per minute")
    EVALUATION_RATE_LIMIT = os.environ.get("EVALUATION_RATE_LIMIT", "20 per minute")

    # Personal data (Moroccan law 09-08 / GDPR): shown in the notice students consent to.
    PRIVACY_CONTACT_EMAIL = os.environ.get(
        "PRIVACY_CONTACT_EMAIL", "donnees-personnelles@mnc-exchange.ma"
    )
    PERSONAL_DATA_RETENTION_YEARS = _int("PERSONAL_DATA_RETENTION_YEARS", 2)
    UPLOAD_MAX_BYTES = _int("UPLOAD_MAX_BYTES", 5 * 1024 * 1024)
    # Largest uploaded image, in pixels (width × height), checked before decoding.
    UPLOAD_MAX_IMAGE_PIXELS = _int("UPLOAD_MAX_IMAGE_PIXELS", 40_000_000)

    PASSWORD_RESET_MAX_AGE = _int("PASSWORD_RESET_MAX_AGE", 3600)
    #: Seconds a self-registered account's "confirm your address" link stays valid (48 hours).
    EMAIL_CONFIRM_MAX_AGE = _int("EMAIL_CONFIRM_MAX_AGE", 48 * 3600)
    PASSWORD_MIN_LENGTH = 12
    PASSWORD_HASH_METHOD = "scrypt"  # noqa: S105 - a method name

    MAIL_SERVER = os.environ.get("MAIL_SERVER", "")
    MAIL_PORT = _int("MAIL_PORT", 25)
    MAIL_USERNAME = os.environ.get("MAIL_USERNAME", "")
    MAIL_PASSWORD = os.environ.get("MAIL_PASSWORD", "")
    MAIL_USE_TLS = _bool("MAIL_USE_TLS")
    MAIL_USE_SSL = _bool("MAIL_USE_SSL")
    MAIL_TIMEOUT = _int("MAIL_TIMEOUT", 10)
    MAIL_DEFAULT_SENDER = os.environ.get(
        "MAIL_DEFAULT_SENDER", "MNC Exchange <no-reply@mnc-exchange.ma>"
    )
    MAIL_MAX_ATTEMPTS = _int("MAIL_MAX_ATTEMPTS", 5)
    # Absolute base of every link that leaves the application (e-mails, PDFs, QR codes); never
    # taken from the request. Required in production.
    SERVER_BASE_URL = os.environ.get("SERVER_BASE_URL", "http://127.0.0.1:5000")
    # Host names the application answers for (comma-separated); a request for another Host
    # gets 400. Unset: any host in development, the host of SERVER_BASE_URL in production.
    TRUSTED_HOSTS = _list("TRUSTED_HOSTS")

    # The programme's electronic seal on the final PDFs (PEM files; see core/seal.py). In
    # development, unset paths default to the demo certificate of `flask seal init-demo`
    # (instance/seal/). Without a usable key, production produces no final version (the
    # documents wait for `flask seal finalise`); elsewhere the final version is not sealed.
    SEAL_KEY_PATH = os.environ.get("SEAL_KEY_PATH") or None
    SEAL_CERT_PATH = os.environ.get("SEAL_CERT_PATH") or None
    SEAL_CHAIN_PATH = os.environ.get("SEAL_CHAIN_PATH") or None
    SEAL_KEY_PASSPHRASE = os.environ.get("SEAL_KEY_PASSPHRASE") or None
    # Who signs an agreement or amendment after whom: stages separated by ">", the parties of
    # one stage (comma-separated) in any order. Parties: host, student, tutor, institution,
    # referent, programme.
    AGREEMENT_SIGNING_ORDER = os.environ.get(
        "AGREEMENT_SIGNING_ORDER", "host > student > tutor, institution, referent > programme"
    )
    # Processes laying out a batch of PDFs (`flask agreements issue|generate`); 0: one per CPU.
    PDF_WORKERS = _int("PDF_WORKERS", 0)
    # Repeat views of the menus' pages served from each worker's memory while nothing in the
    # database changes (core/page_cache.py); at most PAGE_CACHE_BYTES per worker.
    PAGE_CACHE = _bool("PAGE_CACHE", True)
    PAGE_CACHE_BYTES = _int("PAGE_CACHE_BYTES", 32 * 1024 * 1024)
    # Largest PDF accepted by the public verification page (compared, never stored).
    VERIFY_UPLOAD_MAX_BYTES = _int("VERIFY_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)


class DevelopmentConfig(Config):
    ENV_NAME = "development"
    DEBUG = _bool("FLASK_DEBUG")


class TestingConfig(Config):
    ENV_NAME = "testing"
    TESTING = True
    SECRET_KEY = "testing-secret-key"  # noqa: S105 - tests only
    WTF_CSRF_ENABLED = False
    RATELIMIT_STORAGE_URI = "memory://"  # never the environment's REDIS_URL
    LOGIN_RATE_LIMIT = "1000 per minute"
    VERIFY_RATE_LIMIT = "1000 per minute"
    EVALUATION_RATE_LIMIT = "1000 per minute"
    RESET_RATE_LIMIT = "1000 per minute"
    REGISTER_RATE_LIMIT = "1000 per minute"
    MAIL_SERVER = ""
    # PDFs rendered in the test process (tests that check the batch's processes set 2).
    PDF_WORKERS = 1
    # Tests that seal configure their own key and certificate.
    SEAL_KEY_PATH = SEAL_CERT_PATH = SEAL_CHAIN_PATH = SEAL_KEY_PASSPHRASE = None
    # Fast hashing keeps the suite quick; production keeps scrypt.
    PASSWORD_HASH_METHOD = "pbkdf2:sha256:1000"  # noqa: S105 - a method name


class ProductionConfig(Config):
    ENV_NAME = "production"
    SESSION_COOKIE_SECURE = True
    REMEMBER_COOKIE_SECURE = True
    PREFERRED_URL_SCHEME = "https"


CONFIGS: dict[str, type[Config]] = {
    "development": DevelopmentConfig,
    "testing": TestingConfig,
    "production": ProductionConfig,
}


def load_config(name: str | None) -> type[Config]:
    name = name or os.environ.get("MNC_CONFIG", "development")
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(
            f"Unknown MNC_CONFIG {name!r}; expected one of {', '.join(CONFIGS)}"
        ) from None


def default_database_url(instance_path: str) -> str:
    return "sqlite:///" + str(Path(instance_path) / "mnc_exchange.sqlite")
