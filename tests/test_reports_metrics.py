"""The programme's figures (mnc_exchange.reports.metrics): every rate on hand-built records
whose right answer is known, then ``data.load_records`` on a small cohort built with the
factories and the real services (placement confirmed, departure, early end, return, surveys,
incidents, check-ins, a tutor's evaluation).

``build_cohort`` is reused by tests/test_reports_views.py.
"""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from flask_babel import force_locale

from mnc_exchange.accounts.models import Role
from mnc_exchange.applications.models import Application, ApplicationStatus, Institution
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.extensions import db
from mnc_exchange.followup import services as followup
from mnc_exchange.followup.models import (
    EmploymentSurvey,
    EvaluationKind,
    IncidentCategory,
    Internship,
    Severity,
    Situation,
)
from mnc_exchange.placements import services as placements
from mnc_exchange.placements.models import Placement
from mnc_exchange.reports import exports
from mnc_exchange.reports.data import load_records
from mnc_exchange.reports.labels import value_label
from mnc_exchange.reports.metrics import (
    SEVERITIES,
    STAGES,
    StudentRecord,
    breakdown,
    funnel,
    rates,
    ratio,
    select,
    trends,
)
from tests.factories import (
    CohortFactory,
    CompanyFactory,
    OfferFactory,
    UserFactory,
    make_selected,
)

_ids = itertools.count(1)


def rec(name: str = "", **values) -> StudentRecord:
    """A record; ``placed=True`` implies the earlier stages unless given."""
    record_id = next(_ids)
    base = {"applied": True}
    if values.get("placed") or values.get("departed"):
        base.update(eligible=True, shortlisted=True, selected=True, placed=True)
    base.update(values)
    return StudentRecord(
        application_id=record_id,
        name=name or f"Student {record_id}",
        gender=base.pop("gender", None),
        region=base.pop("region", None),
        institution=base.pop("institution", None),
        **base,
    )


def returned(**values) -> StudentRecord:
    return rec(departed=True, completed=True, returned=True, **values)


ALL_ZERO = {key: 0 for key, _ in STAGES}


# --- empty cohort, division by zero ------------------------------------------------------------


def test_an_empty_cohort_has_zero_counts_and_no_rate():
    assert funnel([]) == ALL_ZERO
    r = rates([], 30)
    assert r.quota_filled == Decimal("0")  # 0 of 30 places filled: a real zero
    assert r.completion is None
    assert r.return_rate is None
    assert r.employed_morocco == {3: None, 6: None, 12: None}
    assert r.response == {3: None, 6: None, 12: None}
    assert r.due == {3: 0, 6: 0, 12: 0}
    assert r.average_stipend is None
    assert r.incidents == dict.fromkeys(SEVERITIES, 0)
    assert r.tutor_satisfaction is None
    assert r.student_satisfaction is None
    for dimension in ("pole", "host_city", "company", "institution", "region", "gender"):
        assert breakdown([], dimension) == []


def test_no_zero_division_anywhere():
    assert ratio(3, 0) is None
    assert ratio(0, 0) is None
    r = rates([], 0)
    assert r.quota_filled is None
    # Applicants only: nothing placed, so every rate but the quota is unknown.
    r = rates([rec(), rec(eligible=True)], 30)
    assert r.quota_filled == Decimal("0")
    assert r.completion is None and r.return_rate is None and r.average_stipend is None


def test_an_empty_cohort_in_the_tables():
    table = exports.funnel_table([])
    assert [row[1] for row in table.rows] == [0] * len(STAGES)
    # No denominator anywhere: every share is "—" (None), never 0 % or a division by zero.
    assert all(row[4] is None and row[5] is None for row in table.rows)
    rows = {row.key: row for row in exports.rate_rows([], 30, rates([], 30))}
    assert rows["completion"].value is None
    assert rows["completion"].missing  # says why it is "—"
    assert rows["return_rate"].missing
    assert rows["employed_morocco_6"].missing
    assert rows["quota_filled"].value == Decimal("0")
    assert rows["quota_filled"].missing == ""


