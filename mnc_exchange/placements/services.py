"""Preferences, matching runs (preview, then commit) and the companies' confirmations.

- Selected students rank up to ``MAX_PREFERENCES`` published offers before the deadline.
- Companies rank the candidates who ranked their offers, or mark them not acceptable. Where a
  company has ranked nobody for an offer, the coordinators' final scores stand in.
- A run is computed by the pure engine ``mnc_exchange.matching`` over the students still to place
  and the seats still free, and stored with its inputs. Committing it proposes placements.
- The company confirms (within the quota, under the cohort lock) or declines with a reason; a
  decline frees the seat and the student for a follow-up run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import Select, func, select
from sqlalchemy.orm import joinedload, load_only

from .. import matching
from ..accounts.models import Role, User
from ..applications import services as app_services
from ..applications.models import Application, ApplicationStatus
from ..audit.services import record
from ..cohorts.models import Cohort, CohortState
from ..cohorts.services import settings_row
from ..core import signals
from ..core.errors import DomainError, TransitionRefused
from ..core.timeutils import utcnow
from ..extensions import db
from ..hosts.models import Company
from ..mail.services import queue_email
from ..offers.models import Offer, OfferStatus
from ..selection import services as selection
from .models import (
    ACTIVE_PLACEMENT,
    MAX_PREFERENCES,
    CompanyRanking,
    MatchingRun,
    MatchingSettings,
    Placement,
    PlacementStatus,
    StudentPreference,
)

P = PlacementStatus

#: Placement state machine.
TRANSITIONS: dict[PlacementStatus, tuple[PlacementStatus, ...]] = {
    P.proposed: (P.confirmed, P.declined, P.cancelled),
    P.confirmed: (P.cancelled,),
    P.declined: (),
    P.cancelled: (),
}

STATUS_LABELS = {
    P.proposed: _l("Proposed, awaiting the company"),
    P.confirmed: _l("Confirmed by the company"),
    P.declined: _l("Declined by the company"),
    P.cancelled: _l("Cancelled"),
}

REASON_LABELS = {
    matching.MATCHED: _l("You obtained this offer (your choice no. %(rank)s)."),
    matching.NOT_ACCEPTABLE: _l("The company did not rank you for this offer."),
    matching.FILLED_BY_HIGHER: _l(
        "The offer filled its %(capacity)s seat(s) with candidates it ranked higher."
    ),
    matching.NO_SUCH_OFFER: _l("This offer is no longer open."),
    matching.NO_SEATS: _l("This offer has no seat left."),
    matching.INCONSISTENT: _l("The preferences changed since this run."),
}


# --- settings and who may rank ----------------------------------------------------------------


def settings_for(cohort: Cohort) -> MatchingSettings:
    return settings_row(MatchingSettings, cohort, confirmation_days=7)


def save_settings(
    cohort: Cohort,
    preferences_deadline_at: datetime | None,
    company_deadline_at: datetime | None,
    confirmation_days: int,
    actor: User,
) -> MatchingSettings:
    if not 1 <= confirmation_days <= 60:
        raise DomainError(_("The confirmation period is between 1 and 60 days."))
    if (
        preferences_deadline_at
        and company_deadline_at
        and company_deadline_at < preferences_deadline_at
    ):
        raise DomainError(_("Companies rank after the students: their deadline cannot come first."))
    settings = settings_for(cohort)
    settings.preferences_deadline_at = preferences_deadline_at
    settings.company_deadline_at = company_deadline_at
    settings.confirmation_days = confirmation_days
    record("matching.settings", settings, actor=actor)
    return settings


def active_placement(application: Application) -> Placement | None:
    return db.session.scalar(
        select(Placement).where(
            Placement.application_id == application.id, Placement.status.in_(ACTIVE_PLACEMENT)
        )
    )


def ranking_closed_reason(application: Application, now: datetime | None = None) -> str | None:
    """Why the student cannot change their ranking now (``None`` when they can)."""
    now = now or utcnow()
    if selection.visible_status(application) is not ApplicationStatus.selected:
        return _("Only selected students rank offers.")
    settings = settings_for(application.cohort)
    if settings.preferences_deadline_at and now > settings.preferences_deadline_at:
        return _("The deadline for ranking offers has passed.")
    if active_placement(application) is not None:
        return _("You already have a placement.")
    return None


def preferences(application: Application) -> list[StudentPreference]:
    return list(
        db.session.scalars(
            select(StudentPreference)
            .options(joinedload(StudentPreference.offer).joinedload(Offer.company))
            .where(StudentPreference.application_id == application.id)
            .order_by(StudentPreference.rank)
        )
    )


def set_preferences(application: Application, offer_ids: list[int], actor: User) -> None:
    """Replace the student's ranking by ``offer_ids`` (first = preferred)."""
    reason = ranking_closed_reason(application)
    if reason:
        raise DomainError(reason)
    if len(offer_ids) > MAX_PREFERENCES:
        raise DomainError(
            ngettext(
                "You can rank at most %(num)d offer.",
                "You can rank at most %(num)d offers.",
                MAX_PREFERENCES,
            )
        )
    if len(set(offer_ids)) != len(offer_ids):
        raise DomainError(_("Each offer can appear only once in your ranking."))
    offers = {
        offer.id: offer
        for offer in db.session.scalars(select(Offer).where(Offer.id.in_(offer_ids or [0])))
    }
    for offer_id in offer_ids:
        offer = offers.get(offer_id)
        if (
            offer is None
            or offer.cohort_id != application.cohort_id
            or offer.status is not OfferStatus.published
        ):
            raise DomainError(_("Rank only offers published for your cohort."))
    for existing in db.session.scalars(
        select(StudentPreference).where(StudentPreference.application_id == application.id)
    ):
        db.session.delete(existing)
    db.session.flush()
    now = utcnow()
    for rank, offer_id in enumerate(offer_ids, start=1):
        db.session.add(
            StudentPreference(
                application_id=application.id, offer_id=offer_id, rank=rank, updated_at=now
            )
        )
    record("matching.preferences", application, {"offers": offer_ids}, actor=actor)


