"""The selection round, service by service: rubric, reviewer assignment, conflicts, blind
scoring, shortlist, interviews, decisions within the quota, overrides, publication and the
waitlist (seat offers, declines, expiry).

The services are called directly in the test's app context; the test commits where a real
request would (and rolls back after a refused operation, as the views do).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D  # noqa: N817
from itertools import count

import pytest
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.applications import services as app_services
from mnc_exchange.applications.models import Application, ApplicationStatus
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import Cohort, CohortState
from mnc_exchange.core.errors import DomainError
from mnc_exchange.core.timeutils import as_utc, utcnow
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.selection import services
from mnc_exchange.selection.models import (
    AssignmentStatus,
    Interview,
    ReviewAssignment,
    RubricCriterion,
    SeatOffer,
    SeatOfferStatus,
)
from mnc_exchange.selection.services import CriterionInput
from tests.factories import CohortFactory, UserFactory

A = ApplicationStatus
T0 = datetime(2030, 1, 10, 9, 0, tzinfo=UTC)
_seq = count(1)

# The default rubric (non-interview part): academic w30 /20, french w20 /10,
# technical w20 /10, motivation w15 /10; the interview is w15 /10. Σ weights = 100.
FULL = {"academic": 20, "french": 10, "technical": 10, "motivation": 10}

SUBJECT_OFFER = "A seat is offered to you"
SUBJECT_EXPIRED = "Your seat offer has expired"
SUBJECT_DECISION = "The selection result of your application"
SUBJECT_INTERVIEW = "Your selection interview"


# --- helpers ---------------------------------------------------------------------------------


def make_cohort(quota: int = 30, **attrs) -> Cohort:
    return CohortFactory(quota=quota, state=CohortState.selection, **attrs)


def make_coordinators(n: int, **attrs) -> list[User]:
    return [UserFactory(role=Role.coordinator, **attrs) for _ in range(n)]


def make_application(
    cohort: Cohort,
    status: ApplicationStatus = A.eligible,
    *,
    student: User | None = None,
    submitted_at: datetime | None = None,
    first_name: str | None = None,
    **attrs,
) -> Application:
    n = next(_seq)
    student = student or UserFactory(locale="en")
    application = Application(
        cohort_id=cohort.id,
        student_id=student.id,
        status=status,
        submitted_at=submitted_at or T0 + timedelta(minutes=n),
        first_name=first_name or f"Prénom{n}",
        last_name=f"Nom{n}",
        pole_ranking=[],
        **attrs,
    )
    db.session.add(application)
    db.session.commit()
    return application


def by_id(cohort: Cohort, scores: dict) -> dict[int, object]:
    """Scores keyed by criterion key → keyed by criterion id (what submit_review takes)."""
    return {c.id: scores[c.key] for c in services.rubric_for(cohort) if c.key in scores}


def active_assignments(application: Application) -> list[ReviewAssignment]:
    return list(
        db.session.scalars(
            select(ReviewAssignment)
            .where(
                ReviewAssignment.application_id == application.id,
                ReviewAssignment.status != AssignmentStatus.conflict,
            )
            .order_by(ReviewAssignment.id)
        )
    )


def all_assignments() -> list[ReviewAssignment]:
    return list(db.session.scalars(select(ReviewAssignment).order_by(ReviewAssignment.id)))


def assign(application: Application, reviewer: User, **attrs) -> ReviewAssignment:
    assignment = ReviewAssignment(application_id=application.id, reviewer_id=reviewer.id, **attrs)
    db.session.add(assignment)
    db.session.commit()
    return assignment


def audits(action: str) -> list[AuditEvent]:
    return list(
        db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
    )


def subjects(user: User) -> list[str]:
    return list(
        db.session.scalars(
            select(OutboxMessage.subject)
            .where(OutboxMessage.recipient == user.email)
            .order_by(OutboxMessage.id)
        )
    )


def count_offers(cohort: Cohort, status: SeatOfferStatus | None = None) -> int:
    query = (
        select(func.count())
        .select_from(SeatOffer)
        .join(Application, Application.id == SeatOffer.application_id)
        .where(Application.cohort_id == cohort.id)
    )
    if status is not None:
        query = query.where(SeatOffer.status == status)
    return db.session.scalar(query)


def assert_quota_holds(cohort: Cohort) -> None:
    taken = services.seats_taken(cohort)
    assert taken <= cohort.quota
    assert taken + count_offers(cohort, SeatOfferStatus.open) <= cohort.quota


def refused(call, *args, **kwargs) -> DomainError:
    """Run a service that must refuse; roll back as a view would."""
    with pytest.raises(DomainError) as info:
        call(*args, **kwargs)
    db.session.rollback()
    return info.value


@dataclass(frozen=True)
class Spec:
    """One application of a round driven through the real services: the file scores (one
    dict for both reviewers, or one per reviewer), the interview score (None: scheduled but
    not scored) and the submission time."""

    file: dict | list[dict]
    interview: object
    submitted_at: datetime


def run_round(cohort: Cohort, specs: dict[str, Spec], actor: User) -> dict[str, Application]:
    """eligible → assign_reviewers → submit_review × 2 → make_shortlist (everyone) →
    schedule_interview → score_interview, committing like the coordinators' requests."""
    services.settings_for(cohort).shortlist_size = len(specs)
    applications = {
        name: make_application(cohort, submitted_at=spec.submitted_at, first_name=name)
        for name, spec in specs.items()
    }
    assert services.assign_reviewers(cohort) == 2 * len(specs)
    db.session.commit()
    for name, application in applications.items():
        files = specs[name].file
        files = files if isinstance(files, list) else [files, files]
        for assignment, scores in zip(active_assignments(application), files, strict=True):
            services.submit_review(assignment, by_id(cohort, scores))
            db.session.commit()
        assert application.status is A.scored
    assert services.make_shortlist(cohort) == (len(specs), 0)
    db.session.commit()
    for name, application in applications.items():
        services.schedule_interview(application, utcnow() + timedelta(days=2), "Salle B12")
        if specs[name].interview is not None:
            services.score_interview(application, specs[name].interview, "", actor)
        db.session.commit()
    return applications


