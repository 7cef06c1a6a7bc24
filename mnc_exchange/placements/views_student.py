"""Selected students rank published offers, and read what the matching gave them and why.

The application is always the logged-in student's own for the current cohort: no URL carries
an id.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..applications import services as app_services
from ..applications.models import Application
from ..cohorts.services import current_cohort
from ..core.page_cache import kept
from ..core.web import attempt, valid_or_again
from ..extensions import db
from ..offers import services as offer_services
from ..offers.models import Offer
from ..permissions import permission_required
from . import services
from .forms import RankingForm
from .models import ACTIVE_PLACEMENT, MAX_PREFERENCES, MatchingRun, Placement

bp = Blueprint("my_ranking", __name__)


def explanation_lines(run: MatchingRun, application_id: int, offers: dict[str, Offer]) -> list:
    """The explanation of ``run`` for one student, as dicts for templates (offer, rank, text)."""
    lines = []
    for item in run.explanations.get(str(application_id), []):
        label = services.REASON_LABELS.get(item.get("reason"))
        text = (
            str(label) % {"rank": item.get("rank"), "capacity": item.get("capacity")}
            if label is not None
            else item.get("reason", "")
        )
        lines.append(
            {
                "offer": offers.get(str(item.get("offer"))),
                "offer_id": item.get("offer"),
                "rank": item.get("rank"),
                "reason": item.get("reason"),
                "text": text,
            }
        )
    return lines


def _my_result(application: Application) -> dict | None:
    """The student's line of the latest committed run that included them."""
    runs = db.session.scalars(
        select(MatchingRun)
        .where(
            MatchingRun.cohort_id == application.cohort_id,
            MatchingRun.committed_at.is_not(None),
        )
        .order_by(MatchingRun.id.desc())
    )
    run = next((r for r in runs if str(application.id) in r.explanations), None)
    if run is None:
        return None
    wanted = {str(item.get("offer")) for item in run.explanations[str(application.id)]}
    obtained = run.result.get(str(application.id))
    if obtained is not None:
        wanted.add(str(obtained))
    ids = [int(offer_id) for offer_id in wanted if str(offer_id).isdigit()]
    offers = {
        str(offer.id): offer
        for offer in db.session.scalars(
            select(Offer).options(joinedload(Offer.company)).where(Offer.id.in_(ids or [0]))
        )
    }
    return {
        "run": run,
        "offer": offers.get(str(obtained)) if obtained is not None else None,
        "lines": explanation_lines(run, application.id, offers),
    }


def _placement(application: Application) -> Placement | None:
    """The student's current placement, else the most recent one (declined or cancelled)."""
    placements = db.session.scalars(
        select(Placement)
        .options(joinedload(Placement.offer).joinedload(Offer.company))
        .where(Placement.application_id == application.id)
        .order_by(Placement.id.desc())
    ).all()
    active = [p for p in placements if p.status in ACTIVE_PLACEMENT]
    return active[0] if active else (placements[0] if placements else None)


def _render(cohort, application, form=None, status: int = 200):
    closed_reason = offers = preferences = placement = result = None
    settings = None
    if application is not None:
        closed_reason = services.ranking_closed_reason(application)
        preferences = services.preferences(application)
        placement = _placement(application)
        result = _my_result(application)
        settings = services.settings_for(cohort)
        if closed_reason is None:
            offers = offer_services.published_offers(cohort)
            if form is None:
                data = {f"choice_{p.rank}": str(p.offer_id) for p in preferences}
                form = RankingForm(formdata=None, data=data, offers=offers)
    return (
        render_template(
            "my_ranking/index.html",
            cohort=cohort,
            application=application,
            closed_reason=closed_reason,
            settings=settings,
            offers=offers,
            preferences=preferences,
            placement=placement,
            result=result,
            form=form,
            max_preferences=MAX_PREFERENCES,
            status_labels=services.STATUS_LABELS,
            offer_status_labels=offer_services.STATUS_LABELS,
            pole_labels=offer_services.POLE_LABELS,
        ),
        status,
    )


def _back(refusal: str | None = None):
    """Back to the student's ranking page, saying first why the request is refused."""
    if refusal is not None:
        flash(refusal, "danger")
    return redirect(url_for("my_ranking.index"))


@bp.route("/my/offers", methods=["GET", "POST"])
@kept
@permission_required("matching.rank")
def index():
    cohort = current_cohort()
    application = (
        app_services.application_of(current_user._get_current_object(), cohort)
        if cohort is not None
        else None
    )
    if request.method != "POST":
        return _render(cohort, application)
    if application is None:
        return _back(_("You have no application for the current call."))
    reason = services.ranking_closed_reason(application)
    if reason:
        return _back(reason)
    offers = offer_services.published_offers(cohort)
    form = RankingForm(offers=offers)
    valid_or_again(form, lambda form: _render(cohort, application, form=form, status=400))
    offer_ids = form.offer_ids()
    done = attempt(
        lambda: services.set_preferences(application, offer_ids, current_user._get_current_object())
    )
    if not done:
        return _render(cohort, application, form=form, status=400)
    if offer_ids:
        flash(_("Your ranking is saved. You can change it until the deadline."), "success")
    else:
        flash(
            _("Your ranking is empty: the matching cannot propose you any offer."),
            "warning",
        )
    return _back()