# --- the company's side -----------------------------------------------------------------------


def candidates_for_offer(offer: Offer) -> list[Application]:
    """Selected students who ranked this offer, with their applications (one query)."""
    return list(
        db.session.scalars(
            select(Application)
            .join(StudentPreference, StudentPreference.application_id == Application.id)
            .options(joinedload(Application.student), joinedload(Application.institution))
            .where(
                StudentPreference.offer_id == offer.id,
                Application.status == ApplicationStatus.selected,
            )
            .order_by(Application.last_name, Application.first_name, Application.id)
        )
    )


def company_can_see(company: Company, application: Application) -> bool:
    """A company sees a candidate who ranked one of its offers, or one placed with it."""
    ranked = db.session.scalar(
        select(func.count())
        .select_from(StudentPreference)
        .join(Offer, Offer.id == StudentPreference.offer_id)
        .where(
            StudentPreference.application_id == application.id,
            Offer.company_id == company.id,
        )
    )
    if ranked:
        return True
    placed = db.session.scalar(
        select(func.count())
        .select_from(Placement)
        .join(Offer, Offer.id == Placement.offer_id)
        .where(Placement.application_id == application.id, Offer.company_id == company.id)
    )
    return bool(placed)


def company_rankings(offer: Offer) -> dict[int, CompanyRanking]:
    return {
        row.application_id: row
        for row in db.session.scalars(
            select(CompanyRanking).where(CompanyRanking.offer_id == offer.id)
        )
    }


def company_ranking_closed_reason(offer: Offer, now: datetime | None = None) -> str | None:
    now = now or utcnow()
    settings = settings_for(offer.cohort)
    if settings.company_deadline_at and now > settings.company_deadline_at:
        return _("The deadline for ranking candidates has passed.")
    if offer.status not in (OfferStatus.published, OfferStatus.filled):
        return _("Only a published offer's candidates can be ranked.")
    return None


