"""The reviewers' pages: my reviews, blind scoring, conflicts of interest.

An assignment is visible only to its reviewer (anyone else gets 404). Reviewing is blind: the
other reviewers' scores appear only once the reviewer has submitted their own
(``services.can_see_other_reviews``).
"""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_decimal
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..applications import services as app_services
from ..applications.models import Application, ApplicationStatus
from ..applications.reference import DOCUMENT_LABELS, GENDER_LABELS, POLE_LABELS, REGIONS
from ..cohorts.models import Cohort
from ..core.page_cache import kept
from ..core.web import attempt, valid_or_again
from ..extensions import db
from ..permissions import permission_required
from . import services
from .forms_reviewer import ConflictForm, ReviewForm, format_max, review_form
from .models import AssignmentStatus, ReviewAssignment, RubricCriterion

bp = Blueprint("reviews", __name__, url_prefix="/reviews")

S = AssignmentStatus


def fmt_score(value) -> str:
    """A score or total in the reader's language (``12,5`` in French)."""
    if value is None:
        return "—"
    return format_decimal(Decimal(value), format="#,##0.##", locale=str(get_locale()))


# --- loading ---------------------------------------------------------------------------------


def _my_assignment(assignment_id: int) -> ReviewAssignment:
    """The logged-in reviewer's own assignment; 404 for anyone else's (not revealed)."""
    assignment = db.session.scalar(
        select(ReviewAssignment)
        .where(ReviewAssignment.id == assignment_id)
        .options(
            joinedload(ReviewAssignment.application).selectinload(Application.documents),
            selectinload(ReviewAssignment.scores),
        )
    )
    if assignment is None or assignment.reviewer_id != current_user.id:
        abort(404)
    return assignment


def _file_criteria(cohort: Cohort) -> list[RubricCriterion]:
    """The criteria the file reviewers score (the interview is scored at the interview)."""
    return [c for c in services.rubric_for(cohort) if not c.is_interview]


def _can_score(assignment: ReviewAssignment) -> bool:
    return (
        assignment.status is S.assigned
        and assignment.application.status is ApplicationStatus.eligible
    )


# --- routes ----------------------------------------------------------------------------------


@bp.get("/")
@kept
@permission_required("selection.review")
def index():
    assignments = db.session.scalars(
        select(ReviewAssignment)
        .join(Application, Application.id == ReviewAssignment.application_id)
        .join(Cohort, Cohort.id == Application.cohort_id)
        .where(ReviewAssignment.reviewer_id == current_user.id)
        .options(
            joinedload(ReviewAssignment.application).joinedload(Application.cohort),
            joinedload(ReviewAssignment.application).joinedload(Application.student),
        )
        .order_by(Cohort.year.desc(), ReviewAssignment.assigned_at, ReviewAssignment.id)
    ).all()
    groups: dict[AssignmentStatus, list[ReviewAssignment]] = {status: [] for status in S}
    for assignment in assignments:
        groups[assignment.status].append(assignment)
    return render_template(
        "reviews/index.html",
        todo=groups[S.assigned],
        submitted=groups[S.submitted],
        conflicts=groups[S.conflict],
        fmt_score=fmt_score,
        status_labels=app_services.STATUS_LABELS,
    )


def _render_review(
    assignment: ReviewAssignment,
    *,
    form: ReviewForm | None = None,
    conflict_form: ConflictForm | None = None,
    status: int = 200,
):
    application = assignment.application
    criteria = _file_criteria(application.cohort)
    can_score = _can_score(assignment)
    if can_score and form is None:
        form = review_form(criteria, formdata=None)
    mine = {s.criterion_id: s.score for s in assignment.scores}
    others: list[ReviewAssignment] = []
    pending_others = 0
    can_see_others = services.can_see_other_reviews(assignment)
    if can_see_others:
        rest = db.session.scalars(
            select(ReviewAssignment)
            .where(
                ReviewAssignment.application_id == application.id,
                ReviewAssignment.id != assignment.id,
                ReviewAssignment.status != S.conflict,
            )
            .options(selectinload(ReviewAssignment.scores), joinedload(ReviewAssignment.reviewer))
            .order_by(ReviewAssignment.submitted_at, ReviewAssignment.id)
        ).all()
        others = [a for a in rest if a.status is S.submitted]
        pending_others = len(rest) - len(others)
    return (
        render_template(
            "reviews/review.html",
            assignment=assignment,
            application=application,
            criteria=criteria,
            form=form if can_score else None,
            conflict_form=(conflict_form or ConflictForm(formdata=None))
            if assignment.status is S.assigned
            else None,
            can_score=can_score,
            my_scores=mine,
            others=[(a, {s.criterion_id: s.score for s in a.scores}) for a in others],
            can_see_others=can_see_others,
            pending_others=pending_others,
            current_documents=[d for d in application.documents if d.is_current],
            field_labels=app_services.FIELD_LABELS,
            gender_labels=GENDER_LABELS,
            regions=REGIONS,
            pole_labels=POLE_LABELS,
            document_labels=DOCUMENT_LABELS,
            status_labels=app_services.STATUS_LABELS,
            fmt_score=fmt_score,
            format_max=format_max,
        ),
        status,
    )


def _to_review(assignment_id: int):
    return redirect(url_for("reviews.review", assignment_id=assignment_id))


@bp.route("/<int:assignment_id>", methods=["GET", "POST"])
@permission_required("selection.review")
def review(assignment_id: int):
    assignment = _my_assignment(assignment_id)
    if request.method != "POST":
        return _render_review(assignment)
    if not _can_score(assignment):
        if assignment.status is S.assigned:
            flash(_("This application is no longer waiting for reviews."), "danger")
        else:
            flash(_("This review cannot be changed any more."), "danger")
        return _to_review(assignment.id)
    criteria = _file_criteria(assignment.application.cohort)
    form = review_form(criteria)
    valid_or_again(form, lambda form: _render_review(assignment, form=form, status=400))
    attempt(
        lambda: services.submit_review(assignment, form.scores(criteria), form.comment.data or ""),
        _("Your review is submitted. The other reviewers' scores are now shown."),
    )
    return _to_review(assignment_id)


@bp.post("/<int:assignment_id>/conflict")
@permission_required("selection.review")
def conflict(assignment_id: int):
    assignment = _my_assignment(assignment_id)
    if assignment.status is not S.assigned:
        flash(_("A conflict of interest can only be declared on a review still to do."), "danger")
        return _to_review(assignment.id)
    form = ConflictForm()
    valid_or_again(form, lambda form: _render_review(assignment, conflict_form=form, status=400))
    done = attempt(lambda: services.declare_conflict(assignment, form.reason.data))
    if not done:
        return _to_review(assignment_id)
    replacement = done.value
    if replacement is None:
        flash(
            _(
                "Your conflict of interest is recorded. No other coordinator is available: "
                "a coordinator will have to give this file to a reviewer."
            ),
            "warning",
        )
    else:
        flash(
            _(
                "Your conflict of interest is recorded; the file is given to %(name)s.",
                name=replacement.reviewer.full_name,
            ),
            "success",
        )
    return redirect(url_for("reviews.index"))
