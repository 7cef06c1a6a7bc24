"""What needs doing: the to-do list at the top of each role's dashboard.

Every item is a count and a link to the list page that shows exactly those rows (a page's
filter such as ``?status=submitted``). Items whose count is zero are left out (the list says
"nothing waits for you" when none is left). The counts come from a fixed number of queries,
grouped by cohort: an item per cohort that has something waiting, never a query per row. The
conditions are the list pages' own (``screening.documents_to_check``,
``followup.services.BOARD_FLAGS``, ``agreements.services.waiting_for`` …), so a count and the
list it links to cannot disagree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date, datetime

from babel.dates import format_date, format_time
from flask import current_app, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..accounts.models import Role, User
from ..agreements import services as agreement_services
from ..agreements.models import Agreement, AgreementDocument, DocumentKind, Party
from ..applications import screening
from ..applications.models import Application, ApplicationStatus, Document, DocumentStatus
from ..cohorts.models import Cohort, CohortState
from ..core.timeutils import as_utc, utcnow
from ..extensions import db
from ..followup import services as followup_services
from ..followup.models import (
    EmploymentSurvey,
    Incident,
    IncidentStatus,
    Internship,
    TutorEvaluation,
)
from ..hosts.models import Company, CompanyStatus
from ..offers.models import Offer, OfferStatus
from ..permissions import can
from ..placements.models import (
    CompanyRanking,
    MatchingSettings,
    Placement,
    PlacementStatus,
    StudentPreference,
)
from ..selection import queries as selection_queries
from ..selection.models import (
    AssignmentStatus,
    Interview,
    ReviewAssignment,
    SeatOffer,
    SeatOfferStatus,
)

A = ApplicationStatus
HOST_ZONE = "Europe/Paris"


@dataclass(frozen=True)
class TodoItem:
    """One line of a to-do list: what waits (its count in the text), where to do it."""

    key: str
    count: int
    text: str
    url: str
    cohort: Cohort | None = None
    #: A deadline or a precision, shown under the text.
    detail: str | None = None
    #: Late or critical: shown in red.
    urgent: bool = False
    #: The link's HTML id, for the items that had one before the list existed.
    element_id: str | None = None


def when(moment: datetime, zone: str) -> str:
    """A moment in ``zone``, in the reader's language, to the minute: "5 mars 2027 à 12:00"."""
    from zoneinfo import ZoneInfo

    local = as_utc(moment).astimezone(ZoneInfo(zone))
    locale = str(get_locale())
    return _(
        "%(date)s at %(time)s",
        date=format_date(local.date(), "long", locale=locale),
        time=format_time(local.time(), "HH:mm", locale=locale),
    )


def day(value: date) -> str:
    return format_date(value, "long", locale=str(get_locale()))


def _by_cohort(statement) -> dict[int, int]:
    """``cohort id -> count`` from a ``select(cohort_id, count)`` (grouped here)."""
    return {cohort_id: count for cohort_id, count in db.session.execute(statement) if count}


def _count_per_cohort(cohort_id, ids: list[int], *conditions) -> dict[int, int]:
    """``cohort id -> count`` of the rows whose ``cohort_id`` column is in ``ids`` and that
    meet ``conditions``."""
    return _by_cohort(
        select(cohort_id, func.count()).where(cohort_id.in_(ids), *conditions).group_by(cohort_id)
    )


def _per_cohort(
    key: str,
    counts: dict[int, int],
    cohorts: dict[int, Cohort],
    text,
    url,
    urgent: bool = False,
) -> list[TodoItem]:
    """One item per cohort with a count, newest cohort first; ``text(n)`` and
    ``url(cohort)`` build the line."""
    items = []
    for cohort_id, count in counts.items():
        cohort = cohorts.get(cohort_id)
        if cohort is None or not count:
            continue
        items.append(TodoItem(key, count, text(count), url(cohort), cohort, urgent=urgent))
    items.sort(key=lambda item: -item.cohort.year)
    return items