# --- a cohort abroad: no return yet ----------------------------------------------------------


def test_a_cohort_with_no_returns_yet():
    records = [
        rec(placed=True, departed=True),
        rec(placed=True, departed=True),
        rec(placed=True),  # not departed yet
        rec(selected=True, eligible=True, shortlisted=True),
    ]
    counts = funnel(records)
    assert counts["placed"] == 3 and counts["departed"] == 2
    assert counts["completed"] == counts["returned"] == 0
    r = rates(records, 10)
    assert r.quota_filled == Decimal("0.3000")
    assert r.completion == Decimal("0")  # two departed, none completed yet
    assert r.return_rate == Decimal("0")  # two departed, none back yet: a real 0 of 2
    assert r.employed_morocco == {3: None, 6: None, 12: None}
    assert r.due == {3: 0, 6: 0, 12: 0}


# --- denominators -----------------------------------------------------------------------------


def test_completion_and_return_denominators():
    records = [
        rec(placed=True),  # placed, never departed: outside both denominators
        rec(departed=True),  # abroad: in completion's denominator only
        rec(departed=True, completed=True),  # completed, return not confirmed
        rec(departed=True, ended_early=True),  # ended early, stayed in France
        rec(departed=True, ended_early=True, returned=True),  # ended early and came back
        returned(),
        returned(),
    ]
    r = rates(records, 30)
    # completion: completed (3) over departed (6)
    assert r.completion == Decimal("0.5000")
    # return: returned (3, one of them after an early end) over departed (6): those still in
    # France count as not back
    assert r.return_rate == Decimal("0.5000")
    rows = {row.key: row for row in exports.rate_rows(records, 30, r)}
    assert (rows["completion"].numerator, rows["completion"].denominator) == (3, 6)
    assert (rows["return_rate"].numerator, rows["return_rate"].denominator) == (3, 6)
    assert (rows["quota_filled"].numerator, rows["quota_filled"].denominator) == (7, 30)
    # The lists behind the denominators hold exactly those students.
    assert len(exports.students(records, "departed")) == 6
    assert len(exports.students(records, "over")) == 5
    assert len(exports.students(records, "ended_early")) == 2


def test_employment_denominator_is_the_surveys_due_and_not_yet_due_are_excluded():
    records = [
        returned(surveys={3: (True, "employed_morocco"), 6: (True, "employed_morocco")}),
        returned(surveys={3: (True, "employed_abroad"), 6: (True, None)}),  # 6 months: no answer
        returned(surveys={3: (True, None), 6: (False, None)}),  # 6 months: not due yet
        returned(surveys={3: (True, "employed_morocco"), 6: (False, None)}),
        returned(),  # returned, no survey scheduled
        # A student who is not placed cannot count, whatever the record says.
        rec(surveys={3: (True, "employed_morocco")}),
    ]
    r = rates(records, 30)
    assert r.due == {3: 4, 6: 2, 12: 0}
    assert r.employed_morocco[3] == Decimal("0.5000")  # 2 of the 4 due
    assert r.response[3] == Decimal("0.7500")  # 3 of the 4 answered
    assert r.employed_morocco[6] == Decimal("0.5000")  # 1 of the 2 due; no answer = not known
    assert r.response[6] == Decimal("0.5000")
    assert r.employed_morocco[12] is None and r.response[12] is None
    rows = {row.key: row for row in exports.rate_rows(records, 30, r)}
    assert (rows["employed_morocco_6"].numerator, rows["employed_morocco_6"].denominator) == (1, 2)
    assert (rows["response_3"].numerator, rows["response_3"].denominator) == (3, 4)
    assert rows["employed_morocco_12"].missing
    assert len(exports.students(records, "survey_due_6")) == 2
    assert len(exports.students(records, "survey_answered_3")) == 3
    # The funnel counts the same answers: among the returned interns whose survey was due
    # (the record that is not placed does not count).
    assert funnel(records)["employed_morocco_3"] == 2


