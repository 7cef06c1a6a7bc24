"""Cohort forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, HiddenField, IntegerField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from ..core.forms import AppForm, required_number
from .models import DEFAULT_QUOTA, QUOTA_MAX, QUOTA_MIN


def _date(label):
    return DateField(
        label,
        validators=[Optional()],
        format="%Y-%m-%d",
        render_kw={"type": "date"},
    )


class CohortForm(AppForm):
    year = IntegerField(
        _l("Year"),
        validators=required_number(
            _l("Enter the year."), 2011, 2100, _l("Enter a year between 2011 and 2100.")
        ),
    )
    title = StringField(_l("Title"), validators=[Optional(), Length(max=120)])
    quota = IntegerField(
        _l("Quota (students selected)"),
        default=DEFAULT_QUOTA,
        validators=required_number(
            _l("Enter the quota."),
            QUOTA_MIN,
            QUOTA_MAX,
            _l("The quota must be between %(min)s and %(max)s."),
        ),
    )
    applications_open_on = _date(_l("Applications open on"))
    applications_close_on = _date(_l("Applications close on"))
    selection_on = _date(_l("Selection results on"))
    matching_on = _date(_l("Matching on"))
    departure_on = _date(_l("Departures on"))
    return_on = _date(_l("Return on"))
    submit = SubmitField(_l("Save"))

    def calendar(self) -> dict:
        from .models import Cohort

        return {f: getattr(self, f).data for f in Cohort.CALENDAR_FIELDS}


class TransitionForm(AppForm):
    target = HiddenField(validators=[DataRequired()])
    submit = SubmitField(_l("Confirm"))
