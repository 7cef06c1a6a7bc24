"""Offers: a company's offers (create, edit, steps), the review list and the offer page.

Who sees an offer (``_viewer``):

- the contacts of the offer's company (``offer.manage``, approved) — every offer of theirs;
- coordinators and admins (``offer.review``) — every offer;
- a student whose application belongs to the offer's cohort, while the offer is published (any
  application status: a published offer is the programme's public call to the cohort), and a
  student proposed or placed on the offer (so that a filled offer stays readable to its intern);
- nobody else: 404, the offer is not revealed.

Every step goes through ``offers.services.transition`` (state machine, actor, French law).
"""

from __future__ import annotations

from decimal import Decimal
from itertools import groupby

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import select

from .. import internship_law
from ..applications.services import application_of
from ..cohorts.models import Cohort
from ..cohorts.services import current_cohort
from ..core.page_cache import kept
from ..core.pagination import paginate
from ..core.web import attempt, valid_or_again
from ..extensions import db
from ..hosts.models import Company
from ..main.working_cohort import working_cohort
from ..permissions import can, permission_required
from . import law, services
from .forms import OfferForm, TransitionForm
from .models import Offer, OfferStatus
from .services import (
    LANGUAGE_LABELS,
    MODE_LABELS,
    OPEN_FOR_OFFERS,
    POLE_LABELS,
    STATUS_LABELS,
    TRANSITION_LABELS,
)

bp = Blueprint("offers", __name__)

O = OfferStatus  # noqa: E741 - short alias, as in services

#: Bootstrap colour of each status badge.
STATUS_COLOURS = {
    O.draft: "bg-secondary",
    O.submitted: "bg-primary",
    O.approved: "bg-info text-dark",
    O.published: "bg-success",
    O.filled: "bg-dark",
    O.closed: "bg-light text-dark border",
}

#: Button style of each step.
STEP_STYLES = {
    O.submitted: "btn-primary",
    O.approved: "btn-success",
    O.published: "btn-success",
    O.filled: "btn-outline-secondary",
    O.closed: "btn-outline-danger",
}


# --- template helpers ------------------------------------------------------------------------


def money(value) -> str:
    """``Decimal("693")`` → ``693.00 €`` (``693,00 €`` in French); ``—`` when unknown."""
    if value is None:
        return "—"
    return f"{format_decimal(Decimal(value), '#,##0.00')} €"


def hours(value) -> str:
    """``Decimal("35.0")`` → ``35``, ``Decimal("35.5")`` → ``35.5`` (``35,5`` in French)."""
    if value is None:
        return "—"
    return format_decimal(Decimal(value), "#,##0.##")


@bp.context_processor
def _helpers() -> dict:
    return {
        "money": money,
        "hours": hours,
        "status_labels": STATUS_LABELS,
        "status_colours": STATUS_COLOURS,
        "pole_labels": POLE_LABELS,
        "language_labels": LANGUAGE_LABELS,
        "mode_labels": MODE_LABELS,
    }


# --- loading and authorisation ---------------------------------------------------------------


def _user():
    return current_user._get_current_object()


def _my_company() -> Company | None:
    if current_user.company_id is None:
        return None
    return db.session.get(Company, current_user.company_id)


def _offer_or_404(offer_id: int) -> Offer:
    offer = db.session.get(Offer, offer_id)
    if offer is None:
        abort(404)
    return offer


def _own_offer_or_404(offer_id: int) -> Offer:
    """An offer of the logged-in host's company; another company's offer is not revealed."""
    offer = _offer_or_404(offer_id)
    if current_user.company_id is None or offer.company_id != current_user.company_id:
        abort(404)
    return offer


def _student_may_read(offer: Offer) -> bool:
    from ..placements.models import Placement, PlacementStatus

    application = application_of(_user(), offer.cohort)
    if application is None:
        return False
    if offer.status is O.published:
        return True
    placed = db.session.scalar(
        select(Placement.id).where(
            Placement.offer_id == offer.id,
            Placement.application_id == application.id,
            Placement.status.in_((PlacementStatus.proposed, PlacementStatus.confirmed)),
        )
    )
    return placed is not None


def _viewer(offer: Offer) -> str | None:
    """ "staff", "host" (a contact of the offer's company), "student" or None (not allowed)."""
    if can(current_user, "offer.review"):
        return "staff"
    if can(current_user, "offer.manage"):
        return "host" if current_user.company_id == offer.company_id else None
    if can(current_user, "matching.rank") and _student_may_read(offer):
        return "student"
    return None


