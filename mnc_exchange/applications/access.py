"""Object-level access to applications and their documents."""

from __future__ import annotations

from flask import abort

from ..accounts.models import User
from ..permissions import can
from .models import Application, Document
from .reference import DocumentKind

#: Documents a host company may download for a candidate it can see: everything but the
#: passport scan (identity data stays with the programme).
HOST_DOCUMENT_KINDS = frozenset(set(DocumentKind) - {DocumentKind.passport})


def can_view_application(user: User, application: Application) -> bool:
    """The owner, and the staff who review applications. (Host companies see a candidate's
    profile and some documents only: ``host_can_see``.)"""
    if can(user, "application.review"):
        return True
    return can(user, "application.apply") and application.student_id == user.id


def ensure_can_view(user: User, application: Application) -> None:
    if not can_view_application(user, application):
        abort(404)  # do not reveal that another student's file exists


def host_can_see(user: User, application: Application) -> bool:
    """A contact of an approved company (or one whose new identity waits for approval) sees a
    candidate who ranked one of its offers, or was placed with it
    (``placements.services.company_can_see``)."""
    if not can(user, "matching.rank_candidates"):
        return False
    from ..hosts.services import company_of
    from ..placements.services import company_can_see

    company = company_of(user)
    return (
        company is not None
        and company.keeps_existing_work
        and company_can_see(company, application)
    )


def can_download(user: User, document: Document) -> bool:
    """Who may download ``document``: whoever may view its application; a host contact, the
    current documents (not the passport) of a candidate their company can see."""
    if can_view_application(user, document.application):
        return True
    return (
        document.is_current
        and document.kind in HOST_DOCUMENT_KINDS
        and host_can_see(user, document.application)
    )


def ensure_can_download(user: User, document: Document) -> None:
    if not can_download(user, document):
        abort(404)  # do not reveal that another student's file exists