# --- coordinators and admins ------------------------------------------------------------------


def coordinator_todo(user: User, today: date | None = None) -> list[TodoItem]:
    """The programme team's to-do list: screening, selection, companies and offers, matching,
    agreements and follow-up, in the year's order. Archived cohorts are left out."""
    today = today or date.today()
    now = utcnow()
    cohorts = {
        c.id: c
        for c in db.session.scalars(select(Cohort).where(Cohort.state != CohortState.archived))
    }
    ids = list(cohorts) or [0]
    items: list[TodoItem] = []

    if can(user, "application.review"):
        items += _per_cohort(
            "files-to-screen",
            _count_per_cohort(Application.cohort_id, ids, Application.status == A.submitted),
            cohorts,
            lambda n: ngettext(
                "%(num)d application to screen", "%(num)d applications to screen", n
            ),
            lambda c: url_for("screening.index", cohort=c.id, status=A.submitted.value),
        )
        items += _per_cohort(
            "documents-to-check",
            _count_per_cohort(Application.cohort_id, ids, screening.documents_to_check()),
            cohorts,
            lambda n: ngettext(
                "%(num)d application with documents to check",
                "%(num)d applications with documents to check",
                n,
            ),
            lambda c: url_for("screening.index", cohort=c.id, documents="pending"),
        )
    if can(user, "selection.review"):
        reviews = db.session.scalar(
            select(func.count())
            .select_from(ReviewAssignment)
            .where(
                ReviewAssignment.reviewer_id == user.id,
                ReviewAssignment.status == AssignmentStatus.assigned,
            )
        )
        if reviews:
            items.append(
                TodoItem(
                    "reviews-to-do",
                    reviews,
                    ngettext(
                        "%(num)d review assigned to you, not submitted yet",
                        "%(num)d reviews assigned to you, not submitted yet",
                        reviews,
                    ),
                    url_for("reviews.index"),
                )
            )
    if can(user, "selection.manage"):
        items += _per_cohort(
            "interviews-to-score",
            _by_cohort(
                select(Application.cohort_id, func.count())
                .select_from(Interview)
                .join(Application, Application.id == Interview.application_id)
                .where(Application.cohort_id.in_(ids), selection_queries.interviews_to_score(now))
                .group_by(Application.cohort_id)
            ),
            cohorts,
            lambda n: ngettext(
                "%(num)d interview held, to score", "%(num)d interviews held, to score", n
            ),
            lambda c: url_for("selection.interviews", cohort_id=c.id, show="to_score"),
        )
    if can(user, "host.approve"):
        companies = db.session.scalar(
            select(func.count()).select_from(Company).where(Company.status == CompanyStatus.pending)
        )
        if companies:
            items.append(
                TodoItem(
                    "companies-to-approve",
                    companies,
                    ngettext(
                        "%(num)d company waits for approval.",
                        "%(num)d companies wait for approval.",
                        companies,
                    ),
                    url_for("companies.index", status=CompanyStatus.pending.value),
                    element_id="pending-companies",
                )
            )
        # Host contacts registered before companies existed are still approved one by one.
        contacts = db.session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.role == Role.host,
                User.approved_at.is_(None),
                User.active.is_(True),
                User.company_id.is_(None),
            )
        )
        if contacts:
            items.append(
                TodoItem(
                    "contacts-to-approve",
                    contacts,
                    ngettext(
                        "%(num)d company contact without a company waits for approval.",
                        "%(num)d company contacts without a company wait for approval.",
                        contacts,
                    ),
                    url_for("accounts.pending_hosts"),
                    element_id="pending-contacts",
                )
            )
    if can(user, "offer.review"):
        items += _per_cohort(
            "offers-to-approve",
            _count_per_cohort(Offer.cohort_id, ids, Offer.status == OfferStatus.submitted),
            cohorts,
            lambda n: ngettext("%(num)d offer to approve", "%(num)d offers to approve", n),
            lambda c: url_for("offers.review", cohort=c.id, status=OfferStatus.submitted.value),
        )
    if can(user, "matching.run"):
        items += _per_cohort(
            "placements-awaiting-company",
            _count_per_cohort(
                Placement.cohort_id, ids, Placement.status == PlacementStatus.proposed
            ),
            cohorts,
            lambda n: ngettext(
                "%(num)d placement awaiting the company's answer",
                "%(num)d placements awaiting the companies' answers",
                n,
            ),
            lambda c: url_for(
                "matching.index",
                cohort=c.id,
                placements=PlacementStatus.proposed.value,
                _anchor="placements-title",
            ),
        )
    if can(user, "agreement.manage"):
        items += _agreement_items(cohorts, ids, today)
    if can(user, "followup.manage"):
        items += _followup_items(cohorts, ids, today)
    return items