def set_company_ranking(offer: Offer, entries: dict[int, int | None], actor: User) -> None:
    """``entries`` maps application id → rank (1 = preferred) or ``None`` (not acceptable);
    the company's earlier judgement of a candidate left out is removed (not ranked)."""
    reason = company_ranking_closed_reason(offer)
    if reason:
        raise DomainError(reason)
    candidates = {application.id for application in candidates_for_offer(offer)}
    unknown = set(entries) - candidates
    if unknown:
        raise DomainError(_("Rank only the candidates who ranked this offer."))
    ranks = [rank for rank in entries.values() if rank is not None]
    if any(rank < 1 for rank in ranks):
        raise DomainError(_("Ranks start at 1."))
    if len(set(ranks)) != len(ranks):
        raise DomainError(_("Two candidates cannot share the same rank."))
    existing = company_rankings(offer)
    now = utcnow()
    for application_id, rank in entries.items():
        row = existing.get(application_id)
        if row is None:
            row = CompanyRanking(offer_id=offer.id, application_id=application_id)
            db.session.add(row)
        row.rank = rank
        row.acceptable = rank is not None
        row.ranked_by_id = actor.id
        row.updated_at = now
    # A candidate left out is no longer ranked (the final scores order them again).
    for application_id, row in existing.items():
        if application_id not in entries:
            db.session.delete(row)
    record("matching.company_ranking", offer, {"entries": len(entries)}, actor=actor)


# --- runs ---------------------------------------------------------------------------------------


def _free_seats(cohort: Cohort) -> dict[int, int]:
    """Offer id → seats not held by a proposed or confirmed placement (published offers)."""
    offers = db.session.execute(
        select(Offer.id, Offer.seats).where(
            Offer.cohort_id == cohort.id, Offer.status == OfferStatus.published
        )
    ).all()
    held = dict(
        db.session.execute(
            select(Placement.offer_id, func.count())
            .where(Placement.cohort_id == cohort.id, Placement.status.in_(ACTIVE_PLACEMENT))
            .group_by(Placement.offer_id)
        ).all()
    )
    return {offer_id: max(seats - held.get(offer_id, 0), 0) for offer_id, seats in offers}


def selected_applications(cohort: Cohort):
    """The selected applications of ``cohort`` (id, final score and rank) as a materialised
    CTE, to join their preferences to: read first, by the cohort and status index. Joined
    directly, PostgreSQL walked every application in id order to meet the preferences
    (18–93 ms at 100 times the demo, about 1 ms this way)."""
    return (
        select(Application.id, Application.final_score, Application.final_rank)
        .where(Application.cohort_id == cohort.id, Application.status == ApplicationStatus.selected)
        .cte("selected_applications")
        .prefix_with("MATERIALIZED")
    )


