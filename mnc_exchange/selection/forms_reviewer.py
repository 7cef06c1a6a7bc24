"""The reviewers' forms: the score sheet (one field per file criterion) and the conflict of
interest.

Scores are typed as text so that the decimal comma of French keyboards is accepted
("12,5" as well as "12.5"); the form parses them into ``Decimal`` and checks 0..max.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..core.forms import AppForm, strip, textarea_field
from .models import RubricCriterion
from .services import criterion_label

#: Digits, then at most one decimal separator (point or comma) followed by digits.
SCORE_RE = re.compile(r"^\d{1,4}(?:[.,]\d+)?$")
COMMENT_MAX = 4000
REASON_MAX = 1000


def parse_score(raw: str | None) -> Decimal | None:
    """``"12,5"`` or ``"12.5"`` → ``Decimal("12.5")``; None when it is not a plain number."""
    if raw is None:
        return None
    raw = raw.strip().replace(" ", "")
    if not SCORE_RE.match(raw):
        return None
    return Decimal(raw.replace(",", "."))


def format_max(value) -> str:
    """``Decimal("20.00")`` → ``"20"``, ``Decimal("7.50")`` → ``"7.5"``."""
    text = f"{Decimal(value).normalize():f}"
    return text


class ScoreInRange:
    """A number between 0 and the criterion's maximum, with at most two decimals."""

    def __init__(self, max_score) -> None:
        self.max_score = Decimal(max_score)

    def __call__(self, form, field) -> None:
        value = parse_score(field.data)
        if value is None:
            raise ValidationError(_l("Enter a number, for example 12,5."))
        if not Decimal(0) <= value <= self.max_score:
            raise ValidationError(
                _l("Enter a score between 0 and %(max)s.", max=format_max(self.max_score))
            )
        if value != value.quantize(Decimal("0.01")):
            raise ValidationError(_l("At most two decimals."))
        field.decimal = value


class ReviewForm(AppForm):
    """The fixed part of the score sheet; ``review_form`` adds one field per criterion."""

    comment = TextAreaField(
        _l("Comment (optional)"),
        filters=[strip],
        validators=[
            Optional(),
            Length(max=COMMENT_MAX, message=_l("At most %(max)d characters.")),
        ],
        description=_l("Seen by the other reviewers of this file and by the coordinators."),
        render_kw={"rows": 4},
    )
    submit = SubmitField(_l("Submit my review"))

    #: criterion key -> field name, filled by ``review_form``.
    criterion_fields: dict[str, str] = {}

    def score_field(self, criterion: RubricCriterion):
        return self[self.criterion_fields[criterion.key]]

    def scores(self, criteria: Sequence[RubricCriterion]) -> dict[int, Decimal]:
        """After validation: criterion id -> score."""
        return {c.id: self.score_field(c).decimal for c in criteria}


def field_name(criterion: RubricCriterion) -> str:
    # Named by the criterion's key (stable), not its id.
    return f"score_{criterion.key}"


def review_form(criteria: Sequence[RubricCriterion], **kwargs) -> ReviewForm:
    """A score sheet for ``criteria`` (the rubric's non-interview criteria)."""

    class _ReviewForm(ReviewForm):
        pass

    _ReviewForm.criterion_fields = {}
    for criterion in criteria:
        name = field_name(criterion)
        _ReviewForm.criterion_fields[criterion.key] = name
        setattr(
            _ReviewForm,
            name,
            StringField(
                _l(
                    "%(label)s (out of %(max)s)",
                    label=criterion_label(criterion),
                    max=format_max(criterion.max_score),
                ),
                filters=[strip],
                validators=[
                    InputRequired(message=_l("Give a score.")),
                    ScoreInRange(criterion.max_score),
                ],
                render_kw={"inputmode": "decimal", "autocomplete": "off"},
            ),
        )
    return _ReviewForm(**kwargs)


class ConflictForm(AppForm):
    reason = textarea_field(
        _l("What is the conflict of interest?"),
        required=_l("Say briefly what the conflict of interest is."),
        rows=3,
        max_chars=REASON_MAX,
        description=_l(
            "For example: a relative, a student you supervise, a personal link. The file is "
            "given to another coordinator."
        ),
    )
    declare = SubmitField(_l("Declare a conflict of interest"))
