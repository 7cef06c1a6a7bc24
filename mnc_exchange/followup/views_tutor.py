"""The tutor's evaluation page, opened from the e-mailed link (no account).

The link is the only credential: it expires, the programme can withdraw it, and it works once.
An unknown link answers 404; a used, withdrawn or expired one 410 ("gone"), each with a page
saying why. The page is rate-limited like the login and never cached nor sent as a referrer.
"""

from __future__ import annotations

from flask import Blueprint, current_app, make_response, render_template
from flask_babel import gettext as _
from sqlalchemy import select

from ..core.errors import DomainError
from ..core.web import attempt, flash_form_errors
from ..extensions import db, limiter
from . import services
from .forms import evaluation_form
from .models import EvaluationKind, TutorEvaluation

bp = Blueprint("evaluation", __name__)


def kind_label(kind: EvaluationKind) -> str:
    if kind is EvaluationKind.midterm:
        return _("Mid-term evaluation")
    return _("Final evaluation")


def _limit() -> str:
    config = current_app.config
    return config.get("EVALUATION_RATE_LIMIT") or config["LOGIN_RATE_LIMIT"]


def _private(response):
    """The page's URL holds the token: never send it on, never cache the page."""
    response = make_response(response)
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _known(token: str) -> bool:
    """Does the token belong to an evaluation (used, withdrawn or expired)?"""
    return (
        db.session.scalar(
            select(TutorEvaluation.id).where(
                TutorEvaluation.token_hash == services._hash(token or "")
            )
        )
        is not None
    )


def _unavailable(token: str, reason: str):
    status = 410 if _known(token) else 404
    return _private((render_template("evaluation/unavailable.html", reason=reason), status))


def _render(evaluation: TutorEvaluation, form, status: int = 200):
    internship = evaluation.internship
    placement = internship.placement
    start, end = services.dates_of(internship)
    return _private(
        (
            render_template(
                "evaluation/form.html",
                evaluation=evaluation,
                kind=kind_label(evaluation.kind),
                intern=placement.application.full_name,
                offer=placement.offer,
                company=placement.offer.company,
                start=start,
                end=end,
                form=form,
            ),
            status,
        )
    )


@bp.route("/evaluation/<token>", methods=["GET", "POST"])
@limiter.limit(_limit)
def form(token: str):
    try:
        evaluation = services.evaluation_for_token(token)
    except DomainError as exc:
        return _unavailable(token, exc.message)
    criteria = services.criteria_for(evaluation.internship.cohort)
    db.session.commit()  # the cohort's default criteria, created on first use
    answers = evaluation_form(criteria)
    if not answers.is_submitted():
        return _render(evaluation, answers)
    if not answers.validate():
        flash_form_errors(answers)
        return _render(evaluation, answers, status=400)
    if not attempt(
        lambda: services.submit_evaluation(
            token, answers.scores(), answers.overall.data, answers.comment.data or ""
        )
    ):
        return _render(evaluation, answers, status=400)
    return _private(
        render_template(
            "evaluation/thanks.html",
            kind=kind_label(evaluation.kind),
            intern=evaluation.internship.placement.application.full_name,
        )
    )