def decided_cohort(
    quota: int,
    selected: int,
    waitlisted: int,
    rejected: int = 0,
    *,
    published: bool = True,
    seat_offer_days: int = 7,
):
    """A cohort whose decisions are made (built directly): ``selected`` seats taken, a
    waitlist ranked 1.., some rejected; published unless told otherwise."""
    cohort = make_cohort(quota)
    rank = count(1)
    sel = [make_application(cohort, A.selected, final_rank=next(rank)) for _ in range(selected)]
    wait = [
        make_application(cohort, A.waitlisted, final_rank=next(rank), waitlist_rank=i)
        for i in range(1, waitlisted + 1)
    ]
    rej = [make_application(cohort, A.rejected, final_rank=next(rank)) for _ in range(rejected)]
    settings = services.settings_for(cohort)
    settings.seat_offer_days = seat_offer_days
    settings.decisions_at = utcnow()
    if published:
        settings.published_at = utcnow()
    db.session.commit()
    return cohort, sel, wait, rej


# --- rubric ----------------------------------------------------------------------------------


def test_default_rubric_is_created_once():
    cohort = make_cohort()
    first = services.rubric_for(cohort)
    db.session.commit()
    second = services.rubric_for(cohort)
    assert [c.key for c in first] == ["academic", "french", "technical", "motivation", "interview"]
    assert [c.id for c in second] == [c.id for c in first]
    assert db.session.scalar(select(func.count()).select_from(RubricCriterion)) == 5
    assert sum(c.weight for c in second) == 100
    assert [c.key for c in second if c.is_interview] == ["interview"]
    other = make_cohort()
    assert len(services.rubric_for(other)) == 5  # per cohort
    assert db.session.scalar(select(func.count()).select_from(RubricCriterion)) == 10


def _row(key, weight=10, max_score=10, is_interview=False):
    return CriterionInput(key, key.title(), D(weight), D(max_score), is_interview)


@pytest.mark.parametrize(
    "rows",
    [
        pytest.param([], id="empty"),
        pytest.param([_row("academic"), _row("academic")], id="duplicate-keys"),
        pytest.param(
            [_row("oral", is_interview=True), _row("jury", is_interview=True)],
            id="two-interviews",
        ),
        pytest.param([_row("academic", weight=0)], id="zero-weight"),
        pytest.param([_row("academic", weight=-5)], id="negative-weight"),
        pytest.param([_row("academic", max_score=0)], id="zero-max"),
    ],
)
def test_update_rubric_validation(rows):
    cohort = make_cohort()
    before = [(c.key, c.weight, c.max_score) for c in services.rubric_for(cohort)]
    db.session.commit()
    refused(services.update_rubric, cohort, rows)
    assert [(c.key, c.weight, c.max_score) for c in services.rubric_for(cohort)] == before
    assert audits("selection.rubric") == []


def test_update_rubric_replaces_the_criteria():
    cohort = make_cohort()
    academic_id = next(c.id for c in services.rubric_for(cohort) if c.key == "academic")
    db.session.commit()
    services.update_rubric(
        cohort,
        [
            _row("motivation", weight=30),
            _row("academic", weight=40, max_score=20),
            _row("oral", weight=30, is_interview=True),
        ],
    )
    db.session.commit()
    rubric = services.rubric_for(cohort)
    assert [(c.key, c.weight, c.max_score, c.is_interview) for c in rubric] == [
        ("motivation", 30, 10, False),
        ("academic", 40, 20, False),
        ("oral", 30, 10, True),
    ]
    assert next(c.id for c in rubric if c.key == "academic") == academic_id  # updated in place
    assert len(audits("selection.rubric")) == 1


def test_update_rubric_refused_after_the_first_submitted_review():
    cohort = make_cohort()
    make_coordinators(2)
    application = make_application(cohort)
    services.assign_reviewers(cohort)
    db.session.commit()
    # Assigning reviewers does not freeze the rubric …
    services.update_rubric(
        cohort,
        [
            _row("academic", weight=30, max_score=20),
            _row("french", weight=20),
            _row("technical", weight=25),
            _row("motivation", weight=10),
            _row("interview", weight=15, is_interview=True),
        ],
    )
    db.session.commit()
    # … the first submitted review does.
    first = active_assignments(application)[0]
    services.submit_review(first, by_id(cohort, FULL))
    db.session.commit()
    assert services.settings_for(cohort).scoring_started_at is not None
    error = refused(services.update_rubric, cohort, [_row("academic")])
    assert "Scoring has started" in error.message
    assert len(services.rubric_for(cohort)) == 5


# --- reviewer assignment ---------------------------------------------------------------------


