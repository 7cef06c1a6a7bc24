"""Every list page paginates and runs the same number of SQL queries at 5, 50 and 500 rows
(issue 16); the pagination reads its arguments safely and its links keep the filters.

The rows are bulk inserts (tests/list_data.py). Each page is opened once to warm up, then
once while a ``before_cursor_execute`` listener counts the statements.
"""

from __future__ import annotations

import os
import re
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import event

from mnc_exchange.accounts.models import Role
from mnc_exchange.applications.models import ApplicationStatus
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.config import normalise_database_url
from mnc_exchange.extensions import db
from mnc_exchange.offers.models import OfferStatus
from mnc_exchange.placements.models import PlacementStatus
from tests import list_data as ld
from tests.conftest import Auth, count_queries
from tests.factories import CohortFactory, CompanyFactory

SIZES = (5, 50, 500)


def _open(app, client, url: str) -> tuple[int, str]:
    client.get(url)  # warm-up: first-request work is not counted
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements), response.get_data(as_text=True)


def _at_each_size(app, client, url: str, grow) -> tuple[list[int], str]:
    """Grow the list to each size (``grow(k)`` adds k rows), count the page's queries; returns
    the counts and the page at the largest size."""
    counts, built, body = [], 0, ""
    for n in SIZES:
        grow(n - built)
        db.session.commit()
        built = n
        queries, body = _open(app, client, url)
        counts.append(queries)
    return counts, body


def _summary(body: str, pager: str = "page") -> str:
    match = re.search(
        rf'data-pager="{pager}".*?<span class="small text-muted" data-pager-summary>(.*?)</span>',
        body,
        re.S,
    )
    assert match, f"no pager {pager!r}"
    return " ".join(match.group(1).split())


def _rows(body: str, marker: str) -> int:
    return len(re.findall(marker, body))


@pytest.fixture
def cohort():
    return CohortFactory(year=2027, state=CohortState.matching, is_current=True, quota=500)


@pytest.fixture
def coordinator(auth):
    return auth.as_role("coordinator", locale="en")


@pytest.fixture
def companies():
    ids = ld.companies(5)
    db.session.commit()
    return ids


# --- one test per list page --------------------------------------------------------------------


def test_screening(app, client, coordinator, cohort):
    institutions = ld.institutions(3)
    counts, body = _at_each_size(
        app,
        client,
        f"/screening/?cohort={cohort.id}",
        lambda k: ld.applications(cohort.id, k, ApplicationStatus.submitted, institutions),
    )
    assert counts[0] == counts[1] == counts[2], counts
    assert _rows(body, r"data-application=") == 50
    assert _summary(body) == "1–50 of 500 · page 1 of 10"


def test_offers_review(app, client, coordinator, cohort, companies):
    statuses = (OfferStatus.submitted, OfferStatus.published, OfferStatus.approved)
    counts, body = _at_each_size(
        app,
        client,
        f"/offers?cohort={cohort.id}",
        lambda k: ld.offers(cohort.id, companies, k, statuses),
    )
    assert counts[0] == counts[1] == counts[2], counts
    assert _rows(body, r'data-offer="\d+" data-status') == 50
    assert _summary(body) == "1–50 of 500 · page 1 of 10"


