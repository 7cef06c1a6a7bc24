"""WTForms' own messages follow the reader's language (read once per process and language)."""

from __future__ import annotations

from flask_babel import force_locale
from werkzeug.datastructures import MultiDict
from wtforms import IntegerField
from wtforms.validators import DataRequired

from mnc_exchange.core.forms import AppForm


class _Form(AppForm):
    name = IntegerField("Name", validators=[DataRequired()])


def _errors(app, locale: str) -> list[str]:
    with app.test_request_context(method="POST"), force_locale(locale):
        form = _Form(formdata=MultiDict({"name": "pas un nombre"}))
        form.validate()
        return form.name.errors


def test_wtforms_messages_in_french_and_english(app):
    french, english = _errors(app, "fr"), _errors(app, "en")
    assert english == ["This field is required."]
    assert french and french != english
    assert "champ" in french[0].lower()
    assert _errors(app, "fr") == french  # the kept catalogue gives the same again
