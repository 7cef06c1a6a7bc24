"""No text field takes control, bidi or invisible characters (issue 13, §4).

A line break in a name ended up in an e-mail header (and stopped the mail queue); a bidi
override (U+202E) reverses what staff read; a zero-width character makes two equal-looking
names differ. Every form of the package derives from ``core.forms.AppForm`` (or
``AppSubForm``), whose validation refuses them with a field error; multi-line fields keep
CR/LF/TAB. This module walks every form class, so a new form is covered the day it is added.
"""

from __future__ import annotations

import importlib
import pkgutil

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict
from wtforms import Form, PasswordField, StringField, TextAreaField

import mnc_exchange
from mnc_exchange.accounts.models import User
from mnc_exchange.core.forms import TextSafeMixin, forbidden_character
from mnc_exchange.extensions import db
from mnc_exchange.hosts.models import Company
from mnc_exchange.selection.forms_staff import RubricForm

for _module in pkgutil.walk_packages(mnc_exchange.__path__, "mnc_exchange."):
    importlib.import_module(_module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


FORMS = sorted(
    {
        cls
        for cls in _subclasses(Form)
        if cls.__module__.startswith("mnc_exchange.") and "<locals>" not in cls.__qualname__
    },
    key=lambda cls: f"{cls.__module__}.{cls.__qualname__}",
)


def _name(cls) -> str:
    return f"{cls.__module__.removeprefix('mnc_exchange.')}.{cls.__qualname__}"


def _form(data_app, cls, data: dict):
    with data_app.test_request_context(method="POST"):
        form = cls(formdata=MultiDict(data), meta={"csrf": False})
        form.validate()
        return form, {name: [str(e) for e in f.errors] for name, f in form._fields.items()}


def _text_fields(data_app, cls):
    with data_app.test_request_context(method="POST"):
        form = cls(formdata=None, meta={"csrf": False})
        single = [
            f.name
            for f in form
            if isinstance(f, StringField) and not isinstance(f, PasswordField | TextAreaField)
        ]
        multi = [f.name for f in form if isinstance(f, TextAreaField)]
    return single, multi


def test_every_form_is_walked():
    names = {cls.__qualname__ for cls in FORMS}
    assert {"RegisterForm", "HostRegisterForm", "CriterionForm", "OfferForm"} <= names
    assert len(FORMS) > 60


@pytest.mark.parametrize("cls", FORMS, ids=_name)
def test_every_form_refuses_control_and_bidi_characters(data_app, cls):
    assert issubclass(cls, TextSafeMixin), f"{_name(cls)} must derive from AppForm"
    single, multi = _text_fields(data_app, cls)
    for name in single:
        for value, code in (("Ali\r\nBcc: x@example.org", "U+000D"), ("abc\u202edef", "U+202E")):
            form, errors = _form(data_app, cls, {name: value})
            assert not form.validate()
            assert any(code in e for e in errors[name]), (name, errors[name])
    for name in multi:
        _, errors = _form(data_app, cls, {name: "Ligne 1\r\n\tLigne 2"})
        assert not any("U+" in e for e in errors[name]), (name, errors[name])
        _, errors = _form(data_app, cls, {name: "Ligne 1\r\nabc\u202edef"})
        assert any("U+202E" in e for e in errors[name]), (name, errors[name])


def test_a_nested_row_is_checked_too(data_app):
    row = {
        "criteria-0-key": "motivation",
        "criteria-0-label": "Moti\u200bvation",
        "criteria-0-weight": "1",
        "criteria-0-max_score": "20",
    }
    with data_app.test_request_context(method="POST"):
        form = RubricForm(formdata=MultiDict(row), meta={"csrf": False})
        assert not form.validate()
        assert any("U+200B" in str(e) for e in form.criteria[0].form.label.errors)


@pytest.mark.parametrize(
    ("value", "single", "multi"),
    [
        ("Jean-Éric Nœl O’Brien", None, None),
        ("محمد بن علي", None, None),  # Arabic: right-to-left text is fine
        ("a\tb", "\t", None),
        ("a\nb", "\n", None),
        ("a\x85b", "\x85", "\x85"),  # C1 (NEL)
        ("a\x7fb", "\x7f", "\x7f"),
        ("a\u2028b", "\u2028", None),
        ("a\u2066b", "\u2066", "\u2066"),
        ("a\u200db", "\u200d", None),
        ("\ufeffab", "\ufeff", None),
    ],
)
def test_which_characters_are_refused(value, single, multi):
    assert forbidden_character(value) == single
    assert forbidden_character(value, multiline=True) == multi


REGISTRATION = {
    "email": "julie.durand@exemple-entreprise.fr",
    "password": "une-phrase-de-passe-longue",
    "confirm": "une-phrase-de-passe-longue",
    "legal_name": "Exemple Numérique SAS",
    "siret": "732 829 320 00074",
    "naf_code": "62.01z",
    "address": "10 rue de la Paix",
    "postcode": "75002",
    "city": "Paris",
    "headcount": "45",
    "sector": "Édition de logiciels",
    "mnc_member": "y",
    "representative_name": "Claire Martin",
    "representative_title": "Présidente",
}


@pytest.mark.parametrize(
    ("full_name", "code"),
    [("Julie Durand\r\nBcc: spy@example.org", "U+000D"), ("Julie \u202eDurand", "U+202E")],
)
def test_host_registration_refuses_a_name_with_a_line_break_or_an_override(client, full_name, code):
    response = client.post("/register/host", data=REGISTRATION | {"full_name": full_name})
    assert response.status_code == 400  # this view's answer to a form with errors
    page = response.get_data(as_text=True)
    assert f"Ce champ contient un caractère invisible ou de contrôle ({code}) : retirez-le." in page
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    assert db.session.scalar(select(func.count()).select_from(Company)) == 0


def test_host_registration_still_accepts_a_plain_name(client):
    response = client.post("/register/host", data=REGISTRATION | {"full_name": "Julie Durand"})
    assert response.status_code == 302
    assert db.session.scalar(select(User.full_name)) == "Julie Durand"
