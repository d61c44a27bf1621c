"""Maintenance: the notification outbox (contacts, outbox, in-app inbox), the equipment
ledger with its history, preventive maintenance plans, inspections, and tenant services.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-22

Rendered from `cloud.models.metadata` by Alembic and checked by hand;
`tests/cloud/db/test_migrations.py` proves the migrated schema and the models agree on SQLite
and PostgreSQL.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
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
        "inspection_checklists",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name="fk_inspection_checklists_org_id_orgs"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_checklists"),
        sa.UniqueConstraint("org_id", "code", name="uq_inspection_checklists_org_id_code"),
    )
    _index("inspection_checklists", "org_id")
    op.create_table(
        "inspection_routes",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_inspection_routes_org_id_orgs"),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_routes"),
        sa.UniqueConstraint("org_id", "code", name="uq_inspection_routes_org_id_code"),
    )
    _index("inspection_routes", "org_id")
    op.create_table(
        "surveys",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("questions", sa.JSON(), nullable=False),
        sa.Column("open", sa.Boolean(), nullable=False),
        sa.Column("created_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_surveys_org_id_orgs"),
        sa.PrimaryKeyConstraint("id", name="pk_surveys"),
    )
    _index("surveys", "org_id")
    op.create_table(
        "inspection_rounds",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("route_id", ID, nullable=False),
        sa.Column("inspector_id", ID, nullable=False),
        sa.Column("started_at", INSTANT, nullable=False),
        sa.Column("finished_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["inspector_id"], ["users.id"], name="fk_inspection_rounds_inspector_id_users"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_inspection_rounds_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["inspection_routes.id"],
            name="fk_inspection_rounds_route_id_inspection_routes",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_rounds"),
    )
    _index("inspection_rounds", "inspector_id", "org_id", "route_id")
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
    _index("notification_contacts", "org_id")
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
    _index("notification_outbox", "org_id", "user_id")
    op.create_table(
        "service_requests",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "cleaning",
                "plants",
                "parcel",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("wanted_on", sa.Date(), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "accepted",
                "done",
                "cancelled",
                name="state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("requested_by_id", ID, nullable=False),
        sa.Column("requested_at", INSTANT, nullable=False),
        sa.Column("handled_by_id", ID, nullable=True),
        sa.Column("done_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(
            ["handled_by_id"], ["users.id"], name="fk_service_requests_handled_by_id_users"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_service_requests_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["requested_by_id"], ["users.id"], name="fk_service_requests_requested_by_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_service_requests_tenant_id_tenants"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_service_requests"),
        sa.UniqueConstraint("org_id", "code", name="uq_service_requests_org_id_code"),
    )
    _index("service_requests", "org_id", "tenant_id")
    op.create_table(
        "survey_responses",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("survey_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("answered_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_survey_responses_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["survey_id"], ["surveys.id"], name="fk_survey_responses_survey_id_surveys"
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_survey_responses_tenant_id_tenants"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_survey_responses_user_id_users"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_survey_responses"),
        sa.UniqueConstraint("survey_id", "user_id", name="uq_survey_responses_survey_id_user_id"),
    )
    _index("survey_responses", "org_id", "survey_id")
    op.create_table(
        "tenant_notices",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column(
            "audience",
            sa.Enum(
                "all",
                "site",
                "building",
                name="audience",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("site_id", ID, nullable=True),
        sa.Column("building_id", ID, nullable=True),
        sa.Column("published_by_id", ID, nullable=False),
        sa.Column("published_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name="fk_tenant_notices_building_id_buildings"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_tenant_notices_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["published_by_id"], ["users.id"], name="fk_tenant_notices_published_by_id_users"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name="fk_tenant_notices_site_id_sites"),
        sa.PrimaryKeyConstraint("id", name="pk_tenant_notices"),
    )
    _index("tenant_notices", "org_id")
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
    _index("notification_inbox", "org_id", "user_id")
    op.create_table(
        "tenant_notice_receipts",
        sa.Column("notice_id", ID, nullable=False),
        sa.Column("user_id", ID, nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("read_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["notice_id"],
            ["tenant_notices.id"],
            name="fk_tenant_notice_receipts_notice_id_tenant_notices",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name="fk_tenant_notice_receipts_org_id_orgs"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name="fk_tenant_notice_receipts_user_id_users"
        ),
        sa.PrimaryKeyConstraint("notice_id", "user_id", name="pk_tenant_notice_receipts"),
    )
    _index("tenant_notice_receipts", "org_id")
    op.create_table(
        "equipment",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "lift",
                "hvac",
                "fire",
                "pump",
                "power",
                "other",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("building_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=True),
        sa.Column("location", sa.String(length=200), nullable=True),
        sa.Column(
            "status",
            sa.Enum(
                "in_service",
                "faulty",
                "maintenance",
                "retired",
                name="status",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("installed_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name="fk_equipment_building_id_buildings"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_equipment_org_id_orgs"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_equipment_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_equipment"),
        sa.UniqueConstraint("org_id", "code", name="uq_equipment_org_id_code"),
    )
    _index("equipment", "building_id", "org_id", "unit_id")
    op.create_table(
        "fit_outs",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("contractor", sa.String(length=200), nullable=False),
        sa.Column("planned_start", sa.Date(), nullable=False),
        sa.Column("planned_end", sa.Date(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "submitted",
                "engineering",
                "approved",
                "rejected",
                "completed",
                name="state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("deposit_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("deposit_recorded_at", INSTANT, nullable=True),
        sa.Column("submitted_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_fit_outs_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_fit_outs_tenant_id_tenants"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_fit_outs_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_fit_outs"),
        sa.UniqueConstraint("org_id", "code", name="uq_fit_outs_org_id_code"),
    )
    _index("fit_outs", "org_id", "tenant_id", "unit_id")
    op.create_table(
        "move_outs",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("tenant_id", ID, nullable=False),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("checklist", sa.JSON(), nullable=False),
        sa.Column("final_readings", sa.JSON(), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "settled",
                name="state",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("deposit_held", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("deductions", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("refund", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("settled_at", INSTANT, nullable=True),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_move_outs_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.id"], name="fk_move_outs_tenant_id_tenants"
        ),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name="fk_move_outs_unit_id_units"),
        sa.PrimaryKeyConstraint("id", name="pk_move_outs"),
        sa.UniqueConstraint("org_id", "code", name="uq_move_outs_org_id_code"),
    )
    _index("move_outs", "org_id", "tenant_id", "unit_id")
    op.create_table(
        "equipment_events",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("equipment_id", ID, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column(
            "kind",
            sa.Enum(
                "created",
                "status",
                "work_order",
                "maintenance",
                "reading",
                name="kind",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("actor_id", ID, nullable=True),
        sa.Column("work_order_id", ID, nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name="fk_equipment_events_actor_id_users"
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"], ["equipment.id"], name="fk_equipment_events_equipment_id_equipment"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_equipment_events_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name="fk_equipment_events_work_order_id_work_orders",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_equipment_events"),
    )
    _index("equipment_events", "equipment_id", "org_id", "work_order_id")
    op.create_table(
        "equipment_readings",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("equipment_id", ID, nullable=False),
        sa.Column("metric", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Numeric(precision=14, scale=3), nullable=False),
        sa.Column("read_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["equipment_id"], ["equipment.id"], name="fk_equipment_readings_equipment_id_equipment"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_equipment_readings_org_id_orgs"),
        sa.PrimaryKeyConstraint("id", name="pk_equipment_readings"),
    )
    _index("equipment_readings", "equipment_id", "org_id")
    op.create_table(
        "fit_out_drawings",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("fit_out_id", ID, nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["fit_out_id"], ["fit_outs.id"], name="fk_fit_out_drawings_fit_out_id_fit_outs"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_fit_out_drawings_org_id_orgs"),
        sa.PrimaryKeyConstraint("id", name="pk_fit_out_drawings"),
    )
    _index("fit_out_drawings", "fit_out_id", "org_id")
    op.create_table(
        "fit_out_steps",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("fit_out_id", ID, nullable=False),
        sa.Column(
            "step",
            sa.Enum(
                "submitted",
                "engineering",
                "approved",
                "rejected",
                "completed",
                name="step",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("approved", sa.Boolean(), nullable=False),
        sa.Column("by_id", ID, nullable=False),
        sa.Column("at", INSTANT, nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["by_id"], ["users.id"], name="fk_fit_out_steps_by_id_users"),
        sa.ForeignKeyConstraint(
            ["fit_out_id"], ["fit_outs.id"], name="fk_fit_out_steps_fit_out_id_fit_outs"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_fit_out_steps_org_id_orgs"),
        sa.PrimaryKeyConstraint("id", name="pk_fit_out_steps"),
    )
    _index("fit_out_steps", "fit_out_id", "org_id")
    op.create_table(
        "inspection_checkpoints",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("route_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("checklist_id", ID, nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column("building_id", ID, nullable=True),
        sa.Column("unit_id", ID, nullable=True),
        sa.Column("equipment_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["building_id"],
            ["buildings.id"],
            name="fk_inspection_checkpoints_building_id_buildings",
        ),
        sa.ForeignKeyConstraint(
            ["checklist_id"],
            ["inspection_checklists.id"],
            name="fk_inspection_checkpoints_checklist_id_inspection_checklists",
        ),
        sa.ForeignKeyConstraint(
            ["equipment_id"],
            ["equipment.id"],
            name="fk_inspection_checkpoints_equipment_id_equipment",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name="fk_inspection_checkpoints_org_id_orgs"
        ),
        sa.ForeignKeyConstraint(
            ["route_id"],
            ["inspection_routes.id"],
            name="fk_inspection_checkpoints_route_id_inspection_routes",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name="fk_inspection_checkpoints_unit_id_units"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_checkpoints"),
        sa.UniqueConstraint("route_id", "code", name="uq_inspection_checkpoints_route_id_code"),
        sa.UniqueConstraint("token", name="uq_inspection_checkpoints_token"),
    )
    _index("inspection_checkpoints", "org_id", "route_id")
    op.create_table(
        "maintenance_plans",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("equipment_id", ID, nullable=False),
        sa.Column("category_code", sa.String(length=64), nullable=False),
        sa.Column(
            "trigger",
            sa.Enum(
                "calendar",
                "meter",
                name="trigger",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=False,
        ),
        sa.Column("every", sa.Integer(), nullable=False),
        sa.Column(
            "every_unit",
            sa.Enum(
                "day",
                "week",
                "month",
                name="every_unit",
                native_enum=False,
                create_constraint=True,
                length=16,
            ),
            nullable=True,
        ),
        sa.Column("weekday", sa.Integer(), nullable=True),
        sa.Column("next_due_on", sa.Date(), nullable=True),
        sa.Column("metric", sa.String(length=64), nullable=True),
        sa.Column("every_value", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("next_due_value", sa.Numeric(precision=14, scale=3), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["equipment_id"], ["equipment.id"], name="fk_maintenance_plans_equipment_id_equipment"
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_maintenance_plans_org_id_orgs"),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_plans"),
        sa.UniqueConstraint("org_id", "code", name="uq_maintenance_plans_org_id_code"),
    )
    _index("maintenance_plans", "equipment_id", "org_id")
    op.create_table(
        "inspection_results",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("round_id", ID, nullable=False),
        sa.Column("checkpoint_id", ID, nullable=False),
        sa.Column("recorded_at", INSTANT, nullable=False),
        sa.Column("failed_items", sa.JSON(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("work_order_id", ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["checkpoint_id"],
            ["inspection_checkpoints.id"],
            name="fk_inspection_results_checkpoint_id_inspection_checkpoints",
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_inspection_results_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["inspection_rounds.id"],
            name="fk_inspection_results_round_id_inspection_rounds",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name="fk_inspection_results_work_order_id_work_orders",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_results"),
        sa.UniqueConstraint(
            "round_id", "checkpoint_id", name="uq_inspection_results_round_id_checkpoint_id"
        ),
    )
    _index("inspection_results", "checkpoint_id", "org_id", "round_id")
    op.create_table(
        "maintenance_occurrences",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("plan_id", ID, nullable=False),
        sa.Column("due_key", sa.String(length=64), nullable=False),
        sa.Column("work_order_id", ID, nullable=False),
        sa.Column("opened_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name="fk_maintenance_occurrences_org_id_orgs"
        ),
        sa.ForeignKeyConstraint(
            ["plan_id"],
            ["maintenance_plans.id"],
            name="fk_maintenance_occurrences_plan_id_maintenance_plans",
        ),
        sa.ForeignKeyConstraint(
            ["work_order_id"],
            ["work_orders.id"],
            name="fk_maintenance_occurrences_work_order_id_work_orders",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_maintenance_occurrences"),
        sa.UniqueConstraint(
            "plan_id", "due_key", name="uq_maintenance_occurrences_plan_id_due_key"
        ),
    )
    _index("maintenance_occurrences", "org_id", "plan_id")
    op.create_table(
        "inspection_photos",
        sa.Column("id", ID, sa.Identity(always=False), nullable=False),
        sa.Column("org_id", ID, nullable=False),
        sa.Column("result_id", ID, nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_at", INSTANT, nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name="fk_inspection_photos_org_id_orgs"),
        sa.ForeignKeyConstraint(
            ["result_id"],
            ["inspection_results.id"],
            name="fk_inspection_photos_result_id_inspection_results",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_inspection_photos"),
    )
    _index("inspection_photos", "org_id", "result_id")


def downgrade() -> None:
    op.drop_table("inspection_photos")
    op.drop_table("maintenance_occurrences")
    op.drop_table("inspection_results")
    op.drop_table("maintenance_plans")
    op.drop_table("inspection_checkpoints")
    op.drop_table("fit_out_steps")
    op.drop_table("fit_out_drawings")
    op.drop_table("equipment_readings")
    op.drop_table("equipment_events")
    op.drop_table("move_outs")
    op.drop_table("fit_outs")
    op.drop_table("equipment")
    op.drop_table("tenant_notice_receipts")
    op.drop_table("notification_inbox")
    op.drop_table("tenant_notices")
    op.drop_table("survey_responses")
    op.drop_table("service_requests")
    op.drop_table("notification_outbox")
    op.drop_table("notification_contacts")
    op.drop_table("inspection_rounds")
    op.drop_table("surveys")
    op.drop_table("inspection_routes")
    op.drop_table("inspection_checklists")
