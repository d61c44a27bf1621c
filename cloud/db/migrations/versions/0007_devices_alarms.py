"""Device registry and alarms: agents' announced state and expected config, alarm rules and
alarms, and the marks of replayed dead letters.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

Hand-checked against `cloud.models.metadata`; `tests/cloud/db/test_migrations.py` proves the
migrated schema and the models agree on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
CODE = sa.String(64)
ENUM = sa.String(32)
KINDS = ("meter_offline", "consumption_baseline", "reverse_energy", "event")
SEVERITIES = ("critical", "major", "minor")
STATES = ("raised", "acknowledged", "cleared")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN {values!r}", name=f"ck_{table}_{column}")


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    op.create_table(
        "agent_states",
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("boot", sa.BigInteger(), nullable=True),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.Column("expected_config_hash", CODE, nullable=True),
        sa.Column("status_at", INSTANT, nullable=True),
        sa.Column("changed_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("agent_id", name="pk_agent_states"),
        _fk("agent_states", "agent_id", "edge_agents"),
        _fk("agent_states", "org_id", "orgs"),
    )
    _index("agent_states", "org_id")
    op.create_table(
        "alarm_rules",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("severity", ENUM, nullable=False),
        sa.Column("work_order_category", CODE, nullable=True),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alarm_rules"),
        _fk("alarm_rules", "org_id", "orgs"),
        sa.UniqueConstraint("org_id", "code", name="uq_alarm_rules_org_id_code"),
        _one_of("alarm_rules", "kind", KINDS),
        _one_of("alarm_rules", "severity", SEVERITIES),
    )
    _index("alarm_rules", "org_id")
    op.create_table(
        "alarms",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("rule_id", ID, nullable=False),
        sa.Column("subject", CODE, nullable=False),
        sa.Column("open_key", sa.String(200), nullable=True),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("raised_at", INSTANT, nullable=False),
        sa.Column("last_at", INSTANT, nullable=False),
        sa.Column("acknowledged_at", INSTANT, nullable=True),
        sa.Column("acknowledged_by_id", ID, nullable=True),
        sa.Column("ack_note", sa.Text(), nullable=False),
        sa.Column("cleared_at", INSTANT, nullable=True),
        sa.Column("cleared_by_id", ID, nullable=True),
        sa.Column("clear_note", sa.Text(), nullable=False),
        sa.Column("work_order_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_alarms"),
        _fk("alarms", "org_id", "orgs"),
        _fk("alarms", "rule_id", "alarm_rules"),
        _fk("alarms", "acknowledged_by_id", "users"),
        _fk("alarms", "cleared_by_id", "users"),
        _fk("alarms", "work_order_id", "work_orders"),
        sa.UniqueConstraint("org_id", "open_key", name="uq_alarms_org_id_open_key"),
        _one_of("alarms", "state", STATES),
    )
    _index("alarms", "org_id", "rule_id", "raised_at")
    op.create_table(
        "dead_letter_replays",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("dead_letter_id", ID, nullable=False),
        sa.Column("replayed_at", INSTANT, nullable=False),
        sa.Column("replayed_by", CODE, nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("written", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letter_replays"),
        _fk("dead_letter_replays", "dead_letter_id", "dead_letters"),
    )
    _index("dead_letter_replays", "dead_letter_id")


def downgrade() -> None:
    op.drop_table("dead_letter_replays")
    op.drop_table("alarms")
    op.drop_table("alarm_rules")
    op.drop_table("agent_states")
