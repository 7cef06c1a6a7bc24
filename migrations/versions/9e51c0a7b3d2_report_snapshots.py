"""reports: the kept figures of the finished cohorts (report_snapshots)

Revision ID: 9e51c0a7b3d2
Revises: e16a4c1d7b20
Create Date: 2026-12-05 11:30:00

One row per finished cohort whose figures were computed: the data version (bumped by every
change to the rows behind them), the figures as JSON and the dates they hold for. The table
starts empty: the figures are computed on the first view of each finished cohort.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9e51c0a7b3d2"
down_revision = "e16a4c1d7b20"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "report_snapshots",
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("figures_version", sa.Integer(), nullable=True),
        sa.Column("computed_for", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("figures", sa.Text(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["cohort_id"],
            ["cohorts.id"],
            name=op.f("fk_report_snapshots_cohort_id_cohorts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("cohort_id", name=op.f("pk_report_snapshots")),
    )


def downgrade():
    op.drop_table("report_snapshots")
