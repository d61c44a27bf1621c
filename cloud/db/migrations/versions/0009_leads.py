"""Leads and opportunities: leads with their wanted units, contacts, follow-ups (quotes and
counter-offers carry terms), dated stage history and letter-of-intent deposit changes.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-22

Hand-checked against `cloud.models.metadata`; `tests/cloud/db/test_migrations.py` proves the
migrated schema and the models agree on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)
AREA = sa.Numeric(10, 2)
ENUM = sa.String(16)
SOURCES = ("agent", "walk_in", "referral", "event", "online")
STAGES = ("visit", "quote", "negotiation", "loi", "signed", "lost")
REASONS = ("price", "location", "area", "timing", "competitor", "no_response", "other")
KINDS = ("visit", "feedback", "quote", "counter_offer")
DEPOSITS = ("agreed", "received", "applied", "refunded", "forfeited")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, sa.Identity(always=False), nullable=False)


def _org(table: str) -> tuple[sa.Column[int], sa.ForeignKeyConstraint]:
    return sa.Column("org_id", ID, nullable=False), _fk(table, "org_id", "orgs")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _one_of(table: str, column: str, name: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN {values!r}", name=f"ck_{table}_{name}")


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def _lead_child(table: str, *columns: sa.Column[object] | sa.Constraint) -> None:
    op.create_table(
        table,
        _id(),
        *_org(table),
        sa.Column("lead_id", ID, nullable=False),
        *columns,
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
        _fk(table, "lead_id", "leads"),
    )
    _index(table, "org_id", "lead_id")


def upgrade() -> None:
    op.create_table(
        "leads",
        _id(),
        *_org("leads"),
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("company", sa.String(200), nullable=False),
        sa.Column("source", ENUM, nullable=False),
        sa.Column("source_detail", sa.String(200), nullable=False),
        sa.Column("wanted_area_m2", AREA, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("stage", ENUM, nullable=False),
        sa.Column("reached", ENUM, nullable=False),
        sa.Column("lost_reason", ENUM, nullable=True),
        sa.Column("lost_note", sa.Text(), nullable=False),
        sa.Column("loi_signed_on", sa.Date(), nullable=True),
        sa.Column("deposit_amount", MONEY, nullable=True),
        sa.Column("deposit_status", ENUM, nullable=True),
        sa.Column("tenant_id", ID, nullable=True),
        sa.Column("contract_id", ID, nullable=True),
        sa.Column("owner_id", ID, nullable=True),
        sa.Column("created_on", sa.Date(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_leads"),
        _fk("leads", "tenant_id", "tenants"),
        _fk("leads", "contract_id", "contracts"),
        _fk("leads", "owner_id", "users"),
        sa.UniqueConstraint("org_id", "code", name="uq_leads_org_id_code"),
        _one_of("leads", "source", "lead_source", SOURCES),
        _one_of("leads", "stage", "lead_stage", STAGES),
        _one_of("leads", "reached", "lead_reached", STAGES),
        _one_of("leads", "lost_reason", "lost_reason", REASONS),
        _one_of("leads", "deposit_status", "deposit_status", DEPOSITS),
    )
    _index("leads", "org_id", "stage", "tenant_id", "contract_id", "owner_id", "created_on")
    op.create_table(
        "lead_units",
        sa.Column("lead_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("lead_id", "unit_id", name="pk_lead_units"),
        _fk("lead_units", "lead_id", "leads"),
        _fk("lead_units", "unit_id", "units"),
    )
    _index("lead_units", "unit_id")
    _lead_child(
        "lead_contacts",
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("phone", sa.String(32), nullable=False),
        sa.Column("email", sa.String(200), nullable=False),
    )
    _lead_child(
        "lead_follow_ups",
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("happened_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("rent_per_m2_month", MONEY, nullable=True),
        sa.Column("property_fee_per_m2_month", MONEY, nullable=True),
        sa.Column("lease_start", sa.Date(), nullable=True),
        sa.Column("term_months", sa.Integer(), nullable=True),
        sa.Column("free_months", sa.Integer(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("created_by_id", ID, nullable=True),
        _fk("lead_follow_ups", "created_by_id", "users"),
        _one_of("lead_follow_ups", "kind", "follow_up_kind", KINDS),
    )
    _lead_child(
        "lead_stage_changes",
        sa.Column("from_stage", ENUM, nullable=True),
        sa.Column("to_stage", ENUM, nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("changed_at", INSTANT, nullable=False),
        sa.Column("changed_by_id", ID, nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        _fk("lead_stage_changes", "changed_by_id", "users"),
        _one_of("lead_stage_changes", "from_stage", "from_stage", STAGES),
        _one_of("lead_stage_changes", "to_stage", "to_stage", STAGES),
    )
    _lead_child(
        "lead_deposit_changes",
        sa.Column("status", ENUM, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("changed_at", INSTANT, nullable=False),
        sa.Column("changed_by_id", ID, nullable=True),
        sa.Column("ledger_ref", sa.String(64), nullable=True),
        _fk("lead_deposit_changes", "changed_by_id", "users"),
        _one_of("lead_deposit_changes", "status", "deposit_status", DEPOSITS),
    )


def downgrade() -> None:
    for table in (
        "lead_deposit_changes",
        "lead_stage_changes",
        "lead_follow_ups",
        "lead_contacts",
        "lead_units",
        "leads",
    ):
        op.drop_table(table)