def _agreement_items(cohorts: dict[int, Cohort], ids: list[int], today: date) -> list[TodoItem]:
    issued = select(Agreement.placement_id)
    items = _per_cohort(
        "agreements-to-issue",
        _count_per_cohort(
            Placement.cohort_id,
            ids,
            Placement.status == PlacementStatus.confirmed,
            Placement.id.not_in(issued),
        ),
        cohorts,
        lambda n: ngettext(
            "%(num)d confirmed placement without an agreement",
            "%(num)d confirmed placements without an agreement",
            n,
        ),
        lambda c: url_for("agreements.index", cohort=c.id, _anchor="waiting-title"),
    )
    # Counted in SQL (the agreements list's own filters), not by loading every agreement.
    waiting = {
        key: _by_cohort(
            select(Agreement.cohort_id, func.count())
            .where(
                Agreement.cohort_id.in_(ids),
                agreement_services.waiting_for_clause(key, today),
            )
            .group_by(Agreement.cohort_id)
        )
        for key in agreement_services.WAITING_FOR
    }
    late = Counter(
        agreement.cohort_id
        for agreement in agreement_services.prefecture_candidates(ids)
        if agreement_services.prefecture_alert(agreement, today)
    )
    items += _per_cohort(
        "agreements-awaiting-signatures",
        dict(waiting["signatures"]),
        cohorts,
        lambda n: ngettext(
            "%(num)d agreement awaiting signatures", "%(num)d agreements awaiting signatures", n
        ),
        lambda c: url_for("agreements.index", cohort=c.id, awaiting="signatures"),
    )
    for item in _per_cohort(
        "agreements-awaiting-prefecture",
        dict(waiting["prefecture"]),
        cohorts,
        lambda n: ngettext(
            "%(num)d agreement awaiting the préfecture",
            "%(num)d agreements awaiting the préfecture",
            n,
        ),
        lambda c: url_for("agreements.index", cohort=c.id, awaiting="prefecture"),
    ):
        behind = late.get(item.cohort.id, 0)
        if behind:
            detail = ngettext(
                "%(num)d starts in less than 2 months and is not submitted yet.",
                "%(num)d start in less than 2 months and are not submitted yet.",
                behind,
            )
            item = replace(item, detail=detail, urgent=True)
        items.append(item)
    return items


