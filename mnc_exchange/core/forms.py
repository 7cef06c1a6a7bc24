"""Form helpers shared by every domain."""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    FieldList,
    FormField,
    IntegerField,
    PasswordField,
    StringField,
    TextAreaField,
)
from wtforms import Form as _WTForm
from wtforms.i18n import messages_path
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import TextArea

# A few of the most common passwords of 12+ characters (issue 9 extends the policy).
COMMON_PASSWORDS = frozenset(
    {
        "123456789012",
        "1234567890123",
        "password1234",
        "motdepasse123",
        "azertyuiop12",
        "qwertyuiop12",
        "111111111111",
        "000000000000",
        "aaaaaaaaaaaa",
        "iloveyou1234",
        "passwordpassword",
        "motdepassemotdepasse",
    }
)


class PasswordPolicy:
    """At least ``PASSWORD_MIN_LENGTH`` characters, at most 128, not a common password."""

    def __call__(self, form, field) -> None:
        value = field.data or ""
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(value) < minimum:
            raise ValidationError(
                _l("The password must have at least %(n)d characters.", n=minimum)
            )
        if len(value) > 128:
            raise ValidationError(_l("The password must have at most 128 characters."))
        if value.lower() in COMMON_PASSWORDS:
            raise ValidationError(_l("This password is too common; choose another one."))


class DateBetween:
    """A date from ``first_year`` to ``last_year``: refuses typos such as 0001-01-01 or
    9999-12-31, which the date arithmetic behind the pages (durations, months added or taken
    away, reminders) cannot handle."""

    def __init__(self, first_year: int = 1900, last_year: int = 9000) -> None:
        self.first_year = first_year
        self.last_year = last_year

    def __call__(self, form, field) -> None:
        if field.data is not None and not self.first_year <= field.data.year <= self.last_year:
            raise ValidationError(
                _l(
                    "Enter a date between the years %(first)d and %(last)d.",
                    first=self.first_year,
                    last=self.last_year,
                )
            )


# --- Invisible and control characters -------------------------------------------------------
#
# Refused in every text field of every form (passwords aside): a line break in a name ends up
# in an e-mail header, a bidi override reverses what staff read, a zero-width character makes
# two names that look the same differ. Multi-line fields keep CR, LF and TAB.

#: C0 controls (but TAB, LF, CR), DEL, C1 controls, bidi embeddings/overrides and isolates.
_MULTI_LINE_FORBIDDEN = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
#: The above, plus TAB, LF, CR, the Unicode line and paragraph separators and zero-width
#: characters (spaces, joiners, word joiner, BOM).
_SINGLE_LINE_FORBIDDEN = _MULTI_LINE_FORBIDDEN + "\t\n\r\u2028\u2029\u200b-\u200d\u2060\ufeff"

_MULTI_LINE_RE = re.compile(f"[{_MULTI_LINE_FORBIDDEN}]")
_SINGLE_LINE_RE = re.compile(f"[{_SINGLE_LINE_FORBIDDEN}]")


def forbidden_character(value: str, multiline: bool = False) -> str | None:
    """The first character of ``value`` that no text field accepts, or None."""
    match = (_MULTI_LINE_RE if multiline else _SINGLE_LINE_RE).search(value)
    return match.group() if match else None


def _is_multiline(field) -> bool:
    return isinstance(field, TextAreaField) or isinstance(field.widget, TextArea)


def _texts(field) -> list[str]:
    """The text a field holds: its data, and what was typed (a filter may have changed it,
    e.g. removed the spaces); nothing for a field whose value is not text (a number, a date)."""
    data = field.data
    values = list(data) if isinstance(data, list | tuple) else [data]
    texts = [value for value in values if isinstance(value, str)]
    if texts or isinstance(field, StringField):
        texts += [value for value in field.raw_data or () if isinstance(value, str)]
    return texts


def _character_error(field) -> str | None:
    if isinstance(field, PasswordField):
        return None
    multiline = _is_multiline(field)
    for value in _texts(field):
        char = forbidden_character(value, multiline)
        if char is not None:
            return _l(
                "This field contains an invisible or control character (%(code)s): remove it.",
                code=f"U+{ord(char):04X}",
            )
    return None


def _plain_fields(fields):
    """The fields to check: FieldList entries unfolded; a sub-form that checks its own
    fields (a ``TextSafeMixin``) left to itself, any other one walked into."""
    for field in fields:
        if isinstance(field, FieldList):
            yield from _plain_fields(field.entries)
        elif isinstance(field, FormField):
            if not isinstance(field.form, TextSafeMixin):
                yield from _plain_fields(field.form)
        else:
            yield field


class TextSafeMixin:
    """After the usual validation, refuse control, bidi and zero-width characters in every
    text field (a field error per field)."""

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in _plain_fields(self):
            error = _character_error(field)
            if error is not None:
                field.errors = [*field.errors, error]
                ok = False
        return ok


@lru_cache(maxsize=8)
def _wtforms_translations(locale: str):
    """WTForms' own messages in ``locale``, read once per process (Flask-WTF reads the catalogue
    again for every request)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class AppForm(TextSafeMixin, FlaskForm):
    """The base of every form of the application (CSRF, and the text checks above)."""

    class Meta:
        def get_translations(self, form):
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return None
            return _wtforms_translations(str(get_locale()))


class AppSubForm(TextSafeMixin, _WTForm):
    """The base of a form nested in another one (``FormField``): no CSRF of its own."""


# --- field builders --------------------------------------------------------------------------
# The fields several domains declare alike, with the usual validators and their messages. Each
# returns an ordinary (unbound) WTForms field, which keeps its place among the form's fields.

#: The longest free text of a form (descriptions, comments, answers).
TEXT_MAX = 5000


def strip(value):
    """A filter: surrounding spaces removed from a text (other values untouched)."""
    return value.strip() if isinstance(value, str) else value


def max_length(n: int) -> Length:
    return Length(max=n, message=_l("At most %(max)d characters."))


def required_text(label, message, max_length: int, *, field=StringField, **kwargs):
    """A required text (``DataRequired`` with ``message``) of at most ``max_length``
    characters, kept as typed."""
    return field(
        label, validators=[DataRequired(message=message), Length(max=max_length)], **kwargs
    )


def text_field(label, max_chars: int, *, required=None, optional: bool = True, **kwargs):
    """A one-line text (stripped) of at most ``max_chars``: ``required`` is the message when it
    is left empty; otherwise it may be empty (``optional=False``: no ``Optional`` validator)."""
    validators = [max_length(max_chars)]
    if required:
        validators.insert(0, DataRequired(message=required))
    elif optional:
        validators.insert(0, Optional())
    return StringField(label, filters=[strip], validators=validators, **kwargs)


def textarea_field(label, *, required=None, rows: int | None = None, max_chars=TEXT_MAX, **kwargs):
    """A free text (stripped) of at most ``max_chars``: ``required`` is the message when it is
    left empty (otherwise optional); ``rows``, the height of the box."""
    first = DataRequired(message=required) if required else Optional()
    if rows:
        kwargs["render_kw"] = {"rows": rows}
    return TextAreaField(
        label, filters=[strip], validators=[first, max_length(max_chars)], **kwargs
    )


def email_field(label, required) -> EmailField:
    """A required e-mail address (``required``: the message when it is left empty)."""
    return EmailField(
        label,
        validators=[
            DataRequired(message=required),
            Length(max=254),
            Email(message=_l("Enter a valid e-mail address."), check_deliverability=False),
        ],
    )


def count_field(label, maximum: int, required: str, *, minimum: int = 0, **kwargs) -> IntegerField:
    """A whole number from ``minimum`` to ``maximum`` (a number box with those bounds):
    ``required`` is the message when it is left empty."""
    return IntegerField(
        label,
        validators=[
            InputRequired(message=required),
            NumberRange(min=minimum, max=maximum, message=_l("Between %(min)d and %(max)d.")),
        ],
        render_kw={"type": "number", "min": minimum, "max": maximum},
        **kwargs,
    )


def date_field(label, required: bool = False, **kwargs) -> DateField:
    """A date picked in the browser's calendar (``YYYY-MM-DD``)."""
    first = InputRequired(message=_l("Enter a date.")) if required else Optional()
    return DateField(
        label,
        validators=[first],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
        invalid_value_message=_l("Enter a valid date."),
        **kwargs,
    )


def int_or_none(value):
    """A select's ``coerce``: an id, ``None`` for the blank choice."""
    if value in (None, ""):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(_l("Choose a value from the list.")) from None


def required_number(message, minimum, maximum, range_message) -> list:
    """The validators of a required number: ``message`` when it is left empty,
    ``range_message`` when it is not between ``minimum`` and ``maximum``."""
    return [
        InputRequired(message=message),
        NumberRange(min=minimum, max=maximum, message=range_message),
    ]


def optional_number(minimum, maximum, range_message) -> list:
    """The validators of a number that may be left empty: ``range_message`` when it is not
    between ``minimum`` and ``maximum``."""
    return [Optional(), NumberRange(min=minimum, max=maximum, message=range_message)]


def confirm_box(label, message) -> BooleanField:
    """A box to tick to go on: ``message`` when it is left unticked."""
    return BooleanField(label, validators=[DataRequired(message=message)])


def set_decimal(field, raw: str, message) -> None:
    """Set ``field.data`` from ``raw`` (spaces already taken out), a decimal point or comma:
    None when empty, else a finite ``Decimal``; anything else raises ``ValueError(message)``."""
    raw = raw.replace(",", ".")
    if not raw:
        field.data = None
        return
    try:
        value = Decimal(raw)
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        field.data = None
        raise ValueError(message)
    field.data = value


# --- what a form gives the services -----------------------------------------------------------


def input_from(form, input_class, **values):
    """An ``input_class`` (a dataclass) holding the data of the form's fields of the same
    names; ``values`` give the ones the form does not hold as they are (converted, defaulted).
    The dataclass's other fields keep their defaults."""
    names = [f.name for f in dataclasses.fields(input_class) if f.name not in values]
    return input_class(**{name: form[name].data for name in names if name in form}, **values)


def chosen(field_name: str, enum):
    """A property: the member of ``enum`` chosen in the field ``field_name``."""
    return property(lambda form: enum(form[field_name].data))


# --- forms repeated once per row of a page -----------------------------------------------------


def row_prefix(kind: str, object_id: int) -> str:
    """The prefix of a form repeated once per row of a page, so that each row's fields have
    their own names and ids."""
    return f"{kind}-{object_id}"


def row_form(form_class, kind: str, object_id: int, posted: dict | None = None):
    """The form of one row of a page: the one just posted (``posted``, by prefix, to show its
    errors), else a blank one."""
    prefix = row_prefix(kind, object_id)
    return (posted or {}).get(prefix) or form_class(formdata=None, prefix=prefix)
