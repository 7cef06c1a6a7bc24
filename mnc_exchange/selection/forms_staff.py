"""Coordinators' selection forms: round settings, rubric, reassignment, interviews, overrides.

Forms repeated once per row of a page (reassign, interview, score, override) are built with a
``prefix`` from ``core.forms.row_prefix`` so that each row's fields have their own names and ids.
"""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from ..applications.forms_reference import CommaDecimalField
from ..applications.models import ApplicationStatus
from ..applications.services import STATUS_LABELS
from ..cohorts.models import QUOTA_MAX
from ..core.forms import AppForm, AppSubForm, count_field

A = ApplicationStatus

TEXT_MAX = 5000
REVIEWERS_MAX = 10
SEAT_OFFER_DAYS_MAX = 60
DURATION_MAX = 480
SCORE_MAX = Decimal("999.99")
#: Blank criterion rows offered under the rubric to add criteria.
BLANK_CRITERIA = 2
#: At most this many rows are read from a posted rubric.
MAX_CRITERIA = 40
OVERRIDE_OUTCOMES = (A.selected, A.waitlisted, A.rejected)


def _two_decimals(form, field):
    data = field.data
    if isinstance(data, Decimal) and data.is_finite() and data.normalize().as_tuple().exponent < -2:
        raise ValidationError(_l("Two decimals at most."))


class SettingsForm(AppForm):
    reviewers_per_application = count_field(
        _l("Reviewers per application"),
        REVIEWERS_MAX,
        _l("Enter the number of reviewers per application."),
        minimum=1,
    )
    disagreement_gap = CommaDecimalField(
        _l("Disagreement gap (points out of 100)"),
        validators=[
            InputRequired(message=_l("Enter the disagreement gap.")),
            NumberRange(min=0, max=100, message=_l("Between %(min)s and %(max)s.")),
            _two_decimals,
        ],
        description=_l("Reviewers' totals further apart than this are flagged for discussion."),
    )
    shortlist_size = IntegerField(
        _l("Shortlist size"),
        validators=[
            Optional(),
            NumberRange(min=1, max=2 * QUOTA_MAX, message=_l("Between %(min)s and %(max)s.")),
        ],
        description=_l("Leave empty for twice the quota. Ties at the cut-off are all kept."),
        render_kw={"type": "number", "min": 1},
    )
    seat_offer_days = count_field(
        _l("Days to answer a seat offer"),
        SEAT_OFFER_DAYS_MAX,
        _l("Enter the number of days."),
        minimum=1,
    )
    submit = SubmitField(_l("Save the settings"))


def _positive_score(label) -> CommaDecimalField:
    """A rubric number (a weight, a maximum): positive, two decimals at most; empty allowed
    (``CriterionForm.validate`` requires it on a row that is kept)."""
    return CommaDecimalField(
        label,
        validators=[
            Optional(),
            NumberRange(min=Decimal("0.01"), max=SCORE_MAX, message=_l("Must be positive.")),
            _two_decimals,
        ],
    )


class CriterionForm(AppSubForm):
    """One rubric row. A row left entirely empty, or marked “remove”, is ignored."""

    key = StringField(
        _l("Key"),
        validators=[
            Optional(),
            Length(max=40),
            Regexp(
                r"^[a-z][a-z0-9_]*$",
                message=_l("Lower-case letters, digits and “_”, starting with a letter."),
            ),
        ],
    )
    label = StringField(_l("Label"), validators=[Optional(), Length(max=120)])
    weight = _positive_score(_l("Weight"))
    max_score = _positive_score(_l("Maximum score"))
    is_interview = BooleanField(_l("Interview"))
    remove = BooleanField(_l("Remove"))

    @property
    def is_blank(self) -> bool:
        return not any(
            (f.raw_data and str(f.raw_data[0]).strip())
            for f in (self.key, self.label, self.weight, self.max_score)
        )

    @property
    def ignored(self) -> bool:
        return bool(self.remove.data) or self.is_blank

    def validate(self, extra_validators=None) -> bool:
        if self.ignored:
            for f in self:
                f.errors = []
            return True
        ok = super().validate(extra_validators)
        for f in (self.key, self.label, self.weight, self.max_score):
            if f.data in (None, "") and not f.errors:
                f.errors = [*f.errors, _l("Required.")]
                ok = False
        return ok


