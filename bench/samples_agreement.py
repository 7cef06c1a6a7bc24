"""Render sample pages of a signed agreement and of an internship certificate to docs/samples/.

Builds a throw-away SQLite database (temporary folder, test-like configuration, a demo seal
certificate made there) with one 4-month internship in 2027, then:

- issues the agreement, has every party sign it in the signing order (the host and the student
  in the application, the others on paper) and keeps its final, sealed version;
- prepares the internship certificate (the programme), has the host confirm its figures
  (two days of absence) and sign it, and keeps its final, sealed version;
- renders a few pages of each to PNG at low resolution with ``pdftoppm`` (poppler-utils):
  ``agreement-1-parties.png`` (first page), ``agreement-2-leave.png`` (the page of the article
  "Absences et congés"), ``agreement-3-signatures.png`` (the signature record) and
  ``certificate-1.png``; the PDFs themselves are not kept.

Usage: python bench/samples_agreement.py [--output docs/samples] [--dpi 60]
(``make samples-agreement``). Needs the dev requirements (factory-boy) and pdftoppm
(``apt-get install poppler-utils``).
"""

from __future__ import annotations

import argparse
import io
import logging
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

# Run from a checkout without installing: make the repository root importable.
ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TODAY = date(2026, 11, 26)
START, END = date(2027, 3, 1), date(2027, 6, 30)


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def build(folder: Path):
    """The documents: the agreement's and the certificate's final versions (PDF bytes)."""
    from mnc_exchange.accounts.models import Role
    from mnc_exchange.agreements import services
    from mnc_exchange.agreements.models import Party
    from mnc_exchange.applications.models import Institution
    from mnc_exchange.applications.reference import Gender
    from mnc_exchange.applications.uploads import check_upload
    from mnc_exchange.cohorts.models import CohortState
    from mnc_exchange.extensions import db
    from mnc_exchange.followup import services as followup
    from mnc_exchange.followup.models import EvaluationKind
    from mnc_exchange.placements.models import Placement, PlacementStatus
    from tests.factories import (
        SAMPLE_PDF,
        CohortFactory,
        CompanyFactory,
        OfferFactory,
        TutorFactory,
        UserFactory,
        make_selected,
    )

    cohort = CohortFactory(year=2027, state=CohortState.matching, is_current=True)
    coordinator = UserFactory(role=Role.coordinator, full_name="Nadia Berrada")
    institution = Institution(
        name="École Nationale Supérieure d’Informatique et d’Analyse des Systèmes",
        city="Rabat",
        legal_representative="Pr. Amina Alaoui",
        address="Avenue Mohammed Ben Abdallah Regragui, Madinat Al Irfane",
    )
    db.session.add(institution)
    (application,) = make_selected(cohort, 1)
    application.first_name, application.last_name = "Salma", "Bennani"
    application.student.full_name = "Salma Bennani"
    application.gender = Gender.female
    application.institution = institution
    application.birth_date = date(2003, 5, 14)
    application.cin = "AB123456"
    application.passport_number = "ZX1234567"
    application.phone = "+212 6 61 23 45 67"
    company = CompanyFactory(
        legal_name="Paiements Numériques Lyon SAS",
        address="27 quai Perrache",
        postcode="69002",
        city="Lyon",
        headcount=85,
        representative_name="Claire Martin",
        representative_title="présidente",
    )
    tutor = TutorFactory(
        company=company, full_name="Julien Moreau", job_title="Responsable des API mobiles"
    )
    offer = OfferFactory(
        cohort=cohort,
        company=company,
        tutor=tutor,
        title="Développeuse backend — API de paiement mobile",
        description="Conception et développement d’API de paiement mobile.",
        city="Lyon",
        start_on=START,
        end_on=END,
        monthly_stipend=Decimal("720.00"),
        leave_days=8,
    )
    host = UserFactory(
        role=Role.host, company_id=company.id, full_name="Sophie Durand", locale="fr"
    )
    placement = Placement(
        cohort_id=cohort.id,
        application_id=application.id,
        offer_id=offer.id,
        status=PlacementStatus.confirmed,
    )
    db.session.add(placement)
    db.session.commit()

    document = services.issue(
        placement,
        services.IssueInput(
            referent_name="Pr. Youssef Bennani",
            referent_email="y.bennani@ensias.example.ma",
            activities=(
                "- Concevoir et développer des API REST de paiement mobile (Kotlin, Spring).\n"
                "- Écrire les tests automatisés et participer aux revues de code.\n"
                "- Documenter les services et présenter les démonstrations de fin de sprint."
            ),
            skills_to_acquire=(
                "Compétences techniques : architecture d’API, sécurité des paiements, tests "
                "automatisés. Compétences transversales : travail en équipe agile, "
                "communication écrite et orale en français, autonomie."
            ),
            teaching_hours=420,
            leave_days=8,
            benefits="Titres-restaurant de 9 € par jour travaillé ; moitié du pass Navigo.",
        ),
        coordinator,
        today=TODAY,
    )
    document.issued_at = _at(TODAY, 10, 15)  # the sample's calendar, not today's
    db.session.commit()
    services.sign_in_app(
        document,
        host,
        "203.0.113.9",
        capacity="Responsable des ressources humaines",
        on_behalf_of="Claire Martin, présidente",
        at=_at(date(2026, 11, 27), 9, 40),
    )
    services.sign_in_app(
        document, application.student, "198.51.100.4", at=_at(date(2026, 11, 27), 18, 5)
    )
    for party, name, day in (
        (Party.tutor, "Julien Moreau", date(2026, 11, 28)),
        (Party.institution, "Pr. Amina Alaoui", date(2026, 11, 30)),
        (Party.referent, "Pr. Youssef Bennani", date(2026, 11, 30)),
        (Party.programme, "Nadia Berrada", date(2026, 12, 1)),
    ):
        services.record_paper_signature(
            document,
            party,
            name,
            check_upload(io.BytesIO(SAMPLE_PDF), "signe.pdf"),
            coordinator,
            signed_on=day,
            at=_at(day, 15),
        )
    db.session.commit()

    internship = followup.ensure_internship(placement)
    _evaluation, token = followup.send_evaluation_link(internship, EvaluationKind.final, None)
    keys = [c.key for c in followup.criteria_for(cohort)]
    followup.submit_evaluation(
        token, dict.fromkeys(keys, 4), 4, "Travail soigné et autonome ; très bonne intégration."
    )
    db.session.commit()
    prepared = services.prepare_certificate(
        document.agreement,
        coordinator,
        programme_note="Stagiaire assidue aux points mensuels du programme.",
        today=date(2027, 7, 1),
    )
    prepared.issued_at = _at(date(2027, 7, 1), 9)
    db.session.commit()
    planned = services.certificate_figures(prepared)
    confirmed = services.CertificateFigures(
        planned.start_on, planned.end_on, planned.presence_hours - 14, Decimal("2640.00")
    )
    certificate = services.confirm_certificate(
        prepared,
        host,
        confirmed,
        "203.0.113.9",
        capacity="Responsable des ressources humaines",
        today=date(2027, 7, 2),
        at=_at(date(2027, 7, 2), 8, 30),
    )
    db.session.commit()
    if not (document.sealed and certificate.sealed):
        raise SystemExit("the final versions are not sealed: check the seal configuration")
    return (
        services.file_to_serve(document).read_bytes(),
        services.file_to_serve(certificate).read_bytes(),
    )


