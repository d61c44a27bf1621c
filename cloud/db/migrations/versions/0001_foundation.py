"""Foundation: orgs and users, sites to units, tenants and leases, meters and readings, ingest.

Revision ID: 0001
Revises:
Create Date: 2026-01-05

Hand-checked against `cloud.models.metadata`; `tests/cloud/db/test_migrations.py` proves the
migrated schema and the models agree on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
CODE = sa.String(64)
NAME = sa.String(200)
MONEY = sa.Numeric(14, 2)
ROLES = ("admin", "staff", "finance", "engineer", "tenant")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, sa.Identity(always=False), nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{columns[0]}", table, list(columns))


def upgrade() -> None:
    op.create_table(
        "orgs",
        _id(),
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_orgs"),
        sa.UniqueConstraint("code", name="uq_orgs_code"),
    )
    op.create_table(
        "sites",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_sites"),
        _fk("sites", "org_id", "orgs"),
        sa.UniqueConstraint("org_id", "code", name="uq_sites_org_id_code"),
    )
    _index("sites", "org_id")
    op.create_table(
        "buildings",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_buildings"),
        _fk("buildings", "org_id", "orgs"),
        _fk("buildings", "site_id", "sites"),
        sa.UniqueConstraint("site_id", "code", name="uq_buildings_site_id_code"),
    )
    _index("buildings", "org_id")
    _index("buildings", "site_id")
    op.create_table(
        "units",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("building_id", ID, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("floor", sa.Integer(), nullable=False),
        sa.Column("rentable_area_m2", sa.Numeric(10, 2), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_units"),
        _fk("units", "org_id", "orgs"),
        _fk("units", "building_id", "buildings"),
        sa.UniqueConstraint("org_id", "code", name="uq_units_org_id_code"),
    )
    _index("units", "org_id")
    _index("units", "building_id")
    op.create_table(
        "tenants",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tenants"),
        _fk("tenants", "org_id", "orgs"),
        sa.UniqueConstraint("org_id", "code", name="uq_tenants_org_id_code"),
    )
    _index("tenants", "org_id")
    op.create_table(
        "users",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", NAME, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("tenant_id", ID, nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_users"),
        _fk("users", "org_id", "orgs"),
        _fk("users", "tenant_id", "tenants"),
        sa.UniqueConstraint("username", name="uq_users_username"),
        sa.CheckConstraint(f"role IN {ROLES!r}", name="ck_users_role"),
    )
    _index("users", "org_id")
    _index("users", "tenant_id")
    op.create_table(
        "leases",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("monthly_rent", MONEY, nullable=False),
        sa.Column("electricity_tariff", sa.Numeric(10, 4), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_leases"),
        _fk("leases", "org_id", "orgs"),
        _fk("leases", "unit_id", "units"),
        _fk("leases", "tenant_id", "tenants"),
        sa.UniqueConstraint("org_id", "code", name="uq_leases_org_id_code"),
        sa.CheckConstraint("end_date >= start_date", name="ck_leases_dates_in_order"),
    )
    _index("leases", "org_id")
    _index("leases", "unit_id")
    _index("leases", "tenant_id")
    op.create_table(
        "edge_agents",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("online", sa.Boolean(), nullable=False),
        sa.Column("last_seen_at", INSTANT, nullable=True),
        sa.Column("config_hash", sa.String(64), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_edge_agents"),
        _fk("edge_agents", "org_id", "orgs"),
        _fk("edge_agents", "site_id", "sites"),
        sa.UniqueConstraint("org_id", "code", name="uq_edge_agents_org_id_code"),
    )
    _index("edge_agents", "org_id")
    _index("edge_agents", "site_id")
    op.create_table(
        "meters",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("profile", sa.String(64), nullable=False),
        sa.Column("unit_id", ID, nullable=True),
        sa.Column("ct_ratio", sa.Numeric(10, 4), nullable=False),
        sa.Column("billing", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_meters"),
        _fk("meters", "org_id", "orgs"),
        _fk("meters", "site_id", "sites"),
        _fk("meters", "agent_id", "edge_agents"),
        _fk("meters", "unit_id", "units"),
        sa.UniqueConstraint("org_id", "code", name="uq_meters_org_id_code"),
    )
    for column in ("org_id", "site_id", "agent_id", "unit_id"):
        _index("meters", column)
    op.create_table(
        "readings",
        sa.Column("device_id", ID, nullable=False),
        sa.Column("metric", sa.String(64), nullable=False),
        sa.Column("ts", INSTANT, nullable=False),
        sa.Column("value", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "metric", "ts", name="pk_readings"),
        _fk("readings", "device_id", "meters"),
    )
    op.create_table(
        "events",
        _id(),
        sa.Column("device_id", ID, nullable=False),
        sa.Column("ts", INSTANT, nullable=False),
        sa.Column("event", sa.String(64), nullable=False),
        sa.Column("data", sa.JSON().with_variant(postgresql.JSONB(), "postgresql"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_events"),
        _fk("events", "device_id", "meters"),
    )
    _index("events", "device_id")
    _index("events", "ts")
    op.create_table(
        "ingest_receipts",
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("boot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "boot", "seq", name="pk_ingest_receipts"),
        _fk("ingest_receipts", "agent_id", "edge_agents"),
    )
    op.create_table(
        "agent_streams",
        sa.Column("agent_id", ID, nullable=False),
        sa.Column("boot", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("acked_seq", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "boot", name="pk_agent_streams"),
        _fk("agent_streams", "agent_id", "edge_agents"),
    )
    op.create_table(
        "dead_letters",
        _id(),
        sa.Column("received_at", INSTANT, nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_dead_letters"),
    )
    _index("dead_letters", "received_at")


def downgrade() -> None:
    for table in (
        "dead_letters",
        "agent_streams",
        "ingest_receipts",
        "events",
        "readings",
        "meters",
        "edge_agents",
        "leases",
        "users",
        "tenants",
        "units",
        "buildings",
        "sites",
        "orgs",
    ):
        op.drop_table(table)
