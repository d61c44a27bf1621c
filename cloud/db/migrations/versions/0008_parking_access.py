"""Parking and access: gates, fee rules, vehicles, pass quotas and monthly passes, parking
sessions and their payments, allow-list versions, the event cursor; doors, people,
credentials, permissions, visitors and the door log.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22

Generated from `cloud.models.metadata` and checked by hand; `tests/cloud/db/test_migrations.py`
proves the migrated schema and the models agree on SQLite and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(f"ix_{table}_{column}", table, [column])


def upgrade() -> None:
    op.create_table(
        "event_cursors",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("last_event_id", ID, nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_event_cursors")),
    )
    op.create_table(
        "allow_list_versions",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("issued_at", INSTANT, nullable=False),
        sa.Column("plates", sa.Integer(), nullable=False),
        sa.Column("credentials", sa.Integer(), nullable=False),
        sa.Column("published_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_allow_list_versions_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_allow_list_versions_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_allow_list_versions")),
        sa.UniqueConstraint(
            "site_id", "version", name=op.f("uq_allow_list_versions_site_id_version")
        ),
    )
    _index("allow_list_versions", "org_id", "site_id")

    op.create_table(
        "doors",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_doors_org_id_orgs")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_doors_site_id_sites")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_doors")),
        sa.UniqueConstraint("site_id", "code", name=op.f("uq_doors_site_id_code")),
    )
    _index("doors", "org_id", "site_id")

    op.create_table(
        "parking_fee_rules",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("free_minutes", sa.Integer(), nullable=False),
        sa.Column("first_minutes", sa.Integer(), nullable=False),
        sa.Column("first_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("increment_minutes", sa.Integer(), nullable=False),
        sa.Column("increment_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("daily_cap", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("night_start", sa.Time(), nullable=True),
        sa.Column("night_end", sa.Time(), nullable=True),
        sa.Column("night_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("new_energy_discount", sa.Numeric(precision=5, scale=4), nullable=False),
        sa.Column("leave_minutes", sa.Integer(), nullable=False),
        sa.Column("review_after_days", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_parking_fee_rules_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_parking_fee_rules_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_fee_rules")),
        sa.UniqueConstraint("site_id", name=op.f("uq_parking_fee_rules_site_id")),
    )
    _index("parking_fee_rules", "org_id")

    op.create_table(
        "parking_gates",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "direction",
            sa.Enum(
                "entry",
                "exit",
                name="direction",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_parking_gates_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_parking_gates_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_gates")),
        sa.UniqueConstraint("site_id", "code", name=op.f("uq_parking_gates_site_id_code")),
    )
    _index("parking_gates", "org_id", "site_id")

    op.create_table(
        "parking_pass_quotas",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("max_passes", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "max_passes >= 0", name=op.f("ck_parking_pass_quotas_max_passes_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_parking_pass_quotas_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_parking_pass_quotas_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_parking_pass_quotas_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_pass_quotas")),
        sa.UniqueConstraint(
            "tenant_id", "site_id", name=op.f("uq_parking_pass_quotas_tenant_id_site_id")
        ),
    )
    _index("parking_pass_quotas", "org_id", "site_id", "tenant_id")

    op.create_table(
        "people",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_people_org_id_orgs")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_people_site_id_sites")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_people_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_people")),
    )
    _index("people", "org_id", "site_id", "tenant_id")

    op.create_table(
        "vehicles",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("tenant_id", ID, nullable=True),
        sa.Column("new_energy", sa.Boolean(), nullable=False),
        sa.Column("owner_name", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_vehicles_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_vehicles_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vehicles")),
        sa.UniqueConstraint("org_id", "plate", name=op.f("uq_vehicles_org_id_plate")),
    )
    _index("vehicles", "org_id", "tenant_id")

    op.create_table(
        "access_permissions",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.Column("days", sa.String(length=7), nullable=False),
        sa.Column("start", sa.Time(), nullable=True),
        sa.Column("end", sa.Time(), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_access_permissions_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_access_permissions_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_permissions")),
    )
    _index("access_permissions", "org_id", "person_id")

    op.create_table(
        "credentials",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "card",
                "qr",
                "pin",
                "ble",
                name="credential_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("identifier", sa.String(length=64), nullable=True),
        sa.Column("salt", sa.String(length=64), nullable=True),
        sa.Column("iterations", sa.Integer(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=True),
        sa.Column("valid_from", INSTANT, nullable=True),
        sa.Column("valid_until", INSTANT, nullable=True),
        sa.Column("revoked", sa.Boolean(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_credentials_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_credentials_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credentials")),
    )
    _index("credentials", "org_id", "person_id")

    op.create_table(
        "parking_passes",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("vehicle_id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column("grace_days", sa.Integer(), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.CheckConstraint("grace_days >= 0", name=op.f("ck_parking_passes_grace_not_negative")),
        sa.CheckConstraint("valid_to >= valid_from", name=op.f("ck_parking_passes_dates_in_order")),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_parking_passes_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_parking_passes_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_parking_passes_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_parking_passes_vehicle_id_vehicles")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_passes")),
        sa.UniqueConstraint("org_id", "code", name=op.f("uq_parking_passes_org_id_code")),
    )
    _index("parking_passes", "org_id", "site_id", "tenant_id", "vehicle_id")

    op.create_table(
        "parking_sessions",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("plate", sa.String(length=16), nullable=False),
        sa.Column("exit_plate", sa.String(length=16), nullable=True),
        sa.Column(
            "kind",
            sa.Enum(
                "temporary",
                "monthly",
                "tenant",
                "visitor",
                name="session_kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "closed",
                "review",
                "waived",
                name="session_state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("vehicle_id", ID, nullable=True),
        sa.Column("new_energy", sa.Boolean(), nullable=False),
        sa.Column("entry_gate_id", ID, nullable=True),
        sa.Column("exit_gate_id", ID, nullable=True),
        sa.Column("entered_at", INSTANT, nullable=True),
        sa.Column("exited_at", INSTANT, nullable=True),
        sa.Column("fee", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("paid", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_at", INSTANT, nullable=True),
        sa.Column("review_reason", sa.String(length=200), nullable=True),
        sa.Column("waived_reason", sa.Text(), nullable=True),
        sa.Column("waived_by_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["entry_gate_id"],
            ["parking_gates.id"],
            name=op.f("fk_parking_sessions_entry_gate_id_parking_gates"),
        ),
        sa.ForeignKeyConstraint(
            ["exit_gate_id"],
            ["parking_gates.id"],
            name=op.f("fk_parking_sessions_exit_gate_id_parking_gates"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_parking_sessions_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_parking_sessions_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["vehicle_id"], ["vehicles.id"], name=op.f("fk_parking_sessions_vehicle_id_vehicles")
        ),
        sa.ForeignKeyConstraint(
            ["waived_by_id"], ["users.id"], name=op.f("fk_parking_sessions_waived_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_sessions")),
    )
    _index(
        "parking_sessions",
        "entered_at",
        "entry_gate_id",
        "exit_gate_id",
        "org_id",
        "plate",
        "site_id",
        "vehicle_id",
    )

    op.create_table(
        "visitors",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("plate", sa.String(length=16), nullable=True),
        sa.Column("area", sa.String(length=64), nullable=False),
        sa.Column("valid_from", INSTANT, nullable=False),
        sa.Column("valid_until", INSTANT, nullable=False),
        sa.Column("salt", sa.String(length=64), nullable=False),
        sa.Column("iterations", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("cancelled", sa.Boolean(), nullable=False),
        sa.Column("created_by_id", ID, nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_visitors_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_visitors_org_id_orgs")),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_visitors_site_id_sites")),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name=op.f("fk_visitors_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visitors")),
        sa.UniqueConstraint("org_id", "code", name=op.f("uq_visitors_org_id_code")),
    )
    _index("visitors", "org_id", "site_id", "tenant_id")

    op.create_table(
        "parking_payments",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("session_id", ID, nullable=False),
        sa.Column("gate_id", ID, nullable=True),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("paid_at", INSTANT, nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_parking_payments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["gate_id"],
            ["parking_gates.id"],
            name=op.f("fk_parking_payments_gate_id_parking_gates"),
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_parking_payments_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["parking_sessions.id"],
            name=op.f("fk_parking_payments_session_id_parking_sessions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_parking_payments")),
    )
    _index("parking_payments", "gate_id", "org_id", "paid_at", "session_id")

    op.create_table(
        "door_events",
        sa.Column(
            "id",
            ID,
            sa.Identity(always=False),
            nullable=False,
        ),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("site_id", ID, nullable=False),
        sa.Column("event_id", ID, nullable=True),
        sa.Column("door", sa.String(length=64), nullable=False),
        sa.Column("event", sa.String(length=64), nullable=False),
        sa.Column("ts", INSTANT, nullable=False),
        sa.Column("person", sa.String(length=64), nullable=True),
        sa.Column("credential_kind", sa.String(length=16), nullable=True),
        sa.Column("credential_ref", sa.String(length=64), nullable=True),
        sa.Column("reason", sa.String(length=64), nullable=True),
        sa.Column("work_order_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_door_events_event_id_events")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_door_events_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_door_events_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name=op.f("fk_door_events_work_order_id_work_orders"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_door_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_door_events_event_id")),
    )
    _index("door_events", "org_id", "site_id", "ts", "work_order_id")


def downgrade() -> None:
    # Dropping a table drops its indexes.
    op.drop_table("door_events")
    op.drop_table("parking_payments")
    op.drop_table("visitors")
    op.drop_table("parking_sessions")
    op.drop_table("parking_passes")
    op.drop_table("credentials")
    op.drop_table("access_permissions")
    op.drop_table("vehicles")
    op.drop_table("people")
    op.drop_table("parking_pass_quotas")
    op.drop_table("parking_gates")
    op.drop_table("parking_fee_rules")
    op.drop_table("doors")
    op.drop_table("allow_list_versions")
    op.drop_table("event_cursors")
