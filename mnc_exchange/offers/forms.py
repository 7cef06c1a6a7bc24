"""Forms of the offer pages: the offer itself and a step in its lifecycle.

Numbers may be typed the French way (``35,5`` hours, ``1 234,56`` €). The form only checks that
the values make sense (positive, within the database's bounds); whether they are *legal* is the
law check's job (``offers.law``), shown on the offer page and enforced at submission.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    DecimalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import TextInput

from ..core.forms import (
    AppForm,
    DateBetween,
    input_from,
    int_or_none,
    optional_number,
    required_number,
    set_decimal,
    text_field,
    textarea_field,
)
from ..hosts.models import Pole, Tutor
from .models import WorkLanguage, WorkMode
from .services import LANGUAGE_LABELS, MODE_LABELS, POLE_LABELS, OfferInput

SEATS_MIN, SEATS_MAX = 1, 20  # the table's CHECK constraint
WEEKLY_HOURS_MAX = Decimal("99.9")  # Numeric(4, 1)
DAILY_HOURS_MAX = Decimal(24)
STIPEND_MAX = Decimal("999999.99")  # Numeric(8, 2)
LEAVE_DAYS_MAX = 60
DEFAULT_DAILY_HOURS = Decimal(7)

_CHOOSE = _l("Choose a value from the list.")
_SPACES = (" ", "\u00a0", "\u202f")


class CommaDecimalField(DecimalField):
    """A decimal number typed with a point or a comma (``35,5``), thousands separated by spaces
    or not. A text input: a ``type="number"`` input refuses the comma in some browsers."""

    widget = TextInput()

    def __init__(self, *args, places: int = 2, **kwargs) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal"})
        super().__init__(*args, places=None, **kwargs)
        self.max_places = places

    def process_formdata(self, valuelist):
        if valuelist:
            raw = valuelist[0] or ""
            for space in _SPACES:
                raw = raw.replace(space, "")
            set_decimal(self, raw, _l("Enter a number such as 35.5 or 35,5."))

    def pre_validate(self, form) -> None:
        data = self.data
        if isinstance(data, Decimal) and data.normalize().as_tuple().exponent < -self.max_places:
            raise ValidationError(
                _l("At most %(places)d decimal(s).", places=self.max_places)
                if self.max_places
                else _l("Enter a whole number.")
            )

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if isinstance(self.data, Decimal):
            if self.max_places == 2:  # money: always with its cents
                return f"{self.data:.2f}"
            return format(self.data.normalize(), "f")
        return ""


def tutor_field(label, message) -> SelectField:
    """An optional choice among the host company's tutors (``message`` when the one posted is
    not among them); the form sets the choices with ``tutor_choices``."""
    return SelectField(
        label,
        coerce=int_or_none,
        validators=[Optional()],
        invalid_choice_message=message,
        invalid_value_message=message,
    )


def tutor_choices(tutors: list[Tutor], blank) -> list[SelectChoice]:
    """The choices of a ``tutor_field``: ``blank`` (no tutor), then each tutor."""
    return [SelectChoice("", blank)] + [
        SelectChoice(t.id, f"{t.full_name} ({t.job_title})") for t in tutors
    ]


def money_field(label, maximum: Decimal, negative, *, required=None, **kwargs):
    """An amount in euros with its cents, from 0 (``negative``: the message below) to
    ``maximum``: ``required`` is the message when it is left empty (otherwise optional)."""
    first = InputRequired(message=required) if required else Optional()
    return CommaDecimalField(
        label,
        places=2,
        validators=[
            first,
            NumberRange(min=0, message=negative),
            NumberRange(max=maximum, message=_l("At most %(max)s.")),
        ],
        **kwargs,
    )


def _date(label, **kwargs):
    return DateField(
        label,
        validators=[InputRequired(message=_l("Enter a date.")), DateBetween()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        invalid_value_message=_l("Enter a valid date."),
        **kwargs,
    )


def _positive(maximum: Decimal):
    def check(form, field) -> None:
        if field.data is None:
            return
        if field.data <= 0:
            raise ValidationError(_l("Enter a number greater than zero."))
        if field.data > maximum:
            raise ValidationError(_l("At most %(max)s.", max=maximum))

    return check


def _hours(label, required, maximum: Decimal, **kwargs) -> CommaDecimalField:
    """Hours with at most one decimal, above zero and at most ``maximum`` (``required``: the
    message when it is left empty)."""
    return CommaDecimalField(
        label,
        places=1,
        validators=[InputRequired(message=required), _positive(maximum)],
        **kwargs,
    )


class OfferForm(AppForm):
    """An offer's terms. Build with ``OfferForm(tutors=company.tutors, ...)``."""

    title = text_field(_l("Title of the post"), 200, required=_l("Give the offer a title."))
    description = textarea_field(
        _l("Description of the missions"),
        required=_l("Describe the missions."),
        rows=6,
        max_chars=10000,
    )
    pole = SelectField(
        _l("MNC pole"),
        choices=[SelectChoice("", "—")]
        + [SelectChoice(p.value, label) for p, label in POLE_LABELS.items()],
        validators=[DataRequired(message=_l("Choose the pole of the offer."))],
        invalid_choice_message=_CHOOSE,
    )
    skills = text_field(
        _l("Skills to acquire"),
        500,
        description=_l("For example: Python, REST APIs, payment security."),
    )
    city = text_field(
        _l("City of the internship"), 100, required=_l("Give the city of the internship.")
    )
    start_on = _date(_l("Start date"))
    end_on = _date(_l("End date"))
    weekly_hours = _hours(
        _l("Hours per week"),
        _l("Give the hours per week."),
        WEEKLY_HOURS_MAX,
        default=Decimal(35),
        description=_l("Hours of presence per week, e.g. 35 or 35,5."),
    )
    daily_hours = _hours(
        _l("Hours per day"),
        _l("Give the hours per day."),
        DAILY_HOURS_MAX,
        default=DEFAULT_DAILY_HOURS,
    )
    monthly_stipend = money_field(
        _l("Monthly stipend (€)"),
        STIPEND_MAX,
        _l("The stipend cannot be negative."),
        required=_l("Give the monthly stipend (0 if none)."),
        description=_l(
            "Gross amount per month, e.g. 693,00. Mandatory above 2 months of presence; the "
            "legal minimum is shown on the offer page."
        ),
    )
    leave_days = IntegerField(
        _l("Days of leave"),
        description=_l(
            "Days of leave granted during the internship. At least one above 2 months of "
            "presence (Code de l'éducation L124-13); printed in the agreement."
        ),
        validators=optional_number(0, LEAVE_DAYS_MAX, _l("Between %(min)d and %(max)d.")),
        render_kw={"type": "number", "min": 0, "max": LEAVE_DAYS_MAX},
    )
    seats = IntegerField(
        _l("Seats"),
        default=1,
        description=_l("Number of interns for this post (1 to 20)."),
        validators=required_number(
            _l("Give the number of seats."),
            SEATS_MIN,
            SEATS_MAX,
            _l("Between %(min)d and %(max)d seats."),
        ),
        render_kw={"type": "number", "min": SEATS_MIN, "max": SEATS_MAX},
    )
    tutor_id = tutor_field(_l("Tutor"), _l("Choose one of your company's tutors."))
    language = SelectField(
        _l("Working language"),
        choices=[SelectChoice(lang.value, label) for lang, label in LANGUAGE_LABELS.items()],
        default=WorkLanguage.fr.value,
        validators=[InputRequired(message=_CHOOSE)],
        invalid_choice_message=_CHOOSE,
    )
    work_mode = RadioField(
        _l("Work mode"),
        choices=[SelectChoice(mode.value, label) for mode, label in MODE_LABELS.items()],
        default=WorkMode.onsite.value,
        validators=[InputRequired(message=_l("Choose on site or hybrid."))],
        invalid_choice_message=_l("Choose on site or hybrid."),
    )
    submit = SubmitField(_l("Save the draft"))

    def __init__(self, *args, tutors: list[Tutor] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.tutor_id.choices = tutor_choices(tutors, _l("— to be named later —"))

    def validate_end_on(self, field) -> None:
        start = self.start_on.data
        if field.data is not None and start is not None and field.data <= start:
            raise ValidationError(_l("The end date must be after the start date."))

    def to_input(self) -> OfferInput:
        return input_from(
            self,
            OfferInput,
            pole=Pole(self.pole.data),
            skills=self.skills.data or "",
            monthly_stipend=self.monthly_stipend.data.quantize(Decimal("0.01")),
            leave_days=self.leave_days.data or 0,
            language=WorkLanguage(self.language.data),
            work_mode=WorkMode(self.work_mode.data),
        )


class TransitionForm(AppForm):
    """One step of the offer's lifecycle (``target`` is checked by the view)."""

    target = StringField()
    reason = textarea_field(_l("What must the company change?"), rows=3, max_chars=2000)
    confirm = BooleanField(_l("I confirm: a closed offer cannot be re-opened."))
