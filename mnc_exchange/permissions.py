"""Named permissions and the one helper that checks them.

Views never test roles directly: they declare the permission they need with
``@permission_required("...")``; templates call ``can("...")``. Object-level checks
(“is this the student's own file?”) live in each domain's ``access`` helpers and build on
these names.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort
from flask_login import current_user

from .accounts.models import Role
from .extensions import login_manager

# permission name -> roles that hold it
PERMISSIONS: dict[str, frozenset[Role]] = {
    "dashboard.view": frozenset(Role),
    "cohort.view": frozenset({Role.coordinator, Role.admin, Role.official}),
    "cohort.manage": frozenset({Role.coordinator, Role.admin}),
    "host.approve": frozenset({Role.coordinator, Role.admin}),
    "user.manage": frozenset({Role.admin}),
    # Applications: a student applies; coordinators screen every file.
    "application.apply": frozenset({Role.student}),
    "application.review": frozenset({Role.coordinator, Role.admin}),
    # Selection: coordinators run the round and review files (reviewers are coordinators).
    "selection.manage": frozenset({Role.coordinator, Role.admin}),
    "selection.review": frozenset({Role.coordinator}),
    # Host companies (mnc_exchange.hosts): a contact manages their own company, its tutors,
    # invitations and offers; coordinators review companies and offers.
    "company.manage": frozenset({Role.host}),
    "offer.manage": frozenset({Role.host}),
    "offer.review": frozenset({Role.coordinator, Role.admin}),
    # Matching (mnc_exchange.placements): students rank offers, companies rank candidates and
    # answer proposed placements, coordinators run and commit the matching.
    "matching.rank": frozenset({Role.student}),
    "matching.rank_candidates": frozenset({Role.host}),
    "placement.respond": frozenset({Role.host}),
    "matching.run": frozenset({Role.coordinator, Role.admin}),
    # Agreements (mnc_exchange.agreements): coordinators issue them and record paper
    # signatures; the student and the host contacts read and sign their own.
    "agreement.manage": frozenset({Role.coordinator, Role.admin}),
    "agreement.sign": frozenset({Role.student, Role.host}),
    # Follow-up (mnc_exchange.followup): the intern keeps their checklist, check-ins and
    # surveys; host contacts see their interns and report incidents; coordinators follow all.
    "followup.self": frozenset({Role.student}),
    "followup.host": frozenset({Role.host}),
    "followup.manage": frozenset({Role.coordinator, Role.admin}),
    # Reference lists (sending institutions).
    "reference.manage": frozenset({Role.admin}),
    "audit.view": frozenset({Role.admin}),
    "outbox.view": frozenset({Role.admin}),
}


def can(user, permission: str) -> bool:
    """Does ``user`` hold ``permission``? Inactive users and pending host contacts hold none
    beyond seeing their own dashboard."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_pending and permission != "dashboard.view":
        return False
    return user.role in PERMISSIONS[permission]


def permission_required(permission: str) -> Callable:
    """Decorator: anonymous users go to the login page, others without the permission get 403."""
    if permission not in PERMISSIONS:
        raise KeyError(f"unknown permission {permission!r}")

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not can(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_permission = permission  # type: ignore[attr-defined]
        return wrapped

    return decorator
