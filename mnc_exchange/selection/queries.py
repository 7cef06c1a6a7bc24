"""Read-only queries of the coordinators' selection pages, the minutes and the exports.

Every list loads what it shows with the rows (``selectinload`` / joins, or one query per kind
of object), so the number of SQL queries of a page does not depend on the number of
applications. Nothing here writes: the settings and the rubric are previewed (defaults when
not configured yet) instead of being created by a GET.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Role, User
from ..applications.models import Application, ApplicationStatus
from ..applications.screening import count_by_status
from ..audit.models import AuditEvent
from ..cohorts.models import Cohort
from ..core.listing import preview
from ..core.timeutils import as_utc
from ..extensions import db
from . import services
from .models import (
    AssignmentStatus,
    Interview,
    ReviewAssignment,
    RubricCriterion,
    SeatOffer,
    SeatOfferStatus,
    SelectionSettings,
)

A = ApplicationStatus

#: Statuses before the selection round proper (the file and its eligibility).
BEFORE_SELECTION = (A.draft, A.submitted, A.returned, A.ineligible)
#: The statuses of the selection round, in workflow order (the enum's order; for the counts).
STATUS_ORDER: tuple[ApplicationStatus, ...] = tuple(
    status for status in ApplicationStatus if status not in BEFORE_SELECTION
)
DECIDED = (A.selected, A.waitlisted, A.rejected)
#: Once an application reaches one of these, the shortlist exists.
AFTER_SHORTLIST = (A.shortlisted, A.interviewed, A.selected, A.waitlisted)


def load_cohort(cohort_id: int) -> Cohort:
    return db.get_or_404(Cohort, cohort_id)


def load_application(application_id: int) -> Application:
    return db.first_or_404(
        select(Application)
        .where(Application.id == application_id)
        .options(selectinload(Application.cohort), selectinload(Application.student))
    )


def _applications(*conditions, order_by=()) -> list[Application]:
    """The applications meeting ``conditions``, in ``order_by`` order, students loaded."""
    return list(
        db.session.scalars(
            select(Application)
            .where(*conditions)
            .options(selectinload(Application.student))
            .order_by(*order_by)
        )
    )


def load_assignment(assignment_id: int) -> ReviewAssignment:
    return db.first_or_404(
        select(ReviewAssignment)
        .where(ReviewAssignment.id == assignment_id)
        .options(selectinload(ReviewAssignment.application))
    )


# --- settings and rubric (previews) ----------------------------------------------------------


def settings_preview(cohort: Cohort) -> SelectionSettings:
    """The cohort's settings, or unsaved ones holding the defaults."""
    settings = db.session.scalar(
        select(SelectionSettings).where(SelectionSettings.cohort_id == cohort.id)
    )
    if settings is not None:
        return settings
    return preview(SelectionSettings, skip=("created_at", "updated_at"), cohort_id=cohort.id)


def rubric_preview(cohort: Cohort) -> list[RubricCriterion]:
    """The cohort's rubric, or the default one (unsaved)."""
    criteria = list(
        db.session.scalars(
            select(RubricCriterion)
            .where(RubricCriterion.cohort_id == cohort.id)
            .order_by(RubricCriterion.position, RubricCriterion.id)
        )
    )
    if criteria:
        return criteria
    return [
        RubricCriterion(
            cohort_id=cohort.id,
            key=key,
            label=services.default_label(key),
            weight=weight,
            max_score=max_score,
            position=position,
            is_interview=is_interview,
        )
        for position, (key, _label, weight, max_score, is_interview) in enumerate(
            services.DEFAULT_RUBRIC
        )
    ]


def interview_criterion(criteria: list[RubricCriterion]) -> RubricCriterion | None:
    return next((c for c in criteria if c.is_interview), None)


# --- overview --------------------------------------------------------------------------------


def status_counts(cohort: Cohort) -> dict[ApplicationStatus, int]:
    found = count_by_status(
        Application.cohort_id == cohort.id, Application.status.in_(STATUS_ORDER)
    )
    return {status: found.get(status, 0) for status in STATUS_ORDER}


def missing_reviewers(cohort: Cohort, needed: int) -> int:
    """How many eligible applications have fewer active reviewers than ``needed``."""
    active = (
        select(func.count(ReviewAssignment.id))
        .where(
            ReviewAssignment.application_id == Application.id,
            ReviewAssignment.status != AssignmentStatus.conflict,
        )
        .correlate(Application)
        .scalar_subquery()
    )
    return db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.cohort_id == cohort.id, Application.status == A.eligible)
        .where(active < needed)
    )


def first_open(offers: list[SeatOffer]) -> SeatOffer | None:
    """The open seat offer among ``offers``, if any."""
    return next((o for o in offers if o.status is SeatOfferStatus.open), None)


