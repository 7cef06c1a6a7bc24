"""Admin pages: users (create, deactivate, reactivate), audit log, outbox."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..accounts import services as account_services
from ..accounts.forms import ROLE_LABELS, AdminUserForm, ConfirmForm
from ..accounts.models import Role, User
from ..audit import events
from ..audit.services import audit_query
from ..core.page_cache import kept
from ..core.pagination import paginate
from ..core.web import attempt, attempt_form, valid_or_400
from ..extensions import db
from ..mail.models import OutboxMessage
from ..permissions import permission_required

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50


@bp.route("/users")
@kept
@permission_required("user.manage")
def users():
    q = (request.args.get("q") or "").strip()[:100]
    role = request.args.get("role") or ""
    if role not in {r.value for r in Role}:
        role = ""
    query = account_services.users_query(q, Role(role) if role else None)
    page = paginate(query, per_page=PER_PAGE)
    return render_template(
        "admin/users.html",
        page=page,
        q=q,
        role=role,
        role_labels=ROLE_LABELS,
        form=ConfirmForm(),
    )


@bp.route("/users/new", methods=["GET", "POST"])
@permission_required("user.manage")
def create_user():
    form = AdminUserForm()
    if attempt_form(
        form,
        lambda: account_services.create_user(
            form.email.data,
            form.password.data,
            form.full_name.data,
            Role(form.role.data),
            locale=form.locale.data,
            approved=True,
            actor=current_user,
        ),
        lambda user: _("The account of %(email)s is created.", email=user.email),
        beside=form.email,
    ):
        return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form)


def _set_active(user_id: int, active: bool):
    user = db.get_or_404(User, user_id)
    valid_or_400(ConfirmForm())
    attempt(
        lambda: account_services.set_active(user, active, current_user),
        lambda _value: (
            _("The account of %(email)s is reactivated.", email=user.email)
            if active
            else _("The account of %(email)s is deactivated.", email=user.email)
        ),
    )
    return redirect(url_for("admin.users"))


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@permission_required("user.manage")
def deactivate_user(user_id: int):
    return _set_active(user_id, False)


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@permission_required("user.manage")
def reactivate_user(user_id: int):
    return _set_active(user_id, True)


@bp.route("/audit")
@kept
@permission_required("audit.view")
def audit():
    action = (request.args.get("action") or "").strip()[:80]
    page = paginate(audit_query(action), per_page=PER_PAGE)
    return render_template(
        "admin/audit.html",
        page=page,
        action=action,
        families=events.FAMILY_LABELS,
        describe=events.describe,
        target_label=events.target_label,
    )


@bp.route("/outbox")
@kept
@permission_required("outbox.view")
def outbox():
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc())
    page = paginate(query, per_page=PER_PAGE)
    return render_template("admin/outbox.html", page=page)


@bp.route("/outbox/<int:message_id>")
@permission_required("outbox.view")
def outbox_message(message_id: int):
    message = db.get_or_404(OutboxMessage, message_id)
    return render_template("admin/outbox_message.html", message=message)
