"""Form fuzzing: no input, however hostile, makes a state-changing route answer 500.

Every POST (PUT, PATCH, DELETE) route of ``app.url_map`` is fuzzed; none is picked by hand, so a
new form is covered the day it is added (``test_every_route_is_fuzzed``). For each route:

- the access matrix (``tests/test_access_matrix.py``) gives the sample data, the URL arguments
  and the role to use: the first allowed one in ``PREFERRED_ROLES``. ``PREPARE`` and
  ``VALID_TOKENS`` open the few forms the matrix's data leaves closed (no open call, a published
  offer, an invalid token); a route missing there is fuzzed on the matrix's data all the same;
- the fields come from the pages: the ``<form method=post>`` posting to the URL on its own page
  (GET), on the page an empty POST answers with, or on the page it redirects to (names,
  prefilled values, options, bounds), completed with the WTForms forms the view validates
  (recorded while the request runs: types, choices, NumberRange / Length bounds). Fields the
  page leaves empty get a plausible value within their bounds, so that the base form is valid
  as often as possible;
- a sweep then sets each field of that form in turn to the values most likely to pass the
  validators and break the database: 10 000 characters, a NUL, numbers beyond any column, dates
  in year 1 and 9999; and each int URL argument to 2**64;
- hypothesis sends ``FUZZ_EXAMPLES`` (default 25) more requests: empty and very long strings,
  Arabic, emoji, RTL marks, NUL and control characters, numbers at the extremes ("1e309", "-0",
  "NaN", 20 digits), impossible dates, decimal commas, HTML/JS and SQL snippets, repeated,
  missing and unknown fields, multipart and hand-made bodies with invalid UTF-8, huge ids in the
  URL. Most examples change one or a few fields of the base form, so that the value reaches the
  service and the database instead of stopping at the first validator.

Every answer must be below 500 and must not be the error page. One sample data set per route;
the app rolls back each request's session, so a failed example cannot leak into the next one.
The module runs in about 50 s on SQLite and 90 s on PostgreSQL on this 2-core machine when it is
otherwise idle (2.5 and 3.5 minutes while other test runs share it). ``FUZZ_VERBOSE=1`` (with
``-s``) prints, per route, the role, the fields found and how many fuzzed forms validated: how
deep the fuzzing went.

``test_document_upload_never_fails`` fuzzes the student's document upload (random bytes, wrong
extensions, huge, path-traversal and control-character names, empty files); the last tests pin
the fixes the fuzzing led to.
"""

from __future__ import annotations

import io
import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote_from_bytes, urlencode, urljoin, urlsplit

import pytest
from flask import url_for
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func
from werkzeug.datastructures import MultiDict
from wtforms.fields import FieldList, FormField
from wtforms.validators import Email, Length, NumberRange

from mnc_exchange import create_app
from mnc_exchange.extensions import db
from tests.access_helpers import OK, ROLES
from tests.factories import PASSWORD, SAMPLE_PDF, CohortFactory, CompanyFactory
from tests.test_access_matrix import EXPECTED, _setup, _url

MAX_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "25"))
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}

#: The role a route is fuzzed as: the first one the access matrix allows. A route nobody may use
#: with the matrix's sample data (an invalid token) is fuzzed anonymously.
PREFERRED_ROLES = ("anon", "student", "host", "coordinator", "admin", "official", "pending_host")
assert set(PREFERRED_ROLES) == set(ROLES)

#: What the error page says for a 500, in both languages (``templates/errors/error.html``).
ERROR_500_MARKERS = ("Error 500", "Erreur 500")

SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the repository; failures print their example
    print_blob=True,
    suppress_health_check=list(HealthCheck),
)


# --- the hostile values ------------------------------------------------------------------------

LONG = "x" * 10_000
HOSTILE_TEXT = (
    "",
    " ",
    " \t\r\n ",
    LONG,
    "é" * 5_000,  # 10 000 bytes in UTF-8
    "محمد بن عبد الله، الدار البيضاء",
    "😀🇲🇦👨‍👩‍👧‍👦" * 20,
    "\u202egnp.exe\u202c",
    "\u200f\u200e\u061c\ufeff",
    "\x00",
    "abc\x00def",
    "\x01\x02\x07\x08\x0b\x0c\x1b[31m\x7f\x85",
    "\ud7ff\ue000\uffff\U0010ffff",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "javascript:alert(1)",
    "{{ 7 * 7 }}{% raw %}",
    "%(name)s %s %d {0}",
    "' OR '1'='1' --",
    "1; DROP TABLE users; --",
    "../../etc/passwd",
    "\\\\server\\share",
    "%00%ff",
    "None",
    "null",
    "[]",
    "a@b",
    "@",
    "x" * 300 + "@example.org",
)
HOSTILE_NUMBERS = (
    "0",
    "-0",
    "-1",
    "1e309",
    "-1e309",
    "1e-400",
    "NaN",
    "nan",
    "Infinity",
    "-inf",
    "99999999999999999999",
    "-99999999999999999999",
    "2147483648",
    "9223372036854775808",
    "0x10",
    "1_000",
    "١٢٣",  # Arabic-Indic digits: int() and Decimal() accept them
    "½",
    "12,5",
    "1.234,56",
    "1,000.50",
    " 7 ",
    "+5",
    "5.",
    ".5",
)
HOSTILE_DATES = (
    "2026-02-30",
    "0000-00-00",
    "9999-12-31",
    "0001-01-01",
    "1900-01-01",
    "31/12/2026",
    "2026-13-45",
    "2026-02-30T25:61",
    "2026-06-01T12:00",
    "12:60",
    "2026-6-1",
    "2026-06-01 ",
)
HOSTILE = HOSTILE_TEXT + HOSTILE_NUMBERS + HOSTILE_DATES