class _WithSeatOffers:
    """A row holding its application's seat ``offers``."""

    offers: list[SeatOffer]

    @property
    def open_offer(self) -> SeatOffer | None:
        return first_open(self.offers)


@dataclass(frozen=True)
class WaitlistRow(_WithSeatOffers):
    application: Application
    offers: list[SeatOffer]


def waitlist(cohort: Cohort) -> list[WaitlistRow]:
    """The waitlisted applications in rank order, with their seat offers."""
    applications = _applications(
        Application.cohort_id == cohort.id,
        Application.status == A.waitlisted,
        order_by=(Application.waitlist_rank.asc().nulls_last(), Application.id),
    )
    offers = _offers_by_application([a.id for a in applications])
    return [WaitlistRow(a, offers.get(a.id, [])) for a in applications]


def seat_offers(cohort: Cohort) -> list[SeatOffer]:
    """Every seat offer of the cohort, the latest first."""
    return list(
        db.session.scalars(
            select(SeatOffer)
            .join(Application, Application.id == SeatOffer.application_id)
            .where(Application.cohort_id == cohort.id)
            .options(selectinload(SeatOffer.application).selectinload(Application.student))
            .order_by(SeatOffer.offered_at.desc(), SeatOffer.id.desc())
        )
    )


def _offers_by_application(ids: list[int]) -> dict[int, list[SeatOffer]]:
    if not ids:
        return {}
    result: dict[int, list[SeatOffer]] = {}
    for offer in db.session.scalars(
        select(SeatOffer).where(SeatOffer.application_id.in_(ids)).order_by(SeatOffer.id)
    ):
        result.setdefault(offer.application_id, []).append(offer)
    return result


@dataclass(frozen=True)
class Steps:
    """What the overview's step buttons allow, from the round's state."""

    rubric_editable: bool
    can_assign: bool
    can_shortlist: bool
    can_interview: bool
    can_decide: bool
    can_publish: bool
    pending_reviews: int
    missing_reviewers: int
    pending_interviews: int


def steps(settings: SelectionSettings, counts: dict[ApplicationStatus, int], missing: int) -> Steps:
    decided = settings.decisions_at is not None
    return Steps(
        rubric_editable=settings.scoring_started_at is None,
        can_assign=missing > 0 and not decided,
        can_shortlist=counts[A.scored] > 0 and counts[A.eligible] == 0 and not decided,
        can_interview=counts[A.shortlisted] + counts[A.interviewed] > 0,
        can_decide=counts[A.interviewed] > 0 and counts[A.shortlisted] == 0 and not decided,
        can_publish=decided and settings.published_at is None,
        pending_reviews=counts[A.eligible],
        missing_reviewers=missing,
        pending_interviews=counts[A.shortlisted],
    )


def shortlist_exists(cohort: Cohort) -> bool:
    return bool(
        db.session.scalar(
            select(func.count())
            .select_from(Application)
            .where(Application.cohort_id == cohort.id, Application.status.in_(AFTER_SHORTLIST))
        )
    )


# --- assignments -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AssignmentRow:
    application: Application
    assignments: list[ReviewAssignment]

    @property
    def active(self) -> list[ReviewAssignment]:
        return [a for a in self.assignments if a.status is not AssignmentStatus.conflict]

    @property
    def totals(self) -> list[Decimal]:
        return [Decimal(a.total) for a in self.active if a.total is not None]

    @property
    def gap(self) -> Decimal | None:
        totals = self.totals
        return max(totals) - min(totals) if len(totals) >= 2 else None


def _reviewed_ids(cohort: Cohort):
    return (
        select(ReviewAssignment.application_id)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(Application.cohort_id == cohort.id)
    )


def assignment_rows(cohort: Cohort) -> list[AssignmentRow]:
    """Every application of the round (eligible, or with a reviewer), with its assignments."""
    applications = _applications(
        Application.cohort_id == cohort.id,
        (Application.status == A.eligible) | Application.id.in_(_reviewed_ids(cohort)),
        order_by=(Application.id,),
    )
    by_application: dict[int, list[ReviewAssignment]] = {}
    if applications:
        for assignment in db.session.scalars(
            select(ReviewAssignment)
            .where(ReviewAssignment.application_id.in_([a.id for a in applications]))
            .options(selectinload(ReviewAssignment.reviewer), selectinload(ReviewAssignment.scores))
            .order_by(ReviewAssignment.id)
        ):
            by_application.setdefault(assignment.application_id, []).append(assignment)
    return [AssignmentRow(a, by_application.get(a.id, [])) for a in applications]


