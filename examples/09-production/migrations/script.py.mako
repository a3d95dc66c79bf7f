"""${message.rstrip(".")}.

Revision ${up_revision}, ${"after " + down_revision if down_revision else "the first"}; \
written ${create_date.strftime("%Y-%m-%d")}.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
${imports if imports else ""}
revision: str = ${repr(up_revision)}
down_revision: str | None = ${repr(down_revision)}
branch_labels: str | Sequence[str] | None = ${repr(branch_labels)}
depends_on: str | Sequence[str] | None = ${repr(depends_on)}


def upgrade() -> None:
    """Change the schema to this revision."""
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    """Change the schema back to the revision before."""
    ${downgrades if downgrades else "pass"}