def test_assign_reviewers_two_each_balanced_and_idempotent():
    cohort = make_cohort()
    coordinators = make_coordinators(3)
    UserFactory(role=Role.coordinator, active=False)  # never assigned
    eligible = [make_application(cohort) for _ in range(7)]
    ineligible = make_application(cohort, A.ineligible)
    submitted = make_application(cohort, A.submitted)

    assert services.assign_reviewers(cohort) == 14
    db.session.commit()
    for application in eligible:
        reviewers = [a.reviewer_id for a in active_assignments(application)]
        assert len(reviewers) == 2
        assert len(set(reviewers)) == 2
        assert set(reviewers) <= {c.id for c in coordinators}
    assert active_assignments(ineligible) == []
    assert active_assignments(submitted) == []
    loads = Counter(a.reviewer_id for a in all_assignments())
    assert set(loads) == {c.id for c in coordinators}
    assert max(loads.values()) - min(loads.values()) <= 1

    assert services.assign_reviewers(cohort) == 0  # idempotent
    db.session.commit()
    assert len(all_assignments()) == 14

    late = make_application(cohort)  # a late eligibility decision: only it gets reviewers
    assert services.assign_reviewers(cohort) == 2
    loads = Counter(a.reviewer_id for a in all_assignments())
    assert len(active_assignments(late)) == 2
    assert max(loads.values()) - min(loads.values()) <= 1


def test_assign_reviewers_never_gives_students_their_own_application():
    cohort = make_cohort()
    # The applicant is the least loaded coordinator with the lowest id: first in line.
    applicant, c2, c3 = make_coordinators(3)
    application = make_application(cohort, student=applicant)
    assert services.assign_reviewers(cohort) == 2
    assert {a.reviewer_id for a in active_assignments(application)} == {c2.id, c3.id}


def test_assign_reviewers_refused_with_too_few_coordinators():
    cohort = make_cohort()
    make_coordinators(1)
    UserFactory(role=Role.coordinator, active=False)
    make_application(cohort)
    error = refused(services.assign_reviewers, cohort)
    assert "2 reviewers are needed" in error.message
    assert all_assignments() == []


def test_reassign_gives_an_unfinished_review_to_another_coordinator():
    cohort = make_cohort()
    c1, c2, c3 = make_coordinators(3)
    application = make_application(cohort)
    first = assign(application, c1)
    second = assign(application, c2)

    refused(services.reassign, first, c2)  # already on the application
    refused(services.reassign, first, UserFactory(role=Role.student))
    refused(services.reassign, first, UserFactory(role=Role.coordinator, active=False))
    assert first.reviewer_id == c1.id

    services.reassign(first, c3)
    db.session.commit()
    assert first.reviewer_id == c3.id
    assert first.status is AssignmentStatus.assigned
    (event,) = audits("selection.reassign")
    assert event.details == {"from": c1.id, "to": c3.id}

    services.submit_review(second, by_id(cohort, FULL))
    db.session.commit()
    error = refused(services.reassign, second, c1)
    assert "already submitted" in error.message
    assert second.reviewer_id == c2.id


# --- conflicts of interest -------------------------------------------------------------------


def _conflict_setup():
    """c1, c2 on the application; loads c1=2, c2=1, c3=3, c4=2."""
    cohort = make_cohort()
    c1, c2, c3, c4 = make_coordinators(4)
    target, a2, a3, a4 = (make_application(cohort) for _ in range(4))
    conflicted = assign(target, c1)
    assign(target, c2)
    for application, reviewers in ((a2, (c3, c4)), (a3, (c3, c4)), (a4, (c3, c1))):
        for reviewer in reviewers:
            assign(application, reviewer)
    return cohort, target, conflicted, (c1, c2, c3, c4)


def test_declare_conflict_needs_a_reason():
    _, target, conflicted, _ = _conflict_setup()
    before = len(all_assignments())
    for reason in ("", "   ", None):
        refused(services.declare_conflict, conflicted, reason)
        assert conflicted.status is AssignmentStatus.assigned
        assert conflicted.conflict_reason is None
        assert len(all_assignments()) == before
    assert audits("selection.conflict") == []


def test_declare_conflict_goes_to_the_least_loaded_coordinator_not_on_the_application():
    _, target, conflicted, (c1, c2, c3, c4) = _conflict_setup()
    # c2 is the least loaded coordinator but already reviews this application: c4 (load 2)
    # beats c3 (load 3).
    replacement = services.declare_conflict(conflicted, "  Ma cousine  ")
    db.session.commit()
    assert replacement is not None
    assert replacement.reviewer_id == c4.id
    assert replacement.status is AssignmentStatus.assigned
    assert conflicted.status is AssignmentStatus.conflict
    assert conflicted.conflict_reason == "Ma cousine"
    assert {a.reviewer_id for a in active_assignments(target)} == {c2.id, c4.id}
    (event,) = audits("selection.conflict")
    assert event.details == {"reason": "Ma cousine"}


def test_declare_conflict_without_a_free_coordinator_returns_none():
    cohort = make_cohort()
    c1, c2 = make_coordinators(2)
    application = make_application(cohort)
    conflicted = assign(application, c1)
    assign(application, c2)
    assert services.declare_conflict(conflicted, "Mon neveu") is None
    assert conflicted.status is AssignmentStatus.conflict
    assert [a.reviewer_id for a in active_assignments(application)] == [c2.id]


def test_a_submitted_review_cannot_be_declared_a_conflict():
    cohort = make_cohort()
    c1, c2, _ = make_coordinators(3)
    application = make_application(cohort)
    first = assign(application, c1)
    assign(application, c2)
    services.submit_review(first, by_id(cohort, FULL))
    db.session.commit()
    refused(services.declare_conflict, first, "Je la connais")
    assert first.status is AssignmentStatus.submitted


