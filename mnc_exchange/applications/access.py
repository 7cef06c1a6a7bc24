"""Object-level access to applications and their documents."""

from __future__ import annotations

from flask import abort

from ..accounts.models import User
from ..permissions import can
from .models import Application


def can_view_application(user: User, application: Application) -> bool:
    """The owner, and the staff who review applications. (Host companies tied to the student
    get access in the matching domain.)"""
    if can(user, "application.review"):
        return True
    return can(user, "application.apply") and application.student_id == user.id


def ensure_can_view(user: User, application: Application) -> None:
    if not can_view_application(user, application):
        abort(404)  # do not reveal that another student's file exists
