"""Translated labels and formats of the programme's figures, shared by the dashboard, the
exports and the PDF cohort report.

Labels are lazy strings: they are translated when rendered, so the PDF can be produced in
French or English with ``flask_babel.force_locale``. ``value_label`` names the value of a
breakdown dimension (a pole code, a region slug, a gender, or None).
"""

from __future__ import annotations

from decimal import Decimal

from babel import Locale
from babel.numbers import format_decimal, format_percent
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from ..applications.reference import GENDER_LABELS, REGIONS, Gender
from ..followup.services import SEVERITY_LABELS, SITUATION_LABELS
from ..hosts.models import Pole
from ..offers.services import POLE_LABELS
from .metrics import DIMENSIONS, SEVERITIES, STAGES, WAVES

#: Funnel stages (metrics.STAGES), in order.
STAGE_LABELS = {
    "applied": _l("Applied"),
    "eligible": _l("Eligible"),
    "shortlisted": _l("Shortlisted"),
    "selected": _l("Selected"),
    "placed": _l("Placed"),
    "agreement_signed": _l("Agreement signed"),
    "departed": _l("Departed"),
    "completed": _l("Completed"),
    "returned": _l("Returned to Morocco"),
    "employed_morocco_3": _l("Employed in Morocco at 3 months"),
    "employed_morocco_6": _l("Employed in Morocco at 6 months"),
    "employed_morocco_12": _l("Employed in Morocco at 12 months"),
}

#: What each stage counts (shown beside the funnel and in the report's annex).
STAGE_DEFINITIONS = {
    "applied": _l("The application was submitted."),
    "eligible": _l("Declared eligible at screening."),
    "shortlisted": _l("Invited to the interview."),
    "selected": _l("Selected by the committee (or placed)."),
    "placed": _l("A placement confirmed by the host company."),
    "agreement_signed": _l("The agreement in force is signed by every party."),
    "departed": _l("The departure to France is recorded."),
    "completed": _l("The internship went to its end."),
    "returned": _l("The return to Morocco is confirmed."),
    "employed_morocco_3": _l("The 3-month survey answered “employed in Morocco”."),
    "employed_morocco_6": _l("The 6-month survey answered “employed in Morocco”."),
    "employed_morocco_12": _l("The 12-month survey answered “employed in Morocco”."),
}

#: Extra lists of students behind a rate's denominator (not funnel stages).
LIST_LABELS = {
    "ended_early": _l("Internship ended early"),
    "over": _l("Internship over (completed or ended early)"),
    "survey_due_3": _l("3-month survey due"),
    "survey_due_6": _l("6-month survey due"),
    "survey_due_12": _l("12-month survey due"),
    "survey_answered_3": _l("3-month survey answered"),
    "survey_answered_6": _l("6-month survey answered"),
    "survey_answered_12": _l("12-month survey answered"),
    "incident": _l("With at least one incident"),
    "incident_low": _l("With a low-severity incident"),
    "incident_medium": _l("With a medium-severity incident"),
    "incident_high": _l("With a high-severity incident"),
    "incident_critical": _l("With a critical incident"),
    "tutor_evaluated": _l("Final evaluation by the tutor received"),
    "checked_in": _l("At least one monthly check-in"),
}

RATE_LABELS = {
    "quota_filled": _l("Places filled"),
    "completion": _l("Completion"),
    "return_rate": _l("Return to Morocco"),
    "employed_morocco_3": _l("Employed in Morocco at 3 months"),
    "employed_morocco_6": _l("Employed in Morocco at 6 months"),
    "employed_morocco_12": _l("Employed in Morocco at 12 months"),
    "response_3": _l("Response to the 3-month survey"),
    "response_6": _l("Response to the 6-month survey"),
    "response_12": _l("Response to the 12-month survey"),
    "average_stipend": _l("Average monthly stipend"),
    "incidents": _l("Incidents"),
    "tutor_satisfaction": _l("Tutors' satisfaction"),
    "student_satisfaction": _l("Interns' satisfaction"),
}