def test_incidents_are_counted_by_severity():
    records = [
        rec(placed=True, departed=True, incidents=["low", "low", "critical"]),
        rec(placed=True, departed=True, incidents=["high"]),
        rec(placed=True, departed=True),
    ]
    r = rates(records, 30)
    assert r.incidents == {"low": 2, "medium": 0, "high": 1, "critical": 1}
    assert len(exports.students(records, "incident_low")) == 1  # one intern, two incidents
    assert len(exports.students(records, "incident")) == 2


def test_averages_are_rounded_half_up_and_ignore_unknown_values():
    records = [
        rec(placed=True, monthly_stipend=Decimal("700"), tutor_score=5, wellbeing=3.5),
        rec(placed=True, monthly_stipend=Decimal("650.50"), tutor_score=4, wellbeing=4.25),
        rec(placed=True, monthly_stipend=Decimal("701"), tutor_score=None, wellbeing=None),
        rec(placed=True, monthly_stipend=None),
        # Not placed: their (offer) stipend does not count.
        rec(selected=True, monthly_stipend=Decimal("5000"), tutor_score=1, wellbeing=1.0),
    ]
    r = rates(records, 30)
    assert r.average_stipend == Decimal("683.83")  # 2051.50 / 3
    assert r.tutor_satisfaction == Decimal("4.50")
    assert r.student_satisfaction == Decimal("3.88")  # 3.875 rounded half up
    rows = {row.key: row for row in exports.rate_rows(records, 30, r)}
    assert rows["average_stipend"].denominator == 3
    assert rows["tutor_satisfaction"].denominator == 2


# --- breakdowns and trends --------------------------------------------------------------------


def test_breakdown_order_and_unknown_values():
    records = [
        rec(region="souss-massa", placed=True),
        rec(region="souss-massa", placed=True),
        rec(region="oriental", placed=True),
        rec(region="oriental"),
        rec(region="oriental"),
        rec(region="fes-meknes", placed=True),
        rec(region=None),
        rec(region=None),
        rec(region="draa-tafilalet"),
        rec(region="draa-tafilalet"),
        rec(region="marrakech-safi", applied=False),  # a draft: in the group, not applied
    ]
    rows = breakdown(records, "region")
    # Most placed first, then most applicants, then by value (unknown first on a tie).
    assert [value for value, _ in rows] == [
        "souss-massa",
        "oriental",
        "fes-meknes",
        None,
        "draa-tafilalet",
        "marrakech-safi",
    ]
    counts = dict(rows)
    assert counts["oriental"]["applied"] == 3 and counts["oriental"]["placed"] == 1
    assert counts[None]["applied"] == 2 and counts[None]["placed"] == 0
    assert counts["marrakech-safi"]["applied"] == 0
    # The list behind a cell: the value, or the unknown value ("" or None).
    assert len(exports.students(records, "applied", "region", "oriental")) == 3
    assert len(exports.students(records, "placed", "region", "oriental")) == 1
    assert len(exports.students(records, "applied", "region", "")) == 2
    assert len(exports.students(records, "applied", "region", None)) == 2


def test_host_dimensions_only_exist_for_placed_students():
    records = [
        rec(placed=True, pole="mobile", company="Alpha", host_city="Lyon"),
        rec(placed=True, pole="mobile", company="Beta", host_city="Paris"),
        rec(selected=True),
    ]
    rows = breakdown(records, "pole")
    assert rows[0][0] == "mobile" and rows[0][1]["placed"] == 2
    assert rows[1][0] is None and rows[1][1]["placed"] == 0 and rows[1][1]["selected"] == 1
    with force_locale("en"):
        assert value_label("pole", None) == "Not placed"
        assert value_label("region", None) == "Not given"
        assert value_label("pole", "mobile") == "Mobile services"
        assert value_label("region", "souss-massa") == "Souss-Massa"
        assert value_label("host_city", "Lyon") == "Lyon"


