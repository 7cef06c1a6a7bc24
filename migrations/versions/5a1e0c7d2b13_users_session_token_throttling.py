"""users: session token (alternative id), login throttling, e-mail confirmation

Revision ID: 5a1e0c7d2b13
Revises: 1862eb41ab39
Create Date: 2026-12-05 08:30:00

Existing accounts get a random session token (every current session and remember cookie
ends once, at the upgrade) and count as confirmed since their creation.
"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "5a1e0c7d2b13"
down_revision = "1862eb41ab39"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_token", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("failed_login_count", sa.Integer(), server_default="0", nullable=False)
        )
        batch_op.add_column(
            sa.Column("last_failed_login_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("login_alert_sent_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column("email_confirmed_at", sa.DateTime(timezone=True), nullable=True)
        )

    conn = op.get_bind()
    users = sa.table(
        "users",
        sa.column("id", sa.Integer),
        sa.column("session_token", sa.String),
        sa.column("email_confirmed_at", sa.DateTime(timezone=True)),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    ids = [row[0] for row in conn.execute(sa.select(users.c.id))]
    for user_id in ids:
        conn.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )
    conn.execute(users.update().values(email_confirmed_at=users.c.created_at))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.alter_column("session_token", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint("uq_users_session_token", ["session_token"])


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint("uq_users_session_token", type_="unique")
        batch_op.drop_column("email_confirmed_at")
        batch_op.drop_column("login_alert_sent_at")
        batch_op.drop_column("last_failed_login_at")
        batch_op.drop_column("failed_login_count")
        batch_op.drop_column("session_token")
