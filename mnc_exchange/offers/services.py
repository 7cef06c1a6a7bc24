"""Offer lifecycle: draft → submitted → approved → published → filled / closed.

``TRANSITIONS`` is the state machine; ``transition`` checks it, who may take the step and, for
submission and approval, the French-law rules (a violation refuses the step and names the rule
and its numbers; warnings are kept on the offer and shown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import contains_eager, defer, joinedload

from ..accounts.models import Role, User
from ..audit.services import record
from ..cohorts.models import Cohort, CohortState
from ..core.errors import DomainError, TransitionRefused
from ..core.timeutils import utcnow
from ..extensions import db
from ..hosts.models import Company, CompanyStatus, Pole, Tutor
from ..mail.services import queue_email
from . import law
from .models import Offer, OfferStatus, WorkLanguage, WorkMode

O = OfferStatus  # noqa: E741 - short alias for the table

TRANSITIONS: dict[OfferStatus, tuple[OfferStatus, ...]] = {
    O.draft: (O.submitted, O.closed),
    O.submitted: (O.approved, O.draft, O.closed),  # → draft: sent back, or withdrawn to edit
    O.approved: (O.published, O.draft, O.closed),
    O.published: (O.filled, O.closed),
    O.filled: (O.published, O.closed),  # a declined placement frees a seat
    O.closed: (),
}

#: Who may take each step: "host" (a contact of the offer's company) or "staff".
ACTORS: dict[tuple[OfferStatus, OfferStatus], frozenset[str]] = {
    (O.draft, O.submitted): frozenset({"host"}),
    (O.draft, O.closed): frozenset({"host", "staff"}),
    (O.submitted, O.approved): frozenset({"staff"}),
    (O.submitted, O.draft): frozenset({"host", "staff"}),
    (O.submitted, O.closed): frozenset({"host", "staff"}),
    (O.approved, O.published): frozenset({"host", "staff"}),
    (O.approved, O.draft): frozenset({"host"}),
    (O.approved, O.closed): frozenset({"host", "staff"}),
    (O.published, O.filled): frozenset({"staff"}),
    (O.published, O.closed): frozenset({"host", "staff"}),
    (O.filled, O.published): frozenset({"staff"}),
    (O.filled, O.closed): frozenset({"host", "staff"}),
}

STATUS_LABELS = {
    O.draft: _l("Draft"),
    O.submitted: _l("Submitted for approval"),
    O.approved: _l("Approved"),
    O.published: _l("Published"),
    O.filled: _l("Filled"),
    O.closed: _l("Closed"),
}

TRANSITION_LABELS = {
    (O.draft, O.submitted): _l("Submit for approval"),
    (O.draft, O.closed): _l("Close"),
    (O.submitted, O.approved): _l("Approve"),
    (O.submitted, O.draft): _l("Send back for changes"),
    (O.submitted, O.closed): _l("Close"),
    (O.approved, O.published): _l("Publish"),
    (O.approved, O.draft): _l("Edit again (back to draft)"),
    (O.approved, O.closed): _l("Close"),
    (O.published, O.filled): _l("Mark as filled"),
    (O.published, O.closed): _l("Close"),
    (O.filled, O.published): _l("Re-open"),
    (O.filled, O.closed): _l("Close"),
}

POLE_LABELS = {
    Pole.mobile: _l("Mobile services"),
    Pole.security: _l("Security, payments and digital rights"),
    Pole.multimedia: _l("Multimedia"),
    Pole.software: _l("Software packages"),
}

LANGUAGE_LABELS = {
    WorkLanguage.fr: _l("French"),
    WorkLanguage.en: _l("English"),
    WorkLanguage.fr_en: _l("French and English"),
}

MODE_LABELS = {WorkMode.onsite: _l("On site"), WorkMode.hybrid: _l("Hybrid")}

#: Cohort states in which companies may still create offers.
OPEN_FOR_OFFERS = (
    CohortState.draft,
    CohortState.open,
    CohortState.closed,
    CohortState.selection,
    CohortState.matching,
)


@dataclass
class OfferInput:
    title: str
    description: str
    pole: Pole
    skills: str
    city: str
    start_on: date
    end_on: date
    weekly_hours: Decimal
    daily_hours: Decimal
    monthly_stipend: Decimal
    seats: int
    tutor_id: int | None
    language: WorkLanguage
    work_mode: WorkMode
    leave_days: int = 0


def actor_kind(user: User, offer: Offer) -> str | None:
    """ "host" for a contact of the offer's company, "staff" for coordinators/admins."""
    if user.role in (Role.coordinator, Role.admin):
        return "staff"
    if user.role is Role.host and user.company_id == offer.company_id:
        return "host"
    return None


