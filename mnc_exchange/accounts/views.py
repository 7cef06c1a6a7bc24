"""Login, logout, registration, password change and reset, host approval."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.errors import DomainError
from ..core.web import flash_form_errors, safe_next
from ..extensions import db, limiter
from ..hosts import services as host_services
from ..hosts.forms import ApproveForm, HostRegisterForm, RejectForm
from ..hosts.models import Company, CompanyStatus
from ..permissions import permission_required
from ..templating import external_url
from . import services
from .forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResetPasswordForm,
)
from .models import Role, User

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.email.data, form.password.data)
        if user is None:
            db.session.commit()  # keep the audit of the failed attempt
            flash(
                _(
                    "Incorrect e-mail address or password. After several failed attempts, you"
                    " may have to wait a few minutes before trying again."
                ),
                "danger",
            )
            return render_template("accounts/login.html", form=form), 200
        # Renew the session at login (no fixation); keep the chosen language.
        lang = session.get("lang")
        session.clear()
        if lang:
            session["lang"] = lang
        login_user(user, remember=form.remember.data)
        db.session.commit()
        flash(_("Welcome, %(name)s.", name=user.full_name), "success")
        return redirect(safe_next(request.args.get("next")) or url_for("main.dashboard"))
    flash_form_errors(form)
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


def _register(role: Role, template: str):
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register(
                form.email.data, form.password.data, form.full_name.data, role, str(get_locale())
            )
        except DomainError as exc:
            db.session.rollback()
            form.email.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Your account is created. Welcome!"), "success")
            login_user(user)
            return redirect(url_for("main.dashboard"))
    flash_form_errors(form)
    return render_template(template, form=form, role=role)


@bp.route("/register", methods=["GET", "POST"])
def register():
    return _register(Role.student, "accounts/register.html")


@bp.route("/register/host", methods=["GET", "POST"])
def register_host():
    """A host contact registers their account and their company in one form (both pending)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = HostRegisterForm()
    if form.validate_on_submit():
        try:
            user = host_services.register_company(
                form.company_input(),
                form.email.data,
                form.password.data,
                form.full_name.data,
                str(get_locale()),
            )
        except DomainError as exc:
            db.session.rollback()
            flash(exc.message, "danger")
        else:
            company_name = form.legal_name.data.strip()
            db.session.commit()
            flash(
                _(
                    "Your account and %(company)s are registered. A programme coordinator must "
                    "approve the company before you can publish offers; you will receive an "
                    "e-mail.",
                    company=company_name,
                ),
                "info",
            )
            login_user(user)
            return redirect(url_for("main.dashboard"))
    flash_form_errors(form)
    status = 400 if form.errors else 200
    return render_template("accounts/register_host.html", form=form), status


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            services.change_password(current_user, form.current_password.data, form.password.data)
        except DomainError as exc:
            db.session.rollback()
            form.current_password.errors.append(exc.message)
        else:
            db.session.commit()
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("main.dashboard"))
    flash_form_errors(form)
    return render_template("accounts/change_password.html", form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def forgot_password():
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        services.request_password_reset(
            form.email.data,
            lambda token: external_url("accounts.reset_password", token=token),
        )
        db.session.commit()
        flash(
            _(
                "If an account exists for this address, an e-mail with a reset link has been "
                "sent. The link is valid for one hour and can be used once."
            ),
            "info",
        )
        return redirect(url_for("accounts.login"))
    flash_form_errors(form)
    return render_template("accounts/forgot_password.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@limiter.limit(_reset_limit, methods=["POST"])
def reset_password(token: str):
    try:
        services.user_for_reset_token(token)
    except DomainError as exc:
        flash(exc.message, "danger")
        return redirect(url_for("accounts.forgot_password"))
    form = ResetPasswordForm()
    if form.validate_on_submit():
        services.reset_password(token, form.password.data)
        db.session.commit()
        flash(_("Your password has been reset. You can log in now."), "success")
        return redirect(url_for("accounts.login"))
    flash_form_errors(form)
    return render_template("accounts/reset_password.html", form=form)


@bp.route("/hosts/pending")
@permission_required("host.approve")
def pending_hosts():
    """Companies waiting for approval (with their contacts), and the host contacts registered
    before companies existed, who are approved one by one."""
    companies = db.session.scalars(
        select(Company)
        .where(Company.status == CompanyStatus.pending)
        .options(selectinload(Company.contacts))
        .order_by(Company.created_at, Company.id)
    ).all()
    users = db.session.scalars(
        select(User)
        .where(
            User.role == Role.host,
            User.approved_at.is_(None),
            User.active.is_(True),
            User.company_id.is_(None),
        )
        .order_by(User.created_at)
    ).all()
    return render_template(
        "accounts/pending_hosts.html",
        companies=companies,
        users=users,
        form=ConfirmForm(),
        approve_form=ApproveForm(next=url_for("accounts.pending_hosts")),
        reject_form=RejectForm(formdata=None, next=url_for("accounts.pending_hosts")),
    )


@bp.route("/hosts/<int:user_id>/approve", methods=["POST"])
@permission_required("host.approve")
def approve_host(user_id: int):
    """Approve a host contact who has no company (registered before companies existed)."""
    user = db.get_or_404(User, user_id)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if user.company_id is not None:
        # A contact of a company is approved with the company, after its data are checked.
        flash(
            _("This contact belongs to a company: approve the company instead."),
            "warning",
        )
        return redirect(url_for("companies.detail", company_id=user.company_id))
    try:
        services.approve_host(user, current_user)
    except DomainError as exc:
        db.session.rollback()
        flash(exc.message, "warning")
    else:
        db.session.commit()
        flash(_("The account of %(name)s is approved.", name=user.full_name), "success")
    return redirect(url_for("accounts.pending_hosts"))
