"""Ingest receipts lose their foreign key to edge agents: ingest takes the agent id from the
agent it has just looked up, and agents are never deleted, so PostgreSQL checking every receipt
row against `edge_agents` (a third of what claiming receipts cost) guarded nothing.

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-22
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FK_RECEIPTS = "fk_ingest_receipts_agent_id_edge_agents"


def upgrade() -> None:
    with op.batch_alter_table("ingest_receipts") as batch:
        batch.drop_constraint(FK_RECEIPTS, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("ingest_receipts") as batch:
        batch.create_foreign_key(FK_RECEIPTS, "edge_agents", ["agent_id"], ["id"])
