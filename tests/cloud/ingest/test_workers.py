"""`parkops cloud ingest --workers N`: what it refuses before starting anything. Running
workers are tested against real processes in tests/reliability/test_ingest_faults.py."""

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cloud.cli import app


def test_several_workers_on_sqlite_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PARKOPS_DATABASE_URL", f"sqlite:///{tmp_path}/cloud.sqlite3")
    result = CliRunner().invoke(app, ["ingest", "--workers", "2"])
    assert result.exit_code == 2
    assert "need PostgreSQL" in result.output


def test_workers_are_at_least_one() -> None:
    result = CliRunner().invoke(app, ["ingest", "--workers", "0"])
    assert result.exit_code == 2
