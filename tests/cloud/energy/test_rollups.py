"""Rollups against a direct computation from the readings: random cumulative series (with a
meter replacement now and then) written through ingest's path, rolled up by the job, and
compared bucket by bucket; and late data reaching the rollups through the backlog alone."""

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cloud.energy import rollups
from cloud.energy.models import EnergyRollup, Meter, Reading, RollupBacklog
from cloud.ingest.bulk import insert_readings
from protocols.profiles import ENERGY_IMPORT
from tests.cloud.factories import World

T0 = datetime(2026, 3, 1, 15, 7, tzinfo=UTC)  # 23:07 in Shanghai: days cross at once
SHANGHAI = ZoneInfo("Asia/Shanghai")

Series = list[tuple[datetime, float]]


def _bucket(width: str, ts: datetime) -> datetime:
    if width == "15m":
        return ts.replace(minute=ts.minute // 15 * 15, second=0, microsecond=0)
    if width == "1h":
        return ts.replace(minute=0, second=0, microsecond=0)
    return rollups.local_midnight(ts, SHANGHAI)


def expected(series: Series, width: str) -> dict[datetime, tuple[float, int, int]]:
    """Per bucket: the register's rise into and within it, steps down, readings."""
    out: dict[datetime, list[float]] = defaultdict(lambda: [0.0, 0, 0])
    previous = None
    for ts, value in sorted(series):
        cell = out[_bucket(width, ts)]
        if previous is not None:
            cell[0] += value if value < previous else value - previous
            cell[1] += value < previous
        cell[2] += 1
        previous = value
    return {b: (kwh, int(resets), int(n)) for b, (kwh, resets, n) in out.items()}


def stored(session: Session, meter: Meter, width: str) -> dict[datetime, tuple[float, int, int]]:
    rows = session.execute(
        select(
            EnergyRollup.bucket, EnergyRollup.kwh, EnergyRollup.resets, EnergyRollup.readings
        ).where(EnergyRollup.device_id == meter.id, EnergyRollup.width == width)
    )
    return {bucket: (kwh, resets, n) for bucket, kwh, resets, n in rows}


def assert_rollups_match(session: Session, meter: Meter, series: Series) -> None:
    for width in rollups.WIDTHS:
        want, got = expected(series, width), stored(session, meter, width)
        assert sorted(got) == sorted(want), width
        for bucket, (kwh, resets, n) in want.items():
            kwh_got, resets_got, n_got = got[bucket]
            assert (round(kwh_got, 6), resets_got, n_got) == (round(kwh, 6), resets, n), bucket


def write(session: Session, meter: Meter, series: Series) -> None:
    insert_readings(session, [(meter.id, ENERGY_IMPORT, ts, v) for ts, v in series])
    session.flush()


def _forget(session: Session, meter: Meter) -> None:
    """Start an example afresh. Committed, because ingest's staging tables keep their rows
    until the transaction ends (and would bring back the readings deleted here)."""
    for model in (Reading, EnergyRollup, RollupBacklog):
        session.execute(delete(model).where(model.device_id == meter.id))
    session.commit()


@st.composite
def cumulative_series(draw: st.DrawFn) -> Series:
    """Readings minutes to hours apart over a few days; the register only rises, except where
    the meter is replaced (it starts again near zero)."""
    count = draw(st.integers(1, 60))
    ts, value, series = T0, draw(st.integers(0, 10**6)) / 100, []
    for _ in range(count):
        ts += timedelta(minutes=draw(st.integers(1, 600)), seconds=draw(st.integers(0, 59)))
        if draw(st.integers(0, 15)) == 0:
            value = draw(st.integers(0, 500)) / 100  # a new meter
        else:
            value += draw(st.integers(0, 5000)) / 100
        series.append((ts, value))
    return series


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(series=cumulative_series())
def test_rollups_equal_a_direct_computation(session: Session, world: World, series: Series) -> None:
    meter = world.meters["M-101"]
    _forget(session, meter)
    write(session, meter, series)
    assert rollups.refresh(session=session) >= 1
    assert_rollups_match(session, meter, series)
    assert session.scalars(select(RollupBacklog)).all() == []


def test_late_data_is_rolled_up_through_the_backlog_alone(session: Session, world: World) -> None:
    meter, other = world.meters["M-101"], world.meters["M-102"]
    series = [(T0 + timedelta(minutes=15 * i), 100.0 + i) for i in range(3 * 96)]
    write(session, meter, series)
    write(session, other, [(T0, 5.0), (T0 + timedelta(hours=1), 6.0)])
    rollups.refresh(session=session)
    before_other = stored(session, other, "1h")

    # The day's last reading of the first day is late (it was missing): it splits the rise
    # from the reading before it to the first one of the next day.
    missing = series.pop(40)
    session.execute(delete(Reading).where(Reading.device_id == meter.id, Reading.ts == missing[0]))
    rollups.refresh(session=session)  # nothing on the backlog: nothing changes
    session.execute(delete(EnergyRollup).where(EnergyRollup.device_id == meter.id))
    rollups.rebuild(
        session.connection(), device_ids=[meter.id], zone=SHANGHAI, start=T0, end=series[-1][0]
    )
    assert_rollups_match(session, meter, series)

    late = (missing[0], missing[1] + 0.5)  # not on the straight line, so a wrong split shows
    write(session, meter, [late])
    assert rollups.refresh(session=session) == 1  # one meter, one day
    assert_rollups_match(session, meter, [*series, late])
    assert stored(session, other, "1h") == before_other
