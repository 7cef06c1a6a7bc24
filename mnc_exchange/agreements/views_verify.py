"""The public verification page of a PDF: /verify/<code> (rate-limited).

Anybody holding a printed agreement, amendment or certificate can check it: the page says
whether the document is authentic (its code is known), whether it is the version in force and
its signature status, with only the reference, the parties' names and the dates — as printed
on the document (its snapshot). Nothing else personal (no CIN, passport, birth date, stipend).

Whoever holds the PDF file can also upload it (POST, with the CSRF token): the page says
whether it is a registered file byte for byte (SHA-256 compared with every version of the
agreement's documents, as issued and final) and whether its seal is valid (pyHanko, against
the programme's certificate). The file is read in memory and never stored.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import SubmitField

from ..core.errors import DomainError
from ..core.forms import AppForm
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


#: What the page says about the seal of an uploaded file (core.seal.SealCheck.status).
SEAL_LABELS = {
    "valid": _l(
        "The programme's seal is valid: the file is intact since it was sealed, the seal covers "
        "the whole file and was made with the programme's certificate."
    ),
    "none": _l("The file carries no digital seal."),
    "unreadable": _l("The file cannot be read as a PDF: its seal cannot be checked."),
    "invalid": _l("The seal is invalid: the file was changed after it was sealed."),
    "partial": _l(
        "The seal is intact but does not cover the whole file: something was added after it."
    ),
    "other_signer": _l("The file is sealed with another certificate than the programme's."),
    "untrusted": _l(
        "The seal was made with the programme's certificate, but the certificate was not valid "
        "at the time of sealing."
    ),
    "no_reference": _l("This server has no seal certificate to check the seal against."),
}


def _verify_limit() -> str:
    return current_app.config.get("VERIFY_RATE_LIMIT", DEFAULT_LIMIT)


class UploadForm(AppForm):
    """The PDF file to compare with the registered versions."""

    pdf = FileField(
        _l("The PDF file"),
        description=_l("It is compared in memory and never stored."),
        validators=[FileRequired(message=_l("Choose the PDF file to check."))],
        render_kw={"accept": "application/pdf,.pdf"},
    )
    submit = SubmitField(_l("Check the file"))


def _read_pdf(upload) -> bytes:
    limit = current_app.config.get("VERIFY_UPLOAD_MAX_BYTES", 10 * 1024 * 1024)
    data = upload.stream.read(limit + 1)
    if not data:
        raise DomainError(_("The file is empty."))
    if len(data) > limit:
        raise DomainError(
            _("The file is larger than %(size)s MB.", size=f"{limit / 1024 / 1024:g}")
        )
    if not data.startswith(b"%PDF-"):
        raise DomainError(_("This file is not a PDF."))
    return data


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


@bp.route("/verify/<code>", methods=["GET", "POST"])
@limiter.limit(_verify_limit)
def check(code: str):
    document = services.document_by_code(code)
    if document is None:
        response = make_response(render_template("verify/unknown.html", code=code[:40]), 404)
        return _no_index(response)
    current_version = None
    if document.kind is DocumentKind.agreement and document.superseded_at is not None:
        current_version = services.current_document(document.agreement)
    form = UploadForm() if request.method == "POST" else UploadForm(formdata=None)
    result, status = None, 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                data = _read_pdf(form.pdf.data)
            except DomainError as exc:
                form.pdf.errors = [*form.pdf.errors, exc.message]
                status = 400
            else:
                result = services.compare_uploaded_pdf(document, data)
        else:
            status = 400
    response = make_response(
        render_template(
            "verify/check.html",
            document=document,
            kind_label=KIND_LABELS[document.kind],
            facts=_facts(document),
            superseded=document.superseded_at is not None,
            current_version=current_version,
            party_labels=services.PARTY_LABELS,
            form=form,
            result=result,
            seal_labels=SEAL_LABELS,
        ),
        status,
    )
    return _no_index(response)
