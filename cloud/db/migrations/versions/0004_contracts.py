"""Contracts: versions with their terms, approval steps and approvals, stored charges,
settlements, expiry alerts; leases name the contract that made them.

Revision ID: 0004
Revises: 0001
Create Date: 2026-02-02

Existing leases stay as they are, with no contract (`contract_id` NULL). On SQLite the new
column comes through a batch copy of `leases`, which keeps its rows, indexes and check.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
CODE = sa.String(64)
ITEM = sa.String(200)
MONEY = sa.Numeric(14, 2)
TARIFF = sa.Numeric(10, 4)
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
ROLES = ("admin", "staff", "finance", "engineer", "tenant")
CONTRACT_STATUSES = ("draft", "submitted", "approved", "signed", "active", "expired", "terminated")
VERSION_STATUSES = ("draft", "submitted", "approved", "signed", "superseded")
DECISIONS = ("approved", "rejected")
LINE_KINDS = ("outstanding", "credit", "penalty", "deposit")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, sa.Identity(always=False), nullable=False)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _index(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{columns[0]}", table, list(columns))


def _one_of(table: str, column: str, name: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return _check(table, f"{column} IN {values!r}", name)


def _check(table: str, condition: str, name: str) -> sa.CheckConstraint:
    # op.f: the name is final; the naming convention would otherwise prefix it a second time.
    return sa.CheckConstraint(condition, name=op.f(f"ck_{table}_{name}"))


def upgrade() -> None:
    op.create_table(
        "contracts",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", CODE, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("renewal_of_id", ID, nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("signed_at", INSTANT, nullable=True),
        sa.Column("signed_by_id", ID, nullable=True),
        sa.Column("activated_at", INSTANT, nullable=True),
        sa.Column("terminated_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contracts"),
        _fk("contracts", "org_id", "orgs"),
        _fk("contracts", "tenant_id", "tenants"),
        _fk("contracts", "renewal_of_id", "contracts"),
        _fk("contracts", "created_by_id", "users"),
        _fk("contracts", "signed_by_id", "users"),
        sa.UniqueConstraint("org_id", "code", name="uq_contracts_org_id_code"),
        _check("contracts", "end_date >= start_date", "dates_in_order"),
        _one_of("contracts", "status", "contract_status", CONTRACT_STATUSES),
    )
    for column in ("org_id", "tenant_id", "end_date", "renewal_of_id"):
        _index("contracts", column)
    op.create_table(
        "contract_versions",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("contract_id", ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("terms", JSON, nullable=False),
        sa.Column("lease_start", sa.Date(), nullable=False),
        sa.Column("rent_start", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("electricity_tariff", TARIFF, nullable=False),
        sa.Column("deposits", JSON, nullable=False),
        sa.Column("usage_restrictions", sa.Text(), nullable=False),
        sa.Column("special_clauses", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("approval_round", sa.Integer(), nullable=False),
        sa.Column("approval_roles", JSON, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.Column("submitted_at", INSTANT, nullable=True),
        sa.Column("signed_at", INSTANT, nullable=True),
        sa.Column("signed_by_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contract_versions"),
        _fk("contract_versions", "org_id", "orgs"),
        _fk("contract_versions", "contract_id", "contracts"),
        _fk("contract_versions", "created_by_id", "users"),
        _fk("contract_versions", "signed_by_id", "users"),
        sa.UniqueConstraint(
            "contract_id", "number", name="uq_contract_versions_contract_id_number"
        ),
        _check("contract_versions", "end_date >= lease_start", "dates_in_order"),
        _one_of("contract_versions", "status", "version_status", VERSION_STATUSES),
    )
    _index("contract_versions", "org_id")
    _index("contract_versions", "contract_id")
    op.create_table(
        "contract_version_units",
        sa.Column("version_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("version_id", "unit_id", name="pk_contract_version_units"),
        _fk("contract_version_units", "version_id", "contract_versions"),
        _fk("contract_version_units", "unit_id", "units"),
    )
    _index("contract_version_units", "unit_id")
    op.create_table(
        "contract_approval_steps",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contract_approval_steps"),
        _fk("contract_approval_steps", "org_id", "orgs"),
        sa.UniqueConstraint("org_id", "step", name="uq_contract_approval_steps_org_id_step"),
        _one_of("contract_approval_steps", "role", "role", ROLES),
    )
    _index("contract_approval_steps", "org_id")
    op.create_table(
        "contract_approvals",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("approval_round", sa.Integer(), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("decided_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contract_approvals"),
        _fk("contract_approvals", "org_id", "orgs"),
        _fk("contract_approvals", "version_id", "contract_versions"),
        _fk("contract_approvals", "user_id", "users"),
        _one_of("contract_approvals", "role", "role", ROLES),
        _one_of("contract_approvals", "decision", "decision", DECISIONS),
    )
    _index("contract_approvals", "org_id")
    _index("contract_approvals", "version_id")
    op.create_table(
        "contract_settlements",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("contract_id", ID, nullable=False),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("total", MONEY, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contract_settlements"),
        _fk("contract_settlements", "org_id", "orgs"),
        _fk("contract_settlements", "contract_id", "contracts"),
        _fk("contract_settlements", "version_id", "contract_versions"),
        _fk("contract_settlements", "created_by_id", "users"),
        sa.UniqueConstraint("contract_id", name="uq_contract_settlements_contract_id"),
    )
    _index("contract_settlements", "org_id")
    op.create_table(
        "contract_settlement_lines",
        _id(),
        sa.Column("settlement_id", ID, nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("item", ITEM, nullable=False),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("amount", MONEY, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_contract_settlement_lines"),
        _fk("contract_settlement_lines", "settlement_id", "contract_settlements"),
        sa.UniqueConstraint(
            "settlement_id",
            "position",
            name="uq_contract_settlement_lines_settlement_id_position",
        ),
        _one_of("contract_settlement_lines", "kind", "line_kind", LINE_KINDS),
    )
    op.create_table(
        "contract_charges",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("contract_id", ID, nullable=False),
        sa.Column("version_id", ID, nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("item", ITEM, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("posted", sa.Boolean(), nullable=False),
        sa.Column("settlement_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contract_charges"),
        _fk("contract_charges", "org_id", "orgs"),
        _fk("contract_charges", "contract_id", "contracts"),
        _fk("contract_charges", "version_id", "contract_versions"),
        _fk("contract_charges", "settlement_id", "contract_settlements"),
        sa.UniqueConstraint(
            "contract_id",
            "item",
            "period_start",
            name="uq_contract_charges_contract_id_item_period_start",
        ),
        _check("contract_charges", "period_end >= period_start", "dates_in_order"),
    )
    for column in ("org_id", "version_id", "due_date", "settlement_id"):
        _index("contract_charges", column)
    op.create_table(
        "contract_expiry_alerts",
        _id(),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("contract_id", ID, nullable=False),
        sa.Column("threshold_days", sa.Integer(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("raised_on", sa.Date(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("acknowledged_at", INSTANT, nullable=True),
        sa.Column("acknowledged_by_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_contract_expiry_alerts"),
        _fk("contract_expiry_alerts", "org_id", "orgs"),
        _fk("contract_expiry_alerts", "contract_id", "contracts"),
        _fk("contract_expiry_alerts", "acknowledged_by_id", "users"),
        sa.UniqueConstraint(
            "contract_id",
            "threshold_days",
            "end_date",
            name="uq_contract_expiry_alerts_contract_id_threshold_days_end_date",
        ),
    )
    _index("contract_expiry_alerts", "org_id")
    with op.batch_alter_table("leases") as batch:
        batch.add_column(sa.Column("contract_id", ID, nullable=True))
        batch.create_foreign_key(
            "fk_leases_contract_id_contracts", "contracts", ["contract_id"], ["id"]
        )
        batch.create_index("ix_leases_contract_id", ["contract_id"])


def downgrade() -> None:
    with op.batch_alter_table("leases") as batch:
        batch.drop_index("ix_leases_contract_id")
        batch.drop_constraint("fk_leases_contract_id_contracts", type_="foreignkey")
        batch.drop_column("contract_id")
    for table in (
        "contract_expiry_alerts",
        "contract_charges",
        "contract_settlement_lines",
        "contract_settlements",
        "contract_approvals",
        "contract_approval_steps",
        "contract_version_units",
        "contract_versions",
        "contracts",
    ):
        op.drop_table(table)
