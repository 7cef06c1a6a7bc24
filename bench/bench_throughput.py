"""Throughput of the main dashboards as a ratio to the bare page (/ping), same server, same run.

Against a running server with the demo data (``bench/throughput.sh`` starts gunicorn and
PostgreSQL like the load test and runs this script): ``--threads`` threads (default 8), each
with its own keep-alive connection, request one page back to back. Every page gets
``--seconds`` (default 20) in all, split into ``--rounds`` (default 4) slices taken in turn
(page 1, page 2, ..., page 1, page 2, ...), so that a change of the machine's load during the
run hits every page alike. Requests per second = completed 200 responses / elapsed time; the
ratio divides it by the rate of /ping (no template, no database), whose spread over the rounds
is printed as a stability check.

The client runs on the same machine as the server and takes part of its CPU: the ratios
compare pages served the same way, the absolute numbers are this machine's.

Usage: python bench/bench_throughput.py --base-url http://127.0.0.1:8000 [--threads 8]
       [--seconds 20] [--rounds 4] [--warmup 2]
"""

from __future__ import annotations

import argparse
import http.client
import re
import statistics
import sys
import threading
import time
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

DEMO_PASSWORD = "mnc-demo-2026!"  # noqa: S105 - mnc_exchange.demo.DEMO_PASSWORD
ACCOUNTS = {
    "student": "etudiant@demo.mnc.ma",
    "host": "rh@demo-entreprise.fr",
    "coordinator": "coordinateur@demo.mnc.ma",
    "official": "officiel@demo.mnc.ma",
}

#: (label, path, role logged in or None)
PAGES = [
    ("/ping (bare page)", "/ping", None),
    ("public home", "/", None),
    ("student dashboard", "/dashboard", "student"),
    ("host dashboard", "/dashboard", "host"),
    ("coordinator dashboard", "/dashboard", "coordinator"),
    ("official dashboard", "/dashboard", "official"),
    ("reports dashboard", "/reports", "official"),
]

CSRF_INPUT = re.compile(r"<input[^>]*\bname=\"csrf_token\"[^>]*>")
VALUE = re.compile(r"\bvalue=\"([^\"]+)\"")


class Client:
    """One keep-alive HTTP/1.1 connection with a minimal cookie jar."""

    def __init__(self, base_url: str, cookies: dict[str, str] | None = None) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        self.cookies = dict(cookies or {})

    def request(self, method: str, path: str, body: str | None = None) -> tuple[int, str, bytes]:
        headers = {"User-Agent": "mnc-bench-throughput"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        except (ConnectionError, http.client.HTTPException):
            self.connection.close()  # the server closed the idle connection: reconnect once
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
            self.connection.request(method, path, body=body, headers=headers)
            response = self.connection.getresponse()
        data = response.read()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return response.status, response.headers.get("Location", ""), data

    def close(self) -> None:
        self.connection.close()


def login(base_url: str, role: str) -> dict[str, str]:
    """Log in as the demo account of ``role`` through the login form; returns the cookies."""
    client = Client(base_url)
    status, _location, page = client.request("GET", "/login")
    tag = CSRF_INPUT.search(page.decode("utf-8", "replace"))
    token = VALUE.search(tag.group(0)) if tag else None
    if status != 200 or token is None:
        raise SystemExit(f"no login form at {base_url}/login (HTTP {status})")
    form = {"csrf_token": token.group(1), "email": ACCOUNTS[role], "password": DEMO_PASSWORD}
    status, location, _body = client.request("POST", "/login", urlencode(form))
    if status != 302 or not location.endswith("/dashboard"):
        raise SystemExit(f"login as {role} failed: HTTP {status} -> {location or '(no redirect)'}")
    # Follow the redirect as a browser does: the dashboard shows the login's message once and
    # takes it out of the session cookie (else every measured page would show it again).
    status, _location, _body = client.request("GET", "/dashboard")
    client.close()
    if status != 200:
        raise SystemExit(f"login as {role}: the dashboard answered HTTP {status}")
    return client.cookies


def hammer(
    base_url: str, path: str, cookies: dict[str, str], threads: int, seconds: float
) -> tuple[int, int, float, list[float]]:
    """``threads`` clients request ``path`` back to back for ``seconds``; returns (200
    responses, other responses, elapsed seconds, latencies in seconds)."""
    stop = threading.Event()
    results: list[tuple[int, int, list[float]]] = []
    lock = threading.Lock()

    def worker() -> None:
        client = Client(base_url, cookies)
        ok = errors = 0
        latencies: list[float] = []
        while not stop.is_set():
            start = time.perf_counter()
            try:
                status, _location, _body = client.request("GET", path)
            except OSError:
                status = 0
            latencies.append(time.perf_counter() - start)
            if status == 200:
                ok += 1
            else:
                errors += 1
        client.close()
        with lock:
            results.append((ok, errors, latencies))

    pool = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    started = time.perf_counter()
    for thread in pool:
        thread.start()
    time.sleep(seconds)
    stop.set()
    for thread in pool:
        thread.join()
    elapsed = time.perf_counter() - started
    ok = sum(r[0] for r in results)
    errors = sum(r[1] for r in results)
    latencies = [value for r in results for value in r[2]]
    return ok, errors, elapsed, latencies


def main(argv: list[str] | None = None) -> int:
    """Measure every page and print the table of requests per second and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=float, default=2)
    args = parser.parse_args(argv)
    base = args.base_url.rstrip("/")

    sessions = {role: login(base, role) for role in sorted({r for _l, _p, r in PAGES if r})}
    print(
        f"{base}: {args.threads} threads, {args.seconds:g} s per page in {args.rounds} rounds "
        f"(warm-up {args.warmup:g} s per page), keep-alive connections"
    )
    for _label, path, role in PAGES:
        hammer(base, path, sessions[role] if role else {}, args.threads, args.warmup)
    totals: dict[str, list] = {label: [0, 0, 0.0, []] for label, _p, _r in PAGES}
    ping_rates = []
    for round_no in range(1, args.rounds + 1):
        for label, path, role in PAGES:
            cookies = sessions[role] if role else {}
            ok, errors, elapsed, latencies = hammer(
                base, path, cookies, args.threads, args.seconds / args.rounds
            )
            total = totals[label]
            total[0] += ok
            total[1] += errors
            total[2] += elapsed
            total[3].extend(latencies)
            if path == "/ping":
                ping_rates.append(ok / elapsed)
        print(f"  round {round_no}/{args.rounds}: /ping {ping_rates[-1]:.0f} req/s", flush=True)

    def rate(label: str) -> float:
        ok, _errors, elapsed, _latencies = totals[label]
        return ok / elapsed

    baseline = rate(PAGES[0][0])
    print()
    print(f"{'page':<22} {'path':<11} {'req/s':>8} {'p50 ms':>8} {'vs /ping':>9} {'errors':>7}")
    failed = 0
    for label, path, _role in PAGES:
        _ok, errors, _elapsed, latencies = totals[label]
        failed += errors
        p50 = statistics.median(latencies) * 1000 if latencies else float("nan")
        print(
            f"{label:<22} {path:<11} {rate(label):8.1f} {p50:8.1f} "
            f"{rate(label) / baseline:9.3f} {errors:7d}"
        )
    print(
        f"\n/ping per round: {', '.join(f'{r:.0f}' for r in ping_rates)} req/s "
        f"(spread {(max(ping_rates) - min(ping_rates)) / baseline:.0%} of the mean)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
