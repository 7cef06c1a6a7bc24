"""The student's side of the selection: interview, result, seat offers.

The application is always the logged-in student's own for the current cohort: no URL carries
an id. What the student sees goes through ``services.visible_status``: a decision (selected,
waitlisted, not selected) stays hidden until a coordinator publishes the decisions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from wtforms import BooleanField, HiddenField, SubmitField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length, Optional, ValidationError

from ..applications import services as app_services
from ..applications.models import Application, ApplicationStatus
from ..cohorts.models import Cohort
from ..cohorts.services import current_cohort
from ..core.forms import AppForm, strip
from ..core.page_cache import kept
from ..core.timeutils import as_utc, utcnow
from ..core.web import attempt, stop_with, valid_or_again
from ..extensions import db
from ..permissions import permission_required
from . import services
from .models import Interview, SeatOffer, SeatOfferStatus
from .queries import BEFORE_SELECTION, first_open

bp = Blueprint("my_selection", __name__, url_prefix="/application/selection")

A = ApplicationStatus

#: What the student reads for each status they may see (``services.visible_status``).
SELECTION_LABELS = {
    A.eligible: _l("Under review"),
    A.scored: _l("Under review"),
    A.shortlisted: _l("Shortlisted for an interview"),
    A.interviewed: _l("Interview done: awaiting the result"),
    A.selected: _l("Selected"),
    A.rejected: _l("Not selected"),
    A.withdrawn: _l("Withdrawn"),
}

COLOURS = {
    A.draft: "secondary",
    A.submitted: "primary",
    A.returned: "warning",
    A.eligible: "info",
    A.ineligible: "danger",
    A.scored: "info",
    A.shortlisted: "primary",
    A.interviewed: "primary",
    A.selected: "success",
    A.waitlisted: "warning",
    A.rejected: "secondary",
    A.withdrawn: "dark",
}

OFFER_LABELS = {
    SeatOfferStatus.open: _l("open"),
    SeatOfferStatus.accepted: _l("accepted"),
    SeatOfferStatus.declined: _l("declined"),
    SeatOfferStatus.expired: _l("expired without an answer"),
}


# --- what the student may see ----------------------------------------------------------------


@dataclass(frozen=True)
class SelectionView:
    """Everything the student's pages show about the selection, never more than published."""

    application: Application
    status: ApplicationStatus  # the visible status (a decision only once published)
    label: str
    colour: str
    published: bool
    in_selection: bool  # reached the selection round (eligible, or further)
    waitlist_rank: int | None = None
    interview: Interview | None = None
    offer: SeatOffer | None = None  # the open seat offer, if any
    offer_expired: bool = False  # the open offer's deadline has passed (not yet closed)
    past_offers: list[SeatOffer] = field(default_factory=list)
    can_decline_seat: bool = False


def _label(status: ApplicationStatus, waitlist_rank: int | None) -> str:
    if status is A.waitlisted:
        if waitlist_rank is not None:
            return _("Waitlisted, rank %(rank)d", rank=waitlist_rank)
        return _("Waitlisted")
    if status in SELECTION_LABELS:
        return str(SELECTION_LABELS[status])
    return str(app_services.STATUS_LABELS[status])


def selection_view(application: Application) -> SelectionView:
    status = services.visible_status(application)
    published = services.is_published(application.cohort)
    waitlist_rank = application.waitlist_rank if status is A.waitlisted else None
    interview = db.session.scalar(
        select(Interview).where(Interview.application_id == application.id)
    )
    offers = []
    if published:  # seats are offered only once the decisions are published
        offers = list(
            db.session.scalars(
                select(SeatOffer)
                .where(SeatOffer.application_id == application.id)
                .order_by(SeatOffer.offered_at.desc(), SeatOffer.id.desc())
            )
        )
    offer = first_open(offers)
    return SelectionView(
        application=application,
        status=status,
        label=_label(status, waitlist_rank),
        colour=COLOURS.get(status, "secondary"),
        published=published,
        in_selection=application.status not in BEFORE_SELECTION,
        waitlist_rank=waitlist_rank,
        interview=interview,
        offer=offer,
        offer_expired=offer is not None and as_utc(offer.deadline_at) < utcnow(),
        past_offers=[o for o in offers if o is not offer],
        can_decline_seat=status is A.selected,
    )


