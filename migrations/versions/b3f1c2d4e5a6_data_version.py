"""data_version: the token every writing transaction replaces (the kept pages' key)

Revision ID: b3f1c2d4e5a6
Revises: 7d7a7cde08f4
Create Date: 2026-12-05 17:30:00

A repeat view of a page is served from the worker's memory while nothing in the database has
changed (``core.page_cache``): every transaction that writes replaces this one row's token as
its last statement. The row is created by the first write, so that an empty database stays
empty for a restore.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "b3f1c2d4e5a6"
down_revision = "7d7a7cde08f4"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_data_version")),
    )


def downgrade():
    op.drop_table("data_version")
