"""Form fields that several domains declare alike, and the names of forms repeated per row.

A field built here is an ordinary (unbound) WTForms field: declared in a form's class body, it
keeps its place among the form's fields.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange


def strip(value):
    """A filter: surrounding spaces removed from text (anything else left as it is)."""
    return value.strip() if isinstance(value, str) else value


def row_prefix(kind: str, object_id: int) -> str:
    """The prefix of a form repeated once per row of a page, so that each row's fields have
    their own names and ids."""
    return f"{kind}-{object_id}"


def reason_field(label, required, max_length: int, rows: int, **kwargs) -> TextAreaField:
    """A required text (a reason, a note): stripped, ``required`` shown when it is empty, at
    most ``max_length`` characters."""
    return TextAreaField(
        label,
        filters=[strip],
        validators=[
            DataRequired(message=required),
            Length(max=max_length, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"rows": rows},
        **kwargs,
    )


def count_field(label, required, minimum: int, maximum: int, **kwargs) -> IntegerField:
    """A required whole number from ``minimum`` to ``maximum`` (a number input)."""
    return IntegerField(
        label,
        validators=[
            InputRequired(message=required),
            NumberRange(min=minimum, max=maximum, message=_l("Between %(min)s and %(max)s.")),
        ],
        render_kw={"type": "number", "min": minimum, "max": maximum},
        **kwargs,
    )


def row_form(form_class, kind: str, object_id: int, posted: dict | None = None):
    """The form of one row of a page: the one just posted (``posted``, by prefix, to show its
    errors), else a blank one."""
    prefix = row_prefix(kind, object_id)
    return (posted or {}).get(prefix) or form_class(formdata=None, prefix=prefix)
