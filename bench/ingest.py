"""Cloud ingest into PostgreSQL: batches through ingest_message, against raw binary COPY."""

import os
import uuid
from datetime import UTC, datetime, timedelta

import psycopg
from sqlalchemy.engine import make_url

from bench._report import report, timed
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.ingest.service import ingest_message
from cloud.seed import seed_demo
from parkops.demo import DEMO_SITE
from protocols import topics
from protocols.messages import DataBatch, ReadingRecord
from protocols.site_config import SiteConfig
from protocols.site_config_yaml import parse_site_config

BATCHES = 20
RECORDS_PER_BATCH = 500
VALUES = {"voltage": 229.8, "current": 12.31, "active_power": 2.83, "frequency": 50.01}
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _batches(site: SiteConfig) -> list[bytes]:
    devices = [device.code for _, device in site.meters()]
    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    payloads, seq = [], 0
    for _ in range(BATCHES):
        records = []
        for _ in range(RECORDS_PER_BATCH):
            seq += 1
            records.append(
                ReadingRecord(
                    agent=site.agent,
                    boot=1,
                    seq=seq,
                    device=devices[seq % len(devices)],
                    ts=t0 + timedelta(seconds=seq),
                    values={**VALUES, "energy_import": 1000 + seq / 100},
                )
            )
        batch = DataBatch(site=site.site, agent=site.agent, records=records)
        payloads.append(batch.model_dump_json().encode())
    return payloads


def _copy_limit(dsn: str, rows: list[tuple[int, str, datetime, float]]) -> float:
    """The limit: the same reading rows by binary COPY into a table shaped like `readings`."""
    with psycopg.connect(dsn) as conn:
        conn.execute("CREATE TABLE bench_readings (LIKE readings INCLUDING ALL)")
        conn.commit()

        def copy() -> None:
            with (
                conn.cursor() as cur,
                cur.copy(
                    "COPY bench_readings (device_id, metric, ts, value) FROM STDIN (FORMAT BINARY)"
                ) as copy,
            ):
                copy.set_types(["int8", "text", "timestamptz", "float8"])
                for row in rows:
                    copy.write_row(row)
            conn.commit()

        return timed(copy)


def main() -> None:
    base = make_url(os.environ.get("PARKOPS_BENCH_DATABASE_URL", DEFAULT_URL))
    admin = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"parkops_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = base.set(database=name).render_as_string(hide_password=False)
    dsn = base.set(drivername="postgresql", database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    try:
        upgrade(url)
        site = parse_site_config(DEMO_SITE.read_text(encoding="utf-8"), source=str(DEMO_SITE))
        sessions = make_sessionmaker(engine)
        with sessions.begin() as session:
            seed_demo(session=session, site=site)
        payloads = _batches(site)
        topic = topics.data(site.site, site.agent)

        def ingest_all() -> None:
            for payload in payloads:
                with sessions.begin() as session:
                    outcome = ingest_message(
                        session=session, topic=topic, payload=payload, received_at=datetime.now(UTC)
                    )
                    assert outcome.kind == "data", outcome.reason

        ingest_s = timed(ingest_all)
        with engine.connect() as db:
            query = "SELECT device_id, metric, ts, value FROM readings"
            rows = [(r[0], r[1], r[2], r[3]) for r in db.exec_driver_sql(query)]
        copy_s = _copy_limit(dsn, rows)
    finally:
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    records = BATCHES * RECORDS_PER_BATCH
    ingest_rate, copy_rate = len(rows) / ingest_s, len(rows) / copy_s
    report(
        "ingest",
        [
            (f"ingest_message, {RECORDS_PER_BATCH}-record batches", ingest_rate, "readings/s"),
            ("  the same as records", records / ingest_s, "records/s"),
            ("limit: binary COPY of the same rows", copy_rate, "readings/s"),
            ("ratio ingest / limit", ingest_rate / copy_rate, ""),
        ],
        {
            "readings": len(rows),
            "ingest_readings_per_s": round(ingest_rate),
            "copy_readings_per_s": round(copy_rate),
            "ratio": round(ingest_rate / copy_rate, 3),
        },
    )


if __name__ == "__main__":
    main()
