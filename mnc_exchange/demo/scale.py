"""A scale data set (issue 16): N times the demo programme, to measure the pages and the reports
at a size the demo does not reach. ``flask demo-data --scale N`` loads the demo (unchanged),
then this.

Every cohort of the demo gets N times its applications: the new ones are copies of the
cohort's own applications, drawn at random (so each cohort keeps its mix of drafts, withdrawals,
ineligible files, waitlists...), each with a new student account (the demo password), a new
name (the anonymised applicants of the old years stay anonymised), a new CIN. A finished
cohort's quota becomes N times the demo's (at most 500, the quota's ceiling): at N = 100,
500 interns a year. The new interns are copies of the cohort's interns, with their whole
record: a new offer at the same company (one seat), the confirmed placement, the internship and
its checklist, check-ins, incidents, the tutors' evaluations, the 3-, 6- and 12-month surveys,
and — for the cohorts whose agreements are in the demo — the agreement, its versions and their
signatures. Applicants copied from an intern beyond the quota are interviewed and not kept
(rejected).

At N = 100: about 113,000 applications and student accounts, 3,000 interns over six years,
1,000 agreements, 9,000 surveys. Written with SQLAlchemy Core (``insert()`` of many rows at a
time, the identifiers given back by RETURNING): no ORM object per row, no audit event, no
e-mail, and **no PDF rendered**: a copied agreement's documents point to the PDF of the
agreement they were copied from (the same file, the same checksum), under their own number
and verification code. The application files (uploaded documents) and the selection's reviews
are not copied.

Idempotent: nothing is added when the scale data set is already there.
"""

from __future__ import annotations

import random
import secrets
from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import func, insert, select, update

from ..applications.models import ApplicationStatus, refresh_sort_keys
from ..applications.reference import Gender
from ..cohorts.models import QUOTA_MAX
from ..extensions import db
from ..models import (
    Agreement,
    AgreementDocument,
    Application,
    CheckIn,
    Cohort,
    EmploymentSurvey,
    Incident,
    Internship,
    MobilityStep,
    Offer,
    Placement,
    Signature,
    TutorEvaluation,
    User,
)
from ..placements.models import PlacementStatus
from .common import random_name

SEED = 1600
#: E-mail of the scale data set's students (also its mark: loaded once).
EMAIL = "etudiant-{year}-{n:06d}@echelle.demo.mnc.ma"
DOMAIN = "@echelle.demo.mnc.ma"
#: Rows per INSERT statement.
CHUNK = 2000


def _table(model):
    return model.__table__


def _rows(model, *where) -> list[dict]:
    table = _table(model)
    return [dict(row._mapping) for row in db.session.execute(select(table).where(*where))]


def _insert(model, rows: list[dict]) -> list[int]:
    """Insert ``rows`` (without their id), in chunks; the new ids in the order of ``rows``."""
    table = _table(model)
    ids: list[int] = []
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        for row in chunk:
            row.pop("id", None)
        result = db.session.execute(
            insert(table).returning(table.c.id, sort_by_parameter_order=True), chunk
        )
        ids.extend(result.scalars().all())
    return ids


def _insert_plain(model, rows: Iterable[dict]) -> int:
    """Insert rows whose ids nobody needs back."""
    table = _table(model)
    rows = list(rows)
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        for row in chunk:
            row.pop("id", None)
        db.session.execute(insert(table), chunk)
    return len(rows)


def loaded() -> bool:
    return bool(
        db.session.scalar(
            select(func.count()).select_from(User).where(User.email.like(f"%{DOMAIN}"))
        )
    )


def load_scale_data(n: int) -> dict[str, int]:
    """Make every cohort of the demo ``n`` times bigger (see the module's docstring); returns
    how many rows of each kind were added."""
    if n < 1:
        raise ValueError("The scale is a whole number from 1 up.")
    added: dict[str, int] = defaultdict(int)
    if n == 1 or loaded():
        return dict(added)
    db.session.flush()
    rng = random.Random(SEED + n)
    cohorts = list(db.session.scalars(select(Cohort).order_by(Cohort.year)))
    for cohort in cohorts:
        _scale_cohort(rng, cohort, n, added)
    # Core statements go round the session's listeners: the reports' kept figures are stale.
    from ..reports.snapshots import SNAPSHOTS

    db.session.execute(update(SNAPSHOTS).values(version=SNAPSHOTS.c.version + 1))
    db.session.flush()
    db.session.expire_all()
    return dict(added)


