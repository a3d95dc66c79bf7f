"""Tasks have a due date.

Revision 0003, after 0002; written 2026-12-06.

Reviewed: one nullable column, added at the end of the table. The release before this one
keeps working while replicas update: it never names the column, so its inserts leave it
NULL, which means "no due date". No backfill: existing tasks have none.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Change the schema to this revision."""
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("due_date", sa.Date(), nullable=True))


def downgrade() -> None:
    """Change the schema back to the revision before."""
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("due_date")
