"""The figures of every cohort for the reports, computed once per version of their data.

A cohort's figures are computed by ``data.aggregate_figures`` (GROUP BY and COUNT in the
database, never a row per student in Python) and kept in ``report_snapshots``
(``models.ReportSnapshot``), as JSON, with the version of the data they were computed from and
the dates they hold for. A **finished** cohort (state returned or archived) is thus computed
once; a **running** one again after each change to its data (its figures are never older than
the last committed change).

The data version of a cohort is a counter in its snapshot row, bumped in the same transaction
as any change to a row behind its figures: a SQLAlchemy ``after_flush`` listener notes the
cohorts of the objects flushed (applications, placements, offers, agreements and their
documents and signatures, internships, surveys, incidents, evaluations, check-ins; a renamed
company or institution concerns every cohort), a ``do_orm_execute`` listener the ORM's bulk
UPDATE and DELETE statements on those models (every cohort), and ``before_commit`` adds one
to their counters as the transaction's last statement (the row stays locked only while the
transaction commits, and the transaction waits for nothing after it: no deadlock). A snapshot
is used only while its ``figures_version`` equals the row's ``version``; the version is read
before the data, so a change committed while the figures are being computed leaves them stale
and unused. Figures computed inside a transaction holding changes to that data, not committed
yet, are never kept.

Changes made outside the application (SQL by hand) are not seen: ``flask
forget-report-snapshots`` drops the kept figures.
"""

from __future__ import annotations

import functools
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import date

from sqlalchemy import delete, event, func, insert, inspect, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from ..cohorts.models import Cohort
from ..core.timeutils import utcnow
from ..extensions import db
from .data import aggregate_figures
from .metrics import Figures
from .models import ReportSnapshot

SNAPSHOTS = ReportSnapshot.__table__

#: session.info key: this transaction has flushed changes to the data behind the figures, not
#: committed yet (figures computed from them must not be kept: it may still roll back).
_WROTE = "reports_uncommitted_writes"


class LRU:
    """A small least-recently-used cache shared by the threads of a worker."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict[Hashable, object] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, make: Callable[[], object]):
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        value = make()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


#: Parsed snapshots, by digest (the JSON is parsed once per worker).
_parsed = LRU(64)


def figures_of(cohorts: list[Cohort], cutoff: date | None = None) -> dict[int, Figures]:
    """Every cohort's figures as of ``cutoff`` (today by default), by cohort id."""
    cutoff = cutoff or date.today()
    ids = [c.id for c in cohorts]
    rows = {}
    if ids:
        # The JSON is read only for the figures this worker has not parsed yet.
        columns = [c for c in SNAPSHOTS.c if c.name != "figures"]
        rows = {
            row.cohort_id: row
            for row in db.session.execute(select(*columns).where(SNAPSHOTS.c.cohort_id.in_(ids)))
        }
    result = {}
    for cohort in cohorts:
        row = rows.get(cohort.id)
        if row is not None and _usable(row, cutoff):
            result[cohort.id] = _parsed.get(row.digest, lambda r=row: _load(r.cohort_id))
        else:
            result[cohort.id] = _compute(cohort, cutoff)
    return result


def _load(cohort_id: int) -> Figures:
    text = db.session.scalar(select(SNAPSHOTS.c.figures).where(SNAPSHOTS.c.cohort_id == cohort_id))
    return Figures.from_json(text)


def cohort_figures(cohort: Cohort, cutoff: date | None = None) -> Figures:
    return figures_of([cohort], cutoff)[cohort.id]


def _usable(row, cutoff: date) -> bool:
    return (
        row.digest is not None
        and row.figures_version == row.version
        and row.computed_for is not None
        and row.computed_for <= cutoff
        and (row.valid_until is None or cutoff < row.valid_until)
    )


def _compute(cohort: Cohort, cutoff: date) -> Figures:
    """Compute the figures of a cohort, and keep them unless this transaction holds changes to
    their data not committed yet."""
    keep = not db.session.info.get(_WROTE)
    version = _version(cohort.id) if keep else None  # read before the data
    figures = aggregate_figures(cohort, cutoff)
    if version is not None:
        _keep(cohort.id, version, cutoff, figures)
    return figures


def _version(cohort_id: int) -> int | None:
    """The data version of the cohort (its snapshot row is created at version 0), in a
    transaction of its own; None when the database refuses (then nothing is kept)."""
    try:
        with db.engine.begin() as connection:
            version = connection.scalar(
                select(SNAPSHOTS.c.version).where(SNAPSHOTS.c.cohort_id == cohort_id)
            )
            if version is None:
                connection.execute(insert(SNAPSHOTS).values(cohort_id=cohort_id, version=0))
                version = 0
            return version
    except (IntegrityError, OperationalError):  # another worker created it; a locked SQLite
        return None


def _keep(cohort_id: int, version: int, cutoff: date, figures: Figures) -> None:
    from ..followup.models import EmploymentSurvey, Internship

    # The figures hold until the next survey of the cohort falls due.
    valid_until = db.session.scalar(
        select(func.min(EmploymentSurvey.due_on))
        .join(Internship, Internship.id == EmploymentSurvey.internship_id)
        .where(Internship.cohort_id == cohort_id, EmploymentSurvey.due_on > cutoff)
    )
    try:
        with db.engine.begin() as connection:
            connection.execute(
                update(SNAPSHOTS)
                .where(SNAPSHOTS.c.cohort_id == cohort_id, SNAPSHOTS.c.version == version)
                .values(
                    figures_version=version,
                    computed_for=cutoff,
                    valid_until=valid_until,
                    figures=figures.to_json(),
                    digest=figures.digest,
                    computed_at=utcnow(),
                )
            )
    except OperationalError:  # a locked SQLite: computed again next time
        pass


