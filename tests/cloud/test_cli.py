from pathlib import Path

import pytest
import typer
import uvicorn
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


@pytest.fixture
def serving(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`serve` up to the point of listening: records the host instead of starting uvicorn."""
    monkeypatch.chdir(tmp_path)  # no .env here
    monkeypatch.delenv("PARKOPS_SECRET_KEY", raising=False)
    monkeypatch.setenv("PARKOPS_DATABASE_URL", f"sqlite:///{tmp_path}/serve.sqlite3")
    hosts: list[str] = []
    monkeypatch.setattr(uvicorn, "run", lambda _app, *, host, port: hosts.append(host))
    return hosts


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.20", "::", "parkops.example.com"])
def test_serve_refuses_the_dev_secret_key_off_loopback(
    serving: list[str], monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("PARKOPS_HTTP_HOST", host)
    result = CliRunner().invoke(app, ["serve", "--no-ui"])
    assert result.exit_code == 2, result.output
    assert "PARKOPS_SECRET_KEY" in result.output
    assert serving == []


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "::1", "localhost"])
def test_serve_only_warns_about_the_dev_secret_key_on_loopback(
    serving: list[str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture, host: str
) -> None:
    monkeypatch.setenv("PARKOPS_HTTP_HOST", host)
    result = CliRunner().invoke(app, ["serve", "--no-ui"])
    assert result.exit_code == 0, result.output
    assert serving == [host]
    assert "PARKOPS_SECRET_KEY is the development default" in caplog.text


def test_serve_with_a_secret_key_listens_anywhere(
    serving: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARKOPS_HTTP_HOST", "0.0.0.0")
    monkeypatch.setenv("PARKOPS_SECRET_KEY", "a-long-random-production-secret")
    result = CliRunner().invoke(app, ["serve", "--no-ui"])
    assert result.exit_code == 0, result.output
    assert serving == ["0.0.0.0"]


def test_ingest_takes_workers_behind_a_shared_subscription() -> None:
    # More consumers are worker processes behind `$share`: tests/cloud/ingest/test_workers.py.
    cloud = typer.main.get_command(app)
    assert isinstance(cloud, typer.core.TyperGroup)
    assert [param.name for param in cloud.commands["ingest"].params] == [
        "workers",
        "shared",
        "metrics_port",
    ]
