"""Properties: site kinds, floors as rows, unit areas and shop details, split/merge lineage,
unit files, and dated unit status and rent status histories.

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-22

Existing data moves over: each building gets a floor row per level its units stood on (named
"12F", "B1"), and each unit a status history rebuilt from its leases up to the org's today:
leased while a lease covered a day, vacant in between, the last period open (leased if a lease
covers today, else vacant). A unit with no lease starts vacant today. Hand-checked against
`cloud.models.metadata` by `tests/cloud/db/test_migrations.py`.
"""

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The column types of cloud.db.base, spelled out so this file never changes with the models.
ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
AREA = sa.Numeric(10, 2)
LENGTH = sa.Numeric(8, 2)
COORDINATE = sa.Numeric(9, 6)
UNIT_STATUSES = (
    "vacant",
    "reserved",
    "leased",
    "fitting_out",
    "awaiting_acceptance",
    "in_operation",
    "moving_out",
)
RENT_STATUSES = ("free_rent", "billing", "suspended")
ONE_DAY = timedelta(days=1)


def _id() -> sa.Column[int]:
    return sa.Column("id", ID, sa.Identity(always=False), nullable=False)


def _org(table: str) -> list[sa.Column[int] | sa.ForeignKeyConstraint]:
    return [sa.Column("org_id", ID, nullable=False), _fk(table, "org_id", "orgs")]


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}")
    )


def _in(name: str, column: str, values: Sequence[str]) -> sa.CheckConstraint:
    return sa.CheckConstraint(f"{column} IN {tuple(values)!r}", name=op.f(name))


def _index(table: str, *columns: str) -> None:
    for column in columns:
        op.create_index(op.f(f"ix_{table}_{column}"), table, [column])


