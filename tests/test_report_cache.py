"""The reports at scale (issue 16): the figures by aggregate SQL are those of the records, the
figures of a finished cohort are kept and reused, and any change to the data behind them
(an intern's return, a survey answer, an incident, a signature, a renamed company...) makes
them computed again. No timing here: see bench/."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select, update

from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements.models import (
    Agreement,
    AgreementDocument,
    DocumentKind,
    Party,
    Signature,
    SignatureMethod,
)
from mnc_exchange.agreements.services import SIGNATORIES
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.followup.models import (
    EmploymentSurvey,
    IncidentCategory,
    Internship,
    Severity,
    Situation,
)
from mnc_exchange.placements.models import Placement, PlacementStatus
from mnc_exchange.reports import charts, snapshots
from mnc_exchange.reports.data import aggregate_figures, load_records
from mnc_exchange.reports.metrics import COUNTED, DIMENSIONS, StudentRecord, summarise, tally
from mnc_exchange.reports.models import ReportSnapshot
from tests.test_reports_metrics import build_cohort, past_year

# --- the figures by SQL are those of the records -----------------------------------------------


def _agreement(placement: Placement, parties, superseded: bool = False, version: int = 1):
    """An agreement of ``placement`` with one version signed by ``parties`` (rows only: no
    PDF is rendered)."""
    agreement = db.session.scalar(select(Agreement).where(Agreement.placement_id == placement.id))
    if agreement is None:
        offer = placement.offer
        agreement = Agreement(
            cohort_id=placement.cohort_id,
            placement_id=placement.id,
            sequence=placement.id,
            number=f"T-{placement.id}",
            start_on=offer.start_on,
            end_on=offer.end_on,
            weekly_hours=35,
            daily_hours=7,
            monthly_stipend=812,
            work_address="1 rue de la Paix",
            work_city=offer.city,
            referent_name="Référent",
            referent_email="referent@example.org",
        )
        db.session.add(agreement)
        db.session.flush()
    document = AgreementDocument(
        agreement_id=agreement.id,
        kind=DocumentKind.agreement,
        version=version,
        reference=f"T-{placement.id}-v{version}",
        snapshot={},
        stored_name=f"t-{placement.id}-{version}.pdf",
        sha256="0" * 64,
        size=1,
        verification_code=f"code{placement.id}v{version}",
        superseded_at=utcnow() if superseded else None,
    )
    db.session.add(document)
    db.session.flush()
    for party in parties:
        db.session.add(
            Signature(
                document_id=document.id,
                party=party,
                method=SignatureMethod.paper,
                signer_name="Signataire",
            )
        )
    db.session.commit()
    return agreement


def _placements(cohort) -> list[Placement]:
    return list(
        db.session.scalars(
            select(Placement)
            .where(Placement.cohort_id == cohort.id, Placement.status == PlacementStatus.confirmed)
            .order_by(Placement.id)
        )
    )


@pytest.fixture
def built():
    built = build_cohort(past_year(3), extra_selected=2)
    placed = _placements(built.cohort)
    _agreement(placed[0], SIGNATORIES)  # signed by everyone
    _agreement(placed[1], SIGNATORIES[:3])  # partly signed
    _agreement(placed[2], SIGNATORIES, superseded=True)  # an old version, then
    _agreement(placed[2], SIGNATORIES[:-1], version=2)  # a current one not fully signed
    _agreement(placed[3], SIGNATORIES, version=1)  # a first version signed,
    _agreement(placed[3], (), version=2)  # a second current version (the first counts)
    return built


def test_aggregate_sql_gives_the_figures_of_the_records(built):
    year = built.cohort.year
    for cutoff in (date(year, 8, 1), date(year, 12, 1), date(year + 1, 3, 1), date.today()):
        expected = summarise(load_records(built.cohort, cutoff))
        assert aggregate_figures(built.cohort, cutoff).to_json() == expected.to_json(), cutoff
    figures = aggregate_figures(built.cohort, date.today())
    assert figures.counts["agreement_signed"] == 2
    assert figures.counts["placed"] == 6 and figures.total == 11


def test_a_group_of_records_counts_as_the_records_one_by_one():
    """``tally`` evaluates each predicate once per signature: on random records, the counts are
    those of every predicate applied to every record."""
    rng = random.Random(16)
    records = []
    for i in range(400):
        flags = {
            name: rng.random() < 0.5
            for name in [
                "applied",
                "eligible",
                "shortlisted",
                "selected",
                "placed",
                "departed",
                "completed",
                "ended_early",
                "returned",
                "agreement_signed",
                "agreement_recorded",
            ]
        }
        record = StudentRecord(
            application_id=i,
            name=f"n{i}",
            gender=rng.choice(["female", "male", None]),
            region=rng.choice(["oriental", "souss-massa", None, ""]),
            institution=rng.choice(["A", "B"]),
            company=rng.choice(["X", "Y", None]),
            host_city=rng.choice(["Lyon", None]),
            pole=rng.choice(["software", None]),
            tutor_score=rng.choice([None, 3, 5]),
            wellbeing=rng.choice([None, 2.5, 4]),
            incidents=rng.sample(["low", "medium", "high", "critical"], rng.randint(0, 2)),
            **flags,
        )
        for wave in (3, 6, 12):
            if rng.random() < 0.6:
                record.surveys[wave] = (
                    rng.random() < 0.7,
                    rng.choice([None, "employed_morocco", "studying"]),
                )
        records.append(record)
    figures = summarise(records)
    for key, predicate in COUNTED.items():
        assert figures.counts[key] == sum(1 for r in records if predicate(r)), key
    for dimension, attribute in DIMENSIONS.items():
        for value, cells in figures.groups[dimension]:
            members = [r for r in records if getattr(r, attribute) == value]
            for key, count in cells.items():
                assert count == sum(1 for r in members if COUNTED[key](r)), (dimension, value)
    # The same record given for several groups counts each time.
    twice = tally([(records[0], (None,) * 6, 2), (records[0], (None,) * 6, 3)])
    assert twice.total == 5


# --- the figures of a finished cohort are kept ------------------------------------------------


class Spy:
    """Counts the computations of figures by SQL."""

    def __init__(self, monkeypatch):
        self.calls = 0
        original = snapshots.aggregate_figures

        def counted(cohort, cutoff=None):
            self.calls += 1
            return original(cohort, cutoff)

        monkeypatch.setattr(snapshots, "aggregate_figures", counted)


@pytest.fixture
def finished(built):
    built.cohort.state = CohortState.archived
    db.session.commit()
    return built


def _row(cohort) -> ReportSnapshot | None:
    db.session.expire_all()
    return db.session.get(ReportSnapshot, cohort.id)


def _returned(figures) -> int:
    return figures.counts["returned"]


def test_a_finished_cohort_is_computed_once_then_read(finished, monkeypatch):
    spy = Spy(monkeypatch)
    cohort = finished.cohort
    first = snapshots.cohort_figures(cohort)
    assert spy.calls == 1
    row = _row(cohort)
    assert row.figures_version == row.version == 0
    assert row.computed_for == date.today() and row.digest == first.digest
    again = snapshots.cohort_figures(cohort)
    assert spy.calls == 1  # read from the snapshot
    assert again.to_json() == first.to_json()
    assert again.to_json() == summarise(load_records(cohort)).to_json()


def test_a_running_cohort_is_computed_again_after_each_change(built, monkeypatch):
    spy = Spy(monkeypatch)
    first = snapshots.cohort_figures(built.cohort)
    snapshots.cohort_figures(built.cohort)
    assert spy.calls == 1
    application = built.by_role["eligible"][0]
    application.region = "souss-massa"
    db.session.commit()
    after = snapshots.cohort_figures(built.cohort)
    assert spy.calls == 2
    assert after.groups["region"] != first.groups["region"]
    assert after.to_json() == summarise(load_records(built.cohort)).to_json()


def test_a_change_is_counted_once_per_transaction_even_with_several_flushes(finished):
    snapshots.cohort_figures(finished.cohort)
    version = _row(finished.cohort).version
    internship = _back1(finished)
    internship.returned_on = None
    db.session.flush()
    internship.departed_on = None
    db.session.flush()
    db.session.commit()
    assert _row(finished.cohort).version == version + 1
    db.session.rollback()


def _back1(built) -> Internship:
    application = built.by_role["back1"][0]
    return db.session.scalar(
        select(Internship)
        .join(Placement, Placement.id == Internship.placement_id)
        .where(Placement.application_id == application.id)
    )


def _changes(built):
    """Changes to the data behind a finished cohort's figures, each committed by itself."""
    from mnc_exchange.followup import services as followup

    coordinator = built.coordinator

    def unreturn():
        internship = db.session.get(Internship, _back1(built).id)
        internship.returned_on = None

    def answer():
        survey = db.session.scalar(
            select(EmploymentSurvey).where(
                EmploymentSurvey.internship_id == _back1(built).id, EmploymentSurvey.wave == 12
            )
        )
        from tests.test_reports_metrics import _answer

        _answer(_back1(built), 12, Situation.employed_morocco, coordinator)
        assert survey.situation is Situation.employed_morocco

    def incident():
        followup.report_incident(
            _back1(built),
            coordinator,
            IncidentCategory.visa,
            Severity.medium,
            date(built.cohort.year, 6, 2),
            "Visa",
            "Titre de séjour.",
        )

    def sign():
        placement = db.session.get(Placement, _placements(built.cohort)[1].id)
        document = db.session.scalar(
            select(AgreementDocument)
            .join(Agreement, Agreement.id == AgreementDocument.agreement_id)
            .where(Agreement.placement_id == placement.id)
        )
        for party in SIGNATORIES[3:]:
            db.session.add(
                Signature(
                    document_id=document.id,
                    party=Party(party),
                    method=SignatureMethod.in_app,
                    signer_name="Signataire",
                )
            )

    def rename():
        built.company.legal_name = "Nouveau Nom SAS"

    def region():
        application = built.by_role["ineligible"][0]
        application.region = "souss-massa"

    def delete_incident():
        from mnc_exchange.followup.models import Incident

        db.session.delete(db.session.scalars(select(Incident)).first())

    return {
        "an intern's return undone": (unreturn, lambda f: f.counts["returned"]),
        "a survey answered": (answer, lambda f: f.counts["employed_morocco_12"]),
        "an incident reported": (incident, lambda f: f.incidents["medium"]),
        "an incident deleted": (delete_incident, lambda f: sum(f.incidents.values())),
        "an agreement signed by the last parties": (
            sign,
            lambda f: f.counts["agreement_signed"],
        ),
        "a company renamed": (rename, lambda f: dict(f.groups["company"]).keys()),
        "an applicant's region": (region, lambda f: f.groups["region"]),
    }


