"""Billing: the receivables ledger (entries and allocations), bills with their reminders,
billing runs and closed periods, tariffs, shared meters and late-fee policies.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-22

Hand-checked against `cloud.models.metadata`; `tests/cloud/db/test_migrations.py` proves the
migrated schema and the models agree on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
CODE = sa.String(64)
NAME = sa.String(200)
MONEY = sa.Numeric(14, 2)
RATIO = sa.Numeric(10, 4)
PRICE = sa.Numeric(10, 4)
KIND = sa.String(16)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, sa.Identity(always=False), nullable=False)


def _ref(table: str, column: str, target: str, *, nullable: bool = False) -> list[SchemaItem]:
    return [
        sa.Column(column, ID, nullable=nullable),
        sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}"),
    ]


def _pk(table: str, *columns: str) -> sa.PrimaryKeyConstraint:
    return sa.PrimaryKeyConstraint(*(columns or ("id",)), name=f"pk_{table}")


def _unique(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=f"uq_{table}_{'_'.join(columns)}")


def _created(table: str, column: str = "created_by_id") -> list[SchemaItem]:
    return [*_ref(table, column, "users"), sa.Column("created_at", INSTANT, nullable=False)]


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    _settings_and_tariffs()
    _runs_and_bills()
    _ledger()


def _settings_and_tariffs() -> None:
    op.create_table(
        "billing_settings",
        *_ref("billing_settings", "org_id", "orgs"),
        sa.Column("allocation_order", KIND, nullable=False),
        sa.Column("item_priority", JSON, nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        _pk("billing_settings", "org_id"),
    )
    t = "electricity_tariffs"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        sa.Column("code", CODE, nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("tiers", JSON, nullable=False),
        sa.Column("bands", JSON, nullable=False),
        sa.Column("prices", JSON, nullable=False),
        _pk(t),
        _unique(t, "org_id", "code"),
    )
    _index(t, "org_id")
    t = "meter_tariffs"
    op.create_table(
        t,
        *_ref(t, "meter_id", "meters"),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "tariff_id", "electricity_tariffs"),
        _pk(t, "meter_id"),
    )
    _index(t, "org_id", "tariff_id")
    t = "shared_meters"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "meter_id", "meters"),
        sa.Column("basis", KIND, nullable=False),
        sa.Column("loss_factor", RATIO, nullable=False),
        sa.Column("item", NAME, nullable=False),
        sa.Column("price", PRICE, nullable=False),
        _pk(t),
        _unique(t, "meter_id"),
    )
    _index(t, "org_id")
    t = "shared_meter_units"
    op.create_table(
        t,
        *_ref(t, "shared_meter_id", "shared_meters"),
        *_ref(t, "unit_id", "units"),
        *_ref(t, "org_id", "orgs"),
        sa.Column("headcount", sa.Integer(), nullable=False),
        _pk(t, "shared_meter_id", "unit_id"),
    )
    _index(t, "org_id")
    t = "late_fee_policies"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "contract_id", "contracts"),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("daily_rate", sa.Numeric(10, 6), nullable=False),
        sa.Column("cap_rate", RATIO, nullable=False),
        _pk(t),
        _unique(t, "contract_id"),
    )
    _index(t, "org_id")


def _runs_and_bills() -> None:
    t = "billing_closed_periods"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        sa.Column("period_start", sa.Date(), nullable=False),
        *_ref(t, "closed_by_id", "users"),
        sa.Column("closed_at", INSTANT, nullable=False),
        _pk(t),
        _unique(t, "org_id", "period_start"),
    )
    _index(t, "org_id")
    t = "billing_runs"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        sa.Column("scope", CODE, nullable=False),
        *_ref(t, "site_id", "sites", nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=False),
        *_created(t),
        _pk(t),
        _unique(t, "org_id", "scope", "period_start"),
    )
    _index(t, "org_id")
    t = "bills"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        sa.Column("code", CODE, nullable=False),
        *_ref(t, "run_id", "billing_runs"),
        *_ref(t, "tenant_id", "tenants"),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        _pk(t),
        _unique(t, "org_id", "code"),
        _unique(t, "run_id", "tenant_id"),
    )
    _index(t, "org_id", "run_id", "tenant_id")
    t = "bill_reminders"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "bill_id", "bills"),
        sa.Column("stage", KIND, nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("note", sa.String(500), nullable=False),
        *_created(t),
        _pk(t),
        _unique(t, "bill_id", "stage"),
    )
    _index(t, "org_id", "bill_id")


def _ledger() -> None:
    t = "ledger_entries"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "tenant_id", "tenants"),
        sa.Column("account", KIND, nullable=False),
        sa.Column("kind", KIND, nullable=False),
        sa.Column("entry_date", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("item", NAME, nullable=False),
        sa.Column("due_date", sa.Date(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        *_ref(t, "bill_id", "bills", nullable=True),
        *_ref(t, "lease_id", "leases", nullable=True),
        *_ref(t, "contract_id", "contracts", nullable=True),
        *_ref(t, "unit_id", "units", nullable=True),
        *_ref(t, "related_id", "ledger_entries", nullable=True),
        sa.Column("source_key", NAME, nullable=True),
        sa.Column("method", sa.String(32), nullable=False),
        sa.Column("reference", NAME, nullable=False),
        sa.Column("memo", sa.String(500), nullable=False),
        sa.Column("detail", JSON, nullable=True),
        *_created(t),
        sa.CheckConstraint("amount <> 0", name=f"ck_{t}_not_zero"),
        _pk(t),
        _unique(t, "org_id", "source_key"),
    )
    _index(t, "org_id", "tenant_id", "entry_date", "bill_id", "lease_id", "contract_id")
    _index(t, "related_id")
    t = "ledger_allocations"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "credit_id", "ledger_entries"),
        *_ref(t, "debit_id", "ledger_entries"),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("allocated_on", sa.Date(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.CheckConstraint("amount > 0", name=f"ck_{t}_positive"),
        _pk(t),
    )
    _index(t, "org_id", "credit_id", "debit_id")


def downgrade() -> None:
    for table in (
        "ledger_allocations",
        "ledger_entries",
        "bill_reminders",
        "bills",
        "billing_runs",
        "billing_closed_periods",
        "late_fee_policies",
        "shared_meter_units",
        "shared_meters",
        "meter_tariffs",
        "electricity_tariffs",
        "billing_settings",
    ):
        op.drop_table(table)