def _followup_items(cohorts: dict[int, Cohort], ids: list[int], today: date) -> list[TodoItem]:
    # Every flag of the board needs an intern whose return is not confirmed yet.
    rows = followup_services.board_rows(
        Internship.cohort_id.in_(ids) & Internship.returned_on.is_(None), today
    )
    flagged = {key: Counter() for key in followup_services.BOARD_FLAGS}
    for row in rows:
        for key, test in followup_services.BOARD_FLAGS.items():
            if test(row):
                flagged[key][row.cohort_id] += 1

    def board(key: str, flag: str, text, urgent: bool = False) -> list[TodoItem]:
        """The interns of the board's ``flag``, per cohort, linked to the filtered board."""
        return _per_cohort(
            key,
            dict(flagged[flag]),
            cohorts,
            text,
            lambda c: url_for("followup.board", cohort=c.id, flag=flag),
            urgent=urgent,
        )

    items = board(
        "overdue-steps",
        "overdue",
        lambda n: ngettext(
            "%(num)d intern with overdue checklist steps",
            "%(num)d interns with overdue checklist steps",
            n,
        ),
    )
    items += board(
        "missing-checkins",
        "checkins",
        lambda n: ngettext(
            "%(num)d intern with missing monthly check-ins",
            "%(num)d interns with missing monthly check-ins",
            n,
        ),
    )
    items += _per_cohort(
        "open-incidents",
        _by_cohort(
            select(Internship.cohort_id, func.count(Incident.id))
            .join(Internship, Internship.id == Incident.internship_id)
            .where(Internship.cohort_id.in_(ids), Incident.status != IncidentStatus.closed)
            .group_by(Internship.cohort_id)
        ),
        cohorts,
        lambda n: ngettext("%(num)d open incident", "%(num)d open incidents", n),
        lambda c: url_for("followup.incidents", cohort=c.id, status="active"),
    )
    items += board(
        "returns-to-confirm",
        "return",
        lambda n: ngettext(
            "%(num)d internship over without a confirmed return",
            "%(num)d internships over without a confirmed return",
            n,
        ),
        urgent=True,
    )
    items += _per_cohort(
        "surveys-due",
        _by_cohort(
            select(Internship.cohort_id, func.count(func.distinct(EmploymentSurvey.internship_id)))
            .join(Internship, Internship.id == EmploymentSurvey.internship_id)
            .where(
                Internship.cohort_id.in_(ids),
                *followup_services.survey_overdue_clause(today),
            )
            .group_by(Internship.cohort_id)
        ),
        cohorts,
        lambda n: ngettext(
            "%(num)d alumnus with an employment survey overdue",
            "%(num)d alumni with an employment survey overdue",
            n,
        ),
        lambda c: url_for("followup.returns", cohort=c.id, surveys="due"),
    )
    return items


# --- students, interns and alumni ------------------------------------------------------------


