"""Energy rollups kept current by a job: per meter, the rise of its energy register in every
15-minute bucket, hour and org-local day (`EnergyRollup`), recomputed only for the meters and
days that got readings since the last run (`RollupBacklog`).

A reading belongs to the bucket holding its ts; a bucket's energy is the register at its last
reading minus the register at the reading before its first, so buckets telescope to the
register difference of any span. A step down (meter replaced, register rolled over) counts the
new value as that step's rise and is counted in `resets`. One SQL path for both databases; only
the bucket expressions differ (`date_bin` on PostgreSQL, text arithmetic on SQLite).
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import BindParameter, Connection, TextClause, bindparam, delete, select, text
from sqlalchemy.orm import Session

from cloud.db.base import UTCDateTime
from cloud.db.upsert import insert_ignoring_duplicates
from cloud.energy.models import EnergyRollup, Meter, RollupBacklog
from cloud.identity.models import Org
from protocols.profiles import ENERGY_IMPORT

WIDTHS = ("15m", "1h", "1d")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
WORK_MEM = "64MB"

_AMONG = {
    "postgresql": "device_id = ANY(CAST(:devices AS bigint[]))",
    "sqlite": "device_id IN (SELECT value FROM json_each(:devices))",
}
_BEFORE = {
    # The newest reading before `a` of each meter: one index probe each.
    "postgresql": f"""
    SELECT p.device_id, p.ts, p.value FROM unnest(CAST(:devices AS bigint[])) AS d (id)
    CROSS JOIN LATERAL (
        SELECT device_id, ts, value FROM readings
        WHERE device_id = d.id AND metric = '{ENERGY_IMPORT}' AND ts < :a
        ORDER BY ts DESC LIMIT 1
    ) AS p""",
    # SQLite takes a bare column beside max() from the row that holds the max.
    "sqlite": f"""
    SELECT device_id, max(ts) AS ts, value FROM readings
    WHERE {_AMONG["sqlite"]} AND metric = '{ENERGY_IMPORT}' AND ts < :a
    GROUP BY device_id""",
}


def steps(dialect: str) -> str:
    """A `steps` CTE: the energy register's readings of the meters `:devices` in [a, b), and
    each meter's reading before `a`, so the first reading in the span has the step (`diff`)
    that leads to it. Shared by the rollups and period consumption."""
    return f"""
WITH before AS ({_BEFORE[dialect]}
), span AS (
    SELECT device_id, ts, value FROM before
    UNION ALL
    SELECT device_id, ts, value FROM readings
    WHERE {_AMONG[dialect]} AND metric = '{ENERGY_IMPORT}' AND ts >= :a AND ts < :b
), steps AS (
    SELECT device_id, ts, value,
           value - lag(value) OVER (PARTITION BY device_id ORDER BY ts) AS diff
    FROM span
)
"""


def devices_param(dialect: str, device_ids: Iterable[int]) -> object:
    """`:devices` as each database takes a list: an array, or JSON for SQLite's json_each."""
    ids = sorted(device_ids)
    return ids if dialect == "postgresql" else json.dumps(ids)


RISE = "CASE WHEN diff IS NULL THEN 0 WHEN diff < 0 THEN value ELSE diff END"
DROP = "CASE WHEN diff < 0 THEN 1 ELSE 0 END"


@dataclass(frozen=True)
class Buckets:
    """SQL templates for the start of the 15-minute bucket, hour and org-local day of the
    instant `{t}`, their colons escaped for `text()` (which would take `:00` for a parameter)."""

    quarter: str
    hour: str
    day: str

    def of(self, width: str, column: str) -> str:
        template = {"15m": self.quarter, "1h": self.hour, "1d": self.day}[width]
        return template.replace(":", r"\:").replace("{t}", column)


