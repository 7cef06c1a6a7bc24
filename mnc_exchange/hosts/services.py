"""Host companies: registration with the first contact, approval, invitations, tutors.

A host contact registers the company and their own account in one step; both wait for a
coordinator, who hears of them once the contact has confirmed their address. Approving the
company approves its contacts. Colleagues join through an invitation link (a random token,
only its hash stored, valid 7 days, once), which also proves their address.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select
from stdnum import exceptions as stdnum_exceptions
from stdnum.fr import siret as stdnum_siret

from ..accounts import services as accounts
from ..accounts.models import Role, User
from ..audit.services import record
from ..core.errors import DomainError
from ..core.timeutils import utcnow
from ..extensions import db
from ..mail.services import queue_email
from .models import Company, CompanyInvitation, CompanyStatus, Tutor

INVITATION_DAYS = 7


def normalise_siret(value: str) -> str:
    """Digits only (spaces, dots and dashes removed), or ``DomainError`` when invalid."""
    try:
        return stdnum_siret.validate(value or "")
    except stdnum_exceptions.ValidationError as exc:
        raise DomainError(
            _("This SIRET is not valid: 14 digits with a correct check digit are expected.")
        ) from exc


def siret_taken(siret: str, exclude_id: int | None = None) -> bool:
    query = select(Company.id).where(Company.siret == siret)
    if exclude_id is not None:
        query = query.where(Company.id != exclude_id)
    return db.session.scalar(query) is not None


@dataclass
class CompanyInput:
    legal_name: str
    siret: str
    naf_code: str
    address: str
    postcode: str
    city: str
    headcount: int
    sector: str
    mnc_member: bool
    representative_name: str | None = None
    representative_title: str | None = None


def _apply(company: Company, data: CompanyInput) -> None:
    siret = normalise_siret(data.siret)
    if siret_taken(siret, exclude_id=company.id):
        raise DomainError(_("A company with this SIRET is already registered."))
    if data.headcount < 0:
        raise DomainError(_("The headcount cannot be negative."))
    company.legal_name = data.legal_name.strip()
    company.siret = siret
    company.naf_code = data.naf_code.strip().upper().replace(".", "")
    company.address = data.address.strip()
    company.postcode = data.postcode.strip()
    company.city = data.city.strip()
    company.headcount = data.headcount
    company.sector = data.sector.strip()
    company.mnc_member = bool(data.mnc_member)
    company.representative_name = (data.representative_name or "").strip() or None
    company.representative_title = (data.representative_title or "").strip() or None


def register_company(
    data: CompanyInput, email: str, password: str, full_name: str, locale: str
) -> User | None:
    """A host contact registers their company and their account (both pending, the address
    unconfirmed). For an address that already has an account nothing is created (the owner is
    told by e-mail) and None is returned; the caller answers the same either way."""
    company = Company(status=CompanyStatus.pending)
    _apply(company, data)  # the company's data are checked whatever the address
    if accounts.email_taken(email):
        return accounts.register(email, password, full_name, Role.host, locale)
    db.session.add(company)
    db.session.flush()
    user = accounts.register(email, password, full_name, Role.host, locale, company=company)
    record("company.register", company, {"siret": company.siret}, actor=user)
    return user


#: The fields that identify the company legally: changing one needs a new approval. The legal
#: form (SAS, SARL…) is part of the legal name; the address, NAF code, headcount, sector and
#: legal representative describe the company without changing who it is.
IDENTITY_FIELDS = ("legal_name", "siret")
#: Every field of the company form, recorded before/after in the audit log.
AUDITED_FIELDS = (
    "legal_name",
    "siret",
    "naf_code",
    "address",
    "postcode",
    "city",
    "headcount",
    "sector",
    "mnc_member",
    "representative_name",
    "representative_title",
)


def _same_identity(field: str, before, after) -> bool:
    """A legal name written with other capitals or spaces is the same name."""
    if field == "legal_name":
        return " ".join(before.split()).casefold() == " ".join(after.split()).casefold()
    return before == after


def update_company(company: Company, data: CompanyInput, actor: User) -> bool:
    """Save the company's data; the audit entry holds every changed field, before and after.

    A new legal name or SIRET sends an approved company back to approval (status pending,
    coordinators e-mailed as for a new registration): until a coordinator approves it, it
    cannot publish offers, invite colleagues or get agreement documents, while its current
    placements, interns and issued agreements carry on (``Company.keeps_existing_work``).
    Documents already issued keep the identity they were issued with (their snapshot).
    Returns True when the change waits for approval.
    """
    before = {name: getattr(company, name) for name in AUDITED_FIELDS}
    _apply(company, data)
    changes = {
        name: {"before": before[name], "after": getattr(company, name)}
        for name in AUDITED_FIELDS
        if before[name] != getattr(company, name)
    }
    identity = [
        name
        for name in IDENTITY_FIELDS
        if name in changes
        and not _same_identity(name, changes[name]["before"], changes[name]["after"])
    ]
    needs_approval = bool(identity) and (company.is_approved or company.identity_change_pending)
    if needs_approval:
        company.status = CompanyStatus.pending
    record(
        "company.update",
        company,
        {"changes": changes, "identity_changed": identity, "back_to_approval": needs_approval},
        actor=actor,
    )
    if needs_approval:
        _notify_identity_change(company, changes, identity, actor)
    return needs_approval


def _notify_identity_change(
    company: Company, changes: dict, identity: list[str], actor: User
) -> None:
    coordinators = accounts.active_coordinators()
    for coordinator in coordinators:
        queue_email(
            coordinator.email,
            "company_identity_changed",
            coordinator.locale,
            coordinator=coordinator,
            host=actor,
            company=company,
            changes={name: changes[name] for name in identity},
        )


def identity_changes(company: Company) -> dict[str, dict]:
    """While a new legal identity waits for approval: each changed identity field with its
    value at the last approval ("before") and now ("after"), read from the audit log."""
    from ..audit.models import AuditEvent

    if not company.identity_change_pending:
        return {}
    events = db.session.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.action == "company.update",
            AuditEvent.target_type == Company.__tablename__,
            AuditEvent.target_id == company.id,
            AuditEvent.created_at >= company.approved_at,
        )
        .order_by(AuditEvent.id)
    )
    result: dict[str, dict] = {}
    for event in events:
        for name, change in (event.details or {}).get("changes", {}).items():
            if name in IDENTITY_FIELDS:
                first = result.get(name, change)["before"]
                result[name] = {"before": first, "after": change["after"]}
    return {
        name: change
        for name, change in result.items()
        if not _same_identity(name, change["before"], change["after"])
    }


def pending_companies() -> list[Company]:
    return list(
        db.session.scalars(
            select(Company)
            .where(Company.status == CompanyStatus.pending)
            .order_by(Company.created_at, Company.id)
        )
    )


def approve_company(company: Company, actor: User) -> None:
    if company.status is CompanyStatus.approved:
        raise DomainError(_("This company is already approved."))
    company.status = CompanyStatus.approved
    company.approved_at = utcnow()
    company.approved_by_id = actor.id
    company.rejection_reason = None
    record("company.approve", company, actor=actor)
    for contact in company.contacts:
        if contact.is_pending:
            contact.approved_at = utcnow()
            record("user.approve", contact, actor=actor)
        queue_email(contact.email, "host_approved", contact.locale, user=contact, company=company)


def reject_company(company: Company, reason: str, actor: User) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for refusing the company."))
    if company.status is not CompanyStatus.pending:
        raise DomainError(_("Only a company waiting for approval can be refused."))
    company.status = CompanyStatus.rejected
    company.rejection_reason = reason
    record("company.reject", company, {"reason": reason}, actor=actor)
    for contact in company.contacts:
        queue_email(
            contact.email,
            "company_rejected",
            contact.locale,
            user=contact,
            company=company,
            reason=reason,
        )


def company_of(user: User) -> Company | None:
    if user.role is not Role.host or user.company_id is None:
        return None
    return db.session.get(Company, user.company_id)


# --- invitations ----------------------------------------------------------------------------


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_contact(company: Company, email: str, actor: User) -> tuple[CompanyInvitation, str]:
    """Create an invitation and e-mail the link; returns the invitation and the raw token."""
    if not company.is_approved:
        raise DomainError(_("The company must be approved before inviting colleagues."))
    email = accounts.normalise_email(email)
    if accounts.email_taken(email):
        raise DomainError(_("An account already exists with this e-mail address."))
    token = secrets.token_urlsafe(32)
    invitation = CompanyInvitation(
        company_id=company.id,
        email=email,
        token_hash=_hash(token),
        invited_by_id=actor.id,
        expires_at=utcnow() + timedelta(days=INVITATION_DAYS),
    )
    db.session.add(invitation)
    db.session.flush()
    record("company.invite", invitation, {"email": email}, actor=actor)
    queue_email(
        email,
        "company_invitation",
        actor.locale,
        company=company,
        inviter=actor,
        token=token,
        expires_at=invitation.expires_at,
    )
    return invitation, token


def invitation_for_token(token: str, now: datetime | None = None) -> CompanyInvitation:
    """The usable invitation for ``token``, or ``DomainError`` saying why it cannot be used."""
    now = now or utcnow()
    invitation = db.session.scalar(
        select(CompanyInvitation).where(CompanyInvitation.token_hash == _hash(token or ""))
    )
    if invitation is None:
        raise DomainError(_("This invitation link is not valid."))
    if invitation.accepted_at is not None:
        raise DomainError(_("This invitation has already been used."))
    if invitation.revoked_at is not None:
        raise DomainError(_("This invitation has been withdrawn."))
    if invitation.expires_at < now:
        raise DomainError(_("This invitation has expired; ask your colleague to send a new one."))
    return invitation


def accept_invitation(token: str, password: str, full_name: str, locale: str) -> User:
    invitation = invitation_for_token(token)
    user = accounts.create_user(
        invitation.email, password, full_name, Role.host, locale=locale, approved=True
    )
    user.company_id = invitation.company_id
    invitation.accepted_at = utcnow()
    record("company.join", invitation, {"user": user.id}, actor=user)
    return user


def revoke_invitation(invitation: CompanyInvitation, actor: User) -> None:
    if invitation.accepted_at is not None:
        raise DomainError(_("This invitation has already been used."))
    invitation.revoked_at = utcnow()
    record("company.invite_revoke", invitation, actor=actor)


def open_invitations(company: Company) -> list[CompanyInvitation]:
    return list(
        db.session.scalars(
            select(CompanyInvitation)
            .where(
                CompanyInvitation.company_id == company.id,
                CompanyInvitation.accepted_at.is_(None),
                CompanyInvitation.revoked_at.is_(None),
            )
            .order_by(CompanyInvitation.created_at)
        )
    )


# --- tutors ---------------------------------------------------------------------------------


@dataclass
class TutorInput:
    full_name: str
    job_title: str
    email: str
    phone: str | None = None


def save_tutor(
    company: Company, data: TutorInput, actor: User, tutor: Tutor | None = None
) -> Tutor:
    if tutor is None:
        tutor = Tutor(company_id=company.id)
        db.session.add(tutor)
    elif tutor.company_id != company.id:
        raise DomainError(_("This tutor belongs to another company."))
    tutor.full_name = data.full_name.strip()
    tutor.job_title = data.job_title.strip()
    tutor.email = accounts.normalise_email(data.email)
    tutor.phone = (data.phone or "").strip() or None
    db.session.flush()
    record("tutor.save", tutor, actor=actor)
    return tutor


def companies_with_counts() -> list[tuple[Company, int]]:
    """Every company with its number of contacts (one query)."""
    rows = db.session.execute(
        select(Company, func.count(User.id))
        .outerjoin(User, User.company_id == Company.id)
        .group_by(Company.id)
        .order_by(Company.legal_name)
    )
    return [(company, count) for company, count in rows]
