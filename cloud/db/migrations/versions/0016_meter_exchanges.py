"""Meter exchanges: where a meter's register broke its count (the meter replaced, or the
register rolled over), with the old register's final and the new one's initial value, so
billing counts energy across the break.

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-22

Hand-checked against `cloud.models.metadata`; `tests/cloud/db/test_migrations.py` proves the
migrated schema and the models agree on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
REGISTER = sa.Numeric(16, 3)


def upgrade() -> None:
    t = "meter_exchanges"
    op.create_table(
        t,
        sa.Column("id", ID, sa.Identity(), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("meter_id", ID, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("final_value", REGISTER, nullable=False),
        sa.Column("initial_value", REGISTER, nullable=False),
        sa.Column("note", sa.String(200), nullable=False),
        sa.Column("created_by_id", ID, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=f"fk_{t}_org_id_orgs"),
        sa.ForeignKeyConstraint(["meter_id"], ["meters.id"], name=f"fk_{t}_meter_id_meters"),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=f"fk_{t}_created_by_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name=f"pk_{t}"),
        sa.UniqueConstraint("meter_id", "at", name=f"uq_{t}_meter_id_at"),
    )
    op.create_index(f"ix_{t}_org_id", t, ["org_id"])
    op.create_index(f"ix_{t}_meter_id", t, ["meter_id"])


def downgrade() -> None:
    op.drop_table("meter_exchanges")