#: Names an attacker might add to a form.
EXTRA_NAMES = (
    "id",
    "user_id",
    "role",
    "status",
    "is_admin",
    "cohort_id",
    "company_id",
    "next",
    "csrf_token",
    "submit",
    "__proto__",
    "a[]",
    "",
)

hostile_values = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(HOSTILE),  # twice: the listed values are the most telling
    st.sampled_from(HOSTILE),
    st.text(max_size=40),
    st.text(min_size=200, max_size=2_000),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    st.dates().map(date.isoformat),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
)

#: URL ids: only what an int converter accepts (no sign), from 0 to far beyond 64 bits.
big_ids = st.one_of(
    st.sampled_from((0, 1, 2**31 - 1, 2**31, 2**63 - 1, 2**63, 2**64, 10**20, 10**40)),
    st.integers(min_value=0, max_value=10**25),
)


# --- discovering the fields --------------------------------------------------------------------


@dataclass
class Field:
    """One name of a form: its valid options (selects, radios, checkboxes, buttons) and the value
    it would be sent with (what the page shows, or a plausible value for its type)."""

    name: str
    kind: str = "text"
    options: list[str] = field(default_factory=list)
    baseline: list[str] = field(default_factory=list)
    low: float | None = None  # smallest number (min, NumberRange) or length (minlength, Length)
    high: float | None = None  # largest number or length
    required: bool = False


@dataclass
class Variant:
    """One way of posting to the route: the fields of one form, and the query string of its
    action (``?cohort=3``)."""

    query: str = ""
    fields: dict[str, Field] = field(default_factory=dict)


