"""Login, logout, registration and e-mail confirmation, password change and reset, host
approval."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..core.errors import DomainError
from ..core.i18n import de
from ..core.page_cache import kept
from ..core.web import (
    attempt,
    attempt_form,
    flash_form_errors,
    private,
    renew_session,
    safe_next,
    valid_or_400,
)
from ..extensions import db, limiter
from ..hosts import services as host_services
from ..hosts.forms import ApproveForm, HostRegisterForm, RejectForm
from ..hosts.models import Company, CompanyStatus
from ..permissions import permission_required
from ..templating import external_url
from . import services, sessions
from .forms import (
    ChangePasswordForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    RegisterForm,
    ResendConfirmationForm,
    ResetPasswordForm,
)
from .models import Role, User

bp = Blueprint("accounts", __name__)


def _login_limit() -> str:
    return current_app.config["LOGIN_RATE_LIMIT"]


def _reset_limit() -> str:
    return current_app.config["RESET_RATE_LIMIT"]


def _register_limit() -> str:
    return current_app.config["REGISTER_RATE_LIMIT"]


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
        if user.email_confirmed_at is None:
            return _refuse_unconfirmed(user, form)
        renew_session()
        sessions.open_session(user, remember=form.remember.data)
        login_user(user, remember=form.remember.data)
        db.session.commit()
        flash(_("Welcome, %(name)s.", name=user.full_name), "success")
        return redirect(safe_next(request.args.get("next")) or url_for("main.dashboard"))
    flash_form_errors(form)
    return render_template("accounts/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    valid_or_400(ConfirmForm())
    sessions.revoke_current(current_user)
    db.session.commit()
    logout_user()
    flash(_("You are logged out."), "info")
    return redirect(url_for("accounts.login"))


@bp.route("/account/logout-everywhere", methods=["POST"])
@login_required
def logout_everywhere():
    """End every session of the account, on every device and browser, this one included."""
    valid_or_400(ConfirmForm())
    ended = services.log_out_everywhere(current_user)
    db.session.commit()
    logout_user()
    flash(
        ngettext(
            "You are logged out of %(num)d session, on every device.",
            "You are logged out of %(num)d sessions, on every device.",
            ended,
        ),
        "info",
    )
    return redirect(url_for("accounts.login"))


def _refuse_unconfirmed(user: User, form: LoginForm):
    """The right password, but the address is not confirmed: no login; a new link is sent
    (at most one every ``CONFIRM_RESEND_INTERVAL``)."""
    db.session.rollback()  # not logged in: no login recorded
    sent = services.refuse_unconfirmed_login(user)
    db.session.commit()
    if sent:
        message = _(
            "Your e-mail address is not confirmed yet. We have sent you a new confirmation "
            "link: open it, then log in."
        )
    else:
        message = ngettext(
            "Your e-mail address is not confirmed yet. A confirmation link was sent to you less "
            "than %(num)d minute ago: open it, then log in.",
            "Your e-mail address is not confirmed yet. A confirmation link was sent to you less "
            "than %(num)d minutes ago: open it, then log in.",
            services.CONFIRM_RESEND_INTERVAL.seconds // 60,
        )
    flash(message, "warning")
    return render_template("accounts/login.html", form=form), 200


def _register(role: Role, template: str):
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = RegisterForm()
    # The one answer to a valid form, whether the address was new or known.
    if attempt_form(
        form,
        lambda: services.register(
            form.email.data, form.password.data, form.full_name.data, role, str(get_locale())
        ),
        _(
            "Almost done: to create your account, open the link we have just sent to "
            "the address you gave."
        ),
        beside=form.email,
        category="info",
    ):
        return redirect(url_for("accounts.check_mailbox"))
    return render_template(template, form=form, role=role)


@bp.route("/register", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register():
    return _register(Role.student, "accounts/register.html")


@bp.route("/register/host", methods=["GET", "POST"])
@limiter.limit(_register_limit, methods=["POST"])
def register_host():
    """A host contact registers their account and their company in one form (both pending)."""
    if current_user.is_authenticated:
        return redirect(url_for("main.dashboard"))
    form = HostRegisterForm()
    if attempt_form(
        form,
        lambda: host_services.register_company(
            form.company_input(),
            form.email.data,
            form.password.data,
            form.full_name.data,
            str(get_locale()),
        ),
        lambda _value: _(
            "Almost done: to register %(company)s, open the link we have just sent to "
            "the address you gave. A programme coordinator then approves the company "
            "before you can publish offers; you will receive an e-mail.",
            company=form.legal_name.data.strip(),
        ),
        category="info",
    ):
        return redirect(url_for("accounts.check_mailbox"))
    status = 400 if form.errors else 200
    return render_template("accounts/register_host.html", form=form), status


@bp.route("/register/sent")
def check_mailbox():
    """After a registration: the same page whether the address was new or already known."""
    return render_template("accounts/check_mailbox.html", form=ResendConfirmationForm())


@bp.route("/register/confirm/<token>", methods=["GET", "POST"])
def confirm_email(token: str):
    """The link of the "confirm your address" e-mail. Opening it shows a button; the address is
    confirmed by the button (a POST), so that mail scanners which open links confirm nothing."""
    try:
        user = services.user_for_confirm_token(token)
    except DomainError as exc:
        form = ResendConfirmationForm(
            formdata=None, email=services.confirm_token_email(token) or ""
        )
        page = render_template("accounts/confirm_invalid.html", reason=exc.message, form=form)
        return private((page, 400))
    form = ConfirmForm()
    if form.validate_on_submit():
        services.confirm_email(token)
        db.session.commit()
        if user.role is Role.host and user.is_pending:
            flash(
                _(
                    "Your e-mail address is confirmed. You can log in now; a programme "
                    "coordinator will check your company and you will receive an e-mail."
                ),
                "success",
            )
        else:
            flash(_("Your e-mail address is confirmed. You can log in now."), "success")
        return redirect(url_for("accounts.login"))
    return private(render_template("accounts/confirm_email.html", form=form, email=user.email))


@bp.route("/register/confirm", methods=["POST"])
@limiter.limit(_register_limit)
def resend_confirmation():
    """Ask for a new confirmation link; the answer never tells whether the address is known."""
    form = ResendConfirmationForm()
    if form.validate_on_submit():
        user = services.find_by_email(form.email.data)
        if user is not None:
            services.resend_confirmation(user)
        db.session.commit()
        flash(
            ngettext(
                "If an account waiting for confirmation has this address, a new link has been "
                "sent to it (at most one every %(num)d minute).",
                "If an account waiting for confirmation has this address, a new link has been "
                "sent to it (at most one every %(num)d minutes).",
                services.CONFIRM_RESEND_INTERVAL.seconds // 60,
            ),
            "info",
        )
        return redirect(url_for("accounts.check_mailbox"))
    flash_form_errors(form)
    return render_template("accounts/check_mailbox.html", form=form), 400


def _change_password(form: ChangePasswordForm) -> None:
    user = current_user._get_current_object()
    remember = bool(user.current_session and user.current_session.remember)
    services.change_password(user, form.current_password.data, form.password.data)
    # Every older session and remember cookie has ended; this browser gets a new one.
    renew_session()
    sessions.open_session(user, remember=remember)
    login_user(user, remember=remember)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = ChangePasswordForm()
    if attempt_form(
        form,
        lambda: _change_password(form),
        _("Your password has been changed."),
        beside=form.current_password,
    ):
        return redirect(url_for("main.dashboard"))
    return render_template(
        "accounts/change_password.html",
        form=form,
        open_sessions=sessions.open_sessions(current_user),
        logout_form=ConfirmForm(),
    )


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
@kept
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
    valid_or_400(ConfirmForm())
    if user.company_id is not None:
        # A contact of a company is approved with the company, after its data are checked.
        flash(
            _("This contact belongs to a company: approve the company instead."),
            "warning",
        )
        return redirect(url_for("companies.detail", company_id=user.company_id))
    attempt(
        lambda: services.approve_host(user, current_user),
        lambda _value: _("The account %(of_name)s is approved.", of_name=de(user.full_name)),
        error_category="warning",
    )
    return redirect(url_for("accounts.pending_hosts"))
