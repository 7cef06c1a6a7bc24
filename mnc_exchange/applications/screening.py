"""The coordinators' screening queries: the filtered list, counts per status, the CSV export,
the detail page's history, and screening every submitted application of a cohort at once.

Everything the list shows is loaded with the rows (student and institution joined), so the
number of SQL queries of a list page or an export does not depend on the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import contains_eager, selectinload

from ..accounts.models import User
from ..audit.events import describe
from ..audit.models import AuditEvent
from ..audit.services import record
from ..cohorts.models import Cohort
from ..core.spreadsheet import safe_text, write_csv
from ..core.timeutils import as_utc
from ..extensions import db
from . import services
from .models import (
    IN_THE_RUNNING,
    Application,
    ApplicationMessage,
    ApplicationStatus,
    Document,
    DocumentStatus,
    Institution,
    MessageKind,
)
from .reference import CEFR_LEVELS, GENDER_LABELS, POLE_LABELS, REGIONS, Pole
from .services import rules_preview  # noqa: F401  (the staff views ask the screening)

A = ApplicationStatus

#: The workflow order, used to sort by status and to show the counts: the enum is declared in
#: that order, so the selection statuses (scored … rejected) are counted here too.
STATUS_ORDER: tuple[ApplicationStatus, ...] = tuple(ApplicationStatus)
SCREENING_STATUSES = frozenset(
    {A.draft, A.submitted, A.returned, A.eligible, A.ineligible, A.withdrawn}
)
MESSAGE_KIND_LABELS = {
    MessageKind.info: _l("Message"),
    MessageKind.correction: _l("Returned for correction"),
    MessageKind.document: _l("Document review"),
    MessageKind.eligibility: _l("Eligibility decision"),
    MessageKind.withdrawal: _l("Withdrawal"),
}
SORTS = ("name", "submitted", "average", "status")
DIRECTIONS = ("asc", "desc")
DEFAULT_SORT, DEFAULT_DIRECTION = "name", "asc"


# --- cohort and filters ----------------------------------------------------------------------


def cohorts() -> list[Cohort]:
    return list(db.session.scalars(select(Cohort).order_by(Cohort.year.desc())))


def pick_cohort(cohort_id: int | None, choices: list[Cohort]) -> Cohort | None:
    """The cohort asked for, else the current one, else the most recent one."""
    if cohort_id is not None:
        return next((c for c in choices if c.id == cohort_id), None)
    current = next((c for c in choices if c.is_current), None)
    return current or (choices[0] if choices else None)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Filters:
    """The list's filters, search and sort, read from whitelisted query arguments."""

    status: str = ""
    institution: int | None = None
    pole: str = ""
    french_level: str = ""
    region: str = ""
    q: str = ""
    #: "pending": only the files with documents to check (``documents_to_check``).
    documents: str = ""
    sort: str = DEFAULT_SORT
    direction: str = DEFAULT_DIRECTION

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> Filters:
        def pick(name: str, allowed: Iterable[str], default: str = "") -> str:
            value = (args.get(name) or "").strip()
            return value if value in allowed else default

        return cls(
            status=pick("status", [s.value for s in ApplicationStatus]),
            institution=_int(args.get("institution")),
            pole=pick("pole", [p.value for p in Pole]),
            french_level=pick("french_level", CEFR_LEVELS),
            region=pick("region", REGIONS),
            q=(args.get("q") or "").strip()[:100],
            documents=pick("documents", ("pending",)),
            sort=pick("sort", SORTS, DEFAULT_SORT),
            direction=pick("direction", DIRECTIONS, DEFAULT_DIRECTION),
        )

    def as_args(self, **changes: Any) -> dict[str, Any]:
        """The non-default values, as query arguments for links (pages, sorting, export)."""
        values = asdict(self) | changes
        defaults = asdict(Filters())
        return {k: v for k, v in values.items() if v not in (None, "") and v != defaults[k]}

    @property
    def active(self) -> bool:
        return any(
            (
                self.status,
                self.institution,
                self.pole,
                self.french_level,
                self.region,
                self.q,
                self.documents,
            )
        )


