"""Coordinators: matching settings, preview runs, commit, placements and unplaced students.

Every view: load → authorise (``matching.run``) → validate the form → call the service
(``placements.services``) → commit once; a refused rule (``DomainError``) is rolled back and
flashed. The pages work on the cohort named by ``?cohort=<id>``, else the one being matched or
last matched (``main.working_cohort``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import defer, joinedload

from ..accounts.forms import ConfirmForm
from ..agreements.models import Agreement
from ..applications.models import Application, ApplicationStatus
from ..cohorts.models import Cohort
from ..core.forms import row_form, row_prefix
from ..core.i18n import de
from ..core.page_cache import kept
from ..core.pagination import paginate, paginate_list
from ..core.timeutils import as_utc
from ..core.web import attempt, flash_form_errors, stop_with, valid_or_again
from ..extensions import db
from ..main.working_cohort import working_cohort
from ..offers.models import Offer
from ..permissions import permission_required
from . import services
from .forms import CancelPlacementForm, MatchingSettingsForm, ReleaseForm
from .models import (
    CompanyRanking,
    MatchingRun,
    Placement,
    PlacementStatus,
    StudentPreference,
)
from .views_student import explanation_lines

bp = Blueprint("matching", __name__)

#: Rows per page of the lists that carry a form on every row (placements, unplaced students).
ROWS_WITH_FORMS = 20


# --- cohort ------------------------------------------------------------------------------------


def _cohorts() -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).order_by(Cohort.year.desc())))


def _requested_cohort() -> tuple[Cohort | None, list[Cohort]]:
    """The cohort named by ``?cohort=<id>``, else the one last chosen, else the one being
    matched or last matched."""
    return working_cohort("matching")


def _some_cohort() -> tuple[Cohort, list[Cohort]]:
    """:func:`_requested_cohort` for a change to make: with no cohort yet, the response is the
    matching page saying so."""
    cohort, choices = _requested_cohort()
    if cohort is None:
        stop_with(_to_index(None, _("There is no cohort yet.")))
    return cohort, choices


def _to_index(cohort: Cohort | None, refusal: str | None = None):
    """Back to the matching page (of ``cohort``), saying first why the request is refused."""
    if refusal is not None:
        flash(refusal, "danger")
    if cohort is None:
        return redirect(url_for("matching.index"))
    return redirect(url_for("matching.index", cohort=cohort.id))


# --- the overview ------------------------------------------------------------------------------


@dataclass(frozen=True)
class OfferInput:
    offer: Offer
    free_seats: int
    candidates: int
    company_ranked: bool


@dataclass(frozen=True)
class Inputs:
    """What the next run would work on."""

    selected: int
    ranked: int  # selected students who ranked at least one offer
    to_place: int  # selected students without a placement who ranked at least one offer
    offers: list[OfferInput]

    @property
    def free_seats(self) -> int:
        return sum(row.free_seats for row in self.offers)

    @property
    def ranked_offers(self) -> list[OfferInput]:
        return [row for row in self.offers if row.company_ranked]

    @property
    def scores_stand_in(self) -> list[OfferInput]:
        return [row for row in self.offers if not row.company_ranked and row.candidates]


def _selected_preferences_per(key, cohort: Cohort) -> dict[int, int]:
    """``key`` → how many preferences the cohort's selected students gave (one query; their
    applications read first: ``services.selected_applications``)."""
    selected = services.selected_applications(cohort)
    return dict(
        db.session.execute(
            select(key, func.count())
            .join(selected, selected.c.id == StudentPreference.application_id)
            .join(Offer, Offer.id == StudentPreference.offer_id)
            .where(Offer.cohort_id == cohort.id)
            .group_by(key)
        ).all()
    )


def _preference_counts(cohort: Cohort) -> dict[int, int]:
    """Application id → number of offers ranked, for the cohort's selected students."""
    return _selected_preferences_per(StudentPreference.application_id, cohort)


