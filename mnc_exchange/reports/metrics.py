"""The programme's figures, computed from one record per applicant. Pure: no Flask, no
database — ``data.load_records`` builds the records, everything else is arithmetic here, so
every number can be traced back to the list of students behind it.

The funnel (documented for the officials on the dashboard and in the report's annex) is a chain
of nested sets: each stage counts students who reached it, and is a subset of the stage before
it, so that no "share of the previous stage" can exceed 100 %:

    applied ⊇ eligible ⊇ shortlisted ⊇ selected ⊇ placed ⊇ departed ⊇ returned
            ⊇ surveys due at N months ⊇ employed in Morocco at N months   (N = 3, 6, 12)

- applied: the application was submitted (drafts never sent are not counted);
- eligible: declared eligible at screening; shortlisted: invited to the interview; selected:
  selected by the committee; placed: a placement confirmed by the host company; departed: the
  departure to France is recorded; returned: the return to Morocco is confirmed (after a
  completed internship or an early end — the application records the completion with the
  return). A student who reached a later stage counts at every earlier one (a placed student
  is selected, shortlisted, eligible and applied, even when chosen outside the ranking; a
  returned intern departed, even if the departure was not recorded);
- employed in Morocco at N months: among the returned interns whose N-month survey was due by
  the cut-off date, those who answered "employed in Morocco" (no answer counts as not known
  to be employed; the response rate is shown beside it). The three waves are side by side:
  each is a subset of its own surveys due, not of the other waves.

Details of a stage (rows of the funnel table, not stages of the chain; each with its
denominator): among the placed, the agreement signed in the application, or signed on paper
and not recorded here (the intern departed while the application holds no agreement for the
placement — the cohorts before the platform); among the departed, the internship completed,
ended early, or not closed yet (still abroad: neither back nor ended early) — these three add
up to the departed.

Rates: places filled = placed / quota; completion = completed / departed; return = returned /
departed; employment at N months = employed / surveys due; response = answered / due. Every
numerator is a subset of its denominator.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

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
    #: The application holds an agreement document for the placement (signed or not).
    agreement_recorded: bool = False
    departed: bool = False
    completed: bool = False
    ended_early: bool = False
    returned: bool = False
    #: wave -> (due by the cut-off, situation answered or None)
    surveys: dict[int, tuple[bool, str | None]] = field(default_factory=dict)
    incidents: list[str] = field(default_factory=list)  # severities
    tutor_score: int | None = None  # final evaluation, overall 1..5
    #: Average of the monthly check-ins, 1..5 (``load_records`` gives it exactly, as a fraction).
    wellbeing: Fraction | float | None = None

    @property
    def level(self) -> int:
        """How far along ``CHAIN`` the student went: the index of the last stage reached, or
        -1 (a draft). A later stage implies the earlier ones."""
        facts = (
            self.applied,
            self.eligible,
            self.shortlisted,
            self.selected,
            self.placed,
            self.departed,
            self.returned,
        )
        return max((index for index, fact in enumerate(facts) if fact), default=-1)

    def reached(self, stage: str) -> bool:
        return self.level >= CHAIN.index(stage)

    def survey_due(self, wave: int) -> bool:
        """The N-month survey of a returned intern was due by the cut-off date."""
        return self.reached("returned") and self.surveys.get(wave, (False, None))[0]

    def survey_answered(self, wave: int) -> bool:
        return self.survey_due(wave) and self.surveys[wave][1] is not None

    def employed_in_morocco(self, wave: int) -> bool:
        return self.survey_due(wave) and self.surveys[wave][1] == "employed_morocco"

    @property
    def agreement_on_paper(self) -> bool:
        """Departed without any agreement in the application: it was signed on paper."""
        return self.reached("departed") and not self.agreement_recorded

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


#: The chain of nested stages, in order (see the module's docstring).
CHAIN = ("applied", "eligible", "shortlisted", "selected", "placed", "departed", "returned")

Predicate = Callable[[StudentRecord], bool]


def _reached(stage: str) -> Predicate:
    return lambda r: r.reached(stage)


def _departed_and(attribute: str) -> Predicate:
    return lambda r: r.reached("departed") and getattr(r, attribute)


#: Every row of the funnel table, in order: (key, predicate, denominator). The denominator is
#: the key of the list the row is a share of (None for the applicants).
FUNNEL: tuple[tuple[str, Predicate, str | None], ...] = (
    ("applied", _reached("applied"), None),
    ("eligible", _reached("eligible"), "applied"),
    ("shortlisted", _reached("shortlisted"), "eligible"),
    ("selected", _reached("selected"), "shortlisted"),
    ("placed", _reached("placed"), "selected"),
    ("agreement_signed", lambda r: r.reached("placed") and r.agreement_signed, "placed"),
    ("agreement_on_paper", lambda r: r.agreement_on_paper, "placed"),
    ("departed", _reached("departed"), "placed"),
    ("completed", _departed_and("completed"), "departed"),
    (
        "ended_early",
        lambda r: r.reached("departed") and r.ended_early and not r.completed,
        "departed",
    ),
    (
        "ongoing",
        lambda r: r.reached("departed") and not (r.completed or r.ended_early),
        "departed",
    ),
    ("returned", _reached("returned"), "departed"),
    *(
        (f"employed_morocco_{w}", (lambda r, w=w: r.employed_in_morocco(w)), f"survey_due_{w}")
        for w in WAVES
    ),
)

#: The rows of the funnel table that are not stages of the chain but details of one.
DETAILS = frozenset(
    {"agreement_signed", "agreement_on_paper", "completed", "ended_early", "ongoing"}
)

#: The funnel's rows, in order: (key, predicate).
STAGES: tuple[tuple[str, Predicate], ...] = tuple((key, p) for key, p, _d in FUNNEL)

#: Each row's denominator (the list it is a subset of).
DENOMINATOR: dict[str, str | None] = {key: d for key, _p, d in FUNNEL}

#: The lists behind the employment rates' denominators and the response rates.
SURVEY_LISTS: dict[str, Predicate] = {
    **{f"survey_due_{w}": (lambda r, w=w: r.survey_due(w)) for w in WAVES},
    **{f"survey_answered_{w}": (lambda r, w=w: r.survey_answered(w)) for w in WAVES},
}
for _wave in WAVES:
    DENOMINATOR[f"survey_due_{_wave}"] = "returned"
    DENOMINATOR[f"survey_answered_{_wave}"] = f"survey_due_{_wave}"

STAGE_PREDICATES: dict[str, Predicate] = {**dict(STAGES), **SURVEY_LISTS}


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


def _over(r: StudentRecord) -> bool:
    return r.reached("departed") and (r.completed or r.ended_early)


def _incident(severity: str) -> Predicate:
    return lambda r: severity in r.incidents


SEVERITIES = ("low", "medium", "high", "critical")

#: The other lists a number of the dashboard opens: the internship over (completed or ended
#: early), the interns with an incident (of a severity), the denominators of the averages.
OTHER_LISTS: dict[str, Predicate] = {
    "over": _over,
    "incident": lambda r: bool(r.incidents),
    **{f"incident_{s}": _incident(s) for s in SEVERITIES},
    "tutor_evaluated": lambda r: r.reached("placed") and r.tutor_score is not None,
    "checked_in": lambda r: r.reached("placed") and r.wellbeing is not None,
}

#: Every list whose size the figures keep.
COUNTED: dict[str, Predicate] = {**STAGE_PREDICATES, **OTHER_LISTS}


def signature(r: StudentRecord) -> tuple:
    """Every fact of a record that a predicate of ``COUNTED`` reads: two records with the same
    signature are in the same lists. The figures evaluate the predicates once per signature,
    whether the records are counted one by one (``summarise``) or in groups by SQL
    (``data.cohort_figures``)."""
    return (
        r.level,
        bool(r.agreement_signed),
        bool(r.agreement_recorded),
        bool(r.completed),
        bool(r.ended_early),
        tuple(sorted((w, bool(due), answer) for w, (due, answer) in r.surveys.items())),
        frozenset(r.incidents),
        r.tutor_score is not None,
        r.wellbeing is not None,
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

#: Columns of a breakdown table (the survey lists give each wave's response rate).
BREAKDOWN_STAGES = (
    "applied",
    "selected",
    "placed",
    "completed",
    "returned",
    *(f"employed_morocco_{w}" for w in WAVES),
)
BREAKDOWN_COUNTS = BREAKDOWN_STAGES + tuple(SURVEY_LISTS)


def dimension_values(r: StudentRecord) -> tuple:
    """The record's value of each breakdown dimension, in ``DIMENSIONS`` order."""
    return tuple(getattr(r, attribute) for attribute in DIMENSIONS.values())


