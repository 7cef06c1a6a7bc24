"""Access expectations for the officials' dashboard, its lists, exports and the cohort report
(reports) (merged into tests/test_access_matrix.py).

Every route is a GET for the cohort viewers: coordinators, admins and officials (read-only).
Students and host contacts are refused; anonymous visitors go to the login page.
"""

from __future__ import annotations

from tests.access_helpers import only

VIEWERS = ("coordinator", "admin", "official")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("reports.dashboard", "GET"): only(*VIEWERS),
    ("reports.students", "GET"): only(*VIEWERS),
    ("reports.exports_page", "GET"): only(*VIEWERS),
    ("reports.export", "GET"): only(*VIEWERS),
    ("reports.pdf", "GET"): only(*VIEWERS),
    ("reports.chart", "GET"): only(*VIEWERS),
}


def setup_values(users, cohort, application) -> dict:
    return {"year": cohort.year, "name": "funnel"}