def test_the_conflicted_reviewer_does_not_hold_up_the_score():
    cohort = make_cohort()
    c1, c2, c3 = make_coordinators(3)
    application = make_application(cohort)
    conflicted = assign(application, c1)
    other = assign(application, c2)
    replacement = services.declare_conflict(conflicted, "Mon voisin")
    db.session.commit()
    assert replacement.reviewer_id == c3.id
    refused(services.submit_review, conflicted, by_id(cohort, FULL))
    services.submit_review(other, by_id(cohort, FULL))
    services.submit_review(replacement, by_id(cohort, FULL))
    db.session.commit()
    assert application.status is A.scored
    assert application.review_score == D("100.00")


def test_declaring_the_same_conflict_twice_creates_one_replacement():
    _, target, conflicted, _ = _conflict_setup()
    services.declare_conflict(conflicted, "Ma cousine")
    db.session.commit()
    # A double-submitted form: the second declaration must be refused (or be a no-op).
    try:
        services.declare_conflict(conflicted, "Ma cousine")
    except DomainError:
        db.session.rollback()
    else:
        db.session.commit()
    assert len(active_assignments(target)) == 2


def test_reassign_refuses_the_applicant_themself():
    cohort = make_cohort()
    c1, c2, applicant = make_coordinators(3)
    application = make_application(cohort, student=applicant)
    first = assign(application, c1)
    assign(application, c2)
    with pytest.raises(DomainError):
        services.reassign(first, applicant)


# --- blind scoring ---------------------------------------------------------------------------


def _two_reviewers():
    cohort = make_cohort()
    make_coordinators(3)
    application = make_application(cohort)
    services.assign_reviewers(cohort)
    db.session.commit()
    first, second = active_assignments(application)
    return cohort, application, first, second


@pytest.mark.parametrize("missing", [None, "", "absent"])
def test_submit_review_needs_every_criterion(missing):
    cohort, application, first, _ = _two_reviewers()
    scores = dict(FULL)
    if missing == "absent":
        del scores["motivation"]
    else:
        scores["motivation"] = missing
    error = refused(services.submit_review, first, by_id(cohort, scores))
    assert "Motivation" in error.message
    assert first.status is AssignmentStatus.assigned
    assert first.scores == []
    assert services.settings_for(cohort).scoring_started_at is None


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("academic", 21),
        ("academic", "20,01"),
        ("french", -1),
        ("french", "-0.5"),
        ("technical", "11"),
        ("motivation", "beaucoup"),
        ("motivation", "7.5.1"),
    ],
)
def test_submit_review_range_checks(key, value):
    cohort, application, first, _ = _two_reviewers()
    refused(services.submit_review, first, by_id(cohort, {**FULL, key: value}))
    assert first.status is AssignmentStatus.assigned
    assert first.total is None


def test_submit_review_weighted_total_on_100_with_a_decimal_comma():
    cohort, application, first, _ = _two_reviewers()
    services.submit_review(
        first,
        by_id(cohort, {"academic": 15, "french": "7,5", "technical": "6", "motivation": " 9 "}),
        comment="  Bon dossier  ",
    )
    db.session.commit()
    # (30 × 15/20 + 20 × 7.5/10 + 20 × 6/10 + 15 × 9/10) / 85 × 100
    # = (22.5 + 15 + 12 + 13.5) / 85 × 100 = 63 / 85 × 100 = 74.1176… → 74.12
    assert first.total == D("74.12")
    assert first.status is AssignmentStatus.submitted
    assert first.submitted_at is not None
    assert first.comment == "Bon dossier"
    stored = {s.criterion.key: s.score for s in first.scores}
    assert stored == {"academic": 15, "french": D("7.5"), "technical": 6, "motivation": 9}
    assert services.can_see_other_reviews(first)
    # A submitted review is final.
    refused(services.submit_review, first, by_id(cohort, FULL))


def test_submit_review_bounds_are_inclusive():
    cohort, application, first, _ = _two_reviewers()
    services.submit_review(
        first,
        by_id(cohort, {"academic": "20", "french": "0", "technical": "7,5", "motivation": 10}),
    )
    # (30 + 0 + 15 + 15) / 85 × 100 = 70.588… → 70.59
    assert first.total == D("70.59")


def test_the_score_is_the_mean_of_the_totals_once_every_review_is_in():
    cohort, application, first, second = _two_reviewers()
    services.submit_review(
        first, by_id(cohort, {"academic": 15, "french": "7,5", "technical": 6, "motivation": 9})
    )
    db.session.commit()
    assert application.status is A.eligible  # still waiting for the second review
    assert application.review_score is None
    assert not services.can_see_other_reviews(second)

    # (30 × 16/20 + 20 × 8/10 + 20 × 8/10 + 15 × 8/10) / 85 × 100 = 68 / 85 × 100 = 80.00
    services.submit_review(
        second, by_id(cohort, {"academic": 16, "french": 8, "technical": 8, "motivation": 8})
    )
    db.session.commit()
    assert second.total == D("80.00")
    assert application.status is A.scored
    assert application.review_score == D("77.06")  # (74.12 + 80.00) / 2
    assert application.review_disagreement is False
    transitions = [e.details for e in audits("application.transition")]
    assert transitions[-1]["to"] == "scored"