def _apply(offer: Offer, data: OfferInput, company: Company) -> None:
    if data.end_on <= data.start_on:
        raise DomainError(_("The end date must be after the start date."))
    if data.seats < 1:
        raise DomainError(_("An offer has at least one seat."))
    if data.leave_days is None or data.leave_days < 0:
        raise DomainError(_("The days of leave cannot be negative."))
    tutor = None
    if data.tutor_id is not None:
        tutor = db.session.get(Tutor, data.tutor_id)
        if tutor is None or tutor.company_id != company.id:
            raise DomainError(_("Choose one of your company's tutors."))
    offer.title = data.title.strip()
    offer.description = data.description.strip()
    offer.pole = data.pole
    offer.skills = data.skills.strip()
    offer.city = data.city.strip()
    offer.start_on = data.start_on
    offer.end_on = data.end_on
    offer.weekly_hours = data.weekly_hours
    offer.daily_hours = data.daily_hours
    offer.monthly_stipend = data.monthly_stipend
    offer.seats = data.seats
    offer.leave_days = data.leave_days
    offer.tutor_id = tutor.id if tutor else None
    offer.language = data.language
    offer.work_mode = data.work_mode


def create_offer(company: Company, cohort: Cohort, data: OfferInput, actor: User) -> Offer:
    if not company.is_approved:
        raise DomainError(_("Your company must be approved by the programme before it publishes."))
    if cohort.state not in OPEN_FOR_OFFERS:
        raise DomainError(_("This cohort no longer accepts offers."))
    offer = Offer(company_id=company.id, cohort_id=cohort.id, status=O.draft)
    offer.company = company
    _apply(offer, data, company)
    db.session.add(offer)
    db.session.flush()
    record("offer.create", offer, actor=actor)
    return offer


def update_offer(offer: Offer, data: OfferInput, actor: User) -> None:
    if offer.status is not O.draft:
        raise DomainError(_("Only a draft offer can be edited; put it back to draft first."))
    _apply(offer, data, offer.company)
    record("offer.update", offer, actor=actor)


def allowed_transitions(offer: Offer, user: User) -> list[OfferStatus]:
    kind = actor_kind(user, offer)
    return [
        target
        for target in TRANSITIONS[offer.status]
        if kind in ACTORS.get((offer.status, target), frozenset())
    ]


def _law_gate(offer: Offer, today: date | None) -> None:
    report = law.check_offer(offer, today)
    if not report.ok:
        raise TransitionRefused(
            _("The offer breaks French internship law: %(reasons)s")
            % {"reasons": "; ".join(law.message(f) for f in report.violations)}
        )
    offer.law_warnings = [
        {"code": f.code, "key": f.message_key, "text": law.message(f)} for f in report.warnings
    ]


def transition(
    offer: Offer,
    target: OfferStatus,
    actor: User,
    reason: str | None = None,
    today: date | None = None,
) -> None:
    """Move ``offer`` to ``target`` if the table, the actor and the law allow it."""
    source = offer.status
    if target not in TRANSITIONS[source]:
        raise TransitionRefused(
            _(
                "An offer cannot go from “%(source)s” to “%(target)s”.",
                source=STATUS_LABELS[source],
                target=STATUS_LABELS[target],
            )
        )
    if actor_kind(actor, offer) not in ACTORS[(source, target)]:
        raise TransitionRefused(_("You may not take this step on this offer."))
    if target is O.submitted or (source, target) == (O.submitted, O.approved):
        _law_gate(offer, today)
    if (source, target) == (O.submitted, O.draft) and actor_kind(actor, offer) == "staff":
        reason = (reason or "").strip()
        if not reason:
            raise TransitionRefused(_("Say what the company must change."))
        offer.return_reason = reason
    if target is O.published and not offer.company.is_approved:
        raise TransitionRefused(_("The company is not approved."))
    if target is O.published and offer.cohort.state not in OPEN_FOR_OFFERS:
        raise TransitionRefused(_("This cohort no longer accepts offers."))
    now = utcnow()
    offer.status = target
    if target is O.submitted:
        offer.submitted_at = now
        offer.return_reason = None
    elif target is O.approved:
        offer.approved_at = now
        offer.approved_by_id = actor.id
    elif target is O.published and offer.published_at is None:
        offer.published_at = now
    elif target is O.closed:
        offer.closed_at = now
    record(
        "offer.transition",
        offer,
        {"from": source.value, "to": target.value, **({"reason": reason} if reason else {})},
        actor=actor,
    )
    _notify(offer, source, target, reason)