class FormParser(HTMLParser):
    """The ``<form method=post>`` of a page: action, fields, prefilled values and options."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, dict[str, Field]]] = []
        self._fields: dict[str, Field] | None = None
        self._select: Field | None = None
        self._option: tuple[str | None, bool] | None = None
        self._option_text = ""
        self._textarea: Field | None = None

    def _field(self, name: str, kind: str) -> Field:
        assert self._fields is not None
        return self._fields.setdefault(name, Field(name, kind))

    def handle_starttag(self, tag, attrs):
        attr = {key: (value if value is not None else "") for key, value in attrs}
        if tag == "form":
            if attr.get("method", "get").lower() == "post":
                self._fields = {}
                self.forms.append((attr.get("action", ""), self._fields))
            return
        if self._fields is None:
            return
        name = attr.get("name")
        if tag == "input" and name:
            kind = attr.get("type", "text").lower()
            if kind in ("checkbox", "radio"):
                entry = self._field(name, kind)
                value = attr.get("value", "on")
                entry.options.append(value)
                if "checked" in attr:
                    entry.baseline.append(value)
            elif kind in ("submit", "image", "button", "reset"):
                entry = self._field(name, "button")
                entry.options.append(attr.get("value", ""))
            else:
                entry = self._field(name, kind)
                entry.baseline = [attr.get("value", "")]
                entry.required = "required" in attr
                low, high = ("min", "max") if kind == "number" else ("minlength", "maxlength")
                entry.low, entry.high = _number(attr.get(low)), _number(attr.get(high))
        elif tag == "button" and name and attr.get("type", "submit") == "submit":
            self._field(name, "button").options.append(attr.get("value", ""))
        elif tag == "select" and name:
            self._select = self._field(name, "select-multiple" if "multiple" in attr else "select")
        elif tag == "option" and self._select is not None:
            self._option = (attr.get("value"), "selected" in attr)
            self._option_text = ""
        elif tag == "textarea" and name:
            self._textarea = self._field(name, "textarea")
            self._textarea.baseline = [""]
            self._textarea.required = "required" in attr

    def handle_data(self, data):
        if self._option is not None:
            self._option_text += data
        if self._textarea is not None:
            self._textarea.baseline[0] += data

    def handle_endtag(self, tag):
        if tag == "form":
            self._fields = None
        elif tag == "option" and self._select is not None and self._option is not None:
            value, selected = self._option
            value = self._option_text.strip() if value is None else value
            self._select.options.append(value)
            if selected:
                self._select.baseline.append(value)
            self._option = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            # A browser drops the newline that follows <textarea> (WTForms writes one).
            text = self._textarea.baseline[0]
            self._textarea.baseline[0] = text[2:] if text.startswith("\r\n") else text
            self._textarea = None


def _number(text) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def html_variants(html: str, page_url: str) -> list[Variant]:
    """The forms of ``html`` that post to ``page_url`` (an empty action posts to the page)."""
    parser = FormParser()
    parser.feed(html)
    path = urlsplit(page_url).path
    variants = []
    for action, fields in parser.forms:
        target = urlsplit(urljoin(page_url, action))
        if target.path == path:
            variants.append(Variant(query=target.query, fields=fields))
    return variants


_WTFORMS_KINDS = {
    "SelectField": "select",
    "RadioField": "radio",
    "SelectMultipleField": "select-multiple",
    "BooleanField": "checkbox",
    "FileField": "file",
    "MultipleFileField": "file",
    "DateField": "date",
    "DateTimeLocalField": "datetime-local",
    "DateTimeField": "datetime-local",
    "TimeField": "time",
    "IntegerField": "number",
    "DecimalField": "number",
    "FloatField": "number",
    "IntegerRangeField": "number",
    "DecimalRangeField": "number",
    "EmailField": "email",
    "SubmitField": "button",
    "TextAreaField": "textarea",
    "HiddenField": "hidden",
    "PasswordField": "password",
}


def _kind(item) -> str:
    """The input kind of a WTForms field, custom subclasses included (a comma-tolerant decimal
    field is a number); a text field checked as an e-mail address is an e-mail field."""
    for cls in type(item).__mro__:
        if cls.__name__ in _WTFORMS_KINDS:
            kind = _WTFORMS_KINDS[cls.__name__]
            break
    else:
        kind = "text"
    if kind in ("text", "hidden") and any(isinstance(v, Email) for v in item.validators):
        kind = "email"
    if kind in ("text", "hidden") and any(isinstance(v, NumberRange) for v in item.validators):
        kind = "number"
    return kind


def _bounds(item) -> tuple[float | None, float | None]:
    for validator in item.validators:
        if isinstance(validator, NumberRange | Length):
            low = validator.min if validator.min not in (None, -1) else None
            high = validator.max if validator.max not in (None, -1) else None
            return (
                float(low) if low is not None else None,
                float(high) if high is not None else None,
            )
    return None, None


def wtforms_fields(form) -> dict[str, Field]:
    """The fields of a WTForms form instance, nested forms and lists flattened."""
    fields: dict[str, Field] = {}
    for item in form:
        if isinstance(item, FormField):
            fields.update(wtforms_fields(item.form))
            continue
        if isinstance(item, FieldList):
            for entry in item.entries:
                if isinstance(entry, FormField):
                    fields.update(wtforms_fields(entry.form))
                else:
                    fields[entry.name] = Field(entry.name, _kind(entry))
            continue
        entry = Field(item.name, _kind(item), required=bool(item.flags.required))
        entry.low, entry.high = _bounds(item)
        if hasattr(item, "iter_choices"):
            try:
                entry.options = [str(choice[0]) for choice in item.iter_choices()]
            except Exception:  # choices that cannot be listed outside the request: none then
                entry.options = []
        elif entry.kind in ("checkbox", "button"):
            entry.options = ["y"]
        fields[item.name] = entry
    return fields


class FormRecorder:
    """Records the WTForms forms the views build, those they validate, and how many validated
    (a measure of how deep the fuzzing goes)."""

    def __init__(self, monkeypatch) -> None:
        self.built: list = []
        self.checked: list = []
        self.validated = 0
        recorder = self
        original_init = FlaskForm.__init__
        original_validate = FlaskForm.validate

        def init(self, *args, **kwargs):
            original_init(self, *args, **kwargs)
            recorder.built.append(self)

        def validate(self, *args, **kwargs):
            valid = original_validate(self, *args, **kwargs)
            recorder.checked.append(self)
            recorder.validated += bool(valid)
            return valid

        monkeypatch.setattr(FlaskForm, "__init__", init)
        monkeypatch.setattr(FlaskForm, "validate", validate)

    def forget(self) -> None:
        self.built.clear()
        self.checked.clear()

    def take(self, checked_only: bool = False) -> dict[str, Field]:
        """The fields of the forms built since the last call; with ``checked_only``, of the
        forms the view validated (not those it only shows), if it validated any."""
        forms = (self.checked if checked_only else []) or self.built
        fields: dict[str, Field] = {}
        for form in forms:
            fields.update(wtforms_fields(form))
        self.forget()
        return fields


SENTENCE = "Texte d'essai écrit pour remplir ce champ du formulaire avec une phrase complète "

#: Values of well-known formats, by a word of the field's name.
FORMATS = {
    "phone": "+33612345678",
    "postcode": "75001",
    "siret": "73282932000074",
    "naf": "6201Z",
    "cin": "AB123456",
    "passport_number": "XK1234567",
    "score": "5",
}


def plausible(entry: Field, position: int = 0) -> list[str]:
    """A value a user could send for a field the page leaves empty, within its bounds.
    ``position`` is the field's rank among the form's dates (dates follow each other) or among
    its selects with the same options (each picks another one)."""
    today = date.today()
    options = [option for option in entry.options if option]
    if entry.kind in ("select", "radio", "button", "select-multiple"):
        if position < len(options):
            return [options[position]]
        return [""] if "" in entry.options else options[-1:]
    if entry.kind == "checkbox":
        return []  # unticked: what the page sends by default
    if entry.kind in ("date", "datetime-local"):
        day = today - timedelta(days=7300) if "birth" in entry.name else today
        day += timedelta(days=30 * (position + 1))
        return [day.isoformat() + ("T10:00" if entry.kind == "datetime-local" else "")]
    if entry.kind == "time":
        return ["10:00"]
    if entry.kind == "number":
        number = entry.low if entry.low is not None else min(1, entry.high or 1)
        return [f"{number:g}"]
    if entry.kind == "email":
        return ["fuzz@example.org"]
    if entry.kind in ("file", "hidden"):
        return [] if entry.kind == "file" else [""]
    for word, value in FORMATS.items():
        if word in entry.name:
            return [value]
    size = int(max(entry.low or 0, min(60, entry.high or 60)))
    return [(SENTENCE * (1 + size // len(SENTENCE)))[:size].strip() or "x"]


def _html(response) -> str | None:
    if response.status_code < 500 and response.mimetype == "text/html":
        return response.get_data(as_text=True)
    return None


def discover(client, url: str, rule, method: str, recorder: FormRecorder) -> list[Variant]:
    """The ways of posting to ``url``: the forms posting to it on its own page (GET), on the page
    its empty POST answers with, or on the page that POST redirects to (where the form usually
    is), completed with the WTForms fields the view reads. The probes are checked for 500s too."""
    pages: list[tuple[str, str | None]] = []
    if "GET" in rule.methods:
        response = client.get(url)
        check(response, "GET", url, {})
        pages.append((url, _html(response)))
    page_fields = recorder.take()  # the forms of the GET (choices, prefilled data)
    response = client.open(url, method=method, data={})
    check(response, method, url, {})
    posted_fields = recorder.take(checked_only=True)  # the forms the POST handler reads
    pages.append((url, _html(response)))
    location = response.headers.get("Location")
    if response.status_code in (301, 302, 303) and location:
        target = urljoin(url, location)
        followed = client.get(target)
        check(followed, "GET", target, {})
        pages.append((target, _html(followed)))
        for name, entry in recorder.take().items():
            page_fields.setdefault(name, entry)
    variants: dict[tuple, Variant] = {}
    for page_url, html in pages:
        for variant in html_variants(html or "", page_url) if html else []:
            key = (variant.query, tuple((n, tuple(f.baseline)) for n, f in variant.fields.items()))
            variants.setdefault(key, variant)
    found = list(variants.values())[:12] or [Variant()]
    for variant in found:
        for name, entry in posted_fields.items():
            known = page_fields.get(name)
            if not entry.options and known is not None:
                entry.options = known.options
            shown = variant.fields.setdefault(name, entry)
            if shown is not entry:  # the page's field: the form class knows its type and bounds
                if shown.kind in ("text", "hidden") and entry.kind in SWEEP:
                    shown.kind = entry.kind
                shown.required = shown.required or entry.required
                shown.low = shown.low if shown.low is not None else entry.low
                shown.high = shown.high if shown.high is not None else entry.high
        positions: dict = {}
        for entry in variant.fields.values():
            if entry.kind in ("checkbox", "select-multiple") or any(entry.baseline):
                continue
            if entry.required or entry.kind in ("select", "radio", "button", "hidden"):
                group = entry.kind if entry.kind in ("date", "datetime-local") else entry.options
                key = (entry.kind, tuple(group))
                entry.baseline = plausible(entry, positions.get(key, 0))
                positions[key] = positions.get(key, 0) + 1
    return found


# --- the requests ------------------------------------------------------------------------------


@dataclass
class Fuzzed:
    url_values: dict
    query: str
    pairs: list[tuple[str, str]]
    encoding: str  # "form", "multipart" or "raw"
    raw_tail: bytes = b""


MUTATIONS = ("hostile", "hostile", "hostile", "missing", "repeat", "option")
extra_names = st.one_of(st.sampled_from(EXTRA_NAMES), st.text(max_size=20))


@st.composite
def fuzzed_requests(
    draw, variants: list[Variant], values: dict, int_args: list[str], str_args: list
):
    variant = draw(st.sampled_from(variants))
    names = sorted(variant.fields)
    mode = draw(st.sampled_from(("one", "one", "few", "all", "same")))
    if mode == "one" and names:
        chosen = {draw(st.sampled_from(names))}
    elif mode == "few":
        chosen = {name for name in names if draw(st.booleans())}
    else:
        chosen = set(names)
    same = draw(hostile_values) if mode == "same" else None
    pairs: list[tuple[str, str]] = []
    for name in names:
        entry = variant.fields[name]
        if name not in chosen:
            pairs += [(name, value) for value in entry.baseline]
            continue
        if same is not None:
            pairs.append((name, same))
            continue
        how = draw(st.sampled_from(MUTATIONS))
        if how == "missing":
            continue
        if how == "option" and entry.options:
            pairs.append((name, draw(st.sampled_from(entry.options))))
        elif how == "repeat":
            repeated = entry.baseline + entry.options[:1] + [draw(hostile_values)]
            pairs += [(name, value) for value in draw(st.permutations(repeated))]
        else:
            pairs.append((name, draw(hostile_values)))
    pairs += draw(st.lists(st.tuples(extra_names, hostile_values), max_size=3))
    url_values = dict(values)
    for name in int_args:
        if draw(st.integers(0, 5)) == 0:
            url_values[name] = draw(big_ids)
    for name in str_args:
        if draw(st.integers(0, 5)) == 0:
            url_values[name] = draw(hostile_values.filter(bool))
    query = variant.query
    if query and draw(st.integers(0, 4)) == 0:
        query = urlencode([(key, draw(hostile_values)) for key in _query_keys(query)])
    encoding = draw(st.sampled_from(("form", "form", "multipart", "raw")))
    raw_tail = draw(st.binary(max_size=30)) if encoding == "raw" else b""
    return Fuzzed(url_values, query, pairs, encoding, raw_tail)


#: The sweep: the values most likely to get past a form's validators and break the database
#: (a value too long for its column, a number beyond its column's range), tried on each field of
#: an otherwise valid form. Hypothesis may not meet every (field, value) pair in a run.
NUL_TEXT = "Texte\x00nul"
SWEEP = {
    "text": (LONG, NUL_TEXT),
    "textarea": (LONG, NUL_TEXT),
    "hidden": (LONG, NUL_TEXT),
    "email": ("x" * 10_000 + "@example.org", "nul\x00@example.org"),
    "tel": (LONG, NUL_TEXT),
    "url": ("https://example.org/" + LONG,),
    "search": (LONG, NUL_TEXT),
    "password": (LONG, NUL_TEXT),
    "number": ("99999999999999999999", "-99999999999999999999", "1e309", "NaN", "1e-400"),
    "date": ("9999-12-31", "0001-01-01"),
    "datetime-local": ("9999-12-31T23:59", "0001-01-01T00:00"),
}


def sweep(variant: Variant, values: dict, int_args: list[str]) -> list[Fuzzed]:
    """Each field of the form in turn set to each of its kind's ``SWEEP`` values, the others
    keeping their values; then each int URL argument beyond 64 bits."""
    baseline = [(name, value) for name, f in variant.fields.items() for value in f.baseline]
    batch = []
    for name, entry in variant.fields.items():
        for value in SWEEP.get(entry.kind, ()):
            pairs = [(n, v) for n, v in baseline if n != name] + [(name, value)]
            batch.append(Fuzzed(values, variant.query, pairs, "form"))
    for name in int_args:
        batch.append(Fuzzed({**values, name: 2**64}, variant.query, baseline, "form"))
    return batch


def _query_keys(query: str) -> list[str]:
    return [part.split("=", 1)[0] for part in query.split("&") if part]


def send(client, app, rule, method: str, fuzzed: Fuzzed):
    with app.test_request_context():
        url = url_for(rule.endpoint, **fuzzed.url_values)
    if fuzzed.query:
        url += "?" + fuzzed.query
    if fuzzed.encoding == "raw":
        # Hand-made body: the fields, then percent-encoded random bytes (often invalid UTF-8).
        body = urlencode(fuzzed.pairs).encode()
        body += b"&" + quote_from_bytes(fuzzed.raw_tail).encode()
        body += b"=" + quote_from_bytes(fuzzed.raw_tail[::-1]).encode()
        response = client.open(
            url, method=method, data=body, content_type="application/x-www-form-urlencoded"
        )
    elif fuzzed.encoding == "multipart":
        response = client.open(
            url, method=method, data=MultiDict(fuzzed.pairs), content_type="multipart/form-data"
        )
    else:
        response = client.open(url, method=method, data=MultiDict(fuzzed.pairs))
    return url, response


def check(response, method: str, url: str, sent) -> None:
    status = response.status_code
    body = response.get_data(as_text=True)
    assert status < 500, f"{method} {url} answered {status} for {sent!r}"
    assert not any(marker in body for marker in ERROR_500_MARKERS), (
        f"{method} {url} showed the error page (HTTP {status}) for {sent!r}"
    )


# --- the routes --------------------------------------------------------------------------------


def _state_changing_routes() -> list[tuple[str, str, str]]:
    """(rule, endpoint, method) of every state-changing route of a freshly built app."""
    with tempfile.TemporaryDirectory(prefix="mnc-fuzz-") as folder:
        app = create_app(
            {
                "CONFIG_NAME": "testing",
                "SQLALCHEMY_DATABASE_URI": "sqlite://",
                "UPLOAD_FOLDER": folder,
            }
        )
    return sorted(
        (rule.rule, rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & STATE_CHANGING
    )


ROUTES = _state_changing_routes()


def _invitation_token(users, values) -> str:
    from mnc_exchange.hosts.models import Company
    from mnc_exchange.hosts.services import invite_contact

    company = db.session.get(Company, values["company_id"])
    _invitation, token = invite_contact(company, "fuzz-invitee@example.org", users["host"])
    db.session.commit()
    return token


def _evaluation_token(users, values) -> str:
    from mnc_exchange.followup.models import TutorEvaluation
    from mnc_exchange.followup.services import _hash

    token = "fuzz-evaluation-token"
    db.session.get(TutorEvaluation, values["evaluation_id"]).token_hash = _hash(token)
    db.session.commit()
    return token


def _reset_token(users, values) -> str:
    from mnc_exchange.accounts.services import make_reset_token

    return make_reset_token(users["student"])


def _confirm_token(users, values) -> str:
    from sqlalchemy import null

    from mnc_exchange.accounts.services import make_confirm_token
    from tests.factories import UserFactory

    return make_confirm_token(
        UserFactory(email="fuzz-unconfirmed@example.org", email_confirmed_at=null())
    )


#: Routes whose sample token is invalid in the matrix (nobody may use them): a valid token lets
#: the fuzzing reach their forms. A route missing here is still fuzzed, with the invalid token.
VALID_TOKENS: dict[str, Callable] = {
    "company.join": _invitation_token,
    "evaluation.form": _evaluation_token,
    "accounts.reset_password": _reset_token,
    "accounts.confirm_email": _confirm_token,
}


def _cohort(values):
    from mnc_exchange.cohorts.models import Cohort

    return db.session.get(Cohort, values["cohort_id"])


def _current_cohort(users, values) -> None:
    _cohort(values).is_current = True
    db.session.commit()


def _open_current_cohort(users, values) -> None:
    from mnc_exchange.cohorts.models import CohortState

    cohort = _cohort(values)
    today = date.today()
    cohort.state = CohortState.open
    cohort.is_current = True
    cohort.applications_open_on = today - timedelta(days=10)
    cohort.applications_close_on = today + timedelta(days=30)
    cohort.selection_on = today + timedelta(days=60)
    cohort.matching_on = today + timedelta(days=90)
    cohort.departure_on = today + timedelta(days=120)
    cohort.return_on = today + timedelta(days=300)
    db.session.commit()


def _draft_offer(users, values) -> None:
    from mnc_exchange.offers.models import Offer, OfferStatus

    _current_cohort(users, values)
    db.session.get(Offer, values["offer_id"]).status = OfferStatus.draft
    db.session.commit()


def _selected_student(users, values) -> None:
    from mnc_exchange.applications.models import Application, ApplicationStatus
    from mnc_exchange.core.timeutils import utcnow
    from mnc_exchange.selection.models import SelectionSettings

    _current_cohort(users, values)
    application = db.session.get(Application, values["application_id"])
    application.status = ApplicationStatus.selected
    settings = db.session.query(SelectionSettings).filter_by(cohort_id=values["cohort_id"]).one()
    settings.published_at = utcnow()
    db.session.commit()


def _ranked_offer(users, values) -> None:
    from mnc_exchange.placements.models import StudentPreference
    from tests.factories import make_selected

    candidate = make_selected(_cohort(values), 1, published=True, start_rank=55)[0]
    db.session.add(
        StudentPreference(application_id=candidate.id, offer_id=values["offer_id"], rank=1)
    )
    db.session.commit()


def _eligible_application(users, values) -> None:
    from mnc_exchange.applications.models import Application, ApplicationStatus

    db.session.get(Application, values["application_id"]).status = ApplicationStatus.eligible
    db.session.commit()


def _confirmed_placement(users, values) -> None:
    from mnc_exchange.core.timeutils import utcnow
    from mnc_exchange.placements.models import Placement, PlacementStatus

    placement = db.session.get(Placement, values["placement_id"])
    placement.status = PlacementStatus.confirmed
    placement.responded_at = utcnow()
    db.session.commit()


#: Forms the matrix's sample data leaves closed (no open call, a published offer, a draft
#: application...): the state in which their form is usable, so that the fuzzing reaches the
#: form's validation and the services. Keys are endpoints or blueprints ("applications.").
#: A route missing here is still fuzzed, on the matrix's data.
PREPARE: dict[str, Callable] = {
    "applications.": _open_current_cohort,
    "offers.create": _current_cohort,
    "offers.edit": _draft_offer,
    "my_ranking.index": _selected_student,
    "candidates.offer": _ranked_offer,
    "reviews.review": _eligible_application,
    "agreements.issue": _confirmed_placement,
}


def _prepare(endpoint: str, users, values) -> None:
    blueprint = endpoint.split(".")[0] + "."
    for key in (blueprint, endpoint):
        if key in PREPARE:
            PREPARE[key](users, values)
    if endpoint in VALID_TOKENS:
        values["token"] = VALID_TOKENS[endpoint](users, values)


def _log_in(client, email: str) -> bool:
    response = client.post("/login", data={"email": email, "password": PASSWORD})
    return response.status_code == 302


def _logged_in(client) -> bool:
    with client.session_transaction() as session:
        return "_user_id" in session


@pytest.mark.parametrize("path, endpoint, method", ROUTES, ids=[f"{e}-{m}" for _r, e, m in ROUTES])
def test_no_input_makes_a_500(app, monkeypatch, path, endpoint, method):
    expected = EXPECTED.get((endpoint, method))
    assert expected is not None, f"{method} {path}: add it to the access matrix first"
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint and r.rule == path)
    users, values = _setup()
    _prepare(endpoint, users, values)
    role = next((r for r in PREFERRED_ROLES if expected[r] == OK), "anon")
    email = users[role].email if role != "anon" else None
    db.session.remove()  # no transaction of the test may hold a lock during the requests

    client = app.test_client()
    if role != "anon":
        assert _log_in(client, email), f"cannot log in as {role}"
    url = _url(app, rule, values)
    recorder = FormRecorder(monkeypatch)
    variants = discover(client, url, rule, method, recorder)
    int_args = sorted(re.findall(r"<int(?:\([^)]*\))?:(\w+)>", rule.rule))
    str_args = sorted(n for n in rule.arguments if n not in int_args)
    url_values = {name: values[name] for name in rule.arguments}

    def attempt(fuzzed: Fuzzed) -> None:
        if role != "anon" and not _logged_in(client):
            _log_in(client, email)  # an example logged out; a refused login is fine too
        try:
            url, response = send(client, app, rule, method, fuzzed)
        except Exception as exc:
            raise AssertionError(f"{method} {path} raised {exc!r} for {fuzzed!r}") from exc
        check(response, method, url, fuzzed)
        recorder.forget()

    for fuzzed in sweep(variants[0], url_values, int_args):
        attempt(fuzzed)

    @SETTINGS
    @given(fuzzed_requests(variants, url_values, int_args, str_args))
    def fuzz(fuzzed):
        attempt(fuzzed)

    fuzz()
    if os.environ.get("FUZZ_VERBOSE"):
        fields = sorted({name for variant in variants for name in variant.fields})
        print(f"\n{endpoint} as {role}: {recorder.validated} valid forms; fields {fields}")


# --- the document upload -----------------------------------------------------------------------

names = st.one_of(
    st.sampled_from(
        (
            "cv.pdf",
            "cv.PDF",
            "cv.exe",
            "cv.pdf.exe",
            "cv",
            ".pdf",
            "",
            " ",
            "../../etc/passwd.pdf",
            "..\\..\\windows\\system32\\cv.pdf",
            "/etc/passwd.pdf",
            "cv\x00.pdf",
            "cv\n.pdf",
            "\u202efdp.exe",
            "سيرة ذاتية.pdf",
            "😀.pdf",
            "a" * 10_000 + ".pdf",
            "é" * 200 + ".pdf",
            "%2e%2e%2fcv.pdf",
            "con.pdf",
        )
    ),
    st.text(max_size=300).map(lambda name: name + ".pdf"),
    st.text(max_size=300),
)
contents = st.one_of(
    st.sampled_from((b"", b"%PDF-", SAMPLE_PDF, SAMPLE_PDF[:-10], b"\x89PNG\r\n\x1a\n")),
    st.binary(max_size=4_000),
    st.binary(max_size=2_000).map(lambda data: b"%PDF-1.4\n" + data + b"\n%%EOF"),
    st.binary(max_size=2_000).map(lambda data: b"\xff\xd8\xff\xe0" + data),
    st.binary(max_size=2_000).map(lambda data: b"\x89PNG\r\n\x1a\n" + data),
)


def test_document_upload_never_fails(app):
    """The student's upload refuses bad files with a message: never a 500, never a stray file."""
    from mnc_exchange.applications.models import Document

    users, values = _setup()
    _open_current_cohort(users, values)
    email = users["student"].email
    db.session.remove()
    client = app.test_client()
    assert _log_in(client, email)
    with app.test_request_context():
        url = url_for("applications.upload_document")
    # The setting reaches the real checks: a good file is accepted.
    response = client.post(
        url,
        data={"kind": "cv", "file": (io.BytesIO(SAMPLE_PDF), "cv.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    last_id = db.session.query(func.max(Document.id)).scalar()
    assert last_id is not None and db.session.get(Document, last_id).original_name == "cv.pdf"
    db.session.remove()
    root = Path(app.config["UPLOAD_FOLDER"])
    files_before = {path for path in root.rglob("*") if path.is_file()}

    # Each part of a good upload is kept or replaced, so that a bad name meets a good file
    # (and the reverse) and every check is reached.
    def kept_or(good, bad):
        return st.one_of(st.just(good), bad)

    @SETTINGS
    @given(
        kind=kept_or("cv", st.sampled_from(("passport", "diploma", "", "CV")) | hostile_values),
        name=kept_or("cv.pdf", names),
        data=kept_or(SAMPLE_PDF, contents),
        files=kept_or(1, st.sampled_from((0, 2))),
    )
    def fuzz(kind, name, data, files):
        form = MultiDict([("kind", kind)])
        for _ in range(files):  # none, one, or the same field twice
            form.add("file", (io.BytesIO(data), name))
        try:
            response = client.post(url, data=form, content_type="multipart/form-data")
        except Exception as exc:
            raise AssertionError(f"upload raised {exc!r} for {kind!r}, {name!r}") from exc
        check(response, "POST", url, (kind, name, data[:40]))

    fuzz()
    # What was accepted is a clean, stored file; what was refused left no file behind.
    stored = db.session.query(Document).filter(Document.id > last_id).all()
    for document in stored:
        name = document.original_name
        assert "/" not in name and "\\" not in name and ".." not in name and len(name) <= 150
        assert not any(ord(c) < 32 for c in name)
        assert document.content_type in ("application/pdf", "image/jpeg", "image/png")
        assert document.size > 0
    new_files = {path for path in root.rglob("*") if path.is_file()} - files_before
    assert new_files == {root / document.stored_name for document in stored}
    if os.environ.get("FUZZ_VERBOSE"):
        print(f"\nupload: {len(stored)} of the fuzzed files accepted")


def test_every_route_is_fuzzed(app):
    """The fuzzed routes are exactly the state-changing routes of the running app."""
    registered = sorted(
        (rule.rule, rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & STATE_CHANGING
    )
    assert registered == ROUTES
    assert len(ROUTES) > 50


# --- the fixes the fuzzing led to --------------------------------------------------------------


def _error_page(response, code: int) -> bool:
    body = response.get_data(as_text=True)
    return response.status_code == code and (f"Error {code}" in body or f"Erreur {code}" in body)


def test_nul_characters_are_refused_with_a_400(client):
    """mnc_exchange/core/guards.py: PostgreSQL cannot store a NUL; no view ever sees one."""
    from tests.factories import UserFactory

    user = UserFactory()
    sent = {"email": user.email, "password": PASSWORD}
    assert _error_page(client.post("/login", data={**sent, "email": "a\x00@example.org"}), 400)
    assert _error_page(client.post("/login", data={**sent, "x\x00": "1"}), 400)
    assert _error_page(client.get("/login?next=/%00"), 400)
    assert _error_page(client.get("/join/abc%00def"), 400)
    upload = {"kind": "cv", "file": (io.BytesIO(SAMPLE_PDF), "cv\x00.pdf")}
    response = client.post("/application/documents", data=upload)
    assert response.status_code in (302, 400)  # anonymous: to the login page, or refused
    assert client.post("/login", data=sent).status_code == 302  # the same form without a NUL


def test_a_form_part_without_a_name_is_refused_with_a_400(client):
    """A malformed multipart body: werkzeug names the part None, which WTForms' lists of fields
    (e.g. the selection rubric) cannot handle."""
    body = (
        b"--B\r\nContent-Disposition: form-data\r\n\r\nvalue\r\n"
        b'--B\r\nContent-Disposition: form-data; name="email"\r\n\r\na@example.org\r\n--B--\r\n'
    )
    response = client.post("/login", data=body, content_type="multipart/form-data; boundary=B")
    assert _error_page(response, 400)


def test_ids_beyond_the_id_columns_are_not_found(client, auth):
    """mnc_exchange/core/guards.py: SQLite cannot compare with an integer beyond 64 bits and
    PostgreSQL's INTEGER columns stop at 2**31 - 1; such an id matches no row: 404."""
    from mnc_exchange.cohorts.models import Cohort

    auth.as_role("coordinator")
    cohort = CohortFactory()
    for big in (2**31, 2**63, 2**64, 10**40):
        assert _error_page(client.get(f"/companies/{big}"), 404)
        response = client.post(f"/cohorts/{big}/edit", data={"title": "x"})
        assert _error_page(response, 404)
    assert client.get(f"/cohorts/{cohort.id}").status_code == 200
    assert client.get(f"/cohorts/{2**31 - 1}").status_code == 404
    assert db.session.get(Cohort, cohort.id).title == cohort.title


def test_an_offer_dated_year_1_is_refused_with_a_message(client, auth):
    """mnc_exchange/offers/forms.py: a start on 0001-01-01 used to be saved, then the law check
    failed (``year 0 is out of range``) on every page showing the offer."""
    from mnc_exchange.cohorts.models import CohortState
    from mnc_exchange.offers.models import Offer, OfferStatus
    from tests.factories import OfferFactory

    cohort = CohortFactory(is_current=True, state=CohortState.open)
    company = CompanyFactory()
    offer = OfferFactory(cohort=cohort, company=company, status=OfferStatus.draft)
    start = offer.start_on
    auth.as_role("host", locale="en", company_id=company.id)
    data = {
        "title": "Mobile payments developer",
        "description": "Build the mobile payment API.",
        "pole": "mobile",
        "skills": "Kotlin",
        "city": "Lyon",
        "start_on": "0001-01-01",
        "end_on": "0001-05-31",
        "weekly_hours": "35",
        "daily_hours": "7",
        "monthly_stipend": "700",
        "seats": "1",
        "tutor_id": "",
        "language": "fr",
        "work_mode": "onsite",
    }
    for dates in (("0001-01-01", "0001-05-31"), ("9999-01-01", "9999-12-31")):
        data["start_on"], data["end_on"] = dates
        response = client.post(f"/offers/{offer.id}/edit", data=data)
        assert response.status_code == 400
        assert "Enter a date between the years 1900 and 9000." in response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Offer, offer.id).start_on == start
