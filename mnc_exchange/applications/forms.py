"""The student's forms: the application file, document uploads, submission and withdrawal.

Every field of ``ApplicationForm`` is optional (a draft may be incomplete) and validated only
when filled; completeness is checked at submission by ``services.submit``.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import phonenumbers
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DecimalField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..core.forms import (
    AppForm,
    confirm_box,
    date_field,
    optional_number,
    set_decimal,
    strip,
    textarea_field,
)
from ..core.i18n import decimal
from .reference import (
    CEFR_LEVELS,
    GENDER_LABELS,
    MOTIVATION_MAX,
    MOTIVATION_MIN,
    POLE_LABELS,
    REGIONS,
    DocumentKind,
    Gender,
)
from .services import PROFILE_FIELDS

AGE_MIN = 16
AGE_MAX = 45
GRADE_MAX = Decimal("20")
YEAR_OF_STUDY_MAX = 8
PHONE_REGIONS = ("MA", "FR")

CIN_RE = re.compile(r"^[A-Z]{1,2}[0-9]{1,6}$")
PASSPORT_RE = re.compile(r"^[A-Z0-9]{6,9}$")
# Letters (accents included), with single spaces, hyphens or apostrophes between them.
NAME_RE = re.compile(r"^[^\W\d_]+(?:[ '’-]+[^\W\d_]+)*$")

POLE_FIELDS = ("pole_1", "pole_2", "pole_3", "pole_4")

_EMPTY = SelectChoice("", "—")


# --- filters and coercions --------------------------------------------------------------------


def _compact_upper(value):
    """Remove every space and upper-case (CIN, passport number)."""
    return re.sub(r"\s+", "", value).upper() if isinstance(value, str) else value


def _str_or_none(value):
    """A select's ``coerce``: the value chosen, ``None`` for the blank choice (or blanks)."""
    if isinstance(value, str):
        value = value.strip()
    return value or None


def _int_or_none(value):
    return int(value) if value not in (None, "") else None


def parse_phone(raw: str) -> str:
    """A Moroccan or French number in E.164 (``+212…`` / ``+33…``); ValueError otherwise.

    Numbers without a country code are read as Moroccan (``06…`` → ``+2126…``).
    """
    try:
        number = phonenumbers.parse(raw, "MA")
    except phonenumbers.NumberParseException as exc:
        raise ValueError(str(exc)) from None
    if not phonenumbers.is_valid_number(number):
        raise ValueError("invalid number")
    if phonenumbers.region_code_for_number(number) not in PHONE_REGIONS:
        raise ValueError("region not accepted")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def age_on(birth: date, today: date) -> int:
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


class GradeField(DecimalField):
    """A grade on the /20 scale; accepts a French decimal comma (``14,5``)."""

    def process_formdata(self, valuelist):
        if valuelist:
            raw = (valuelist[0] or "").strip().replace(" ", "")
            set_decimal(self, raw, _l("Enter a number such as 14.5 or 14,5."))

    def _value(self) -> str:
        """The grade as the reader writes it: ``14,50`` in French."""
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return decimal(self.data, 2)


def _select(label, choices, coerce=_str_or_none, **kwargs):
    return SelectField(
        label,
        choices=[_EMPTY, *choices],
        coerce=coerce,
        validators=[Optional()],
        invalid_choice_message=_l("Choose a value from the list."),
        invalid_value_message=_l("Choose a value from the list."),
        **kwargs,
    )


def _name(label, autocomplete):
    return StringField(
        label,
        filters=[strip],
        validators=[
            Optional(),
            Length(max=100, message=_l("At most %(max)d characters.")),
        ],
        description=_l("Exactly as written in your passport."),
        render_kw={"autocomplete": autocomplete},
    )


#: The form's fields that are profile values of the same name (the poles make one ranking).
PROFILE_KEYS = frozenset(PROFILE_FIELDS) - {"pole_ranking"}

POLE_CHOICES = [SelectChoice(pole.value, label) for pole, label in POLE_LABELS.items()]
CEFR_CHOICES = [SelectChoice(level, level) for level in CEFR_LEVELS]


