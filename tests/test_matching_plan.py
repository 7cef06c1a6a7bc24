"""The matching page reads the selected students' preferences by their applications (the
cohort and status index), not by walking every application in id order: at 100 times the
demo, PostgreSQL's own choice for the direct join read 80,000 applications to find 30
(`placements.services.selected_applications`)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import insert

from mnc_exchange.applications.models import ApplicationStatus
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from mnc_exchange.offers.models import OfferStatus
from mnc_exchange.placements import services as placements
from mnc_exchange.placements import views_staff
from mnc_exchange.placements.models import StudentPreference
from tests import list_data as ld
from tests.factories import CohortFactory
from tests.test_list_pages import IS_POSTGRESQL, _skip_reason, _statements_of


@pytest.mark.postgres
@pytest.mark.skipif(not IS_POSTGRESQL, reason=_skip_reason())
def test_the_preferences_are_read_through_the_selected_applications():
    """A cohort whose 40 first selected students ranked 4 offers each, 20,000 applications
    of other cohorts, then 40 more selected students who have not ranked yet (the shape of
    the scale data set, where the direct join walked 80,000 applications): no plan of the
    page reads more than a few hundred rows."""
    cohort = CohortFactory(year=2031, state=CohortState.matching, is_current=True)
    selected = ld.applications(cohort.id, 40, ApplicationStatus.selected)
    offer_ids = ld.offers(cohort.id, ld.companies(4), 8)
    db.session.execute(
        insert(StudentPreference),
        [
            {"application_id": a, "offer_id": offer_ids[(i + r) % 8], "rank": r + 1}
            for i, a in enumerate(selected)
            for r in range(4)
        ],
    )
    for i in range(4):
        ld.applications(CohortFactory(year=1990 + i, state=CohortState.archived).id, 5000)
    # Students selected later (from the waiting list), who have not ranked offers yet.
    ld.applications(cohort.id, 40, ApplicationStatus.selected)
    ld.offers(cohort.id, ld.companies(2), 4, (OfferStatus.draft,))
    db.session.commit()
    with db.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("ANALYZE")

    inputs = placements.build_inputs(cohort)
    assert len(inputs[0]) == 40  # the students who ranked offers

    def page() -> None:  # what the matching page reads
        views_staff._inputs(cohort, views_staff._preference_counts(cohort))

    statements = _statements_of(page) + _statements_of(lambda: placements.build_inputs(cohort))
    checked = 0
    for statement, parameters in statements:
        if "student_preferences" not in statement:
            continue
        with db.engine.connect() as conn:
            plan = "\n".join(
                row[0]
                for row in conn.exec_driver_sql(
                    "EXPLAIN (ANALYZE, FORMAT TEXT) " + statement, parameters
                )
            )
        removed = sum(int(n) for n in re.findall(r"Rows Removed by Filter: (\d+)", plan))
        read = [int(n) for n in re.findall(r"actual time=[\d.]+\.\.[\d.]+ rows=(\d+)", plan)]
        assert removed < 1000 and max(read, default=0) < 1000, (statement, plan)
        checked += 1
    assert checked == 4  # the page's three, the matching run's one
