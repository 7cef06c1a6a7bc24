"""Forms of the agreement pages: issue / re-issue, paper signature, in-app signature,
préfecture, amendment and internship certificate.

The forms check that the values make sense (required, within bounds, dates in order); whether
the terms are *legal* is the services' job (``check_terms``), which refuses with a message.
Forms repeated once per document on a page take a ``prefix`` (``doc_prefix``) so that each
document's fields have their own names and ids.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    NumberRange,
    ValidationError,
)

from ..applications.forms_reference import MultiCheckboxField
from ..core.forms import (
    AppForm,
    confirm_box,
    count_field,
    date_field,
    input_from,
    max_length,
    strip,
    text_field,
    textarea_field,
)
from ..hosts.models import Tutor
from ..offers.forms import CommaDecimalField, money_field, tutor_choices, tutor_field
from .models import Party, PrefectureDecision
from .services import (
    AMENDMENT_REASONS,
    PARTY_LABELS,
    AmendmentInput,
    CertificateFigures,
    IssueInput,
)

TEACHING_HOURS_MAX = 2000
LEAVE_DAYS_MAX = 60
STIPEND_MAX = Decimal("999999.99")  # Numeric(8, 2)
TOTAL_STIPEND_MAX = Decimal("99999999.99")
HOURS_MAX = Decimal(9999)

_CHOOSE = _l("Choose a value from the list.")

PREFECTURE_DECISION_LABELS = {
    PrefectureDecision.pending: _l("No decision yet"),
    PrefectureDecision.stamped: _l("Stamped (approved)"),
    PrefectureDecision.refused: _l("Refused"),
}


def doc_prefix(document_id: int) -> str:
    """The prefix of a form repeated for each document on one page."""
    return f"doc{document_id}"


# --- issue and re-issue ---------------------------------------------------------------------


class IssueForm(AppForm):
    """What the coordinator adds to the placement's terms: the sending institution's side,
    the content of the internship, teaching hours, leave and benefits."""

    referent_name = text_field(
        _l("Referent teacher (name)"),
        200,
        required=_l("Name the referent teacher."),
        description=_l("The teacher of the sending institution who follows the student."),
    )
    referent_email = StringField(
        _l("Referent teacher (e-mail)"),
        filters=[strip],
        validators=[
            DataRequired(message=_l("Give the referent teacher's e-mail address.")),
            Email(message=_l("Enter a valid e-mail address."), check_deliverability=False),
            max_length(254),
        ],
    )
    activities = textarea_field(
        _l("Activities entrusted to the student"),
        required=_l("Describe the activities entrusted to the student."),
        description=_l("Prefilled from the offer's description: adapt it if needed."),
        rows=5,
    )
    skills_to_acquire = textarea_field(
        _l("Skills to acquire or develop"),
        required=_l("List the skills to acquire or develop."),
        description=_l("Prefilled from the offer's skills: adapt it if needed."),
        rows=3,
    )
    teaching_hours = count_field(
        _l("Teaching hours of the programme (per academic year)"),
        TEACHING_HOURS_MAX,
        _l("Give the number of teaching hours (0 if none)."),
        default=0,
        description=_l(
            "Hours of teaching the sending institution gives in the year (Code de l'éducation "
            "D124-4)."
        ),
    )
    leave_days = count_field(
        _l("Days of leave"),
        LEAVE_DAYS_MAX,
        _l("Give the number of days of leave (0 if none)."),
        default=0,
        description=_l(
            "Days of leave granted during the internship, prefilled from the offer; at least one "
            "above 2 months of presence (Code de l'éducation L124-13)."
        ),
    )
    benefits = textarea_field(
        _l("Benefits (optional)"),
        description=_l("For example: meal vouchers, half of the public transport pass."),
        rows=2,
    )
    work_address = text_field(
        _l("Address of the place of work (optional)"),
        300,
        description=_l("Leave empty to use the company's address."),
    )
    submit = SubmitField(_l("Issue the agreement"))

    def to_input(self) -> IssueInput:
        return input_from(
            self,
            IssueInput,
            benefits=self.benefits.data or "",
            work_address=self.work_address.data or None,
        )


class ReissueForm(IssueForm):
    """A new version voids the one in force and its signatures: it needs a written reason
    (kept in the audit) and a ticked box."""

    reason = textarea_field(
        _l("Why a new version?"),
        required=_l("Write why the agreement needs a new version."),
        max_chars=1000,
        description=_l("Kept in the agreement's history and the audit log."),
        rows=2,
    )
    confirm = confirm_box(
        _l(
            "I understand that the version in force is voided: its signatures do not carry "
            "over and every party signs the new version again."
        ),
        _l("Tick the box to confirm that the current version is voided."),
    )
    submit = SubmitField(_l("Issue a new version"))


# --- signatures -----------------------------------------------------------------------------


def _capacity_field() -> StringField:
    return text_field(
        _l("Capacity of the signer"),
        200,
        description=_l("Job title, e.g. HR manager (printed in the signature record)."),
    )


def _on_behalf_field() -> StringField:
    return text_field(
        _l("Signing on behalf of"),
        200,
        description=_l(
            "Only for a delegation: the name and title of the person of the organisation the "
            "signer signs for (e.g. its legal representative)."
        ),
    )


class _OnBehalfCheck:
    """A signer who signs on behalf of someone gives their own capacity (the field named
    ``capacity_field``)."""

    capacity_field = "capacity"

    def validate_on_behalf_of(self, field) -> None:
        if field.data and not self[self.capacity_field].data:
            raise ValidationError(
                _l("Give the signer's capacity when they sign on behalf of someone.")
            )


class SignForm(_OnBehalfCheck, AppForm):
    """The logged-in party's acknowledgement of one document; a host contact may give their
    capacity and sign on behalf of a named person of the company (the page shows these two
    fields to host contacts only)."""

    accept = confirm_box(
        _l("I have read the agreement and I accept its terms"),
        _l("Tick the box to confirm that you accept the terms."),
    )
    capacity = _capacity_field()
    on_behalf_of = _on_behalf_field()
    submit = SubmitField(_l("Sign"))


class PaperSignatureForm(_OnBehalfCheck, AppForm):
    """A coordinator records a signature made on paper, with the signed scan."""

    capacity_field = "signer_capacity"

    party = SelectField(
        _l("Party"),
        validators=[DataRequired(message=_l("Choose the party who signed."))],
        invalid_choice_message=_l("This party has already signed or does not sign this document."),
    )
    signer_name = text_field(
        _l("Name of the signer"), 200, required=_l("Give the name of the person who signed.")
    )
    signer_capacity = _capacity_field()
    on_behalf_of = _on_behalf_field()
    signed_on = date_field(_l("Date of the signature"), required=True)
    scan = FileField(
        _l("Signed scan"),
        description=_l("PDF, JPEG or PNG of the signed page(s)."),
        validators=[FileRequired(message=_l("Choose the scan of the signed document."))],
    )
    submit = SubmitField(_l("Record the signature"))

    def __init__(self, *args, parties: list[Party] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.party.choices = [SelectChoice("", "—")] + [
            SelectChoice(p.value, PARTY_LABELS[p]) for p in parties
        ]


# --- préfecture -----------------------------------------------------------------------------


class PrefectureForm(AppForm):
    submitted_on = date_field(
        _l("Submitted to the préfecture on"),
        description=_l("Leave empty while the host company has not submitted the agreement."),
    )
    decision = SelectField(
        _l("Decision"),
        choices=[SelectChoice(d.value, label) for d, label in PREFECTURE_DECISION_LABELS.items()],
        default=PrefectureDecision.pending.value,
        validators=[InputRequired(message=_CHOOSE)],
        invalid_choice_message=_CHOOSE,
    )
    decided_on = date_field(_l("Decided on"))
    note = text_field(_l("Note (optional)"), 500)
    submit = SubmitField(_l("Save the préfecture's answer"))

    def validate_decided_on(self, field) -> None:
        decision = self.decision.data
        if decision and decision != PrefectureDecision.pending.value and field.data is None:
            raise ValidationError(_l("Give the date of the decision."))


# --- amendment ------------------------------------------------------------------------------


class AmendmentForm(AppForm):
    reasons = MultiCheckboxField(
        _l("Reasons for the amendment"),
        choices=[SelectChoice(key, label) for key, label in AMENDMENT_REASONS.items()],
        validators=[DataRequired(message=_l("Choose at least one reason for the amendment."))],
    )
    start_on = date_field(_l("New start date"))
    end_on = date_field(_l("New end date"))
    tutor_id = tutor_field(_l("New tutor"), _l("Choose one of the host company's tutors."))
    monthly_stipend = money_field(
        _l("New monthly stipend (€)"), STIPEND_MAX, _l("The stipend cannot be negative.")
    )
    work_address = text_field(_l("New address of the place of work"), 300)
    work_city = text_field(_l("New city"), 100)
    interruption_from = date_field(_l("Interruption: first day"))
    interruption_to = date_field(_l("Interruption: last day"))
    early_end_on = date_field(_l("Early end: last day of the internship"))
    explanation = textarea_field(
        _l("Explanation"),
        required=_l("Explain the amendment in a sentence or two."),
        max_chars=2000,
        description=_l("Why the terms change, in a sentence or two (printed on the amendment)."),
        rows=3,
    )
    submit = SubmitField(_l("Issue the amendment"))

    #: reason -> the fields it needs
    NEEDS = {
        "dates": ("start_on", "end_on"),
        "tutor": ("tutor_id",),
        "stipend": ("monthly_stipend",),
        "place": ("work_address", "work_city"),
        "interruption": ("interruption_from", "interruption_to"),
        "early_end": ("early_end_on",),
    }

    def __init__(self, *args, tutors: list[Tutor] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tutor_id.choices = tutor_choices(tutors, "—")

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        reasons = set(self.reasons.data or [])
        for reason, names in self.NEEDS.items():
            if reason not in reasons:
                continue
            for name in names:
                field = getattr(self, name)
                if field.data in (None, "") and not field.errors:
                    field.errors = [*field.errors, _l("Required for this reason.")]
                    ok = False
        pairs = (("start_on", "end_on"), ("interruption_from", "interruption_to"))
        for first, last in pairs:
            a, b = getattr(self, first).data, getattr(self, last).data
            if a is not None and b is not None and b < a:
                field = getattr(self, last)
                field.errors = [*field.errors, _l("This date must not be before the first one.")]
                ok = False
        return ok

    def to_input(self) -> AmendmentInput:
        reasons = list(self.reasons.data or [])
        stipend = self.monthly_stipend.data
        return input_from(
            self,
            AmendmentInput,
            reasons=reasons,
            monthly_stipend=stipend.quantize(Decimal("0.01")) if stipend is not None else None,
            work_address=self.work_address.data or None,
            work_city=self.work_city.data or None,
            explanation=self.explanation.data or "",
        )


# --- certificate ----------------------------------------------------------------------------


class CertificateForm(AppForm):
    """The programme prepares the certificate; the host confirms its figures and signs."""

    total_stipend_paid = money_field(
        _l("Total stipend paid, if known (€)"),
        TOTAL_STIPEND_MAX,
        _l("The amount cannot be negative."),
        description=_l(
            "Leave empty to propose the stipend planned by the agreement; the host company "
            "confirms or corrects it before signing."
        ),
    )
    programme_note = textarea_field(
        _l("Note of the programme (optional)"),
        max_chars=2000,
        description=_l(
            "Printed under its own heading, apart from the tutor's appraisal (which comes from "
            "the tutor's final evaluation)."
        ),
        rows=3,
    )
    submit = SubmitField(_l("Prepare the certificate for the host company"))


class ConfirmCertificateForm(_OnBehalfCheck, AppForm):
    """The host company confirms (or corrects) the certificate's figures and signs it."""

    start_on = date_field(_l("First day of the internship"), required=True)
    end_on = date_field(_l("Last day of the internship"), required=True)
    presence_hours = CommaDecimalField(
        _l("Hours of presence actually done"),
        places=2,
        description=_l("Public holidays and unauthorised absences excluded."),
        validators=[
            InputRequired(message=_l("Give the hours of presence.")),
            NumberRange(min=0, max=HOURS_MAX, message=_l("Between %(min)s and %(max)s.")),
        ],
    )
    total_stipend_paid = money_field(
        _l("Total stipend actually paid (€)"),
        TOTAL_STIPEND_MAX,
        _l("The amount cannot be negative."),
        required=_l("Give the total stipend paid (0 if none)."),
    )
    capacity = _capacity_field()
    on_behalf_of = _on_behalf_field()
    accept = confirm_box(
        _l(
            "I confirm, for the host company, the effective duration and the stipend actually "
            "paid, and I sign the internship certificate"
        ),
        _l("Tick the box to confirm and sign."),
    )
    submit = SubmitField(_l("Confirm and sign the certificate"))

    def validate_end_on(self, field) -> None:
        if field.data and self.start_on.data and field.data < self.start_on.data:
            raise ValidationError(_l("This date must not be before the first one."))

    def to_figures(self) -> CertificateFigures:
        return CertificateFigures(
            start_on=self.start_on.data,
            end_on=self.end_on.data,
            presence_hours=self.presence_hours.data.quantize(Decimal("0.01")),
            total_stipend_paid=self.total_stipend_paid.data.quantize(Decimal("0.01")),
        )
