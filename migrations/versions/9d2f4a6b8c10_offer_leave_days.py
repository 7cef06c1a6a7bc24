"""offers: days of leave (Code de l'éducation L124-13)

Revision ID: 9d2f4a6b8c10
Revises: 7b4c2e9a1f60
Create Date: 2026-12-08 09:00:00

An internship of more than 2 months must provide for leave and absences: the offer states the
days of leave granted, which the agreement copies and prints. Existing offers get 0: the law
check asks for the leave again at their next submission or approval.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "9d2f4a6b8c10"
down_revision = "7b4c2e9a1f60"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("leave_days", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.create_check_constraint(op.f("ck_offers_leave_days_positive"), "leave_days >= 0")


def downgrade():
    with op.batch_alter_table("offers", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_offers_leave_days_positive"), type_="check")
        batch_op.drop_column("leave_days")
