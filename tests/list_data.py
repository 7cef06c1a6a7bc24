"""Rows for the list pages in bulk (``INSERT … VALUES`` in batches, no service, no e-mail):
enough to measure a page's SQL at 5, 50 and 500 rows in seconds, and to give PostgreSQL's
planner a table of 20,000 rows (tests/test_list_pages.py, bench/bench_list_pages.py).

Each function adds ``n`` rows of one list with what the page shows beside them (the student
and institution of an application, the company of an offer, the documents and signatures of
an agreement, the steps, incidents and check-ins of an intern...), and returns the new ids.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import count

from sqlalchemy import insert

from mnc_exchange.accounts.models import Role, User
from mnc_exchange.agreements.models import (
    Agreement,
    AgreementDocument,
    DocumentKind,
    Party,
    Signature,
    SignatureMethod,
)
from mnc_exchange.applications.models import (
    Application,
    ApplicationStatus,
    Institution,
    refresh_sort_keys,
)
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.extensions import db
from mnc_exchange.followup.models import (
    CheckIn,
    Incident,
    IncidentCategory,
    IncidentStatus,
    Internship,
    MobilityStep,
    Severity,
)
from mnc_exchange.followup.schedule import STEPS
from mnc_exchange.hosts.models import Company, CompanyStatus, Pole
from mnc_exchange.mail.models import OutboxMessage
from mnc_exchange.offers.models import Offer, OfferStatus
from mnc_exchange.placements.models import Placement, PlacementStatus

_seq = count(1)
T0 = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)
REGIONS = ("casablanca-settat", "rabat-sale-kenitra", "fes-meknes", "marrakech-safi")
LEVELS = ("B1", "B2", "C1", "C2")
POLES = [p.value for p in Pole]
NAMES = ("Alaoui", "Bennani", "Chraibi", "Douiri", "El Fassi", "Fassi", "Guessous", "Haddad")


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` and return their ids, in order."""
    if not rows:
        return []
    result = db.session.scalars(
        insert(model).returning(model.id, sort_by_parameter_order=True), rows
    )
    return list(result)


def users(n: int, role: Role = Role.student, company_id: int | None = None) -> list[int]:
    rows = []
    for _ in range(n):
        k = next(_seq)
        rows.append(
            {
                "email": f"bulk{k}@example.org",
                "password_hash": "!",
                "full_name": f"Personne {NAMES[k % len(NAMES)]} {k}",
                "role": role,
                "locale": "fr",
                "active": k % 17 != 0,
                "approved_at": T0,
                "company_id": company_id,
            }
        )
    return _insert(User, rows)


def institutions(n: int) -> list[int]:
    rows = []
    for _ in range(n):
        k = next(_seq)
        rows.append(
            {
                "name": f"École {k}",
                "city": "Rabat",
                "legal_representative": f"Pr. {NAMES[k % len(NAMES)]}",
                "address": f"{k} avenue Mohammed V",
            }
        )
    return _insert(Institution, rows)


def applications(
    cohort_id: int,
    n: int,
    status: ApplicationStatus = ApplicationStatus.submitted,
    institution_ids: Sequence[int] = (),
) -> list[int]:
    """``n`` applications of new students (filled in, as after submission)."""
    students = users(n)
    rows = []
    for i, student_id in enumerate(students):
        k = next(_seq)
        rows.append(
            {
                "cohort_id": cohort_id,
                "student_id": student_id,
                "status": status,
                "first_name": None if k % 5 == 0 else f"Prénom{k}",
                "last_name": f"{NAMES[k % len(NAMES)]}{k}",
                "birth_date": date(2003, 1 + k % 12, 1 + k % 28),
                "cin": f"AB{100000 + k}",
                "region": REGIONS[k % len(REGIONS)],
                "institution_id": institution_ids[i % len(institution_ids)]
                if institution_ids
                else None,
                "programme": "Génie informatique",
                "year_of_study": 3 + k % 3,
                "grade_average": Decimal(10 + k % 10) + Decimal("0.25"),
                "french_level": LEVELS[k % len(LEVELS)],
                "english_level": LEVELS[(k + 1) % len(LEVELS)],
                "pole_ranking": POLES[k % len(POLES) :] + POLES[: k % len(POLES)],
                "submitted_at": T0 + timedelta(minutes=k),
                "eligibility_suggestion": bool(k % 2),
                "eligibility_reasons": [] if k % 2 else [{"code": "average", "params": {}}],
                "final_rank": k,
            }
        )
    ids = _insert(Application, rows)
    refresh_sort_keys(Application.id.in_(ids))  # Core inserts: the listener does not see them
    return ids


