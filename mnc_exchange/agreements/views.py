"""Agreements: the coordinators' cohort list and actions, the parties' agreement pages,
signatures, préfecture, amendments, certificate, downloads (PDF, cohort ZIP).

Every view: load → authorise → validate the form → call one service (``services``) → commit
once; a refused rule (``DomainError``) is rolled back and flashed. Coordinators and admins
(``agreement.manage``) see every agreement; the student and the host company's contacts
(``agreement.sign``) see only their own (another one is a 404, never revealed).
"""

from __future__ import annotations

import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import wraps

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import format_currency
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..accounts.models import Role
from ..applications import uploads
from ..applications.models import Application
from ..cohorts.models import Cohort
from ..core.errors import DomainError
from ..core.page_cache import kept
from ..core.pagination import paginate
from ..core.web import Outcome, attempt, flash_form_errors, valid_or_again
from ..extensions import db, login_manager
from ..hosts.models import Company, Tutor
from ..main.working_cohort import working_cohort
from ..offers import law as offer_law
from ..offers.models import Offer
from ..permissions import can, permission_required
from ..placements.models import Placement, PlacementStatus
from . import services
from .forms import (
    PREFECTURE_DECISION_LABELS,
    AmendmentForm,
    CertificateForm,
    ConfirmCertificateForm,
    IssueForm,
    PaperSignatureForm,
    PrefectureForm,
    ReissueForm,
    SignForm,
    doc_prefix,
)
from .models import Agreement, AgreementDocument, DocumentKind, Party, PrefectureDecision, Signature

bp = Blueprint("agreements", __name__, url_prefix="/agreements")

KIND_LABELS = {
    DocumentKind.agreement: _l("Internship agreement"),
    DocumentKind.amendment: _l("Amendment"),
    DocumentKind.certificate: _l("Internship certificate"),
}
METHOD_LABELS = {"in_app": _l("In the application"), "paper": _l("On paper (scan)")}
STATUS_COLOURS = {
    "issued": "secondary",
    "partially_signed": "warning",
    "fully_signed": "success",
    "superseded": "dark",
}
PREFECTURE_COLOURS = {
    "not_required": "light",
    "to_submit": "info",
    "late": "danger",
    "submitted": "primary",
    "stamped": "success",
    "refused": "danger",
    "silence": "danger",
}
_CENT = Decimal("0.01")
SCAN_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png"}

LABELS = {
    "kind_labels": KIND_LABELS,
    "method_labels": METHOD_LABELS,
    "status_labels": services.STATUS_LABELS,
    "status_colours": STATUS_COLOURS,
    "party_labels": services.PARTY_LABELS,
    "sign_as": services.SIGN_AS,
    "sign_as_other": services.SIGN_AS_OTHER,
    "reason_labels": services.AMENDMENT_REASONS,
    "prefecture_labels": services.PREFECTURE_LABELS,
    "prefecture_colours": PREFECTURE_COLOURS,
    "decision_labels": PREFECTURE_DECISION_LABELS,
    "change_labels": services.CHANGE_LABELS,
}


# --- helpers ----------------------------------------------------------------------------------


def _manage_or_sign(view):
    """Coordinators, admins, students and approved host contacts; the object-level check
    (a party to *this* agreement) is made by the view."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        if not (can(current_user, "agreement.manage") or can(current_user, "agreement.sign")):
            abort(403)
        return view(*args, **kwargs)

    return wrapped


def _is_manager() -> bool:
    return can(current_user, "agreement.manage")


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _attachment(source, mimetype: str, name: str) -> Response:
    """``source`` (a path or a file object) downloaded as ``name``, never cached."""
    return _no_store(
        send_file(source, mimetype=mimetype, as_attachment=True, download_name=name, max_age=0)
    )


def _load_agreement(agreement_id: int) -> Agreement:
    return db.first_or_404(
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(
            joinedload(Agreement.cohort),
            joinedload(Agreement.tutor),
            joinedload(Agreement.placement).joinedload(Placement.application),
            joinedload(Agreement.placement)
            .joinedload(Placement.offer)
            .joinedload(Offer.company)
            .selectinload(Company.tutors),
            selectinload(Agreement.documents).selectinload(AgreementDocument.signatures),
        )
    )


def _authorise(agreement: Agreement) -> Party | None:
    """``None`` for a coordinator; the viewer's party for a student or host contact; a 404 for
    anybody else (the agreement is not revealed)."""
    if _is_manager():
        return None
    party = services.party_of(current_user, agreement)
    if party is None:
        abort(404)
    return party


def _load_document(document_id: int) -> AgreementDocument:
    document = db.get_or_404(AgreementDocument, document_id)
    return document


def _party_document(document_id: int) -> tuple[AgreementDocument, Agreement, Party | None]:
    """A document the viewer acts on, its agreement, and the viewer's party (see
    :func:`_authorise`: another's document is a 404)."""
    document = _load_document(document_id)
    agreement = _load_agreement(document.agreement_id)
    return document, agreement, _authorise(agreement)