def _notify(offer: Offer, source: OfferStatus, target: OfferStatus, reason: str | None) -> None:
    if target is O.submitted:
        coordinators = db.session.scalars(
            select(User).where(User.role == Role.coordinator, User.active.is_(True))
        )
        for coordinator in coordinators:
            queue_email(coordinator.email, "offer_submitted", coordinator.locale, offer=offer)
    elif target in (O.approved, O.draft) and source is O.submitted:
        for contact in offer.company.contacts:
            queue_email(
                contact.email,
                "offer_reviewed",
                contact.locale,
                offer=offer,
                approved=target is O.approved,
                reason=reason,
            )


def offers_for_company(company: Company, cohort: Cohort | None = None) -> list[Offer]:
    query = select(Offer).where(Offer.company_id == company.id)
    if cohort is not None:
        query = query.where(Offer.cohort_id == cohort.id)
    return list(db.session.scalars(query.order_by(Offer.start_on, Offer.id)))


def published_offers(cohort: Cohort) -> list[Offer]:
    """Offers students can rank (published, with the company loaded: no query per row)."""
    from sqlalchemy.orm import joinedload

    return list(
        db.session.scalars(
            select(Offer)
            .options(joinedload(Offer.company))
            .where(Offer.cohort_id == cohort.id, Offer.status == O.published)
            .order_by(Offer.title, Offer.id)
        )
    )


def review_query(cohort: Cohort, status: OfferStatus | None = None) -> Select:
    """The coordinators' review list: the cohort's offers (of one status), those waiting for
    approval first (oldest first), then by company and title; the company loaded with them,
    the long texts left out."""
    query = (
        select(Offer)
        .join(Offer.company)
        .options(
            contains_eager(Offer.company),
            defer(Offer.description),
            defer(Offer.law_warnings),
            defer(Offer.return_reason),
        )
        .where(Offer.cohort_id == cohort.id)
    )
    if status is not None:
        query = query.where(Offer.status == status)
    return query.order_by(
        case((Offer.status == O.submitted, 0), else_=1),
        case((Offer.status == O.submitted, Offer.submitted_at)),  # oldest waiting first
        Company.legal_name,
        Offer.title,
        Offer.id,
    )


def company_offers_query(company: Company, current_cohort_id: int | None) -> Select:
    """A company's offers: the current cohort's first, then the most recent cohorts; in a
    cohort by start date and title. Cohort and tutor loaded with them, the long texts left
    out."""
    return (
        select(Offer)
        .join(Offer.cohort)
        .options(
            contains_eager(Offer.cohort),
            joinedload(Offer.tutor),
            defer(Offer.description),
            defer(Offer.law_warnings),
        )
        .where(Offer.company_id == company.id)
        .order_by(
            case((Offer.cohort_id == (current_cohort_id or 0), 0), else_=1),
            Cohort.year.desc(),
            Offer.start_on,
            Offer.title,
            Offer.id,
        )
    )


def status_counts(cohort: Cohort) -> dict[OfferStatus, int]:
    rows = db.session.execute(
        select(Offer.status, func.count())
        .where(Offer.cohort_id == cohort.id)
        .group_by(Offer.status)
    )
    return dict(rows.all())


# --- the companies list (coordinators) ---------------------------------------------------------


def companies_query(status: CompanyStatus | None = None, search: str = "") -> Select:
    """Companies (of one status, matching a search on name, city or SIRET) by name, each with
    its numbers of contacts and offers (here, not in ``hosts``: the companies come before their
    offers in the year): rows ``(company, contacts, offers)``. The numbers are
    subqueries of the row, so a page of 50 counts for its 50 companies only."""
    contacts = (
        select(func.count(User.id))
        .where(User.company_id == Company.id)
        .correlate(Company)
        .scalar_subquery()
    )
    offers = (
        select(func.count(Offer.id))
        .where(Offer.company_id == Company.id)
        .correlate(Company)
        .scalar_subquery()
    )
    query = select(Company, contacts, offers).order_by(Company.legal_name, Company.id)
    if status is not None:
        query = query.where(Company.status == status)
    if search:
        like = f"%{search}%"
        conditions = [Company.legal_name.ilike(like), Company.city.ilike(like)]
        digits = search.replace(" ", "")
        if digits.isdigit():
            conditions.append(Company.siret.contains(digits))
        query = query.where(or_(*conditions))
    return query
