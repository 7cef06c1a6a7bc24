"""Load test: the main pages of every role, logged in as the demo accounts.

Run by ``bench/load/run.sh`` (gunicorn + PostgreSQL + demo data, then locust headless with 50
users for 60 s). Each simulated user logs in once (GET /login, the CSRF token from the form,
POST /login) and then opens its role's pages in random order, waiting ``LOAD_WAIT_MIN`` to
``LOAD_WAIT_MAX`` seconds (default 1–3 s) between two pages.

A response counts as a failure when its status is not 200, or when a logged-in page ends on
the login page (the session was lost). Server errors (5xx) are also counted apart, printed at
the end, and make locust exit with status 1. The response times of the steady state (after
``LOAD_STEADY_AFTER`` seconds, default 15) go to ``LOAD_STEADY_CSV`` when it is set.

By hand, against a server with the demo data:
    locust -f bench/load/locustfile.py --host http://127.0.0.1:8000 --headless -u 50 -r 10 -t 60s
"""

from __future__ import annotations

import csv
import math
import os
import re
import time
from collections import Counter, defaultdict

from locust import HttpUser, between, events, task
from locust.exception import StopUser

# The demo accounts (mnc_exchange/demo/common.py, DEMO_ACCOUNTS / DEMO_PASSWORD); not imported,
# so that locust does not have to import the application.
DEMO_PASSWORD = os.environ.get("DEMO_PASSWORD", "mnc-demo-2026!")
ACCOUNTS = {
    "student": "etudiant@demo.mnc.ma",
    "host": "rh@demo-entreprise.fr",
    "coordinator": "coordinateur@demo.mnc.ma",
    "official": "officiel@demo.mnc.ma",
}

WAIT = between(float(os.environ.get("LOAD_WAIT_MIN", 1)), float(os.environ.get("LOAD_WAIT_MAX", 3)))

CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]+)\"")
OFFER_LINK = re.compile(r"href=\"/offers/(\d+)\"")

SERVER_ERRORS: Counter[str] = Counter()

# Steady state: the response times of the requests that end ``LOAD_STEADY_AFTER`` seconds
# (default 15) after the start, once every user has arrived and logged in; written to
# ``LOAD_STEADY_CSV`` when set (bench/load/summary.py prints it).
STEADY_AFTER = float(os.environ.get("LOAD_STEADY_AFTER", 15))
STEADY: dict[str, list[float]] = defaultdict(list)
STARTED = [0.0]


@events.test_start.add_listener
def _started(**_kwargs) -> None:
    STARTED[0] = time.monotonic()


@events.request.add_listener
def _on_request(request_type, name, response_time, response=None, exception=None, **_kw) -> None:
    status = getattr(response, "status_code", 0) or 0
    if status >= 500:
        SERVER_ERRORS[f"{name} -> {status}"] += 1
    if STARTED[0] and time.monotonic() - STARTED[0] >= STEADY_AFTER:
        STEADY[f"{request_type} {name}"].append(response_time)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))]


@events.quitting.add_listener
def _report(environment, **_kwargs) -> None:
    total = sum(SERVER_ERRORS.values())
    print(f"\nserver errors (5xx): {total}")
    for key, n in SERVER_ERRORS.most_common():
        print(f"  {n:6d}  {key}")
    if total:
        environment.process_exit_code = 1
    path = os.environ.get("LOAD_STEADY_CSV")
    if path and STEADY:
        every = [value for values in STEADY.values() for value in values]
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["Name", "Request Count", "50%", "95%", "99%", "Max", "After"])
            for name, values in [*sorted(STEADY.items()), ("Aggregated", every)]:
                writer.writerow(
                    [name, len(values)]
                    + [round(_percentile(values, q)) for q in (0.5, 0.95, 0.99)]
                    + [round(max(values)), STEADY_AFTER]
                )


def csrf_token(html: str) -> str | None:
    """The value of the form's hidden ``csrf_token`` input."""
    tag = CSRF_INPUT.search(html)
    value = VALUE.search(tag.group(0)) if tag else None
    return value.group(1) if value else None