def _page_of(data: bytes, needle: str) -> int:
    """The 1-based number of the first page whose text holds ``needle``."""
    from pypdf import PdfReader

    for number, page in enumerate(PdfReader(io.BytesIO(data)).pages, start=1):
        if needle in " ".join((page.extract_text() or "").split()):
            return number
    raise SystemExit(f"no page holds {needle!r}")


def _pages(data: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(data)).pages)


def to_png(data: bytes, page: int, target: Path, dpi: int, work: Path) -> None:
    """One page to a small PNG: pdftoppm, then a 64-colour palette."""
    from PIL import Image

    source = work / "document.pdf"
    source.write_bytes(data)
    stem = work / "page"
    subprocess.run(  # noqa: S603 - our own arguments
        ["pdftoppm", "-png", "-r", str(dpi), "-f", str(page), "-l", str(page), "-singlefile"]
        + [str(source), str(stem)],
        check=True,
    )
    with Image.open(f"{stem}.png") as image:
        image.convert("RGB").quantize(colors=64).save(target, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=ROOT / "docs" / "samples")
    parser.add_argument("--dpi", type=int, default=75)
    args = parser.parse_args(argv)
    if shutil.which("pdftoppm") is None:
        raise SystemExit("pdftoppm is missing: apt-get install poppler-utils")

    from mnc_exchange import create_app
    from mnc_exchange.core import seal
    from mnc_exchange.extensions import db

    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        key, cert = folder / "seal-key.pem", folder / "seal-cert.pem"
        seal.create_demo_certificate(key, cert)
        app = create_app(
            {
                "CONFIG_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/samples.sqlite",
                "UPLOAD_FOLDER": str(folder / "uploads"),
                "SEAL_KEY_PATH": str(key),
                "SEAL_CERT_PATH": str(cert),
                "SERVER_BASE_URL": "https://echange.mnc.example.ma",
            }
        )
        app.logger.setLevel(logging.ERROR)
        with app.app_context():
            db.create_all()
            agreement, certificate = build(folder)
            db.session.remove()
            db.engine.dispose()
        args.output.mkdir(parents=True, exist_ok=True)
        pages = [
            (agreement, 1, "agreement-1-parties.png"),
            (agreement, _page_of(agreement, "Absences et congés"), "agreement-2-leave.png"),
            (agreement, _page_of(agreement, "Relevé des signatures"), "agreement-3-signatures.png"),
            (certificate, 1, "certificate-1.png"),
        ]
        if _pages(certificate) > 1:  # the certificate is meant to fit on one page
            pages.append((certificate, 2, "certificate-2.png"))
        total = 0
        for data, page, filename in pages:
            target = args.output / filename
            to_png(data, page, target, args.dpi, folder)
            total += target.stat().st_size
            print(
                f"{target.relative_to(ROOT) if target.is_relative_to(ROOT) else target}: "
                f"page {page}, {target.stat().st_size // 1024} KiB"
            )
        print(f"{len(pages)} pages, {total // 1024} KiB in all")
    return 0


if __name__ == "__main__":
    sys.exit(main())
