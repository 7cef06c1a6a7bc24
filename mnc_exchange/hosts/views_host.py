"""Host contacts: their company profile, tutors and invitations; joining by invitation.

Company pages need ``company.manage`` (an approved host contact) and an approved company: a
contact without one sees a page saying why, never an error. Another company's tutor or
invitation is a 404.
"""

from __future__ import annotations

from functools import wraps

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user

from ..accounts import sessions as account_sessions
from ..accounts.forms import ConfirmForm
from ..core.errors import DomainError
from ..core.page_cache import kept
from ..core.timeutils import utcnow
from ..core.web import (
    attempt,
    attempt_form,
    flash_form_errors,
    owned_or_404,
    private,
    renew_session,
    valid_or_400,
)
from ..extensions import limiter
from ..permissions import permission_required
from ..templating import localdt
from . import services
from .forms import (
    COMPANY_STATUS_LABELS,
    CompanyForm,
    InviteForm,
    JoinForm,
    TutorForm,
    display_phone,
)
from .models import Company, CompanyInvitation, Tutor

bp = Blueprint("company", __name__)


@bp.app_context_processor
def _inject() -> dict:
    return {"company_status_labels": COMPANY_STATUS_LABELS}


@bp.app_template_filter("phone")
def _phone(value: str | None) -> str:
    return display_phone(value)


def _with_company(view):
    """Give the view the current contact's approved company (or one whose new legal identity
    waits for approval), or explain why there is none."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        company = services.company_of(current_user)
        if company is None or not company.keeps_existing_work:
            return render_template("company/unavailable.html", company=company), 403
        return view(company, *args, **kwargs)

    return wrapped


def host_company() -> Company:
    """The current contact's company, when it keeps its existing work (else 403): for the
    company's pages of the later steps (candidates, placements, interns)."""
    company = services.company_of(current_user._get_current_object())
    if company is None or not company.keeps_existing_work:
        abort(403)
    return company


def _of_company(model, row_id: int, company: Company):
    """A tutor or invitation of ``company``; another company's is not revealed (404)."""
    return owned_or_404(model, row_id, lambda row: row.company_id, company.id)


# --- the company ----------------------------------------------------------------------------


def _render_profile(company: Company, invite_form: InviteForm, status: int = 200):
    return (
        render_template(
            "company/profile.html",
            company=company,
            invitations=services.open_invitations(company),
            invite_form=invite_form,
            confirm_form=ConfirmForm(formdata=None),
            now=utcnow(),
        ),
        status,
    )


@bp.route("/company")
@kept
@permission_required("company.manage")
@_with_company
def profile(company: Company):
    return _render_profile(company, InviteForm(formdata=None))


@bp.route("/company/edit", methods=["GET", "POST"])
@permission_required("company.manage")
@_with_company
def edit(company: Company):
    form = CompanyForm(obj=company, company_id=company.id)
    done = attempt_form(
        form, lambda: services.update_company(company, form.company_input(), current_user)
    )
    if done:
        if done.value:  # the new legal identity needs approval
            flash(
                _(
                    "The company's data are saved. Its new legal name or SIRET waits for "
                    "approval by a programme coordinator: until then you cannot publish "
                    "offers or invite colleagues, and no agreement document is issued."
                ),
                "warning",
            )
        else:
            flash(_("The company's data are saved."), "success")
        return redirect(url_for("company.profile"))
    status = 400 if form.errors else 200
    return render_template("company/edit.html", company=company, form=form), status


# --- invitations ----------------------------------------------------------------------------