@dataclass
class Figures:
    """Everything the dashboard, the report and the tables show of a cohort, but the names:
    the size of every list of ``COUNTED``, the breakdown counts, and the sums behind the
    averages. Built from the records (``summarise``) or by aggregate SQL
    (``data.cohort_figures``), with the same predicates; kept as JSON for a finished cohort."""

    counts: dict[str, int]
    #: dimension -> [(value, counts of ``BREAKDOWN_COUNTS``)], by value (None last)
    groups: dict[str, list[tuple[str | None, dict[str, int]]]]
    stipend_total: Decimal = Decimal(0)
    stipend_n: int = 0  # placed interns with a stipend
    tutor_total: int = 0
    tutor_n: int = 0
    wellbeing_total: Fraction = Fraction(0)
    wellbeing_n: int = 0
    incidents: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SEVERITIES, 0))
    total: int = 0  # every application, drafts included

    def to_json(self) -> str:
        return json.dumps(
            {
                "total": self.total,
                "counts": self.counts,
                "groups": {d: [[v, c] for v, c in rows] for d, rows in self.groups.items()},
                "stipend": [str(self.stipend_total), self.stipend_n],
                "tutor": [self.tutor_total, self.tutor_n],
                "wellbeing": [str(self.wellbeing_total), self.wellbeing_n],
                "incidents": self.incidents,
            },
            sort_keys=True,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Figures:
        data = json.loads(text)
        return cls(
            counts=data["counts"],
            groups={d: [(v, c) for v, c in rows] for d, rows in data["groups"].items()},
            stipend_total=Decimal(data["stipend"][0]),
            stipend_n=data["stipend"][1],
            tutor_total=data["tutor"][0],
            tutor_n=data["tutor"][1],
            wellbeing_total=Fraction(data["wellbeing"][0]),
            wellbeing_n=data["wellbeing"][1],
            incidents=data["incidents"],
            total=data["total"],
        )

    @functools.cached_property
    def digest(self) -> str:
        """A fingerprint of the figures (the key of what is drawn and rendered from them);
        computed once: the figures are not changed once made."""
        return hashlib.sha256(self.to_json().encode()).hexdigest()[:32]


def tally(groups: Iterable[tuple[StudentRecord, tuple, int]]) -> Figures:
    """The counts of ``groups``: (a record standing for them, their ``dimension_values``, how
    many students). Each predicate is evaluated once per distinct ``signature`` (and the
    signature once per record object: a caller may give the same record for several groups)."""
    by_signature: dict[tuple, tuple[list[str], list[str]]] = {}
    by_object: dict[int, tuple[StudentRecord, tuple[list[str], list[str]]]] = {}
    counts = dict.fromkeys(COUNTED, 0)
    total = 0
    by_dimension: dict[str, dict[str | None, dict[str, int]]] = {d: {} for d in DIMENSIONS}
    for record, values, n in groups:
        known = by_object.get(id(record))
        if known is None:
            key = signature(record)
            lists = by_signature.get(key)
            if lists is None:
                member = [k for k, p in COUNTED.items() if p(record)]
                chosen = set(member)
                lists = by_signature[key] = (
                    member,
                    [k for k in BREAKDOWN_COUNTS if k in chosen],
                )
            by_object[id(record)] = (record, lists)  # the record is kept: its id stays its own
        else:
            lists = known[1]
        total += n
        member, columns = lists
        for k in member:
            counts[k] += n
        for dimension, value in zip(DIMENSIONS, values, strict=True):
            cells = by_dimension[dimension].get(value)
            if cells is None:
                cells = by_dimension[dimension][value] = dict.fromkeys(BREAKDOWN_COUNTS, 0)
            for k in columns:
                cells[k] += n
    return Figures(
        counts=counts,
        total=total,
        groups={
            d: sorted(rows.items(), key=lambda item: (item[0] is None, str(item[0] or "")))
            for d, rows in by_dimension.items()
        },
    )


def summarise(records: Iterable[StudentRecord]) -> Figures:
    """The figures of a list of records (one student each)."""
    records = list(records)
    figures = tally((r, dimension_values(r), 1) for r in records)
    placed = [r for r in records if r.reached("placed")]
    stipends = [r.monthly_stipend for r in placed if r.monthly_stipend is not None]
    figures.stipend_total = sum((Decimal(s) for s in stipends), Decimal(0))
    figures.stipend_n = len(stipends)
    scores = [r.tutor_score for r in placed if r.tutor_score is not None]
    figures.tutor_total, figures.tutor_n = sum(scores), len(scores)
    feelings = [r.wellbeing for r in placed if r.wellbeing is not None]
    figures.wellbeing_total = sum((Fraction(w) for w in feelings), Fraction(0))
    figures.wellbeing_n = len(feelings)
    severities = Counter(s for r in records for s in r.incidents)
    figures.incidents = {s: severities.get(s, 0) for s in SEVERITIES}
    return figures


def as_figures(source: Figures | Iterable[StudentRecord]) -> Figures:
    """``source`` itself, or the figures of a list of records."""
    return source if isinstance(source, Figures) else summarise(source)


def funnel(records: list[StudentRecord] | Figures) -> dict[str, int]:
    """Counts of every row of the funnel table."""
    numbers = as_figures(records).counts
    return {key: numbers[key] for key, _p in STAGES}


def counts(records: list[StudentRecord] | Figures) -> dict[str, int]:
    """Counts of the funnel's rows, of the survey lists and of the other lists."""
    return dict(as_figures(records).counts)


@dataclass
class FunnelRow:
    key: str
    count: int
    denominator_key: str | None
    denominator: int | None
    share: Decimal | None  # of the denominator
    share_of_applied: Decimal | None
    detail: bool  # a detail of a stage, not a stage of the chain


def funnel_rows(records: list[StudentRecord] | Figures) -> list[FunnelRow]:
    """The funnel table: each row with the list it is a share of."""
    numbers = as_figures(records).counts
    rows = []
    for key, _predicate, denominator_key in FUNNEL:
        count = numbers[key]
        denominator = numbers[denominator_key] if denominator_key else None
        rows.append(
            FunnelRow(
                key,
                count,
                denominator_key,
                denominator,
                ratio(count, denominator) if denominator_key else None,
                ratio(count, numbers["applied"]),
                key in DETAILS,
            )
        )
    return rows


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
    agreement_signed: Decimal | None = None  # signed in the application / placed
    agreements_on_paper: int = 0
    placed: int = 0

    @property
    def agreements_all_on_paper(self) -> bool:
        """Every placed intern departed with an agreement signed on paper (none is recorded
        here): the cohorts before the platform."""
        return self.placed > 0 and self.agreements_on_paper == self.placed


def _mean(total: Decimal | Fraction | int, n: int) -> Decimal | None:
    """``total / n`` rounded to 2 places (half up), computed exactly; None when ``n`` is 0."""
    if not n:
        return None
    exact = Fraction(total) / n
    return (Decimal(exact.numerator) / Decimal(exact.denominator)).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )


def rates(records: list[StudentRecord] | Figures, quota: int) -> Rates:
    """The key rates of a cohort. Denominators: the quota (places filled), the departed
    (completion and return), the returned interns whose survey was due (employment and
    response), the placed (agreements, stipend)."""
    figures = as_figures(records)
    n = figures.counts
    return Rates(
        quota_filled=ratio(n["placed"], quota),
        completion=ratio(n["completed"], n["departed"]),
        return_rate=ratio(n["returned"], n["departed"]),
        employed_morocco={
            w: ratio(n[f"employed_morocco_{w}"], n[f"survey_due_{w}"]) for w in WAVES
        },
        response={w: ratio(n[f"survey_answered_{w}"], n[f"survey_due_{w}"]) for w in WAVES},
        due={w: n[f"survey_due_{w}"] for w in WAVES},
        average_stipend=_mean(figures.stipend_total, figures.stipend_n),
        incidents={s: figures.incidents.get(s, 0) for s in SEVERITIES},
        tutor_satisfaction=_mean(figures.tutor_total, figures.tutor_n),
        student_satisfaction=_mean(figures.wellbeing_total, figures.wellbeing_n),
        agreement_signed=ratio(n["agreement_signed"], n["placed"]),
        agreements_on_paper=n["agreement_on_paper"],
        placed=n["placed"],
    )