class _Page:
    """Shared page check: 200 and, when logged in, not bounced to the login page."""

    def open(self, client, url: str, name: str, logged_in: bool = True):
        with client.get(url, name=name, catch_response=True) as response:
            if response.status_code == 0:  # no HTTP answer: the connection failed
                response.failure(f"no response: {response.error!r}")
            elif response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif logged_in and "/login" in response.url:
                response.failure("redirected to the login page (session lost)")
            else:
                response.success()
            return response


class Visitor(_Page, HttpUser):
    """Not logged in: the public home page and the liveness page."""

    weight = 10
    wait_time = WAIT

    @task(3)
    def home(self) -> None:
        self.open(self.client, "/", "visitor: / (home)", logged_in=False)

    @task(1)
    def ping(self) -> None:
        self.open(self.client, "/ping", "visitor: /ping", logged_in=False)


class _LoggedIn(_Page, HttpUser):
    abstract = True
    wait_time = WAIT
    role = ""

    def on_start(self) -> None:
        with self.client.get("/login", name="login: GET /login", catch_response=True) as page:
            token = csrf_token(page.text or "")
            if page.status_code != 200 or token is None:
                page.failure(f"no login form (HTTP {page.status_code})")
                raise StopUser()
            page.success()
        with self.client.post(
            "/login",
            data={"csrf_token": token, "email": ACCOUNTS[self.role], "password": DEMO_PASSWORD},
            name="login: POST /login",
            catch_response=True,
        ) as response:
            if response.status_code != 200 or not response.url.endswith("/dashboard"):
                response.failure(f"login failed (HTTP {response.status_code}, {response.url})")
                raise StopUser()
            response.success()
        self.offer_url: str | None = None

    def page(self, url: str, label: str):
        return self.open(self.client, url, f"{self.role}: {label}")

    def find_offer(self, list_url: str, label: str) -> str | None:
        """An offer page linked from a list (the first one), remembered for the next times."""
        if self.offer_url is None:
            response = self.page(list_url, label)
            match = OFFER_LINK.search(response.text or "")
            if match:
                self.offer_url = f"/offers/{match.group(1)}"
        return self.offer_url


class Student(_LoggedIn):
    weight = 15
    role = "student"

    @task
    def dashboard(self) -> None:
        self.page("/dashboard", "/dashboard")


class Host(_LoggedIn):
    weight = 10
    role = "host"

    @task(3)
    def dashboard(self) -> None:
        self.page("/dashboard", "/dashboard")

    @task(1)
    def offers(self) -> None:
        self.page("/company/offers", "/company/offers (offers.mine)")

    @task(1)
    def offer(self) -> None:
        url = self.find_offer("/company/offers", "/company/offers (offers.mine)")
        if url:
            self.page(url, "/offers/<id> (offers.detail)")


class Coordinator(_LoggedIn):
    weight = 10
    role = "coordinator"

    @task(2)
    def dashboard(self) -> None:
        self.page("/dashboard", "/dashboard")

    @task
    def screening(self) -> None:
        self.page("/screening/", "/screening/ (screening.index)")

    @task
    def offers(self) -> None:
        self.page("/offers", "/offers (offers.review)")

    @task
    def offer(self) -> None:
        url = self.find_offer("/offers", "/offers (offers.review)")
        if url:
            self.page(url, "/offers/<id> (offers.detail)")

    @task
    def matching(self) -> None:
        self.page("/matching", "/matching (matching.index)")

    @task
    def followup(self) -> None:
        self.page("/followup", "/followup (followup.board)")

    @task
    def agreements(self) -> None:
        self.page("/agreements/", "/agreements/ (agreements.index)")

    @task
    def reports(self) -> None:
        self.page("/reports", "/reports (reports.dashboard)")


class Official(_LoggedIn):
    weight = 5
    role = "official"

    @task(2)
    def dashboard(self) -> None:
        self.page("/dashboard", "/dashboard")

    @task(1)
    def reports(self) -> None:
        self.page("/reports", "/reports (reports.dashboard)")
