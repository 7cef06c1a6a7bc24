"""A cohort's agreements in one batch: ``flask agreements issue`` and ``generate`` lay the PDFs
out in several processes (``PDF_WORKERS``), with the same documents as one at a time."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mnc_exchange.accounts.models import Role
from mnc_exchange.agreements import services
from mnc_exchange.agreements.models import Agreement, AgreementDocument
from mnc_exchange.audit.models import AuditEvent
from mnc_exchange.cohorts.models import CohortState
from mnc_exchange.core import pdf
from mnc_exchange.extensions import db
from mnc_exchange.mail.models import OutboxMessage
from tests.factories import CohortFactory, UserFactory
from tests.test_agreement_documents import YEAR, make_confirmed, pdf_text


@pytest.fixture
def cohort():
    return CohortFactory(year=YEAR, state=CohortState.matching, is_current=True)


@pytest.fixture
def two_workers(app, data_app):
    """Batches laid out in two processes (the commands run in the test's app context)."""
    for each in (app, data_app):
        each.config["PDF_WORKERS"] = 2
    yield
    for each in (app, data_app):
        each.config["PDF_WORKERS"] = 1


def _issue(runner, coordinator):
    return runner.invoke(
        args=[
            "agreements",
            "issue",
            str(YEAR),
            "--by",
            coordinator.email,
            "--referent-name",
            "Pr. Youssef Bennani",
            "--referent-email",
            "y.bennani@example.ma",
            "--teaching-hours",
            "420",
        ]
    )


def _count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_render_pdfs_in_two_processes_gives_the_documents_in_order():
    htmls = [f"<html><body><p>Document numéro {n}</p></body></html>" for n in range(3)]
    rendered = list(pdf.render_pdfs(htmls, workers=2))
    assert [pdf_text(data)[0] for data in rendered] == [f"Document numéro {n}" for n in range(3)]
    assert [pdf_text(data)[0] for data in pdf.render_pdfs(htmls[:1], workers=2)] == [
        "Document numéro 0"
    ]


def test_pdf_workers_defaults_to_the_cpus():
    assert pdf.pdf_workers(3) == 3
    assert pdf.pdf_workers(0) >= 1


def test_cli_issue_issues_every_waiting_agreement_in_two_processes(runner, cohort, two_workers):
    placements = [make_confirmed(cohort)[0] for _ in range(3)]
    coordinator = UserFactory(role=Role.coordinator)
    result = _issue(runner, coordinator)
    assert result.exit_code == 0, result.output
    assert "3 agreement(s) issued" in result.output and "2 process(es)" in result.output

    documents = db.session.scalars(select(AgreementDocument).order_by(AgreementDocument.id)).all()
    assert [d.reference for d in documents] == [f"MNC-{YEAR}-00{n}" for n in (1, 2, 3)]
    for document, placement in zip(documents, placements, strict=True):
        assert document.agreement.placement_id == placement.id
        data = services.file_of(document).read_bytes()
        assert hashlib.sha256(data).hexdigest() == document.sha256
        assert len(data) == document.size
        text, reader = pdf_text(data)
        assert document.reference in text
        assert placement.application.last_name.upper() in text.upper()
        assert document.verification_code in text
        assert len(reader.pages) >= 4
    agreement = documents[0].agreement
    assert agreement.referent_name == "Pr. Youssef Bennani"
    assert agreement.activities == placements[0].offer.description
    assert _count(AuditEvent) >= 3
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "agreement.issue")
        )
        == 3
    )
    assert _count(OutboxMessage) >= 6  # each student and host contact

    again = _issue(runner, coordinator)
    assert again.exit_code == 0 and "nothing to issue" in again.output


def test_cli_issue_is_all_or_nothing_and_lists_every_refusal(runner, cohort, two_workers):
    make_confirmed(cohort)
    broken = [make_confirmed(cohort)[0] for _ in range(2)]
    for placement in broken:
        placement.application.institution = None
    db.session.commit()
    coordinator = UserFactory(role=Role.coordinator)
    result = _issue(runner, coordinator)
    assert result.exit_code != 0
    # The command speaks the default language (French).
    assert "2 conventions ne peuvent pas être émises : aucune n’a été émise." in result.output
    for placement in broken:
        assert placement.application.last_name in result.output
    assert _count(Agreement) == 0 and _count(AgreementDocument) == 0
    assert _count(OutboxMessage) == 0


def test_cli_issue_refuses_an_unknown_or_non_staff_actor(runner, cohort):
    make_confirmed(cohort)
    student = UserFactory(role=Role.student)
    result = _issue(runner, student)
    assert result.exit_code != 0 and "not an active coordinator" in result.output
    assert _count(Agreement) == 0


def test_cli_generate_writes_every_current_version_in_two_processes(
    runner, cohort, two_workers, tmp_path
):
    coordinator = None
    for _ in range(2):
        placement, coordinator = make_confirmed(cohort)
    assert _issue(runner, coordinator).exit_code == 0
    result = runner.invoke(args=["agreements", "generate", str(YEAR), "--output", str(tmp_path)])
    assert result.exit_code == 0, result.output
    for document in db.session.scalars(select(AgreementDocument)):
        text = pdf_text((tmp_path / f"{document.reference}.pdf").read_bytes())[0]
        assert document.reference in text and document.verification_code in text


def test_a_refused_batch_lays_out_no_pdf_even_in_one_process(runner, cohort, app, monkeypatch):
    """The PDFs wait for the end of the batch: a refused one renders and stores nothing."""
    rendered = []
    real = pdf.render_pdf
    monkeypatch.setattr(pdf, "render_pdf", lambda html: rendered.append(html) or real(html))
    make_confirmed(cohort)
    broken = make_confirmed(cohort)[0]
    make_confirmed(cohort)
    broken.application.institution = None
    db.session.commit()
    coordinator = UserFactory(role=Role.coordinator)
    folder = Path(app.config["UPLOAD_FOLDER"]) / "agreements"
    before = sorted(folder.rglob("*.pdf")) if folder.exists() else []
    result = _issue(runner, coordinator)
    assert result.exit_code != 0 and "1 process(es)" in result.output
    assert broken.application.last_name in result.output
    assert rendered == []
    assert (sorted(folder.rglob("*.pdf")) if folder.exists() else []) == before
    assert _count(AgreementDocument) == 0
