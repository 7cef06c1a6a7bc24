"""Follow-up forms shared by the intern's, the tutor's and the host's pages: a checklist step,
the monthly check-in, an incident report, the return, the employment situation and the tutor's
evaluation (built from the cohort's criteria).

Every field is validated here on the server; the services check the rules that need the
database (dates within the internship, a month reported once, a survey not yet due...).
"""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import (
    RadioField,
    SelectField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, NumberRange, Optional

from ..core.forms import AppForm, chosen, date_field, text_field, textarea_field
from ..hosts.models import Pole
from ..offers.services import POLE_LABELS
from . import services
from .models import (
    ContractType,
    EmploymentSurvey,
    EvaluationCriterion,
    IncidentCategory,
    SalaryBand,
    Severity,
    Situation,
)

_CHOOSE = _l("Choose a value from the list.")

NOTE_MAX = 500  # MobilityStep.note is a String(500)

#: The 1-5 scales: (value, what it means).
SCALE = (1, 2, 3, 4, 5)


def _scale(label, message, description=None) -> RadioField:
    """A 1-5 score as radio buttons (required; anything but 1..5 is refused)."""
    return RadioField(
        label,
        choices=[SelectChoice(n, str(n)) for n in SCALE],
        coerce=int,
        validate_choice=False,
        description=description,
        validators=[InputRequired(message=message), NumberRange(min=1, max=5, message=message)],
    )


def _select(label, labels: dict, *, required: bool, message=_CHOOSE, **kwargs) -> SelectField:
    choices = [SelectChoice("", "—")] + [SelectChoice(k.value, v) for k, v in labels.items()]
    return SelectField(
        label,
        choices=choices,
        validators=[DataRequired(message=message)] if required else [Optional()],
        invalid_choice_message=_CHOOSE,
        **kwargs,
    )


def step_prefix(step_id: int) -> str:
    """The prefix of the form repeated for each step of the checklist on one page."""
    return f"step{step_id}"


# --- the intern ---------------------------------------------------------------------------------


class StepForm(AppForm):
    """One step of the mobility checklist: when it was done (empty: not done yet), a note, the
    visa obtained. In the intern's words; ``forms_staff.StepForm`` words it for coordinators."""

    done_on = date_field(_l("Done on"), description=_l("Leave empty while the step is not done."))
    note = text_field(_l("Note (optional)"), NOTE_MAX, optional=False)
    visa_type = SelectField(
        _l("Type of visa"),
        choices=[SelectChoice("", "—")]
        + [SelectChoice(k, v) for k, v in services.VISA_LABELS.items()],
        validators=[Optional()],
        invalid_choice_message=_CHOOSE,
    )
    submit = SubmitField(_l("Save"))


class CheckInForm(AppForm):
    """The monthly check-in; the months offered are set by the view (started, not reported)."""

    month = SelectField(
        _l("Month"),
        choices=[],
        validators=[DataRequired(message=_l("Choose the month you report on."))],
        invalid_choice_message=_l("Choose one of the months offered."),
    )
    wellbeing = _scale(
        _l("How are you?"),
        _l("Rate your well-being from 1 to 5."),
        description=_l("1 = very badly, 5 = very well"),
    )
    workload = _scale(
        _l("Workload"),
        _l("Rate your workload from 1 to 5."),
        description=_l("1 = far too light, 3 = right, 5 = far too heavy"),
    )
    learned = textarea_field(
        _l("What I learned this month"),
        required=_l("Say in a few words what you learned."),
        rows=3,
    )
    problems = textarea_field(
        _l("Problems or worries (optional)"),
        description=_l("The programme team reads it; for something urgent, report an incident."),
        rows=2,
    )
    submit = SubmitField(_l("Send my check-in"))

    def set_months(self, months: list[date]) -> None:
        from ..templating import fdate

        self.month.choices = [SelectChoice(m.isoformat(), fdate(m, "MMMM y")) for m in months]

    @property
    def month_value(self) -> date:
        return date.fromisoformat(self.month.data)


class IncidentForm(AppForm):
    """An incident reported by the intern or a host contact."""

    category = _select(
        _l("Category"),
        services.CATEGORY_LABELS,
        required=True,
        message=_l("Choose the category."),
    )
    severity = _select(
        _l("Severity"),
        services.SEVERITY_LABELS,
        required=True,
        message=_l("Choose the severity."),
        description=_l(
            "Critical: someone's health or safety is at risk; every coordinator is alerted at "
            "once. In an emergency, call 112 first."
        ),
    )
    occurred_on = date_field(_l("Date of the incident"), required=True)
    summary = text_field(_l("Short title"), 200, required=_l("Give a short title."))
    description = textarea_field(
        _l("What happened"), required=_l("Describe what happened."), rows=4
    )
    submit = SubmitField(_l("Report the incident"))

    category_value = chosen("category", IncidentCategory)
    severity_value = chosen("severity", Severity)

    def details(self) -> tuple:
        """What ``services.report_incident`` takes after the internship and the reporter."""
        return (
            self.category_value,
            self.severity_value,
            self.occurred_on.data,
            self.summary.data,
            self.description.data,
        )


class ReturnForm(AppForm):
    """The return to Morocco (the intern's words; ``forms_staff.ReturnForm``: the coordinators')."""

    returned_on = date_field(_l("Date of my return to Morocco"), required=True)
    submit = SubmitField(_l("Confirm my return"))


MNC_MEMBER_LABELS = {
    "unknown": _l("I don't know"),
    "yes": _l("Yes"),
    "no": _l("No"),
}
_MNC_MEMBER_VALUES = {"unknown": None, "yes": True, "no": False}


class SituationForm(AppForm):
    """The alumnus's situation (a survey answer or a spontaneous update). Employer, job title
    and contract are required when employed; the employer's details are dropped otherwise.

    In the alumnus's words; ``forms_staff.SituationForm`` asks the same questions of a
    coordinator recording an answer given on the phone (its own labels, choices and messages).
    """

    #: The fields required when employed, each with its message.
    employed_requires = (
        ("employer", _l("Give the name of your employer.")),
        ("job_title", _l("Give your job title.")),
        ("contract_type", _l("Choose the type of contract.")),
    )
    #: Whether those are checked when another field is already refused.
    employed_check_on_errors = True

    situation = _select(
        _l("My situation"),
        services.SITUATION_LABELS,
        required=True,
        message=_l("Choose your situation."),
    )
    employer = text_field(_l("Employer"), 200, optional=False)
    city = text_field(_l("City"), 100, optional=False)
    sector = text_field(
        _l("Sector"),
        120,
        optional=False,
        description=_l("For example: banking, telecoms, software publishing."),
    )
    pole = _select(_l("Closest MNC pole"), POLE_LABELS, required=False)
    employer_mnc_member = SelectField(
        _l("Is the employer a member of Maroc Numeric Cluster?"),
        choices=[SelectChoice(k, v) for k, v in MNC_MEMBER_LABELS.items()],
        default="unknown",
        validators=[Optional()],
        invalid_choice_message=_CHOOSE,
    )
    job_title = text_field(_l("Job title"), 200, optional=False)
    contract_type = _select(_l("Type of contract"), services.CONTRACT_LABELS, required=False)
    salary_band = _select(
        _l("Monthly net salary"),
        services.SALARY_LABELS,
        required=False,
        description=_l("Optional; used only for anonymous statistics."),
    )
    comment = textarea_field(_l("Comment (optional)"), rows=2, max_chars=2000)
    submit = SubmitField(_l("Send"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if not ok and not self.employed_check_on_errors:
            return ok
        if self.situation.data in {s.value for s in services.EMPLOYED}:
            for name, message in self.employed_requires:
                field = self[name]
                if not field.data:
                    field.errors = [*field.errors, message]
                    ok = False
        return ok

    def to_input(self) -> services.SituationInput:
        return services.SituationInput(
            situation=Situation(self.situation.data),
            employer=self.employer.data,
            city=self.city.data,
            sector=self.sector.data,
            pole=Pole(self.pole.data) if self.pole.data else None,
            # "unknown" (the alumnus) or "" (a coordinator): not known.
            employer_mnc_member=_MNC_MEMBER_VALUES.get(self.employer_mnc_member.data or ""),
            job_title=self.job_title.data,
            contract_type=ContractType(self.contract_type.data)
            if self.contract_type.data
            else None,
            salary_band=SalaryBand(self.salary_band.data) if self.salary_band.data else None,
            comment=self.comment.data,
        )

    @classmethod
    def from_survey(cls, survey: EmploymentSurvey | None, **kwargs) -> SituationForm:
        """An empty form, pre-filled with ``survey``'s answer when there is one."""
        if survey is None or survey.situation is None:
            return cls(formdata=None, **kwargs)
        member = survey.employer_mnc_member
        return cls(
            formdata=None,
            situation=survey.situation.value,
            employer=survey.employer,
            city=survey.city,
            sector=survey.sector,
            pole=survey.pole.value if survey.pole else "",
            employer_mnc_member="unknown" if member is None else ("yes" if member else "no"),
            job_title=survey.job_title,
            contract_type=survey.contract_type.value if survey.contract_type else "",
            salary_band=survey.salary_band.value if survey.salary_band else "",
            **kwargs,
        )


# --- the tutor ----------------------------------------------------------------------------------


def score_field_name(criterion: EvaluationCriterion) -> str:
    return f"score_{criterion.key}"


class _EvaluationBase(AppForm):
    overall = _scale(
        _l("Overall assessment"),
        _l("Give an overall score from 1 to 5."),
    )
    comment = textarea_field(
        _l("Comment (optional)"),
        description=_l("Strengths, points to improve, anything the programme should know."),
        rows=5,
    )
    submit = SubmitField(_l("Send the evaluation"))

    criteria: list[EvaluationCriterion] = []

    def criterion_fields(self) -> list:
        return [(c, self[score_field_name(c)]) for c in self.criteria]

    def scores(self) -> dict[str, int]:
        return {c.key: field.data for c, field in self.criterion_fields()}


def evaluation_form(criteria: list[EvaluationCriterion], **kwargs) -> _EvaluationBase:
    """The tutor's form: one 1-5 score per criterion of the cohort, overall, comment."""

    class EvaluationForm(_EvaluationBase):
        pass

    for criterion in criteria:
        setattr(
            EvaluationForm,
            score_field_name(criterion),
            _scale(criterion.label, _l("Give a score from 1 to 5 for each criterion.")),
        )
    EvaluationForm.criteria = list(criteria)
    return EvaluationForm(**kwargs)
