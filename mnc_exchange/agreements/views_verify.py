"""The public verification page of a PDF: /verify/<code> (rate-limited).

Anybody holding a printed agreement, amendment or certificate can check it: the page says
whether the document is authentic (its code is known), whether it is the version in force and
its signature status, with only the reference, the parties' names and the dates — as printed
on the document (its snapshot). Nothing else personal (no CIN, passport, birth date, stipend).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, make_response, render_template
from flask_babel import lazy_gettext as _l

from ..extensions import limiter
from . import services
from .models import AgreementDocument, DocumentKind

bp = Blueprint("verify", __name__)

DEFAULT_LIMIT = "30 per minute"

KIND_LABELS = {
    DocumentKind.agreement: _l("Internship agreement"),
    DocumentKind.amendment: _l("Amendment to an internship agreement"),
    DocumentKind.certificate: _l("Internship certificate"),
}


def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", DEFAULT_LIMIT)


def _date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _facts(document: AgreementDocument) -> dict:
    """The few facts the page shows, from the document's snapshot (what the PDF prints)."""
    snapshot = document.snapshot or {}
    student = snapshot.get("student", {})
    terms = snapshot.get("terms", {})
    certificate = snapshot.get("certificate") or {}
    start = certificate.get("start_on") or terms.get("start_on")
    end = certificate.get("end_on") or terms.get("end_on")
    missing = services.missing_parties(document)
    needed = services.signatories(document)
    return {
        "student": " ".join(
            part for part in (student.get("first_name"), student.get("last_name")) if part
        ),
        "host": snapshot.get("host", {}).get("legal_name", ""),
        "institution": snapshot.get("institution", {}).get("name", ""),
        "number": snapshot.get("number") or document.agreement.number,
        "start_on": _date(start),
        "end_on": _date(end),
        "signed": len(needed) - len(missing),
        "needed": len(needed),
        "fully_signed": not missing,
        "amendments": sum(
            1 for d in document.agreement.documents if d.kind is DocumentKind.amendment
        ),
    }


def _no_index(response):
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/verify/<code>")
@limiter.limit(_verify_limit)
def check(code: str):
    document = services.document_by_code(code)
    if document is None:
        response = make_response(render_template("verify/unknown.html", code=code[:40]), 404)
        return _no_index(response)
    current_version = None
    if document.kind is DocumentKind.agreement and document.superseded_at is not None:
        current_version = services.current_document(document.agreement)
    response = make_response(
        render_template(
            "verify/check.html",
            document=document,
            kind_label=KIND_LABELS[document.kind],
            facts=_facts(document),
            superseded=document.superseded_at is not None,
            current_version=current_version,
            party_labels=services.PARTY_LABELS,
        )
    )
    return _no_index(response)
