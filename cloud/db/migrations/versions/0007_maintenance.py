"""Maintenance: the notification outbox (contacts, outbox, in-app inbox), the equipment
ledger with its history, preventive maintenance plans, inspections, and tenant services.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22

Rendered from `cloud.models.metadata` by Alembic and checked by hand;
`tests/cloud/db/test_migrations.py` proves the migrated schema and the models agree on SQLite
and PostgreSQL.
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


def upgrade() -> None:
    op.create_table(
        "notification_contacts",
        sa.Column("user_id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name="fk_notification_contacts_org_id_orgs"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notification_contacts_user_id_users"
        ),
        sa.PrimaryKeyConstraint("user_id", name="pk_notification_contacts"),
    )
    op.create_index(
        "ix_notification_contacts_org_id", "notification_contacts", ["org_id"], unique=False
    )
    op.create_table(
        "notification_outbox",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column(
            "channel",
            sa.Enum(
                "in_app",
                "email",
                "sms",
                name="channel",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "delivered",
                "failed",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", INSTANT, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("delivered_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_notification_outbox_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notification_outbox_user_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_outbox"),
    )
    op.create_index(
        "ix_notification_outbox_due",
        "notification_outbox",
        ["status", "next_attempt_at"],
        unique=False,
    )
    op.create_index(
        "ix_notification_outbox_org_id", "notification_outbox", ["org_id"], unique=False
    )
    op.create_index(
        "ix_notification_outbox_user_id", "notification_outbox", ["user_id"], unique=False
    )
    op.create_table(
        "notification_inbox",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("outbox_id", ID, nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=200), nullable=True),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.Column("read_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_notification_inbox_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["outbox_id"],
            ["notification_outbox.id"],
            name="fk_notification_inbox_outbox_id_notification_outbox",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_notification_inbox_user_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_notification_inbox"),
        sa.UniqueConstraint("outbox_id", name="uq_notification_inbox_outbox_id"),
    )
    op.create_index("ix_notification_inbox_org_id", "notification_inbox", ["org_id"], unique=False)
    op.create_index(
        "ix_notification_inbox_user_id", "notification_inbox", ["user_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("notification_inbox")
    op.drop_table("notification_outbox")
    op.drop_table("notification_contacts")
