"""The programme's figures, computed from one record per applicant. Pure: no Flask, no
database — ``data.load_records`` builds the records, everything else is arithmetic here, so
every number can be traced back to the list of students behind it.

Definitions (documented for the officials in the report's annex):

- applied: the application was submitted; eligible: declared eligible at screening;
  shortlisted: invited to the interview; selected: selected (or placed);
- placed: a placement confirmed by the host company; agreement signed: the agreement in force
  is signed by every party; departed: the departure is recorded; completed: the internship
  went to its end; returned: the return to Morocco is confirmed;
- employed in Morocco at N months: the N-month survey answered "employed in Morocco". Its rate
  is over the interns whose N-month survey was due by the cut-off date (non-answers count as
  not employed-known); the response rate is shown beside it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

WAVES = (3, 6, 12)


@dataclass
class StudentRecord:
    application_id: int
    name: str
    gender: str | None
    region: str | None
    institution: str | None
    applied: bool = False
    eligible: bool = False
    shortlisted: bool = False
    selected: bool = False
    placed: bool = False
    company: str | None = None
    host_city: str | None = None
    pole: str | None = None
    start_on: date | None = None
    end_on: date | None = None
    monthly_stipend: Decimal | None = None
    agreement_signed: bool = False
    departed: bool = False
    completed: bool = False
    ended_early: bool = False
    returned: bool = False
    #: wave -> (due by the cut-off, situation answered or None)
    surveys: dict[int, tuple[bool, str | None]] = field(default_factory=dict)
    incidents: list[str] = field(default_factory=list)  # severities
    tutor_score: int | None = None  # final evaluation, overall 1..5
    wellbeing: float | None = None  # average of the monthly check-ins, 1..5

    def employed_in_morocco(self, wave: int) -> bool:
        return self.surveys.get(wave, (False, None))[1] == "employed_morocco"

    def survey_due(self, wave: int) -> bool:
        return self.surveys.get(wave, (False, None))[0]

    def survey_answered(self, wave: int) -> bool:
        due, situation = self.surveys.get(wave, (False, None))
        return due and situation is not None

    @property
    def outcome(self) -> str:
        """One word for the list of interns."""
        if self.ended_early:
            return "ended_early"
        if self.returned:
            for wave in reversed(WAVES):
                answer = self.surveys.get(wave, (False, None))[1]
                if answer:
                    return answer
            return "returned"
        if self.completed:
            return "completed"
        if self.departed:
            return "abroad"
        if self.placed:
            return "placed"
        return "selected" if self.selected else "applicant"


#: The funnel, in order: (key, predicate).
STAGES: tuple[tuple[str, Callable[[StudentRecord], bool]], ...] = (
    ("applied", lambda r: r.applied),
    ("eligible", lambda r: r.eligible),
    ("shortlisted", lambda r: r.shortlisted),
    ("selected", lambda r: r.selected),
    ("placed", lambda r: r.placed),
    ("agreement_signed", lambda r: r.agreement_signed),
    ("departed", lambda r: r.departed),
    ("completed", lambda r: r.completed),
    ("returned", lambda r: r.returned),
    ("employed_morocco_3", lambda r: r.employed_in_morocco(3)),
    ("employed_morocco_6", lambda r: r.employed_in_morocco(6)),
    ("employed_morocco_12", lambda r: r.employed_in_morocco(12)),
)

STAGE_PREDICATES = dict(STAGES)


def ratio(numerator: int, denominator: int) -> Decimal | None:
    """A share between 0 and 1 rounded to 4 places, or None when the denominator is 0."""
    if denominator <= 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.0001"), rounding=ROUND_HALF_UP
    )


def select(records: Iterable[StudentRecord], stage: str) -> list[StudentRecord]:
    """The students behind a funnel number (or behind a rate's numerator)."""
    predicate = STAGE_PREDICATES[stage]
    return [r for r in records if predicate(r)]


def funnel(records: list[StudentRecord]) -> dict[str, int]:
    return {key: sum(1 for r in records if predicate(r)) for key, predicate in STAGES}


@dataclass
class Rates:
    quota_filled: Decimal | None
    completion: Decimal | None
    return_rate: Decimal | None
    employed_morocco: dict[int, Decimal | None]
    response: dict[int, Decimal | None]
    due: dict[int, int]
    average_stipend: Decimal | None
    incidents: dict[str, int]
    tutor_satisfaction: Decimal | None
    student_satisfaction: Decimal | None


SEVERITIES = ("low", "medium", "high", "critical")


def _mean(values: list[float | int]) -> Decimal | None:
    if not values:
        return None
    return (Decimal(str(sum(values))) / Decimal(len(values))).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def rates(records: list[StudentRecord], quota: int) -> Rates:
    """The key rates of a cohort. Denominators: quota (places filled), departed (completion),
    departed interns whose internship is over — completed or ended early — (return), interns
    whose survey was due (employment)."""
    placed = [r for r in records if r.placed]
    departed = [r for r in placed if r.departed]
    over = [r for r in departed if r.completed or r.ended_early]
    stipends = [float(r.monthly_stipend) for r in placed if r.monthly_stipend is not None]
    severities = Counter(s for r in records for s in r.incidents)
    employed, response, due = {}, {}, {}
    for wave in WAVES:
        due_records = [r for r in placed if r.survey_due(wave)]
        due[wave] = len(due_records)
        employed[wave] = ratio(
            sum(r.employed_in_morocco(wave) for r in due_records), len(due_records)
        )
        response[wave] = ratio(sum(r.survey_answered(wave) for r in due_records), len(due_records))
    return Rates(
        quota_filled=ratio(len(placed), quota),
        completion=ratio(sum(r.completed for r in departed), len(departed)),
        return_rate=ratio(sum(r.returned for r in over), len(over)),
        employed_morocco=employed,
        response=response,
        due=due,
        average_stipend=_mean(stipends),
        incidents={s: severities.get(s, 0) for s in SEVERITIES},
        tutor_satisfaction=_mean([r.tutor_score for r in placed if r.tutor_score is not None]),
        student_satisfaction=_mean([r.wellbeing for r in placed if r.wellbeing is not None]),
    )


#: Breakdown dimensions: key -> attribute of the record.
DIMENSIONS = {
    "pole": "pole",
    "host_city": "host_city",
    "company": "company",
    "institution": "institution",
    "region": "region",
    "gender": "gender",
}

#: Columns of a breakdown table.
BREAKDOWN_STAGES = (
    "applied",
    "selected",
    "placed",
    "completed",
    "returned",
    "employed_morocco_6",
    "employed_morocco_12",
)


def breakdown(
    records: list[StudentRecord], dimension: str
) -> list[tuple[str | None, dict[str, int]]]:
    """Counts per value of ``dimension`` for ``BREAKDOWN_STAGES``, largest groups first.
    Host dimensions (pole, city, company) only exist for placed students."""
    attribute = DIMENSIONS[dimension]
    groups: dict[str | None, list[StudentRecord]] = defaultdict(list)
    for record in records:
        groups[getattr(record, attribute)].append(record)
    rows = []
    for value, members in groups.items():
        counts = {
            stage: sum(1 for r in members if STAGE_PREDICATES[stage](r))
            for stage in BREAKDOWN_STAGES
        }
        rows.append((value, counts))
    rows.sort(key=lambda item: (-item[1]["placed"], -item[1]["applied"], str(item[0] or "")))
    return rows


@dataclass
class YearFigures:
    year: int
    quota: int
    funnel: dict[str, int]
    rates: Rates


def trends(cohorts: list[tuple[int, int, list[StudentRecord]]]) -> list[YearFigures]:
    """The same figures year by year: ``cohorts`` is [(year, quota, records)]."""
    return [
        YearFigures(year, quota, funnel(records), rates(records, quota))
        for year, quota, records in sorted(cohorts)
    ]
