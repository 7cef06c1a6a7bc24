"""Coordinators' follow-up forms: checklist steps, evaluation links, incidents (report, comment,
triage), early end, return, a survey answer recorded after a phone call, evaluation criteria.

Forms repeated once per row of a page (one per checklist step) are built with a ``prefix``
from ``row_prefix`` so that each row's fields have their own names and ids.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, StringField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Optional, ValidationError

from ..core.forms import AppForm
from ..hosts.models import Pole
from ..offers.services import POLE_LABELS
from .forms import TEXT_MAX, IncidentForm, _date, _max_length, _strip
from .models import (
    ContractType,
    EvaluationKind,
    IncidentStatus,
    SalaryBand,
    Severity,
    Situation,
)
from .services import (
    CONTRACT_LABELS,
    EMPLOYED,
    INCIDENT_STATUS_LABELS,
    SALARY_LABELS,
    SEVERITY_LABELS,
    SITUATION_LABELS,
    VISA_LABELS,
)

NOTE_MAX = 500  # MobilityStep.note is a String(500)
CRITERION_MAX = 200  # EvaluationCriterion.label is a String(200)
CRITERIA_MAX = 12

EVALUATION_KIND_LABELS = {
    EvaluationKind.midterm: _l("Mid-term evaluation"),
    EvaluationKind.final: _l("Final evaluation"),
}

MNC_MEMBER_CHOICES = (("", _l("— not known —")), ("yes", _l("Yes")), ("no", _l("No")))


def row_prefix(kind: str, object_id: int) -> str:
    return f"{kind}-{object_id}"


def _choices(labels: dict, blank: str | None = None) -> list[SelectChoice]:
    choices = [SelectChoice("", blank)] if blank is not None else []
    return choices + [
        SelectChoice(getattr(key, "value", key), label) for key, label in labels.items()
    ]


class _EnumSelect(SelectField):
    """A select whose posted value must be one of the choices (blank allowed when offered)."""

    def __init__(self, label, labels: dict, blank=None, required: bool = True, **kwargs):
        validators = [DataRequired(message=_l("Choose from the list."))] if required else []
        super().__init__(
            label,
            choices=_choices(labels, blank),
            validators=validators,
            filters=[_strip],
            default="",
            **kwargs,
        )


# --- the checklist -----------------------------------------------------------------------------


class StepForm(AppForm):
    done_on = _date(
        _l("Done on"), description=_l("Leave empty if the step is not done (or no longer).")
    )
    note = StringField(_l("Note"), filters=[_strip], validators=[Optional(), _max_length(NOTE_MAX)])
    visa_type = _EnumSelect(_l("Visa obtained"), VISA_LABELS, blank="—", required=False)
    submit = SubmitField(_l("Save"))


# --- tutor evaluations -------------------------------------------------------------------------


class EvaluationLinkForm(AppForm):
    kind = _EnumSelect(_l("Evaluation"), EVALUATION_KIND_LABELS)
    submit = SubmitField(_l("Send the link"))


# --- incidents ---------------------------------------------------------------------------------


#: Coordinators report incidents with the same form as interns and host contacts.
IncidentReportForm = IncidentForm


class CommentForm(AppForm):
    body = TextAreaField(
        _l("Comment"),
        filters=[_strip],
        validators=[DataRequired(message=_l("Write a comment.")), _max_length(TEXT_MAX)],
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Add the comment"))


class TriageForm(AppForm):
    status = _EnumSelect(_l("Status"), INCIDENT_STATUS_LABELS)
    severity = _EnumSelect(_l("Severity"), SEVERITY_LABELS)
    resolution = TextAreaField(
        _l("Resolution"),
        filters=[_strip],
        validators=[Optional(), _max_length(TEXT_MAX)],
        description=_l("Required to close the incident: say how it was resolved."),
        render_kw={"rows": 3},
    )
    submit = SubmitField(_l("Save"))

    @property
    def status_value(self) -> IncidentStatus:
        return IncidentStatus(self.status.data)

    @property
    def severity_value(self) -> Severity:
        return Severity(self.severity.data)


# --- early end and return ----------------------------------------------------------------------


class EndEarlyForm(AppForm):
    ended_on = _date(_l("Last day of the internship"), required=True)
    reason = TextAreaField(
        _l("Reason for the early end"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give the reason for the early end.")),
            _max_length(TEXT_MAX),
        ],
        render_kw={"rows": 3},
    )
    early_return = BooleanField(_l("The intern returns to Morocco early"))
    submit = SubmitField(_l("End the internship early"))


class ReturnForm(AppForm):
    returned_on = _date(_l("Date of return to Morocco"), required=True)
    submit = SubmitField(_l("Confirm the return"))


# --- employment surveys ------------------------------------------------------------------------


class SituationForm(AppForm):
    """The alumnus's situation (the same questions as the alumnus's own survey form)."""

    situation = _EnumSelect(_l("Situation"), SITUATION_LABELS, blank=_l("— choose —"))
    employer = StringField(
        _l("Employer"), filters=[_strip], validators=[Optional(), _max_length(200)]
    )
    job_title = StringField(
        _l("Job title"), filters=[_strip], validators=[Optional(), _max_length(200)]
    )
    city = StringField(_l("City"), filters=[_strip], validators=[Optional(), _max_length(100)])
    sector = StringField(_l("Sector"), filters=[_strip], validators=[Optional(), _max_length(120)])
    pole = SelectField(
        _l("MNC pole"),
        choices=[SelectChoice("", _l("— none —"))]
        + [SelectChoice(p.value, label) for p, label in POLE_LABELS.items()],
        filters=[_strip],
        default="",
    )
    employer_mnc_member = SelectField(
        _l("Is the employer a member of Maroc Numeric Cluster?"),
        choices=[SelectChoice(value, label) for value, label in MNC_MEMBER_CHOICES],
        filters=[_strip],
        default="",
    )
    contract_type = _EnumSelect(
        _l("Type of contract"), CONTRACT_LABELS, blank=_l("— choose —"), required=False
    )
    salary_band = _EnumSelect(
        _l("Monthly net salary"),
        SALARY_LABELS,
        blank=_l("— not given —"),
        required=False,
    )
    comment = TextAreaField(
        _l("Comment"), filters=[_strip], validators=[Optional(), _max_length(TEXT_MAX)]
    )
    submit = SubmitField(_l("Record the answer"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok or Situation(self.situation.data) not in EMPLOYED:
            return ok
        for field, message in (
            (self.employer, _l("Give the employer.")),
            (self.job_title, _l("Give the job title.")),
            (self.contract_type, _l("Give the type of contract.")),
        ):
            if not field.data:
                field.errors = [*field.errors, message]
                ok = False
        return ok

    def values(self) -> dict:
        member = self.employer_mnc_member.data
        return {
            "situation": Situation(self.situation.data),
            "employer": self.employer.data or None,
            "city": self.city.data or None,
            "sector": self.sector.data or None,
            "pole": Pole(self.pole.data) if self.pole.data else None,
            "employer_mnc_member": {"yes": True, "no": False}.get(member),
            "job_title": self.job_title.data or None,
            "contract_type": ContractType(self.contract_type.data)
            if self.contract_type.data
            else None,
            "salary_band": SalaryBand(self.salary_band.data) if self.salary_band.data else None,
            "comment": self.comment.data or None,
        }


# --- evaluation criteria -----------------------------------------------------------------------


class CriteriaForm(AppForm):
    labels = TextAreaField(
        _l("Criteria, one per line"),
        filters=[_strip],
        validators=[
            DataRequired(message=_l("Give at least one criterion.")),
            _max_length(TEXT_MAX),
        ],
        description=_l("Tutors score each criterion from 1 to 5. At most 12 criteria."),
        render_kw={"rows": 8},
    )
    submit = SubmitField(_l("Save the criteria"))

    def lines(self) -> list[str]:
        return [line.strip() for line in (self.labels.data or "").splitlines() if line.strip()]

    def validate_labels(self, field) -> None:
        lines = self.lines()
        if len(lines) > CRITERIA_MAX:
            raise ValidationError(_l("At most %(max)d criteria.", max=CRITERIA_MAX))
        if any(len(line) > CRITERION_MAX for line in lines):
            raise ValidationError(
                _l("A criterion has at most %(max)d characters.", max=CRITERION_MAX)
            )
        if len({line.casefold() for line in lines}) != len(lines):
            raise ValidationError(_l("Each criterion appears once."))
