"""Access expectations for the coordinators' selection pages (merged into
tests/test_access_matrix.py). Every route needs ``selection.manage`` (coordinator, admin); the
matrix POSTs empty forms, which must be refused politely (a flash, a 400), never with a 500."""

from __future__ import annotations

from mnc_exchange.extensions import db
from mnc_exchange.selection.models import ReviewAssignment
from tests.access_helpers import LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

STAFF = ("coordinator", "admin")

_ROUTES = (
    ("selection.overview", "GET"),
    ("selection.settings", "POST"),
    ("selection.rubric", "GET"),
    ("selection.rubric", "POST"),
    ("selection.assign", "POST"),
    ("selection.assignments", "GET"),
    ("selection.reassign", "POST"),
    ("selection.shortlist", "POST"),
    ("selection.interviews", "GET"),
    ("selection.schedule_interview", "POST"),
    ("selection.score_interview", "POST"),
    ("selection.decide", "POST"),
    ("selection.ranking", "GET"),
    ("selection.override", "POST"),
    ("selection.publish", "GET"),
    ("selection.publish", "POST"),
    ("selection.minutes_pdf", "GET"),
    ("selection.ranking_csv", "GET"),
    ("selection.ranking_xlsx", "GET"),
)

EXPECTED: dict[tuple[str, str], dict[str, str]] = {route: only(*STAFF) for route in _ROUTES}


def setup_values(users, cohort, application) -> dict:
    assignment = ReviewAssignment(
        application_id=application.id, reviewer_id=users["coordinator"].id
    )
    db.session.add(assignment)
    db.session.commit()
    return {"assignment_id": assignment.id}