def coordinators() -> list[User]:
    """Active coordinators: the reviewers one can assign."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.role == Role.coordinator, User.active.is_(True))
            .order_by(User.full_name, User.id)
        )
    )


@dataclass
class ReviewerLoad:
    reviewer: User
    counts: Counter = field(default_factory=Counter)

    @property
    def to_review(self) -> int:
        return self.counts[AssignmentStatus.assigned]

    @property
    def submitted(self) -> int:
        return self.counts[AssignmentStatus.submitted]

    @property
    def conflicts(self) -> int:
        return self.counts[AssignmentStatus.conflict]

    @property
    def active(self) -> int:
        return self.to_review + self.submitted


def reviewer_loads(cohort: Cohort, pool: list[User]) -> list[ReviewerLoad]:
    """Per reviewer (every active coordinator, and anyone else holding a review of this cohort):
    assignments to do, submitted, given up for a conflict of interest."""
    rows = db.session.execute(
        select(ReviewAssignment.reviewer_id, ReviewAssignment.status, func.count())
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(Application.cohort_id == cohort.id)
        .group_by(ReviewAssignment.reviewer_id, ReviewAssignment.status)
    ).all()
    loads = {user.id: ReviewerLoad(user) for user in pool}
    others = {reviewer_id for reviewer_id, _status, _n in rows if reviewer_id not in loads}
    if others:
        for user in db.session.scalars(select(User).where(User.id.in_(others))):
            loads[user.id] = ReviewerLoad(user)
    for reviewer_id, status, n in rows:
        loads[reviewer_id].counts[AssignmentStatus(status)] += n
    return sorted(loads.values(), key=lambda load: (load.reviewer.full_name, load.reviewer.id))


# --- interviews ------------------------------------------------------------------------------


@dataclass(frozen=True)
class InterviewRow:
    application: Application
    interview: Interview | None


def interview_rows(cohort: Cohort) -> list[InterviewRow]:
    """Shortlisted and interviewed applications (best review score first), with interviews."""
    applications = _applications(
        Application.cohort_id == cohort.id,
        Application.status.in_((A.shortlisted, A.interviewed)),
        order_by=(Application.review_score.desc().nulls_last(), Application.id),
    )
    interviews = _interviews([a.id for a in applications])
    return [InterviewRow(a, interviews.get(a.id)) for a in applications]


def interviews_to_score(now: datetime):
    """The condition on ``Interview`` joined to its ``Application``: held (its start is past),
    the file still shortlisted, no score yet. The interviews page's ``?show=to_score`` and the
    coordinators' to-do list."""
    return (
        (Application.status == A.shortlisted)
        & Interview.score.is_(None)
        & (Interview.starts_at <= now)
    )


def interview_to_score(row: InterviewRow, now: datetime) -> bool:
    """``interviews_to_score`` on a loaded row."""
    interview = row.interview
    return (
        row.application.status is A.shortlisted
        and interview is not None
        and interview.score is None
        and as_utc(interview.starts_at) <= now
    )


def _interviews(ids: list[int]) -> dict[int, Interview]:
    if not ids:
        return {}
    return {
        i.application_id: i
        for i in db.session.scalars(select(Interview).where(Interview.application_id.in_(ids)))
    }


# --- ranking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow(_WithSeatOffers):
    application: Application
    interview: Interview | None
    offers: list[SeatOffer]

    @property
    def interview_score(self) -> Decimal | None:
        if self.interview is None or self.interview.score is None:
            return None
        return Decimal(self.interview.score)


def ranking(cohort: Cohort) -> list[RankRow]:
    """The final ranking (applications with a final rank), rank order."""
    applications = _applications(
        Application.cohort_id == cohort.id,
        Application.final_rank.is_not(None),
        order_by=(Application.final_rank, Application.id),
    )
    ids = [a.id for a in applications]
    interviews = _interviews(ids)
    offers = _offers_by_application(ids)
    return [RankRow(a, interviews.get(a.id), offers.get(a.id, [])) for a in applications]


def not_shortlisted(cohort: Cohort) -> list[Application]:
    """Scored applications left out of the shortlist (no final rank), best score first."""
    return _applications(
        Application.cohort_id == cohort.id,
        Application.final_rank.is_(None),
        Application.review_score.is_not(None),
        Application.status.in_((A.rejected, A.selected, A.waitlisted, A.withdrawn)),
        order_by=(Application.review_score.desc(), Application.id),
    )


@dataclass(frozen=True)
class OverrideEntry:
    at: datetime
    who: str
    application: Application | None
    source: str
    target: str
    reason: str


def overrides(cohort: Cohort) -> list[OverrideEntry]:
    """The audited decision overrides of the cohort, oldest first."""
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == "selection.override",
            AuditEvent.target_type == Application.__tablename__,
            AuditEvent.target_id.in_(
                select(Application.id).where(Application.cohort_id == cohort.id)
            ),
        )
        .order_by(AuditEvent.id)
    ).all()
    ids = {e.target_id for e in events}
    applications = {}
    if ids:
        applications = {a.id: a for a in _applications(Application.id.in_(ids))}
    return [
        OverrideEntry(
            at=e.created_at,
            who=e.actor.full_name if e.actor else "",
            application=applications.get(e.target_id),
            source=(e.details or {}).get("from", ""),
            target=(e.details or {}).get("to", ""),
            reason=(e.details or {}).get("reason", ""),
        )
        for e in events
    ]


