"""Companies: candidates who ranked their offers, their ranking, and proposed placements.

Every page is for a contact of an approved company and shows only that company's objects:
another company's offer, placement or a student who did not rank the company's offers is a 404.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..accounts.forms import ConfirmForm
from ..applications.access import HOST_DOCUMENT_KINDS
from ..applications.models import Application
from ..applications.reference import DOCUMENT_LABELS, POLE_LABELS
from ..core.forms import row_form, row_prefix
from ..core.i18n import de
from ..core.page_cache import kept
from ..core.timeutils import as_utc, utcnow
from ..core.web import attempt, flash_form_errors, owned_or_404, valid_or_again
from ..extensions import db
from ..hosts.models import Company
from ..hosts.views_host import host_company
from ..offers import services as offer_services
from ..offers.models import Offer
from ..permissions import permission_required
from . import services
from .forms import DeclinePlacementForm, candidate_ranking_form
from .models import Placement, PlacementStatus, StudentPreference

bp = Blueprint("candidates", __name__)

#: Shown to companies in French time.
HOST_ZONE = "Europe/Paris"


def _own_offer(company: Company, offer_id: int) -> Offer:
    return owned_or_404(Offer, offer_id, lambda offer: offer.company_id, company.id)


def _own_placement(company: Company, placement_id: int) -> Placement:
    return owned_or_404(
        Placement, placement_id, lambda placement: placement.offer.company_id, company.id
    )


# --- candidates of an offer ---------------------------------------------------------------------


def _render_offer(offer: Offer, form=None, status: int = 200):
    candidates = services.candidates_for_offer(offer)
    rankings = services.company_rankings(offer)
    if form is None:
        form = candidate_ranking_form(candidates, rankings)
    return (
        render_template(
            "candidates/offer.html",
            offer=offer,
            candidates=candidates,
            judged=set(rankings),
            form=form,
            closed_reason=services.company_ranking_closed_reason(offer),
            settings=services.settings_for(offer.cohort),
            offer_status_labels=offer_services.STATUS_LABELS,
            zone=HOST_ZONE,
        ),
        status,
    )


@bp.route("/company/offers/<int:offer_id>/candidates", methods=["GET", "POST"])
@permission_required("matching.rank_candidates")
def offer(offer_id: int):
    company = host_company()
    offer = _own_offer(company, offer_id)
    if request.method != "POST":
        return _render_offer(offer)
    back = redirect(url_for("candidates.offer", offer_id=offer.id))
    reason = services.company_ranking_closed_reason(offer)
    if reason:
        flash(reason, "danger")
        return back
    candidates = services.candidates_for_offer(offer)
    if not candidates:
        flash(_("Nobody has ranked this offer yet: there is no candidate to rank."), "info")
        return back
    form = candidate_ranking_form(candidates, formdata=request.form)
    valid_or_again(form, lambda form: _render_offer(offer, form, 400))
    done = attempt(
        lambda: services.set_company_ranking(
            offer, form.entries(), current_user._get_current_object()
        ),
        _("Your ranking of the candidates is saved."),
    )
    return back if done else _render_offer(offer, form, 400)


# --- a candidate's profile ------------------------------------------------------------------------


@bp.route("/company/candidates/<int:application_id>")
@permission_required("matching.rank_candidates")
def profile(application_id: int):
    company = host_company()
    application = db.get_or_404(Application, application_id)
    if not services.company_can_see(company, application):
        abort(404)
    documents = [
        document
        for kind, versions in application.current_documents().items()
        if kind in HOST_DOCUMENT_KINDS
        for document in versions
    ]
    return render_template(
        "candidates/profile.html",
        application=application,
        documents=documents,
        offers=_offers_ranked_by(company, application),
        pole_labels=POLE_LABELS,
        document_labels=DOCUMENT_LABELS,
    )


def _offers_ranked_by(company: Company, application: Application) -> list[Offer]:
    """The company's offers this candidate ranked (for links back to the ranking pages)."""
    return list(
        db.session.scalars(
            select(Offer)
            .join(StudentPreference, StudentPreference.offer_id == Offer.id)
            .where(
                StudentPreference.application_id == application.id,
                Offer.company_id == company.id,
            )
            .order_by(Offer.title, Offer.id)
        )
    )


# --- proposed placements ----------------------------------------------------------------------


def _render_placements(company: Company, forms: dict | None = None, status: int = 200):
    forms = forms or {}
    placements = services.placements_for_company(company)
    groups = {s: [] for s in PlacementStatus}
    for placement in placements:
        groups[placement.status].append(placement)
    groups[PlacementStatus.proposed].sort(
        key=lambda p: (p.respond_by_at is None, p.respond_by_at and as_utc(p.respond_by_at), p.id)
    )
    decline_forms = {
        p.id: row_form(DeclinePlacementForm, "decline", p.id, forms)
        for p in groups[PlacementStatus.proposed]
    }
    return (
        render_template(
            "candidates/placements.html",
            company=company,
            groups=groups,
            decline_forms=decline_forms,
            confirm_form=ConfirmForm(formdata=None),
            status_labels=services.STATUS_LABELS,
            now=utcnow(),
            as_utc=as_utc,
            zone=HOST_ZONE,
        ),
        status,
    )


@bp.route("/company/placements")
@kept
@permission_required("placement.respond")
def placements():
    return _render_placements(host_company())


def _back_to_placements(refusal: str | None = None):
    """Back to the company's placements, saying first why the request is refused."""
    if refusal is not None:
        flash(refusal, "danger")
    return redirect(url_for("candidates.placements"))


@bp.route("/company/placements/<int:placement_id>/confirm", methods=["POST"])
@permission_required("placement.respond")
def confirm(placement_id: int):
    company = host_company()
    placement = _own_placement(company, placement_id)
    if not ConfirmForm().validate_on_submit():
        return _back_to_placements(_("The form has expired; try again."))
    name = placement.application.full_name
    attempt(
        lambda: services.confirm(placement, current_user._get_current_object()),
        _("The placement %(of_name)s is confirmed; the student is e-mailed.", of_name=de(name)),
    )
    return _back_to_placements()


@bp.route("/company/placements/<int:placement_id>/decline", methods=["POST"])
@permission_required("placement.respond")
def decline(placement_id: int):
    company = host_company()
    placement = _own_placement(company, placement_id)
    prefix = row_prefix("decline", placement.id)
    form = DeclinePlacementForm(prefix=prefix)
    if not form.validate_on_submit():
        flash_form_errors(form)
        if placement.status is not PlacementStatus.proposed:
            return _back_to_placements()
        return _render_placements(company, {prefix: form}, 400)
    name = placement.application.full_name
    attempt(
        lambda: services.decline(placement, form.reason.data, current_user._get_current_object()),
        _(
            "You declined the placement %(of_name)s; the student and the coordinators are "
            "informed.",
            of_name=de(name),
        ),
        category="info",
    )
    return _back_to_placements()
