"""`parkops cloud check-payments`: the pending-order job from the command line."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloud.cli import app
from cloud.db.migrate import upgrade


def test_check_payments_on_an_empty_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path}/cli.sqlite3"
    upgrade(url)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARKOPS_DATABASE_URL", url)
    result = CliRunner().invoke(app, ["check-payments"])
    assert result.exit_code == 0, result.output
    assert result.output.strip().endswith("0 order(s) settled")