@dataclass
class Summary:
    """One agreement as the lists show it."""

    agreement: Agreement
    current: AgreementDocument | None
    status: str | None
    missing: list[Party]
    amendments: list[AgreementDocument]
    amendments_to_sign: int
    certificate: AgreementDocument | None
    prefecture: str
    prefecture_alert: bool
    to_sign: list[AgreementDocument] = field(default_factory=list)
    #: Documents the viewer signs later, once the parties before them have signed.
    later: list[AgreementDocument] = field(default_factory=list)


def _current_docs(agreement: Agreement) -> list[AgreementDocument]:
    """The documents in force: the current version, the amendments, the current certificate."""
    return [d for d in agreement.documents if d.superseded_at is None]


def _summary(
    agreement: Agreement,
    today: date,
    party: Party | None = None,
    signed: Mapping[int, set[Party]] | None = None,
) -> Summary:
    """What a list shows of ``agreement``; ``signed``: who signed each document (document id →
    parties, ``services.parties_signed``), else read from the documents' signatures."""
    docs = agreement.documents
    current = next(
        (d for d in docs if d.kind is DocumentKind.agreement and d.superseded_at is None), None
    )
    amendments = [d for d in docs if d.kind is DocumentKind.amendment]
    certificate = next(
        (d for d in docs if d.kind is DocumentKind.certificate and d.superseded_at is None), None
    )
    to_sign, later = [], []
    if party is not None:
        for d in _current_docs(agreement):
            if party not in services.missing_parties(d, signed):
                continue
            (to_sign if party in services.awaited_parties(d, signed) else later).append(d)
    return Summary(
        agreement=agreement,
        current=current,
        status=services.status(current, signed) if current else None,
        missing=services.missing_parties(current, signed) if current else [],
        amendments=amendments,
        amendments_to_sign=sum(1 for d in amendments if services.missing_parties(d, signed)),
        certificate=certificate,
        prefecture=services.prefecture_state(agreement, today),
        prefecture_alert=services.prefecture_alert(agreement, today),
        to_sign=to_sign,
        later=later,
    )


# --- coordinators: the cohort's agreements --------------------------------------------------


@bp.route("/")
@kept
@permission_required("agreement.manage")
def index():
    cohort, cohorts = working_cohort("agreements")
    # ``?awaiting=signatures|prefecture``: only the agreements waiting for that.
    awaiting = request.args.get("awaiting")
    if awaiting not in services.WAITING_FOR:
        awaiting = None
    today = date.today()
    rows, waiting, alerts = [], [], 0
    page = waiting_page = None
    if cohort is not None:
        page = paginate(services.agreements_query(cohort, awaiting, today))
        signed = services.parties_signed([d.id for a in page.items for d in a.documents])
        rows = [_summary(a, today, signed=signed) for a in page.items]
        waiting_page = paginate(services.waiting_query(cohort), param="waiting_page")
        waiting = waiting_page.items
        alerts = services.prefecture_alerts(cohort, today)
    return render_template(
        "agreements/index.html",
        cohort=cohort,
        cohorts=cohorts,
        rows=rows,
        page=page,
        waiting=waiting,
        waiting_page=waiting_page,
        awaiting=awaiting,
        alerts=alerts,
        **LABELS,
    )


