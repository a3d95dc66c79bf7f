"""End sessions: disabled accounts, token versions, and the login time of each session.

Revision 0002, after 0001; written 2026-12-06.

The release before this one keeps working while replicas update (add first, remove later):
each new column has a server default, so that its inserts, which do not know the columns,
still succeed. A refresh token that the old release writes during the update gets a session
that started long ago: its next refresh fails, and its user logs in again. (A constant: SQLite
cannot add a column whose default is the current time.)
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Change the schema to this revision."""
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_active", sa.Boolean(), nullable=False, server_default=sa.true())
        )
        batch_op.add_column(
            sa.Column("token_version", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "session_started_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.text("'1970-01-01 00:00:00'"),
            )
        )
    # Sessions that exist already started, at the latest, when their token was issued.
    op.execute("UPDATE refresh_tokens SET session_started_at = created_at")


def downgrade() -> None:
    """Change the schema back to the revision before."""
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_column("session_started_at")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("token_version")
        batch_op.drop_column("is_active")
