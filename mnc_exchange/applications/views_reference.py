"""Reference lists and per-cohort settings: institutions, document requirements, rules.

- ``/institutions…``: the sending institutions, edited by admins (``reference.manage``).
- ``/cohorts/<id>/settings/…``: the cohort's document requirements and eligibility rules,
  edited by coordinators (``cohort.manage``).
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from ..cohorts.models import Cohort
from ..core.page_cache import kept
from ..core.web import attempt, attempt_form, valid_or_400
from ..extensions import db
from ..permissions import permission_required
from . import reference_services, services
from .forms_reference import (
    REQUIREMENT_LABELS,
    DocumentSettingsForm,
    EligibilityRulesForm,
    InstitutionForm,
    ToggleInstitutionForm,
)
from .models import Application, Institution
from .reference import DOCUMENT_LABELS

bp = Blueprint("reference", __name__)


# --- sending institutions --------------------------------------------------------------------


@bp.route("/institutions")
@kept
@permission_required("reference.manage")
def institutions():
    counts = dict(
        db.session.execute(
            select(Application.institution_id, func.count())
            .where(Application.institution_id.is_not(None))
            .group_by(Application.institution_id)
        ).all()
    )
    rows = db.session.scalars(
        select(Institution).order_by(Institution.active.desc(), Institution.name)
    ).all()
    return render_template(
        "reference/institutions.html",
        institutions=rows,
        counts=counts,
        toggle_form=ToggleInstitutionForm(),
    )


@bp.route("/institutions/new", methods=["GET", "POST"])
@permission_required("reference.manage")
def create_institution():
    form = InstitutionForm()
    if attempt_form(
        form,
        lambda: reference_services.create_institution(**form.values()),
        lambda institution: _("The institution “%(name)s” is added.", name=institution.name),
        beside=form.name,
        kinds=reference_services.DuplicateInstitution,
    ):
        return redirect(url_for("reference.institutions"))
    return render_template("reference/institution_form.html", form=form, institution=None)


@bp.route("/institutions/<int:institution_id>/edit", methods=["GET", "POST"])
@permission_required("reference.manage")
def edit_institution(institution_id: int):
    institution = db.get_or_404(Institution, institution_id)
    form = InstitutionForm(obj=institution)
    if attempt_form(
        form,
        lambda: reference_services.update_institution(institution, **form.values()),
        lambda _value: _("The institution “%(name)s” is saved.", name=institution.name),
        beside=form.name,
        kinds=reference_services.DuplicateInstitution,
    ):
        return redirect(url_for("reference.institutions"))
    return render_template("reference/institution_form.html", form=form, institution=institution)


@bp.route("/institutions/<int:institution_id>/toggle", methods=["POST"])
@permission_required("reference.manage")
def toggle_institution(institution_id: int):
    institution = db.get_or_404(Institution, institution_id)
    form = valid_or_400(ToggleInstitutionForm())
    active = form.active.data == "1"
    attempt(
        lambda: reference_services.set_institution_active(institution, active),
        lambda _value: (
            _("“%(name)s” is active again.", name=institution.name)
            if active
            else _(
                "“%(name)s” is deactivated: students can no longer choose it; existing "
                "applications keep it.",
                name=institution.name,
            )
        ),
    )
    return redirect(url_for("reference.institutions"))


# --- per-cohort settings ---------------------------------------------------------------------


def _application_count(cohort: Cohort) -> int:
    return db.session.scalar(
        select(func.count()).select_from(Application).where(Application.cohort_id == cohort.id)
    )


def _settings_page(template: str, cohort: Cohort, form, action, success: str, context):
    """A cohort's settings form: saved, the cohort's page; otherwise the form again, with
    what ``context()`` adds to the template's context."""
    if attempt_form(form, action, success):
        return redirect(url_for("cohorts.detail", cohort_id=cohort.id))
    return render_template(
        template,
        cohort=cohort,
        form=form,
        **context(),
        application_count=_application_count(cohort),
    )


@bp.route("/cohorts/<int:cohort_id>/settings/documents", methods=["GET", "POST"])
@permission_required("cohort.manage")
def document_settings(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    levels = reference_services.requirement_levels(cohort)
    form = DocumentSettingsForm(data={kind.value: level for kind, level in levels.items()})
    return _settings_page(
        "reference/document_settings.html",
        cohort,
        form,
        lambda: reference_services.save_document_requirements(cohort, form.levels()),
        _("The documents asked for this cohort are saved."),
        lambda: {"document_labels": DOCUMENT_LABELS, "requirement_labels": REQUIREMENT_LABELS},
    )


@bp.route("/cohorts/<int:cohort_id>/settings/eligibility", methods=["GET", "POST"])
@permission_required("cohort.manage")
def eligibility_settings(cohort_id: int):
    cohort = db.get_or_404(Cohort, cohort_id)
    rules = services.rules_for(cohort)  # a new row is only kept if the form is saved
    form = EligibilityRulesForm(obj=rules)
    return _settings_page(
        "reference/eligibility_settings.html",
        cohort,
        form,
        lambda: reference_services.update_eligibility_rules(
            cohort,
            form.min_french_level.data,
            form.min_average.data,
            form.allowed_years.data,
            form.passport_months_after_end.data,
        ),
        _("The eligibility rules of this cohort are saved."),
        lambda: {"latest_end": services.latest_internship_end(cohort)},
    )
