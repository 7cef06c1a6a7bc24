"""Coordinators: every company, approval and refusal.

Approving a company approves its contacts (``services.approve_company``) and e-mails them;
refusing it needs a reason, which is e-mailed to the contacts.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import User
from ..core.page_cache import kept
from ..core.pagination import paginate
from ..core.web import attempt, flash_form_errors, safe_next, valid_or_400
from ..extensions import db
from ..offers.models import Offer
from ..offers.services import STATUS_LABELS as OFFER_STATUS_LABELS
from ..offers.services import companies_query
from ..permissions import permission_required
from . import services
from .forms import ApproveForm, RejectForm
from .models import Company, CompanyStatus

bp = Blueprint("companies", __name__)

SEARCH_MAX = 100


def _status_counts() -> dict[CompanyStatus, int]:
    rows = db.session.execute(select(Company.status, func.count()).group_by(Company.status))
    counts = dict.fromkeys(CompanyStatus, 0)
    counts.update(dict(rows.tuples().all()))
    return counts


@bp.route("/companies")
@kept
@permission_required("host.approve")
def index():
    raw_status = request.args.get("status", "")
    try:
        status = CompanyStatus(raw_status) if raw_status else None
    except ValueError:
        abort(404)
    search = (request.args.get("q") or "").strip()[:SEARCH_MAX]
    counts = _status_counts()
    total = None
    if not search:  # the counts per status already give the total
        total = counts[status] if status is not None else sum(counts.values())
    page = paginate(companies_query(status, search), rows=True, total=total)
    return render_template(
        "companies/index.html",
        rows=page.items,
        page=page,
        counts=counts,
        status=status,
        search=search,
    )


def _detail_context(company: Company) -> dict:
    offers = db.session.scalars(
        select(Offer)
        .where(Offer.company_id == company.id)
        .options(joinedload(Offer.cohort), joinedload(Offer.tutor))
        .order_by(Offer.created_at.desc(), Offer.id.desc())
    ).all()
    invitations = services.open_invitations(company)
    approved_by = db.session.get(User, company.approved_by_id) if company.approved_by_id else None
    return {
        "company": company,
        "offers": offers,
        "invitations": invitations,
        "approved_by": approved_by,
        "identity_changes": services.identity_changes(company),
        "offer_status_labels": OFFER_STATUS_LABELS,
    }


def _load(company_id: int) -> Company:
    company = db.session.scalar(
        select(Company)
        .where(Company.id == company_id)
        .options(selectinload(Company.contacts), selectinload(Company.tutors))
    )
    if company is None:
        abort(404)
    return company


@bp.route("/companies/<int:company_id>")
@permission_required("host.approve")
def detail(company_id: int):
    company = _load(company_id)
    here = url_for("companies.detail", company_id=company.id)
    return render_template(
        "companies/detail.html",
        approve_form=ApproveForm(next=here),
        reject_form=RejectForm(formdata=None, next=here),
        **_detail_context(company),
    )


def _back(form, company: Company) -> str:
    return safe_next(form.next.data) or url_for("companies.detail", company_id=company.id)


@bp.route("/companies/<int:company_id>/approve", methods=["POST"])
@permission_required("host.approve")
def approve(company_id: int):
    company = _load(company_id)
    form = valid_or_400(ApproveForm())
    attempt(
        lambda: services.approve_company(company, current_user),
        lambda _value: _(
            "%(company)s is approved; its contacts have been told by e-mail.",
            company=company.legal_name,
        ),
    )
    return redirect(_back(form, company))


@bp.route("/companies/<int:company_id>/reject", methods=["POST"])
@permission_required("host.approve")
def reject(company_id: int):
    company = _load(company_id)
    form = RejectForm()
    if company.status is not CompanyStatus.pending:
        flash(_("Only a company waiting for approval can be refused."), "danger")
        return redirect(url_for("companies.detail", company_id=company.id))
    if form.validate_on_submit():
        attempt(
            lambda: services.reject_company(company, form.reason.data, current_user),
            lambda _value: _(
                "%(company)s is refused; its contacts have been told the reason by e-mail.",
                company=company.legal_name,
            ),
            category="info",
        )
        return redirect(_back(form, company))
    flash_form_errors(form)
    here = url_for("companies.detail", company_id=company.id)
    form.next.data = here
    return (
        render_template(
            "companies/detail.html",
            approve_form=ApproveForm(next=here),
            reject_form=form,
            **_detail_context(company),
        ),
        400,
    )
