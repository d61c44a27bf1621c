"""Payments: merchant accounts at online providers, payment orders and every notification
received, bank statements with their lines and matches, invoice requests, invoices and their
gap-free counters.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-22

Hand-checked against `cloud.models.metadata`; `tests/cloud/db/test_migrations.py` proves the
migrated schema and the models agree on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import SchemaItem

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
CODE = sa.String(64)
NAME = sa.String(200)
MONEY = sa.Numeric(14, 2)
ENUM = sa.String(16)
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


def _one_of(table: str, column: str, name: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN {values!r}", name=f"ck_{table}_{name}")


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    _online()
    _statements()
    _invoices()


def _online() -> None:
    t = "payment_accounts"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        sa.Column("code", CODE, nullable=False),
        sa.Column("channel", ENUM, nullable=False),
        sa.Column("app_id", sa.String(64), nullable=False),
        sa.Column("gateway_url", sa.String(500), nullable=False),
        sa.Column("notify_base_url", sa.String(500), nullable=False),
        sa.Column("merchant_private_pem", sa.Text(), nullable=False),
        sa.Column("gateway_public_pem", sa.Text(), nullable=False),
        *_ref(t, "posted_by_id", "users"),
        sa.Column("active", sa.Boolean(), nullable=False),
        _one_of(t, "channel", "channel", ("wechat", "alipay")),
        _pk(t),
        _unique(t, "org_id", "code"),
        _unique(t, "app_id"),
    )
    _index(t, "org_id")
    t = "payment_orders"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "tenant_id", "tenants"),
        *_ref(t, "account_id", "payment_accounts"),
        sa.Column("out_trade_no", sa.String(32), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("bill_codes", JSON, nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("pay_url", sa.String(500), nullable=False),
        sa.Column("qr_payload", sa.String(500), nullable=False),
        sa.Column("transaction_id", sa.String(64), nullable=True),
        *_ref(t, "ledger_entry_id", "ledger_entries", nullable=True),
        sa.Column("paid_at", INSTANT, nullable=True),
        *_ref(t, "created_by_id", "users"),
        sa.Column("created_at", INSTANT, nullable=False),
        _one_of(t, "status", "order_status", ("pending", "paid", "closed")),
        _pk(t),
        _unique(t, "out_trade_no"),
        _unique(t, "transaction_id"),
    )
    _index(t, "org_id", "tenant_id", "account_id")
    t = "payment_notifications"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "account_id", "payment_accounts"),
        *_ref(t, "order_id", "payment_orders", nullable=True),
        sa.Column("notification_id", sa.String(64), nullable=False),
        sa.Column("transaction_id", sa.String(64), nullable=True),
        sa.Column("trade_state", ENUM, nullable=False),
        sa.Column("outcome", ENUM, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("received_at", INSTANT, nullable=False),
        _one_of(t, "outcome", "outcome", ("applied", "duplicate", "ignored", "rejected")),
        _pk(t),
    )
    _index(t, "org_id", "account_id", "order_id")


def _statements() -> None:
    t = "bank_statements"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        sa.Column("filename", NAME, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("lines_added", sa.Integer(), nullable=False),
        sa.Column("bad_rows", JSON, nullable=False),
        *_ref(t, "imported_by_id", "users"),
        sa.Column("imported_at", INSTANT, nullable=False),
        _pk(t),
        _unique(t, "org_id", "sha256"),
    )
    _index(t, "org_id")
    t = "bank_statement_lines"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "statement_id", "bank_statements"),
        sa.Column("row_no", sa.Integer(), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("booked_on", sa.Date(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("payer_name", NAME, nullable=False),
        sa.Column("reference", NAME, nullable=False),
        sa.Column("bank_txn_id", sa.String(64), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        *_ref(t, "suggested_tenant_id", "tenants", nullable=True),
        sa.Column("confidence", sa.Numeric(4, 3), nullable=False),
        sa.Column("match_reasons", JSON, nullable=False),
        *_ref(t, "tenant_id", "tenants", nullable=True),
        *_ref(t, "ledger_entry_id", "ledger_entries", nullable=True),
        *_ref(t, "decided_by_id", "users", nullable=True),
        _one_of(t, "status", "line_status", ("matched", "queued", "confirmed", "dismissed")),
        _pk(t),
        _unique(t, "org_id", "fingerprint"),
    )
    _index(t, "org_id", "statement_id", "tenant_id")


def _invoices() -> None:
    t = "invoice_requests"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "tenant_id", "tenants"),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("description", NAME, nullable=False),
        sa.Column("buyer_name", NAME, nullable=False),
        sa.Column("tax_id", sa.String(32), nullable=False),
        sa.Column("address", sa.String(300), nullable=False),
        sa.Column("bank", sa.String(300), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        *_ref(t, "requested_by_id", "users"),
        sa.Column("requested_at", INSTANT, nullable=False),
        _one_of(t, "status", "invoice_status", ("requested", "issued")),
        _pk(t),
    )
    _index(t, "org_id", "tenant_id")
    t = "invoice_counters"
    op.create_table(
        t,
        *_ref(t, "org_id", "orgs"),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last_seq", sa.Integer(), nullable=False),
        _pk(t, "org_id", "year"),
    )
    t = "invoices"
    op.create_table(
        t,
        _id(),
        *_ref(t, "org_id", "orgs"),
        *_ref(t, "request_id", "invoice_requests"),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(32), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("content_type", CODE, nullable=False),
        sa.Column("document", sa.Text(), nullable=False),
        *_ref(t, "issued_by_id", "users"),
        _pk(t),
        _unique(t, "org_id", "number"),
        _unique(t, "org_id", "year", "seq"),
        _unique(t, "request_id"),
    )
    _index(t, "org_id")


def downgrade() -> None:
    for table in (
        "invoices",
        "invoice_counters",
        "invoice_requests",
        "bank_statement_lines",
        "bank_statements",
        "payment_notifications",
        "payment_orders",
        "payment_accounts",
    ):
        op.drop_table(table)
