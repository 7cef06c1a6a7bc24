"""Every page a user reaches from a menu, for two versions of the code side by side, each as a
ratio to a bare Flask page served the same way in the same run.

Run by ``bench/pages.sh``, which starts three gunicorn servers (2 workers each) — the code
before (a worktree of an earlier commit), the code after (this checkout), both on a copy of the
same SQLite database with the full demo, and ``bench/bare_app.py`` (a Jinja template of 50
paragraphs) — then this script. For each page, in turn: the bare page, the page before, the
page after, each loaded for ``--seconds`` by ``wrk -t1 -c<connections> -d<seconds>s`` (or, if
wrk is missing, a Python loop of as many threads with keep-alive connections); the page's ratio
divides its requests per second by the bare page's, measured just before it. Each page is first
opened a few times on both servers (warm-up: the reports' figures computed, the caches filled)
and must answer 200 on both; otherwise the table says which status came back.

``--built URL``: a third server, the code after with its kept pages off (``PAGE_CACHE=0``,
``mnc_exchange/core/page_cache.py``): every request builds its page, as the first view of a page
after a change does. "after" measures repeat views, served from memory while nothing changes.

The logins are the demo accounts (``mnc_exchange.demo``), each followed by the dashboard it
redirects to, as a browser does (the login's message is read once and leaves the session
cookie). The client runs on the same CPUs as the servers: compare the ratios, not the absolute
numbers.

Usage: python bench/pages.py --bare URL --before URL --after URL [--built URL] [--seconds 6]
       [--connections 8] [--only TEXT] [--tool wrk|python] [--markdown FILE]
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_throughput import ACCOUNTS, Client, hammer, login  # noqa: E402

ACCOUNTS.setdefault("admin", "admin@demo.mnc.ma")  # the demo's admin (login() reads ACCOUNTS)

#: (role, endpoint) of every menu entry (templates/_nav.html), in the menu's order; the
#: public home page first.
MENU = [
    (None, "main.index"),
    ("student", "main.dashboard"),
    ("student", "applications.index"),
    ("student", "my_selection.index"),
    ("student", "my_ranking.index"),
    ("student", "agreements.mine"),
    ("student", "my_internship.index"),
    ("host", "main.dashboard"),
    ("host", "company.profile"),
    ("host", "offers.mine"),
    ("host", "candidates.placements"),
    ("host", "agreements.mine"),
    ("host", "host_interns.index"),
    ("coordinator", "main.dashboard"),
    ("coordinator", "screening.index"),
    ("coordinator", "reviews.index"),
    ("coordinator", "cohorts.index"),
    ("coordinator", "accounts.pending_hosts"),
    ("coordinator", "companies.index"),
    ("coordinator", "offers.review"),
    ("coordinator", "matching.index"),
    ("coordinator", "agreements.index"),
    ("coordinator", "followup.board"),
    ("coordinator", "followup.incidents"),
    ("coordinator", "followup.returns"),
    ("coordinator", "reports.dashboard"),
    ("official", "main.dashboard"),
    ("official", "cohorts.index"),
    ("official", "reports.dashboard"),
    ("admin", "main.dashboard"),
    ("admin", "admin.users"),
    ("admin", "reference.institutions"),
    ("admin", "admin.audit"),
    ("admin", "admin.outbox"),
]


def paths() -> list[tuple[str | None, str, str]]:
    """(role, endpoint, path) of the menu, the paths built by the application's URL map."""
    from flask import url_for

    from mnc_exchange import create_app

    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context():
        return [(role, endpoint, url_for(endpoint)) for role, endpoint in MENU]


REQUESTS = re.compile(r"Requests/sec:\s+([\d.]+)")
P50 = re.compile(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", re.M)
BAD = re.compile(r"Not 200: (\d+)")
#: Counts the responses other than 200 (wrk counts a redirect as a success).
STATUS_SCRIPT = Path(__file__).resolve().parent / "status.lua"
#: The User-Agent of the logins (bench_throughput.Client): the session is bound to it.
USER_AGENT = "mnc-bench-throughput"
UNIT = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def measure(tool: str, url: str, cookies: dict[str, str], seconds: float, connections: int):
    """(requests per second, median latency in ms, responses other than 200)."""
    if tool == "wrk":
        command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
        command += ["-s", str(STATUS_SCRIPT), "-H", f"User-Agent: {USER_AGENT}"]
        if cookies:
            command += ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())]
        out = subprocess.run(  # noqa: S603 - wrk with our own arguments
            command + [url], capture_output=True, text=True, check=True
        ).stdout
        rate = float(REQUESTS.search(out).group(1))
        p50 = P50.search(out)
        bad = BAD.search(out)
        return (
            rate,
            float(p50.group(1)) * UNIT[p50.group(2)] if p50 else float("nan"),
            int(bad.group(1)) if bad else 0,
        )
    base, _unused, path = _split(url)
    ok, errors, elapsed, latencies = hammer(base, path, cookies, connections, seconds)
    return ok / elapsed, statistics.median(latencies) * 1000 if latencies else 0.0, errors