def test_trends_are_year_by_year_in_order():
    y2011 = [returned(surveys={6: (True, "employed_morocco")}), rec(placed=True, departed=True)]
    y2012 = [rec(), rec()]
    y2013 = []
    figures = trends([(2013, 30, y2013), (2011, 2, y2011), (2012, 30, y2012)])
    assert [f.year for f in figures] == [2011, 2012, 2013]
    first = figures[0]
    assert first.quota == 2
    assert first.funnel["placed"] == 2 and first.funnel["returned"] == 1
    assert first.rates.quota_filled == Decimal("1.0000")
    assert first.rates.completion == Decimal("0.5000")
    assert first.rates.employed_morocco[6] == Decimal("1.0000")
    assert figures[1].funnel["applied"] == 2 and figures[1].rates.completion is None
    assert figures[2].funnel == ALL_ZERO
    table = exports.trends_table(figures)
    assert [row[0] for row in table.rows] == [2011, 2012, 2013]
    keys = [c.key for c in table.columns]
    assert table.rows[0][keys.index("quota_filled")] == Decimal("1")
    assert table.rows[2][keys.index("completion")] is None


def test_select_and_outcome():
    records = [
        rec(),
        rec(selected=True, eligible=True, shortlisted=True),
        rec(placed=True),
        rec(placed=True, departed=True),
        rec(placed=True, departed=True, completed=True),
        rec(placed=True, departed=True, ended_early=True, returned=True),
        returned(),
        returned(surveys={3: (True, "employed_morocco"), 6: (True, "seeking")}),
    ]
    assert [r.outcome for r in records] == [
        "applicant",
        "selected",
        "placed",
        "abroad",
        "completed",
        "ended_early",
        "returned",
        "seeking",  # the latest answered wave
    ]
    assert select(records, "placed") == records[2:]
    assert [r.application_id for r in select(records, "returned")] == [
        records[5].application_id,
        records[6].application_id,
        records[7].application_id,
    ]


# --- load_records on a cohort built with the services -----------------------------------------


def _application(cohort, status, submitted=True, **values) -> Application:
    student = UserFactory(role=Role.student)
    application = Application(
        cohort_id=cohort.id,
        student_id=student.id,
        status=status,
        first_name=values.pop("first_name", "Prénom"),
        last_name=values.pop("last_name", f"Candidat{student.id}"),
        pole_ranking=[],
        eligibility_reasons=[],
        submitted_at=utcnow() if submitted else None,
        **values,
    )
    db.session.add(application)
    db.session.commit()
    return application


class Built:
    """What ``build_cohort`` made, for the tests to check against."""

    def __init__(self, cohort, coordinator, host, company):
        self.cohort, self.coordinator, self.host, self.company = cohort, coordinator, host, company
        self.by_role: dict[str, list[Application]] = {}

    def add(self, role: str, application: Application) -> None:
        self.by_role.setdefault(role, []).append(application)

    def ids(self, *roles: str) -> set[int]:
        return {a.id for role in roles for a in self.by_role.get(role, [])}


def _internship(placement: Placement) -> Internship:
    return db.session.query(Internship).filter_by(placement_id=placement.id).one()


def _depart(internship: Internship, actor) -> None:
    step = next(s for s in internship.steps if s.key == "departure")
    followup.update_step(step, step.due_on, None, actor)


def _answer(internship: Internship, wave: int, situation: Situation, actor) -> None:
    survey = (
        db.session.query(EmploymentSurvey).filter_by(internship_id=internship.id, wave=wave).one()
    )
    employed = situation in (Situation.employed_morocco, Situation.employed_abroad)
    data = followup.SituationInput(
        situation=situation,
        employer="Société Marocaine" if employed else None,
        job_title="Ingénieur" if employed else None,
        contract_type=followup.ContractType.permanent if employed else None,
    )
    followup.answer_survey(survey, data, actor)