def buckets(dialect: str, zone: ZoneInfo) -> Buckets:
    if dialect == "postgresql":
        origin = "TIMESTAMPTZ '2000-01-01 00:00:00+00'"
        return Buckets(
            quarter=f"date_bin(INTERVAL '15 minutes', {{t}}, {origin})",
            hour=f"date_bin(INTERVAL '1 hour', {{t}}, {origin})",
            day=f"date_trunc('day', {{t}}, '{zone.key}')",
        )
    # SQLite holds instants as UTC text 'YYYY-MM-DD HH:MM:SS.ffffff', so a bucket is text too.
    # Its days use the zone's offset of today: exact for zones without daylight saving time.
    offset = int((datetime.now(zone).utcoffset() or timedelta()).total_seconds() // 60)
    return Buckets(
        quarter="strftime('%Y-%m-%d %H:', {t}) || "
        "printf('%02d', CAST(strftime('%M', {t}) AS INTEGER) / 15 * 15) || ':00.000000'",
        hour="strftime('%Y-%m-%d %H:00:00.000000', {t})",
        day=f"datetime(date({{t}}, '{offset:+d} minutes'), '{-offset:+d} minutes') || '.000000'",
    )


def instant_params() -> tuple[BindParameter[datetime], ...]:
    """`:a` and `:b` of the statements here, bound as instants (UTC text on SQLite)."""
    return bindparam("a", type_=UTCDateTime()), bindparam("b", type_=UTCDateTime())


def _bound(statement: str) -> TextClause:
    return text(statement).bindparams(*instant_params())


def recompute(
    conn: Connection, *, device_ids: list[int], zone: ZoneInfo, a: datetime, b: datetime
) -> None:
    """Replace the meters' rollups of every width with buckets in [a, b); `a` and `b` are
    org-local midnights, so every bucket in the range is whole."""
    dialect = conn.dialect.name
    sql, among = buckets(dialect, zone), _AMONG[dialect]
    params = {"devices": devices_param(dialect, device_ids), "a": a, "b": b}
    if dialect == "postgresql":  # sorting a building's month in memory, not in temp files
        conn.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    conn.execute(
        delete(EnergyRollup).where(
            EnergyRollup.device_id.in_(device_ids),
            EnergyRollup.bucket >= a,
            EnergyRollup.bucket < b,
        )
    )
    quarter = sql.of("15m", "ts")
    conn.execute(
        _bound(
            steps(dialect)
            + "INSERT INTO energy_rollups (width, device_id, bucket, kwh, resets, readings) "
            f"SELECT '15m', device_id, {quarter}, sum({RISE}), sum({DROP}), count(*) "
            f"FROM steps WHERE ts >= :a GROUP BY device_id, {quarter}"
        ),
        params,
    )
    for width in ("1h", "1d"):
        expression = sql.of(width, "bucket")
        conn.execute(
            _bound(
                "INSERT INTO energy_rollups (width, device_id, bucket, kwh, resets, readings) "
                f"SELECT '{width}', device_id, {expression}, sum(kwh), sum(resets), sum(readings) "
                f"FROM energy_rollups WHERE width = '15m' AND {among} "
                f"AND bucket >= :a AND bucket < :b GROUP BY device_id, {expression}"
            ),
            params,
        )


def direct(
    conn: Connection, *, device_ids: list[int], zone: ZoneInfo, width: str, a: datetime, b: datetime
) -> dict[datetime, tuple[float, int, int]]:
    """What the rollups of the meters hold for buckets in [a, b) (summed over the meters, before
    CT ratios), computed from the readings: for tests, and the `queries` benchmark."""
    dialect = conn.dialect.name
    bucket = buckets(dialect, zone).of(width, "ts")
    rows = conn.execute(
        _bound(
            steps(dialect) + f"SELECT {bucket}, sum({RISE}), sum({DROP}), count(*) FROM steps "
            f"WHERE ts >= :a GROUP BY {bucket}"
        ),
        {"devices": devices_param(dialect, device_ids), "a": a, "b": b},
    )
    return {_aware(at): (kwh, resets, n) for at, kwh, resets, n in rows}


def local_midnight(at: datetime, zone: ZoneInfo, *, after: bool = False) -> datetime:
    """The org-local midnight at or before `at` (`after`: the first one after it)."""
    day = at.astimezone(zone).date() + timedelta(days=1 if after else 0)
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def refresh(*, session: Session) -> int:
    """The job: bring the rollups up to date with the backlog, and empty it; returns how many
    (meter, day) entries it took. Flushes, never commits (the caller's transaction makes the
    backlog and the rollups change together)."""
    taken = list(
        session.execute(delete(RollupBacklog).returning(RollupBacklog.device_id, RollupBacklog.day))
    )
    by_device: dict[int, list[datetime]] = {}
    for device_id, day in taken:
        by_device.setdefault(device_id, []).append(day)
    zones = _zones(session, by_device)
    spans: dict[tuple[datetime, datetime, ZoneInfo], list[int]] = {}
    for device_id, days in sorted(by_device.items()):
        if device_id not in zones:  # a meter deleted since its readings came
            continue
        for a, b in _spans(sorted(days)):
            spans.setdefault((a, b, zones[device_id]), []).append(device_id)
    conn = session.connection()
    for (a, b, zone), device_ids in spans.items():  # usually one: today, for every meter
        rebuild(conn, device_ids=device_ids, zone=zone, start=a, end=b)
    return len(taken)


def rebuild(
    conn: Connection, *, device_ids: list[int], zone: ZoneInfo, start: datetime, end: datetime
) -> None:
    """Recompute the meters' rollups over whole org-local days covering [start, end), and for
    each the day of its next reading after them (whose step starts before it)."""
    a = local_midnight(start, zone)
    b = local_midnight(end - timedelta(microseconds=1), zone, after=True)
    dialect = conn.dialect.name
    following = conn.execute(
        _bound(_FOLLOWING[dialect]), {"devices": devices_param(dialect, device_ids), "a": a, "b": b}
    )
    ends: dict[datetime, list[int]] = {}
    for device_id, ts in following:
        last = b if ts is None else local_midnight(_aware(ts), zone, after=True)
        ends.setdefault(last, []).append(device_id)
    for silent in set(device_ids) - {d for group in ends.values() for d in group}:
        ends.setdefault(b, []).append(silent)  # SQLite leaves out meters with nothing after b
    for last, group in ends.items():
        recompute(conn, device_ids=group, zone=zone, a=a, b=last)


# Each meter's first reading at or after `b` (`:a` is there to be bound, as every statement
# here binds it).
_FOLLOWING = {
    "postgresql": f"""
    SELECT d.id, (
        SELECT min(ts) FROM readings
        WHERE device_id = d.id AND metric = '{ENERGY_IMPORT}' AND ts >= :b AND ts >= :a
    ) FROM unnest(CAST(:devices AS bigint[])) AS d (id)""",
    "sqlite": f"""
    SELECT device_id, min(ts) FROM readings
    WHERE {_AMONG["sqlite"]} AND metric = '{ENERGY_IMPORT}' AND ts >= :b AND ts >= :a
    GROUP BY device_id""",
}


def _aware(value: object) -> datetime:
    if isinstance(value, str):  # SQLite returns the text of an aggregate as it is stored
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def _spans(days: list[datetime]) -> Iterable[tuple[datetime, datetime]]:
    """Consecutive UTC days merged into [first day, day after the last)."""
    start = end = days[0]
    for day in days[1:]:
        if day > end + timedelta(days=1):
            yield start, end + timedelta(days=1)
            start = day
        end = day
    yield start, end + timedelta(days=1)


def _zones(session: Session, device_ids: Iterable[int]) -> dict[int, ZoneInfo]:
    rows = session.execute(
        select(Meter.id, Org.timezone)
        .join(Org, Org.id == Meter.org_id)
        .where(Meter.id.in_(list(device_ids)))
    )
    return {device_id: ZoneInfo(tz) for device_id, tz in rows}


def note_for_rollups(session: Session, rows: Iterable[tuple[int, str, datetime, float]]) -> None:
    """Put the (meter, UTC day) of every energy register reading in `rows` on the backlog.
    Sorted, so two ingest workers noting the same new keys lock them in the same order."""
    # Whole days since the epoch: arithmetic on the timestamp is several times cheaper than
    # converting tens of thousands of datetimes, and UTC days have no leap seconds in POSIX time.
    day_numbers = {
        (device_id, int(ts.timestamp() // 86400))
        for device_id, metric, ts, _ in rows
        if metric == ENERGY_IMPORT
    }
    days = [(d, _EPOCH + timedelta(days=n)) for d, n in sorted(day_numbers)]
    if not days:
        return
    if session.get_bind().dialect.name == "postgresql":  # one statement, whatever the count
        session.execute(
            _NOTE_ARRAYS, {"devices": [d for d, _ in days], "days": [t for _, t in days]}
        )
        return
    session.execute(
        insert_ignoring_duplicates(session, RollupBacklog),
        [{"device_id": d, "day": day} for d, day in days],
    )


_NOTE_ARRAYS = text(
    "INSERT INTO energy_rollup_backlog (device_id, day) "
    "SELECT * FROM unnest(CAST(:devices AS bigint[]), CAST(:days AS timestamptz[])) "
    "ON CONFLICT (device_id, day) DO NOTHING"
)
