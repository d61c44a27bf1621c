"""Time series: readings lose their foreign key to meters and, on PostgreSQL, are partitioned by
month; energy rollups (15 minutes, hour, day) and the backlog of what they still have to take in.

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-22

Hand-checked against `cloud.models.metadata`; `tests/cloud/db/test_migrations.py` proves the
migrated schema and the models agree on SQLite and PostgreSQL (partitions live in a schema of
their own, which that comparison does not look into).
"""

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from cloud.energy import partitions, timescale
from cloud.settings import Settings

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
INSTANT = sa.DateTime(timezone=True)
FK_READINGS = "fk_readings_device_id_meters"
_COLUMNS = "device_id, metric, ts, value"


def upgrade() -> None:
    conn = op.get_bind()
    version = timescale.installed_version(conn) if conn.dialect.name == "postgresql" else None
    if version is not None:  # a hypertable, its policies and continuous aggregates
        op.execute(f"ALTER TABLE readings DROP CONSTRAINT {FK_READINGS}")
        for statement in timescale.setup_statements(version, zone=Settings().timezone):
            op.execute(statement)
    elif conn.dialect.name == "postgresql":
        _partition_readings()
    else:
        with op.batch_alter_table("readings") as batch:
            batch.drop_constraint(FK_READINGS, type_="foreignkey")
    op.create_table(
        "energy_rollups",
        sa.Column("width", sa.String(4), nullable=False),
        sa.Column("device_id", ID, nullable=False),
        sa.Column("bucket", INSTANT, nullable=False),
        sa.Column("kwh", sa.Double(), nullable=False),
        sa.Column("resets", sa.Integer(), nullable=False),
        sa.Column("readings", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("width", "device_id", "bucket", name="pk_energy_rollups"),
    )
    op.create_table(
        "energy_rollup_backlog",
        sa.Column("device_id", ID, nullable=False),
        sa.Column("day", INSTANT, nullable=False),
        sa.PrimaryKeyConstraint("device_id", "day", name="pk_energy_rollup_backlog"),
    )


def _partition_readings() -> None:
    """Rebuild `readings` as a table partitioned by month of ts, with the rows it held."""
    op.execute("ALTER TABLE readings RENAME TO readings_unpartitioned")
    op.execute("ALTER TABLE readings_unpartitioned RENAME CONSTRAINT pk_readings TO pk_old")
    op.execute(
        "CREATE TABLE readings (device_id bigint NOT NULL, metric varchar(64) NOT NULL, "
        "ts timestamptz NOT NULL, value double precision NOT NULL, "
        "CONSTRAINT pk_readings PRIMARY KEY (device_id, metric, ts)) PARTITION BY RANGE (ts)"
    )
    op.execute(f"CREATE SCHEMA IF NOT EXISTS {partitions.SCHEMA}")
    op.execute(
        f"CREATE TABLE {partitions.SCHEMA}.{partitions.DEFAULT} PARTITION OF readings DEFAULT"
    )
    conn = op.get_bind()
    span = conn.execute(sa.text("SELECT min(ts), max(ts) FROM readings_unpartitioned")).one()
    now = datetime.now(UTC)
    months = partitions.months_between(span[0] or now, span[1] or now)
    partitions.forget_known()
    partitions.ensure_months(conn, months)
    partitions.maintain(conn, now=now)
    op.execute(f"INSERT INTO readings ({_COLUMNS}) SELECT {_COLUMNS} FROM readings_unpartitioned")
    op.execute("DROP TABLE readings_unpartitioned")


def downgrade() -> None:
    op.drop_table("energy_rollup_backlog")
    op.drop_table("energy_rollups")
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        if timescale.installed_version(conn) is not None:
            for statement in timescale.teardown_statements():
                op.execute(statement)
        op.execute("ALTER TABLE readings RENAME TO readings_partitioned")
        op.execute("ALTER TABLE readings_partitioned RENAME CONSTRAINT pk_readings TO pk_old")
        op.execute(
            "CREATE TABLE readings (device_id bigint NOT NULL, metric varchar(64) NOT NULL, "
            "ts timestamptz NOT NULL, value double precision NOT NULL, "
            "CONSTRAINT pk_readings PRIMARY KEY (device_id, metric, ts), "
            f"CONSTRAINT {FK_READINGS} FOREIGN KEY (device_id) REFERENCES meters (id))"
        )
        op.execute(f"INSERT INTO readings ({_COLUMNS}) SELECT {_COLUMNS} FROM readings_partitioned")
        op.execute("DROP TABLE readings_partitioned")
        op.execute(f"DROP SCHEMA IF EXISTS {partitions.SCHEMA} CASCADE")
        partitions.forget_known()
    else:
        with op.batch_alter_table("readings") as batch:
            batch.create_foreign_key(FK_READINGS, "meters", ["device_id"], ["id"])