@pytest.mark.parametrize(
    "change",
    [
        "an intern's return undone",
        "a survey answered",
        "an incident reported",
        "an incident deleted",
        "an agreement signed by the last parties",
        "a company renamed",
        "an applicant's region",
    ],
)
def test_a_change_to_the_data_of_a_finished_cohort_invalidates_its_figures(
    finished, monkeypatch, change
):
    cohort = finished.cohort
    before = snapshots.cohort_figures(cohort)
    version = _row(cohort).version
    act, look = _changes(finished)[change]
    act()
    db.session.commit()
    row = _row(cohort)
    assert row.version > version and row.figures_version == version  # stale, not used
    spy = Spy(monkeypatch)
    after = snapshots.cohort_figures(cohort)
    assert spy.calls == 1
    assert look(after) != look(before)
    assert after.to_json() == summarise(load_records(cohort)).to_json()
    assert _row(cohort).figures_version == _row(cohort).version


def test_a_change_to_another_cohort_keeps_the_figures(finished, monkeypatch):
    snapshots.cohort_figures(finished.cohort)
    other = build_cohort(past_year(1))
    other.by_role["eligible"][0].region = "souss-massa"
    db.session.commit()
    spy = Spy(monkeypatch)
    snapshots.cohort_figures(finished.cohort)
    assert spy.calls == 0


