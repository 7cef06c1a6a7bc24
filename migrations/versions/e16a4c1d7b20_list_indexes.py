"""list pages: indexes for the filters and sorts of the paginated lists (issue 16)

Revision ID: e16a4c1d7b20
Revises: 9d2f4a6b8c10
Create Date: 2026-12-07 09:00:00

The screening list (one cohort, filtered by status, institution, region or French level,
sorted by submission date or average), the offers under review (one cohort and status), the
matching page's placements (one cohort, newest first, or one status), the companies (by name,
of one status) and the accounts (by role and e-mail). The audit log's action index is rebuilt
on PostgreSQL with ``varchar_pattern_ops`` so that its prefix filter (``LIKE 'cohort.%'``) uses
it whatever the database's collation.
"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "e16a4c1d7b20"
down_revision = "9d2f4a6b8c10"
branch_labels = None
depends_on = None

INDEXES = [
    ("ix_applications_cohort_institution", "applications", ["cohort_id", "institution_id"]),
    ("ix_applications_cohort_region", "applications", ["cohort_id", "region"]),
    ("ix_applications_cohort_french_level", "applications", ["cohort_id", "french_level"]),
    ("ix_applications_cohort_submitted_at", "applications", ["cohort_id", "submitted_at"]),
    ("ix_applications_cohort_grade_average", "applications", ["cohort_id", "grade_average"]),
    ("ix_offers_cohort_status", "offers", ["cohort_id", "status"]),
    ("ix_placements_cohort_created_at", "placements", ["cohort_id", "created_at"]),
    ("ix_placements_cohort_status", "placements", ["cohort_id", "status"]),
    ("ix_companies_legal_name", "companies", ["legal_name", "id"]),
    ("ix_companies_status_legal_name", "companies", ["status", "legal_name"]),
    ("ix_users_role_email", "users", ["role", "email"]),
]


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns, unique=False)
    if _postgresql():
        op.drop_index("ix_audit_events_action", table_name="audit_events")
        op.create_index(
            "ix_audit_events_action",
            "audit_events",
            ["action"],
            unique=False,
            postgresql_ops={"action": "varchar_pattern_ops"},
        )


def downgrade():
    if _postgresql():
        op.drop_index("ix_audit_events_action", table_name="audit_events")
        op.create_index("ix_audit_events_action", "audit_events", ["action"], unique=False)
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
