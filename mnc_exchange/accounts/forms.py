"""Account forms. Every message is translated."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length, ValidationError

from ..core.forms import AppForm, PasswordPolicy, email_field
from .models import Role
from .services import email_taken

ROLE_LABELS = {
    Role.student: _l("Student"),
    Role.coordinator: _l("Coordinator"),
    Role.host: _l("Host company contact"),
    Role.official: _l("Official"),
    Role.admin: _l("Administrator"),
}


#: Each language named in itself, marked with its ``lang`` (WCAG 3.1.2, language of parts).
LANGUAGE_CHOICES = [
    SelectChoice("fr", "Français", render_kw={"lang": "fr"}),
    SelectChoice("en", "English", render_kw={"lang": "en"}),
]


def _email_field(label=None):
    return email_field(label or _l("E-mail address"), _l("Enter your e-mail address."))


class LoginForm(AppForm):
    email = _email_field()
    password = PasswordField(
        _l("Password"), validators=[DataRequired(message=_l("Enter your password."))]
    )
    remember = BooleanField(_l("Remember me"))
    submit = SubmitField(_l("Log in"))


class _NewPasswordMixin:
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(message=_l("Choose a password.")), PasswordPolicy()],
        description=_l("At least 12 characters."),
    )
    confirm = PasswordField(
        _l("Confirm the password"),
        validators=[
            DataRequired(message=_l("Repeat the password.")),
            EqualTo("password", message=_l("The two passwords differ.")),
        ],
    )


class RegisterForm(_NewPasswordMixin, AppForm):
    """Self-registration. No "already registered" error here: the page must answer the same
    whether the address has an account or not (its owner is told by e-mail)."""

    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter your full name.")), Length(max=200)],
    )
    email = _email_field()
    submit = SubmitField(_l("Create my account"))


class ChangePasswordForm(AppForm):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(message=_l("Enter your current password."))],
    )
    password = _NewPasswordMixin.password
    confirm = _NewPasswordMixin.confirm
    submit = SubmitField(_l("Change my password"))


class ForgotPasswordForm(AppForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a reset link"))


class ResendConfirmationForm(AppForm):
    email = _email_field()
    submit = SubmitField(_l("Send me a new link"))


class ResetPasswordForm(_NewPasswordMixin, AppForm):
    submit = SubmitField(_l("Set my new password"))


class AdminUserForm(_NewPasswordMixin, AppForm):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(message=_l("Enter the full name.")), Length(max=200)],
    )
    email = _email_field()
    role = SelectField(
        _l("Role"),
        choices=[SelectChoice(r.value, label) for r, label in ROLE_LABELS.items()],
        validators=[DataRequired()],
    )
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    submit = SubmitField(_l("Create the account"))

    def validate_email(self, field) -> None:
        if email_taken(field.data):
            raise ValidationError(_l("An account already exists with this e-mail address."))


class ConfirmForm(AppForm):
    """An empty form: a button that POSTs with a CSRF token."""

    submit = SubmitField(_l("Confirm"))


class LanguageForm(AppForm):
    lang = SelectField(choices=LANGUAGE_CHOICES)
