"""The interns board computed in SQL (``followup.services.board_table``: the page, its order,
filters and summary) gives what the Python rules give (``board_rows`` with
``followup/schedule.py``), intern by intern, on every kind of intern and at many dates; and the
board page reads only its page's interns (a fixed number of queries, none over a cohort's
checklists).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import insert, update

from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements.models import Agreement
from mnc_exchange.applications.models import Application
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from mnc_exchange.followup import services
from mnc_exchange.followup.models import (
    CheckIn,
    Incident,
    IncidentCategory,
    IncidentStatus,
    Internship,
    InternshipOutcome,
    MobilityStep,
    Severity,
)
from mnc_exchange.placements.models import Placement
from tests import list_data as ld
from tests.conftest import count_queries
from tests.factories import CohortFactory

START = date(2027, 4, 1)

#: Dates around the checklist's due dates (the 42 days before the start), the internship's
#: months, its end (30 September, 15 June for half of the agreements) and the return.
DAYS = [
    date(2027, 1, 1),
    date(2027, 2, 17),
    date(2027, 2, 25),
    date(2027, 3, 10),
    date(2027, 3, 19),
    date(2027, 3, 25),
    date(2027, 3, 31),
    date(2027, 4, 1),
    date(2027, 4, 8),
    date(2027, 5, 1),
    date(2027, 5, 31),
    date(2027, 6, 16),
    date(2027, 6, 23),
    date(2027, 7, 1),
    date(2027, 9, 30),
    date(2027, 10, 1),
    date(2027, 10, 8),
    date(2027, 10, 9),
    date(2028, 3, 1),
]


@pytest.fixture
def cohort():
    return CohortFactory(year=2027, state=CohortState.abroad, is_current=True, quota=500)


def _varied_interns(cohort_id: int) -> list[int]:
    """60 interns: with and without an agreement (ended early or not), ongoing, ended early or
    completed, back or not, arrived or not; incidents of every severity and status; check-ins
    in the internship's months, before it, after it, and one not on a month's first day; names
    with accents, in lower case, missing, or shared."""
    reporter = ld.users(1, Role.coordinator)[0]
    companies = ld.companies(3)
    placed, _offers = ld.placed_students(cohort_id, companies, 60)
    ld.agreements(cohort_id, placed[::2])
    ids = ld.internships(cohort_id, placed, reporter, START)
    for k, (internship_id, placement_id) in enumerate(zip(ids, placed, strict=True)):
        values: dict = {}
        if k % 6 == 1:
            values |= {"outcome": InternshipOutcome.ended_early, "ended_on": date(2027, 6, 10)}
        elif k % 6 == 2:
            values |= {"outcome": InternshipOutcome.completed, "returned_on": date(2027, 10, 2)}
        elif k % 6 == 3:
            values |= {"returned_on": date(2027, 9, 28)}
        elif k % 6 == 4:
            values |= {"arrived_on": date(2027, 4, 3)}
        if values:
            db.session.execute(
                update(Internship).where(Internship.id == internship_id).values(**values)
            )
        if k % 4 == 2:  # an agreement ended early
            db.session.execute(
                update(Agreement)
                .where(Agreement.placement_id == placement_id)
                .values(ended_on=date(2027, 5, 20))
            )
        if k % 5 == 3:  # a checklist done in part, late
            db.session.execute(
                update(MobilityStep)
                .where(MobilityStep.internship_id == internship_id, MobilityStep.position < 3)
                .values(done_on=date(2027, 3, 30))
            )
        if k % 7 == 4:  # a checklist done
            db.session.execute(
                update(MobilityStep)
                .where(MobilityStep.internship_id == internship_id)
                .values(done_on=date(2027, 2, 1))
            )
        months = [date(2027, 2, 1), date(2027, 5, 1), date(2027, 6, 1), date(2027, 7, 15)]
        months += [date(2027, 8, 1), date(2027, 12, 1)]
        for month in months[k % 3 :: 2]:
            if month != date(START.year, START.month, 1):
                db.session.execute(
                    insert(CheckIn).values(
                        internship_id=internship_id, month=month, wellbeing=4, workload=3
                    )
                )
        if k % 5 == 0:
            db.session.execute(
                insert(Incident).values(
                    internship_id=internship_id,
                    reported_by_id=reporter,
                    category=IncidentCategory.health,
                    severity=(Severity.critical, Severity.high, Severity.medium)[k % 3],
                    status=(IncidentStatus.in_progress, IncidentStatus.closed)[k % 2],
                    occurred_on=START,
                    summary="Fièvre",
                    description="Deux jours d'arrêt.",
                )
            )
    names = ["Élodie", "alaoui", None, "Zed", "Alaoui", "alaoui", "", "Ñ"]
    for k, name in enumerate(names):
        db.session.execute(
            update(Application)
            .where(
                Application.id
                == Placement.__table__.select()
                .with_only_columns(Placement.application_id)
                .where(Placement.id == placed[k * 7])
                .scalar_subquery()
            )
            .values(last_name=name)
        )
    db.session.commit()
    return ids


FIELDS = (
    "internship_id",
    "rating",
    "overdue",
    "next_step",
    "open_incidents",
    "critical",
    "missing_checkins",
    "start",
    "end",
    "arrived_on",
    "name",
    "return_overdue",
    "returned_on",
    "cohort_id",
)


def _facts(row) -> tuple:
    return tuple(getattr(row, name) for name in FIELDS)


def _summary(rows) -> dict:
    """The summary as the board counted it in Python before."""
    return {
        "total": len(rows),
        "ratings": {key: sum(1 for r in rows if r.rating == key) for key in services.RATING_ORDER},
        "incidents": sum(r.open_incidents for r in rows),
        "critical": sum(1 for r in rows if r.critical),
        "missing_checkins": sum(1 for r in rows if r.missing_checkins),
        "arrived": sum(1 for r in rows if r.arrived_on),
        "flags": {
            key: sum(1 for r in rows if test(r)) for key, test in services.BOARD_FLAGS.items()
        },
    }


def test_the_board_in_sql_is_the_board_in_python(app, cohort):
    _varied_interns(cohort.id)
    seen = set()
    for today in DAYS:
        expected = services.board_rows(cohort, today)  # Python, red first then by name
        found = services.board(cohort, today)  # SQL
        assert [_facts(r) for r in found] == [_facts(r) for r in expected], today
        seen |= {(r.rating, bool(r.overdue), r.missing_checkins > 0) for r in found}
        board = services.board_table(cohort, today)
        assert services.board_summary(board) == _summary(expected), today
        rows = db.session.execute(services.board_page_query(board)).all()
        assert services.board_summary(board, rows) == _summary(expected), today
        for rating in services.RATING_ORDER:
            for flag in (None, *services.BOARD_FLAGS):
                kept = [
                    r.internship_id
                    for r in expected
                    if r.rating == rating and (flag is None or services.BOARD_FLAGS[flag](r))
                ]
                query = services.board_page_query(board, rating, flag)
                rows = db.session.execute(query).all()
                assert [r.internship_id for r in rows] == kept, (today, rating, flag)
                assert all(r.matching == len(kept) for r in rows)
        for flag, test in services.BOARD_FLAGS.items():
            kept = [r.internship_id for r in expected if test(r)]
            rows = db.session.execute(services.board_page_query(board, flag=flag)).all()
            assert [r.internship_id for r in rows] == kept, (today, flag)
    # The dates reach every rating, with and without overdue steps and missing check-ins.
    assert {rating for rating, _o, _m in seen} == set(services.RATING_ORDER)
    assert {(o, m) for _r, o, m in seen} == {(a, b) for a in (0, 1) for b in (0, 1)}


def test_the_board_page_reads_its_interns_only(app, client, auth, cohort):
    """A fixed number of queries (the session, the cohorts, the page with its summary, the
    page's interns and their checklists), none of them over the cohort's checklists or
    check-ins row by row: the old board read every step, incident and check-in of the cohort
    (8 queries)."""
    auth.as_role("coordinator", locale="en")
    _varied_interns(cohort.id)
    url = f"/followup?cohort={cohort.id}"
    client.get(url)
    with count_queries(app) as statements:
        body = client.get(url).get_data(as_text=True)
    assert 'data-count="total">60<' in body
    assert len(statements) == 5, statements
    # Rows of the checklists, incidents or check-ins are read for the page's interns only.
    read = [s for s in statements if s.startswith(("SELECT mobility_steps", "SELECT incidents"))]
    read += [s for s in statements if s.startswith("SELECT checkins")]
    assert [s for s in read if "IN (" not in s and "IN (__[POSTCOMPILE" not in s] == [], read
    # An empty page (a filter that keeps no intern): its summary in one more query.
    with count_queries(app) as statements:
        body = client.get(f"{url}&rating=red&flag=return&page=3").get_data(as_text=True)
    assert 'data-count="total">60<' in body
    assert len(statements) <= 7, statements