def companies(n: int, with_contacts: int = 1) -> list[int]:
    """``n`` companies (approved, some pending or rejected), each with contacts."""
    rows = []
    statuses = (CompanyStatus.approved, CompanyStatus.approved, CompanyStatus.pending)
    for _ in range(n):
        k = next(_seq)
        status = statuses[k % len(statuses)]
        rows.append(
            {
                "legal_name": f"Société {NAMES[k % len(NAMES)]} {k}",
                "siret": f"{k:014d}",
                "naf_code": "6201Z",
                "address": f"{k} rue de la Paix",
                "postcode": "75002",
                "city": ("Paris", "Lyon", "Toulouse")[k % 3],
                "headcount": 50 + k % 500,
                "sector": "Informatique",
                "mnc_member": bool(k % 2),
                "status": status,
                "approved_at": T0 if status is CompanyStatus.approved else None,
            }
        )
    ids = _insert(Company, rows)
    for company_id in ids:
        users(with_contacts, Role.host, company_id=company_id)
    return ids


def offers(
    cohort_id: int,
    company_ids: Sequence[int],
    n: int,
    statuses: Sequence[OfferStatus] = (OfferStatus.published,),
    year: int = 2027,
) -> list[int]:
    rows = []
    for i in range(n):
        k = next(_seq)
        status = statuses[i % len(statuses)]
        rows.append(
            {
                "cohort_id": cohort_id,
                "company_id": company_ids[i % len(company_ids)],
                "title": f"Développeur·se {k}",
                "description": "Conception et développement d’API. " * 40,
                "pole": POLES[k % len(POLES)],
                "skills": "Python, SQL",
                "city": ("Paris", "Lyon", "Toulouse")[k % 3],
                "start_on": date(year, 4, 1),
                "end_on": date(year, 9, 30),
                "weekly_hours": Decimal("35.0"),
                "daily_hours": Decimal("7.0"),
                "monthly_stipend": Decimal("693.00"),
                "seats": 1 + k % 3,
                "status": status,
                "submitted_at": T0 + timedelta(hours=k),
            }
        )
    return _insert(Offer, rows)


def placements(
    cohort_id: int,
    application_ids: Sequence[int],
    offer_ids: Sequence[int],
    statuses: Sequence[PlacementStatus] = (PlacementStatus.confirmed,),
) -> list[int]:
    rows = []
    for i, application_id in enumerate(application_ids):
        status = statuses[i % len(statuses)]
        rows.append(
            {
                "cohort_id": cohort_id,
                "application_id": application_id,
                "offer_id": offer_ids[i % len(offer_ids)],
                "status": status,
                "student_rank": 1 + i % 3,
                "respond_by_at": T0 + timedelta(days=10),
                "decline_reason": "Profil différent"
                if status is PlacementStatus.declined
                else None,
            }
        )
    return _insert(Placement, rows)


def placed_students(
    cohort_id: int, company_ids: Sequence[int], n: int, status=PlacementStatus.confirmed
) -> tuple[list[int], list[int]]:
    """``n`` selected students, each placed on an offer of its own: (placement ids, offer
    ids)."""
    apps = applications(cohort_id, n, ApplicationStatus.selected)
    offer_ids = offers(cohort_id, company_ids, n, (OfferStatus.filled,))
    return placements(cohort_id, apps, offer_ids, (status,)), offer_ids