def _inputs(cohort: Cohort, preference_counts: dict[int, int]) -> Inputs:
    student_prefs, _offer_prefs, capacities, _substituted = services.build_inputs(cohort)
    selected = db.session.scalar(
        select(func.count())
        .select_from(Application)
        .where(
            Application.cohort_id == cohort.id,
            Application.status == ApplicationStatus.selected,
        )
    )
    candidates = _selected_preferences_per(StudentPreference.offer_id, cohort)
    ranked_offers = set(
        db.session.scalars(
            select(CompanyRanking.offer_id)
            .join(Offer, Offer.id == CompanyRanking.offer_id)
            .where(Offer.cohort_id == cohort.id)
            .distinct()
        )
    )
    offers = [
        OfferInput(
            offer=offer,
            free_seats=capacities.get(str(offer.id), 0),
            candidates=candidates.get(offer.id, 0),
            company_ranked=offer.id in ranked_offers,
        )
        for offer in db.session.scalars(services.offer_inputs_query(cohort))
    ]
    return Inputs(
        selected=selected,
        ranked=len(preference_counts),
        to_place=sum(1 for prefs in student_prefs.values() if prefs),
        offers=offers,
    )


def _runs(cohort: Cohort) -> list[MatchingRun]:
    return list(
        db.session.scalars(
            select(MatchingRun)
            .options(
                joinedload(MatchingRun.created_by),
                defer(MatchingRun.inputs),
                defer(MatchingRun.result),
                defer(MatchingRun.explanations),
            )
            .where(MatchingRun.cohort_id == cohort.id)
            .order_by(MatchingRun.id.desc())
        )
    )


def _settings_form(cohort: Cohort) -> MatchingSettingsForm:
    settings = services.settings_for(cohort)
    return MatchingSettingsForm(
        formdata=None,
        data={
            "preferences_deadline_at": as_utc(settings.preferences_deadline_at)
            if settings.preferences_deadline_at
            else None,
            "company_deadline_at": as_utc(settings.company_deadline_at)
            if settings.company_deadline_at
            else None,
            "confirmation_days": settings.confirmation_days,
        },
    )


def _render_index(
    cohort: Cohort | None,
    choices: list[Cohort] | None = None,
    *,
    settings_form: MatchingSettingsForm | None = None,
    forms: dict | None = None,
    status: int = 200,
):
    forms = forms or {}
    if choices is None:
        choices = _cohorts()
    context: dict = {"cohort": cohort, "cohorts": choices}
    if cohort is not None:
        counts = _preference_counts(cohort)
        inputs = _inputs(cohort, counts)
        # ``?placements=<status>``: only the placements in that status (e.g. ``proposed``, the
        # ones awaiting the company's answer).
        shown_status = request.args.get("placements")
        if shown_status not in PlacementStatus.__members__:
            shown_status = None
        # A form on every row of these two lists: 20 rows a page by default.
        placements_page = paginate(
            services.placements_query(
                cohort, PlacementStatus(shown_status) if shown_status else None
            ),
            per_page=ROWS_WITH_FORMS,
        )
        unplaced_page = paginate(
            services.unplaced_query(cohort), param="unplaced_page", per_page=ROWS_WITH_FORMS
        )
        placements, unplaced = placements_page.items, unplaced_page.items
        context.update(
            settings=services.settings_for(cohort),
            settings_form=settings_form or _settings_form(cohort),
            inputs=inputs,
            offers_page=paginate_list(inputs.offers, param="offers_page"),
            runs=_runs(cohort),
            placements=placements,
            placements_page=placements_page,
            unplaced=unplaced,
            unplaced_page=unplaced_page,
            preference_counts=counts,
            cancellable={p.id for p in placements if services.cancel_refusal(p) is None},
            release_forms={a.id: row_form(ReleaseForm, "release", a.id, forms) for a in unplaced},
            run_form=ConfirmForm(formdata=None),
            status_labels=services.STATUS_LABELS,
            shown_status=shown_status,
            confirmed=services.confirmed_count(cohort),
        )
    return render_template("matching/index.html", **context), status


@bp.route("/matching")
@kept
@permission_required("matching.run")
def index():
    cohort, choices = _requested_cohort()
    return _render_index(cohort, choices)


