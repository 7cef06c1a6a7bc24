"""Access expectations for the reviewers' pages (merged into tests/test_access_matrix.py).

The sample assignment belongs to the matrix's "coordinator": they see it; the admin is not a
reviewer (403), and nobody else's assignment is revealed (404 counts as forbidden too).
"""

from __future__ import annotations

from sqlalchemy import select

from mnc_exchange.extensions import db
from mnc_exchange.selection.models import ReviewAssignment
from tests.access_helpers import LOGIN, OK, ROLES, logged_in, only, public  # noqa: F401

REVIEWER = ("coordinator",)

EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("reviews.index", "GET"): only(*REVIEWER),
    ("reviews.review", "GET"): only(*REVIEWER),
    ("reviews.review", "POST"): only(*REVIEWER),
    ("reviews.conflict", "POST"): only(*REVIEWER),
}


def setup_values(users, cohort, application) -> dict:
    # tests/access_selection_staff.py may create the same (application, coordinator)
    # assignment (unique constraint): reuse it when it exists.
    assignment = db.session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.application_id == application.id,
            ReviewAssignment.reviewer_id == users["coordinator"].id,
        )
    )
    if assignment is None:
        assignment = ReviewAssignment(
            application_id=application.id, reviewer_id=users["coordinator"].id
        )
        db.session.add(assignment)
        db.session.commit()
    return {"assignment_id": assignment.id}