def _scale_cohort(rng: random.Random, cohort: Cohort, n: int, added: dict[str, int]) -> None:
    applications = _rows(Application, Application.cohort_id == cohort.id)
    if not applications:
        return
    placements = {
        row["application_id"]: row
        for row in _rows(
            Placement,
            Placement.cohort_id == cohort.id,
            Placement.status == PlacementStatus.confirmed,
        )
    }
    interns = [a for a in applications if a["id"] in placements]
    others = [a for a in applications if a["id"] not in placements]
    extra = (n - 1) * len(applications)
    if interns:
        quota = min(QUOTA_MAX, cohort.quota * n)
        new_interns = min(max(0, quota - len(interns)), extra)
        db.session.execute(
            update(_table(Cohort)).where(_table(Cohort).c.id == cohort.id).values(quota=quota)
        )
    else:
        new_interns = 0
    # Copies of the applicants (and of the interns beyond the quota), in the cohort's mix.
    sources = [rng.choice(interns) for _ in range(new_interns)]
    pool = applications if interns else others
    sources += [rng.choice(pool) for _ in range(extra - new_interns)]
    rejected_copies = {
        index
        for index, source in enumerate(sources)
        if index >= new_interns and source["id"] in placements
    }

    students = {
        row["id"]: row for row in _rows(User, User.id.in_({a["student_id"] for a in applications}))
    }
    used_cins = set(
        db.session.scalars(
            select(Application.cin).where(
                Application.cohort_id == cohort.id, Application.cin.is_not(None)
            )
        )
    )
    users, copies = [], []
    for index, source in enumerate(sources):
        number = index + 1
        user = dict(students[source["student_id"]])
        application = dict(source)
        anonymised = source["anonymised_at"] is not None
        gender = source["gender"]
        first, last = random_name(rng, gender == Gender.female)
        user["email"] = EMAIL.format(year=cohort.year, n=number)
        user["full_name"] = "—" if anonymised else f"{first} {last}"
        if not anonymised:
            application["first_name"], application["last_name"] = first, last
        if source["cin"] is not None:
            cin = f"Z{cohort.year % 100:02d}{number:07d}"
            while cin in used_cins:
                cin = f"Y{rng.randrange(10**9):09d}"
            used_cins.add(cin)
            application["cin"] = cin
        if index in rejected_copies:  # an intern's copy beyond the quota: interviewed only
            application["status"] = ApplicationStatus.rejected
            application["waitlist_rank"] = None
        users.append(user)
        copies.append(application)
    user_ids = _insert(User, users)
    for application, user_id in zip(copies, user_ids, strict=True):
        application["student_id"] = user_id
    application_ids = _insert(Application, copies)
    # Core inserts go round the session's listener: the copies' name sort keys from their rows.
    refresh_sort_keys(Application.cohort_id == cohort.id)
    added["users"] += len(user_ids)
    added["applications"] += len(application_ids)
    if new_interns:
        _copy_interns(
            cohort,
            [
                (placements[source["id"]], application_ids[index])
                for index, source in enumerate(sources[:new_interns])
            ],
            added,
        )