def student_todo(
    user: User, cohort: Cohort | None, due=None, today: date | None = None
) -> list[TodoItem]:
    """The student's own next steps: their file in ``cohort`` (the current one), a seat
    offered, documents to correct, an agreement to sign, then their internship's checklist,
    check-in, return and surveys (``due``: ``followup.views_student.internship_due``). Times
    are in Casablanca time."""
    from ..applications import services as app_services
    from ..selection import services as selection_services

    today = today or date.today()
    zone = current_app.config["DISPLAY_TIMEZONE"]
    items: list[TodoItem] = []
    application = app_services.application_of(user, cohort) if cohort is not None else None
    close_on = cohort.applications_close_on if cohort is not None else None
    call_open = cohort is not None and cohort.state is CohortState.open
    apply_url = url_for("applications.index")

    if application is None:
        # An intern or alumnus is not asked to apply again.
        if call_open and due is None:
            items.append(
                TodoItem(
                    "apply",
                    1,
                    _("Apply to the %(title)s call", title=cohort.title),
                    apply_url,
                    detail=_("Before %(date)s.", date=day(close_on)) if close_on else None,
                )
            )
    else:
        status = application.status
        if status is A.draft and call_open:
            items.append(
                TodoItem(
                    "submit-application",
                    1,
                    _("Complete and submit your application"),
                    apply_url,
                    detail=_("Before %(date)s.", date=day(close_on)) if close_on else None,
                )
            )
        elif status is A.returned:
            items.append(
                TodoItem(
                    "correct-application",
                    1,
                    _("Correct your application and submit it again"),
                    apply_url,
                    detail=_("Before %(date)s.", date=day(close_on)) if close_on else None,
                    urgent=True,
                )
            )
        if status in (A.draft, A.returned, A.submitted):
            to_correct = db.session.scalar(
                select(func.count())
                .select_from(Document)
                .where(
                    Document.application_id == application.id,
                    Document.is_current.is_(True),
                    Document.status == DocumentStatus.rejected,
                )
            )
            if to_correct:
                items.append(
                    TodoItem(
                        "documents-to-correct",
                        to_correct,
                        ngettext(
                            "%(num)d document to replace",
                            "%(num)d documents to replace",
                            to_correct,
                        ),
                        url_for("applications.index", _anchor="documents-title"),
                        urgent=True,
                    )
                )
        items += _student_selection_items(application, zone, selection_services)
    items += _student_signature_items(user)
    if due is not None:
        # Once the internship is over, its return is what is left to do, not the checklist.
        if due.next_step and not due.can_return:
            items.append(
                TodoItem(
                    "checklist-step",
                    1,
                    _(
                        "Next step: %(step)s, due on %(date)s",
                        step=due.next_step_label,
                        date=day(due.next_step.due_on),
                    ),
                    url_for("my_internship.index", _anchor="checklist-title"),
                    urgent=due.next_step_overdue,
                )
            )
        if due.checkin_month:
            items.append(
                TodoItem(
                    "checkin",
                    1,
                    _(
                        "Monthly check-in to send for %(month)s",
                        month=format_date(due.checkin_month, "MMMM y", locale=str(get_locale())),
                    ),
                    url_for("my_internship.index", _anchor="checkin-title"),
                )
            )
        if due.can_return:
            items.append(
                TodoItem(
                    "confirm-return",
                    1,
                    _("Your internship is over: confirm your return to Morocco."),
                    url_for("my_internship.index", _anchor="return-title"),
                )
            )
        if due.survey:
            items.append(
                TodoItem(
                    "survey",
                    1,
                    _(
                        "Survey to answer: where are you %(months)d months after your internship?",
                        months=due.survey.wave,
                    ),
                    url_for("my_internship.survey", my_survey_id=due.survey.id),
                )
            )
    return items


def _student_selection_items(application: Application, zone: str, selection_services):
    items = []
    cohort = application.cohort
    visible = selection_services.visible_status(application)
    now = utcnow()
    if selection_services.is_published(cohort):
        offer = db.session.scalar(
            select(SeatOffer).where(
                SeatOffer.application_id == application.id,
                SeatOffer.status == SeatOfferStatus.open,
            )
        )
        if offer is not None and as_utc(offer.deadline_at) >= now:
            items.append(
                TodoItem(
                    "seat-offer",
                    1,
                    _("A seat is offered to you: accept or decline it"),
                    url_for("my_selection.index"),
                    detail=_(
                        "Before %(deadline)s (Casablanca time).",
                        deadline=when(offer.deadline_at, zone),
                    ),
                    urgent=True,
                )
            )
    if visible is A.shortlisted:
        interview = db.session.scalar(
            select(Interview).where(Interview.application_id == application.id)
        )
        if interview is not None and as_utc(interview.starts_at) >= now:
            items.append(
                TodoItem(
                    "interview",
                    1,
                    _("Your interview"),
                    url_for("my_selection.index"),
                    detail=_(
                        "On %(moment)s (Casablanca time).",
                        moment=when(interview.starts_at, zone),
                    ),
                )
            )
    if visible is A.selected:
        items += _student_ranking_items(application, zone, now)
    return items


