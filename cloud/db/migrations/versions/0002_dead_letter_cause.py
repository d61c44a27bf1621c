"""Dead letters say why in a word (`cause`, to count by) and how big the payload was.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Rows from before keep `cause` = 'unknown' and their stored payload's size.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.add_column(sa.Column("payload_size", sa.BigInteger(), nullable=True))
        batch.add_column(
            sa.Column("cause", sa.String(32), nullable=False, server_default="unknown")
        )
    op.execute("UPDATE dead_letters SET payload_size = length(payload)")
    with op.batch_alter_table("dead_letters") as batch:
        batch.alter_column("payload_size", existing_type=sa.BigInteger(), nullable=False)
        batch.alter_column("cause", existing_type=sa.String(32), server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("dead_letters") as batch:
        batch.drop_column("cause")
        batch.drop_column("payload_size")
