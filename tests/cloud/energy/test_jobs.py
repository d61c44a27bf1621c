"""`parkops cloud energy-upkeep` on the demo's SQLite: it rolls up what ingest noted, once."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cloud.cli import app, db_app
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.energy.models import EnergyRollup, Meter
from cloud.ingest.bulk import insert_readings
from protocols.profiles import ENERGY_IMPORT

DEMO_SITE = Path(__file__).parents[3] / "firmware-configs" / "demo-site.yaml"


def test_energy_upkeep_rolls_up_the_backlog_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/upkeep.sqlite3"
    monkeypatch.setenv("PARKOPS_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(db_app, ["upgrade"]).exit_code == 0
    assert runner.invoke(app, ["seed", "--site-config", str(DEMO_SITE)]).exit_code == 0
    engine = make_engine(url)
    sessions = make_sessionmaker(engine)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    with sessions.begin() as session:
        meters = list(session.scalars(select(Meter).order_by(Meter.code)))[:2]
        insert_readings(
            session,
            [
                (m.id, ENERGY_IMPORT, start + timedelta(hours=h), 10.0 * h)
                for m in meters
                for h in range(30)  # two UTC days
            ],
        )
    first = runner.invoke(app, ["energy-upkeep"])
    assert first.exit_code == 0, first.output
    assert "4 meter-day(s) rolled up" in first.output
    again = runner.invoke(app, ["energy-upkeep"])
    assert "0 meter-day(s) rolled up" in again.output
    with sessions() as session:
        hours = session.scalars(
            select(EnergyRollup.kwh).where(
                EnergyRollup.device_id == meters[0].id, EnergyRollup.width == "1h"
            )
        ).all()
    engine.dispose()
    assert sorted(hours) == [0.0] + [10.0] * 29