def upgrade() -> None:
    op.create_table(
        "files",
        _id(),
        *_org("files"),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("uploaded_by_id", ID, nullable=False),
        sa.Column("uploaded_at", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_files")),
        _fk("files", "uploaded_by_id", "users"),
    )
    _index("files", "org_id", "uploaded_by_id")

    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("kind", sa.String(32), nullable=False, server_default="park"))
        batch.add_column(sa.Column("address", sa.String(300), nullable=True))
        batch.create_check_constraint(op.f("ck_sites_site_kind"), "kind IN ('park', 'street')")
    with op.batch_alter_table("sites") as batch:
        batch.alter_column("kind", server_default=None)

    op.create_table(
        "floors",
        _id(),
        *_org("floors"),
        sa.Column("building_id", ID, nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("plan_file_id", ID, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floors")),
        _fk("floors", "building_id", "buildings"),
        _fk("floors", "plan_file_id", "files"),
        sa.UniqueConstraint("building_id", "level", name=op.f("uq_floors_building_id_level")),
    )
    _index("floors", "org_id", "building_id", "plan_file_id")
    _floors_from_units()

    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("floor_id", ID, nullable=True))
        batch.add_column(sa.Column("kind", sa.String(32), nullable=False, server_default="office"))
        batch.add_column(sa.Column("gross_area_m2", AREA, nullable=True))
        batch.add_column(sa.Column("net_area_m2", AREA, nullable=True))
        batch.add_column(sa.Column("retired_on", sa.Date(), nullable=True))
    op.execute(
        "UPDATE units SET floor_id = (SELECT floors.id FROM floors "
        "WHERE floors.building_id = units.building_id AND floors.level = units.floor)"
    )
    with op.batch_alter_table("units") as batch:
        batch.alter_column("floor_id", existing_type=ID, nullable=False)
        batch.alter_column("kind", existing_type=sa.String(32), server_default=None)
        batch.drop_column("floor")
        batch.create_foreign_key(op.f("fk_units_floor_id_floors"), "floors", ["floor_id"], ["id"])
        batch.create_index(op.f("ix_units_floor_id"), ["floor_id"])
        batch.create_check_constraint(op.f("ck_units_unit_kind"), "kind IN ('office', 'shop')")

    op.create_table(
        "shop_details",
        sa.Column("unit_id", ID, nullable=False),
        *_org("shop_details"),
        sa.Column("street_address", sa.String(300), nullable=True),
        sa.Column("door_number", sa.String(64), nullable=True),
        sa.Column("latitude", COORDINATE, nullable=True),
        sa.Column("longitude", COORDINATE, nullable=True),
        sa.Column("frontage_m", LENGTH, nullable=True),
        sa.Column("floor_height_m", LENGTH, nullable=True),
        sa.Column("water", sa.Boolean(), nullable=False),
        sa.Column("power_kw", AREA, nullable=True),
        sa.Column("gas", sa.Boolean(), nullable=False),
        sa.Column("exhaust", sa.Boolean(), nullable=False),
        sa.Column("drainage", sa.Boolean(), nullable=False),
        sa.Column("catering_allowed", sa.Boolean(), nullable=False),
        sa.Column("loading_access", sa.Boolean(), nullable=False),
        sa.Column("ownership_certificate", sa.String(100), nullable=True),
        sa.PrimaryKeyConstraint("unit_id", name=op.f("pk_shop_details")),
        _fk("shop_details", "unit_id", "units"),
    )
    _index("shop_details", "org_id")
    op.create_table(
        "unit_origins",
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("origin_unit_id", ID, nullable=False),
        *_org("unit_origins"),
        sa.PrimaryKeyConstraint("unit_id", "origin_unit_id", name=op.f("pk_unit_origins")),
        _fk("unit_origins", "unit_id", "units"),
        _fk("unit_origins", "origin_unit_id", "units"),
    )
    _index("unit_origins", "org_id")
    op.create_table(
        "unit_files",
        _id(),
        *_org("unit_files"),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("file_id", ID, nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("caption", sa.String(200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_files")),
        _fk("unit_files", "unit_id", "units"),
        _fk("unit_files", "file_id", "files"),
        _in("ck_unit_files_file_kind", "kind", ("photo", "floor_plan")),
    )
    _index("unit_files", "org_id", "unit_id", "file_id")
    _period_table("unit_statuses", "unit_status", UNIT_STATUSES)
    _period_table("unit_rent_statuses", "rent_status", RENT_STATUSES)
    _statuses_from_leases()


def _period_table(table: str, enum_name: str, statuses: Sequence[str]) -> None:
    op.create_table(
        table,
        _id(),
        *_org(table),
        sa.Column("unit_id", ID, nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("until_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
        _fk(table, "unit_id", "units"),
        sa.UniqueConstraint("unit_id", "from_date", name=op.f(f"uq_{table}_unit_id_from_date")),
        sa.CheckConstraint("until_date > from_date", name=op.f(f"ck_{table}_dates_in_order")),
        _in(f"ck_{table}_{enum_name}", "status", statuses),
    )
    _index(table, "org_id", "unit_id")
    open_only = sa.text("until_date IS NULL")
    op.create_index(
        op.f(f"uq_{table}_open"),
        table,
        ["unit_id"],
        unique=True,
        sqlite_where=open_only,
        postgresql_where=open_only,
    )


def floor_name(level: int) -> str:
    if level > 0:
        return f"{level}F"
    return f"B{-level}" if level < 0 else "G"


def _floors_from_units() -> None:
    levels = op.get_bind().execute(
        sa.text("SELECT DISTINCT org_id, building_id, floor FROM units ORDER BY building_id, floor")
    )
    floors = sa.table(
        "floors",
        sa.column("org_id", ID),
        sa.column("building_id", ID),
        sa.column("level", sa.Integer()),
        sa.column("name", sa.String()),
    )
    rows = [
        {"org_id": org, "building_id": building, "level": level, "name": floor_name(level)}
        for org, building, level in levels
    ]
    if rows:
        op.bulk_insert(floors, rows)


def history_from_leases(
    leases: Sequence[tuple[date, date]], today: date
) -> list[tuple[str, date, date | None]]:
    """(status, from, until) of a unit from its leases' (first, last) days, up to `today`."""
    spans: list[list[date]] = []
    for first, last in sorted(lease for lease in leases if lease[0] <= today):
        if spans and first <= spans[-1][1] + ONE_DAY:
            spans[-1][1] = max(spans[-1][1], last)
        else:
            spans.append([first, last])
    if not spans:
        return [("vacant", today, None)]
    periods: list[tuple[str, date, date | None]] = []
    for (first, last), after in zip(spans, [*spans[1:], None], strict=True):
        if last >= today:
            periods.append(("leased", first, None))
            break
        periods.append(("leased", first, last + ONE_DAY))
        periods.append(("vacant", last + ONE_DAY, after[0] if after else None))
    return periods


def _statuses_from_leases() -> None:
    bind = op.get_bind()
    now = datetime.now(UTC)
    today_of = {
        org: now.astimezone(ZoneInfo(zone)).date()
        for org, zone in bind.execute(sa.text("SELECT id, timezone FROM orgs"))
    }
    leases: dict[int, list[tuple[date, date]]] = {}
    for unit, first, last in bind.execute(
        sa.text("SELECT unit_id, start_date, end_date FROM leases")
    ):
        leases.setdefault(unit, []).append((_date(first), _date(last)))
    statuses = sa.table(
        "unit_statuses",
        sa.column("org_id", ID),
        sa.column("unit_id", ID),
        sa.column("status", sa.String()),
        sa.column("from_date", sa.Date()),
        sa.column("until_date", sa.Date()),
    )
    rows = [
        {"org_id": org, "unit_id": unit, "status": status, "from_date": first, "until_date": until}
        for unit, org in bind.execute(sa.text("SELECT id, org_id FROM units"))
        for status, first, until in history_from_leases(leases.get(unit, []), today_of[org])
    ]
    if rows:
        op.bulk_insert(statuses, rows)


def _date(value: date | str) -> date:
    """A DATE as the driver returns it from raw SQL (SQLite: ISO text)."""
    return value if isinstance(value, date) else date.fromisoformat(value)


def downgrade() -> None:
    for table in ("unit_rent_statuses", "unit_statuses", "unit_files", "unit_origins"):
        op.drop_table(table)
    op.drop_table("shop_details")
    with op.batch_alter_table("units") as batch:
        batch.add_column(sa.Column("floor", sa.Integer(), nullable=True))
    op.execute(
        "UPDATE units SET floor = (SELECT level FROM floors WHERE floors.id = units.floor_id)"
    )
    with op.batch_alter_table("units") as batch:
        batch.alter_column("floor", existing_type=sa.Integer(), nullable=False)
        batch.drop_constraint(op.f("ck_units_unit_kind"), type_="check")
        batch.drop_index(op.f("ix_units_floor_id"))
        batch.drop_constraint(op.f("fk_units_floor_id_floors"), type_="foreignkey")
        for column in ("floor_id", "kind", "gross_area_m2", "net_area_m2", "retired_on"):
            batch.drop_column(column)
    op.drop_table("floors")
    with op.batch_alter_table("sites") as batch:
        batch.drop_constraint(op.f("ck_sites_site_kind"), type_="check")
        batch.drop_column("address")
        batch.drop_column("kind")
    op.drop_table("files")
