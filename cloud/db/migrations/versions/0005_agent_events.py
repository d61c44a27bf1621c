"""Events of the agent itself (its outbox nearly full, telemetry it had to drop) are stored
beside device events: `events` gets `agent_id`, and `device_id` becomes optional.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("agent_id", ID, nullable=True))
        batch.alter_column("device_id", existing_type=ID, nullable=True)
        batch.create_foreign_key(
            op.f("fk_events_agent_id_edge_agents"), "edge_agents", ["agent_id"], ["id"]
        )
        batch.create_index(op.f("ix_events_agent_id"), ["agent_id"])
        batch.create_check_constraint(
            op.f("ck_events_of_a_device_or_an_agent"),
            "device_id IS NOT NULL OR agent_id IS NOT NULL",
        )


def downgrade() -> None:
    op.execute("DELETE FROM events WHERE device_id IS NULL")
    with op.batch_alter_table("events") as batch:
        batch.drop_constraint(op.f("ck_events_of_a_device_or_an_agent"), type_="check")
        batch.drop_index(op.f("ix_events_agent_id"))
        batch.drop_constraint(op.f("fk_events_agent_id_edge_agents"), type_="foreignkey")
        batch.drop_column("agent_id")
        batch.alter_column("device_id", existing_type=ID, nullable=False)