@bp.route("/cohorts/<int:cohort_id>/agreements.zip")
@permission_required("agreement.manage")
def cohort_zip(cohort_id: int):
    """Every document in force of the cohort (current versions, amendments, certificates)."""
    cohort = db.get_or_404(Cohort, cohort_id)
    documents = [d for a in services.agreements_for_cohort(cohort) for d in _current_docs(a)]
    if not documents:
        flash(_("No agreement has been issued for %(cohort)s yet.", cohort=cohort.title), "info")
        return redirect(url_for("agreements.index", cohort=cohort.id))
    archive = tempfile.SpooledTemporaryFile(max_size=32 * 1024 * 1024)  # noqa: SIM115 - sent
    missing = []
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for document in documents:
            path = services.file_to_serve(document)
            if not path.is_file():
                missing.append(document.reference)
                continue
            zf.write(path, arcname=f"{document.reference}.pdf")
        if missing:
            current_app.logger.error("Agreement files missing from the store: %s", missing)
            zf.writestr(
                "MISSING.txt",
                "Missing from the document store / absents du stockage:\n"
                + "\n".join(missing)
                + "\n",
            )
    archive.seek(0)
    return _attachment(archive, "application/zip", f"agreements-{cohort.year}.zip")


# --- coordinators: issue and re-issue -------------------------------------------------------


def _law_preview(placement: Placement, agreement: Agreement | None = None) -> list[str]:
    """What the law would refuse in the current terms (shown before the form is filled)."""
    offer = placement.offer
    source = agreement or offer
    terms = services.Terms(
        source.start_on,
        source.end_on,
        source.weekly_hours,
        source.daily_hours,
        source.monthly_stipend,
        source.tutor_id,
        "",
        "",
        source.leave_days,
    )
    report = services.check_terms(
        offer.company,
        terms,
        placement.application.student_id,
        agreement.id if agreement else None,
        None if agreement else date.today(),
    )
    return [offer_law.message(f) for f in report.violations]


def _flash_prefecture(document: AgreementDocument) -> None:
    """Say whether the préfecture's answer carries over to a new version or amendment."""
    changes = (document.snapshot or {}).get("changes") or {}
    terms = ", ".join(str(services.CHANGE_LABELS[t]) for t in changes.get("terms", []))
    if changes.get("prefecture") == "new_submission":
        flash(
            _(
                "%(reference)s changes the %(terms)s: the host company must submit it to the "
                "préfecture again (the answer on the previous version does not carry over).",
                reference=document.reference,
                terms=terms,
            ),
            "warning",
        )
    elif changes.get("prefecture") == "kept":
        flash(
            _(
                "%(reference)s changes none of the dates, hours, stipend, host or activities: "
                "the préfecture's answer still applies.",
                reference=document.reference,
            ),
            "info",
        )


def _issue_posted(form, issue, success, *, prefecture: bool = True) -> Outcome | None:
    """The issue, re-issue and amendment pages: ``None`` when the posted ``form`` is not valid
    (its errors are flashed); else what :func:`attempt` made of ``issue``, with whether the
    préfecture's answer carries over flashed after the success (``prefecture``)."""
    if not form.validate():
        flash_form_errors(form)
        return None
    done = attempt(issue, success)
    if done and prefecture:
        _flash_prefecture(done.value)
    return done


def _version_posted(agreement: Agreement, form, issue, success):
    """The re-issue and amendment pages' POST (see :func:`_issue_posted`): the redirect to the
    agreement once the new document is issued, else ``None``; with the agreement to show the
    form again with (read again when a rule refused the document: the session was rolled
    back)."""
    done = _issue_posted(form, issue, success)
    if done:
        return redirect(url_for("agreements.detail", agreement_id=agreement.id)), agreement
    return None, (_load_agreement(agreement.id) if done is not None else agreement)


def _load_placement(placement_id: int) -> Placement:
    return db.first_or_404(
        select(Placement)
        .where(Placement.id == placement_id)
        .options(
            joinedload(Placement.application).joinedload(Application.institution),
            joinedload(Placement.offer).joinedload(Offer.company),
            joinedload(Placement.offer).joinedload(Offer.tutor),
            joinedload(Placement.cohort),
        )
    )