def build_inputs(cohort: Cohort) -> tuple[dict, dict, dict, list[str]]:
    """The engine's inputs for the students still to place and the seats still free.

    Returns ``(student_prefs, offer_prefs, capacities, substituted)`` with string ids
    (application ids, offer ids) and the offers whose company ranking was replaced by the
    coordinators' final scores.
    """
    capacities = _free_seats(cohort)
    placed = set(
        db.session.scalars(
            select(Placement.application_id).where(
                Placement.cohort_id == cohort.id, Placement.status.in_(ACTIVE_PLACEMENT)
            )
        )
    )
    # Declined pairs are not proposed again.
    declined = set(
        db.session.execute(
            select(Placement.application_id, Placement.offer_id).where(
                Placement.cohort_id == cohort.id, Placement.status == P.declined
            )
        ).all()
    )
    selected = selected_applications(cohort)
    rows = db.session.execute(
        select(
            StudentPreference.application_id,
            StudentPreference.offer_id,
            StudentPreference.rank,
            selected.c.final_score,
            selected.c.final_rank,
        )
        .join(selected, selected.c.id == StudentPreference.application_id)
        .order_by(StudentPreference.application_id, StudentPreference.rank)
    ).all()
    student_prefs: dict[str, list[str]] = {}
    candidates: dict[int, list[tuple]] = defaultdict(list)
    for application_id, offer_id, _rank, score, final_rank in rows:
        if application_id in placed:
            continue
        student_prefs.setdefault(str(application_id), [])
        if offer_id not in capacities or (application_id, offer_id) in declined:
            continue
        student_prefs[str(application_id)].append(str(offer_id))
        candidates[offer_id].append((application_id, score, final_rank))

    rankings: dict[int, dict[int, CompanyRanking]] = defaultdict(dict)
    for row in db.session.scalars(
        select(CompanyRanking)
        .join(Offer, Offer.id == CompanyRanking.offer_id)
        .where(Offer.cohort_id == cohort.id)
    ):
        rankings[row.offer_id][row.application_id] = row

    def by_score(entry):
        application_id, score, final_rank = entry
        return (
            -(score if score is not None else Decimal(-1)),
            final_rank if final_rank is not None else 10**9,
            application_id,
        )

    offer_prefs: dict[str, list[str]] = {}
    substituted: list[str] = []
    for offer_id in capacities:
        pool = candidates.get(offer_id, [])
        ranked = rankings.get(offer_id, {})
        if not ranked:
            if pool:
                substituted.append(str(offer_id))
            order = [entry[0] for entry in sorted(pool, key=by_score)]
        else:
            explicit = sorted(
                (row for row in ranked.values() if row.acceptable and row.rank is not None),
                key=lambda row: (row.rank, row.application_id),
            )
            judged = set(ranked)
            order = [row.application_id for row in explicit]
            # Candidates who ranked the offer after the company ranked: by final score.
            order += [entry[0] for entry in sorted(pool, key=by_score) if entry[0] not in judged]
        offer_prefs[str(offer_id)] = [str(application_id) for application_id in order]
    capacities_s = {str(offer_id): seats for offer_id, seats in capacities.items()}
    return student_prefs, offer_prefs, capacities_s, substituted


def _explanations(student_prefs, offer_prefs, capacities, result) -> dict[str, list[dict]]:
    explained = matching.explain(student_prefs, offer_prefs, capacities, result)
    return {
        student: [
            {
                "offer": item.offer,
                "rank": item.rank,
                "reason": item.reason,
                "capacity": item.capacity,
            }
            for item in items
        ]
        for student, items in explained.items()
    }


def run_preview(cohort: Cohort, actor: User) -> MatchingRun:
    """Compute the matching on the current inputs and store it as a preview."""
    student_prefs, offer_prefs, capacities, substituted = build_inputs(cohort)
    if not student_prefs:
        raise DomainError(_("No selected student without a placement has ranked any offer."))
    result = matching.stable_match(student_prefs, offer_prefs, capacities)
    statistics = matching.match_statistics(student_prefs, result, capacities)
    statistics["by_rank"] = {str(k): v for k, v in statistics["by_rank"].items()}
    statistics["share_by_rank"] = {str(k): v for k, v in statistics["share_by_rank"].items()}
    run = MatchingRun(
        cohort_id=cohort.id,
        created_by_id=actor.id,
        inputs={
            "student_prefs": student_prefs,
            "offer_prefs": offer_prefs,
            "capacities": capacities,
        },
        result=result,
        statistics=statistics,
        explanations=_explanations(student_prefs, offer_prefs, capacities, result),
        substituted_offers=substituted,
    )
    db.session.add(run)
    db.session.flush()
    record("matching.preview", run, {"matched": statistics["matched"]}, actor=actor)
    return run


def reproduce(run: MatchingRun) -> dict[str, str | None]:
    """Run the engine again on the stored inputs (it must give the stored result)."""
    inputs = run.inputs
    return matching.stable_match(
        inputs["student_prefs"], inputs["offer_prefs"], inputs["capacities"]
    )


