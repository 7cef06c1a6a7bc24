"""Selection round operations: rubric, reviewer assignment, blind scoring, shortlist,
interviews, final decisions within the quota, publication, and the waitlist.

Application statuses move through ``applications.services.move`` (the one transition table).
The quota is enforced here under a row lock on the cohort (``SELECT … FOR UPDATE`` on
PostgreSQL), so two coordinators acting at the same moment cannot exceed it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from ..accounts.models import Role, User
from ..accounts.services import active_coordinators
from ..applications import services as app_services
from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..cohorts.models import Cohort
from ..cohorts.services import ordered_rows, settings_row
from ..core.errors import DomainError
from ..core.timeutils import as_utc, utcnow
from ..extensions import db
from ..mail.services import queue_email
from . import ranking
from .models import (
    AssignmentStatus,
    Interview,
    ReviewAssignment,
    ReviewScore,
    RubricCriterion,
    SeatOffer,
    SeatOfferStatus,
    SelectionSettings,
)

A = ApplicationStatus

#: States that hold one of the cohort's seats (matching and placement states join later).
SEAT_HOLDING = (A.selected,)
#: Decisions hidden from the student until publication.
HIDDEN_UNTIL_PUBLISHED = (A.selected, A.waitlisted, A.rejected)

#: The default rubric: key, label (translated: French by default, English), weight, maximum
#: score, is the interview? A new cohort's criteria are stored with the label in the
#: programme's language (BABEL_DEFAULT_LOCALE, French); ``criterion_label`` shows an untouched
#: default in the reader's language, and a label a coordinator typed as it was typed.
DEFAULT_RUBRIC = (
    ("academic", _l("Academic record"), Decimal(30), Decimal(20), False),
    ("french", _l("French level"), Decimal(20), Decimal(10), False),
    ("technical", _l("Technical skills"), Decimal(20), Decimal(10), False),
    ("motivation", _l("Motivation"), Decimal(15), Decimal(10), False),
    ("interview", _l("Interview"), Decimal(15), Decimal(10), True),
)
DEFAULT_LABELS = {key: label for key, label, *_rest in DEFAULT_RUBRIC}


def default_label(key: str) -> str | None:
    """The default criterion ``key``'s label in the programme's language (None: not a
    default key)."""
    label = DEFAULT_LABELS.get(key)
    if label is None:
        return None
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "fr")):
        return str(label)


def criterion_label(criterion: RubricCriterion) -> str:
    """The criterion's label for the reader: a default criterion whose label was left as it
    was created (in French or English) reads in the reader's language; any other label as
    the coordinator wrote it. Never the internal key."""
    label = DEFAULT_LABELS.get(criterion.key)
    if label is not None:
        known = set()
        for locale in {"en", *current_app.config.get("LANGUAGES", ())}:
            with force_locale(locale):
                known.add(str(label))
        if (criterion.label or "").strip() in known:
            return str(label)
    return criterion.label or str(label or criterion.key)


# --- settings and rubric ---------------------------------------------------------------------


def _applications_in(cohort: Cohort, status: ApplicationStatus) -> list[Application]:
    """The cohort's applications in ``status``."""
    return list(
        db.session.scalars(
            select(Application).where(
                Application.cohort_id == cohort.id, Application.status == status
            )
        )
    )


def settings_for(cohort: Cohort) -> SelectionSettings:
    return settings_row(SelectionSettings, cohort)


def shortlist_size(cohort: Cohort, settings: SelectionSettings) -> int:
    return settings.shortlist_size or 2 * cohort.quota


def rubric_for(cohort: Cohort) -> list[RubricCriterion]:
    """The cohort's rubric, created from the defaults the first time."""

    def defaults() -> list[RubricCriterion]:
        return [
            RubricCriterion(
                cohort_id=cohort.id,
                key=key,
                label=default_label(key) or str(label),
                weight=weight,
                max_score=max_score,
                position=position,
                is_interview=is_interview,
            )
            for position, (key, label, weight, max_score, is_interview) in enumerate(DEFAULT_RUBRIC)
        ]

    return ordered_rows(RubricCriterion, cohort, defaults)