@bp.route("/placements/<int:placement_id>/issue", methods=["GET", "POST"])
@permission_required("agreement.manage")
def issue(placement_id: int):
    placement = _load_placement(placement_id)
    existing = services.agreement_for(placement)
    if existing is not None:
        flash(
            _("This placement already has its agreement %(number)s.", number=existing.number),
            "info",
        )
        return redirect(url_for("agreements.detail", agreement_id=existing.id))
    if placement.status is not PlacementStatus.confirmed:
        flash(_("Only a placement confirmed by the company gets an agreement."), "warning")
        return redirect(url_for("agreements.index", cohort=placement.cohort_id))
    status = 200
    form = IssueForm()
    if form.is_submitted():
        done = _issue_posted(
            form,
            lambda: services.issue(placement, form.to_input(), current_user, today=date.today()),
            lambda document: _(
                "Agreement %(number)s is issued; the student and the host company are "
                "e-mailed to sign it.",
                number=document.reference,
            ),
            prefecture=False,
        )
        if done:
            return redirect(url_for("agreements.detail", agreement_id=done.value.agreement_id))
        status = 400
        if done is not None:  # refused: the page shows what is saved
            placement = _load_placement(placement_id)
    else:
        form = IssueForm(
            formdata=None,
            activities=placement.offer.description,
            skills_to_acquire=placement.offer.skills,
            leave_days=placement.offer.leave_days,
        )
    return (
        render_template(
            "agreements/issue.html",
            placement=placement,
            agreement=None,
            form=form,
            violations=_law_preview(placement),
            **LABELS,
        ),
        status,
    )


@bp.route("/<int:agreement_id>/reissue", methods=["GET", "POST"])
@permission_required("agreement.manage")
def reissue(agreement_id: int):
    """The new version's terms on a confirmation page: what the version in force loses
    (signatures, the préfecture's stamp), the reason and a ticked box. Refused once the
    internship is over."""
    agreement = _load_agreement(agreement_id)
    refusal = services.reissue_refusal(agreement)
    if refusal is not None:
        flash(refusal, "danger")
        return redirect(url_for("agreements.detail", agreement_id=agreement_id))
    status = 200
    form = ReissueForm()
    if form.is_submitted():
        # The dates do not change here: the préfecture deadline is not judged again
        # (a running internship may need a corrected version).
        saved, agreement = _version_posted(
            agreement,
            form,
            lambda: services.reissue(
                agreement, form.to_input(), current_user, reason=form.reason.data
            ),
            lambda document: _(
                "Version %(version)d (%(reference)s) is issued and supersedes the "
                "previous one; the parties sign it again.",
                version=document.version,
                reference=document.reference,
            ),
        )
        if saved:
            return saved
        status = 400
    else:
        form = ReissueForm(formdata=None, obj=agreement)
    current = services.current_document(agreement)
    return (
        render_template(
            "agreements/issue.html",
            placement=agreement.placement,
            agreement=agreement,
            current=current,
            form=form,
            violations=_law_preview(agreement.placement, agreement),
            **LABELS,
        ),
        status,
    )


# --- the agreement page ---------------------------------------------------------------------


