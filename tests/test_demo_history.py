"""Demo history (issue 7, for issue 8's reports): five archived cohorts (2021–2025) and the
previous one (2026) with their interns' whole follow-up.

The demo is loaded once for the module (it renders 60 agreement PDFs): this module's
``_app_context`` replaces the per-test one of ``tests/conftest.py`` (same context and wipe, at
the end of the module instead of after each test). The tests only read, except the last one,
which loads again and checks that nothing was added.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from mnc_exchange import internship_law
from mnc_exchange.accounts.models import User
from mnc_exchange.agreements import services as agreement_services
from mnc_exchange.agreements.models import (
    Agreement,
    AgreementDocument,
    DocumentKind,
    Party,
    PrefectureDecision,
    Signature,
    SignatureMethod,
)
from mnc_exchange.applications import uploads
from mnc_exchange.applications.models import Application, ApplicationStatus, Gender
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.core.timeutils import utcnow
from mnc_exchange.demo import load_demo_data
from mnc_exchange.extensions import db, limiter
from mnc_exchange.followup import schedule
from mnc_exchange.followup.models import (
    CheckIn,
    EmploymentSurvey,
    EvaluationKind,
    Incident,
    IncidentComment,
    IncidentStatus,
    Internship,
    InternshipOutcome,
    MobilityStep,
    Severity,
    Situation,
    SurveyStatus,
    TutorEvaluation,
)
from mnc_exchange.hosts.models import Company
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.maintenance import retention
from mnc_exchange.offers import law
from mnc_exchange.offers.models import Offer, OfferStatus
from mnc_exchange.placements.models import MatchingRun, Placement, PlacementStatus
from mnc_exchange.reports import data, metrics
from mnc_exchange.selection import services as selection
from tests.conftest import _wipe

#: The demo's "today": the current cohort (2027) is open, the previous one (2026) returned.
TODAY = date(2026, 11, 26)
ARCHIVED = (2021, 2022, 2023, 2024, 2025)
FOLLOWED = (*ARCHIVED, 2026)
A = ApplicationStatus


@pytest.fixture(scope="module", autouse=True)
def _app_context(app, data_app):
    """One app context and one database for the module; wiped at its end."""
    with data_app.app_context():
        yield
        db.session.remove()
    _wipe(app)
    limiter.reset()


@pytest.fixture(scope="module")
def cohorts(_app_context) -> dict[int, Cohort]:
    load_demo_data(TODAY)
    db.session.commit()
    return {c.year: c for c in db.session.scalars(select(Cohort))}


def _internships(cohort: Cohort) -> list[Internship]:
    return list(
        db.session.scalars(
            select(Internship)
            .options(
                selectinload(Internship.steps),
                joinedload(Internship.placement).joinedload(Placement.offer),
                joinedload(Internship.placement).joinedload(Placement.application),
            )
            .where(Internship.cohort_id == cohort.id)
        ).unique()
    )


def _rows(model, cohort: Cohort, *options):
    return list(
        db.session.scalars(
            select(model)
            .join(Internship, Internship.id == model.internship_id)
            .options(*options)
            .where(Internship.cohort_id == cohort.id)
        )
    )


def test_archived_cohorts_and_their_applicants(cohorts):
    assert set(cohorts) == {*ARCHIVED, 2026, 2027}
    for year in ARCHIVED:
        cohort = cohorts[year]
        assert cohort.state is CohortState.archived and not cohort.is_current
        assert cohort.quota == 30
        # Applications in October–November, selection in December, matching in January,
        # departures in April, returns by the end of September.
        assert cohort.applications_open_on.year == year - 1
        assert cohort.applications_open_on.month == 10
        assert cohort.applications_close_on.month == 11
        assert cohort.selection_on.month == 12
        assert (cohort.matching_on.year, cohort.matching_on.month) == (year, 1)
        assert cohort.departure_on == date(year, 4, 1) and cohort.return_on == date(year, 9, 30)
        assert ("papier" in cohort.title) is (year < 2025)
        assert selection.is_published(cohort)

        applications = db.session.scalars(
            select(Application).where(Application.cohort_id == cohort.id)
        ).all()
        statuses = Counter(a.status for a in applications)
        submitted = [a for a in applications if a.submitted_at is not None]
        assert 100 < len(submitted) <= 200
        assert statuses[A.selected] == 30
        assert 4 <= statuses[A.waitlisted] <= 10
        assert statuses[A.draft] > 0 and statuses[A.ineligible] > 0 and statuses[A.withdrawn] > 0
        assert statuses[A.rejected] > 30  # not shortlisted, or interviewed and not kept
        ranked = sorted(a.final_rank for a in applications if a.final_rank is not None)
        assert 55 <= len(ranked) <= 65 and ranked == list(range(1, len(ranked) + 1))
        by_rank = sorted((a for a in applications if a.final_rank), key=lambda a: a.final_rank)
        assert [a.status for a in by_rank[:30]] == [A.selected] * 30
        assert all(
            x.final_score > y.final_score for x, y in zip(by_rank, by_rank[1:], strict=False)
        )
        assert sorted(a.waitlist_rank for a in applications if a.status is A.waitlisted) == list(
            range(1, statuses[A.waitlisted] + 1)
        )
        women = sum(a.gender is Gender.female for a in submitted)
        assert 0.4 <= women / len(submitted) <= 0.6
        assert len({a.region for a in submitted}) >= 8
        assert len({a.institution_id for a in submitted}) >= 6
        for application in submitted:
            assert cohort.applications_open_on <= application.submitted_at.date()
            assert application.submitted_at.date() <= cohort.applications_close_on
        # The ineligible files break the screening rules (or say why they were refused).
        for application in applications:
            if application.status is A.ineligible:
                assert application.eligibility_reasons or application.eligibility_override_reason
    # More applicants every year.
    applied = [
        db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.cohort_id == cohorts[y].id, Application.submitted_at.is_not(None))
        )
        for y in (*ARCHIVED, 2026)
    ]
    assert applied == sorted(applied)


def test_unsuccessful_applicants_past_the_retention_period_are_anonymised(cohorts):
    for year in ARCHIVED:
        applications = db.session.scalars(
            select(Application)
            .options(joinedload(Application.student))
            .where(Application.cohort_id == cohorts[year].id)
        ).all()
        kept = [a for a in applications if a.status is A.selected]
        others = [a for a in applications if a.status is not A.selected]
        assert all(a.first_name and a.anonymised_at is None for a in kept)
        if year <= 2023:  # kept until 31 December of year + 2
            assert all(a.anonymised_at and a.first_name is None and a.cin is None for a in others)
            assert all(a.gender and a.region and a.institution_id for a in others)
            assert all(
                a.student.email.startswith("anonymised-") and not a.student.active for a in others
            )
        else:
            assert all(a.anonymised_at is None and a.first_name for a in others)
    # Nothing left for the retention job.
    assert retention.candidates(TODAY, 2) == []


def test_offers_matching_and_placements(cohorts):
    companies_per_year = []
    for year in ARCHIVED:
        cohort = cohorts[year]
        offers = db.session.scalars(select(Offer).where(Offer.cohort_id == cohort.id)).all()
        assert 34 <= len(offers) <= 40
        assert {o.status for o in offers} <= {OfferStatus.filled, OfferStatus.closed}
        companies_per_year.append(len({o.company_id for o in offers}))
        per_tutor = Counter()
        for offer in offers:
            report = law.check_offer(offer, today=internship_law.add_months(offer.start_on, -3))
            assert report.ok, (year, offer.title, [law.message(f) for f in report.violations])
            assert offer.start_on.year == year and offer.start_on.month == 4
            assert offer.end_on <= cohort.return_on
            assert offer.published_at.date() < cohort.matching_on - timedelta(days=14)
            per_tutor[offer.tutor_id] += offer.seats
        assert max(per_tutor.values()) <= 3
        runs = db.session.scalars(
            select(MatchingRun).where(MatchingRun.cohort_id == cohort.id)
        ).all()
        assert len(runs) == 2 and all(run.committed_at for run in runs)
        placements = db.session.scalars(
            select(Placement).where(Placement.cohort_id == cohort.id)
        ).all()
        statuses = Counter(p.status for p in placements)
        assert statuses[PlacementStatus.confirmed] == 30
        confirmed = {p.application_id for p in placements if p.status is PlacementStatus.confirmed}
        selected = set(
            db.session.scalars(
                select(Application.id).where(
                    Application.cohort_id == cohort.id, Application.status == A.selected
                )
            )
        )
        assert confirmed == selected
    # Companies joined the programme over the years; they existed before their first offer.
    assert companies_per_year == sorted(companies_per_year) and companies_per_year[0] >= 6
    for company in db.session.scalars(select(Company)):
        first = db.session.scalar(
            select(func.min(Offer.created_at)).where(Offer.company_id == company.id)
        )
        assert company.created_at < company.approved_at < first


def test_agreements_of_the_last_two_years_only(cohorts):
    for year in (2021, 2022, 2023, 2024):
        assert not db.session.scalar(
            select(func.count())
            .select_from(Agreement)
            .where(Agreement.cohort_id == cohorts[year].id)
        )
    for year in (2025, 2026):
        agreements = db.session.scalars(
            select(Agreement)
            .options(selectinload(Agreement.documents).selectinload(AgreementDocument.signatures))
            .where(Agreement.cohort_id == cohorts[year].id)
        ).all()
        assert len(agreements) == 30
        for agreement in agreements:
            document = agreement_services.current_document(agreement)
            assert agreement_services.status(document) == "fully_signed"
            methods = {s.party: s.method for s in document.signatures}
            assert methods[Party.student] is SignatureMethod.in_app
            assert methods[Party.host] is SignatureMethod.in_app
            for party in (Party.tutor, Party.institution, Party.referent, Party.programme):
                assert methods[party] is SignatureMethod.paper
            issued = document.issued_at.date()
            # Issued after the company's confirmation, signed and stamped before the
            # préfecture's deadline (2 months before the start of a stay over 3 months).
            assert agreement.placement.responded_at.date() <= issued
            deadline = internship_law.add_months(agreement.start_on, -2)
            assert agreement.prefecture_required
            assert issued <= agreement.prefecture_submitted_on <= deadline
            assert agreement.prefecture_decision is PrefectureDecision.stamped
            for signature in document.signatures:
                assert issued <= signature.signed_at.date() <= deadline
            assert uploads.path_of(document.stored_name).is_file()
            assert agreement.referent_email.endswith(".ma")
            if agreement.ended_on is not None:  # an early end: its signed amendment
                amendment = [d for d in agreement.documents if d.kind is DocumentKind.amendment]
                assert len(amendment) == 1 and amendment[0].reasons == ["early_end"]
                assert agreement_services.status(amendment[0]) == "fully_signed"
    scans = db.session.scalars(
        select(Signature).where(Signature.method == SignatureMethod.paper)
    ).all()
    assert len(scans) >= 4 * 60
    assert all(uploads.path_of(s.scan_stored_name).is_file() for s in scans[:20])


def test_every_intern_is_followed_from_departure_to_return(cohorts):
    now = utcnow()
    for year in FOLLOWED:
        cohort = cohorts[year]
        internships = _internships(cohort)
        assert len(internships) == 30
        outcomes = Counter(i.outcome for i in internships)
        assert 1 <= outcomes[InternshipOutcome.ended_early] <= 2
        for internship in internships:
            offer = internship.placement.offer
            start = offer.start_on
            assert internship.created_at <= now
            assert all(step.done_on and step.done_on <= TODAY for step in internship.steps)
            assert (
                internship.departed_on < start and internship.departed_on <= internship.arrived_on
            )
            assert internship.arrived_on <= start
            long_stay = internship_law.lasts_more_than_months(start, offer.end_on, 3)
            assert internship.visa_type == ("vls_ts" if long_stay else "short_stay")
            steps = {s.key: s for s in internship.steps}
            assert steps["visa_granted"].done_on < internship.departed_on
            if internship.outcome is InternshipOutcome.ended_early:
                assert internship.early_end_reason and start < internship.ended_on < offer.end_on
        if year in ARCHIVED:
            assert all(i.returned_on for i in internships)
            assert (
                outcomes[InternshipOutcome.completed] + outcomes[InternshipOutcome.ended_early]
                == 30
            )
        else:  # two alumni have not confirmed their return yet
            assert sum(i.returned_on is None for i in internships) == 2
        for internship in internships:
            if internship.returned_on:
                assert internship.returned_on > internship.ended_on >= internship.departed_on


def test_check_ins_evaluations_and_incidents(cohorts):
    now = utcnow()
    for year in FOLLOWED:
        cohort = cohorts[year]
        checkins = _rows(CheckIn, cohort)
        assert 4 * 30 <= len(checkins) <= 7 * 30
        wellbeing = sum(c.wellbeing for c in checkins) / len(checkins)
        assert 3.6 <= wellbeing <= 4.6
        assert 0 < sum(1 for c in checkins if c.problems) < len(checkins) / 4
        assert min(c.wellbeing for c in checkins) <= 3
        for checkin in checkins:
            assert (
                checkin.month <= checkin.submitted_at.date() <= checkin.month + timedelta(days=40)
            )
            assert checkin.learned

        evaluations = _rows(TutorEvaluation, cohort)
        kinds = Counter(e.kind for e in evaluations)
        assert kinds[EvaluationKind.midterm] >= 28 and kinds[EvaluationKind.final] >= 28
        answered = [e for e in evaluations if e.submitted_at]
        assert len(answered) >= 0.95 * len(evaluations)
        for evaluation in evaluations:
            assert evaluation.expires_at - evaluation.sent_at == timedelta(days=30)
            assert evaluation.tutor_email and evaluation.token_hash
        for evaluation in answered:
            assert evaluation.sent_at < evaluation.submitted_at <= now
            assert len(evaluation.scores) == 5 and all(
                1 <= v <= 5 for v in evaluation.scores.values()
            )
            assert 1 <= evaluation.overall <= 5 and evaluation.comment
        finals = [e.overall for e in answered if e.kind is EvaluationKind.final]
        assert 3.5 <= sum(finals) / len(finals) <= 4.8

        incidents = _rows(Incident, cohort, selectinload(Incident.comments))
        assert 3 <= len(incidents) <= 6  # 10–20 % of the interns
        severities = Counter(i.severity for i in incidents)
        assert severities[Severity.critical] <= 1
        assert severities[Severity.low] + severities[Severity.medium] >= len(incidents) / 2
        for incident in incidents:
            assert incident.comments and incident.created_at <= now
            assert incident.occurred_on <= incident.created_at.date()
            if incident.status is IncidentStatus.closed:
                assert incident.resolution and incident.closed_at > incident.created_at
        open_ones = [i for i in incidents if i.status is not IncidentStatus.closed]
        assert len(open_ones) == (1 if year == 2026 else 0)
    assert db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.wellbeing <= 2)
    )
    critical = db.session.scalars(
        select(Incident).where(Incident.severity == Severity.critical)
    ).all()
    assert 1 <= len(critical) <= 5


def test_employment_surveys(cohorts):
    now = utcnow()
    shares = []
    for year in ARCHIVED:
        surveys = _rows(EmploymentSurvey, cohorts[year])
        assert len(surveys) == 90 and Counter(s.wave for s in surveys) == {3: 30, 6: 30, 12: 30}
        assert all(s.due_on <= TODAY for s in surveys)  # everything was due
        statuses = Counter(s.status for s in surveys)
        assert statuses[SurveyStatus.pending] == 0
        assert statuses[SurveyStatus.answered] >= 0.85 * 90
        assert 1 <= statuses[SurveyStatus.unreachable] <= 0.12 * 90
        twelve = [s for s in surveys if s.wave == 12]
        shares.append(sum(s.situation is Situation.employed_morocco for s in twelve) / 30)
        situations = Counter(s.situation for s in twelve if s.status is SurveyStatus.answered)
        assert situations[Situation.employed_abroad] and situations[Situation.studying]
        for survey in surveys:
            if survey.status is SurveyStatus.answered:
                assert survey.due_on <= survey.answered_at.date() and survey.answered_at <= now
                if survey.by_phone:
                    assert survey.recorded_by_id
            if survey.situation in (Situation.employed_morocco, Situation.employed_abroad):
                assert survey.employer and survey.job_title and survey.contract_type
                assert survey.city and survey.salary_band and survey.pole
                assert survey.employer_mnc_member is not None
            if survey.situation is Situation.employed_morocco:
                assert survey.city in ("Casablanca", "Rabat", "Tanger", "Marrakech")
    # Employment in Morocco a year on rises over the years.
    assert all(0.4 <= share <= 0.9 for share in shares)
    assert shares[0] < shares[-1]
    # The previous cohort came back in the summer: only some 3-month surveys are due.
    surveys = _rows(EmploymentSurvey, cohorts[2026])
    assert len(surveys) == 3 * 28
    for survey in surveys:
        if survey.due_on > TODAY:
            assert survey.status is SurveyStatus.pending
        if survey.wave in (6, 12):
            assert survey.status is SurveyStatus.pending
    assert any(s.status is SurveyStatus.answered for s in surveys if s.wave == 3)


def test_reports_figures_for_every_year(cohorts):
    figures = {}
    for year in FOLLOWED:
        cohort = cohorts[year]
        records = data.load_records(cohort, TODAY)
        funnel = metrics.funnel(records)
        rates = metrics.rates(records, cohort.quota)
        figures[year] = rates
        assert funnel["applied"] > 100
        assert funnel["applied"] > funnel["eligible"] > funnel["shortlisted"] > funnel["selected"]
        assert 55 <= funnel["shortlisted"] <= 65
        assert funnel["selected"] == funnel["placed"] == funnel["departed"] == 30
        # Agreements are in the platform from 2025 on; earlier ones were signed on paper.
        assert funnel["agreement_signed"] == (30 if year >= 2025 else 0)
        assert 27 <= funnel["completed"] <= 29
        assert funnel["returned"] == (28 if year == 2026 else 30)
        assert rates.quota_filled == 1
        assert rates.completion >= Decimal("0.9") and rates.return_rate >= Decimal("0.9")
        assert Decimal(600) < rates.average_stipend < Decimal(1200)
        assert 3 <= sum(rates.incidents.values()) <= 6 and rates.incidents["critical"] <= 1
        assert Decimal("3.5") <= rates.tutor_satisfaction <= 5
        assert Decimal("3.5") <= rates.student_satisfaction <= Decimal("4.6")
        for dimension in metrics.DIMENSIONS:
            assert len(metrics.breakdown(records, dimension)) >= 2
        if year in ARCHIVED:
            assert rates.due == {3: 30, 6: 30, 12: 30}
            for wave in (3, 6, 12):
                assert rates.response[wave] >= Decimal("0.85")
            assert rates.employed_morocco[3] <= rates.employed_morocco[12]
            assert Decimal("0.4") <= rates.employed_morocco[12] <= Decimal("0.9")
            assert Decimal("0.3") <= rates.employed_morocco[6] <= Decimal("0.85")
        else:
            assert rates.due[6] == rates.due[12] == 0 and rates.employed_morocco[12] is None
            assert 0 < rates.due[3] < 28
    assert figures[2021].employed_morocco[12] < figures[2025].employed_morocco[12]
    trend = metrics.trends(
        [(c.year, c.quota, data.load_records(c, TODAY)) for c in data.all_cohorts()]
    )
    assert [f.year for f in trend] == [*FOLLOWED, 2027]


def test_no_timestamp_in_the_future(cohorts):
    now = utcnow()
    for model, column in (
        (Internship, Internship.created_at),
        (Internship, Internship.updated_at),
        (CheckIn, CheckIn.submitted_at),
        (TutorEvaluation, TutorEvaluation.submitted_at),
        (TutorEvaluation, TutorEvaluation.sent_at),
        (Incident, Incident.closed_at),
        (IncidentComment, IncidentComment.created_at),
        (EmploymentSurvey, EmploymentSurvey.answered_at),
        (Agreement, Agreement.created_at),
        (AgreementDocument, AgreementDocument.issued_at),
        (Signature, Signature.signed_at),
        (Application, Application.submitted_at),
    ):
        latest = db.session.scalar(select(func.max(column)))
        assert latest is not None and latest <= now, (model.__name__, column.key)
    # The steps and check-ins of each cohort fall in its year.
    for year in FOLLOWED:
        cohort = cohorts[year]
        months = {c.month.year for c in _rows(CheckIn, cohort)}
        assert months == {year}
        steps = db.session.scalars(
            select(MobilityStep.done_on)
            .join(Internship, Internship.id == MobilityStep.internship_id)
            .where(Internship.cohort_id == cohort.id)
        ).all()
        assert {d.year for d in steps} == {year}
        first = min(schedule.month_start(d) for d in steps)
        assert first >= cohort.matching_on.replace(day=1)


def test_no_email_left_and_a_second_load_adds_nothing(cohorts):
    assert db.session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    # The audit trail marks what the demo wrote directly.
    demo_states = db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "application.demo_state")
    ).all()
    assert len(demo_states) > 5 * 100 and all(e.details.get("demo") for e in demo_states)
    tables = (User, Application, Offer, Placement, Internship, MobilityStep, CheckIn)
    tables += (TutorEvaluation, Incident, EmploymentSurvey, Agreement, AgreementDocument)
    tables += (Signature, AuditEvent, OutboxMessage, Cohort)

    def counts():
        return {t.__name__: db.session.scalar(select(func.count()).select_from(t)) for t in tables}

    before = counts()
    load_demo_data(TODAY)
    db.session.commit()
    assert counts() == before
    per_cohort = defaultdict(int)
    for cohort_id in db.session.scalars(select(Internship.cohort_id)):
        per_cohort[cohort_id] += 1
    assert sorted(per_cohort.values()) == [30] * 6
