"""`parkops cloud maintenance` opens what is due once; `parkops cloud notify` delivers it."""

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloud.cli import app, db_app

DEMO_SITE = Path(__file__).parents[3] / "firmware-configs" / "demo-site.yaml"


def test_maintenance_then_notify_on_the_demo_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARKOPS_DATABASE_URL", f"sqlite:///{tmp_path}/cli.sqlite3")
    monkeypatch.setenv("PARKOPS_NOTIFY_DIR", str(tmp_path / "notify"))
    runner = CliRunner()
    assert runner.invoke(db_app, ["upgrade"]).exit_code == 0
    seeded = runner.invoke(app, ["seed", "--site-config", str(DEMO_SITE)])
    assert seeded.exit_code == 0, seeded.output
    first = runner.invoke(app, ["maintenance"])
    assert first.exit_code == 0, first.output
    assert "PM-LIFT-M" in first.output  # the monthly lift plan falls due on the seed's day
    again = runner.invoke(app, ["maintenance"])
    assert again.output.strip().endswith("0 maintenance work order(s)")
    sent = runner.invoke(app, ["notify"])
    assert sent.exit_code == 0, sent.output
    delivered = re.search(r"(\d+) delivered", sent.output)
    assert delivered and int(delivered.group(1)) > 0
    assert runner.invoke(app, ["notify"]).output.startswith("0 delivered")
