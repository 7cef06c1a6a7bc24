"""Cohort pages for coordinators (and read-only for officials)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from ..accounts.forms import ConfirmForm
from ..core.page_cache import kept
from ..core.web import attempt, attempt_form, valid_or_400
from ..extensions import db
from ..permissions import permission_required
from . import services
from .forms import CohortForm, TransitionForm
from .models import Cohort, CohortState

bp = Blueprint("cohorts", __name__, url_prefix="/cohorts")


@bp.route("/")
@kept
@permission_required("cohort.view")
def index():
    cohorts = db.session.scalars(select(Cohort).order_by(Cohort.year.desc())).all()
    return render_template("cohorts/index.html", cohorts=cohorts)


@bp.route("/new", methods=["GET", "POST"])
@permission_required("cohort.manage")
def create():
    form = CohortForm()
    done = attempt_form(
        form,
        lambda: services.create_cohort(
            form.year.data, form.quota.data, form.title.data or "", **form.calendar()
        ),
        lambda cohort: _("The %(year)d cohort is created.", year=cohort.year),
    )
    if done:
        return redirect(url_for("cohorts.detail", cohort_id=done.value.id))
    return render_template("cohorts/form.html", form=form, cohort=None)


@bp.route("/<int:cohort_id>")
@permission_required("cohort.view")
def detail(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    return render_template(
        "cohorts/detail.html",
        cohort=cohort,
        transitions=services.allowed_transitions(cohort),
        labels=services.TRANSITION_LABELS,
        state_labels=services.STATE_LABELS,
        transition_form=TransitionForm(),
        confirm_form=ConfirmForm(),
    )


@bp.route("/<int:cohort_id>/edit", methods=["GET", "POST"])
@permission_required("cohort.manage")
def edit(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = CohortForm(obj=cohort)
    if attempt_form(
        form,
        lambda: services.update_cohort(
            cohort,
            year=form.year.data,
            title=form.title.data or f"MNC {form.year.data}",
            quota=form.quota.data,
            **form.calendar(),
        ),
        _("The cohort is saved."),
    ):
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template("cohorts/form.html", form=form, cohort=cohort)


@bp.route("/<int:cohort_id>/transition", methods=["POST"])
@permission_required("cohort.manage")
def transition(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    form = valid_or_400(TransitionForm())
    try:
        target = CohortState(form.target.data)
    except ValueError:
        abort(400)
    attempt(
        lambda: services.transition(cohort, target),
        lambda _value: _(
            "The cohort is now “%(state)s”.", state=services.STATE_LABELS[cohort.state]
        ),
    )
    return redirect(url_for("cohorts.detail", cohort_id=cohort_id))


@bp.route("/<int:cohort_id>/make-current", methods=["POST"])
@permission_required("cohort.manage")
def make_current(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    valid_or_400(ConfirmForm())
    attempt(
        lambda: services.make_current(cohort),
        _("The %(year)d cohort is now the current one.", year=cohort.year),
    )
    return redirect(url_for("cohorts.detail", cohort_id=cohort_id))