@bp.route("/matching/settings", methods=["POST"])
@permission_required("matching.run")
def settings():
    cohort, choices = _some_cohort()
    form = valid_or_again(
        MatchingSettingsForm(),
        lambda form: _render_index(cohort, choices, settings_form=form, status=400),
    )

    def utc(value):
        return value.astimezone(UTC) if value is not None else None

    done = attempt(
        lambda: services.save_settings(
            cohort,
            utc(form.preferences_deadline_at.data),
            utc(form.company_deadline_at.data),
            form.confirmation_days.data,
            current_user._get_current_object(),
        ),
        _("The matching settings are saved."),
    )
    if not done:
        return _render_index(cohort, choices, settings_form=form, status=400)
    return _to_index(cohort)


# --- runs ----------------------------------------------------------------------------------------


@bp.route("/matching/run", methods=["POST"])
@permission_required("matching.run")
def run():
    cohort, _choices = _some_cohort()
    if not ConfirmForm().validate_on_submit():
        return _to_index(cohort, _("The form has expired; try again."))
    done = attempt(
        lambda: services.run_preview(cohort, current_user._get_current_object()),
        lambda matching_run: ngettext(
            "Preview computed: %(matched)d of %(num)d student matched. Nothing is proposed "
            "until you commit this run.",
            "Preview computed: %(matched)d of %(num)d students matched. Nothing is proposed "
            "until you commit this run.",
            matching_run.statistics.get("students", 0),
            matched=matching_run.statistics.get("matched", 0),
        ),
    )
    if not done:
        return _to_index(cohort)
    return redirect(url_for("matching.run_detail", run_id=done.value.id))


@dataclass(frozen=True)
class RunRow:
    application_id: str
    application: Application | None
    offer: Offer | None
    offer_id: str | None
    choice: int | None
    ranked: int
    lines: list


def _run_rows(run: MatchingRun) -> tuple[list[RunRow], dict[str, Offer]]:
    """The run's students with their result and explanation (one query for the applications,
    one for the offers)."""
    student_prefs: dict[str, list[str]] = run.inputs.get("student_prefs", {})
    app_ids = set(student_prefs) | set(run.result)
    offer_ids = set(run.inputs.get("capacities", {}))
    offer_ids |= {offer for prefs in student_prefs.values() for offer in prefs}
    offer_ids |= {offer for offer in run.result.values() if offer is not None}
    offer_ids |= set(run.substituted_offers or [])

    def ints(ids):
        return [int(i) for i in ids if str(i).isdigit()] or [0]

    applications = {
        str(a.id): a
        for a in db.session.scalars(
            select(Application)
            .options(joinedload(Application.student))
            .where(Application.id.in_(ints(app_ids)))
        )
    }
    offers = {
        str(o.id): o
        for o in db.session.scalars(
            select(Offer).options(joinedload(Offer.company)).where(Offer.id.in_(ints(offer_ids)))
        )
    }
    rows = []
    for app_id in app_ids:
        obtained = run.result.get(app_id)
        prefs = student_prefs.get(app_id, [])
        rows.append(
            RunRow(
                application_id=app_id,
                application=applications.get(app_id),
                offer=offers.get(obtained) if obtained is not None else None,
                offer_id=obtained,
                choice=prefs.index(obtained) + 1 if obtained in prefs else None,
                ranked=len(prefs),
                lines=explanation_lines(run, int(app_id), offers),
            )
        )

    def key(row: RunRow):
        a = row.application
        return (
            row.offer is None,
            (a.last_name or "").lower() if a else "",
            (a.first_name or "").lower() if a else "",
            row.application_id,
        )

    rows.sort(key=key)
    return rows, offers