# --- the company's offers --------------------------------------------------------------------


@bp.route("/company/offers")
@kept
@permission_required("offer.manage")
def mine():
    company = _my_company()
    cohort = current_cohort()
    groups: list[tuple[Cohort, list[Offer]]] = []
    page = None
    if company is not None:
        current_id = cohort.id if cohort is not None else None
        page = paginate(services.company_offers_query(company, current_id))
        groups = [(c, list(items)) for c, items in groupby(page.items, key=lambda o: o.cohort)]
    return render_template(
        "offers/mine.html",
        company=company,
        cohort=cohort,
        groups=groups,
        page=page,
        why_not=_why_no_new_offer(company, cohort),
    )


def _why_no_new_offer(company: Company | None, cohort: Cohort | None) -> str | None:
    """Why the company cannot create an offer now (None: it can)."""
    if company is None:
        return _(
            "Your account is not linked to a host company. Ask a colleague who manages the "
            "company to invite you, or contact the programme coordinators."
        )
    if not company.is_approved:
        return _(
            "Your company is waiting for approval by the programme coordinators; you can create "
            "offers once it is approved."
        )
    if cohort is None:
        return _(
            "No cohort is open for offers yet. The programme coordinators will open the next "
            "cohort; you can then create offers."
        )
    if cohort.state not in OPEN_FOR_OFFERS:
        return _(
            "The %(cohort)s cohort no longer accepts new offers.",
            cohort=cohort.title or cohort.year,
        )
    return None


def _render_form(form: OfferForm, company: Company, offer: Offer | None, cohort, status=200):
    return (
        render_template("offers/form.html", form=form, company=company, offer=offer, cohort=cohort),
        status,
    )


def _flash_violations(offer: Offer) -> None:
    """After saving a draft: say at once what would refuse its submission."""
    report = law.check_offer(offer)
    if report.violations:
        flash(
            _(
                "As it stands, this offer breaks French internship law and cannot be submitted: "
                "%(reasons)s",
                reasons="; ".join(law.message(f) for f in report.violations),
            ),
            "warning",
        )


def _offer_form(form: OfferForm, company: Company, offer: Offer | None, cohort, action, success):
    """The offer form of ``create`` and ``edit``: shown on GET, shown again (400) with its
    errors or a rule's refusal; once saved, what would refuse its submission is said and the
    offer's page follows. ``action`` returns the new offer (None when ``offer`` is edited)."""
    if request.method == "GET":
        return _render_form(form, company, offer, cohort)
    valid_or_again(form, lambda form: _render_form(form, company, offer, cohort, 400))
    done = attempt(action, success)
    if not done:
        return _render_form(form, company, offer, cohort, 400)
    saved = done.value or offer
    _flash_violations(saved)
    return redirect(url_for("offers.detail", offer_id=saved.id))


@bp.route("/company/offers/new", methods=["GET", "POST"])
@permission_required("offer.manage")
def create():
    company = _my_company()
    cohort = current_cohort()
    if _why_no_new_offer(company, cohort) is not None:
        return redirect(url_for("offers.mine"))  # the list says why
    form = OfferForm(tutors=company.tutors)
    return _offer_form(
        form,
        company,
        None,
        cohort,
        lambda: services.create_offer(company, cohort, form.to_input(), _user()),
        _(
            "The offer is saved as a draft. Check it below, then submit it for approval by the "
            "programme."
        ),
    )


NOT_EDITABLE = {
    O.submitted: _l(
        "This offer is waiting for the programme's approval. To change it, take it back to "
        "draft first (“Back to draft”); you will then submit it again."
    ),
    O.approved: _l(
        "This offer is approved. To change it, use “Edit again (back to draft)”; it will then "
        "need a new approval."
    ),
    O.published: _l(
        "A published offer can no longer be changed: students may already have ranked it. "
        "Close it and create a new one if the post has changed."
    ),
    O.filled: _l("A filled offer can no longer be changed."),
    O.closed: _l("A closed offer can no longer be changed."),
}


@bp.route("/offers/<int:offer_id>/edit", methods=["GET", "POST"])
@permission_required("offer.manage")
def edit(offer_id: int):
    offer = _own_offer_or_404(offer_id)
    if offer.status is not O.draft:
        flash(str(NOT_EDITABLE[offer.status]), "warning")
        return redirect(url_for("offers.detail", offer_id=offer.id))
    company = offer.company
    form = OfferForm(obj=offer, tutors=company.tutors)
    return _offer_form(
        form,
        company,
        offer,
        offer.cohort,
        lambda: services.update_offer(offer, form.to_input(), _user()),
        _("The changes are saved."),
    )