def commit_run(run: MatchingRun, actor: User, now: datetime | None = None) -> list[Placement]:
    """Turn a preview into proposed placements, if nothing changed since the preview."""
    now = now or utcnow()
    cohort = run.cohort
    selection.lock_cohort(cohort)
    if run.committed_at is not None:
        raise TransitionRefused(_("This run has already been committed."))
    latest = db.session.scalar(
        select(func.max(MatchingRun.id)).where(MatchingRun.cohort_id == cohort.id)
    )
    if latest != run.id:
        raise TransitionRefused(_("A newer run exists: commit the latest preview."))
    student_prefs, offer_prefs, capacities, _sub = build_inputs(cohort)
    if (student_prefs, offer_prefs, capacities) != (
        run.inputs["student_prefs"],
        run.inputs["offer_prefs"],
        run.inputs["capacities"],
    ):
        raise TransitionRefused(
            _("Preferences or seats changed since this preview: run the matching again.")
        )
    settings = settings_for(cohort)
    deadline = now + timedelta(days=settings.confirmation_days)
    placements = []
    for student, offer in sorted(run.result.items(), key=lambda item: int(item[0])):
        if offer is None:
            continue
        placement = Placement(
            cohort_id=cohort.id,
            application_id=int(student),
            offer_id=int(offer),
            run_id=run.id,
            status=P.proposed,
            student_rank=student_prefs[student].index(offer) + 1,
            respond_by_at=deadline,
        )
        db.session.add(placement)
        placements.append(placement)
    run.committed_at = now
    run.committed_by_id = actor.id
    db.session.flush()
    record("matching.commit", run, {"placements": len(placements)}, actor=actor)
    _notify_proposals(placements)
    return placements


def _notify_proposals(placements: list[Placement]) -> None:
    if not placements:
        return
    ids = [placement.id for placement in placements]
    loaded = db.session.scalars(
        select(Placement)
        .options(
            joinedload(Placement.application).joinedload(Application.student),
            joinedload(Placement.offer).joinedload(Offer.company),
        )
        .where(Placement.id.in_(ids))
    ).all()
    by_company: dict[int, list[Placement]] = defaultdict(list)
    for placement in loaded:
        student = placement.application.student
        queue_email(student.email, "placement_proposed", student.locale, placement=placement)
        by_company[placement.offer.company_id].append(placement)
    contacts = db.session.scalars(
        select(User).where(
            User.company_id.in_(list(by_company)), User.active.is_(True), User.role == Role.host
        )
    ).all()
    for contact in contacts:
        queue_email(
            contact.email,
            "placements_to_confirm",
            contact.locale,
            placements=by_company[contact.company_id],
        )


# --- the company's answer ---------------------------------------------------------------------


def _check_transition(placement: Placement, target: PlacementStatus) -> None:
    if target not in TRANSITIONS[placement.status]:
        raise TransitionRefused(
            _(
                "This placement is “%(status)s”: it cannot change any more.",
                status=STATUS_LABELS[placement.status],
            )
        )


def confirmed_count(cohort: Cohort) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(Placement)
        .where(Placement.cohort_id == cohort.id, Placement.status == P.confirmed)
    )


def confirm(placement: Placement, actor: User, now: datetime | None = None) -> None:
    """The company confirms: counts against the quota (under the cohort lock)."""
    now = now or utcnow()
    cohort = placement.cohort
    selection.lock_cohort(cohort)
    db.session.refresh(placement)
    _check_transition(placement, P.confirmed)
    if placement.respond_by_at and now > placement.respond_by_at:
        raise TransitionRefused(
            _("The deadline to answer has passed; contact the programme's coordinators.")
        )
    if confirmed_count(cohort) >= cohort.quota:
        raise TransitionRefused(
            ngettext(
                "The quota is reached: %(num)d placement is already confirmed.",
                "The quota is reached: %(num)d placements are already confirmed.",
                cohort.quota,
            )
        )
    placement.status = P.confirmed
    placement.responded_at = now
    placement.responded_by_id = actor.id
    offer = placement.offer
    db.session.flush()
    confirmed_here = db.session.scalar(
        select(func.count())
        .select_from(Placement)
        .where(Placement.offer_id == offer.id, Placement.status == P.confirmed)
    )
    if confirmed_here >= offer.seats and offer.status is OfferStatus.published:
        offer.status = OfferStatus.filled
        record("offer.transition", offer, {"from": "published", "to": "filled"}, actor=actor)
    record("placement.confirm", placement, actor=actor)
    signals.placement_confirmed.send(placement)  # the follow-up opens the internship
    student = placement.application.student
    queue_email(student.email, "placement_confirmed", student.locale, placement=placement)