def _split(url: str) -> tuple[str, str, str]:
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}://{host}", "", slash + path


def status(base: str, path: str, cookies: dict[str, str]) -> int:
    client = Client(base, cookies)
    try:
        code, _location, _body = client.request("GET", path)
    finally:
        client.close()
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bare", required=True, help="URL of the bare page")
    parser.add_argument("--before", required=True, help="base URL of the code before")
    parser.add_argument("--after", required=True, help="base URL of the code after")
    parser.add_argument("--built", default="", help="base URL of the code after, PAGE_CACHE=0")
    parser.add_argument("--seconds", type=float, default=6)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--only", default="", help="only the endpoints containing this text")
    parser.add_argument("--tool", choices=("wrk", "python"), default=None)
    parser.add_argument("--markdown", default="", help="also write the table to this file")
    args = parser.parse_args(argv)
    tool = args.tool or ("wrk" if shutil.which("wrk") else "python")
    servers = {"before": args.before.rstrip("/"), "after": args.after.rstrip("/")}
    if args.built:
        servers["built"] = args.built.rstrip("/")
    pages = [p for p in paths() if args.only in p[1]]
    roles = sorted({role for role, _e, _p in pages if role})
    sessions = {(name, role): login(base, role) for name, base in servers.items() for role in roles}
    print(
        f"{tool} -t1 -c{args.connections} -d{args.seconds:g}s per measure; for each page: the "
        "bare page, then " + ", then ".join(servers),
        flush=True,
    )
    rows = []
    for role, endpoint, path in pages:
        codes = {}
        for name, base in servers.items():
            cookies = sessions[(name, role)] if role else {}
            for _ in range(3):  # warm-up
                codes[name] = status(base, path, cookies)
        bare, _p50, _bad = measure(tool, args.bare, {}, args.seconds, args.connections)
        row = {"role": role or "visitor", "endpoint": endpoint, "path": path, "bare": bare}
        for name, base in servers.items():
            if codes[name] != 200:
                row[name] = None
                row[f"{name}_status"] = codes[name]
                continue
            cookies = sessions[(name, role)] if role else {}
            rate, p50, bad = measure(tool, base + path, cookies, args.seconds, args.connections)
            row[name], row[f"{name}_p50"], row[f"{name}_bad"] = rate, p50, bad
        rows.append(row)
        print(_line(row), flush=True)
    table = _table(rows, tool, args)
    print()
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table + "\n", encoding="utf-8")
    bad = sum(row.get(f"{name}_bad") or 0 for row in rows for name in servers)
    if bad:
        print(f"\n{bad} responses were not 200: those ratios measure something else.")
    return 1 if bad else 0


def _cell(row, name) -> str:
    rate = row.get(name)
    if rate is None:
        return f"HTTP {row.get(f'{name}_status')}", "—"
    bad = row.get(f"{name}_bad") or 0
    note = f" ({bad} not 200)" if bad else ""
    return f"{rate / row['bare']:.3f}{note}", f"{row[f'{name}_p50']:.0f}"


#: The columns, in order, for the servers measured.
LABELS = {
    "before": "before",
    "after": "after (repeat view)",
    "built": "after, built (first view)",
}


def _names(row) -> list[str]:
    return [name for name in LABELS if name in row]


def _line(row) -> str:
    cells = []
    for name in _names(row):
        ratio, p50 = _cell(row, name)
        cells.append(f"{name} {ratio:>8} (p50 {p50} ms)")
    return f"  {row['role']:<11} {row['path']:<28} bare {row['bare']:7.0f}/s   " + "   ".join(cells)


def _table(rows, tool, args) -> str:
    names = _names(rows[0])
    lines = [
        "| page | path | "
        + " | ".join(f"{LABELS[n]}: ratio to bare" for n in names)
        + " | p50 "
        + " → ".join(names)
        + " (ms) | bare page (req/s) |",
        "| --- | --- | " + " | ".join("---" for _ in names) + " | --- | --- |",
    ]
    for row in rows:
        cells = [_cell(row, name) for name in names]
        label = f"{row['role']}: {row['endpoint']}"
        lines.append(
            f"| {label} | `{row['path']}` | "
            + " | ".join(ratio for ratio, _p50 in cells)
            + " | "
            + " → ".join(p50 for _ratio, p50 in cells)
            + f" | {row['bare']:.0f} |"
        )
    bares = [row["bare"] for row in rows]
    lines.append("")
    lines.append(
        f"{tool}, {args.connections} connections, {args.seconds:g} s per measure; the bare page "
        f"served {min(bares):.0f}–{max(bares):.0f} requests/s (median "
        f"{statistics.median(bares):.0f}) over the run."
    )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