@dataclass(frozen=True)
class CriterionInput:
    key: str
    label: str
    weight: Decimal
    max_score: Decimal
    is_interview: bool = False


def update_rubric(cohort: Cohort, rows: list[CriterionInput]) -> None:
    """Replace the rubric; refused once scoring has started."""
    settings = settings_for(cohort)
    if settings.scoring_started_at is not None:
        raise DomainError(_("Scoring has started: the rubric can no longer be changed."))
    if not rows:
        raise DomainError(_("The rubric needs at least one criterion."))
    keys = [row.key for row in rows]
    if len(set(keys)) != len(keys):
        raise DomainError(_("Two criteria have the same key."))
    if sum(1 for row in rows if row.is_interview) > 1:
        raise DomainError(_("Only one criterion can be the interview."))
    for row in rows:
        if row.weight <= 0 or row.max_score <= 0:
            raise DomainError(_("Weights and maximum scores must be positive."))
    existing = {c.key: c for c in rubric_for(cohort)}
    for position, row in enumerate(rows):
        criterion = existing.pop(row.key, None) or RubricCriterion(cohort_id=cohort.id, key=row.key)
        criterion.label = row.label
        criterion.weight = row.weight
        criterion.max_score = row.max_score
        criterion.is_interview = row.is_interview
        criterion.position = position
        db.session.add(criterion)
    for criterion in existing.values():
        db.session.delete(criterion)
    record(
        "selection.rubric",
        cohort,
        {"criteria": [[r.key, str(r.weight), str(r.max_score), r.is_interview] for r in rows]},
    )


def _pure(criteria: list[RubricCriterion], include_interview: bool) -> list[ranking.Criterion]:
    return [
        ranking.Criterion(c.key, Decimal(c.weight), Decimal(c.max_score))
        for c in criteria
        if include_interview or not c.is_interview
    ]


# --- reviewers -------------------------------------------------------------------------------


def reviewers() -> list[User]:
    """Active coordinators review applications."""
    return active_coordinators()


def _loads(cohort: Cohort) -> Counter:
    rows = db.session.execute(
        select(ReviewAssignment.reviewer_id, func.count())
        .join(Application, Application.id == ReviewAssignment.application_id)
        .where(
            Application.cohort_id == cohort.id,
            ReviewAssignment.status != AssignmentStatus.conflict,
        )
        .group_by(ReviewAssignment.reviewer_id)
    )
    return Counter(dict(rows.all()))


def assign_reviewers(cohort: Cohort) -> int:
    """Give every eligible application its reviewers (default 2), balancing the load across
    the coordinators (least loaded first, then by id: deterministic). Returns the number of
    assignments created."""
    settings = settings_for(cohort)
    pool = reviewers()
    if len(pool) < settings.reviewers_per_application:
        raise DomainError(
            ngettext(
                "%(needed)d reviewers are needed per application but only %(num)d "
                "coordinator is active.",
                "%(needed)d reviewers are needed per application but only %(num)d "
                "coordinators are active.",
                len(pool),
                needed=settings.reviewers_per_application,
            )
        )
    loads = _loads(cohort)
    applications = db.session.scalars(
        select(Application)
        .where(Application.cohort_id == cohort.id, Application.status == A.eligible)
        .order_by(Application.id)
    ).all()
    existing: dict[int, set[int]] = {}
    for assignment in db.session.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id.in_([a.id for a in applications])
        )
    ):
        existing.setdefault(assignment.application_id, set()).add(assignment.reviewer_id)
    active_counts = Counter(
        a.application_id
        for a in db.session.scalars(
            select(ReviewAssignment).where(
                ReviewAssignment.application_id.in_([a.id for a in applications]),
                ReviewAssignment.status != AssignmentStatus.conflict,
            )
        )
    )
    created = 0
    for application in applications:
        missing = settings.reviewers_per_application - active_counts[application.id]
        taken = existing.get(application.id, set())
        candidates = [r for r in pool if r.id not in taken and r.id != application.student_id]
        candidates.sort(key=lambda r: (loads[r.id], r.id))
        for reviewer in candidates[: max(missing, 0)]:
            db.session.add(ReviewAssignment(application_id=application.id, reviewer_id=reviewer.id))
            loads[reviewer.id] += 1
            created += 1
    db.session.flush()
    record("selection.assign", cohort, {"created": created})
    return created


