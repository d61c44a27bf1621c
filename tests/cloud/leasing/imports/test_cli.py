"""`parkops lease import FILE [--dry-run]` and `parkops lease export FILE`, on a real database."""

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from cloud.leasing.cli import app
from cloud.leasing.models import Tenant
from tests.cloud.factories import World
from tests.cloud.leasing.imports.test_service import UNIT, good_book, workbook


@pytest.fixture
def env(database_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.setenv("PARKOPS_DATABASE_URL", database_url)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_dry_run_lists_bad_rows_and_exits_1(env: Path, world: World, session: Session) -> None:
    book = env / "bad.xlsx"
    book.write_bytes(workbook({"units": [["N-1", *UNIT, 100], ["N-2", *UNIT, "x"]]}))
    result = CliRunner().invoke(app, ["import", str(book), "--dry-run", "-u", "acme-staff"])
    assert result.exit_code == 1, result.output
    assert "units row 3: rentable_area_m2" in result.output
    assert "1 bad row(s) of 2; nothing stored" in result.output


def test_import_then_export(env: Path, world: World, session: Session) -> None:
    book = env / "good.xlsx"
    book.write_bytes(good_book())
    runner = CliRunner()
    dry = runner.invoke(app, ["import", str(book), "--dry-run", "--user", "acme-admin"])
    assert dry.exit_code == 0, dry.output
    assert "all 3 rows are good" in dry.output
    assert session.scalar(select(Tenant).where(Tenant.code == "TN1")) is None
    real = runner.invoke(app, ["import", str(book), "--user", "acme-admin"])
    assert real.exit_code == 0, real.output
    assert "imported 1 tenants, 1 units, 1 contracts" in real.output
    session.expire_all()
    assert session.scalar(select(Tenant).where(Tenant.code == "TN1")) is not None
    out = env / "out.xlsx"
    exported = runner.invoke(app, ["export", str(out), "--user", "acme-admin"])
    assert exported.exit_code == 0 and out.stat().st_size > 0


def test_a_tenant_user_may_not_import(env: Path, world: World) -> None:
    book = env / "good.xlsx"
    book.write_bytes(good_book())
    result = CliRunner().invoke(app, ["import", str(book), "--user", "acme-tenant"])
    assert result.exit_code == 1
    assert "may not" in result.output


def test_an_unknown_user_is_refused(env: Path, world: World) -> None:
    book = env / "good.xlsx"
    book.write_bytes(good_book())
    result = CliRunner().invoke(app, ["import", str(book), "--user", "nobody"])
    assert result.exit_code == 2 and "no active user 'nobody'" in result.output