@pytest.mark.parametrize(
    ("motivation", "gap", "total", "flag"),
    [
        ("1.5", None, D("85.00"), False),  # exactly the default gap (15): no flag
        ("1.4", None, D("84.82"), True),  # 15.18 points apart
        ("1.5", "14.99", D("85.00"), True),  # a cohort's own gap
        ("10", None, D("100.00"), False),
    ],
)
def test_disagreement_flag(motivation, gap, total, flag):
    cohort, application, first, second = _two_reviewers()
    if gap is not None:
        services.settings_for(cohort).disagreement_gap = D(gap)
    services.submit_review(first, by_id(cohort, FULL))  # 100.00
    # (30 + 20 + 20 + 15 × m/10) / 85 × 100
    services.submit_review(second, by_id(cohort, {**FULL, "motivation": motivation}))
    db.session.commit()
    assert second.total == total
    assert application.status is A.scored
    assert application.review_disagreement is flag


def test_a_withdrawn_application_cannot_be_reviewed():
    cohort, application, first, _ = _two_reviewers()
    app_services.withdraw(application, "Autre stage")
    db.session.commit()
    refused(services.submit_review, first, by_id(cohort, FULL))


@pytest.mark.parametrize("value", ["NaN", "nan", "sNaN"])
def test_a_nan_review_score_is_refused_as_a_domain_error(value):
    cohort, application, first, _ = _two_reviewers()
    with pytest.raises(DomainError):
        services.submit_review(first, by_id(cohort, {**FULL, "academic": value}))


def test_a_nan_interview_score_is_refused_as_a_domain_error():
    cohort = make_cohort()
    coordinator = make_coordinators(1)[0]
    application = make_application(cohort, A.shortlisted)
    services.schedule_interview(application, utcnow() + timedelta(days=1), "Salle B12")
    with pytest.raises(DomainError):
        services.score_interview(application, "NaN", "", coordinator)


# --- shortlist -------------------------------------------------------------------------------


def _scored(cohort, *scores):
    return [make_application(cohort, A.scored, review_score=D(s)) for s in scores]


def test_shortlist_default_size_is_twice_the_quota():
    cohort = make_cohort(quota=2)
    applications = _scored(cohort, 90, 80, 70, 60, 50, 40)
    waiting = make_application(cohort)  # eligible, reviews pending: the shortlist must wait
    refused(services.make_shortlist, cohort)
    waiting.status = A.submitted  # not screened yet: does not block, stays untouched
    assert services.make_shortlist(cohort) == (4, 2)
    db.session.commit()
    assert [a.status for a in applications] == [A.shortlisted] * 4 + [A.rejected] * 2
    assert waiting.status is A.submitted
    refused(services.make_shortlist, cohort)  # only one shortlist
    (event,) = audits("selection.shortlist")
    assert event.details == {"shortlisted": 4, "size": 6}


def test_shortlist_keeps_everyone_tied_at_the_cut_off():
    cohort = make_cohort(quota=2)
    applications = _scored(cohort, "90", "80", "70", "60.5", "60.5", "60.49")
    assert services.make_shortlist(cohort) == (5, 1)
    assert [a.status for a in applications] == [A.shortlisted] * 5 + [A.rejected]


def test_shortlist_size_setting_and_nothing_to_shortlist():
    cohort = make_cohort(quota=2)
    refused(services.make_shortlist, cohort)
    services.settings_for(cohort).shortlist_size = 1
    applications = _scored(cohort, 55, 75, 65)
    assert services.make_shortlist(cohort) == (1, 2)
    assert [a.status for a in applications] == [A.rejected, A.shortlisted, A.rejected]


# --- interviews ------------------------------------------------------------------------------


def test_schedule_interview_checks_and_e_mails_the_student():
    cohort = make_cohort()
    application = make_application(cohort, A.shortlisted)
    scored = make_application(cohort, A.scored)
    future = utcnow() + timedelta(days=3)

    refused(services.schedule_interview, scored, future, "Salle B12")
    refused(services.schedule_interview, application, utcnow() - timedelta(minutes=1), "B12")
    refused(services.schedule_interview, application, future, "   ")
    assert db.session.scalar(select(func.count()).select_from(Interview)) == 0
    assert subjects(application.student) == []

    interview = services.schedule_interview(application, future, "  Salle B12 ")
    db.session.commit()
    assert interview.location == "Salle B12"
    assert as_utc(interview.starts_at) == future
    assert interview.score is None
    assert subjects(application.student) == [SUBJECT_INTERVIEW]

    # Moving it keeps one interview and tells the student again.
    later = future + timedelta(days=1)
    moved = services.schedule_interview(application, later, "https://visio.example.org/mnc")
    db.session.commit()
    assert moved.id == interview.id
    assert as_utc(moved.starts_at) == later
    assert db.session.scalar(select(func.count()).select_from(Interview)) == 1
    assert subjects(application.student) == [SUBJECT_INTERVIEW] * 2


def test_score_interview_range_and_transition():
    cohort = make_cohort()
    coordinator = make_coordinators(1)[0]
    application = make_application(cohort, A.shortlisted)
    refused(services.score_interview, application, 8, "", coordinator)  # not scheduled
    services.schedule_interview(application, utcnow() + timedelta(days=1), "Salle B12")
    db.session.commit()
    for bad in (11, "10,5", -1, "bien"):
        refused(services.score_interview, application, bad, "", coordinator)
        assert application.status is A.shortlisted

    services.score_interview(application, "8,5", "  Très clair  ", coordinator)
    db.session.commit()
    interview = db.session.scalar(select(Interview))
    assert interview.score == D("8.5")
    assert interview.notes == "Très clair"
    assert interview.scored_by_id == coordinator.id
    assert interview.scored_at is not None
    assert application.status is A.interviewed
    refused(services.score_interview, application, 9, "", coordinator)  # scored once
    assert interview.score == D("8.5")