def forget() -> int:
    """Drop every kept figure (after changes made outside the application)."""
    with db.engine.begin() as connection:
        count = connection.execute(delete(SNAPSHOTS)).rowcount
    _parsed.clear()
    return count


# --- the data version ---------------------------------------------------------------------------


@functools.cache
def _models():
    from ..agreements.models import Agreement, AgreementDocument, Signature
    from ..applications.models import Application, Institution
    from ..followup.models import CheckIn, EmploymentSurvey, Incident, Internship, TutorEvaluation
    from ..hosts.models import Company
    from ..offers.models import Offer
    from ..placements.models import Placement

    return {
        "cohort": (Application, Placement, Offer, Agreement, Internship),
        "agreement": (AgreementDocument,),
        "document": (Signature,),
        "internship": (EmploymentSurvey, Incident, TutorEvaluation, CheckIn),
        "named": {Company: "legal_name", Institution: "name"},
    }


def _ids(obj, attribute: str) -> set:
    """The current and previous values of a foreign key, without loading anything."""
    state = inspect(obj)
    history = state.attrs[attribute].history
    values = set(history.added) | set(history.unchanged) | set(history.deleted)
    if not values and attribute in state.dict:
        values = {state.dict[attribute]}
    if not values and not state.deleted and not state.was_deleted:
        values = {getattr(obj, attribute)}
    return {v for v in values if v is not None}


#: session.info key: what the transaction changed behind the figures, bumped at commit.
_CHANGES = "reports_changes"


def _changes(session) -> dict:
    return session.info.setdefault(
        _CHANGES,
        {
            "cohorts": set(),
            "agreements": set(),
            "documents": set(),
            "internships": set(),
            "everything": False,
        },
    )


@event.listens_for(db.session, "after_flush")
def _after_flush(session, flush_context) -> None:
    models = _models()
    cohorts, agreements, documents, internships = set(), set(), set(), set()
    everything = False
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, models["cohort"]):
            cohorts |= _ids(obj, "cohort_id")
        elif isinstance(obj, models["agreement"]):
            agreements |= _ids(obj, "agreement_id")
        elif isinstance(obj, models["document"]):
            documents |= _ids(obj, "document_id")
        elif isinstance(obj, models["internship"]):
            internships |= _ids(obj, "internship_id")
        elif isinstance(obj, tuple(models["named"])) and obj in session.dirty:
            name = models["named"][type(obj)]
            everything = everything or inspect(obj).attrs[name].history.has_changes()
    if not (cohorts or agreements or documents or internships or everything):
        return  # nothing behind the figures (a login, a session's last activity...)
    session.info[_WROTE] = True
    changes = _changes(session)
    changes["cohorts"] |= cohorts
    changes["agreements"] |= agreements
    changes["documents"] |= documents
    changes["internships"] |= internships
    changes["everything"] = changes["everything"] or everything


@event.listens_for(db.session, "do_orm_execute")
def _bulk_statement(orm_execute_state) -> None:
    """An ORM bulk UPDATE or DELETE on a model behind the figures: every cohort's figures
    are computed again (such statements are rare; which cohorts they touch is not known)."""
    if not (orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    models = _models()
    watched = (
        *models["cohort"],
        *models["agreement"],
        *models["document"],
        *models["internship"],
        *models["named"],
    )
    if any(m.class_ in watched for m in orm_execute_state.all_mappers):
        session = orm_execute_state.session
        session.info[_WROTE] = True
        _changes(session)["everything"] = True


@event.listens_for(db.session, "before_commit")
def _before_commit(session) -> None:
    """Add one to the data version of every cohort changed, as the last statement (of the
    whole transaction: not when a savepoint is released, see ``core.page_cache``)."""
    if session.in_nested_transaction():
        return
    if session.new or session.dirty or session.deleted:
        session.flush()  # the last changes (the commit's own flush comes after this hook)
    changes = session.info.pop(_CHANGES, None)
    if not changes:
        return
    from ..agreements.models import Agreement, AgreementDocument
    from ..followup.models import Internship

    if changes["everything"]:
        conditions = [SNAPSHOTS.c.cohort_id.is_not(None)]
    else:
        conditions = []
        if changes["cohorts"]:
            conditions.append(SNAPSHOTS.c.cohort_id.in_(changes["cohorts"]))
        if changes["agreements"]:
            conditions.append(
                SNAPSHOTS.c.cohort_id.in_(
                    select(Agreement.cohort_id).where(Agreement.id.in_(changes["agreements"]))
                )
            )
        if changes["documents"]:
            conditions.append(
                SNAPSHOTS.c.cohort_id.in_(
                    select(Agreement.cohort_id)
                    .join(AgreementDocument, AgreementDocument.agreement_id == Agreement.id)
                    .where(AgreementDocument.id.in_(changes["documents"]))
                )
            )
        if changes["internships"]:
            conditions.append(
                SNAPSHOTS.c.cohort_id.in_(
                    select(Internship.cohort_id).where(Internship.id.in_(changes["internships"]))
                )
            )
    session.connection().execute(
        update(SNAPSHOTS).where(or_(*conditions)).values(version=SNAPSHOTS.c.version + 1)
    )


@event.listens_for(db.session, "after_commit")
def _after_commit(session) -> None:
    session.info.pop(_WROTE, None)
    session.info.pop(_CHANGES, None)


@event.listens_for(db.session, "after_soft_rollback")
def _after_rollback(session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_WROTE, None)
        session.info.pop(_CHANGES, None)