def decline(placement: Placement, reason: str, actor: User, now: datetime | None = None) -> None:
    """The company declines with a reason: the seat and the student are free again."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for declining."))
    selection.lock_cohort(placement.cohort)
    db.session.refresh(placement)
    _check_transition(placement, P.declined)
    placement.status = P.declined
    placement.responded_at = now
    placement.responded_by_id = actor.id
    placement.decline_reason = reason
    record("placement.decline", placement, {"reason": reason}, actor=actor)
    _reopen_offer(placement.offer, actor)
    student = placement.application.student
    queue_email(student.email, "placement_declined", student.locale, placement=placement)
    coordinators = db.session.scalars(
        select(User).where(User.role == Role.coordinator, User.active.is_(True))
    )
    for coordinator in coordinators:
        queue_email(
            coordinator.email, "placement_declined_staff", coordinator.locale, placement=placement
        )


def _reopen_offer(offer: Offer, actor: User | None) -> None:
    if offer.status is OfferStatus.filled:
        offer.status = OfferStatus.published
        record("offer.transition", offer, {"from": "filled", "to": "published"}, actor=actor)


#: Cohort states in which a coordinator may still cancel a placement: before departure.
#: Once the interns are abroad, an internship ends early (follow-up) instead.
CANCELLABLE_COHORT_STATES = (
    CohortState.selection,
    CohortState.matching,
    CohortState.placed,
)


def cancel_refusal(placement: Placement) -> str | None:
    """Why a coordinator cannot cancel ``placement`` now (None when it can)."""
    if placement.status not in TRANSITIONS or P.cancelled not in TRANSITIONS[placement.status]:
        return _(
            "This placement is “%(status)s”: it cannot change any more.",
            status=STATUS_LABELS[placement.status],
        )
    cohort = placement.cohort
    if cohort.state not in CANCELLABLE_COHORT_STATES:
        from ..cohorts.services import STATE_LABELS

        return _(
            "The %(year)s cohort is “%(state)s”: its placements can no longer be cancelled. "
            "To stop an internship, end it early from the follow-up.",
            year=cohort.year,
            state=STATE_LABELS[cohort.state],
        )
    return None


def cancel(placement: Placement, reason: str, actor: User | None) -> None:
    """A placement ends before departure (the student withdrew, or a coordinator cancels)."""
    _check_transition(placement, P.cancelled)
    placement.status = P.cancelled
    placement.cancel_reason = (reason or "").strip()[:500] or None
    record("placement.cancel", placement, {"reason": placement.cancel_reason}, actor=actor)
    _reopen_offer(placement.offer, actor)
    student = placement.application.student
    recipients = [(student.email, student.locale)] + [
        (c.email, c.locale)
        for c in placement.offer.company.contacts
        if c.active and not c.is_pending
    ]
    for email, locale in recipients:
        queue_email(email, "placement_cancelled", locale, placement=placement)


def on_withdrawal(application: Application, **_event) -> None:
    """When a student withdraws (``signals.application_withdrawn``), their placement, if any,
    is cancelled."""
    placement = active_placement(application)
    if placement is not None:
        cancel(placement, "withdrawn", None)


def release_unplaced(application: Application, reason: str, actor: User) -> None:
    """A selected student who cannot be placed leaves the selection; the seat goes to the
    best-ranked waitlisted student (the waitlist rules of the selection)."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason why this student cannot be placed."))
    if application.status is not ApplicationStatus.selected:
        raise DomainError(_("Only a selected student can be released."))
    if active_placement(application) is not None:
        raise DomainError(_("This student has a placement: cancel it first."))
    selection.lock_cohort(application.cohort)
    application.decision_override_reason = reason
    app_services.move(application, ApplicationStatus.rejected, {"unplaced": True, "reason": reason})
    student = application.student
    queue_email(
        student.email, "placement_unplaced", student.locale, application=application, reason=reason
    )
    db.session.flush()
    if selection.is_published(application.cohort):
        selection.offer_next_seat(application.cohort)


