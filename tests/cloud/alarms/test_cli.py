"""`parkops cloud alarms` and `parkops cloud dead-letters` on a seeded demo database."""

from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cloud.alarms.models import AlarmRule
from cloud.cli import app
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.devices.models import AgentState

DEMO_SITE = Path(__file__).parents[3] / "firmware-configs" / "demo-site.yaml"


def test_seeded_rules_are_evaluated_and_dead_letters_listed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    monkeypatch.setenv("PARKOPS_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(app, ["seed", "--site-config", str(DEMO_SITE)]).exit_code == 0
    engine = make_engine(url)
    with make_sessionmaker(engine)() as session:
        codes = set(session.scalars(select(AlarmRule.code)))
        expected = session.scalars(select(AgentState.expected_config_hash)).all()
    engine.dispose()
    assert {"meter-offline", "door-gate", "outbox-full", "reverse-energy"} <= codes
    assert len(expected) == 1 and expected[0]  # the demo site config's hash

    once = runner.invoke(app, ["alarms"])
    assert once.exit_code == 0 and "clock alarm(s) open" in once.output, once.output
    listed = runner.invoke(app, ["dead-letters", "list"])
    assert listed.exit_code == 0 and listed.output == ""
    missing = runner.invoke(app, ["dead-letters", "replay", "999"])
    assert missing.exit_code == 1 and "no dead letter 999" in missing.output