def build_cohort(
    year: int,
    *,
    extra_selected: int = 0,
    names: dict[str, tuple[str, str]] | None = None,
    quota: int = 10,
) -> Built:
    """A cohort of ``year`` (use a year at least two years back so that every survey is due):

    - a draft (not applied), one ineligible, one eligible, one shortlisted applicant;
    - five selected students (plus ``extra_selected`` more, selected and placed, ongoing):
      ``unplaced`` selected only; ``placed`` confirmed, not departed; ``early`` departed then
      ended early (no return); ``back1`` returned, surveys 3 = employed in Morocco,
      6 = employed abroad, 12 = not answered, a high incident, a check-in (4/5), the tutor's
      final evaluation (5/5); ``back2`` returned, surveys 3 = studying, 6 and 12 = employed in
      Morocco, a low and a critical incident.
    ``names`` overrides (first, last) names per role.
    """
    names = names or {}
    cohort = CohortFactory(
        year=year, quota=max(quota, 5 + extra_selected), state=CohortState.abroad
    )
    coordinator = UserFactory(role=Role.coordinator)
    company = CompanyFactory(legal_name=f"Numérique Conseil {year} SAS", city="Lyon")
    host = UserFactory(role=Role.host, company_id=company.id)
    institution = Institution(
        name=f"ENSIAS {year}", city="Rabat", legal_representative="Doyen", address="Rabat"
    )
    db.session.add(institution)
    db.session.commit()
    built = Built(cohort, coordinator, host, company)

    built.add("draft", _application(cohort, ApplicationStatus.draft, submitted=False))
    built.add("ineligible", _application(cohort, ApplicationStatus.ineligible, region="oriental"))
    built.add("eligible", _application(cohort, ApplicationStatus.eligible, region="oriental"))
    built.add("shortlisted", _application(cohort, ApplicationStatus.shortlisted))

    roles = ["unplaced", "placed", "early", "back1", "back2"] + ["ongoing"] * extra_selected
    selected = make_selected(cohort, len(roles))
    for index, (role, application) in enumerate(zip(roles, selected, strict=True)):
        first, last = names.get(role, (application.first_name, application.last_name))
        application.first_name, application.last_name = first, last
        application.gender = "female" if index % 2 else "male"
        application.region = "casablanca-settat" if index % 2 else "souss-massa"
        application.institution_id = institution.id
        built.add(role, application)
    db.session.commit()

    internships = {}
    for role, application in zip(roles, selected, strict=True):
        if role == "unplaced":
            continue
        offer = OfferFactory(
            cohort=cohort,
            company=company,
            pole="mobile" if role in ("back1", "back2") else "software",
            city="Lyon" if role != "back2" else "Paris",
            start_on=date(year, 3, 2),
            end_on=date(year, 7, 31),
        )
        placement = Placement(cohort_id=cohort.id, application_id=application.id, offer_id=offer.id)
        db.session.add(placement)
        db.session.flush()
        placements.confirm(placement, host)
        db.session.commit()
        internships[application.id] = _internship(placement)

    for role in ("early", "back1", "back2", "ongoing"):
        for application in built.by_role.get(role, []):
            _depart(internships[application.id], coordinator)
    db.session.commit()

    early = internships[built.by_role["early"][0].id]
    followup.end_early(early, date(year, 5, 15), "Raisons familiales", False, coordinator)
    back1 = internships[built.by_role["back1"][0].id]
    back2 = internships[built.by_role["back2"][0].id]
    for internship in (back1, back2):
        followup.confirm_return(internship, date(year, 8, 5), coordinator)
    db.session.commit()

    _answer(back1, 3, Situation.employed_morocco, coordinator)
    _answer(back1, 6, Situation.employed_abroad, coordinator)
    _answer(back2, 3, Situation.studying, coordinator)
    _answer(back2, 6, Situation.employed_morocco, coordinator)
    _answer(back2, 12, Situation.employed_morocco, coordinator)
    for internship, severity in (
        (back1, Severity.high),
        (back2, Severity.low),
        (back2, Severity.critical),
    ):
        followup.report_incident(
            internship,
            coordinator,
            IncidentCategory.housing,
            severity,
            date(year, 5, 2),
            "Logement",
            "Problème de logement.",
        )
    student = built.by_role["back1"][0].student
    followup.submit_checkin(back1, date(year, 4, 1), 4, 3, "Beaucoup", "", student)
    _evaluation, token = followup.send_evaluation_link(back1, EvaluationKind.final, coordinator)
    db.session.commit()
    criteria = followup.criteria_for(cohort)
    followup.submit_evaluation(token, {c.key: 4 for c in criteria}, 5, "Très bien")
    db.session.commit()
    return built