def test_figures_computed_with_changes_not_committed_are_not_kept(finished):
    internship = _back1(finished)
    internship.returned_on = None
    db.session.flush()
    figures = snapshots.cohort_figures(finished.cohort)
    assert figures.counts["returned"] == 1
    db.session.rollback()
    assert _row(finished.cohort) is None or _row(finished.cohort).figures is None
    assert snapshots.cohort_figures(finished.cohort).counts["returned"] == 2


def test_a_bulk_update_invalidates_every_finished_cohort(finished):
    snapshots.cohort_figures(finished.cohort)
    version = _row(finished.cohort).version
    db.session.execute(
        update(Internship).where(Internship.id == _back1(finished).id).values(returned_on=None)
    )
    db.session.commit()
    assert _row(finished.cohort).version == version + 1
    assert snapshots.cohort_figures(finished.cohort).counts["returned"] == 1


def test_a_survey_falling_due_makes_the_figures_computed_again(monkeypatch):
    """The figures depend on the cut-off date through the surveys due: a snapshot holds until
    the next due date of the cohort's surveys."""
    built = build_cohort(past_year(2))
    built.cohort.state = CohortState.returned
    db.session.commit()
    year = built.cohort.year
    next_due = db.session.scalar(
        select(func.min(EmploymentSurvey.due_on))
        .join(Internship, Internship.id == EmploymentSurvey.internship_id)
        .where(Internship.cohort_id == built.cohort.id, EmploymentSurvey.due_on > date(year, 9, 1))
    )
    snapshots.cohort_figures(built.cohort, date(year, 9, 1))
    assert _row(built.cohort).valid_until == next_due
    spy = Spy(monkeypatch)
    snapshots.cohort_figures(built.cohort, next_due - timedelta(days=1))
    assert spy.calls == 0
    later = snapshots.cohort_figures(built.cohort, next_due)
    assert spy.calls == 1
    assert later.to_json() == summarise(load_records(built.cohort, next_due)).to_json()


