"""Host company forms: registration (the contact and the company), company data, tutors,
invitations, joining by invitation, and the coordinators' refusal.

Every field is validated here on the server: the SIRET through ``services.normalise_siret``
(spaces allowed) and unique, the NAF/APE code, the postcode, the phone through ``phonenumbers``
(stored in E.164).
"""

from __future__ import annotations

import phonenumbers
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)

from ..accounts.forms import RegisterForm, _NewPasswordMixin
from ..core.errors import DomainError
from ..core.forms import AppForm, email_field, input_from, required_number, required_text
from . import services
from .models import CompanyStatus

#: Largest headcount accepted (a typo guard; the largest French employers are below this).
HEADCOUNT_MAX = 1_000_000
#: The region assumed for a phone number written without an international prefix.
DEFAULT_PHONE_REGION = "FR"
REASON_MAX = 1000

COMPANY_STATUS_LABELS = {
    CompanyStatus.pending: _l("Waiting for approval"),
    CompanyStatus.approved: _l("Approved"),
    CompanyStatus.rejected: _l("Refused"),
}


def normalise_phone(value: str | None) -> str | None:
    """The number in E.164 (``+33612345678``), None when blank, ``ValueError`` when invalid.

    French numbers may be written nationally (``06 12 34 56 78``); others need their
    international prefix (``+212 6 12 34 56 78``).
    """
    value = (value or "").strip()
    if not value:
        return None
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(value) from exc
    if not phonenumbers.is_valid_number(number):
        raise ValueError(value)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display_phone(value: str | None) -> str:
    """An E.164 number written for people (``+33 6 12 34 56 78``)."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return value
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


class _CompanyFields:
    """The company's data, shared by the registration and the edit forms.

    ``company_id`` (set by the edit view) excludes the company itself from the SIRET
    uniqueness check.
    """

    company_id: int | None = None

    legal_name = required_text(
        _l("Legal name of the company"),
        _l("Enter the company's legal name."),
        200,
        description=_l("As registered in the French trade register (e.g. Exemple SAS)."),
    )
    siret = StringField(
        _l("SIRET"),
        validators=[DataRequired(message=_l("Enter the SIRET of the establishment."))],
        description=_l("14 digits, spaces allowed (e.g. 732 829 320 00074)."),
    )
    naf_code = StringField(
        _l("NAF / APE code"),
        validators=[
            DataRequired(message=_l("Enter the NAF (APE) code.")),
            Regexp(
                r"^\s*\d{2}\.?\d{2}[A-Za-z]\s*$",
                message=_l("A NAF code has 4 digits and a letter, e.g. 6201Z or 62.01Z."),
            ),
        ],
        description=_l("4 digits and a letter, e.g. 6201Z."),
    )
    address = required_text(_l("Address"), _l("Enter the address."), 300)
    postcode = StringField(
        _l("Postcode"),
        validators=[
            DataRequired(message=_l("Enter the postcode.")),
            Regexp(r"^\s*\d{5}\s*$", message=_l("A French postcode has 5 digits.")),
        ],
    )
    city = required_text(_l("City"), _l("Enter the city."), 100)
    headcount = IntegerField(
        _l("Headcount"),
        validators=required_number(
            _l("Enter the number of employees."),
            0,
            HEADCOUNT_MAX,
            _l("Enter a whole number between %(min)s and %(max)s."),
        ),
        description=_l(
            "Number of employees of the establishment. French law limits the interns hosted "
            "at the same time to 15 per cent of the headcount (3 below 20 employees): we need "
            "it to check your offers."
        ),
        render_kw={"type": "number", "min": 0, "max": HEADCOUNT_MAX},
    )
    sector = required_text(
        _l("Sector of activity"),
        _l("Enter the sector of activity."),
        120,
        description=_l("E.g. software publishing, IT consulting, mobile payments."),
    )
    mnc_member = BooleanField(_l("The company is a member of Maroc Numeric Cluster"))
    representative_name = StringField(
        _l("Legal representative (name)"),
        validators=[Optional(), Length(max=200)],
        description=_l("The person who signs internship agreements for the company."),
    )
    representative_title = StringField(
        _l("Legal representative (title)"),
        validators=[Optional(), Length(max=120)],
        description=_l("E.g. Managing director, HR director."),
    )

    def validate_siret(self, field) -> None:
        try:
            siret = services.normalise_siret(field.data or "")
        except DomainError as exc:
            raise ValidationError(exc.message) from None
        if services.siret_taken(siret, exclude_id=self.company_id):
            raise ValidationError(_l("A company with this SIRET is already registered."))

    def company_input(self) -> services.CompanyInput:
        return input_from(self, services.CompanyInput, mnc_member=bool(self.mnc_member.data))


class HostRegisterForm(_CompanyFields, RegisterForm):
    """A host contact registers their account and their company in one form."""

    submit = SubmitField(_l("Register my company"))


class CompanyForm(_CompanyFields, AppForm):
    submit = SubmitField(_l("Save the company"))

    def __init__(self, *args, company_id: int | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.company_id = company_id


class TutorForm(AppForm):
    full_name = required_text(_l("Full name"), _l("Enter the tutor's full name."), 200)
    job_title = required_text(_l("Job title"), _l("Enter the tutor's job title."), 120)
    email = email_field(_l("E-mail address"), _l("Enter the tutor's e-mail address."))
    phone = StringField(
        _l("Phone"),
        validators=[Optional(), Length(max=40)],
        description=_l(
            "Optional. A French number (01 23 45 67 89) or an international one starting "
            "with + (e.g. +212 6 12 34 56 78)."
        ),
    )
    submit = SubmitField(_l("Save the tutor"))

    def validate_phone(self, field) -> None:
        try:
            field.data = normalise_phone(field.data)
        except ValueError:
            raise ValidationError(
                _l(
                    "This phone number is not valid: write a French number or an "
                    "international one starting with +."
                )
            ) from None

    def tutor_input(self) -> services.TutorInput:
        return input_from(self, services.TutorInput)


class InviteForm(AppForm):
    email = email_field(
        _l("Colleague's e-mail address"), _l("Enter your colleague's e-mail address.")
    )
    submit = SubmitField(_l("Send the invitation"))


class JoinForm(_NewPasswordMixin, AppForm):
    full_name = required_text(_l("Full name"), _l("Enter your full name."), 200)
    submit = SubmitField(_l("Create my account"))


class RejectForm(AppForm):
    reason = required_text(
        _l("Reason for refusing"),
        _l("Give the reason for refusing the company."),
        REASON_MAX,
        field=TextAreaField,
        description=_l("Sent by e-mail to the company's contacts."),
    )
    next = HiddenField()
    submit = SubmitField(_l("Refuse the company"))


class ApproveForm(AppForm):
    next = HiddenField()
    submit = SubmitField(_l("Approve the company"))