def _student_ranking_items(application: Application, zone: str, now: datetime):
    """Rank the published offers, while the ranking is open and nothing is ranked yet."""
    ranked = db.session.scalar(
        select(func.count())
        .select_from(StudentPreference)
        .where(StudentPreference.application_id == application.id)
    )
    placed = db.session.scalar(
        select(func.count())
        .select_from(Placement)
        .where(
            Placement.application_id == application.id,
            Placement.status.in_((PlacementStatus.proposed, PlacementStatus.confirmed)),
        )
    )
    if ranked or placed:
        return []
    published = db.session.scalar(
        select(func.count())
        .select_from(Offer)
        .where(Offer.cohort_id == application.cohort_id, Offer.status == OfferStatus.published)
    )
    if not published:
        return []
    deadline = db.session.scalar(
        select(MatchingSettings.preferences_deadline_at).where(
            MatchingSettings.cohort_id == application.cohort_id
        )
    )
    if deadline is not None and as_utc(deadline) < now:
        return []
    return [
        TodoItem(
            "rank-offers",
            1,
            _("Rank the internship offers you would like"),
            url_for("my_ranking.index"),
            detail=_("Before %(deadline)s (Casablanca time).", deadline=when(deadline, zone))
            if deadline
            else None,
        )
    ]


def _documents_to_sign(where, party: Party) -> list[AgreementDocument]:
    """Documents in force (agreement versions and amendments) that ``party`` has not signed,
    of the agreements ``where`` selects (two queries)."""
    documents = db.session.scalars(
        select(AgreementDocument)
        .join(Agreement, Agreement.id == AgreementDocument.agreement_id)
        .options(selectinload(AgreementDocument.signatures))
        .where(
            where,
            AgreementDocument.superseded_at.is_(None),
            AgreementDocument.kind != DocumentKind.certificate,
        )
    ).all()
    return [d for d in documents if party in agreement_services.missing_parties(d)]


def _student_signature_items(user: User) -> list[TodoItem]:
    mine = Agreement.placement_id.in_(
        select(Placement.id)
        .join(Application, Application.id == Placement.application_id)
        .where(Application.student_id == user.id)
    )
    documents = _documents_to_sign(mine, Party.student)
    if not documents:
        return []
    return [
        TodoItem(
            "sign",
            len(documents),
            ngettext(
                "%(num)d agreement document to sign",
                "%(num)d agreement documents to sign",
                len(documents),
            ),
            url_for("agreements.mine"),
            urgent=True,
        )
    ]


# --- host companies ---------------------------------------------------------------------------


