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

#: The rows of the funnel table (metrics.STAGES), in order.
STAGE_LABELS = {
    "applied": _l("Applied"),
    "eligible": _l("Eligible"),
    "shortlisted": _l("Shortlisted"),
    "selected": _l("Selected"),
    "placed": _l("Placed"),
    "agreement_signed": _l("Agreement signed in the application"),
    "agreement_on_paper": _l("Agreement signed on paper, not recorded here"),
    "departed": _l("Departed"),
    "completed": _l("Internship completed"),
    "ended_early": _l("Internship ended early"),
    "ongoing": _l("Not back yet (internship not closed)"),
    "returned": _l("Returned to Morocco"),
    "employed_morocco_3": _l("Employed in Morocco at 3 months"),
    "employed_morocco_6": _l("Employed in Morocco at 6 months"),
    "employed_morocco_12": _l("Employed in Morocco at 12 months"),
}

#: Short column headings of the breakdown and trend tables (whole words, never cut).
SHORT_LABELS = {
    "applied": _l("Applicants"),
    "eligible": _l("Eligible students"),
    "shortlisted": _l("Shortlisted students"),
    "selected": _l("Selected students"),
    "placed": _l("Placed interns"),
    "agreement_signed": _l("Agreements in the app"),
    "agreement_on_paper": _l("Agreements on paper"),
    "departed": _l("Departed interns"),
    "completed": _l("Completed internships"),
    "ended_early": _l("Early ends"),
    "ongoing": _l("Not back yet"),
    "returned": _l("Returned interns"),
    **{f"employed_morocco_{w}": _l("Employed in Morocco") for w in WAVES},
}

#: What each row counts, and of which list it is a subset (shown beside the funnel and in
#: the report's annex).
STAGE_DEFINITIONS = {
    "applied": _l("The application was submitted (drafts never sent are not counted)."),
    "eligible": _l("Among the applicants: declared eligible at screening."),
    "shortlisted": _l("Among the eligible: invited to the interview."),
    "selected": _l("Among the shortlisted: selected by the committee."),
    "placed": _l("Among the selected: a placement confirmed by the host company."),
    "agreement_signed": _l(
        "Among the placed: the agreement in force is signed by every party in the application."
    ),
    "agreement_on_paper": _l(
        "Among the placed: departed while the application holds no agreement for the "
        "placement — it was signed on paper and is not recorded here."
    ),
    "departed": _l("Among the placed: the departure to France is recorded."),
    "completed": _l("Among the departed: the internship went to its planned end."),
    "ended_early": _l("Among the departed: the internship ended early."),
    "ongoing": _l(
        "Among the departed: neither back in Morocco nor ended early yet (still abroad, or the "
        "return is not confirmed)."
    ),
    "returned": _l(
        "Among the departed: the return to Morocco is confirmed, after a completed "
        "internship or an early end."
    ),
    **{
        f"employed_morocco_{w}": _l(
            "Among the returned interns whose %(months)d-month survey was due by the cut-off "
            "date: answered “employed in Morocco”. An unanswered survey counts as not known to "
            "be employed.",
            months=w,
        )
        for w in WAVES
    },
}

#: How the funnel reads (shown above the definitions).
FUNNEL_RULE = _l(
    "Each stage is a subset of the one before it: a student counts at every stage they "
    "reached. The rows in italics detail a stage; every share names the list it is a share of."
)

#: Extra lists of students behind a rate's denominator (not funnel stages).
LIST_LABELS = {
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

#: Shown instead of "0" agreements when every intern of the cohort departed with an agreement
#: signed on paper (the cohorts before the platform).
ON_PAPER = _l("signed on paper, not recorded here")

#: The mark of a cohort whose figures are not final.
IN_PROGRESS = _l("in progress")

#: Headings of the employment waves in the breakdown tables.
WAVE_HEADINGS = {w: _l("At %(months)d months", months=w) for w in WAVES}
RESPONSE_SHORT = _l("Response rate")

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
    "agreement_signed": _l("Agreements signed in the application"),
}

#: How each rate is computed.
RATE_DEFINITIONS = {
    "quota_filled": _l("Confirmed placements over the cohort's quota."),
    "completion": _l("Internships completed over interns who departed."),
    "return_rate": _l(
        "Returns to Morocco confirmed over interns who departed (those still abroad count as "
        "not back)."
    ),
    "employed_morocco": _l(
        "Returned interns whose survey answered “employed in Morocco” over the returned "
        "interns whose survey was due by the cut-off date; unanswered surveys count as not "
        "known to be employed."
    ),
    "agreement_signed": _l(
        "Agreements signed by every party in the application over placed interns; agreements "
        "signed on paper before the platform are not recorded here."
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
    "return_rate": _l("No intern has departed yet."),
    "employed_morocco_3": _l("No 3-month survey was due by the cut-off date."),
    "employed_morocco_6": _l("No 6-month survey was due by the cut-off date."),
    "employed_morocco_12": _l("No 12-month survey was due by the cut-off date."),
    "average_stipend": _l("No intern is placed yet."),
    "tutor_satisfaction": _l("No tutor has sent a final evaluation yet."),
    "student_satisfaction": _l("No monthly check-in has been sent yet."),
    "agreement_signed": _l("No intern is placed yet."),
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


def short_label(key: str) -> str:
    """The heading of a column counting ``key`` (a breakdown or trend table)."""
    return str(SHORT_LABELS.get(key) or stage_label(key))


def stage_definition(key: str) -> str:
    return str(STAGE_DEFINITIONS.get(key) or "")


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
    return format_decimal(value, "0.00", locale=_locale(locale)) + " / 5"