def breakdown(
    records: list[StudentRecord] | Figures, dimension: str
) -> list[tuple[str | None, dict[str, int]]]:
    """Counts per value of ``dimension`` for ``BREAKDOWN_COUNTS``, largest groups first.
    Host dimensions (pole, city, company) only exist for placed students."""
    rows = [(value, dict(numbers)) for value, numbers in as_figures(records).groups[dimension]]
    rows.sort(
        key=lambda item: (
            -item[1]["placed"],
            -item[1]["applied"],
            str(item[0] or ""),
            item[0] is None,
        )
    )
    return rows


def wave_rates(numbers: dict[str, int], wave: int) -> tuple[Decimal | None, Decimal | None]:
    """(employment rate, response rate) of one wave from a breakdown row's counts."""
    due = numbers[f"survey_due_{wave}"]
    return (
        ratio(numbers[f"employed_morocco_{wave}"], due),
        ratio(numbers[f"survey_answered_{wave}"], due),
    )


@dataclass
class YearFigures:
    year: int
    quota: int
    funnel: dict[str, int]
    rates: Rates
    #: The cohort is still running (its figures are not final): shown apart, never drawn on
    #: the trend chart.
    in_progress: bool = False


def trends(cohorts: list[tuple]) -> list[YearFigures]:
    """The same figures year by year: ``cohorts`` is [(year, quota, records)] or
    [(year, quota, records, in_progress)]; ``records`` may be the cohort's ``Figures``."""
    figures = []
    for year, quota, records, *rest in sorted(cohorts, key=lambda c: c[0]):
        in_progress = bool(rest[0]) if rest else False
        numbers = as_figures(records)
        figures.append(
            YearFigures(year, quota, funnel(numbers), rates(numbers, quota), in_progress)
        )
    return figures