# --- the offer page and its steps ------------------------------------------------------------


def _steps(offer: Offer, viewer: str) -> list[dict]:
    """The buttons of the steps the current user may take on ``offer``."""
    steps = []
    for target in services.allowed_transitions(offer, _user()):
        label = TRANSITION_LABELS[(offer.status, target)]
        if (offer.status, target) == (O.submitted, O.draft) and viewer == "host":
            label = _("Back to draft (withdraw to edit)")
        steps.append(
            {
                "target": target,
                "label": label,
                "style": STEP_STYLES.get(target, "btn-outline-secondary"),
                "needs_reason": (offer.status, target) == (O.submitted, O.draft)
                and viewer == "staff",
                "needs_confirm": target is O.closed,
            }
        )
    return steps


def _render_detail(
    offer: Offer, viewer: str, status: int = 200, form: TransitionForm | None = None
):
    report = law.check_offer(offer)
    staff_or_host = viewer in ("staff", "host")
    return (
        render_template(
            "offers/detail.html",
            offer=offer,
            viewer=viewer,
            report=report,
            violations=[law.message(f) for f in report.violations] if staff_or_host else [],
            warnings=[law.message(f) for f in report.warnings] if staff_or_host else [],
            steps=_steps(offer, viewer) if staff_or_host else [],
            form=form or TransitionForm(formdata=None),
            gratification_threshold=internship_law.GRATIFICATION_THRESHOLD_HOURS,
            leave_threshold=internship_law.LEAVE_REQUIRED_ABOVE_HOURS,
        ),
        status,
    )


@bp.route("/offers/<int:offer_id>")
@login_required
def detail(offer_id: int):
    offer = _offer_or_404(offer_id)
    viewer = _viewer(offer)
    if viewer is None:
        abort(404)
    return _render_detail(offer, viewer)


@bp.route("/offers/<int:offer_id>/transition", methods=["POST"])
@login_required
def transition(offer_id: int):
    if not (can(current_user, "offer.review") or can(current_user, "offer.manage")):
        abort(403)
    offer = _offer_or_404(offer_id)
    viewer = _viewer(offer)
    if viewer is None:
        abort(404)
    back = redirect(url_for("offers.detail", offer_id=offer.id))
    form = TransitionForm()
    try:
        target = OfferStatus((form.target.data or "").strip())
    except ValueError:
        flash(_("This step does not exist. Choose one of the buttons on this page."), "danger")
        return _render_detail(offer, viewer, 400)
    valid_or_again(form, lambda form: _render_detail(offer, viewer, 400, form))
    if (
        target is O.closed
        and target in services.TRANSITIONS[offer.status]
        and not form.confirm.data
    ):
        flash(_("Tick the box to confirm that you close the offer."), "danger")
        return back
    source = offer.status
    if not attempt(
        lambda: services.transition(offer, target, _user(), reason=form.reason.data),
        _("The offer is now “%(status)s”.", status=STATUS_LABELS[target]),
    ):
        return back
    if target is O.submitted:
        flash(_("The programme coordinators are notified and will review it."), "info")
    elif (source, target, viewer) == (O.submitted, O.draft, "staff"):
        flash(_("The company's contacts are e-mailed the reason."), "info")
    if target in (O.submitted, O.approved) and offer.law_warnings:
        flash(
            _(
                "Points to watch: %(warnings)s",
                warnings="; ".join(w.get("text", "") for w in offer.law_warnings),
            ),
            "warning",
        )
    return back


# --- the coordinators' review list -----------------------------------------------------------


@bp.route("/offers")
@kept
@permission_required("offer.review")
def review():
    cohort, cohorts = working_cohort("offers")
    raw_status = request.args.get("status") or ""
    status = OfferStatus(raw_status) if raw_status in OfferStatus.__members__ else None
    if raw_status and status is None:
        flash(_("Unknown status: every offer is shown."), "warning")
    page = None
    counts: dict[OfferStatus, int] = {}
    if cohort is not None:
        counts = services.status_counts(cohort)
        total = counts.get(status, 0) if status is not None else sum(counts.values())
        page = paginate(services.review_query(cohort, status), total=total)
    return render_template(
        "offers/review.html",
        cohorts=cohorts,
        cohort=cohort,
        page=page,
        offers=page.items if page is not None else [],
        counts=counts,
        total=sum(counts.values()),
        status=status,
    )