# --- decisions -------------------------------------------------------------------------------


def test_make_decisions_refused_while_an_interview_is_not_scored():
    cohort = make_cohort(quota=1)
    coordinator = make_coordinators(3)[0]
    applications = run_round(
        cohort,
        {
            "done": Spec(FULL, 9, T0),
            "pending": Spec(FULL, None, T0 + timedelta(hours=1)),
        },
        coordinator,
    )
    error = refused(services.make_decisions, cohort)
    assert "1 shortlisted" in error.message
    assert applications["done"].status is A.interviewed
    assert applications["pending"].status is A.shortlisted
    assert services.settings_for(cohort).decisions_at is None
    refused(services.publish, cohort)  # nothing to publish yet


def test_final_score_is_the_weighted_total_of_the_mean_criterion_scores_plus_interview():
    cohort = make_cohort(quota=1)
    coordinator = make_coordinators(3)[0]
    applications = run_round(
        cohort,
        {
            "solo": Spec(
                [
                    {"academic": 16, "french": 8, "technical": 6, "motivation": 7},
                    {"academic": 12, "french": 6, "technical": 8, "motivation": 9},
                ],
                "9",
                T0,
            )
        },
        coordinator,
    )
    application = applications["solo"]
    # Reviewers' totals 62.5/85 → 73.53 and 59.5/85 → 70.00; review score their mean.
    assert application.review_score == D("71.77")
    assert services.make_decisions(cohort) == {"selected": 1}
    db.session.commit()
    # Means per criterion: academic 14, french 7, technical 7, motivation 8; interview 9.
    # 30 × 14/20 + 20 × 7/10 + 20 × 7/10 + 15 × 8/10 + 15 × 9/10
    # = 21 + 14 + 14 + 12 + 13.5 = 74.5 (Σ weights = 100)
    assert application.final_score == D("74.50")
    assert application.final_rank == 1
    assert application.status is A.selected


TIE_ROUND = {
    # Created in this order (ids ascending), so the id never explains the expected order.
    # Y and X tie on 97: X has the better interview (10 vs 8) although Y applied earlier.
    "Y": Spec({**FULL, "motivation": 10}, 8, T0 + timedelta(hours=1)),
    # W and Z tie on 80 with the same interview: Z applied earlier, W has the lower id.
    "W": Spec({"academic": 16, "french": 8, "technical": 8, "motivation": 8}, 8, T0 + timedelta(3)),
    "X": Spec({**FULL, "motivation": 8}, 10, T0 + timedelta(hours=4)),
    "Z": Spec({"academic": 16, "french": 8, "technical": 8, "motivation": 8}, 8, T0 + timedelta(2)),
    "P": Spec(FULL, 10, T0 + timedelta(hours=5)),
}


def test_make_decisions_ranks_with_the_documented_tie_break():
    cohort = make_cohort(quota=2)
    coordinator = make_coordinators(3)[0]
    applications = run_round(cohort, TIE_ROUND, coordinator)
    assert services.make_decisions(cohort) == {"selected": 2, "waitlisted": 3}
    db.session.commit()

    finals = {name: a.final_score for name, a in applications.items()}
    assert finals == {"P": 100, "X": 97, "Y": 97, "Z": 80, "W": 80}
    ranked = sorted(applications, key=lambda name: applications[name].final_rank)
    assert ranked == ["P", "X", "Y", "Z", "W"]
    assert [applications[n].status for n in ranked] == [A.selected] * 2 + [A.waitlisted] * 3
    assert [applications[n].waitlist_rank for n in ranked] == [None, None, 1, 2, 3]
    assert services.seats_taken(cohort) == cohort.quota
    assert services.settings_for(cohort).decisions_at is not None
    assert audits("selection.decisions")[0].details == {"selected": 2, "waitlisted": 3}
    # Decisions are hidden until publication: nobody was e-mailed.
    assert all(SUBJECT_DECISION not in subjects(a.student) for a in applications.values())

    error = refused(services.make_decisions, cohort)
    assert "already" in error.message
    assert services.seats_taken(cohort) == cohort.quota


def test_make_decisions_with_fewer_candidates_than_seats():
    cohort = make_cohort(quota=5)
    coordinator = make_coordinators(2)[0]
    run_round(cohort, {"a": Spec(FULL, 5, T0), "b": Spec(FULL, 6, T0)}, coordinator)
    assert services.make_decisions(cohort) == {"selected": 2}


# --- overrides -------------------------------------------------------------------------------


def test_override_needs_a_reason_and_changes_nothing_without_one():
    cohort, sel, wait, rej = decided_cohort(quota=2, selected=1, waitlisted=1, rejected=1)
    for reason in ("", "  ", None):
        error = refused(services.override_decision, rej[0], A.selected, reason)
        assert "reason" in error.message
    assert rej[0].status is A.rejected
    assert rej[0].decision_override_reason is None
    assert audits("selection.override") == []
    assert subjects(rej[0].student) == []
    assert services.seats_taken(cohort) == 1
    refused(services.override_decision, rej[0], A.interviewed, "Erreur de saisie")


def test_override_refused_when_the_quota_is_full():
    cohort, sel, wait, rej = decided_cohort(quota=2, selected=2, waitlisted=1, rejected=1)
    for application in (wait[0], rej[0]):
        error = refused(services.override_decision, application, A.selected, "Dossier excellent")
        assert "quota" in error.message
    assert wait[0].status is A.waitlisted
    assert rej[0].status is A.rejected
    assert services.seats_taken(cohort) == 2
    assert audits("selection.override") == []