@bp.route("/company/invitations", methods=["POST"])
@permission_required("company.manage")
@_with_company
def invite(company: Company):
    form = InviteForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if any(inv.email == email for inv in services.open_invitations(company)):
            message = _(
                "An invitation to this address is already waiting for an answer. Withdraw it "
                "first to send a new one."
            )
            flash(message, "danger")
        else:
            done = attempt(
                lambda: services.invite_contact(company, email, current_user)[0],
                lambda invitation: _(
                    "An invitation was sent to %(email)s. The link is valid until %(date)s "
                    "(Paris time) and works once.",
                    email=invitation.email,
                    date=localdt(invitation.expires_at, "Europe/Paris"),
                ),
            )
            if done:
                return redirect(url_for("company.profile"))
            message = done.error.message
        form.email.errors = [*form.email.errors, message]
        return _render_profile(company, form, 400)
    flash_form_errors(form)
    return _render_profile(company, form, 400)


@bp.route("/company/invitations/<int:invitation_id>/revoke", methods=["POST"])
@permission_required("company.manage")
@_with_company
def revoke_invitation(company: Company, invitation_id: int):
    invitation = _of_company(CompanyInvitation, invitation_id, company)
    valid_or_400(ConfirmForm())
    if invitation.revoked_at is not None:
        flash(_("This invitation had already been withdrawn."), "info")
        return redirect(url_for("company.profile"))
    attempt(
        lambda: services.revoke_invitation(invitation, current_user),
        lambda _value: _("The invitation sent to %(email)s is withdrawn.", email=invitation.email),
    )
    return redirect(url_for("company.profile"))


# --- tutors ---------------------------------------------------------------------------------


@bp.route("/company/tutors", methods=["GET", "POST"])
@permission_required("company.manage")
@_with_company
def tutors(company: Company):
    form = TutorForm()
    if attempt_form(
        form,
        lambda: services.save_tutor(company, form.tutor_input(), current_user),
        lambda tutor: _("%(name)s is added to your tutors.", name=tutor.full_name),
    ):
        return redirect(url_for("company.tutors"))
    status = 400 if form.errors else 200
    return render_template("company/tutors.html", company=company, form=form), status


@bp.route("/company/tutors/<int:tutor_id>/edit", methods=["GET", "POST"])
@permission_required("company.manage")
@_with_company
def edit_tutor(company: Company, tutor_id: int):
    tutor = _of_company(Tutor, tutor_id, company)
    form = TutorForm(obj=tutor)
    if attempt_form(
        form,
        lambda: services.save_tutor(company, form.tutor_input(), current_user, tutor=tutor),
        lambda _value: _("The tutor %(name)s is saved.", name=tutor.full_name),
    ):
        return redirect(url_for("company.tutors"))
    status = 400 if form.errors else 200
    return render_template(
        "company/edit_tutor.html", company=company, tutor=tutor, form=form
    ), status


# --- joining by invitation (public) ---------------------------------------------------------


def _join_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


def _accept(token: str, form: JoinForm):
    """The new contact's account, with its first session."""
    user = services.accept_invitation(
        token, form.password.data, form.full_name.data, str(get_locale())
    )
    account_sessions.open_session(user)
    return user


@bp.route("/join/<token>", methods=["GET", "POST"])
@limiter.limit(_join_limit, methods=["POST"])
def join(token: str):
    try:
        invitation = services.invitation_for_token(token)
    except DomainError as exc:
        # Unknown, used, withdrawn or expired: one page saying which, as "not found".
        return private((render_template("company/join_invalid.html", reason=exc.message), 404))
    company = invitation.company
    if current_user.is_authenticated:
        # Someone is logged in on this browser: the new account would be theirs by mistake.
        status = 409 if request.method == "POST" else 200
        return private(
            (
                render_template(
                    "company/join.html", invitation=invitation, company=company, form=None
                ),
                status,
            )
        )
    form = JoinForm()
    done = attempt_form(form, lambda: _accept(token, form))
    if done:
        user = done.value
        renew_session()
        login_user(user)
        flash(
            _(
                "Welcome, %(name)s: your account is created and you are a contact of %(company)s.",
                name=user.full_name,
                company=company.legal_name,
            ),
            "success",
        )
        return redirect(url_for("main.dashboard"))
    status = 400 if form.errors or form.is_submitted() else 200
    return private(
        (
            render_template("company/join.html", invitation=invitation, company=company, form=form),
            status,
        )
    )