def agreements(cohort_id: int, placement_ids: Sequence[int], year: int = 2027) -> list[int]:
    """An agreement for each placement, with its document signed by some of the parties."""
    rows = []
    for placement_id in placement_ids:
        k = next(_seq)
        rows.append(
            {
                "cohort_id": cohort_id,
                "placement_id": placement_id,
                "sequence": k,
                "number": f"MNC-{year}-{k:05d}",
                "start_on": date(year, 4, 1),
                "end_on": date(year, 9, 30) if k % 2 else date(year, 6, 15),
                "weekly_hours": Decimal("35.0"),
                "daily_hours": Decimal("7.0"),
                "monthly_stipend": Decimal("693.00"),
                "work_address": "1 rue de la Paix",
                "work_city": "Paris",
                "referent_name": "Pr. Youssef Bennani",
                "referent_email": "y.bennani@example.ma",
                "activities": "Conception d’API. " * 30,
                "prefecture_required": bool(k % 2),
            }
        )
    ids = _insert(Agreement, rows)
    documents = []
    for agreement_id in ids:
        k = next(_seq)
        documents.append(
            {
                "agreement_id": agreement_id,
                "kind": DocumentKind.agreement,
                "version": 1,
                "reference": f"REF-{k}",
                "reasons": [],
                "snapshot": {"terms": "x" * 4000, "k": k},
                "stored_name": f"agreements/{k}.pdf",
                "sha256": "0" * 64,
                "size": 1000,
                "verification_code": f"CODE{k:012d}",
                "issued_at": T0,
            }
        )
    document_ids = _insert(AgreementDocument, documents)
    signatures = []
    parties = list(Party)
    for i, document_id in enumerate(document_ids):
        for party in parties[: i % len(parties)]:
            signatures.append(
                {
                    "document_id": document_id,
                    "party": party,
                    "method": SignatureMethod.in_app,
                    "signer_name": f"Signataire {party.value}",
                    "signed_at": T0,
                }
            )
    _insert(Signature, signatures)
    return ids


def internships(
    cohort_id: int, placement_ids: Sequence[int], reporter_id: int, start: date
) -> list[int]:
    """An intern for each placement, with the checklist, an open incident every other intern
    and a check-in."""
    ids = _insert(
        Internship,
        [
            {
                "cohort_id": cohort_id,
                "placement_id": placement_id,
                "arrived_on": start if i % 2 else None,
                "departed_on": start - timedelta(days=1) if i % 2 else None,
            }
            for i, placement_id in enumerate(placement_ids)
        ],
    )
    steps, incidents, checkins = [], [], []
    for i, internship_id in enumerate(ids):
        for position, (key, days) in enumerate(STEPS):
            due = start - timedelta(days=days if days is not None else 30)
            steps.append(
                {
                    "internship_id": internship_id,
                    "key": key,
                    "position": position,
                    "due_on": due,
                    "done_on": due if position < i % len(STEPS) else None,
                }
            )
        if i % 2 == 0:
            incidents.append(
                {
                    "internship_id": internship_id,
                    "reported_by_id": reporter_id,
                    "category": IncidentCategory.other,
                    "severity": (Severity.low, Severity.critical)[i % 4 == 0],
                    "status": IncidentStatus.open,
                    "occurred_on": start,
                    "summary": "Retard de badge",
                    "description": "Le badge n'était pas prêt.",
                }
            )
        checkins.append(
            {
                "internship_id": internship_id,
                "month": date(start.year, start.month, 1),
                "wellbeing": 4,
                "workload": 3,
            }
        )
    _insert(MobilityStep, steps)
    _insert(Incident, incidents)
    _insert(CheckIn, checkins)
    return ids


def audit_events(n: int, actor_ids: Sequence[int]) -> list[int]:
    actions = ("application.save", "cohort.update", "offer.transition", "agreement.sign")
    rows = []
    for i in range(n):
        k = next(_seq)
        rows.append(
            {
                "created_at": T0 + timedelta(seconds=k),
                "actor_id": actor_ids[i % len(actor_ids)] if actor_ids else None,
                "action": actions[k % len(actions)],
                "target_type": "applications",
                "target_id": k,
                "details": {"k": k, "fields": ["first_name", "last_name"]},
                "ip": "127.0.0.1",
            }
        )
    return _insert(AuditEvent, rows)


def outbox(n: int) -> list[int]:
    rows = []
    for _ in range(n):
        k = next(_seq)
        rows.append(
            {
                "recipient": f"r{k}@example.org",
                "subject": f"Message {k}",
                "body_text": "Bonjour " * 50,
            }
        )
    return _insert(OutboxMessage, rows)