def test_override_is_audited_and_notified_once_published():
    cohort, sel, wait, rej = decided_cohort(quota=2, selected=1, waitlisted=1, rejected=1)
    services.override_decision(rej[0], A.selected, "  Erreur de calcul corrigée ")
    db.session.commit()
    assert rej[0].status is A.selected
    assert rej[0].decision_override_reason == "Erreur de calcul corrigée"
    (event,) = audits("selection.override")
    assert event.target_type == "applications"
    assert event.target_id == rej[0].id
    assert event.details == {
        "from": "rejected",
        "to": "selected",
        "reason": "Erreur de calcul corrigée",
    }
    assert subjects(rej[0].student) == [SUBJECT_DECISION]
    assert services.seats_taken(cohort) == cohort.quota


def test_override_to_waitlisted_gets_the_next_waitlist_rank():
    cohort, sel, wait, rej = decided_cohort(
        quota=2, selected=2, waitlisted=2, rejected=1, published=False
    )
    services.override_decision(sel[0], A.waitlisted, "Pièce falsifiée")
    db.session.commit()
    assert sel[0].status is A.waitlisted
    assert sel[0].waitlist_rank == 3
    services.override_decision(rej[0], A.waitlisted, "Recours accepté")
    db.session.commit()
    assert rej[0].waitlist_rank == 4
    # A waitlisted student keeps their rank when overridden away and back.
    services.override_decision(wait[0], A.rejected, "Désistement oral")
    services.override_decision(wait[0], A.waitlisted, "Erreur")
    db.session.commit()
    assert wait[0].waitlist_rank == 1
    assert len(audits("selection.override")) == 4
    # Not published: nobody is told yet.
    assert all(subjects(a.student) == [] for a in (*sel, *wait, *rej))


# --- publication -----------------------------------------------------------------------------


def test_publish_refused_before_decisions_then_e_mails_every_decided_student_once():
    cohort = make_cohort(quota=2)
    coordinator = make_coordinators(3)[0]
    applications = run_round(cohort, TIE_ROUND, coordinator)
    refused(services.publish, cohort)
    services.make_decisions(cohort)
    db.session.commit()

    assert services.publish(cohort) == 5
    db.session.commit()
    assert services.is_published(cohort)
    for application in applications.values():
        assert subjects(application.student).count(SUBJECT_DECISION) == 1
    assert len(audits("selection.publish")) == 1

    error = refused(services.publish, cohort)
    assert "already published" in error.message
    for application in applications.values():
        assert subjects(application.student).count(SUBJECT_DECISION) == 1


def test_visible_status_hides_decisions_until_publication():
    cohort = make_cohort(quota=1)
    selected = make_application(cohort, A.selected, final_rank=1)
    waitlisted = make_application(cohort, A.waitlisted, final_rank=2, waitlist_rank=1)
    rejected = make_application(cohort, A.rejected, final_rank=3)
    cut = make_application(cohort, A.rejected)  # not shortlisted: no final rank
    scored = make_application(cohort, A.scored)
    shortlisted = make_application(cohort, A.shortlisted)
    services.settings_for(cohort).decisions_at = utcnow()
    db.session.commit()

    hidden = [selected, waitlisted, rejected, cut, scored, shortlisted]
    assert [services.visible_status(a) for a in hidden] == [
        A.interviewed,
        A.interviewed,
        A.interviewed,
        A.eligible,
        A.eligible,
        A.shortlisted,
    ]
    assert services.publish(cohort) == 4
    db.session.commit()
    assert [services.visible_status(a) for a in hidden] == [
        A.selected,
        A.waitlisted,
        A.rejected,
        A.rejected,
        A.scored,
        A.shortlisted,
    ]


# --- waitlist --------------------------------------------------------------------------------


def test_waitlist_chain_withdrawal_decline_accept():
    cohort, sel, wait, rej = decided_cohort(
        quota=2, selected=2, waitlisted=3, rejected=1, seat_offer_days=5
    )
    assert_quota_holds(cohort)

    # A selected student withdraws: the seat goes to waitlist #1, with a deadline.
    before = utcnow()
    app_services.withdraw(sel[0], "Autre programme")
    db.session.commit()
    after = utcnow()
    assert sel[0].status is A.withdrawn
    assert_quota_holds(cohort)
    first = services.open_offer(wait[0])
    assert first is not None
    assert before <= as_utc(first.offered_at) <= after
    assert before + timedelta(days=5) <= as_utc(first.deadline_at) <= after + timedelta(days=5)
    assert as_utc(first.deadline_at) - as_utc(first.offered_at) == timedelta(days=5)
    assert subjects(wait[0].student) == [SUBJECT_OFFER]
    assert services.open_offer(wait[1]) is None
    # seats taken (1) + open offers (1) = quota: no second offer.
    assert services.offer_next_seat(cohort) is None
    assert count_offers(cohort) == 1

    # #1 declines: withdrawn, and the seat goes to #2.
    services.respond_to_offer(first, False)
    db.session.commit()
    assert first.status is SeatOfferStatus.declined
    assert first.responded_at is not None
    assert wait[0].status is A.withdrawn
    assert wait[0].withdrawn_at is not None
    assert_quota_holds(cohort)
    second = services.open_offer(wait[1])
    assert second is not None
    assert subjects(wait[1].student) == [SUBJECT_OFFER]

    # #2 accepts: selected, the quota is full again, nobody else gets an offer.
    services.respond_to_offer(second, True)
    db.session.commit()
    assert second.status is SeatOfferStatus.accepted
    assert wait[1].status is A.selected
    assert services.seats_taken(cohort) == cohort.quota
    assert_quota_holds(cohort)
    assert services.offer_next_seat(cohort) is None
    assert services.open_offer(wait[2]) is None
    assert count_offers(cohort) == 2

    # Closed offers cannot be answered any more.
    for offer, accept in ((first, True), (second, False), (second, True)):
        error = refused(services.respond_to_offer, offer, accept)
        assert "no longer open" in error.message
    assert wait[0].status is A.withdrawn
    assert wait[1].status is A.selected
    assert rej[0].status is A.rejected
    assert_quota_holds(cohort)