#: Files whose documents the coordinators check: submitted and still in the running (a draft is
#: still the student's, a returned file comes back with its corrections).
DOCUMENT_CHECK_STATUSES = (A.submitted, *IN_THE_RUNNING)


def documents_to_check():
    """The condition on ``Application``: a file with a current document still to check (the
    list's ``?documents=pending`` and the coordinators' to-do list)."""
    pending = select(Document.application_id).where(
        Document.is_current.is_(True), Document.status == DocumentStatus.pending
    )
    return Application.status.in_(DOCUMENT_CHECK_STATUSES) & Application.id.in_(pending)


def _conditions(cohort: Cohort, filters: Filters, with_status: bool = True) -> list:
    """The list's filters as conditions on ``Application`` (the search also on its ``User``)."""
    conditions = [Application.cohort_id == cohort.id]
    if with_status and filters.status:
        conditions.append(Application.status == ApplicationStatus(filters.status))
    if filters.institution is not None:
        conditions.append(Application.institution_id == filters.institution)
    if filters.pole:
        conditions.append(Application.pole_ranking[0].as_string() == filters.pole)
    if filters.french_level:
        conditions.append(Application.french_level == filters.french_level)
    if filters.region:
        conditions.append(Application.region == filters.region)
    if filters.documents == "pending":
        conditions.append(documents_to_check())
    if filters.q:
        needle = filters.q.lower()
        full = (
            func.coalesce(Application.first_name, "")
            + " "
            + func.coalesce(Application.last_name, "")
        )
        # The first and the last name alone are not searched apart: ``full`` holds both (a
        # needle found in either is found in it), and each lower() is paid on every row.
        columns = (
            func.lower(full),
            func.lower(User.full_name),
            func.lower(User.email),
            func.lower(Application.cin),
        )
        conditions.append(or_(*(c.contains(needle, autoescape=True) for c in columns)))
    return conditions


def _order(filters: Filters) -> list:
    """The sort asked for, then the name, then the id. The name is the stored key
    (``Application.sort_last_name``: the last name, else the account's full name, lower-cased;
    then ``sort_first_name``), so that a page sorted by name reads an index in order."""
    descending = filters.direction == "desc"
    if filters.sort == "name":
        # NOT NULL keys: no NULLS LAST, so that a backward scan of the index serves "desc".
        keys = [Application.sort_last_name, Application.sort_first_name, Application.id]
        return [k.desc() if descending else k.asc() for k in keys]
    status_rank = case(
        {status.value: index for index, status in enumerate(STATUS_ORDER)},
        value=Application.status,
        else_=len(STATUS_ORDER),
    )
    key = {
        "submitted": Application.submitted_at,
        "average": Application.grade_average,
        "status": status_rank,
    }[filters.sort]
    return [
        (key.desc() if descending else key.asc()).nulls_last(),
        Application.sort_last_name.asc(),
        Application.id.desc() if descending else Application.id.asc(),
    ]


def _with_student_and_institution() -> Select:
    return (
        select(Application)
        .join(Application.student)
        .outerjoin(Application.institution)
        .options(contains_eager(Application.student), contains_eager(Application.institution))
    )


def list_query(cohort: Cohort, filters: Filters) -> Select:
    """The filtered, sorted applications of ``cohort``, with student and institution loaded."""
    query = _with_student_and_institution()
    return query.where(*_conditions(cohort, filters)).order_by(*_order(filters))