# --- minutes ---------------------------------------------------------------------------------


@dataclass
class ScoreLine:
    """One candidate of the minutes: the submitted reviews behind their scores, the mean score
    per criterion, the interview and the final score recomputed from them."""

    application: Application
    reviews: list[ReviewAssignment]  # submitted, in assignment order
    means: dict[int, Decimal]  # criterion id -> mean of the reviewers' scores
    interview: Decimal | None
    computed: Decimal | None  # the final score the shown reviews and interview give
    imported: bool  # a score without any review recorded here

    @property
    def matches(self) -> bool:
        """The recorded final score is the one the shown reviews give (or there is none)."""
        final = self.application.final_score
        return final is None or self.computed is None or Decimal(final) == self.computed


def score_line(
    application: Application,
    assignments: list[ReviewAssignment],
    criteria: list[RubricCriterion],
    interview: Interview | None,
) -> ScoreLine:
    """What the reviews shown in the minutes give (the arithmetic of ``services.final_score``)."""
    from . import ranking as pure

    reviews = [a for a in assignments if a.status is AssignmentStatus.submitted]
    per_criterion: dict[int, list[Decimal]] = {}
    for review in reviews:
        for score in review.scores:
            per_criterion.setdefault(score.criterion_id, []).append(Decimal(score.score))
    means = {cid: sum(v, Decimal(0)) / len(v) for cid, v in per_criterion.items()}
    interview_score = (
        Decimal(interview.score) if interview is not None and interview.score is not None else None
    )
    values = {c.key: means[c.id] for c in criteria if c.id in means and not c.is_interview}
    interview_criterion = next((c for c in criteria if c.is_interview), None)
    if interview_score is not None and interview_criterion is not None:
        values[interview_criterion.key] = interview_score
    computed = None
    if reviews and application.final_score is not None:
        pure_criteria = [
            pure.Criterion(c.key, Decimal(c.weight), Decimal(c.max_score)) for c in criteria
        ]
        computed = pure.weighted_total(pure_criteria, values)
    has_score = application.final_score is not None or application.review_score is not None
    return ScoreLine(
        application,
        reviews,
        {cid: pure.mean(v) for cid, v in per_criterion.items()},
        interview_score,
        computed,
        imported=has_score and not reviews,
    )


@dataclass
class Minutes:
    cohort: Cohort
    settings: SelectionSettings
    shortlist_size: int
    rubric: list[RubricCriterion]
    loads: list[ReviewerLoad]
    scores: list[AssignmentRow]
    interviews: dict[int, Interview]
    ranking: list[RankRow]
    not_shortlisted: list[Application]
    counts: dict[ApplicationStatus, int]
    seats_taken: int
    overrides: list[OverrideEntry]
    generated_at: datetime
    lines: dict[int, ScoreLine] = field(default_factory=dict)  # application id -> line

    @property
    def imported(self) -> int:
        """Candidates with a score but no review recorded here."""
        return sum(1 for line in self.lines.values() if line.imported)

    @property
    def criteria(self) -> list[RubricCriterion]:
        """The criteria scored by the file reviewers, in the rubric's order."""
        return [c for c in self.rubric if not c.is_interview]


def minutes(cohort: Cohort, now: datetime) -> Minutes:
    """Everything the selection committee's minutes show (a fixed number of queries)."""
    settings = settings_preview(cohort)
    scores = [row for row in assignment_rows(cohort) if row.assignments]
    counts = status_counts(cohort)
    rubric = rubric_preview(cohort)
    ranked = ranking(cohort)
    left_out = not_shortlisted(cohort)
    assignments = {row.application.id: row.assignments for row in scores}
    interviews = _interviews([row.application.id for row in scores])
    for row in ranked:
        if row.interview is not None:
            interviews[row.application.id] = row.interview
    lines = {
        a.id: score_line(a, assignments.get(a.id, []), rubric, interviews.get(a.id))
        for a in [row.application for row in ranked] + left_out
    }
    return Minutes(
        cohort=cohort,
        settings=settings,
        shortlist_size=settings.shortlist_size or 2 * cohort.quota,
        rubric=rubric,
        loads=[load for load in reviewer_loads(cohort, []) if load.counts],
        scores=scores,
        interviews=interviews,
        ranking=ranked,
        not_shortlisted=left_out,
        counts=counts,
        seats_taken=services.seats_taken(cohort),
        overrides=overrides(cohort),
        generated_at=now,
        lines=lines,
    )