def test_an_offer_that_expires_goes_to_the_next_student():
    cohort, sel, wait, _ = decided_cohort(quota=2, selected=2, waitlisted=3)
    app_services.withdraw(sel[1])
    db.session.commit()
    first = services.open_offer(wait[0])
    deadline = as_utc(first.deadline_at)

    assert services.expire_offers(now=deadline - timedelta(minutes=1)) == 0
    assert first.status is SeatOfferStatus.open

    later = deadline + timedelta(hours=1)
    assert services.expire_offers(now=later) == 1
    db.session.commit()
    assert first.status is SeatOfferStatus.expired
    assert wait[0].status is A.waitlisted  # no answer: not a withdrawal
    assert subjects(wait[0].student) == [SUBJECT_OFFER, SUBJECT_EXPIRED]
    second = services.open_offer(wait[1])
    assert second is not None
    assert as_utc(second.offered_at) == later
    assert as_utc(second.deadline_at) == later + timedelta(days=7)
    assert subjects(wait[1].student) == [SUBJECT_OFFER]
    assert_quota_holds(cohort)
    assert services.expire_offers(now=later) == 0  # nothing left to expire

    # The expired offer cannot be answered; the open one not after its deadline either.
    error = refused(services.respond_to_offer, first, True, now=later)
    assert "no longer open" in error.message
    error = refused(
        services.respond_to_offer, second, True, now=as_utc(second.deadline_at) + timedelta(1)
    )
    assert "deadline" in error.message
    assert second.status is SeatOfferStatus.open
    assert wait[1].status is A.waitlisted
    # At the deadline itself the answer is still accepted.
    services.respond_to_offer(second, True, now=as_utc(second.deadline_at))
    db.session.commit()
    assert wait[1].status is A.selected
    assert services.seats_taken(cohort) == cohort.quota
    assert_quota_holds(cohort)


def test_a_waitlisted_student_withdrawing_with_an_open_offer_passes_it_on():
    cohort, sel, wait, _ = decided_cohort(quota=1, selected=1, waitlisted=2)
    app_services.withdraw(sel[0])
    db.session.commit()
    first = services.open_offer(wait[0])
    app_services.withdraw(wait[0], "Je pars ailleurs")
    db.session.commit()
    assert first.status is SeatOfferStatus.declined
    assert services.open_offer(wait[1]) is not None
    assert_quota_holds(cohort)


def test_no_offer_before_publication_nor_with_an_empty_waitlist():
    cohort, sel, wait, _ = decided_cohort(quota=2, selected=2, waitlisted=1, published=False)
    app_services.withdraw(sel[0])
    db.session.commit()
    assert count_offers(cohort) == 0  # hidden decisions: no offer yet

    cohort, sel, _, _ = decided_cohort(quota=1, selected=1, waitlisted=0)
    app_services.withdraw(sel[0])
    db.session.commit()
    assert count_offers(cohort) == 0
    assert len(audits("selection.waitlist_empty")) == 1


def test_an_offer_is_never_made_while_seats_and_open_offers_fill_the_quota():
    cohort, sel, wait, _ = decided_cohort(quota=3, selected=3, waitlisted=4)
    assert services.offer_next_seat(cohort) is None  # full
    app_services.withdraw(sel[0])
    app_services.withdraw(sel[1])
    db.session.commit()
    assert count_offers(cohort, SeatOfferStatus.open) == 2
    assert services.open_offer(wait[0]) is not None
    assert services.open_offer(wait[1]) is not None
    for _ in range(3):
        assert services.offer_next_seat(cohort) is None
    assert count_offers(cohort) == 2
    assert_quota_holds(cohort)


def test_two_offers_expiring_together_are_both_passed_on():
    cohort, sel, wait, _ = decided_cohort(quota=3, selected=3, waitlisted=4)
    app_services.withdraw(sel[0])
    app_services.withdraw(sel[1])
    db.session.commit()
    deadlines = [as_utc(services.open_offer(w).deadline_at) for w in wait[:2]]
    assert services.expire_offers(now=max(deadlines) + timedelta(hours=1)) == 2
    db.session.commit()
    assert_quota_holds(cohort)
    assert services.open_offer(wait[2]) is not None
    assert services.open_offer(wait[3]) is not None  # the second freed seat


def test_overriding_a_student_with_an_open_offer_closes_the_offer():
    cohort, sel, wait, _ = decided_cohort(quota=1, selected=1, waitlisted=2)
    app_services.withdraw(sel[0])
    db.session.commit()
    offer = services.open_offer(wait[0])
    services.override_decision(wait[0], A.rejected, "Fraude constatée")
    db.session.commit()
    assert offer.status is not SeatOfferStatus.open
    with pytest.raises(DomainError):
        services.respond_to_offer(offer, True)


@pytest.fixture(autouse=True)
def _english_messages():
    """The assertions above read the services' English messages."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield
