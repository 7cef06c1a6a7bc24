"""Form helpers shared by every domain."""

from __future__ import annotations

from flask import current_app
from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

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