def _render_detail(agreement: Agreement, party: Party | None, status: int = 200, **forms):
    today = date.today()
    summary = _summary(agreement, today, party)
    documents = agreement.documents
    versions = sorted(
        (d for d in documents if d.kind is DocumentKind.agreement),
        key=lambda d: d.version,
        reverse=True,
    )
    amendments = [d for d in documents if d.kind is DocumentKind.amendment]
    certificates = sorted(
        (d for d in documents if d.kind is DocumentKind.certificate),
        key=lambda d: d.version,
        reverse=True,
    )
    sign_forms, paper_forms, confirm_forms = {}, {}, {}
    for document in documents:
        if document.superseded_at is not None:
            continue
        missing = services.missing_parties(document)
        prefix = doc_prefix(document.id)
        if party is None and missing:
            paper_forms[document.id] = forms.get(f"paper_{document.id}") or PaperSignatureForm(
                formdata=None, prefix=prefix, parties=missing, signed_on=today
            )
        if party is None or party not in services.awaited_parties(document):
            continue
        if document.kind is DocumentKind.certificate:
            # The host confirms the certificate's figures (or corrects them) as it signs.
            figures = services.certificate_figures(document)
            confirm_forms[document.id] = forms.get(
                f"confirm_{document.id}"
            ) or ConfirmCertificateForm(formdata=None, prefix=prefix, obj=figures)
        else:
            sign_forms[document.id] = forms.get(f"sign_{document.id}") or SignForm(
                formdata=None, prefix=prefix
            )
    # The figures (presence hours, total stipend) of the latest document in force: an
    # amendment's snapshot carries the amended terms.
    in_force = [d for d in _current_docs(agreement) if d.kind is not DocumentKind.certificate]
    latest = max(in_force, key=lambda d: d.id, default=None)
    basis, basis_changes = services.prefecture_basis(agreement)
    context = {
        "prefecture_basis": basis,
        "prefecture_changes": basis_changes,
        "figures": (latest.snapshot or {}).get("figures", {}) if latest else {},
        "agreement": agreement,
        "placement": agreement.placement,
        "application": agreement.placement.application,
        "offer": agreement.placement.offer,
        "company": agreement.placement.offer.company,
        "party": party,
        "summary": summary,
        "versions": versions,
        "amendments": amendments,
        "certificates": certificates,
        "sign_forms": sign_forms,
        "paper_forms": paper_forms,
        "confirm_forms": confirm_forms,
        "signatories_of": services.signatories,
        "shortfall_of": services.certificate_shortfall,
        "today": today,
        "missing_parties": services.missing_parties,
        "awaited_parties": services.awaited_parties,
        "signing_order": services.signing_order,
        "doc_status": services.status,
    }
    if party is None:
        context["reissue_refusal"] = services.reissue_refusal(agreement, today)
        end = agreement.ended_on or agreement.end_on
        context["prefecture_form"] = forms.get("prefecture") or PrefectureForm(
            formdata=None,
            submitted_on=agreement.prefecture_submitted_on,
            decision=agreement.prefecture_decision.value,
            decided_on=agreement.prefecture_decided_on,
            note=agreement.prefecture_note,
        )
        context["certificate_form"] = forms.get("certificate") or CertificateForm(formdata=None)
        context["certificate_from"] = end
        context["certificate_ready"] = today >= end and summary.status == "fully_signed"
    return render_template("agreements/detail.html", **context, **LABELS), status


@bp.route("/<int:agreement_id>")
@_manage_or_sign
def detail(agreement_id: int):
    agreement = _load_agreement(agreement_id)
    party = _authorise(agreement)
    return _render_detail(agreement, party)


# --- parties: their agreements ---------------------------------------------------------------


@bp.route("/mine")
@kept
@permission_required("agreement.sign")
def mine():
    """The student's agreement (straight to its page) or the host company's agreements."""
    query = select(Agreement).options(
        joinedload(Agreement.cohort),
        joinedload(Agreement.placement).joinedload(Placement.application),
        selectinload(Agreement.documents).selectinload(AgreementDocument.signatures),
    )
    if current_user.role is Role.student:
        query = query.join(Placement, Placement.id == Agreement.placement_id).join(
            Application, Application.id == Placement.application_id
        )
        query = query.where(Application.student_id == current_user.id)
        party = Party.student
    else:
        query = query.join(Placement, Placement.id == Agreement.placement_id).join(
            Offer, Offer.id == Placement.offer_id
        )
        query = query.where(Offer.company_id == current_user.company_id)
        party = Party.host
    agreements = db.session.scalars(
        query.order_by(Agreement.start_on.desc(), Agreement.id.desc())
    ).all()
    if current_user.role is Role.student and len(agreements) == 1:
        return redirect(url_for("agreements.detail", agreement_id=agreements[0].id))
    today = date.today()
    rows = [_summary(a, today, party) for a in agreements]
    # ``?to_sign=1``: only the agreements with a document waiting for the viewer's signature.
    to_sign = request.args.get("to_sign") == "1"
    if to_sign:
        rows = [r for r in rows if r.to_sign]
    return render_template(
        "agreements/mine.html",
        rows=rows,
        party=party,
        to_sign=to_sign,
        **LABELS,
    )