def reassign(assignment: ReviewAssignment, reviewer: User) -> None:
    """A coordinator gives an unfinished review to someone else."""
    if assignment.status is AssignmentStatus.submitted:
        raise DomainError(_("This review is already submitted."))
    if reviewer.role is not Role.coordinator or not reviewer.active:
        raise DomainError(_("Only an active coordinator can review."))
    if reviewer.id == assignment.application.student_id:
        raise DomainError(_("Nobody reviews their own application."))
    taken = db.session.scalar(
        select(ReviewAssignment.id).where(
            ReviewAssignment.application_id == assignment.application_id,
            ReviewAssignment.reviewer_id == reviewer.id,
        )
    )
    if taken is not None:
        raise DomainError(_("This reviewer already has this application."))
    old = assignment.reviewer_id
    assignment.reviewer_id = reviewer.id
    assignment.status = AssignmentStatus.assigned
    assignment.conflict_reason = None
    record("selection.reassign", assignment, {"from": old, "to": reviewer.id})


def declare_conflict(assignment: ReviewAssignment, reason: str) -> ReviewAssignment | None:
    """The reviewer declares a conflict of interest; the application goes to another
    reviewer (the least loaded one not already on it). Returns the new assignment."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say briefly what the conflict of interest is."))
    if assignment.status is not AssignmentStatus.assigned:
        raise DomainError(_("This review cannot be changed any more."))
    assignment.status = AssignmentStatus.conflict
    assignment.conflict_reason = reason
    record("selection.conflict", assignment, {"reason": reason})
    application = assignment.application
    taken = set(
        db.session.scalars(
            select(ReviewAssignment.reviewer_id).where(
                ReviewAssignment.application_id == application.id
            )
        )
    )
    loads = _loads(application.cohort)
    candidates = sorted(
        (r for r in reviewers() if r.id not in taken and r.id != application.student_id),
        key=lambda r: (loads[r.id], r.id),
    )
    if not candidates:
        return None
    replacement = ReviewAssignment(application_id=application.id, reviewer_id=candidates[0].id)
    db.session.add(replacement)
    db.session.flush()
    record("selection.assign", replacement, {"replaces": assignment.id})
    return replacement


def _decimal(value) -> Decimal:
    try:
        number = Decimal(str(value).replace(",", ".").strip())
    except (InvalidOperation, ValueError):
        raise DomainError(_("Scores must be numbers.")) from None
    if not number.is_finite():
        raise DomainError(_("Scores must be numbers."))
    return number


def submit_review(
    assignment: ReviewAssignment, scores: dict[int, object], comment: str = ""
) -> None:
    """Record a reviewer's scores (every non-interview criterion). When the application's
    last review is in, its score is the mean of the reviewers' weighted totals."""
    if assignment.status is not AssignmentStatus.assigned:
        raise DomainError(_("This review cannot be changed any more."))
    application = assignment.application
    if application.status is not A.eligible:
        raise DomainError(_("This application is no longer waiting for reviews."))
    criteria = [c for c in rubric_for(application.cohort) if not c.is_interview]
    values: dict[str, Decimal] = {}
    for criterion in criteria:
        if scores.get(criterion.id) in (None, ""):
            raise DomainError(
                _(
                    "Score every criterion (“%(label)s” is missing).",
                    label=criterion_label(criterion),
                )
            )
        value = _decimal(scores[criterion.id])
        if not Decimal(0) <= value <= criterion.max_score:
            raise DomainError(
                _(
                    "“%(label)s” must be between 0 and %(max)s.",
                    label=criterion_label(criterion),
                    max=f"{criterion.max_score.normalize():f}",
                )
            )
        values[criterion.key] = value
        assignment.scores.append(ReviewScore(criterion_id=criterion.id, score=value))
    assignment.total = ranking.weighted_total(_pure(criteria, False), values)
    assignment.comment = (comment or "").strip() or None
    assignment.status = AssignmentStatus.submitted
    assignment.submitted_at = utcnow()
    settings = settings_for(application.cohort)
    if settings.scoring_started_at is None:
        settings.scoring_started_at = assignment.submitted_at
    record("selection.review", assignment, {"total": str(assignment.total)})
    db.session.flush()
    _aggregate(application, settings)