class RubricForm(AppForm):
    criteria = FieldList(FormField(CriterionForm), min_entries=0, max_entries=MAX_CRITERIA)
    submit = SubmitField(_l("Save the rubric"))

    def rows(self) -> list[dict]:
        """The rows kept, in order, as plain values."""
        return [
            {
                "key": entry.form.key.data.strip(),
                "label": entry.form.label.data.strip(),
                "weight": entry.form.weight.data,
                "max_score": entry.form.max_score.data,
                "is_interview": bool(entry.form.is_interview.data),
            }
            for entry in self.criteria
            if not entry.form.ignored
        ]


class ReassignForm(AppForm):
    reviewer_id = SelectField(
        _l("New reviewer"),
        coerce=int,
        validators=[InputRequired(message=_l("Choose a reviewer."))],
    )
    submit = SubmitField(_l("Reassign"))

    def __init__(self, *args, reviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.reviewer_id.choices = [(r.id, r.full_name) for r in reviewers]


class InterviewForm(AppForm):
    day = DateField(
        _l("Date"),
        format="%Y-%m-%d",
        validators=[InputRequired(message=_l("Enter the date."))],
        render_kw={"type": "date"},
    )
    time = TimeField(
        _l("Time (Casablanca)"),
        format="%H:%M",
        validators=[InputRequired(message=_l("Enter the time."))],
        render_kw={"type": "time"},
    )
    duration_minutes = count_field(
        _l("Duration (minutes)"), DURATION_MAX, _l("Enter the duration."), minimum=5, default=30
    )
    location = StringField(
        _l("Place or video link"),
        validators=[
            DataRequired(message=_l("Give the place or the video link of the interview.")),
            Length(max=300),
        ],
    )
    submit = SubmitField(_l("Schedule"))


class InterviewScoreForm(AppForm):
    score = CommaDecimalField(
        _l("Interview score"),
        validators=[
            InputRequired(message=_l("Enter the score.")),
            NumberRange(min=0, max=SCORE_MAX, message=_l("Between %(min)s and %(max)s.")),
            _two_decimals,
        ],
    )
    notes = TextAreaField(
        _l("Notes"), validators=[Optional(), Length(max=TEXT_MAX)], render_kw={"rows": 2}
    )
    submit = SubmitField(_l("Save the score"))


class OverrideForm(AppForm):
    outcome = SelectField(
        _l("New decision"),
        choices=[SelectChoice("", _l("— choose —"))]
        + [SelectChoice(s.value, STATUS_LABELS[s]) for s in OVERRIDE_OUTCOMES],
        validators=[DataRequired(message=_l("Choose selected, waitlisted or not selected."))],
    )
    reason = TextAreaField(
        _l("Reason (required, shown in the minutes)"),
        validators=[
            DataRequired(message=_l("An override needs a written reason.")),
            Length(max=TEXT_MAX),
        ],
        render_kw={"rows": 2},
    )
    submit = SubmitField(_l("Override"))

    @property
    def target(self) -> ApplicationStatus:
        return ApplicationStatus(self.outcome.data)


class PublishForm(AppForm):
    """Publishing the decisions: irreversible (every student is e-mailed), so it rests on a
    written note kept in the audit."""

    note = TextAreaField(
        _l("What the publication rests on"),
        description=_l(
            "For example: “Decisions approved by the selection committee on 12 March”. Kept "
            "in the history of the round."
        ),
        validators=[
            DataRequired(message=_l("Write what the publication rests on.")),
            Length(max=1000, message=_l("At most %(max)d characters.")),
        ],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Publish and e-mail the students"))
