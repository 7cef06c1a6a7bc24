"""HTTP security headers applied to every response."""

from __future__ import annotations

from flask import current_app, request

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)
#: The application uses no device or payment feature: none may be used by its pages (or by
#: anything injected into them). Only standard feature names (unknown ones are logged as
#: errors by browsers).
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), "
    "microphone=(), payment=(), usb=()"
)
#: The application's own static files (CSS, JavaScript, icons): no personal data, they keep
#: Flask's caching (revalidated with their ETag).
STATIC_ENDPOINTS = frozenset({"static", "bootstrap.static"})
#: Responses that hold no personal data and set their own caching: the reports' charts (counts
#: only, at a URL that changes with the figures).
KEPT_ENDPOINTS = frozenset({"reports.chart"})
NO_STORE = "private, no-store"


def apply_security_headers(response):
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CSP)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
    if request.endpoint not in STATIC_ENDPOINTS | KEPT_ENDPOINTS and "no-store" not in headers.get(
        "Cache-Control", ""
    ):
        # Every page and download may show personal data (a logged-in user's pages, and the
        # public ones opened from a personal link: verification, evaluation, password reset,
        # joining a company): no browser or proxy keeps a copy. Decided without looking at
        # the user, so no database query here (error pages must not need the database).
        headers["Cache-Control"] = NO_STORE
    if current_app.config.get("ENV_NAME") == "production":
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