def _aggregate(application: Application, settings: SelectionSettings) -> None:
    assignments = db.session.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id == application.id,
            ReviewAssignment.status != AssignmentStatus.conflict,
        )
    ).all()
    if not assignments or any(a.status is not AssignmentStatus.submitted for a in assignments):
        return
    totals = [Decimal(a.total) for a in assignments]
    application.review_score = ranking.mean(totals)
    application.review_disagreement = ranking.disagreement(
        totals, Decimal(settings.disagreement_gap)
    )
    app_services.move(
        application,
        A.scored,
        {"score": str(application.review_score), "disagreement": application.review_disagreement},
    )


def can_see_other_reviews(assignment: ReviewAssignment) -> bool:
    """Blind reviewing: a reviewer sees the others' scores only after submitting their own."""
    return assignment.status is AssignmentStatus.submitted


# --- shortlist and interviews ----------------------------------------------------------------


def make_shortlist(cohort: Cohort) -> tuple[int, int]:
    """The top N scored applications (default 2 × quota; ties at the cut-off all kept) are
    shortlisted, the other scored ones are not selected. Returns (shortlisted, rejected).

    Refused while eligible applications still wait for reviews, and once a shortlist exists.
    """
    settings = settings_for(cohort)
    counts = dict(
        db.session.execute(
            select(Application.status, func.count())
            .where(Application.cohort_id == cohort.id)
            .group_by(Application.status)
        ).all()
    )
    if any(counts.get(status) for status in (A.shortlisted, A.interviewed, *SEAT_HOLDING)):
        raise DomainError(_("The shortlist is already made."))
    if counts.get(A.eligible):
        raise DomainError(
            _(
                "%(n)d eligible applications are still waiting for their reviews.",
                n=counts[A.eligible],
            )
        )
    scored = _applications_in(cohort, A.scored)
    if not scored:
        raise DomainError(_("No scored application to shortlist."))
    candidates = [ranking.Candidate(a.id, Decimal(a.review_score)) for a in scored]
    kept = {c.id for c in ranking.shortlist(candidates, shortlist_size(cohort, settings))}
    for application in scored:
        app_services.move(application, A.shortlisted if application.id in kept else A.rejected)
    record("selection.shortlist", cohort, {"shortlisted": len(kept), "size": len(scored)})
    return len(kept), len(scored) - len(kept)


def schedule_interview(
    application: Application, starts_at: datetime, location: str, duration_minutes: int = 30
) -> Interview:
    """Schedule (or move) a shortlisted student's interview; the student is e-mailed."""
    if application.status is not A.shortlisted:
        raise DomainError(_("Only shortlisted applications get an interview."))
    location = (location or "").strip()
    if not location:
        raise DomainError(_("Give the place or the video link of the interview."))
    if as_utc(starts_at) <= utcnow():
        raise DomainError(_("The interview must be in the future."))
    interview = db.session.scalar(
        select(Interview).where(Interview.application_id == application.id)
    )
    if interview is None:
        interview = Interview(application_id=application.id, starts_at=starts_at, location=location)
        db.session.add(interview)
    interview.starts_at = as_utc(starts_at)
    interview.location = location
    interview.duration_minutes = duration_minutes
    db.session.flush()
    record(
        "selection.interview_scheduled",
        application,
        {"starts_at": interview.starts_at.isoformat(), "location": location},
    )
    student = application.student
    queue_email(
        student.email,
        "interview_scheduled",
        student.locale,
        user=student,
        application=application,
        interview=interview,
    )
    return interview


