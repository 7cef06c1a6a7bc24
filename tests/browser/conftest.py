"""Browser tests: the real app served over HTTP, driven by Chromium through Playwright.

The app here keeps CSRF protection on, so the real forms and tokens are exercised. It shares
the database of the session fixtures in ``tests/conftest.py``: a test loads its data in its own
app context (the autouse fixture) and the browser sees it once committed.

Chromium comes from the system (``apt-get install chromium``); set ``CHROMIUM_PATH`` to use
another binary. When it (or the ``playwright`` package) is missing the tests are skipped with
a warning, except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NoReturn

import pytest
from werkzeug.serving import make_server

from mnc_exchange import create_app

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
LOCALE = "fr-FR"
DEFAULT_TIMEOUT_MS = 10_000
HERE = Path(__file__).resolve().parent
INSTALL_HINT = (
    "Install the browser with `apt-get install chromium` (or point CHROMIUM_PATH at a "
    "Chromium binary) and the Python package with `pip install -r requirements-dev.txt`."
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: end-to-end test driving Chromium through Playwright"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).resolve().parents:
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    """Keep each phase's report on the item (``rep_setup``, ``rep_call``, ``rep_teardown``)."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _browser_unavailable(config: pytest.Config, reason: str) -> NoReturn:
    """Fail in CI, skip loudly elsewhere."""
    message = f"Browser tests cannot run: {reason}. {INSTALL_HINT}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: browser tests are never skipped in CI)", pytrace=False)
    banner = f"{'!' * 78}\n!!! SKIPPING BROWSER TESTS: {message}\n{'!' * 78}"
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    capture = config.pluginmanager.get_plugin("capturemanager")
    if reporter is not None and capture is not None:  # straight to the terminal
        with capture.global_and_fixture_disabled():
            reporter.ensure_newline()
            reporter.write_line(banner, yellow=True, bold=True)
    else:
        print(banner, file=sys.stderr)
    warnings.warn(f"SKIPPING BROWSER TESTS: {message}", stacklevel=2)
    pytest.skip(f"SKIPPING BROWSER TESTS: {message}")


def _first_line(error: Exception, limit: int = 300) -> str:
    lines = str(error).strip().splitlines() or [type(error).__name__]
    return lines[0][:limit]


@pytest.fixture(scope="session")
def browser_app(app, database_url, uploads_dir):
    """The app the browser talks to: the test configuration, but with CSRF protection on.

    Depends on ``app`` so that the tables exist before the first request.
    """
    return create_app(
        {
            "CONFIG_NAME": "testing",
            "SQLALCHEMY_DATABASE_URI": database_url,
            "UPLOAD_FOLDER": uploads_dir,
            "WTF_CSRF_ENABLED": True,
        }
    )


@pytest.fixture(scope="session")
def live_server(browser_app) -> Iterator[str]:
    """Serve ``browser_app`` on a free local port; yields the base URL."""
    server = make_server("127.0.0.1", 0, browser_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser(pytestconfig):
    """Chromium, per test module: Playwright's sync API keeps an asyncio loop running in this
    thread while it is started, which would break ``asyncio.run`` (pyHanko's seal) in the
    tests that follow; so it is stopped at the end of each browser module."""
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        _browser_unavailable(
            pytestconfig, f"the Python package playwright cannot be imported ({exc})"
        )
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)) and not shutil.which(
        CHROMIUM
    ):
        _browser_unavailable(pytestconfig, f"no Chromium executable at {CHROMIUM!r}")

    manager = sync_playwright()
    playwright = manager.start()
    try:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
    except PlaywrightError as exc:
        manager.__exit__(None, None, None)
        _browser_unavailable(
            pytestconfig, f"Chromium at {CHROMIUM!r} failed to launch ({_first_line(exc)})"
        )
    try:
        yield browser
    finally:
        browser.close()
        manager.__exit__(None, None, None)


def _artifact_path(item: pytest.Item, suffix: str = "") -> Path:
    name = re.sub(r"[^A-Za-z0-9_.\-\[\]]+", "_", item.name) + suffix
    folder = item.config.rootpath / "test-artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{name}.png"


def _failed(item: pytest.Item) -> bool:
    return any(
        getattr(getattr(item, f"rep_{when}", None), "failed", False) for when in ("setup", "call")
    )


@pytest.fixture
def new_page(request, browser, live_server) -> Iterator[Callable]:
    """Factory: each call opens a page in a fresh context (its own cookies, so its own user).

    The contexts use the French locale and the live server as base URL; on failure a screenshot
    of every page is saved in ``test-artifacts/``; the contexts are closed at the end.
    """
    contexts = []

    def make():
        context = browser.new_context(locale=LOCALE, base_url=live_server)
        context.set_default_timeout(DEFAULT_TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make

    failed = _failed(request.node)
    for index, context in enumerate(contexts):
        if failed:
            for number, open_page in enumerate(context.pages):
                suffix = "" if index == number == 0 else f"-{index}.{number}"
                try:
                    open_page.screenshot(path=str(_artifact_path(request.node, suffix)))
                except Exception as exc:  # noqa: BLE001 - a screenshot must not hide the failure
                    print(f"screenshot failed: {exc}", file=sys.stderr)
        context.close()


@pytest.fixture
def page(new_page):
    """A page in a fresh French browser context (10 s default timeout), screenshotted on
    failure to ``test-artifacts/<test name>.png``."""
    return new_page()
