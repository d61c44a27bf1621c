"""Work orders: business calendars, categories and SLA targets, engineers' skills and
buildings, work orders with their history, materials, labour, photos and signatures,
escalations and pending charges.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22

Hand-checked against `cloud.models.metadata`; `tests/cloud/db/test_migrations.py` proves the
migrated schema and the models agree on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
CODE = sa.String(64)
NAME = sa.String(200)
MONEY = sa.Numeric(14, 2)
ENUM = sa.String(16)
PRIORITIES = ("urgent", "high", "normal", "low")
STATES = ("new", "assigned", "accepted", "in_progress", "on_hold", "done", "closed")


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, sa.Identity(always=False), nullable=False)


def _org(table: str) -> tuple[sa.Column[int], sa.ForeignKeyConstraint]:
    return sa.Column("org_id", ID, nullable=False), _fk(table, "org_id", "orgs")


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=f"fk_{table}_{column}_{target}")


def _one_of(table: str, column: str, values: tuple[str, ...]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN {values!r}", name=f"ck_{table}_{column}")


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    op.create_table(
        "work_calendars",
        _id(),
        *_org("work_calendars"),
        sa.Column("day_start", sa.Time(), nullable=False),
        sa.Column("day_end", sa.Time(), nullable=False),
        sa.Column("weekdays", sa.String(7), nullable=False),
        sa.Column("holiday_country", sa.String(8), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_work_calendars"),
        sa.UniqueConstraint("org_id", name="uq_work_calendars_org_id"),
    )
    op.create_table(
        "work_order_categories",
        _id(),
        *_org("work_order_categories"),
        sa.Column("code", CODE, nullable=False),
        sa.Column("name", NAME, nullable=False),
        sa.Column("supervisor_id", ID, nullable=True),
        sa.Column("labour_rate", MONEY, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_categories"),
        _fk("work_order_categories", "supervisor_id", "users"),
        sa.UniqueConstraint("org_id", "code", name="uq_work_order_categories_org_id_code"),
    )
    _index("work_order_categories", "org_id", "supervisor_id")
    op.create_table(
        "work_order_slas",
        _id(),
        *_org("work_order_slas"),
        sa.Column("category_id", ID, nullable=False),
        sa.Column("priority", ENUM, nullable=False),
        sa.Column("response_minutes", sa.Integer(), nullable=False),
        sa.Column("resolution_minutes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_slas"),
        _fk("work_order_slas", "category_id", "work_order_categories"),
        sa.UniqueConstraint(
            "category_id", "priority", name="uq_work_order_slas_category_id_priority"
        ),
        sa.CheckConstraint(
            "response_minutes > 0 AND resolution_minutes >= response_minutes",
            name="ck_work_order_slas_targets_in_order",
        ),
        _one_of("work_order_slas", "priority", PRIORITIES),
    )
    _index("work_order_slas", "org_id", "category_id")
    for table, column, target in (
        ("engineer_skills", "category_id", "work_order_categories"),
        ("engineer_buildings", "building_id", "buildings"),
    ):
        op.create_table(
            table,
            sa.Column("user_id", ID, nullable=False),
            sa.Column(column, ID, nullable=False),
            *_org(table),
            sa.PrimaryKeyConstraint("user_id", column, name=f"pk_{table}"),
            _fk(table, "user_id", "users"),
            _fk(table, column, target),
        )
        _index(table, "org_id")
    op.create_table(
        "work_orders",
        _id(),
        *_org("work_orders"),
        sa.Column("code", CODE, nullable=False),
        sa.Column("source", ENUM, nullable=False),
        sa.Column("category_id", ID, nullable=False),
        sa.Column("priority", ENUM, nullable=False),
        sa.Column("state", ENUM, nullable=False),
        sa.Column("title", NAME, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("tenant_id", ID, nullable=True),
        sa.Column("unit_id", ID, nullable=True),
        sa.Column("building_id", ID, nullable=True),
        sa.Column("location", NAME, nullable=True),
        sa.Column("alarm_key", NAME, nullable=True),
        sa.Column("alarm_count", sa.Integer(), nullable=False),
        sa.Column("last_alarm_at", INSTANT, nullable=True),
        sa.Column("reported_by_id", ID, nullable=True),
        sa.Column("assignee_id", ID, nullable=True),
        sa.Column("reported_at", INSTANT, nullable=False),
        sa.Column("response_due_at", INSTANT, nullable=False),
        sa.Column("resolution_due_at", INSTANT, nullable=False),
        sa.Column("responded_at", INSTANT, nullable=True),
        sa.Column("resolved_at", INSTANT, nullable=True),
        sa.Column("closed_at", INSTANT, nullable=True),
        sa.Column("chargeable", sa.Boolean(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("rating_comment", sa.Text(), nullable=True),
        sa.Column("rated_at", INSTANT, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_work_orders"),
        _fk("work_orders", "category_id", "work_order_categories"),
        _fk("work_orders", "tenant_id", "tenants"),
        _fk("work_orders", "unit_id", "units"),
        _fk("work_orders", "building_id", "buildings"),
        _fk("work_orders", "reported_by_id", "users"),
        _fk("work_orders", "assignee_id", "users"),
        sa.UniqueConstraint("org_id", "code", name="uq_work_orders_org_id_code"),
        sa.CheckConstraint(
            "rating IS NULL OR (rating >= 1 AND rating <= 5)", name="ck_work_orders_rating_range"
        ),
        _one_of("work_orders", "source", ("tenant", "staff", "alarm")),
        _one_of("work_orders", "priority", PRIORITIES),
        _one_of("work_orders", "state", STATES),
    )
    _index("work_orders", "org_id", "category_id", "tenant_id", "unit_id", "building_id")
    _index("work_orders", "assignee_id")
    open_alarm = sa.text("alarm_key IS NOT NULL AND state <> 'closed'")
    op.create_index(
        "uq_work_orders_open_alarm",
        "work_orders",
        ["org_id", "alarm_key"],
        unique=True,
        postgresql_where=open_alarm,
        sqlite_where=open_alarm,
    )
    op.create_table(
        "work_order_events",
        _id(),
        *_org("work_order_events"),
        sa.Column("work_order_id", ID, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("from_state", ENUM, nullable=True),
        sa.Column("to_state", ENUM, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_events"),
        _fk("work_order_events", "work_order_id", "work_orders"),
        _fk("work_order_events", "actor_id", "users"),
        _one_of(
            "work_order_events",
            "kind",
            ("created", "transition", "alarm_repeat", "escalated", "note"),
        ),
        _one_of("work_order_events", "from_state", STATES),
        _one_of("work_order_events", "to_state", STATES),
    )
    _index("work_order_events", "org_id", "work_order_id")
    op.create_table(
        "work_order_materials",
        _id(),
        *_org("work_order_materials"),
        sa.Column("work_order_id", ID, nullable=False),
        sa.Column("item", NAME, nullable=False),
        sa.Column("quantity", sa.Numeric(12, 3), nullable=False),
        sa.Column("unit_price", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_materials"),
        _fk("work_order_materials", "work_order_id", "work_orders"),
        _fk("work_order_materials", "recorded_by_id", "users"),
        sa.CheckConstraint(
            "quantity > 0 AND unit_price >= 0", name="ck_work_order_materials_positive"
        ),
    )
    _index("work_order_materials", "org_id", "work_order_id")
    op.create_table(
        "work_order_labour",
        _id(),
        *_org("work_order_labour"),
        sa.Column("work_order_id", ID, nullable=False),
        sa.Column("worker_id", ID, nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("hourly_rate", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_labour"),
        _fk("work_order_labour", "work_order_id", "work_orders"),
        _fk("work_order_labour", "worker_id", "users"),
        sa.CheckConstraint(
            "minutes > 0 AND hourly_rate >= 0", name="ck_work_order_labour_positive"
        ),
    )
    _index("work_order_labour", "org_id", "work_order_id")
    op.create_table(
        "work_order_attachments",
        _id(),
        *_org("work_order_attachments"),
        sa.Column("work_order_id", ID, nullable=False),
        sa.Column("kind", ENUM, nullable=False),
        sa.Column("filename", NAME, nullable=False),
        sa.Column("content_type", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by_id", ID, nullable=False),
        sa.Column("uploaded_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_attachments"),
        _fk("work_order_attachments", "work_order_id", "work_orders"),
        _fk("work_order_attachments", "uploaded_by_id", "users"),
        _one_of("work_order_attachments", "kind", ("photo", "signature")),
    )
    _index("work_order_attachments", "org_id", "work_order_id")
    op.create_table(
        "work_order_escalations",
        _id(),
        *_org("work_order_escalations"),
        sa.Column("work_order_id", ID, nullable=False),
        sa.Column("clock", ENUM, nullable=False),
        sa.Column("due_at", INSTANT, nullable=False),
        sa.Column("escalated_at", INSTANT, nullable=False),
        sa.Column("supervisor_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_escalations"),
        _fk("work_order_escalations", "work_order_id", "work_orders"),
        _fk("work_order_escalations", "supervisor_id", "users"),
        sa.UniqueConstraint(
            "work_order_id",
            "clock",
            "due_at",
            name="uq_work_order_escalations_work_order_id_clock_due_at",
        ),
        _one_of("work_order_escalations", "clock", ("response", "resolution")),
    )
    _index("work_order_escalations", "org_id", "work_order_id")
    op.create_table(
        "work_order_charges",
        _id(),
        *_org("work_order_charges"),
        sa.Column("work_order_id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=True),
        sa.Column("description", NAME, nullable=False),
        sa.Column("materials_amount", MONEY, nullable=False),
        sa.Column("labour_amount", MONEY, nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("currency", sa.String(3), nullable=False),
        sa.Column("status", ENUM, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_work_order_charges"),
        _fk("work_order_charges", "work_order_id", "work_orders"),
        _fk("work_order_charges", "tenant_id", "tenants"),
        _fk("work_order_charges", "unit_id", "units"),
        _one_of("work_order_charges", "status", ("pending", "billed", "void")),
    )
    _index("work_order_charges", "org_id", "work_order_id", "tenant_id")


def downgrade() -> None:
    for table in (
        "work_order_charges",
        "work_order_escalations",
        "work_order_attachments",
        "work_order_labour",
        "work_order_materials",
        "work_order_events",
        "work_orders",
        "engineer_buildings",
        "engineer_skills",
        "work_order_slas",
        "work_order_categories",
        "work_calendars",
    ):
        op.drop_table(table)