def score_interview(application: Application, score, notes: str, actor: User) -> None:
    """Enter the interview score against the rubric's interview criterion."""
    interview = db.session.scalar(
        select(Interview).where(Interview.application_id == application.id)
    )
    if interview is None:
        raise DomainError(_("Schedule the interview first."))
    if application.status is not A.shortlisted:
        raise DomainError(_("The interview of this application is already scored."))
    criterion = next((c for c in rubric_for(application.cohort) if c.is_interview), None)
    if criterion is None:
        raise DomainError(_("The rubric has no interview criterion."))
    value = _decimal(score)
    if not Decimal(0) <= value <= criterion.max_score:
        raise DomainError(
            _(
                "“%(label)s” must be between 0 and %(max)s.",
                label=criterion_label(criterion),
                max=f"{criterion.max_score.normalize():f}",
            )
        )
    interview.score = value
    interview.notes = (notes or "").strip() or None
    interview.scored_by_id = actor.id
    interview.scored_at = utcnow()
    app_services.move(application, A.interviewed, {"interview_score": str(value)})


# --- final scores and decisions --------------------------------------------------------------


def final_score(application: Application, criteria: list[RubricCriterion]) -> Decimal:
    """The weighted total of the reviewers' mean score per criterion plus the interview."""
    per_criterion: dict[str, list[Decimal]] = {}
    assignments = db.session.scalars(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id == application.id,
            ReviewAssignment.status == AssignmentStatus.submitted,
        )
    ).all()
    by_id = {c.id: c for c in criteria}
    for assignment in assignments:
        for score in assignment.scores:
            if score.criterion_id in by_id:
                per_criterion.setdefault(by_id[score.criterion_id].key, []).append(
                    Decimal(score.score)
                )
    values = {key: sum(v, Decimal(0)) / len(v) for key, v in per_criterion.items()}
    interview = db.session.scalar(
        select(Interview).where(Interview.application_id == application.id)
    )
    interview_criterion = next((c for c in criteria if c.is_interview), None)
    if interview is not None and interview.score is not None and interview_criterion:
        values[interview_criterion.key] = Decimal(interview.score)
    return ranking.weighted_total(_pure(criteria, True), values)


def lock_cohort(cohort: Cohort) -> None:
    """Serialise seat-changing operations of one cohort (row lock on PostgreSQL)."""
    db.session.execute(select(Cohort.id).where(Cohort.id == cohort.id).with_for_update())


def seats_taken(cohort: Cohort) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.cohort_id == cohort.id, Application.status.in_(SEAT_HOLDING))
    )


def ensure_seat_free(cohort: Cohort) -> None:
    """Raise unless a seat is free. Call with the cohort locked."""
    taken = seats_taken(cohort)
    if taken >= cohort.quota:
        raise DomainError(
            ngettext(
                "The quota is reached: %(taken)d of %(num)d seat is taken.",
                "The quota is reached: %(taken)d of %(num)d seats are taken.",
                cohort.quota,
                taken=taken,
            )
        )


def make_decisions(cohort: Cohort) -> dict[str, int]:
    """Rank the interviewed applications by final score (tie-break: interview score, then
    earlier submission, then application number); the top ``quota`` are selected, the next
    waitlisted in rank order, the others not selected."""
    lock_cohort(cohort)
    if seats_taken(cohort):
        raise DomainError(_("Decisions have already been made for this cohort."))
    settings = settings_for(cohort)
    pending = db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(Application.cohort_id == cohort.id, Application.status == A.shortlisted)
    )
    if pending:
        raise DomainError(
            _("%(n)d shortlisted applications still have no interview score.", n=pending)
        )
    interviewed = _applications_in(cohort, A.interviewed)
    if not interviewed:
        raise DomainError(_("No interviewed application to decide on."))
    criteria = rubric_for(cohort)
    interviews = {
        i.application_id: i
        for i in db.session.scalars(
            select(Interview).where(Interview.application_id.in_([a.id for a in interviewed]))
        )
    }
    candidates = []
    for application in interviewed:
        application.final_score = final_score(application, criteria)
        interview = interviews.get(application.id)
        candidates.append(
            ranking.Candidate(
                application.id,
                application.final_score,
                Decimal(interview.score) if interview and interview.score is not None else None,
                application.submitted_at,
            )
        )
    by_id = {a.id: a for a in interviewed}
    counts: Counter = Counter()
    for decision in ranking.decide(candidates, cohort.quota):
        application = by_id[decision.candidate_id]
        application.final_rank = decision.rank
        application.waitlist_rank = decision.waitlist_rank
        app_services.move(application, A(decision.outcome), {"rank": decision.rank})
        counts[decision.outcome] += 1
    settings.decisions_at = utcnow()
    record("selection.decisions", cohort, dict(counts))
    return dict(counts)


