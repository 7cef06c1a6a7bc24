"""Load test of the officials' reports at scale (``bench/scale.sh``): every simulated user is
the demo official, logged in once, opening the reports dashboard — the default cohort, or a
cohort year drawn among those of the year menu (finished cohorts read their kept figures, the
running ones are computed by SQL) — with a pause of ``LOAD_WAIT_MIN``–``LOAD_WAIT_MAX`` s.

    locust -f bench/load/reports_locustfile.py --host URL --headless -u 50 -r 10 -t 60s
"""

from __future__ import annotations

import random
import re
import sys
from pathlib import Path

from locust import task

sys.path.insert(0, str(Path(__file__).resolve().parent))

import locustfile as base  # noqa: E402 - the login, the checks, the steady-state statistics

YEAR_OPTION = re.compile(r'<option value="(\d{4})"')


class Official(base._LoggedIn):
    role = "official"
    years: list[str] = []

    def on_start(self) -> None:
        super().on_start()
        response = self.page("/reports", "/reports")
        self.years = YEAR_OPTION.findall(response.text or "")

    @task(3)
    def reports(self) -> None:
        self.page("/reports", "/reports")

    @task(2)
    def a_year(self) -> None:
        if self.years:
            self.page(f"/reports?year={random.choice(self.years)}", "/reports?year=<year>")
