"""Screenshots of each role's dashboard on a phone (390 px) and a laptop (1280 px), in French.

A throw-away SQLite database (temporary folder, test configuration) gets the demo data (the
current cohort and its applicants, the host companies, the previous cohort's matching, then its
agreements and follow-up: ``mnc_exchange.demo.load_demo_without_archives``), the app is served
on a free local port, and Chromium (through Playwright) logs in as each role and saves the top
of the dashboard as a PNG in ``docs/screenshots/`` (``<role>-<width>.png``, e.g.
``coordinator-1280.png``).

Usage: python bench/screenshots.py [--out docs/screenshots] [--roles coordinator,host]
(or ``make screenshots``). Needs the dev requirements and Chromium (``CHROMIUM_PATH``, default
``/usr/bin/chromium``), like the browser tests.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run from a checkout without installing: make the repository root importable.
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
#: (name, width, height): the phone is an iPhone 12-14 sized window.
SIZES = (("390", 390, 844), ("1280", 1280, 800))
#: Pixel ratio of the pictures (1: small files; the README shows them at their size).
SCALE = 1


def demo_accounts() -> dict[str, str]:
    """Load the demo data in the current app context; the e-mail of each role's account."""

    from mnc_exchange.demo import demo_logins, load_demo_without_archives
    from mnc_exchange.extensions import db

    # The previous cohort's agreements and follow-up, without the five archived years (the
    # slow part of the demo history).
    load_demo_without_archives()
    db.session.commit()
    logins = demo_logins()
    db.session.commit()
    return {
        "student": logins["student"],
        "applicant": logins["applicant"],
        "coordinator": logins["coordinator"],
        "host": logins["host"],
        "official": logins["official"],
        "admin": logins["admin"],
    }


@contextmanager
def demo_server():
    """Serve the app on a free local port with the demo data; yields (base URL, accounts)."""
    from werkzeug.serving import make_server

    from mnc_exchange import create_app
    from mnc_exchange.extensions import db

    with tempfile.TemporaryDirectory(prefix="mnc-screenshots-") as folder:
        app = create_app(
            {
                "CONFIG_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/demo.sqlite",
                "UPLOAD_FOLDER": folder,
                "WTF_CSRF_ENABLED": True,
            }
        )
        app.logger.setLevel(logging.ERROR)  # the demo agreements are not sealed: no warning
        with app.app_context():
            db.create_all()
            accounts = demo_accounts()
            db.session.remove()
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}", accounts
        finally:
            server.shutdown()
            server.server_close()
            with app.app_context():
                db.engine.dispose()


def log_in(page, email: str) -> None:
    from mnc_exchange.demo import DEMO_PASSWORD

    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(DEMO_PASSWORD)
    page.locator("main form button[type=submit], main form input[type=submit]").first.click()
    page.wait_for_url("**/dashboard")


def small(png: bytes, path: Path) -> None:
    """Save ``png`` with a 256-colour palette: a few dozen kilobytes instead of hundreds."""
    import io

    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"))
    parser.add_argument("--roles", default="", help="comma-separated (default: every role)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from playwright.sync_api import sync_playwright

    with demo_server() as (base_url, accounts), sync_playwright() as playwright:
        roles = [r for r in args.roles.split(",") if r] or list(accounts)
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for role in roles:
                for name, width, height in SIZES:
                    context = browser.new_context(
                        locale="fr-FR",
                        base_url=base_url,
                        viewport={"width": width, "height": height},
                        device_scale_factor=SCALE,
                        reduced_motion="reduce",
                    )
                    page = context.new_page()
                    log_in(page, accounts[role])
                    page.goto("/dashboard")
                    path = out / f"{role}-{name}.png"
                    small(page.screenshot(full_page=False), path)
                    context.close()
                    print(f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}")
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