def _copy_interns(cohort: Cohort, pairs: list[tuple[dict, int]], added) -> None:
    """For each (template placement, new application): the offer, the placement and the whole
    record of the intern, copied."""
    offers = {row["id"]: row for row in _rows(Offer, Offer.cohort_id == cohort.id)}
    new_offers = []
    for placement, _application in pairs:
        offer = dict(offers[placement["offer_id"]])
        offer["seats"] = 1
        new_offers.append(offer)
    offer_ids = _insert(Offer, new_offers)
    new_placements = []
    for (placement, application_id), offer_id in zip(pairs, offer_ids, strict=True):
        copy = dict(placement)
        copy["application_id"], copy["offer_id"] = application_id, offer_id
        new_placements.append(copy)
    placement_ids = _insert(Placement, new_placements)
    added["offers"] += len(offer_ids)
    added["placements"] += len(placement_ids)
    template_of = {
        new: placement["id"] for (placement, _a), new in zip(pairs, placement_ids, strict=True)
    }

    # The internships and everything hanging from them.
    internships = {
        row["placement_id"]: row for row in _rows(Internship, Internship.cohort_id == cohort.id)
    }
    pairs_i = [(new, internships[old]) for new, old in template_of.items() if old in internships]
    copies = []
    for new_placement, internship in pairs_i:
        copy = dict(internship)
        copy["placement_id"] = new_placement
        copies.append(copy)
    internship_ids = _insert(Internship, copies)
    added["internships"] += len(internship_ids)
    old_ids = [internship["id"] for _p, internship in pairs_i]
    by_template: dict[int, list[int]] = defaultdict(list)
    for old, new in zip(old_ids, internship_ids, strict=True):
        by_template[old].append(new)
    for model, key in (
        (MobilityStep, "mobility_steps"),
        (CheckIn, "checkins"),
        (EmploymentSurvey, "surveys"),
        (Incident, "incidents"),
        (TutorEvaluation, "tutor_evaluations"),
    ):
        rows = _rows(model, model.internship_id.in_(set(old_ids)))
        out = []
        for row in rows:
            for new in by_template[row["internship_id"]]:
                copy = dict(row)
                copy["internship_id"] = new
                if model is TutorEvaluation:
                    copy["token_hash"] = None
                out.append(copy)
        added[key] += _insert_plain(model, out)

    # The agreements (rows only: the documents point to the template's PDF).
    agreements = {
        row["placement_id"]: row for row in _rows(Agreement, Agreement.cohort_id == cohort.id)
    }
    pairs_a = [(new, agreements[old]) for new, old in template_of.items() if old in agreements]
    if not pairs_a:
        return
    sequence = (
        db.session.scalar(
            select(func.max(Agreement.sequence)).where(Agreement.cohort_id == cohort.id)
        )
        or 0
    )
    copies, numbers = [], {}
    for new_placement, agreement in pairs_a:
        sequence += 1
        copy = dict(agreement)
        copy["placement_id"], copy["sequence"] = new_placement, sequence
        copy["number"] = f"MNC-{cohort.year}-E{sequence:05d}"
        copies.append(copy)
    agreement_ids = _insert(Agreement, copies)
    added["agreements"] += len(agreement_ids)
    for (_p, agreement), new, copy in zip(pairs_a, agreement_ids, copies, strict=True):
        numbers[new] = (agreement, copy["number"])
    documents = defaultdict(list)
    old_agreements = {agreement["id"] for _p, agreement in pairs_a}
    for row in _rows(AgreementDocument, AgreementDocument.agreement_id.in_(old_agreements)):
        documents[row["agreement_id"]].append(row)
    doc_copies, doc_templates = [], []
    for new, (agreement, number) in numbers.items():
        for document in documents[agreement["id"]]:
            copy = dict(document)
            copy["agreement_id"] = new
            copy["reference"] = document["reference"].replace(agreement["number"], number, 1)
            copy["verification_code"] = secrets.token_hex(8)
            doc_copies.append(copy)
            doc_templates.append(document["id"])
    doc_ids = _insert(AgreementDocument, doc_copies)
    added["agreement_documents"] += len(doc_ids)
    signatures = defaultdict(list)
    for row in _rows(Signature, Signature.document_id.in_(set(doc_templates))):
        signatures[row["document_id"]].append(row)
    out = []
    for old, new in zip(doc_templates, doc_ids, strict=True):
        for signature in signatures[old]:
            copy = dict(signature)
            copy["document_id"] = new
            out.append(copy)
    added["signatures"] += _insert_plain(Signature, out)