def host_todo(company: Company, now: datetime | None = None) -> list[TodoItem]:
    """The company's to-do list: candidates to rank (per offer, while the ranking is open),
    placements to confirm, agreements to sign, tutor evaluations awaited, open incidents about
    its interns. Times are in Paris time."""
    now = now or utcnow()
    items: list[TodoItem] = []

    # Candidates to rank: selected students who ranked an offer the company has not judged them
    # for yet (one query), on offers still open for ranking.
    judged = select(CompanyRanking.id).where(
        CompanyRanking.offer_id == StudentPreference.offer_id,
        CompanyRanking.application_id == StudentPreference.application_id,
    )
    unranked = db.session.execute(
        select(Offer, func.count(StudentPreference.id))
        .join(StudentPreference, StudentPreference.offer_id == Offer.id)
        .join(Application, Application.id == StudentPreference.application_id)
        .where(
            Offer.company_id == company.id,
            Offer.status.in_((OfferStatus.published, OfferStatus.filled)),
            Application.status == A.selected,
            ~judged.exists(),
        )
        .group_by(Offer.id)
        .order_by(Offer.start_on, Offer.id)
    ).all()
    deadlines = dict(
        db.session.execute(
            select(MatchingSettings.cohort_id, MatchingSettings.company_deadline_at).where(
                MatchingSettings.cohort_id.in_({o.cohort_id for o, _n in unranked} or {0})
            )
        ).all()
    )
    for offer, count in unranked:
        deadline = deadlines.get(offer.cohort_id)
        if deadline is not None and as_utc(deadline) < now:
            continue
        items.append(
            TodoItem(
                f"candidates-to-rank-{offer.id}",
                count,
                ngettext(
                    "%(num)d candidate to rank for “%(offer)s”",
                    "%(num)d candidates to rank for “%(offer)s”",
                    count,
                    offer=offer.title,
                ),
                url_for("candidates.offer", offer_id=offer.id),
                detail=_("Before %(deadline)s (Paris time).", deadline=when(deadline, HOST_ZONE))
                if deadline
                else None,
            )
        )

    own_offers = select(Offer.id).where(Offer.company_id == company.id)
    proposed = db.session.execute(
        select(func.count(Placement.id), func.min(Placement.respond_by_at)).where(
            Placement.offer_id.in_(own_offers), Placement.status == PlacementStatus.proposed
        )
    ).one()
    if proposed[0]:
        first = proposed[1]
        items.append(
            TodoItem(
                "placements-to-confirm",
                proposed[0],
                ngettext(
                    "%(num)d placement to confirm or decline",
                    "%(num)d placements to confirm or decline",
                    proposed[0],
                ),
                url_for("candidates.placements", _anchor="proposed-title"),
                detail=_(
                    "The first answer is due by %(deadline)s (Paris time).",
                    deadline=when(first, HOST_ZONE),
                )
                if first
                else None,
                urgent=first is not None and as_utc(first) < now,
            )
        )

    placements = select(Placement.id).where(Placement.offer_id.in_(own_offers))
    to_sign = _documents_to_sign(Agreement.placement_id.in_(placements), Party.host)
    agreements = len({d.agreement_id for d in to_sign})
    if agreements:
        items.append(
            TodoItem(
                "agreements-to-sign",
                agreements,
                ngettext(
                    "%(num)d agreement waits for your signature.",
                    "%(num)d agreements wait for your signature.",
                    agreements,
                ),
                url_for("agreements.mine", to_sign=1),
                urgent=True,
            )
        )

    interns = select(Internship.id).where(Internship.placement_id.in_(placements))
    evaluations = db.session.scalar(
        select(func.count())
        .select_from(TutorEvaluation)
        .where(
            TutorEvaluation.internship_id.in_(interns),
            *followup_services.evaluation_awaited_clause(now),
        )
    )
    if evaluations:
        items.append(
            TodoItem(
                "evaluations-awaited",
                evaluations,
                ngettext(
                    "%(num)d tutor evaluation awaited",
                    "%(num)d tutor evaluations awaited",
                    evaluations,
                ),
                url_for("host_interns.index", show="evaluations"),
                detail=_("Your tutors received a link by e-mail to evaluate the intern."),
            )
        )
    incidents = db.session.scalar(
        select(func.count(Incident.id))
        .join(User, User.id == Incident.reported_by_id)
        .where(
            Incident.internship_id.in_(interns),
            User.company_id == company.id,
            Incident.status != IncidentStatus.closed,
        )
    )
    if incidents:
        items.append(
            TodoItem(
                "interns-incidents",
                incidents,
                ngettext(
                    "%(num)d incident about your interns not closed yet",
                    "%(num)d incidents about your interns not closed yet",
                    incidents,
                ),
                url_for("host_interns.index", show="incidents", _anchor="incidents-title"),
            )
        )
    return items


# --- officials --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CohortFigures:
    cohort: Cohort
    funnel: dict[str, int]
    rates: object
    empty: bool


def official_figures(today: date | None = None) -> list[CohortFigures]:
    """The key figures of the current cohort and of the one before it (the reports' own: the
    figures kept per data version, ``reports.snapshots``, and ``reports.metrics``)."""
    from ..reports.metrics import funnel, rates
    from ..reports.snapshots import figures_of

    today = today or date.today()
    cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.year.desc())))
    current = next((c for c in cohorts if c.is_current), None) or (cohorts[0] if cohorts else None)
    if current is None:
        return []
    chosen = [current]
    previous = next((c for c in cohorts if c.year < current.year), None)
    if previous is not None:
        chosen.append(previous)
    kept = figures_of(chosen, today)
    return [
        CohortFigures(
            cohort=cohort,
            funnel=funnel(kept[cohort.id]),
            rates=rates(kept[cohort.id], cohort.quota),
            empty=not kept[cohort.id].total,
        )
        for cohort in chosen
    ]