@bp.route("/matching/runs/<int:run_id>")
@permission_required("matching.run")
def run_detail(run_id: int):
    matching_run = db.get_or_404(MatchingRun, run_id)
    rows, offers = _run_rows(matching_run)
    latest = db.session.scalar(
        select(func.max(MatchingRun.id)).where(MatchingRun.cohort_id == matching_run.cohort_id)
    )
    can_commit = matching_run.committed_at is None and latest == matching_run.id
    stale = False
    if can_commit:
        student_prefs, offer_prefs, capacities, _sub = services.build_inputs(matching_run.cohort)
        stale = (student_prefs, offer_prefs, capacities) != (
            matching_run.inputs.get("student_prefs"),
            matching_run.inputs.get("offer_prefs"),
            matching_run.inputs.get("capacities"),
        )
    stats = matching_run.statistics or {}
    students = stats.get("students", 0) or 0
    by_rank = sorted(
        ((int(rank), count) for rank, count in (stats.get("by_rank") or {}).items()),
    )
    return render_template(
        "matching/run.html",
        run=matching_run,
        cohort=matching_run.cohort,
        rows=rows,
        stats=stats,
        by_rank=[
            (rank, count, (100 * count / students) if students else 0.0) for rank, count in by_rank
        ],
        substituted=[
            offers.get(str(offer_id)) for offer_id in (matching_run.substituted_offers or [])
        ],
        can_commit=can_commit,
        latest=latest,
        stale=stale,
        commit_form=ConfirmForm(formdata=None),
    )


@bp.route("/matching/runs/<int:run_id>/commit", methods=["POST"])
@permission_required("matching.run")
def commit(run_id: int):
    matching_run = db.get_or_404(MatchingRun, run_id)
    cohort = matching_run.cohort
    back = redirect(url_for("matching.run_detail", run_id=matching_run.id))
    if not ConfirmForm().validate_on_submit():
        flash(_("The form has expired; try again."), "danger")
        return back
    done = attempt(
        lambda: services.commit_run(matching_run, current_user._get_current_object()),
        lambda placements: ngettext(
            "%(num)d placement is proposed; the student and the company are e-mailed.",
            "%(num)d placements are proposed; the students and the companies are e-mailed.",
            len(placements),
        ),
    )
    return _to_index(cohort) if done else back


# --- placements and unplaced students ------------------------------------------------------


@bp.route("/matching/placements/<int:placement_id>/cancel", methods=["GET", "POST"])
@permission_required("matching.run")
def cancel_placement(placement_id: int):
    """A confirmation page: who and what is cancelled, what follows, and the reason (kept on
    the placement, in the e-mails and in the audit). Refused, with the reason, once the cohort
    is past the stage where a placement can be cancelled."""
    placement = db.get_or_404(Placement, placement_id)
    cohort = placement.cohort
    refusal = services.cancel_refusal(placement)
    if refusal is not None:
        return _to_index(cohort, refusal)
    prefix = row_prefix("cancel", placement.id)
    form = CancelPlacementForm(prefix=prefix)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            name = placement.application.full_name
            attempt(
                lambda: services.cancel(
                    placement, form.reason.data, current_user._get_current_object()
                ),
                lambda _value: _(
                    "The placement %(of_name)s is cancelled; the student and the seat are "
                    "free for the next run.",
                    of_name=de(name),
                ),
            )
            return _to_index(cohort)
        flash_form_errors(form)
        status = 400
    agreement = db.session.scalar(select(Agreement).where(Agreement.placement_id == placement.id))
    return (
        render_template(
            "matching/cancel.html",
            placement=placement,
            cohort=cohort,
            agreement=agreement,
            form=form,
            status_labels=services.STATUS_LABELS,
        ),
        status,
    )


@bp.route("/matching/applications/<int:application_id>/release", methods=["POST"])
@permission_required("matching.run")
def release(application_id: int):
    application = db.get_or_404(Application, application_id)
    cohort = application.cohort
    prefix = row_prefix("release", application.id)
    form = ReleaseForm(prefix=prefix)
    if not form.validate_on_submit():
        flash_form_errors(form)
        if application.status is not ApplicationStatus.selected:
            return _to_index(cohort)
        return _render_index(cohort, forms={prefix: form}, status=400)
    name = application.full_name
    attempt(
        lambda: services.release_unplaced(
            application, form.reason.data, current_user._get_current_object()
        ),
        _(
            "%(name)s is released and e-mailed; the seat is offered to the next student on the "
            "waiting list, if any.",
            name=name,
        ),
    )
    return _to_index(cohort)
