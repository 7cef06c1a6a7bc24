"""Host contacts: their company's interns and incident reports.

Every page is for a contact of an approved company and shows only that company's interns:
another company's intern is a 404. The incidents listed are those the company's contacts
reported (what the intern reports stays between the intern and the programme team).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..accounts.models import User
from ..agreements.models import Agreement
from ..core.page_cache import kept
from ..core.timeutils import utcnow
from ..core.web import attempt, owned_or_404, valid_or_again
from ..extensions import db
from ..hosts.models import Company, Tutor
from ..hosts.views_host import host_company
from ..offers.models import Offer
from ..permissions import permission_required
from ..placements.models import Placement
from . import services
from .forms import IncidentForm
from .forms_staff import EVALUATION_KIND_LABELS
from .models import (
    Incident,
    IncidentStatus,
    Internship,
    InternshipOutcome,
    Severity,
    TutorEvaluation,
)
from .views_staff import intern_loads
from .views_student import INCIDENT_STATUS_COLOURS, SEVERITY_COLOURS

bp = Blueprint("host_interns", __name__)

#: Shown to companies in French time.
HOST_ZONE = "Europe/Paris"


@dataclass
class InternRow:
    internship: Internship
    name: str
    offer: Offer
    tutor: Tutor | None
    start: date
    end: date
    status: str
    colour: str
    current: bool


def _own_internship(company: Company, internship_id: int) -> Internship:
    return owned_or_404(Internship, internship_id, services.company_id_of, company.id)


def _status(internship: Internship, start: date, end: date, today: date) -> tuple[str, str]:
    if internship.outcome is InternshipOutcome.ended_early:
        return _("Ended early"), "danger"
    if internship.outcome is InternshipOutcome.completed or today > end:
        return _("Completed"), "secondary"
    if today < start:
        return _("Starting soon"), "info"
    if internship.arrived_on is None:
        return _("Arrival not confirmed yet"), "warning"
    return _("In progress"), "success"


def _rows(company: Company, today: date) -> list[InternRow]:
    """The company's interns, current and past (a fixed number of queries)."""
    internships = list(
        db.session.scalars(
            select(Internship)
            .join(Placement, Placement.id == Internship.placement_id)
            .join(Offer, Offer.id == Placement.offer_id)
            .where(Offer.company_id == company.id)
            .options(*intern_loads(offer_to=Offer.tutor))
            .order_by(Offer.start_on.desc(), Internship.id)
        ).unique()
    )
    agreements = {
        a.placement_id: a
        for a in db.session.scalars(
            select(Agreement)
            .options(joinedload(Agreement.tutor))
            .where(Agreement.placement_id.in_([i.placement_id for i in internships] or [0]))
        )
    }
    rows = []
    for internship in internships:
        placement = internship.placement
        agreement = agreements.get(placement.id)
        if agreement is not None:
            start, end = agreement.start_on, agreement.ended_on or agreement.end_on
            tutor = agreement.tutor or placement.offer.tutor
        else:
            start, end = placement.offer.start_on, placement.offer.end_on
            tutor = placement.offer.tutor
        if internship.ended_on is not None:
            end = min(end, internship.ended_on)
        status, colour = _status(internship, start, end, today)
        rows.append(
            InternRow(
                internship=internship,
                name=placement.application.full_name,
                offer=placement.offer,
                tutor=tutor,
                start=start,
                end=end,
                status=status,
                colour=colour,
                current=internship.outcome is InternshipOutcome.ongoing and today <= end,
            )
        )
    return rows


def _incidents(company: Company, rows: list[InternRow]) -> list[Incident]:
    ids = [r.internship.id for r in rows]
    return list(
        db.session.scalars(
            select(Incident)
            .join(User, User.id == Incident.reported_by_id)
            .options(joinedload(Incident.reported_by))
            .where(Incident.internship_id.in_(ids or [0]), User.company_id == company.id)
            .order_by(Incident.created_at.desc(), Incident.id.desc())
        )
    )


def _awaited_evaluations(rows: list[InternRow]) -> dict[int, list[TutorEvaluation]]:
    """Internship id → the tutor evaluations whose link is out and not answered yet."""
    awaited: dict[int, list[TutorEvaluation]] = {}
    for evaluation in db.session.scalars(
        select(TutorEvaluation)
        .where(
            TutorEvaluation.internship_id.in_([r.internship.id for r in rows] or [0]),
            *services.evaluation_awaited_clause(utcnow()),
        )
        .order_by(TutorEvaluation.id)
    ):
        awaited.setdefault(evaluation.internship_id, []).append(evaluation)
    return awaited


def _render(
    company: Company,
    form: IncidentForm | None = None,
    form_internship_id: int | None = None,
    status: int = 200,
):
    today = date.today()
    rows = _rows(company, today)
    # ``?show=evaluations``: only the interns whose tutor evaluation is awaited;
    # ``?show=incidents``: only the incidents not closed yet.
    show = request.args.get("show")
    if show not in ("evaluations", "incidents"):
        show = None
    awaited = _awaited_evaluations(rows)
    incidents = _incidents(company, rows)
    names = {r.internship.id: r.name for r in rows}
    if show == "evaluations":
        rows = [r for r in rows if r.internship.id in awaited]
    elif show == "incidents":
        incidents = [i for i in incidents if i.status is not IncidentStatus.closed]
    return (
        render_template(
            "host_interns/index.html",
            company=company,
            current=[r for r in rows if r.current],
            past=[r for r in rows if not r.current],
            names=names,
            incidents=incidents,
            awaited=awaited,
            show=show,
            kind_labels=EVALUATION_KIND_LABELS,
            form=form,
            blank_form=IncidentForm(formdata=None, occurred_on=today),
            form_internship_id=form_internship_id,
            category_labels=services.CATEGORY_LABELS,
            severity_labels=services.SEVERITY_LABELS,
            severity_colours=SEVERITY_COLOURS,
            incident_status_labels=services.INCIDENT_STATUS_LABELS,
            incident_status_colours=INCIDENT_STATUS_COLOURS,
            zone=HOST_ZONE,
        ),
        status,
    )


@bp.get("/company/interns")
@kept
@permission_required("followup.host")
def index():
    return _render(host_company())


@bp.post("/company/interns/<int:internship_id>/incidents")
@permission_required("followup.host")
def report_incident(internship_id: int):
    company = host_company()
    internship = _own_internship(company, internship_id)
    form = IncidentForm()
    valid_or_again(form, lambda form: _render(company, form, internship.id, status=400))
    done = attempt(
        lambda: services.report_incident(
            internship, current_user._get_current_object(), *form.details()
        )
    )
    if not done:
        return _render(company, form, internship.id, status=400)
    if done.value.severity is Severity.critical:
        flash(
            _("The incident is reported: every coordinator of the programme has been alerted."),
            "warning",
        )
    else:
        flash(_("The incident is reported to the programme team."), "success")
    return redirect(url_for("host_interns.index"))
