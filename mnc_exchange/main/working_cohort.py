"""The cohort a staff page works on (screening, offers, matching, agreements, follow-up).

A page concern — the query string, the login session, the stages of the later steps — kept
out of ``cohorts.services`` so that the cohorts domain imports none of the steps after it.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select

from ..cohorts.models import Cohort
from ..cohorts.models import CohortState as S
from ..extensions import db
from ..followup.models import Internship
from ..offers.models import Offer
from ..offers.services import OPEN_FOR_OFFERS
from ..placements.models import MatchingRun, Placement, PlacementStatus

#: The page families that open on "their" cohort (``working_cohort``), and the session key where
#: the last cohort chosen on each is remembered.
PAGE_KINDS = ("applications", "offers", "matching", "agreements", "followup")
SESSION_KEY = "working_cohorts"


def _newest(cohorts: list[Cohort], keep: Callable[[Cohort], bool]) -> Cohort | None:
    """Of the cohorts ``keep`` accepts: the current one, else the most recent (``cohorts`` are
    newest first)."""
    kept = [c for c in cohorts if keep(c)]
    return next((c for c in kept if c.is_current), kept[0] if kept else None)


def _cohort_ids(statement) -> set[int]:
    return set(db.session.scalars(statement.distinct()))


def stage_cohort(page_kind: str, cohorts: list[Cohort]) -> Cohort | None:
    """The cohort at the stage ``page_kind`` is about (``cohorts`` newest first):

    - applications (screening): the cohort open for applications, else one being screened or
      selected;
    - offers: the newest cohort still taking offers that has some, else the newest taking offers;
    - matching: the cohort being matched, else the last one matched (a run or a placement);
    - agreements: the newest cohort with confirmed placements;
    - follow-up: the cohort abroad, else the last one with interns.

    Among several at that stage, the current one, else the newest; failing any, the current
    cohort, else the newest. One query at most.
    """
    if page_kind not in PAGE_KINDS:
        raise ValueError(f"unknown page kind {page_kind!r}")
    found: Cohort | None = None
    if page_kind == "applications":
        found = _newest(cohorts, lambda c: c.state is S.open) or _newest(
            cohorts, lambda c: c.state in (S.closed, S.selection)
        )
    elif page_kind == "offers":
        with_offers = _cohort_ids(select(Offer.cohort_id))
        found = (
            _newest(cohorts, lambda c: c.state in OPEN_FOR_OFFERS and c.id in with_offers)
            or _newest(cohorts, lambda c: c.state in OPEN_FOR_OFFERS)
            or _newest(cohorts, lambda c: c.id in with_offers)
        )
    elif page_kind == "matching":
        matched = _cohort_ids(
            select(MatchingRun.cohort_id).union(select(Placement.cohort_id)).subquery().select()
        )
        found = _newest(cohorts, lambda c: c.state is S.matching) or _newest(
            cohorts, lambda c: c.id in matched
        )
    elif page_kind == "agreements":
        placed = _cohort_ids(
            select(Placement.cohort_id).where(Placement.status == PlacementStatus.confirmed)
        )
        found = _newest(cohorts, lambda c: c.id in placed)
    elif page_kind == "followup":
        followed = _cohort_ids(select(Internship.cohort_id))
        found = _newest(cohorts, lambda c: c.state is S.abroad) or _newest(
            cohorts, lambda c: c.id in followed
        )
    return found or _newest(cohorts, lambda c: c.is_current) or (cohorts[0] if cohorts else None)


def _remembered(page_kind: str, user_id: int | None) -> int | None:
    from flask import session

    memory = session.get(SESSION_KEY)
    if not isinstance(memory, dict) or memory.get("user") != user_id:
        return None
    value = memory.get(page_kind)
    return value if isinstance(value, int) else None


def _remember(page_kind: str, user_id: int | None, cohort_id: int) -> None:
    from flask import session

    memory = session.get(SESSION_KEY)
    if not isinstance(memory, dict) or memory.get("user") != user_id:
        memory = {"user": user_id}
    if memory.get(page_kind) != cohort_id:
        session[SESSION_KEY] = {**memory, page_kind: cohort_id}


def working_cohort(page_kind: str) -> tuple[Cohort | None, list[Cohort]]:
    """The cohort a page of ``page_kind`` works on, with every cohort (newest first) for its
    selector.

    ``?cohort=<id>`` chooses it (404 if unknown) and, on a GET, is remembered for the user's
    session and that page family; without it, the cohort last chosen there, else the cohort at
    the page's stage (``stage_cohort``)."""
    from flask import abort, request
    from flask_login import current_user

    cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.year.desc())))
    user_id = current_user.id if current_user.is_authenticated else None
    requested = request.args.get("cohort", type=int)
    if requested is not None:
        cohort = next((c for c in cohorts if c.id == requested), None)
        if cohort is None:
            abort(404)
        if request.method == "GET":
            _remember(page_kind, user_id, cohort.id)
        return cohort, cohorts
    remembered = _remembered(page_kind, user_id)
    cohort = next((c for c in cohorts if c.id == remembered), None) if remembered else None
    return cohort or stage_cohort(page_kind, cohorts), cohorts