def expire_overdue(now: datetime | None = None) -> int:
    """Proposed placements not answered by their deadline are declined (for a scheduler)."""
    now = now or utcnow()
    overdue = db.session.scalars(
        select(Placement).where(Placement.status == P.proposed, Placement.respond_by_at < now)
    ).all()
    for placement in overdue:
        placement.status = P.declined
        placement.responded_at = now
        placement.decline_reason = "no answer by the deadline"
        record("placement.expire", placement, actor=None)
        _reopen_offer(placement.offer, None)
    return len(overdue)


# --- lists ------------------------------------------------------------------------------------


def placements_for_company(company: Company, cohort: Cohort | None = None) -> list[Placement]:
    query = (
        select(Placement)
        .join(Offer, Offer.id == Placement.offer_id)
        .options(
            joinedload(Placement.offer),
            joinedload(Placement.application).joinedload(Application.institution),
        )
        .where(Offer.company_id == company.id)
    )
    if cohort is not None:
        query = query.where(Placement.cohort_id == cohort.id)
    return list(db.session.scalars(query.order_by(Placement.created_at.desc(), Placement.id)))


def offer_inputs_query(cohort: Cohort) -> Select:
    """The cohort's published offers as the matching page lists them (title, seats, company
    name; not the long texts)."""
    return (
        select(Offer)
        .options(
            load_only(Offer.id, Offer.title, Offer.seats, Offer.company_id),
            joinedload(Offer.company).load_only(Company.legal_name),
        )
        .where(Offer.cohort_id == cohort.id, Offer.status == OfferStatus.published)
        .order_by(Offer.title, Offer.id)
    )


def placements_query(cohort: Cohort, status: PlacementStatus | None = None) -> Select:
    """The cohort's placements, newest first, with the student, offer and company (the
    matching page's list); ``status``: only the placements in that status."""
    query = (
        select(Placement)
        .options(
            joinedload(Placement.offer).joinedload(Offer.company),
            # The name shown falls back on the account's (a file without names).
            joinedload(Placement.application).joinedload(Application.student),
        )
        .where(Placement.cohort_id == cohort.id)
        .order_by(Placement.created_at.desc(), Placement.id)
    )
    if status is not None:
        query = query.where(Placement.status == status)
    return query


def placements_for_cohort(cohort: Cohort) -> list[Placement]:
    return list(db.session.scalars(placements_query(cohort)))


def unplaced_query(cohort: Cohort) -> Select:
    """Selected students without a proposed or confirmed placement, by final rank."""
    active = (
        select(Placement.id)
        .where(
            Placement.application_id == Application.id,
            Placement.status.in_(ACTIVE_PLACEMENT),
        )
        .exists()
    )
    return (
        select(Application)
        .options(joinedload(Application.student))
        .where(
            Application.cohort_id == cohort.id,
            Application.status == ApplicationStatus.selected,
            ~active,
        )
        .order_by(Application.final_rank, Application.id)
    )


def unplaced_selected(cohort: Cohort) -> list[Application]:
    """Selected students without a proposed or confirmed placement."""
    return list(db.session.scalars(unplaced_query(cohort)))


def runs(cohort: Cohort) -> list[MatchingRun]:
    return list(
        db.session.scalars(
            select(MatchingRun)
            .where(MatchingRun.cohort_id == cohort.id)
            .order_by(MatchingRun.id.desc())
        )
    )