def test_forget_drops_the_kept_figures(finished, runner):
    snapshots.cohort_figures(finished.cohort)
    result = runner.invoke(args=["forget-report-snapshots"])
    assert result.exit_code == 0 and "1 cohort" in result.output
    assert _row(finished.cohort) is None


# --- the pages ------------------------------------------------------------------------------------


def test_the_dashboard_shows_a_change_to_a_finished_cohort(client, auth, finished):
    auth.as_role(Role.official)
    url = f"/reports?year={finished.cohort.year}"
    html = client.get(url).get_data(as_text=True)
    assert ">2</a>" in html.split('data-stage="returned"')[1][:200]
    assert db.session.get(ReportSnapshot, finished.cohort.id) is not None
    internship = _back1(finished)
    internship.returned_on = None
    db.session.commit()
    html = client.get(url).get_data(as_text=True)
    assert ">1</a>" in html.split('data-stage="returned"')[1][:200]


def test_charts_are_drawn_once_for_the_same_figures():
    charts._bar_chart.cache_clear()
    series = [("Placed", [3, 1])]
    first = charts.bar_chart("Per pole", ["Mobile", "Software"], series)
    second = charts.bar_chart("Per pole", ["Mobile", "Software"], [("Placed", [3, 1])])
    assert first is second and charts._bar_chart.cache_info().hits == 1
    assert charts.bar_chart("Per pole", ["Mobile", "Software"], [("Placed", [3, 2])]) != first