def override_decision(application: Application, outcome: ApplicationStatus, reason: str) -> None:
    """A coordinator changes a decision; only with a written reason, never beyond the quota."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("An override needs a written reason."))
    if outcome not in (A.selected, A.waitlisted, A.rejected):
        raise DomainError(_("Choose selected, waitlisted or not selected."))
    cohort = application.cohort
    lock_cohort(cohort)
    db.session.refresh(application)  # the status as it is now that we hold the lock
    if outcome is A.selected:
        ensure_seat_free(cohort)
    offer = open_offer(application)
    if offer is not None:
        offer.status = SeatOfferStatus.declined
        offer.responded_at = utcnow()
        record("selection.seat_closed", offer, {"override": outcome.value})
    if outcome is A.waitlisted and application.waitlist_rank is None:
        last = db.session.scalar(
            select(func.max(Application.waitlist_rank)).where(Application.cohort_id == cohort.id)
        )
        application.waitlist_rank = (last or 0) + 1
    previous = application.status
    app_services.move(application, outcome, {"override": True, "reason": reason})
    application.decision_override_reason = reason
    record(
        "selection.override",
        application,
        {"from": previous.value, "to": outcome.value, "reason": reason},
    )
    if settings_for(cohort).published_at is not None:
        _notify_decision(application)
        if previous is A.selected or offer is not None:
            db.session.flush()
            offer_next_seat(cohort)


def publish_refusal(cohort: Cohort) -> str | None:
    """Why the decisions of ``cohort`` cannot be published now (None when they can)."""
    settings = db.session.scalar(
        select(SelectionSettings).where(SelectionSettings.cohort_id == cohort.id)
    )
    if settings is None or settings.decisions_at is None:
        return _("Make the decisions before publishing them.")
    if settings.published_at is not None:
        return _("The decisions are already published.")
    return None


def publish(cohort: Cohort, note: str = "") -> int:
    """Show the decisions to the students and e-mail each of them. Returns how many.
    ``note`` (the committee's decision the publication rests on) is kept in the audit."""
    refusal = publish_refusal(cohort)
    if refusal is not None:
        raise DomainError(refusal)
    settings = settings_for(cohort)
    settings.published_at = utcnow()
    decided = db.session.scalars(
        select(Application).where(
            Application.cohort_id == cohort.id, Application.status.in_(HIDDEN_UNTIL_PUBLISHED)
        )
    ).all()
    for application in decided:
        _notify_decision(application)
    details: dict = {"notified": len(decided)}
    if note.strip():
        details["note"] = note.strip()
    record("selection.publish", cohort, details)
    return len(decided)


def _notify_decision(application: Application) -> None:
    student = application.student
    queue_email(
        student.email,
        "selection_decision",
        student.locale,
        user=student,
        application=application,
        status=application.status.value,
    )


def is_published(cohort: Cohort) -> bool:
    settings = db.session.scalar(
        select(SelectionSettings).where(SelectionSettings.cohort_id == cohort.id)
    )
    return settings is not None and settings.published_at is not None


def visible_status(application: Application) -> ApplicationStatus:
    """What the student may see: decisions stay hidden until publication."""
    hidden = application.status in HIDDEN_UNTIL_PUBLISHED or application.status is A.scored
    if hidden and not is_published(application.cohort):
        return A.interviewed if application.final_rank is not None else A.eligible
    return application.status


# --- waitlist --------------------------------------------------------------------------------


def open_offer(application: Application) -> SeatOffer | None:
    return db.session.scalar(
        select(SeatOffer).where(
            SeatOffer.application_id == application.id, SeatOffer.status == SeatOfferStatus.open
        )
    )


def offer_next_seat(cohort: Cohort, now: datetime | None = None) -> SeatOffer | None:
    """Offer a free seat to the best-ranked waitlisted student who has not had an offer yet.

    A seat is free when selected students plus open offers are fewer than the quota.
    """
    now = now or utcnow()
    lock_cohort(cohort)
    open_offers = db.session.scalar(
        select(func.count())
        .select_from(SeatOffer)
        .join(Application, Application.id == SeatOffer.application_id)
        .where(Application.cohort_id == cohort.id, SeatOffer.status == SeatOfferStatus.open)
    )
    if seats_taken(cohort) + open_offers >= cohort.quota:
        return None
    already_offered = select(SeatOffer.application_id)
    candidate = db.session.scalar(
        select(Application)
        .where(
            Application.cohort_id == cohort.id,
            Application.status == A.waitlisted,
            Application.id.not_in(already_offered),
        )
        .order_by(Application.waitlist_rank, Application.id)
        .limit(1)
    )
    if candidate is None:
        record("selection.waitlist_empty", cohort)
        return None
    days = settings_for(cohort).seat_offer_days
    offer = SeatOffer(
        application_id=candidate.id, offered_at=now, deadline_at=now + timedelta(days=days)
    )
    db.session.add(offer)
    db.session.flush()
    record("selection.seat_offer", offer, {"application": candidate.id, "days": days})
    student = candidate.student
    queue_email(
        student.email,
        "seat_offer",
        student.locale,
        user=student,
        application=candidate,
        offer=offer,
    )
    return offer


def respond_to_offer(offer: SeatOffer, accept: bool, now: datetime | None = None) -> None:
    """The waitlisted student accepts (→ selected, within the quota) or declines (→ withdrawn,
    and the seat goes to the next one)."""
    now = now or utcnow()
    application = offer.application
    cohort = application.cohort
    lock_cohort(cohort)
    # Re-read under the lock: a concurrent answer or override may have changed them.
    db.session.refresh(offer)
    db.session.refresh(application)
    if offer.status is not SeatOfferStatus.open:
        raise DomainError(_("This offer is no longer open."))
    if as_utc(offer.deadline_at) < now:
        raise DomainError(_("The deadline to answer this offer has passed."))
    offer.responded_at = now
    if accept:
        ensure_seat_free(cohort)
        offer.status = SeatOfferStatus.accepted
        app_services.move(application, A.selected, {"seat_offer": offer.id})
        record("selection.seat_accepted", offer)
    else:
        offer.status = SeatOfferStatus.declined
        app_services.move(application, A.withdrawn, {"seat_offer": offer.id, "declined": True})
        application.withdrawn_at = now
        record("selection.seat_declined", offer)
        offer_next_seat(cohort, now)


def after_withdrawal(application: Application, previous: ApplicationStatus) -> None:
    """A withdrawal frees a seat (selected) or ends an open seat offer (waitlisted): once the
    decisions are published, the seat is offered to the next student on the waitlist.
    (Receiver of ``signals.application_withdrawn``, after the placement is cancelled.)"""
    offer = open_offer(application)
    if offer is not None:
        offer.status = SeatOfferStatus.declined
        offer.responded_at = utcnow()
        record("selection.seat_declined", offer, {"withdrawn": True})
    if (previous is A.selected or offer is not None) and is_published(application.cohort):
        db.session.flush()
        offer_next_seat(application.cohort)


def expire_offers(now: datetime | None = None) -> int:
    """Close the offers whose deadline has passed and offer those seats to the next students
    (for a scheduler, daily). Returns how many offers expired."""
    now = now or utcnow()
    offers = db.session.scalars(
        select(SeatOffer).where(
            SeatOffer.status == SeatOfferStatus.open, SeatOffer.deadline_at < now
        )
    ).all()
    for offer in offers:
        offer.status = SeatOfferStatus.expired
        record("selection.seat_expired", offer, {"application": offer.application_id})
        student = offer.application.student
        queue_email(
            student.email,
            "seat_offer_expired",
            student.locale,
            user=student,
            application=offer.application,
        )
    db.session.flush()
    # One new offer per expired one (offer_next_seat stops when the seats are covered).
    for offer in sorted(offers, key=lambda o: (o.application.cohort_id, o.id)):
        offer_next_seat(offer.application.cohort, now)
    return len(offers)
