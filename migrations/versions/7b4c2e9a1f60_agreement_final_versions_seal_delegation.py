"""agreements: final (sealed) versions of the documents, signers' capacity and delegation

Revision ID: 7b4c2e9a1f60
Revises: 5a1e0c7d2b13
Create Date: 2026-12-06 09:00:00

Documents signed before the upgrade have no final version: `flask seal finalise` produces the
missing ones (with the programme's seal when it is configured).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "7b4c2e9a1f60"
down_revision = "5a1e0c7d2b13"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("agreement_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("final_stored_name", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("final_sha256", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("final_size", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("finalised_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(
            sa.Column("sealed", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.add_column(sa.Column("signer_capacity", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("on_behalf_of", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("agreement_signatures", schema=None) as batch_op:
        batch_op.drop_column("recorded_at")
        batch_op.drop_column("on_behalf_of")
        batch_op.drop_column("signer_capacity")
    with op.batch_alter_table("agreement_documents", schema=None) as batch_op:
        batch_op.drop_column("sealed")
        batch_op.drop_column("finalised_at")
        batch_op.drop_column("final_size")
        batch_op.drop_column("final_sha256")
        batch_op.drop_column("final_stored_name")
