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
