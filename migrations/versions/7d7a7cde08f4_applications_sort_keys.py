"""applications: stored name sort keys (sort_last_name, sort_first_name) and their indexes

Revision ID: 7d7a7cde08f4
Revises: 9e51c0a7b3d2
Create Date: 2026-12-05 14:22:56

The screening list sorts by the name shown (the application's last name, else the account's
full name) lower-cased, then the first name: computed on the joined rows, every view sorted a
whole cohort. The keys are now stored on the application (kept by a session listener, see
``applications.models``) and indexed per cohort, and per cohort and status, so that a page
reads an index in order. The existing rows get their keys from the same SQL expression the
list sorted by (the database lower-cases), on SQLite and PostgreSQL alike.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7d7a7cde08f4"
down_revision = "9e51c0a7b3d2"
branch_labels = None
depends_on = None

FILL = """
UPDATE applications SET
    sort_last_name = lower(coalesce(nullif(last_name, ''),
        (SELECT users.full_name FROM users WHERE users.id = applications.student_id))),
    sort_first_name = lower(coalesce(first_name, ''))
"""

INDEXES = [
    ("ix_applications_cohort_sort_name", ["cohort_id", "sort_last_name", "sort_first_name", "id"]),
    (
        "ix_applications_cohort_status_sort_name",
        ["cohort_id", "status", "sort_last_name", "sort_first_name", "id"],
    ),
]


def upgrade():
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("sort_last_name", sa.String(length=200), server_default="", nullable=False)
        )
        batch_op.add_column(
            sa.Column("sort_first_name", sa.String(length=100), server_default="", nullable=False)
        )
    op.execute(FILL)
    for name, columns in INDEXES:
        op.create_index(name, "applications", columns, unique=False)


def downgrade():
    for name, _columns in reversed(INDEXES):
        op.drop_index(name, table_name="applications")
    with op.batch_alter_table("applications", schema=None) as batch_op:
        batch_op.drop_column("sort_first_name")
        batch_op.drop_column("sort_last_name")