#: How each rate is computed.
RATE_DEFINITIONS = {
    "quota_filled": _l("Confirmed placements over the cohort's quota."),
    "completion": _l("Internships completed over interns who departed."),
    "return_rate": _l(
        "Returns to Morocco confirmed over internships that are over (completed or ended early)."
    ),
    "employed_morocco": _l(
        "Interns whose survey answered “employed in Morocco” over the interns whose survey was "
        "due by the cut-off date; unanswered surveys count as not known to be employed."
    ),
    "average_stipend": _l("Average monthly stipend of the placed interns, in euros."),
    "incidents": _l("Incidents reported during the internships, by severity."),
    "tutor_satisfaction": _l("Average overall score of the tutors' final evaluations, out of 5."),
    "student_satisfaction": _l(
        "Average well-being of the interns in their monthly check-ins, out of 5."
    ),
}

#: Why a rate shows "—".
RATE_MISSING = {
    "quota_filled": _l("The cohort has no quota."),
    "completion": _l("No intern has departed yet."),
    "return_rate": _l("No internship is over yet."),
    "employed_morocco_3": _l("No 3-month survey was due by the cut-off date."),
    "employed_morocco_6": _l("No 6-month survey was due by the cut-off date."),
    "employed_morocco_12": _l("No 12-month survey was due by the cut-off date."),
    "average_stipend": _l("No intern is placed yet."),
    "tutor_satisfaction": _l("No tutor has sent a final evaluation yet."),
    "student_satisfaction": _l("No monthly check-in has been sent yet."),
}

DIMENSION_LABELS = {
    "pole": _l("MNC pole"),
    "host_city": _l("Host city"),
    "company": _l("Host company"),
    "institution": _l("Sending institution"),
    "region": _l("Region of origin"),
    "gender": _l("Gender"),
}

#: Titles of the breakdown tables and charts.
BREAKDOWN_TITLES = {
    "pole": _l("By MNC pole"),
    "host_city": _l("By host city"),
    "company": _l("By host company"),
    "institution": _l("By sending institution"),
    "region": _l("By region of origin"),
    "gender": _l("By gender"),
}

#: The host dimensions exist only for placed students.
HOST_DIMENSIONS = frozenset({"pole", "host_city", "company"})

OUTCOME_LABELS = {
    "applicant": _l("Applicant"),
    "selected": _l("Selected, not placed"),
    "placed": _l("Placed, not departed"),
    "abroad": _l("Abroad"),
    "completed": _l("Completed, return not confirmed"),
    "ended_early": _l("Ended early"),
    "returned": _l("Returned, no survey answer yet"),
    **{situation.value: label for situation, label in SITUATION_LABELS.items()},
}

NOT_PLACED = _l("Not placed")
NOT_GIVEN = _l("Not given")

assert set(STAGE_LABELS) == {key for key, _ in STAGES}
assert set(DIMENSION_LABELS) == set(DIMENSIONS) == set(BREAKDOWN_TITLES)
assert set(SEVERITIES) == {s.value for s in SEVERITY_LABELS}
assert {f"employed_morocco_{w}" for w in WAVES} <= set(RATE_LABELS)


def stage_label(key: str) -> str:
    return str(STAGE_LABELS.get(key) or LIST_LABELS.get(key) or key)


def severity_label(severity: str) -> str:
    return str({s.value: label for s, label in SEVERITY_LABELS.items()}.get(severity, severity))


def outcome_label(outcome: str) -> str:
    return str(OUTCOME_LABELS.get(outcome, outcome))


def value_label(dimension: str, value: str | None) -> str:
    """The value of a breakdown dimension as people read it."""
    if value is None or value == "":
        return str(NOT_PLACED if dimension in HOST_DIMENSIONS else NOT_GIVEN)
    if dimension == "pole":
        try:
            return str(POLE_LABELS[Pole(value)])
        except ValueError:
            return value
    if dimension == "region":
        return REGIONS.get(value, value)
    if dimension == "gender":
        try:
            return str(GENDER_LABELS[Gender(value)])
        except ValueError:
            return value
    return value


# --- formats ----------------------------------------------------------------------------------


def _locale(locale: str | None) -> str:
    return locale or str(get_locale())


def percent(value: Decimal | None, locale: str | None = None) -> str:
    """A share (0..1) as a percentage with at most one decimal, or "—"."""
    if value is None:
        return "—"
    code = _locale(locale)
    pattern = Locale.parse(code).percent_formats[None].pattern.replace("#,##0", "#,##0.#", 1)
    return format_percent(value, pattern, locale=code)


def score(value: Decimal | None, locale: str | None = None) -> str:
    """A score out of 5, or "—"."""
    if value is None:
        return "—"
    return format_decimal(value, "0.0#", locale=_locale(locale)) + " / 5"