def test_company_offers(app, client, auth, cohort):
    company = CompanyFactory()
    past = CohortFactory(year=2026, state=CohortState.archived)
    auth.as_role("host", company_id=company.id, locale="en")

    def grow(k):
        ld.offers(cohort.id, [company.id], k - k // 2, (OfferStatus.draft, OfferStatus.published))
        ld.offers(past.id, [company.id], k // 2, (OfferStatus.closed,), year=2026)

    counts, body = _at_each_size(app, client, "/company/offers", grow)
    assert counts[0] == counts[1] == counts[2], counts
    assert _rows(body, r'<tr data-offer="\d+">') == 50
    assert _summary(body) == "1–50 of 500 · page 1 of 10"
    # The current cohort's offers come first.
    assert f'id="cohort-{cohort.id}"' in body and f'id="cohort-{past.id}"' not in body


def test_matching(app, client, coordinator, cohort, companies):
    def grow(k):
        ld.placed_students(cohort.id, companies, k, PlacementStatus.proposed)
        ld.applications(cohort.id, k, ApplicationStatus.selected)  # not placed
        ld.offers(cohort.id, companies, k, (OfferStatus.published,))

    counts, body = _at_each_size(app, client, f"/matching?cohort={cohort.id}", grow)
    assert counts[0] == counts[1] == counts[2], counts
    # A form on each row of these two: 20 rows a page.
    assert _rows(body, r'<tr data-placement="\d+"') == 20
    assert _rows(body, r'<tr data-application="\d+"') == 20
    assert _rows(body, r'<tr data-offer="\d+"') == 50
    assert _summary(body) == "1–20 of 500 · page 1 of 25"
    assert _summary(body, "unplaced_page") == "1–20 of 500 · page 1 of 25"
    assert _summary(body, "offers_page") == "1–50 of 500 · page 1 of 10"
    assert 'id="count-offers">500<' in body  # the inputs count every offer, not the page


def test_agreements(app, client, coordinator, cohort, companies):
    def grow(k):
        placed, _offers = ld.placed_students(cohort.id, companies, 2 * k)
        ld.agreements(cohort.id, placed[:k])  # the other half waits for its agreement

    counts, body = _at_each_size(app, client, f"/agreements/?cohort={cohort.id}", grow)
    assert counts[0] == counts[1] == counts[2], counts
    assert _rows(body, r'<tr data-agreement="\d+"') == 50
    assert _rows(body, r'<tr data-placement="\d+"') == 50
    assert _summary(body) == "1–50 of 500 · page 1 of 10"
    assert _summary(body, "waiting_page") == "1–50 of 500 · page 1 of 10"


def test_followup_board(app, client, coordinator, cohort, companies):
    reporter = ld.users(1, Role.coordinator)[0]

    def grow(k):
        placed, _offers = ld.placed_students(cohort.id, companies, k)
        ld.internships(cohort.id, placed, reporter, date(2027, 4, 1))

    counts, body = _at_each_size(app, client, f"/followup?cohort={cohort.id}", grow)
    assert counts[0] == counts[1] == counts[2], counts
    assert _rows(body, r'<tr data-internship="\d+"') == 50
    assert _summary(body) == "1–50 of 500 · page 1 of 10"
    assert 'data-count="total">500<' in body  # the summary counts every intern


def test_followup_incidents_and_returns(app, client, coordinator, cohort, companies):
    reporter = ld.users(1, Role.coordinator)[0]

    def grow(k):  # an open incident every other intern: 2k interns for k incidents
        placed, _offers = ld.placed_students(cohort.id, companies, 2 * k)
        ld.internships(cohort.id, placed, reporter, date(2027, 4, 1))

    counts, body = _at_each_size(app, client, f"/followup/incidents?cohort={cohort.id}", grow)
    assert counts[0] == counts[1] == counts[2], counts
    assert _rows(body, r'<tr data-incident="\d+"') == 50
    assert _summary(body) == "1–50 of 500 · page 1 of 10"

    few, _body = _open(app, client, f"/followup/returns?cohort={cohort.id}")
    grow(5)
    db.session.commit()
    many, body = _open(app, client, f"/followup/returns?cohort={cohort.id}")
    assert few == many
    assert _summary(body) == "1–50 of 1,010 · page 1 of 21"


def test_companies(app, client, coordinator):
    counts, body = _at_each_size(app, client, "/companies", ld.companies)
    assert counts[0] == counts[1] == counts[2], counts
    assert _rows(body, r'<tr id="company-\d+">') == 50
    assert _summary(body) == "1–50 of 500 · page 1 of 10"


def test_users(app, client, auth):
    auth.as_role("admin", locale="en")  # the 501st account
    counts, body = _at_each_size(app, client, "/admin/users", ld.users)
    assert counts[0] == counts[1] == counts[2], counts
    assert _summary(body) == "1–50 of 501 · page 1 of 11"


def test_audit_log(app, client, auth):
    auth.as_role("admin", locale="en")
    actors = ld.users(5, Role.coordinator)
    counts, body = _at_each_size(app, client, "/admin/audit", lambda k: ld.audit_events(k, actors))
    assert counts[0] == counts[1] == counts[2], counts
    assert _rows(body, r"<tr data-action=") == 50
    total = int(re.search(r"of (\d+)", _summary(body)).group(1))
    assert total >= 500  # and the events of the admin's own login


def test_outbox(app, client, auth):
    auth.as_role("admin", locale="en")
    counts, body = _at_each_size(app, client, "/admin/outbox", ld.outbox)
    assert counts[0] == counts[1] == counts[2], counts
    assert _summary(body) == "1–50 of 500 · page 1 of 10"


# --- the pagination itself ----------------------------------------------------------------------


def test_pages_keep_the_filters_and_read_bad_input_safely(client, coordinator, cohort):
    institutions = ld.institutions(2)
    ld.applications(cohort.id, 120, ApplicationStatus.submitted, institutions[:1])
    ld.applications(cohort.id, 30, ApplicationStatus.eligible, institutions[1:])
    db.session.commit()
    base = f"/screening/?cohort={cohort.id}&institution={institutions[0]}&sort=submitted"

    body = client.get(base + "&page=2").get_data(as_text=True)
    assert _summary(body) == "51–100 of 120 · page 2 of 3"
    links = re.findall(r'href="([^"]*page=3[^"]*)"', body)
    assert links and all(f"institution={institutions[0]}" in link for link in links)
    assert all("sort=submitted" in link for link in links)

    # Past the end: the last page; not a number, or below 1: the first page.
    assert _summary(client.get(base + "&page=99").get_data(as_text=True)).startswith("101–120")
    for bad in ("abc", "0", "-3", "1e9", "99999999999999999999"):
        response = client.get(base + f"&page={bad}")
        assert response.status_code == 200
        assert _summary(response.get_data(as_text=True)).startswith("1–50 of 120")

    # The page size: one of the choices, else the default; the links keep it.
    body = client.get(base + "&per_page=20").get_data(as_text=True)
    assert _summary(body) == "1–20 of 120 · page 1 of 6"
    assert _rows(body, r"data-application=") == 20
    assert all("per_page=20" in link for link in re.findall(r'href="([^"]*page=2[^"]*)"', body))
    body = client.get(base + "&per_page=7").get_data(as_text=True)
    assert _summary(body) == "1–50 of 120 · page 1 of 3"


def test_two_lists_on_one_page_page_apart(client, coordinator, cohort, companies):
    ld.placed_students(cohort.id, companies, 60, PlacementStatus.proposed)
    ld.applications(cohort.id, 60, ApplicationStatus.selected)
    db.session.commit()
    body = client.get(f"/matching?cohort={cohort.id}&unplaced_page=3").get_data(as_text=True)
    assert _summary(body) == "1–20 of 60 · page 1 of 3"
    assert _summary(body, "unplaced_page") == "41–60 of 60 · page 3 of 3"
    # The placements' links keep the other list's page.
    links = re.findall(r'href="(/matching\?[^"]*\bpage=2[^"]*)"', body)
    assert links and all("unplaced_page=3" in link for link in links)


def test_a_single_page_shows_no_page_links(client, coordinator, cohort):
    ld.applications(cohort.id, 3, ApplicationStatus.submitted)
    db.session.commit()
    body = client.get(f"/screening/?cohort={cohort.id}").get_data(as_text=True)
    assert _summary(body) == "1–3 of 3"
    assert 'class="pagination' not in body and "Per page" not in body


def _page_links(body: str, path: str, param: str = "page") -> list[str]:
    return re.findall(rf'href="({re.escape(path)}\?[^"]*\b{param}=2[^"]*)"', body)


def test_the_dashboards_filters_paginate_and_their_links_keep_them(
    client, coordinator, cohort, companies
):
    """The lists the to-do items open (``?awaiting=``, ``?flag=``, ``?status=active``,
    ``?placements=``, ``?surveys=due``) count only their rows and page with the filter kept."""
    from mnc_exchange.agreements import services as agreements
    from mnc_exchange.followup import services as followup

    reporter = ld.users(1, Role.coordinator)[0]
    placed, _offers = ld.placed_students(cohort.id, companies, 130)
    ld.agreements(cohort.id, placed)
    # Starting in 20 days: the checklist's first steps are overdue.
    ld.internships(cohort.id, placed, reporter, date.today() + timedelta(days=20))
    ld.placed_students(cohort.id, companies, 60, PlacementStatus.proposed)
    db.session.commit()
    today = date.today()

    # The agreements' filter runs in SQL: the same agreements as ``waiting_for``.
    every = agreements.agreements_for_cohort(cohort)
    for awaiting in agreements.WAITING_FOR:
        expected = {a.id for a in every if awaiting in agreements.waiting_for(a, today)}
        found = set(db.session.scalars(agreements.agreements_query(cohort, awaiting)))
        assert {a.id for a in found} == expected and len(expected) > 50, awaiting
        body = client.get(f"/agreements/?cohort={cohort.id}&awaiting={awaiting}").get_data(
            as_text=True
        )
        pages = -(-len(expected) // 50)
        assert _summary(body) == f"1–50 of {len(expected)} · page 1 of {pages}"
        links = _page_links(body, "/agreements/")
        assert links and all(f"awaiting={awaiting}" in link for link in links)

    # The board's flags: counted on every intern, paged with the flag kept.
    rows = followup.board_rows(cohort, today)
    for flag, test in followup.BOARD_FLAGS.items():
        n = sum(1 for r in rows if test(r))
        body = client.get(f"/followup?cohort={cohort.id}&flag={flag}").get_data(as_text=True)
        assert n or flag != "overdue"
        if n:
            assert re.search(rf"of {n}\b", _summary(body)), flag
        if n > 50:
            links = _page_links(body, "/followup")
            assert links and all(f"flag={flag}" in link for link in links)

    body = client.get(f"/followup/incidents?cohort={cohort.id}&status=active").get_data(
        as_text=True
    )
    assert _summary(body) == "1–50 of 65 · page 1 of 2"
    links = _page_links(body, "/followup/incidents")
    assert links and all("status=active" in link for link in links)

    body = client.get(f"/matching?cohort={cohort.id}&placements=proposed").get_data(as_text=True)
    assert _summary(body) == "1–20 of 60 · page 1 of 3"
    assert _rows(body, r'data-status="proposed"') == 20
    assert 'data-status="confirmed"' not in body
    links = _page_links(body, "/matching")
    assert links and all("placements=proposed" in link for link in links)

    body = client.get(f"/followup/returns?cohort={cohort.id}&surveys=due").get_data(as_text=True)
    assert client.get(f"/followup/returns?cohort={cohort.id}").status_code == 200


# --- PostgreSQL: each list query uses an index at scale ------------------------------------------

_PG_URL = os.environ.get("TEST_DATABASE_URL") or os.environ.get("DATABASE_URL") or ""
IS_POSTGRESQL = normalise_database_url(_PG_URL).startswith("postgresql") if _PG_URL else False
SCALE_COHORTS = 20


def _skip_reason() -> str:
    if os.environ.get("CI") == "true":
        return "needs PostgreSQL; runs in CI's PostgreSQL pass"
    return (
        "needs PostgreSQL (its planner); set DATABASE_URL=postgresql+psycopg://… to run it "
        "(it runs in CI's PostgreSQL pass)"
    )


@pytest.fixture
def scale_data():
    """20 cohorts of 1,000 applications (20,000), 250 offers and 250 placements with their
    agreements (signed in part) and interns (checklist, incidents, check-ins) each; 2,000
    companies with a contact each; 20,000 audit events. Then ANALYZE."""
    cohorts = [
        CohortFactory(year=2000 + i, state=CohortState.archived, quota=500).id
        for i in range(SCALE_COHORTS)
    ]
    institutions = ld.institutions(20)
    companies = ld.companies(2000)
    reporter = ld.users(1, Role.coordinator)[0]
    statuses = list(ApplicationStatus)
    for i, cohort_id in enumerate(cohorts):
        for status in statuses:
            ld.applications(cohort_id, 1000 // len(statuses), status, institutions)
        ld.offers(cohort_id, companies, 250, list(OfferStatus), year=2000 + i)
        placed, _offers = ld.placed_students(cohort_id, companies, 250)
        ld.agreements(cohort_id, placed[:200], year=2000 + i)  # 50 wait for theirs
        ld.internships(cohort_id, placed, reporter, date(2000 + i, 4, 1))
    ld.audit_events(20000, ld.users(20, Role.coordinator))
    db.session.commit()
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")
    return SimpleNamespace(
        cohort=db.session.get(Cohort, cohorts[-1]),
        companies=companies,
        institutions=institutions,
    )


def _statements_of(run) -> list[tuple[str, object]]:
    """The SQL statements (and their parameters) that ``run()`` sends."""
    captured = []

    def before(conn, cursor, statement, parameters, context, executemany):
        captured.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", before)
    try:
        run()
    finally:
        event.remove(db.engine, "before_cursor_execute", before)
    return captured


def _plan(statement: str, parameters) -> str:
    with db.engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN " + statement, parameters).all()
    return "\n".join(row[0] for row in rows)


def _board_page(cohort, rating=None, flag=None):
    """What the board's view runs: the page (its summary included), the summary alone when the
    page is empty, and the page's interns."""
    from mnc_exchange.core.pagination import paginate
    from mnc_exchange.followup import services as followup

    board = followup.board_table(cohort)
    page = paginate(
        followup.board_page_query(board, rating, flag),
        rows=True,
        total=lambda rows: followup.board_summary(board, rows)["total"],
    )
    return followup.board_page_rows(page.items)


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRESQL, reason=_skip_reason())
def test_every_list_query_uses_an_index_at_scale(app, data_app, scale_data, no_kept_pages):
    """Each list query, as the view runs it (its page, its count, its eager loads), filtered as
    the page filters it: every plan reads through an index, and the list's own table is never
    read whole (no ``Seq Scan`` on it)."""
    from mnc_exchange.accounts.services import users_query
    from mnc_exchange.agreements import services as agreements
    from mnc_exchange.applications import screening
    from mnc_exchange.audit.services import audit_query
    from mnc_exchange.core.pagination import paginate
    from mnc_exchange.hosts.models import Company, CompanyStatus
    from mnc_exchange.offers import services as offers
    from mnc_exchange.offers.services import companies_query
    from mnc_exchange.placements import services as placements

    cohort = scale_data.cohort
    company = db.session.get(Company, scale_data.companies[0])
    F = screening.Filters  # noqa: N806
    institution = scale_data.institutions[0]

    def screening_page(filters):  # as the view pages it
        query = screening.list_query(cohort, filters)
        return paginate(query, total=1000, page_select=screening.page_query(cohort, filters))

    cases = {
        # name: (what the view runs, the list's own table)
        "screening": (lambda: screening_page(F()), "applications"),
        "screening, one status": (lambda: screening_page(F(status="submitted")), "applications"),
        "screening, one institution": (
            lambda: screening_page(F(institution=institution)),
            "applications",
        ),
        "screening, one region": (lambda: screening_page(F(region="fes-meknes")), "applications"),
        "screening, one French level": (
            lambda: screening_page(F(french_level="C2")),
            "applications",
        ),
        "screening, by date": (lambda: screening_page(F(sort="submitted")), "applications"),
        "screening, by average": (lambda: screening_page(F(sort="average")), "applications"),
        "screening, by status": (lambda: screening_page(F(sort="status")), "applications"),
        "screening, by name backwards": (
            lambda: screening_page(F(direction="desc")),
            "applications",
        ),
        "screening, counts": (lambda: screening.status_counts(cohort, F()), "applications"),
        "offers review": (lambda: paginate(offers.review_query(cohort)), "offers"),
        "offers review, one status": (
            lambda: paginate(offers.review_query(cohort, OfferStatus.submitted)),
            "offers",
        ),
        "offers review, counts": (lambda: offers.status_counts(cohort), "offers"),
        "company offers": (
            lambda: paginate(offers.company_offers_query(company, cohort.id)),
            "offers",
        ),
        "matching, placements": (
            lambda: paginate(placements.placements_query(cohort)),
            "placements",
        ),
        "matching, unplaced": (lambda: paginate(placements.unplaced_query(cohort)), "applications"),
        "matching, offers": (
            lambda: list(db.session.scalars(placements.offer_inputs_query(cohort))),
            "offers",
        ),
        "agreements": (lambda: paginate(agreements.agreements_query(cohort)), "agreements"),
        "agreements, waiting": (lambda: paginate(agreements.waiting_query(cohort)), "placements"),
        "agreements, préfecture": (lambda: agreements.prefecture_alerts(cohort), "agreements"),
        "follow-up board": (lambda: _board_page(cohort), "internships"),
        "follow-up board, one flag": (lambda: _board_page(cohort, flag="overdue"), "internships"),
        "follow-up board, one rating": (lambda: _board_page(cohort, rating="red"), "internships"),
        "companies, one status": (
            lambda: paginate(companies_query(CompanyStatus.rejected), rows=True),
            "companies",
        ),
        "users, one role": (lambda: paginate(users_query(role=Role.coordinator)), "users"),
        "audit log, one action": (lambda: paginate(audit_query("cohort.")), "audit_events"),
    }
    problems = []
    # The lists whose query lives in the view: the page's statements that read the list's
    # table. Incidents are filtered through their intern's cohort: at this size the planner
    # may read the small incidents table whole and join it to the cohort's interns (found
    # through the index), so only "an index" is asked of these.
    client = app.test_client()
    Auth(client).as_role("coordinator", locale="en")
    with app.app_context():
        engine = db.engine
    for name, (url, table) in {
        "follow-up incidents": (f"/followup/incidents?cohort={cohort.id}", "incidents"),
        "follow-up returns": (f"/followup/returns?cohort={cohort.id}", "internships"),
    }.items():
        client.get(url)
        captured: list[tuple[str, object]] = []

        def listener(conn, cursor, statement, parameters, *args, captured=captured):
            captured.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(engine, "before_cursor_execute", listener)
        mine = [(st, p) for st, p in captured if re.search(rf"\b(FROM|JOIN) {table}\b", st)]
        assert mine, name
        for statement, parameters in mine:
            plan = _plan(statement, parameters)
            if "Index" not in plan:
                problems.append(f"{name}:\n{statement}\n{plan}")
    for name, (run, table) in cases.items():
        with data_app.test_request_context("/"):
            statements = _statements_of(run)
        assert statements, name
        for statement, parameters in statements:
            plan = _plan(statement, parameters)
            if "Index" not in plan or re.search(rf"Seq Scan on {table}\b", plan):
                problems.append(f"{name}:\n{statement}\n{plan}")
    assert not problems, "\n\n".join(problems)


def _under(plan: str, node: str) -> str:
    """The lines of ``plan`` under its first ``node`` (more indented than it)."""
    lines = plan.splitlines()
    for i, line in enumerate(lines):
        if line.lstrip(" ->").startswith(node):
            depth = len(line) - len(line.lstrip(" ->"))
            under = []
            for below in lines[i + 1 :]:
                if len(below) - len(below.lstrip(" ->")) <= depth:
                    break
                under.append(below)
            return "\n".join(under)
    return ""


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRESQL, reason=_skip_reason())
def test_the_screening_list_reads_the_name_index_in_order(app, data_app, scale_data):
    """The screening list's default view (sorted by name) and one status of it read the
    page's rows from the stored name keys' indexes in order: no sort of the cohort's rows, no
    account read but the page's (before the keys, every view sorted the cohort's joined rows on
    an expression). The counts per status read no account either."""
    from mnc_exchange.applications import screening
    from mnc_exchange.core.pagination import paginate

    cohort = scale_data.cohort
    F = screening.Filters  # noqa: N806
    for filters, index in (
        (F(), "ix_applications_cohort_sort_name"),
        (F(direction="desc"), "ix_applications_cohort_sort_name"),
        (F(status="submitted"), "ix_applications_cohort_status_sort_name"),
    ):
        with data_app.test_request_context("/?page=3"):
            statements = _statements_of(
                lambda filters=filters: paginate(
                    screening.list_query(cohort, filters),
                    total=1000,
                    page_select=screening.page_query(cohort, filters),
                )
            )
        assert len(statements) == 1, filters
        plan = _plan(*statements[0])
        scan = rf"Index (Only )?Scan (Backward )?using {index} on applications"
        assert re.search(scan, plan), plan
        # The only sort is of the page's 50 rows, after the limit: none under it.
        under = _under(plan, "Limit")
        assert under and "Sort" not in under and "Seq Scan" not in under, plan
    with data_app.test_request_context("/"):
        statements = _statements_of(lambda: screening.status_counts(cohort, F()))
    assert len(statements) == 1 and "users" not in _plan(*statements[0])