@bp.route("/documents/<int:doc_id>/sign", methods=["POST"])
@permission_required("agreement.sign")
def sign(doc_id: int):
    document, agreement, party = _party_document(doc_id)
    if document.kind is DocumentKind.certificate:
        flash(_("Confirm the certificate's figures with its form, which signs it."), "warning")
        return redirect(url_for("agreements.detail", agreement_id=agreement.id) + "#certificates")
    form = SignForm(prefix=doc_prefix(document.id))
    if not form.validate_on_submit():
        # The box is required in the page too; without it, the page comes back with the
        # error beside the box (not an error page).
        flash_form_errors(form)
        return _render_detail(agreement, party, 200, **{f"sign_{document.id}": form})
    attempt(
        lambda: services.sign_in_app(
            document,
            current_user,
            request.remote_addr,
            capacity=form.capacity.data,
            on_behalf_of=form.on_behalf_of.data,
        ),
        lambda _value: _(
            "Thank you: your signature of %(reference)s is recorded.", reference=document.reference
        ),
    )
    return redirect(url_for("agreements.detail", agreement_id=agreement.id))


# --- coordinators: paper signatures, préfecture, amendments, certificate ---------------------


@bp.route("/documents/<int:doc_id>/paper-signature", methods=["POST"])
@permission_required("agreement.manage")
def paper_signature(doc_id: int):
    document = _load_document(doc_id)
    agreement = _load_agreement(document.agreement_id)
    form = PaperSignatureForm(
        prefix=doc_prefix(document.id), parties=services.missing_parties(document)
    )
    valid_or_again(
        form, lambda form: _render_detail(agreement, None, 400, **{f"paper_{document.id}": form})
    )
    party = Party(form.party.data)
    upload = form.scan.data
    try:
        scan = uploads.check_upload(upload.stream, upload.filename)
    except DomainError as exc:
        form.scan.errors = [*form.scan.errors, exc.message]
        flash(_("The signature was not recorded: %(reason)s", reason=exc.message), "danger")
        return _render_detail(agreement, None, 400, **{f"paper_{document.id}": form})
    try:
        services.record_paper_signature(
            document,
            party,
            form.signer_name.data,
            scan,
            current_user,
            form.signed_on.data,
            capacity=form.signer_capacity.data,
            on_behalf_of=form.on_behalf_of.data,
        )
    except DomainError as exc:
        db.session.rollback()  # removes the stored scan too
        flash(_("The signature was not recorded: %(reason)s", reason=exc.message), "danger")
        agreement = _load_agreement(document.agreement_id)
        return _render_detail(agreement, None, 400, **{f"paper_{document.id}": form})
    db.session.commit()
    flash(
        _(
            "The paper signature of %(party)s on %(reference)s is recorded.",
            party=services.PARTY_LABELS[party],
            reference=document.reference,
        ),
        "success",
    )
    return redirect(url_for("agreements.detail", agreement_id=agreement.id) + "#signatures")


def _detail_post(agreement_id: int, form_class, key: str, action, success, anchor: str):
    """A coordinator's form of the agreement's page (``key`` there): its errors, or a refused
    rule, show the page again (400) with what was typed; else ``action(agreement, form)`` is
    saved (see ``attempt``) and back to the page at ``anchor``."""
    agreement = _load_agreement(agreement_id)
    form = form_class()
    valid_or_again(form, lambda form: _render_detail(agreement, None, 400, **{key: form}))
    if not attempt(lambda: action(agreement, form), success):
        return _render_detail(_load_agreement(agreement_id), None, 400, **{key: form})
    return redirect(url_for("agreements.detail", agreement_id=agreement_id) + anchor)


@bp.route("/<int:agreement_id>/prefecture", methods=["POST"])
@permission_required("agreement.manage")
def prefecture(agreement_id: int):
    return _detail_post(
        agreement_id,
        PrefectureForm,
        "prefecture",
        lambda agreement, form: services.record_prefecture(
            agreement,
            form.submitted_on.data,
            PrefectureDecision(form.decision.data),
            form.decided_on.data,
            form.note.data,
            current_user,
        ),
        _("The préfecture's answer is saved."),
        "#prefecture",
    )


def _company_tutors(agreement: Agreement) -> list[Tutor]:
    return list(agreement.placement.offer.company.tutors)


