"""Coordinators' follow-up forms: checklist steps, evaluation links, incidents (report, comment,
triage), early end, return, a survey answer recorded after a phone call, evaluation criteria.

Forms repeated once per row of a page (one per checklist step) are built with a ``prefix``
from ``row_prefix`` so that each row's fields have their own names and ids.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, ValidationError

from ..core.forms import AppForm, chosen, date_field, strip, text_field, textarea_field
from ..offers.services import POLE_LABELS
from . import forms
from .forms import NOTE_MAX, IncidentForm
from .models import EvaluationKind, IncidentStatus, Severity
from .services import (
    CONTRACT_LABELS,
    INCIDENT_STATUS_LABELS,
    SALARY_LABELS,
    SEVERITY_LABELS,
    SITUATION_LABELS,
    VISA_LABELS,
)

CRITERION_MAX = 200  # EvaluationCriterion.label is a String(200)
CRITERIA_MAX = 12

EVALUATION_KIND_LABELS = {
    EvaluationKind.midterm: _l("Mid-term evaluation"),
    EvaluationKind.final: _l("Final evaluation"),
}

MNC_MEMBER_CHOICES = (("", _l("— not known —")), ("yes", _l("Yes")), ("no", _l("No")))


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
            filters=[strip],
            default="",
            **kwargs,
        )


# --- the checklist -----------------------------------------------------------------------------


class StepForm(forms.StepForm):
    """The intern's checklist step in the coordinators' words."""

    done_on = date_field(
        _l("Done on"), description=_l("Leave empty if the step is not done (or no longer).")
    )
    note = text_field(_l("Note"), NOTE_MAX)
    visa_type = _EnumSelect(_l("Visa obtained"), VISA_LABELS, blank="—", required=False)


# --- tutor evaluations -------------------------------------------------------------------------


class EvaluationLinkForm(AppForm):
    kind = _EnumSelect(_l("Evaluation"), EVALUATION_KIND_LABELS)
    submit = SubmitField(_l("Send the link"))


# --- incidents ---------------------------------------------------------------------------------


#: Coordinators report incidents with the same form as interns and host contacts.
IncidentReportForm = IncidentForm


class CommentForm(AppForm):
    body = textarea_field(_l("Comment"), required=_l("Write a comment."), rows=3)
    submit = SubmitField(_l("Add the comment"))


class TriageForm(AppForm):
    status = _EnumSelect(_l("Status"), INCIDENT_STATUS_LABELS)
    severity = _EnumSelect(_l("Severity"), SEVERITY_LABELS)
    resolution = textarea_field(
        _l("Resolution"),
        description=_l("Required to close the incident: say how it was resolved."),
        rows=3,
    )
    submit = SubmitField(_l("Save"))

    status_value = chosen("status", IncidentStatus)
    severity_value = chosen("severity", Severity)


# --- early end and return ----------------------------------------------------------------------


class EndEarlyForm(AppForm):
    ended_on = date_field(_l("Last day of the internship"), required=True)
    reason = textarea_field(
        _l("Reason for the early end"), required=_l("Give the reason for the early end."), rows=3
    )
    early_return = BooleanField(_l("The intern returns to Morocco early"))
    submit = SubmitField(_l("End the internship early"))


class ReturnForm(forms.ReturnForm):
    """The intern's return in the coordinators' words."""

    returned_on = date_field(_l("Date of return to Morocco"), required=True)
    submit = SubmitField(_l("Confirm the return"))


# --- employment surveys ------------------------------------------------------------------------


class SituationForm(forms.SituationForm):
    """The alumnus's situation told on the phone: the questions, the check and the answer of
    the alumnus's own form (``forms.SituationForm``) in the coordinators' words."""

    employed_requires = (
        ("employer", _l("Give the employer.")),
        ("job_title", _l("Give the job title.")),
        ("contract_type", _l("Give the type of contract.")),
    )
    employed_check_on_errors = False

    situation = _EnumSelect(_l("Situation"), SITUATION_LABELS, blank=_l("— choose —"))
    employer = text_field(_l("Employer"), 200)
    job_title = text_field(_l("Job title"), 200)
    city = text_field(_l("City"), 100)
    sector = text_field(_l("Sector"), 120)
    pole = SelectField(
        _l("MNC pole"),
        choices=[SelectChoice("", _l("— none —"))]
        + [SelectChoice(p.value, label) for p, label in POLE_LABELS.items()],
        filters=[strip],
        default="",
    )
    employer_mnc_member = SelectField(
        _l("Is the employer a member of Maroc Numeric Cluster?"),
        choices=[SelectChoice(value, label) for value, label in MNC_MEMBER_CHOICES],
        filters=[strip],
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
    comment = textarea_field(_l("Comment"))
    submit = SubmitField(_l("Record the answer"))


# --- evaluation criteria -----------------------------------------------------------------------


class CriteriaForm(AppForm):
    labels = textarea_field(
        _l("Criteria, one per line"),
        required=_l("Give at least one criterion."),
        description=_l("Tutors score each criterion from 1 to 5. At most 12 criteria."),
        rows=8,
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
