from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloud.cli import app, db_app

DEMO_SITE = Path(__file__).parents[2] / "firmware-configs" / "demo-site.yaml"


def test_db_upgrade_then_seed_prints_the_demo_logins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARKOPS_DATABASE_URL", f"sqlite:///{tmp_path}/var/cli.sqlite3")
    runner = CliRunner()
    upgraded = runner.invoke(db_app, ["upgrade"])
    assert upgraded.exit_code == 0, upgraded.output
    seeded = runner.invoke(app, ["seed", "--site-config", str(DEMO_SITE)])
    assert seeded.exit_code == 0, seeded.output
    assert "tenant   tenant   parkops-tenant" in seeded.output
