"""Yearly cohorts: creation, editing, the transition table, exactly one current cohort."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts import services
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.core.errors import DomainError, TransitionRefused
from mnc_exchange.extensions import db
from tests.factories import CohortFactory

S = CohortState


def _form(**overrides):
    data = {
        "year": "2031",
        "title": "",
        "quota": "30",
        "applications_open_on": "2030-10-01",
        "applications_close_on": "2030-12-15",
        "selection_on": "2031-01-31",
        "matching_on": "2031-02-28",
        "departure_on": "2031-04-01",
        "return_on": "2031-09-30",
    }
    data.update(overrides)
    return data


def test_coordinator_creates_cohort_first_is_current(client, auth):
    auth.as_role("coordinator")
    response = client.post("/cohorts/new", data=_form())
    assert response.status_code == 302
    cohort = db.session.scalar(select(Cohort))
    assert (cohort.year, cohort.quota, cohort.state, cohort.is_current) == (2031, 30, S.draft, True)
    assert cohort.title == "MNC 2031"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cohort.create"))


def test_quota_defaults_to_30_on_the_form(client, auth):
    auth.as_role("coordinator")
    page = client.get("/cohorts/new").get_data(as_text=True)
    assert 'name="quota"' in page and 'value="30"' in page


@pytest.mark.parametrize("quota", ["0", "501", "-3", "abc", ""])
def test_quota_bounds(client, auth, quota):
    auth.as_role("coordinator")
    response = client.post("/cohorts/new", data=_form(quota=quota))
    assert response.status_code == 200
    assert db.session.scalar(select(Cohort)) is None


@pytest.mark.parametrize("quota", ["1", "500"])
def test_quota_bounds_accepted(client, auth, quota):
    auth.as_role("coordinator")
    assert client.post("/cohorts/new", data=_form(quota=quota)).status_code == 302


def test_quota_bound_message_is_translated(client, auth):
    auth.as_role("coordinator")
    page = client.post("/cohorts/new", data=_form(quota="501")).get_data(as_text=True)
    assert "entre 1 et 500" in page


def test_year_is_unique(client, auth):
    auth.as_role("coordinator")
    CohortFactory(year=2031)
    response = client.post("/cohorts/new", data=_form(year="2031"))
    assert response.status_code == 200
    assert "2031" in response.get_data(as_text=True)
    assert len(db.session.scalars(select(Cohort)).all()) == 1


def test_calendar_must_be_in_order(client, auth):
    auth.as_role("coordinator")
    response = client.post("/cohorts/new", data=_form(selection_on="2030-11-01"))
    assert response.status_code == 200
    assert db.session.scalar(select(Cohort)) is None


def test_invalid_date_is_a_form_error_not_a_500(client, auth):
    auth.as_role("coordinator")
    response = client.post("/cohorts/new", data=_form(departure_on="31/02/2031"))
    assert response.status_code == 200


def test_edit_cohort(client, auth):
    auth.as_role("coordinator")
    cohort = CohortFactory(year=2031)
    response = client.post(f"/cohorts/{cohort.id}/edit", data=_form(quota="25", title="Promo"))
    assert response.status_code == 302
    db.session.expire_all()
    assert (cohort.quota, cohort.title) == (25, "Promo")
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "cohort.update"))
    assert event.details["changes"]["quota"] == [30, 25]


def test_transition_table_walks_the_whole_year(client, auth):
    auth.as_role("coordinator")
    cohort = CohortFactory(
        year=2031,
        is_current=False,
        applications_close_on=date(2999, 1, 1),
        selection_on=date(2999, 2, 1),
        matching_on=date(2999, 3, 1),
        departure_on=date(2999, 4, 1),
        return_on=date(2999, 9, 1),
    )
    CohortFactory(year=2032, is_current=True)
    path = [S.open, S.closed, S.selection, S.matching, S.placed, S.abroad, S.returned, S.archived]
    for target in path:
        response = client.post(f"/cohorts/{cohort.id}/transition", data={"target": target.value})
        assert response.status_code == 302
        db.session.expire_all()
        assert cohort.state is target
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "cohort.transition")
    ).all()
    assert [e.details["to"] for e in events] == [s.value for s in path]


def test_refused_transition_says_why(client, auth):
    auth.as_role("coordinator")
    cohort = CohortFactory(state=S.draft)
    response = client.post(
        f"/cohorts/{cohort.id}/transition", data={"target": "abroad"}, follow_redirects=True
    )
    page = response.get_data(as_text=True)
    assert "ne peut pas passer" in page
    db.session.expire_all()
    assert cohort.state is S.draft


def test_unknown_transition_target_is_400(client, auth):
    auth.as_role("coordinator")
    cohort = CohortFactory()
    assert client.post(f"/cohorts/{cohort.id}/transition", data={"target": "x"}).status_code == 400


def test_open_guard_needs_dates_and_a_future_close(app):
    cohort = CohortFactory(applications_close_on=None)
    with pytest.raises(TransitionRefused, match="closing dates|clôture"):
        services.transition(cohort, S.open, today=date(2030, 1, 1))
    cohort.applications_close_on = date(2029, 12, 31)
    with pytest.raises(TransitionRefused):
        services.transition(cohort, S.open, today=date(2030, 1, 1))
    cohort.applications_close_on = date(2030, 1, 1)
    services.transition(cohort, S.open, today=date(2030, 1, 1))
    assert cohort.state is S.open


def test_only_one_call_open_at_a_time():
    CohortFactory(year=2031, state=S.open)
    other = CohortFactory(year=2032, applications_close_on=date(2999, 1, 1))
    with pytest.raises(TransitionRefused):
        services.transition(other, S.open, today=date(2030, 1, 1))


def test_closed_can_reopen_but_archived_is_final():
    cohort = CohortFactory(state=S.closed, applications_close_on=date(2999, 1, 1))
    services.transition(cohort, S.open, today=date(2030, 1, 1))
    archived = CohortFactory(state=S.archived)
    for target in S:
        with pytest.raises(TransitionRefused):
            services.transition(archived, target)


def test_current_cohort_cannot_be_archived():
    cohort = CohortFactory(state=S.returned, is_current=True)
    with pytest.raises(TransitionRefused):
        services.transition(cohort, S.archived)


def test_exactly_one_current(client, auth):
    auth.as_role("coordinator")
    first = CohortFactory(year=2031, is_current=True)
    second = CohortFactory(year=2032)
    assert client.post(f"/cohorts/{second.id}/make-current").status_code == 302
    db.session.expire_all()
    assert [c.year for c in db.session.scalars(select(Cohort).where(Cohort.is_current))] == [2032]
    assert not first.is_current


def test_database_refuses_two_current_cohorts():
    CohortFactory(year=2031, is_current=True)
    db.session.add(Cohort(year=2032, title="x", quota=30, state=S.draft, is_current=True))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_service_refuses_duplicate_year_and_bad_quota():
    CohortFactory(year=2031)
    with pytest.raises(DomainError):
        services.create_cohort(2031)
    with pytest.raises(DomainError):
        services.create_cohort(2040, quota=0)


def test_official_sees_cohorts_read_only(client, auth):
    auth.as_role("official")
    cohort = CohortFactory()
    page = client.get(f"/cohorts/{cohort.id}").get_data(as_text=True)
    assert cohort.title in page and "to-open" not in page
    assert (
        client.post(f"/cohorts/{cohort.id}/transition", data={"target": "open"}).status_code == 403
    )
    assert client.get("/cohorts/new").status_code == 403


def test_student_dashboard_shows_calendar_and_next_step(client, auth):
    CohortFactory(year=2999, is_current=True, state=S.open, applications_open_on=date(2000, 1, 1))
    auth.as_role("student")
    page = client.get("/dashboard").get_data(as_text=True)
    assert "MNC 2999" in page
    assert "step-done" in page  # the opening date is past
    assert "step-next" in page