def page_query(cohort: Cohort, filters: Filters) -> Callable[[int, int], Select]:
    """``page(limit, offset)``: one page of ``list_query``. The page's ids are found on the
    applications alone (the account joined only for the search): sorted by name, an index read
    in order; otherwise narrow rows sorted, not the joined ones. Then only those rows are loaded
    with student and institution, in the same order (one statement)."""

    def page(limit: int, offset: int) -> Select:
        ids = select(Application.id)
        if filters.q:
            ids = ids.join(Application.student)
        ids = (
            ids.where(*_conditions(cohort, filters))
            .order_by(*_order(filters))
            .limit(limit)
            .offset(offset)
            .correlate(None)
        )
        return (
            _with_student_and_institution()
            .where(Application.id.in_(ids.scalar_subquery()))
            .order_by(*_order(filters))
        )

    return page


def count_by_status(*conditions, with_student: bool = False) -> dict[ApplicationStatus, int]:
    """How many applications meeting ``conditions`` per status, the statuses found only (one
    query; ``with_student``: joined to the student's account, for conditions on it)."""
    query = select(Application.status, func.count(Application.id))
    if with_student:
        query = query.join(Application.student)
    rows = db.session.execute(query.where(*conditions).group_by(Application.status))
    return {ApplicationStatus(status): count for status, count in rows}


def status_counts(cohort: Cohort, filters: Filters) -> dict[ApplicationStatus, int]:
    """How many applications per status, with every filter but the status (one query; the
    student's account joined only for the search, the one filter on it)."""
    found = count_by_status(
        *_conditions(cohort, filters, with_status=False), with_student=bool(filters.q)
    )
    # The screening statuses always show; the selection ones once they are reached.
    return {
        status: found.get(status, 0)
        for status in STATUS_ORDER
        if status in SCREENING_STATUSES or found.get(status)
    }


def institutions() -> list[Institution]:
    return list(db.session.scalars(select(Institution).order_by(Institution.name)))


# --- CSV export ------------------------------------------------------------------------------

#: A cell typed by a user: spreadsheet formulas neutralised (CSV injection).
_text = safe_text


def _iso(value: datetime | None) -> str:
    if value is None:
        return ""
    zone = ZoneInfo(current_app.config["DISPLAY_TIMEZONE"])
    return as_utc(value).astimezone(zone).isoformat(timespec="seconds")


def _suggestion_label(value: bool | None) -> str:
    if value is None:
        return ""
    return str(services.STATUS_LABELS[A.eligible if value else A.ineligible])


def _pole_label(code: str | None) -> str:
    try:
        return str(POLE_LABELS[Pole(code)])
    except ValueError:
        return code or ""


def csv_header() -> list[str]:
    return [
        _("ID"),
        _("Last name"),
        _("First name(s)"),
        _("Account name"),
        _("E-mail"),
        _("CIN"),
        _("Status"),
        _("Submitted at"),
        _("Sending institution"),
        _("Region"),
        _("Pole 1"),
        _("Pole 2"),
        _("Pole 3"),
        _("Pole 4"),
        _("French level"),
        _("English level"),
        _("Year of study"),
        _("Grade average"),
        _("Gender"),
        _("Date of birth"),
        _("Phone"),
        _("Programme of study"),
        _("Passport expiry"),
        _("Suggestion"),
        _("Eligibility decided at"),
    ]


def csv_row(application: Application) -> list[str]:
    poles = list(application.pole_ranking or [])[:4]
    poles += [""] * (4 - len(poles))
    return [
        str(application.id),
        _text(application.last_name),
        _text(application.first_name),
        _text(application.student.full_name),
        _text(application.student.email),
        _text(application.cin),
        str(services.STATUS_LABELS[application.status]),
        _iso(application.submitted_at),
        _text(application.institution.name if application.institution else ""),
        REGIONS.get(application.region or "", application.region or ""),
        *(_pole_label(p) if p else "" for p in poles),
        application.french_level or "",
        application.english_level or "",
        "" if application.year_of_study is None else str(application.year_of_study),
        "" if application.grade_average is None else f"{application.grade_average:.2f}",
        str(GENDER_LABELS[application.gender]) if application.gender else "",
        application.birth_date.isoformat() if application.birth_date else "",
        _text(application.phone),
        _text(application.programme),
        application.passport_expiry.isoformat() if application.passport_expiry else "",
        _suggestion_label(application.eligibility_suggestion),
        _iso(application.eligibility_decided_at),
    ]