def past_year(back: int = 2) -> int:
    return date.today().year - back


def test_load_records_gives_the_expected_funnel():
    built = build_cohort(past_year())
    records = load_records(built.cohort, date.today())
    assert len(records) == 9  # one per application, drafts included
    counts = funnel(records)
    assert counts == {
        "applied": 8,
        "eligible": 7,
        "shortlisted": 6,
        "selected": 5,
        "placed": 4,
        "agreement_signed": 0,
        # Departed while the application holds no agreement: signed on paper.
        "agreement_on_paper": 3,
        "departed": 3,
        "completed": 2,
        "ended_early": 1,
        "ongoing": 0,
        "returned": 2,
        "employed_morocco_3": 1,
        "employed_morocco_6": 1,
        "employed_morocco_12": 1,
    }
    by_id = {r.application_id: r for r in records}
    assert {r.application_id for r in select(records, "placed")} == built.ids(
        "placed", "early", "back1", "back2"
    )
    assert {r.application_id for r in select(records, "returned")} == built.ids("back1", "back2")
    back1 = by_id[built.by_role["back1"][0].id]
    assert back1.company == built.company.legal_name
    assert back1.pole == "mobile" and back1.host_city == "Lyon"
    assert back1.institution == f"ENSIAS {built.cohort.year}"
    assert back1.monthly_stipend == Decimal("700")
    assert back1.tutor_score == 5 and back1.wellbeing == 4.0
    assert back1.incidents == ["high"]
    assert back1.outcome == "employed_abroad"
    early = by_id[built.by_role["early"][0].id]
    assert early.ended_early and early.end_on == date(built.cohort.year, 5, 15)
    assert early.outcome == "ended_early"

    r = rates(records, built.cohort.quota)
    assert r.quota_filled == Decimal("0.4000")  # 4 of 10
    assert r.completion == Decimal("0.6667")  # 2 of the 3 departed
    assert r.return_rate == Decimal("0.6667")  # 2 of the 3 departed
    assert r.due == {3: 2, 6: 2, 12: 2}
    assert r.employed_morocco == {
        3: Decimal("0.5000"),
        6: Decimal("0.5000"),
        12: Decimal("0.5000"),
    }
    assert r.response == {3: Decimal("1.0000"), 6: Decimal("1.0000"), 12: Decimal("0.5000")}
    assert r.average_stipend == Decimal("700.00")
    assert r.incidents == {"low": 1, "medium": 0, "high": 1, "critical": 1}
    assert r.tutor_satisfaction == Decimal("5.00")
    assert r.student_satisfaction == Decimal("4.00")


def test_load_records_counts_only_the_surveys_due_by_the_cutoff():
    built = build_cohort(past_year())
    year = built.cohort.year
    # The internships ended on 31 July: the 3-month survey is due on 31 October, the 6-month
    # one on 31 January, the 12-month one on 31 July of the next year.
    records = load_records(built.cohort, date(year, 11, 15))
    r = rates(records, built.cohort.quota)
    assert r.due == {3: 2, 6: 0, 12: 0}
    assert r.employed_morocco[6] is None  # answered later, not due at the cut-off
    assert funnel(records)["employed_morocco_6"] == 0
    records = load_records(built.cohort, date(year + 1, 1, 31))
    assert rates(records, built.cohort.quota).due == {3: 2, 6: 2, 12: 0}
    records = load_records(built.cohort, date(year + 1, 1, 30))
    assert rates(records, built.cohort.quota).due == {3: 2, 6: 0, 12: 0}


def test_load_records_of_a_cohort_without_application():
    cohort = CohortFactory()
    assert load_records(cohort, date.today()) == []
