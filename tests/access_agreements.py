"""Access expectations for the agreement pages and the public verification page (merged into
tests/test_access_matrix.py).

``setup_values`` makes an issued agreement (its stored PDF a small sample, not rendered) for
users["student"] at users["host"]'s company: a cohort of its own (2027, or 2026 if taken: the
shared cohort's year has no legal stipend ceiling), a published offer of the host's company, a
selected application of users["student"] with its institution, a confirmed placement, and a
paper signature with its scan (for agreements.scan). Values: "agreement_id", "doc_id" (its
version 1), "signature_id", "code" (its verification code). agreements.issue uses the shared
"placement_id" of tests/access_placements.py when there is one (a proposed placement: the
coordinator is sent back with a message), else this agreement's placement (the coordinator is
sent to the agreement); agreements.cohort_zip uses the shared cohort (no agreement: a message).
"""

from __future__ import annotations

from tests.access_helpers import FORBIDDEN, LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

STAFF = ("coordinator", "admin")
PARTIES = ("student", "host")

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("agreements.index", "GET"): only(*STAFF),
    ("agreements.cohort_zip", "GET"): only(*STAFF),
    ("agreements.issue", "GET"): only(*STAFF),
    ("agreements.issue", "POST"): only(*STAFF),
    ("agreements.reissue", "GET"): only(*STAFF),
    ("agreements.reissue", "POST"): only(*STAFF),
    ("agreements.detail", "GET"): only(*STAFF, *PARTIES),
    ("agreements.mine", "GET"): only(*PARTIES),
    ("agreements.sign", "POST"): only(*PARTIES),
    ("agreements.paper_signature", "POST"): only(*STAFF),
    ("agreements.prefecture", "POST"): only(*STAFF),
    ("agreements.amend", "GET"): only(*STAFF),
    ("agreements.amend", "POST"): only(*STAFF),
    ("agreements.certificate", "POST"): only(*STAFF),
    ("agreements.confirm_certificate", "POST"): only(*PARTIES),
    ("agreements.download", "GET"): only(*STAFF, *PARTIES),
    ("agreements.scan", "GET"): only(*STAFF),
    ("verify.check", "GET"): public(),
    ("verify.check", "POST"): public(),
}


def setup_values(users, cohort, application) -> dict:
    import io
    from datetime import date
    from decimal import Decimal

    from sqlalchemy import select

    from mnc_exchange.agreements import services
    from mnc_exchange.agreements.models import Agreement, AgreementDocument, DocumentKind, Party
    from mnc_exchange.applications import uploads
    from mnc_exchange.applications.models import Application, ApplicationStatus, Institution
    from mnc_exchange.cohorts.models import Cohort
    from mnc_exchange.core.timeutils import utcnow
    from mnc_exchange.extensions import db
    from mnc_exchange.hosts.models import Company
    from mnc_exchange.placements.models import Placement, PlacementStatus
    from tests.factories import SAMPLE_PDF, CohortFactory, OfferFactory

    taken = set(db.session.scalars(select(Cohort.year)))
    year = next(y for y in (2027, 2026) if y not in taken)
    own_cohort = CohortFactory(year=year)
    company = db.session.get(Company, users["host"].company_id)
    offer = OfferFactory(cohort=own_cohort, company=company, title="Offre de la convention")
    institution = Institution(
        name="Université Access", city="Rabat", legal_representative="Pr. X", address="Rabat"
    )
    selected = Application(
        cohort_id=own_cohort.id,
        student_id=users["student"].id,
        status=ApplicationStatus.selected,
        first_name="Salma",
        last_name="Idrissi",
        birth_date=date(2003, 1, 2),
        cin="AC123456",
        passport_number="ZA1234567",
        programme="Génie logiciel",
        year_of_study=4,
        pole_ranking=[],
        institution=institution,
        submitted_at=utcnow(),
        eligibility_reasons=[],
        final_score=Decimal(80),
        final_rank=1,
    )
    db.session.add_all([institution, selected])
    db.session.flush()
    placement = Placement(
        cohort_id=own_cohort.id,
        application_id=selected.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
    )
    db.session.add(placement)
    db.session.flush()
    # The agreement as services.issue makes it, without rendering the PDF (WeasyPrint would
    # add about a second to each of the matrix's cases): the stored file is a small PDF.
    agreement = Agreement(
        cohort_id=own_cohort.id,
        placement_id=placement.id,
        sequence=1,
        number=f"MNC-{year}-001",
        start_on=offer.start_on,
        end_on=offer.end_on,
        weekly_hours=offer.weekly_hours,
        daily_hours=offer.daily_hours,
        monthly_stipend=offer.monthly_stipend,
        tutor_id=offer.tutor_id,
        work_address=company.address,
        work_city=offer.city,
        referent_name="Pr. Référent",
        referent_email="referent@example.ma",
        activities="Activités",
        skills_to_acquire="Compétences",
        prefecture_required=True,
    )
    agreement.placement, agreement.cohort = placement, own_cohort
    db.session.add(agreement)
    db.session.flush()
    pdf = uploads.check_upload(io.BytesIO(SAMPLE_PDF), f"{agreement.number}.pdf")
    document = AgreementDocument(
        agreement_id=agreement.id,
        kind=DocumentKind.agreement,
        version=1,
        reference=agreement.number,
        snapshot=services.build_snapshot(agreement),
        stored_name=uploads.store(pdf, f"agreements/{year}"),
        sha256=pdf.sha256,
        size=len(pdf.data),
        verification_code="ACCESSMATRIX23456789",
        issued_by_id=users["coordinator"].id,
    )
    db.session.add(document)
    db.session.flush()
    scan = uploads.check_upload(io.BytesIO(SAMPLE_PDF), "scan.pdf")
    # The host company signs first in the signing order.
    services.record_paper_signature(document, Party.host, "Hôte", scan, users["coordinator"])
    db.session.commit()
    shared_placement = db.session.scalar(
        select(Placement.id).where(Placement.cohort_id == cohort.id).order_by(Placement.id)
    )
    return {
        "agreement_id": document.agreement_id,
        "doc_id": document.id,
        "signature_id": document.signatures[0].id,
        "code": document.verification_code,
        "placement_id": shared_placement or placement.id,
    }