def my_selection(application: Application | None) -> SelectionView | None:
    """For templates (the student's dashboard and application page): what the student may see
    of ``application``'s selection, or None."""
    if application is None:
        return None
    return selection_view(application)


@bp.app_context_processor
def _inject() -> dict:
    return {"my_selection": my_selection}


# --- forms -----------------------------------------------------------------------------------


class OfferResponseForm(AppForm):
    offer_id = HiddenField()
    response = HiddenField(
        validators=[
            AnyOf(("accept", "decline"), message=_l("Choose to accept or to decline the seat."))
        ]
    )
    confirm = BooleanField(
        _l("I confirm that I decline the seat: my application is withdrawn. This cannot be undone.")
    )

    def validate_confirm(self, field) -> None:
        if self.response.data == "decline" and not field.data:
            raise ValidationError(_l("Tick the box to confirm that you decline the seat."))


class DeclineSeatForm(AppForm):
    reason = TextAreaField(
        _l("Reason (optional)"),
        filters=[strip],
        validators=[Optional(), Length(max=1000, message=_l("At most %(max)d characters."))],
        render_kw={"rows": 3},
    )
    confirm = BooleanField(
        _l(
            "I confirm that I decline my seat: my application is withdrawn and the seat goes to "
            "the next student. This cannot be undone."
        ),
        validators=[
            DataRequired(message=_l("Tick the box to confirm that you decline your seat."))
        ],
    )
    decline = SubmitField(_l("Decline my seat"))


# --- loading and rendering -------------------------------------------------------------------


def _my_application(cohort: Cohort | None) -> Application | None:
    if cohort is None:
        return None
    return app_services.application_of(current_user._get_current_object(), cohort)


def _applied(cohort: Cohort | None) -> Application:
    """The student's application to ``cohort``; without one, the response is the page again
    saying so."""
    application = _my_application(cohort)
    if application is None:
        stop_with(_back(_("You have no application for the current call.")))
    return application


def _back(refusal: str | None = None):
    """Back to the student's selection page, saying first why the request is refused."""
    if refusal is not None:
        flash(refusal, "danger")
    return redirect(url_for("my_selection.index"))


def _render(
    cohort: Cohort | None,
    application: Application | None,
    *,
    offer_form: OfferResponseForm | None = None,
    decline_form: DeclineSeatForm | None = None,
    status: int = 200,
):
    view = selection_view(application) if application is not None else None
    return (
        render_template(
            "my_selection/index.html",
            cohort=cohort,
            application=application,
            selection=view,
            offer_form=offer_form or OfferResponseForm(formdata=None),
            decline_form=decline_form or DeclineSeatForm(formdata=None),
            offer_labels=OFFER_LABELS,
        ),
        status,
    )


# --- routes ----------------------------------------------------------------------------------


@bp.get("/")
@kept
@permission_required("application.apply")
def index():
    cohort = current_cohort()
    return _render(cohort, _my_application(cohort))


@bp.post("/offer")
@permission_required("application.apply")
def respond():
    cohort = current_cohort()
    application = _applied(cohort)
    form = OfferResponseForm()
    offer = services.open_offer(application) if services.is_published(cohort) else None
    if offer is None or (form.offer_id.data and form.offer_id.data != str(offer.id)):
        return _back(_("This offer is no longer open."))
    valid_or_again(form, lambda form: _render(cohort, application, offer_form=form, status=400))
    accept = form.response.data == "accept"
    done = attempt(lambda: services.respond_to_offer(offer, accept))
    if done and accept:
        flash(_("You accepted the seat: you are selected. Congratulations!"), "success")
    elif done:
        flash(_("You declined the seat; it goes to the next student on the waitlist."), "info")
    return _back()


@bp.post("/decline")
@permission_required("application.apply")
def decline_seat():
    cohort = current_cohort()
    application = _applied(cohort)
    if services.visible_status(application) is not A.selected:
        return _back(_("You have no seat to decline."))
    form = valid_or_again(
        DeclineSeatForm(),
        lambda form: _render(cohort, application, decline_form=form, status=400),
    )
    attempt(
        lambda: app_services.withdraw(
            application, form.reason.data or _("Seat declined by the student.")
        ),
        _("You declined your seat; it goes to the next student on the waitlist."),
        category="info",
    )
    return _back()