class ApplicationForm(AppForm):
    # Identity
    first_name = _name(_l("First name(s) as in the passport"), "given-name")
    last_name = _name(_l("Last name as in the passport"), "family-name")
    birth_date = date_field(_l("Date of birth"))
    gender = _select(_l("Gender"), [SelectChoice(g.value, GENDER_LABELS[g]) for g in Gender])
    cin = StringField(
        _l("CIN (national identity card)"),
        filters=[_compact_upper],
        validators=[Optional()],
        description=_l("One or two letters followed by up to six digits, e.g. AB123456."),
    )
    # Contact
    phone = StringField(
        _l("Phone number"),
        filters=[strip],
        validators=[Optional()],
        description=_l("A Moroccan number (06…, 07… or +212…) or a French one (+33…)."),
        render_kw={"autocomplete": "tel", "type": "tel"},
    )
    region = _select(
        _l("Region of origin"), [SelectChoice(code, name) for code, name in REGIONS.items()]
    )
    # Passport
    passport_number = StringField(
        _l("Passport number"),
        filters=[_compact_upper],
        validators=[Optional()],
        description=_l("6 to 9 letters or digits."),
    )
    passport_expiry = date_field(_l("Passport expiry date"))
    # Studies
    institution_id = _select(_l("Sending institution"), [], coerce=_int_or_none)
    programme = StringField(
        _l("Programme of study"),
        filters=[strip],
        validators=[Optional(), Length(max=200, message=_l("At most %(max)d characters."))],
    )
    year_of_study = IntegerField(
        _l("Year of study"),
        invalid_value_message=_l("Enter a whole number."),
        validators=optional_number(
            1, YEAR_OF_STUDY_MAX, _l("Enter a year between %(min)s and %(max)s.")
        ),
        render_kw={"min": 1, "max": YEAR_OF_STUDY_MAX},
    )
    grade_average = GradeField(
        _l("Grade average (/20)"),
        validators=[Optional()],
        places=2,
        description=_l("On the Moroccan /20 scale, e.g. 14,50."),
        render_kw={"inputmode": "decimal", "type": "text"},
    )
    french_level = _select(_l("French level (CEFR)"), CEFR_CHOICES)
    english_level = _select(_l("English level (CEFR)"), CEFR_CHOICES)
    # The four MNC poles, by preference
    pole_1 = _select(_l("First choice"), POLE_CHOICES)
    pole_2 = _select(_l("Second choice"), POLE_CHOICES)
    pole_3 = _select(_l("Third choice"), POLE_CHOICES)
    pole_4 = _select(_l("Fourth choice"), POLE_CHOICES)
    # Motivation and commitments
    motivation = TextAreaField(
        _l("Motivation"),
        validators=[
            Optional(),
            Length(
                max=MOTIVATION_MAX,
                message=_l("The motivation text must have at most %(max)d characters."),
            ),
        ],
        description=_l(
            "Between %(min)d and %(max)d characters (the minimum is checked when you submit).",
            min=MOTIVATION_MIN,
            max=MOTIVATION_MAX,
        ),
        render_kw={"rows": 10, "maxlength": MOTIVATION_MAX},
    )
    return_commitment = BooleanField(
        _l(
            "I commit to return to Morocco after the internship and to work there, as the "
            "programme requires."
        )
    )
    consent = BooleanField(
        _l(
            "I have read the notice above and I consent to the processing of my personal data "
            "for the exchange programme."
        )
    )
    save = SubmitField(_l("Save the draft"))

    def __init__(self, *args, institutions=(), today: date | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today or date.today()
        self.institution_id.choices = [
            _EMPTY,
            *(SelectChoice(str(i.id), i.name) for i in institutions),
        ]

    # --- field checks (run only when the field is filled) ---

    def validate_first_name(self, field) -> None:
        if not NAME_RE.match(field.data):
            raise ValidationError(
                _l(
                    "Use letters only, as in the passport (spaces, hyphens and apostrophes "
                    "allowed)."
                )
            )

    validate_last_name = validate_first_name

    def validate_birth_date(self, field) -> None:
        if field.data is None:  # not a date / number: already reported
            return
        if field.data >= self.today:
            raise ValidationError(_l("The date of birth must be in the past."))
        if not AGE_MIN <= age_on(field.data, self.today) <= AGE_MAX:
            raise ValidationError(
                _l(
                    "Applicants must be between %(min)d and %(max)d years old.",
                    min=AGE_MIN,
                    max=AGE_MAX,
                )
            )

    def validate_cin(self, field) -> None:
        if not CIN_RE.match(field.data):
            raise ValidationError(
                _l("Enter the CIN as one or two letters followed by 1 to 6 digits (e.g. AB123456).")
            )

    def validate_phone(self, field) -> None:
        try:
            parse_phone(field.data)
        except ValueError:
            raise ValidationError(
                _l("Enter a valid Moroccan (+212) or French (+33) phone number.")
            ) from None

    def validate_passport_number(self, field) -> None:
        if not PASSPORT_RE.match(field.data):
            raise ValidationError(_l("The passport number has 6 to 9 letters or digits."))

    def validate_passport_expiry(self, field) -> None:
        if field.data is None:  # not a date / number: already reported
            return
        if field.data <= self.today:
            raise ValidationError(_l("The passport must still be valid (expiry after today)."))

    def validate_grade_average(self, field) -> None:
        if field.data is None:  # not a date / number: already reported
            return
        if not Decimal(0) <= field.data <= GRADE_MAX:
            raise ValidationError(_l("The grade average must be between 0 and 20."))
        if field.data.as_tuple().exponent < -2:
            raise ValidationError(_l("Use at most two decimals."))

    def _validate_pole(self, field) -> None:
        earlier = POLE_FIELDS[: POLE_FIELDS.index(field.name)]
        if field.data and field.data in (self[name].data for name in earlier):
            raise ValidationError(_l("Each pole can be ranked only once."))

    validate_pole_2 = validate_pole_3 = validate_pole_4 = _validate_pole

    # --- results ---

    def pole_ranking(self) -> list[str]:
        return [self[name].data for name in POLE_FIELDS if self[name].data]

    def invalid_keys(self) -> set[str]:
        """The profile keys whose typed value was refused (the poles count as one key)."""
        keys = {name for name in PROFILE_KEYS if self[name].errors}
        if any(self[name].errors for name in POLE_FIELDS):
            keys.add("pole_ranking")
        return keys

    def values(self, valid_only: bool = False) -> dict:
        """The profile values for ``services.save_draft`` (empty fields become None);
        ``valid_only`` leaves out the fields whose value was refused, so that a draft keeps
        everything else."""
        values = self._values()
        if valid_only:
            for key in self.invalid_keys():
                values.pop(key, None)
        return values

    def _values(self) -> dict:
        grade = self.grade_average.data if not self.grade_average.errors else None
        phone = None
        if self.phone.data and not self.phone.errors:
            phone = parse_phone(self.phone.data)
        return {
            "first_name": self.first_name.data or None,
            "last_name": self.last_name.data or None,
            "birth_date": self.birth_date.data,
            "gender": Gender(self.gender.data)
            if self.gender.data and not self.gender.errors
            else None,
            "cin": self.cin.data or None,
            "phone": phone,
            "region": self.region.data,
            "passport_number": self.passport_number.data or None,
            "passport_expiry": self.passport_expiry.data,
            "institution_id": self.institution_id.data,
            "programme": self.programme.data or None,
            "year_of_study": self.year_of_study.data,
            "grade_average": grade.quantize(Decimal("0.01")) if grade is not None else None,
            "french_level": self.french_level.data,
            "english_level": self.english_level.data,
            "pole_ranking": self.pole_ranking(),
            "motivation": (self.motivation.data or "").strip() or None,
        }

    @staticmethod
    def initial(application) -> dict:
        """Form values that are not plain attributes of the application."""
        ranking = list(application.pole_ranking or [])
        data = {
            name: (ranking[i] if i < len(ranking) else None) for i, name in enumerate(POLE_FIELDS)
        }
        data["return_commitment"] = application.return_commitment_at is not None
        data["consent"] = application.consent_at is not None
        return data


class DocumentUploadForm(AppForm):
    """One upload; the document kind comes in a hidden field (one such form per kind)."""

    kind = HiddenField(validators=[DataRequired(message=_l("Choose the kind of document."))])
    file = FileField(
        _l("File"),
        validators=[FileRequired(message=_l("Choose a file to upload."))],
        description=_l("PDF, JPEG or PNG."),
    )
    upload = SubmitField(_l("Upload"))

    def validate_kind(self, field) -> None:
        try:
            DocumentKind(field.data)
        except ValueError:
            raise ValidationError(_l("Unknown kind of document.")) from None

    def document_kind(self) -> DocumentKind | None:
        try:
            return DocumentKind(self.kind.data)
        except ValueError:
            return None


class SubmitForm(AppForm):
    """Submitting is irreversible: the student ticks that the file is final (checked here,
    not only in the browser)."""

    confirm = confirm_box(
        _l(
            "I have checked my file: once submitted, I can no longer change it unless the "
            "programme returns it to me for correction."
        ),
        _l("Tick the box to confirm that your file is final."),
    )
    submit = SubmitField(_l("Submit my application"))


class WithdrawForm(AppForm):
    reason = textarea_field(
        _l("Why do you withdraw?"),
        required=_l("Say in a few words why you withdraw your application."),
        rows=3,
        max_chars=1000,
        description=_l("The programme team reads it; it is kept in your file's history."),
    )
    confirm = confirm_box(
        _l("I confirm that I withdraw my application. This cannot be undone."),
        _l("Tick the box to confirm the withdrawal."),
    )
    withdraw = SubmitField(_l("Withdraw my application"))
