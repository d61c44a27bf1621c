"""Energy rollups kept current by a job: per meter, the rise of its energy register in every
15-minute bucket, hour and org-local day (`EnergyRollup`), recomputed only for the meters and
days that got readings since the last run (`RollupBacklog`).

A reading belongs to the bucket holding its ts; a bucket's energy is the register at its last
reading minus the register at the reading before its first, so buckets telescope to the
register difference of any span. A step down (meter replaced, register rolled over) counts the
new value as that step's rise and is counted in `resets`. One SQL path for both databases; only
the bucket expressions differ (`date_bin` on PostgreSQL, text arithmetic on SQLite).
"""

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

# The register's steps over [a, b) of one meter, the reading before `a` included so the first
# reading in the span has the step that leads to it. Shared by rollups and period consumption.
STEPS = f"""
WITH before AS (
    SELECT ts, value FROM readings
    WHERE device_id = :device AND metric = '{ENERGY_IMPORT}' AND ts < :a
    ORDER BY ts DESC LIMIT 1
), span AS (
    SELECT ts, value FROM before
    UNION ALL
    SELECT ts, value FROM readings
    WHERE device_id = :device AND metric = '{ENERGY_IMPORT}' AND ts >= :a AND ts < :b
), steps AS (
    SELECT ts, value, value - lag(value) OVER (ORDER BY ts) AS diff FROM span
)
"""
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
    conn: Connection, *, device_id: int, zone: ZoneInfo, a: datetime, b: datetime
) -> None:
    """Replace one meter's rollups of every width with buckets in [a, b); `a` and `b` are
    org-local midnights, so every bucket in the range is whole."""
    sql = buckets(conn.dialect.name, zone)
    params = {"device": device_id, "a": a, "b": b}
    conn.execute(
        delete(EnergyRollup).where(
            EnergyRollup.device_id == device_id, EnergyRollup.bucket >= a, EnergyRollup.bucket < b
        )
    )
    conn.execute(
        _bound(
            STEPS + "INSERT INTO energy_rollups (width, device_id, bucket, kwh, resets, readings) "
            f"SELECT '15m', :device, {sql.of('15m', 'ts')}, sum({RISE}), sum({DROP}), count(*) "
            f"FROM steps WHERE ts >= :a GROUP BY {sql.of('15m', 'ts')}"
        ),
        params,
    )
    for width in ("1h", "1d"):
        expression = sql.of(width, "bucket")
        conn.execute(
            _bound(
                "INSERT INTO energy_rollups (width, device_id, bucket, kwh, resets, readings) "
                f"SELECT '{width}', device_id, {expression}, sum(kwh), sum(resets), sum(readings) "
                "FROM energy_rollups WHERE width = '15m' AND device_id = :device "
                f"AND bucket >= :a AND bucket < :b GROUP BY device_id, {expression}"
            ),
            params,
        )


def direct(
    conn: Connection, *, device_id: int, zone: ZoneInfo, width: str, a: datetime, b: datetime
) -> dict[datetime, tuple[float, int, int]]:
    """What the rollups of one meter hold for buckets in [a, b), computed from the readings
    (for comparison: tests, and the `queries` benchmark's figures without rollups)."""
    bucket = buckets(conn.dialect.name, zone).of(width, "ts")
    rows = conn.execute(
        _bound(
            STEPS + f"SELECT {bucket}, sum({RISE}), sum({DROP}), count(*) FROM steps "
            f"WHERE ts >= :a GROUP BY {bucket}"
        ),
        {"device": device_id, "a": a, "b": b},
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
    conn = session.connection()
    for device_id, days in sorted(by_device.items()):
        if device_id not in zones:  # a meter deleted since its readings came
            continue
        for a, b in _spans(sorted(days)):
            rebuild(conn, device_id=device_id, zone=zones[device_id], start=a, end=b)
    return len(taken)


def rebuild(
    conn: Connection, *, device_id: int, zone: ZoneInfo, start: datetime, end: datetime
) -> None:
    """Recompute a meter's rollups over whole org-local days covering [start, end), and the day
    of its next reading after them (whose first step starts before it)."""
    a = local_midnight(start, zone)
    b = local_midnight(end - timedelta(microseconds=1), zone, after=True)
    following = conn.execute(
        _bound(
            f"SELECT min(ts) FROM readings WHERE device_id = :device "
            f"AND metric = '{ENERGY_IMPORT}' AND ts >= :b AND ts >= :a"
        ),
        {"device": device_id, "a": a, "b": b},
    ).scalar()
    if following is not None:
        b = local_midnight(_aware(following), zone, after=True)
    recompute(conn, device_id=device_id, zone=zone, a=a, b=b)


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
