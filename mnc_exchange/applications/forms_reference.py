"""Forms of the reference lists and of the per-cohort application settings."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    DecimalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget, TextInput

from ..core.forms import AppForm, required_number, strip
from .reference import CEFR_LEVELS, DOCUMENT_LABELS, DocumentKind
from .reference_services import (
    INSTITUTION_MAX,
    NOT_ASKED,
    OPTIONAL,
    REQUIRED,
    YEARS_OF_STUDY,
)


def _text(label, key, message, textarea=False):
    field = TextAreaField if textarea else StringField
    return field(
        label,
        filters=[strip],
        validators=[
            DataRequired(message=message),
            Length(
                max=INSTITUTION_MAX[key],
                message=_l("%(max)d characters at most.", max=INSTITUTION_MAX[key]),
            ),
        ],
        render_kw={"maxlength": INSTITUTION_MAX[key]},
    )


class InstitutionForm(AppForm):
    name = _text(_l("Name"), "name", _l("Enter the institution's name."))
    city = _text(_l("City"), "city", _l("Enter the city."))
    legal_representative = _text(
        _l("Legal representative"),
        "legal_representative",
        _l("Enter the legal representative (name and title)."),
    )
    address = _text(_l("Address"), "address", _l("Enter the postal address."), textarea=True)
    submit = SubmitField(_l("Save"))

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "city": self.city.data,
            "legal_representative": self.legal_representative.data,
            "address": self.address.data,
        }


class ToggleInstitutionForm(AppForm):
    """Deactivate ("0") or reactivate ("1"): the target state is explicit, so a form sent twice
    does not flip the institution back."""

    active = HiddenField(validators=[AnyOf(["0", "1"])])
    submit = SubmitField(_l("Confirm"))


# --- per-cohort settings ---------------------------------------------------------------------

REQUIREMENT_LABELS = {
    REQUIRED: _l("Required"),
    OPTIONAL: _l("Optional"),
    NOT_ASKED: _l("Not asked"),
}


class DocumentSettingsForm(AppForm):
    """One radio group per document kind (fields named after ``DocumentKind`` values)."""

    submit = SubmitField(_l("Save"))

    def kind_fields(self):
        return [(kind, self[kind.value]) for kind in DocumentKind]

    def levels(self) -> dict[DocumentKind, str]:
        return {kind: field.data for kind, field in self.kind_fields()}


for _kind in DocumentKind:
    setattr(
        DocumentSettingsForm,
        _kind.value,
        RadioField(
            DOCUMENT_LABELS[_kind],
            choices=[SelectChoice(value, label) for value, label in REQUIREMENT_LABELS.items()],
            validators=[InputRequired(message=_l("Choose one of the three options."))],
        ),
    )


class CommaDecimalField(DecimalField):
    """A decimal number typed with a point or a comma (“12,5”): a text input, since a
    type="number" input would refuse the comma in some browsers."""

    widget = TextInput()

    def process_formdata(self, valuelist):
        if valuelist:
            valuelist = [valuelist[0].strip().replace(" ", "").replace(",", ".")]
        super().process_formdata(valuelist)
        if isinstance(self.data, Decimal) and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext("Not a valid decimal value."))


def _two_decimals(form, field):
    data = field.data
    if isinstance(data, Decimal) and data.is_finite() and data.normalize().as_tuple().exponent < -2:
        raise ValidationError(_l("Two decimals at most."))


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _at_least_one(form, field):
    if not field.data:
        raise ValidationError(_l("Allow at least one year of study."))


class EligibilityRulesForm(AppForm):
    min_french_level = SelectField(
        _l("Minimum French level (CEFR)"),
        choices=[SelectChoice(level, level) for level in CEFR_LEVELS],
        validators=[DataRequired(message=_l("Choose a level."))],
    )
    min_average = CommaDecimalField(
        _l("Minimum grade average (/20)"),
        places=2,
        description=_l("Between 0 and 20; a decimal point or comma is accepted (12.5 or 12,5)."),
        validators=[
            *required_number(
                _l("Enter the minimum average."), 0, 20, _l("Enter a number between 0 and 20.")
            ),
            _two_decimals,
        ],
        render_kw={"inputmode": "decimal"},
    )
    allowed_years = MultiCheckboxField(
        _l("Allowed years of study"),
        coerce=int,
        choices=[SelectChoice(year, str(year)) for year in YEARS_OF_STUDY],
        validators=[_at_least_one],
    )
    passport_months_after_end = IntegerField(
        _l("Passport validity after the latest internship end (months)"),
        description=_l("Between 0 and 24 months."),
        validators=required_number(
            _l("Enter a number of months."), 0, 24, _l("Enter a number between 0 and 24.")
        ),
        render_kw={"min": 0, "max": 24},
    )
    submit = SubmitField(_l("Save"))