def export_csv(cohort: Cohort, filters: Filters) -> str:
    """The filtered list as CSV text: UTF-8 BOM (for Excel), comma-separated, quoted as needed,
    ISO dates. Same filters and order as the list, every page."""
    rows = (csv_row(application) for application in db.session.scalars(list_query(cohort, filters)))
    return write_csv(csv_header(), rows)


# --- rules and screening ---------------------------------------------------------------------


@dataclass
class ScreenAllResult:
    eligible: int = 0
    ineligible: int = 0

    @property
    def total(self) -> int:
        return self.eligible + self.ineligible


def screen_all(cohort: Cohort) -> ScreenAllResult:
    """Compute and store the rules' suggestion for every submitted application of ``cohort``
    (the rules are loaded once); one audit event records the run."""
    rules = services.rules_for(cohort)
    result = ScreenAllResult()
    submitted = db.session.scalars(
        select(Application)
        .where(Application.cohort_id == cohort.id, Application.status == A.submitted)
        .order_by(Application.id)
    )
    for application in submitted:
        if services.screen_application(application, rules).eligible:
            result.eligible += 1
        else:
            result.ineligible += 1
    record(
        "application.screen_all",
        cohort,
        {"year": cohort.year, "eligible": result.eligible, "ineligible": result.ineligible},
    )
    return result


# --- detail page -----------------------------------------------------------------------------


def load_application(application_id: int) -> Application:
    """One application with everything the detail page shows (or 404)."""
    query = (
        select(Application)
        .where(Application.id == application_id)
        .options(
            selectinload(Application.student),
            selectinload(Application.institution),
            selectinload(Application.cohort),
            selectinload(Application.eligibility_decided_by),
            selectinload(Application.documents).selectinload(Document.reviewed_by),
            selectinload(Application.messages).selectinload(ApplicationMessage.author),
        )
    )
    return db.first_or_404(query)


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    who: str
    kind: str  # "message" or "event"
    title: str
    text: str = ""
    code: str = ""
    rows: list[tuple[str, str]] = field(default_factory=list)


def history(application: Application) -> list[HistoryEntry]:
    """The file's messages and the audit events of the application and its documents, oldest
    first; each event is a sentence in the reader's language with its details laid out."""
    document_ids = [d.id for d in application.documents]
    conditions = [
        (AuditEvent.target_type == "applications") & (AuditEvent.target_id == application.id)
    ]
    if document_ids:
        conditions.append(
            (AuditEvent.target_type == "documents") & AuditEvent.target_id.in_(document_ids)
        )
    events = db.session.scalars(
        select(AuditEvent).where(or_(*conditions)).order_by(AuditEvent.id)
    ).all()
    entries = [
        HistoryEntry(
            at=as_utc(m.created_at),
            who=m.author.full_name if m.author else "",
            kind="message",
            title=str(MESSAGE_KIND_LABELS.get(m.kind, m.kind.value)),
            text=m.body,
            code=m.kind.value,
        )
        for m in application.messages
    ]
    for event in events:
        described = describe(event.action, event.details, skip=HISTORY_SKIPPED)
        entries.append(
            HistoryEntry(
                at=as_utc(event.created_at),
                who=event.actor.full_name if event.actor else "",
                kind="event",
                title=described.sentence,
                code=event.action,
                rows=described.rows,
            )
        )
    entries.sort(key=lambda e: (e.at, e.kind == "message"))
    return entries


#: Details the history does not repeat: the sentence already says them, or they name the
#: application itself.
HISTORY_SKIPPED = ("application", "from", "to", "kind", "version", "accepted")


def reason_texts(application: Application) -> list[str]:
    return [services.reason_text(r) for r in application.eligibility_reasons or []]
