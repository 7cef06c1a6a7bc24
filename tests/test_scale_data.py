"""The scale data set (issue 16): ``flask demo-data --scale N`` makes every cohort of the demo N
times bigger, in bulk. Built here at N = 3 on the demo without its history (quick)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from mnc_exchange.demo import load_demo_data
from mnc_exchange.demo.scale import DOMAIN, load_scale_data
from mnc_exchange.extensions import db
from mnc_exchange.models import (
    Application,
    Cohort,
    Internship,
    Offer,
    Placement,
    User,
)
from mnc_exchange.placements.models import PlacementStatus
from mnc_exchange.reports.data import aggregate_figures, load_records
from mnc_exchange.reports.metrics import summarise


def _per_cohort(model, *where) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Cohort.year, func.count(model.id))
            .join(model, model.cohort_id == Cohort.id)
            .where(*where)
            .group_by(Cohort.year)
        ).all()
    )


def _confirmed():
    return _per_cohort(Placement, Placement.status == PlacementStatus.confirmed)


def test_the_scale_data_set_multiplies_every_cohort():
    load_demo_data(history=False)
    db.session.commit()
    applications, placed = _per_cohort(Application), _confirmed()
    quotas = dict(db.session.execute(select(Cohort.year, Cohort.quota)).all())
    users = db.session.scalar(select(func.count(User.id)))
    internships = _per_cohort(Internship)
    assert placed  # the previous cohort's matching

    added = load_scale_data(3)
    db.session.commit()

    assert _per_cohort(Application) == {year: 3 * n for year, n in applications.items()}
    assert _confirmed() == {year: 3 * n for year, n in placed.items()}
    for year in placed:
        assert db.session.scalar(select(Cohort.quota).where(Cohort.year == year)) == min(
            500, 3 * quotas[year]
        )
    assert db.session.scalar(select(func.count(User.id))) == users + added["users"]
    assert added["applications"] == 2 * sum(applications.values())
    # The copies' name sort keys are their own names' (written by Core, refreshed after).
    shown = func.lower(func.coalesce(func.nullif(Application.last_name, ""), User.full_name))
    stale = select(func.count(Application.id)).join(Application.student)
    stale = stale.where(
        (Application.sort_last_name != shown)
        | (Application.sort_first_name != func.lower(func.coalesce(Application.first_name, "")))
    )
    assert db.session.scalar(stale) == 0
    assert added["placements"] == added["offers"] == 2 * sum(placed.values())
    assert (
        db.session.scalar(select(func.count(User.id)).where(User.email.like(f"%{DOMAIN}")))
        == added["users"]
    )
    # A copied intern has an internship when the intern copied had one.
    assert _per_cohort(Internship) == {year: 3 * n for year, n in internships.items()}
    # The reports read the copies as they read the demo.
    for cohort in db.session.scalars(select(Cohort)):
        expected = summarise(load_records(cohort, date.today()))
        assert aggregate_figures(cohort, date.today()).to_json() == expected.to_json()
    # Loaded once: a second call adds nothing.
    assert load_scale_data(3) == {}
    assert db.session.scalar(select(func.count(Offer.id))) > 0


def test_the_command_loads_the_scale_data_set(runner):
    result = runner.invoke(args=["demo-data", "--no-history", "--scale", "2"])
    assert result.exit_code == 0, result.output
    assert "Scale data set: 2 times the demo programme" in result.output
    assert "applications" in result.output
    again = runner.invoke(args=["demo-data", "--no-history", "--scale", "2"])
    assert "already loaded" in again.output
    assert runner.invoke(args=["demo-data", "--scale", "0"]).exit_code == 2
