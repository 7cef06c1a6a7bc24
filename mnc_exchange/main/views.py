"""Home, dashboard, language switch."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_login import current_user
from sqlalchemy import select

from ..accounts.forms import LanguageForm
from ..accounts.models import Role
from ..accounts.services import set_locale
from ..cohorts.models import Cohort
from ..cohorts.services import current_cohort
from ..core.page_cache import kept
from ..core.web import safe_next
from ..extensions import db
from ..hosts.services import company_of
from ..permissions import permission_required
from . import todo
from .calendar import calendar_steps

bp = Blueprint("main", __name__)


@bp.route("/")
@kept
def index():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    return render_template("main/index.html", cohort=current_cohort())


@bp.route("/dashboard")
@kept
@permission_required("dashboard.view")
def dashboard():
    cohort = current_cohort()
    today = date.today()
    steps = calendar_steps(cohort, today) if cohort else []
    context = {"cohort": cohort, "steps": steps, "todo": []}
    user = current_user._get_current_object()
    if current_user.role in (Role.coordinator, Role.admin, Role.official):
        context["cohorts"] = db.session.scalars(select(Cohort).order_by(Cohort.year.desc())).all()
    if current_user.role in (Role.coordinator, Role.admin):
        context["todo"] = todo.coordinator_todo(user, today)
    elif current_user.role is Role.official:
        from ..reports import labels as report_labels

        context["figures"] = todo.official_figures(today)
        context["report_labels"] = report_labels
    elif current_user.role is Role.student:
        from ..followup.views_student import internship_due

        context["due"] = due = internship_due(today)
        context["todo"] = todo.student_todo(user, cohort, due, today)
    elif current_user.role is Role.host:
        company = company_of(user)
        context["company"] = company
        if company is not None and company.keeps_existing_work and not user.is_pending:
            context["todo"] = todo.host_todo(company)
    return render_template(f"main/dashboard_{current_user.role.value}.html", **context)


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    target = safe_next(request.form.get("next")) or url_for("main.index")
    if form.validate_on_submit():
        lang = form.lang.data
        if lang in current_app.config["LANGUAGES"]:
            session["lang"] = lang
            if current_user.is_authenticated:
                set_locale(current_user, lang)
                db.session.commit()
    return redirect(target)


@bp.route("/ping")
def ping():
    """Liveness: the process answers (no template, no database). Also the bare page the
    benchmarks compare the dashboards with."""
    return current_app.response_class("ok\n", mimetype="text/plain")


@bp.route("/healthz")
def healthz():
    """Readiness for a load balancer: the database answers (503 otherwise)."""
    from sqlalchemy import text

    db.session.execute(text("SELECT 1"))
    return current_app.response_class("ok\n", mimetype="text/plain")