@bp.route("/<int:agreement_id>/amend", methods=["GET", "POST"])
@permission_required("agreement.manage")
def amend(agreement_id: int):
    agreement = _load_agreement(agreement_id)
    status = 200
    form = AmendmentForm(tutors=_company_tutors(agreement))
    if form.is_submitted():
        saved, agreement = _version_posted(
            agreement,
            form,
            lambda: services.amend(agreement, form.to_input(), current_user, today=date.today()),
            lambda document: _(
                "Amendment %(reference)s is issued; the parties are e-mailed to sign it.",
                reference=document.reference,
            ),
        )
        if saved:
            return saved
        status = 400
    else:
        form = AmendmentForm(
            formdata=None,
            tutors=_company_tutors(agreement),
            start_on=agreement.start_on,
            end_on=agreement.end_on,
            tutor_id=agreement.tutor_id,
            monthly_stipend=agreement.monthly_stipend,
            work_address=agreement.work_address,
            work_city=agreement.work_city,
        )
    return (
        render_template("agreements/amend.html", agreement=agreement, form=form, **LABELS),
        status,
    )


@bp.route("/<int:agreement_id>/certificate", methods=["POST"])
@permission_required("agreement.manage")
def certificate(agreement_id: int):
    """The programme prepares the certificate; the host company confirms it and signs."""

    def prepare(agreement: Agreement, form: CertificateForm) -> AgreementDocument:
        paid = form.total_stipend_paid.data
        return services.prepare_certificate(
            agreement,
            current_user,
            total_stipend_paid=paid.quantize(_CENT) if paid is not None else None,
            programme_note=form.programme_note.data or "",
        )

    return _detail_post(
        agreement_id,
        CertificateForm,
        "certificate",
        prepare,
        lambda document: _(
            "The internship certificate %(reference)s is prepared: the host company is e-mailed "
            "to confirm its figures and sign it.",
            reference=document.reference,
        ),
        "#certificates",
    )


@bp.route("/documents/<int:doc_id>/certificate/confirm", methods=["POST"])
@permission_required("agreement.sign")
def confirm_certificate(doc_id: int):
    """The host company confirms (or corrects) the certificate's figures and signs it."""
    document, agreement, party = _party_document(doc_id)
    form = ConfirmCertificateForm(prefix=doc_prefix(document.id))
    valid_or_again(
        form, lambda form: _render_detail(agreement, party, 400, **{f"confirm_{document.id}": form})
    )
    done = attempt(
        lambda: services.confirm_certificate(
            document,
            current_user,
            form.to_figures(),
            request.remote_addr,
            capacity=form.capacity.data,
            on_behalf_of=form.on_behalf_of.data,
        ),
        lambda signed: _(
            "The internship certificate %(reference)s is signed; its final version is sealed by "
            "the programme.",
            reference=signed.reference,
        ),
    )
    if not done:
        return _render_detail(
            _load_agreement(agreement.id), party, 400, **{f"confirm_{document.id}": form}
        )
    gap = services.certificate_shortfall(done.value)
    if gap is not None:
        flash(
            _(
                "The stipend paid is %(gap)s below the legal minimum for these hours of "
                "presence (Code de l'éducation L124-6): the difference is owed to the intern.",
                gap=format_currency(gap, "EUR"),
            ),
            "warning",
        )
    return redirect(url_for("agreements.detail", agreement_id=agreement.id) + "#certificates")


# --- downloads ------------------------------------------------------------------------------


@bp.route("/documents/<int:doc_id>/download")
@_manage_or_sign
def download(doc_id: int):
    """The final version when there is one; ``?version=signed``: the version issued for
    signature (the one the signatures apply to)."""
    document = _load_document(doc_id)
    _authorise(document.agreement)
    which = "signed" if request.args.get("version") == "signed" else "final"
    path = services.file_to_serve(document, which)
    if not path.is_file():
        current_app.logger.error("Agreement file missing: %s", path.name)
        abort(404)
    name = document.reference
    if which == "signed" and document.final_stored_name:
        name += " - version signée"
    return _attachment(path, "application/pdf", f"{name}.pdf")


@bp.route("/signatures/<int:signature_id>/scan")
@permission_required("agreement.manage")
def scan(signature_id: int):
    signature = db.get_or_404(Signature, signature_id)
    if not signature.scan_stored_name:
        abort(404)
    path = uploads.path_of(signature.scan_stored_name)
    if not path.is_file():
        abort(404)
    extension = path.suffix.lstrip(".").lower()
    document = signature.document
    return _attachment(
        path,
        SCAN_TYPES.get(extension, "application/octet-stream"),
        f"{document.reference} - {signature.party.value} - scan.{extension}",
    )
