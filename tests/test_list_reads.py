"""The coordinators' agreements, incidents and returns lists read what they show of their page's
rows, not whole rows of every table they touch, nor every row of the cohort: the counts in SQL,
the signatures as (document, party) pairs, the interns' and agreements' columns shown. (The
statements are counted by tests/test_list_pages.py; these tests look at what they read.)
"""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import distinct, func, insert, select

from mnc_exchange.accounts.models import Role
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.extensions import db
from mnc_exchange.followup.models import EmploymentSurvey, Internship, SurveyStatus
from tests import list_data as ld
from tests.conftest import count_queries
from tests.factories import CohortFactory


@pytest.fixture
def cohort():
    return CohortFactory(year=2027, state=CohortState.returned, is_current=True, quota=500)


@pytest.fixture
def coordinator(auth):
    return auth.as_role("coordinator", locale="en")


@pytest.fixture
def interns(cohort):
    reporter = ld.users(1, Role.coordinator)[0]
    companies = ld.companies(3)
    placed, _offers = ld.placed_students(cohort.id, companies, 60)
    ld.agreements(cohort.id, placed)
    ids = ld.internships(cohort.id, placed, reporter, date(2027, 4, 1))
    for k, internship_id in enumerate(ids):
        for wave in (3, 6, 12):
            db.session.execute(
                insert(EmploymentSurvey).values(
                    internship_id=internship_id,
                    wave=wave,
                    due_on=date(2027, 10, 1) + timedelta(days=30 * wave),
                    status=SurveyStatus.answered if (k + wave) % 2 else SurveyStatus.pending,
                )
            )
    db.session.commit()
    return ids


def _statements(app, client, url: str) -> tuple[list[str], str]:
    client.get(url)
    with count_queries(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return statements, response.get_data(as_text=True)


def _columns(statement: str) -> str:
    """The columns a SELECT reads (before its first FROM)."""
    return statement.split(" FROM ", 1)[0] if " FROM " in statement else statement


def test_agreements_read_who_signed_not_the_signatures(app, client, coordinator, cohort, interns):
    statements, body = _statements(app, client, f"/agreements/?cohort={cohort.id}")
    assert len(re.findall(r'<tr data-agreement="\d+"', body)) == 50
    signatures = [s for s in statements if "agreement_signatures" in s]
    assert len(signatures) == 1, signatures
    # Two columns (the document, the party), not each signature whole.
    assert "agreement_signatures.id" not in signatures[0]
    assert "signer_name" not in signatures[0]
    # Neither the long texts of the agreement, the application nor the offer.
    listed = next(s for s in statements if _columns(s).startswith("SELECT agreements.id"))
    for column in ("activities", "motivation", "description", "cin", "birth_date"):
        assert column not in _columns(listed), column


def test_incidents_read_the_columns_they_show(app, client, coordinator, cohort, interns):
    statements, body = _statements(app, client, f"/followup/incidents?cohort={cohort.id}")
    assert len(re.findall(r'<tr data-incident="\d+"', body)) == 30
    listed = next(s for s in statements if _columns(s).startswith("SELECT incidents.id"))
    for column in ("incidents.description", "cin", "birth_date", "password_hash", "offers_1.title"):
        assert column not in _columns(listed), column


def test_returns_count_the_surveys_in_sql(app, client, coordinator, cohort, interns):
    statements, body = _statements(app, client, f"/followup/returns?cohort={cohort.id}")
    assert len(re.findall(r'<tr data-internship="\d+"', body)) == 50
    # The waves' counts: one row per wave, not a row per survey of the cohort.
    surveys = [s for s in statements if "FROM employment_surveys" in s]
    cohort_wide = [s for s in surveys if "employment_surveys.internship_id IN" not in s]
    assert cohort_wide and all("GROUP BY" in s for s in cohort_wide), cohort_wide
    # The page's interns: plain columns, no internship, application or offer loaded whole.
    assert not [
        s
        for s in statements
        if _columns(s).startswith(
            "SELECT internships.id, internships.placement_id, internships.cohort_id"
        )
    ]
    answered = db.session.scalar(
        select(func.count(distinct(EmploymentSurvey.internship_id)))
        .join(Internship, Internship.id == EmploymentSurvey.internship_id)
        .where(
            Internship.cohort_id == cohort.id,
            EmploymentSurvey.wave == 3,
            EmploymentSurvey.status == SurveyStatus.answered,
        )
    )
    assert f'data-answered="{answered}"' in body
