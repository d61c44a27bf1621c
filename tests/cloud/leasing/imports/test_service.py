"""Excel import: every bad row reported with its number, all or nothing, and the export read
back by the import into another org."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.errors import Forbidden, Invalid
from cloud.identity import service as identity_service
from cloud.identity.actor import Actor
from cloud.identity.models import Org, Role, User
from cloud.leasing.contracts.models import Contract
from cloud.leasing.imports import service
from cloud.leasing.imports.sheets import COLUMNS
from cloud.leasing.models import Tenant
from cloud.properties.models import Building, Floor, Site, Unit
from tests.cloud.factories import World

UNIT = ["site1", "A", 1, "office"]


def workbook(sheets: dict[str, list[list[object]]]) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        ws = book.create_sheet(name)
        ws.append(COLUMNS[name][: max(len(r) for r in rows)] if rows else COLUMNS[name])
        for row in rows:
            ws.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


def good_book() -> bytes:
    return workbook(
        {
            "tenants": [["TN1", "新租户有限公司"]],
            "units": [["N-301", *UNIT, 120.5, 130, 110, date(2026, 1, 1)]],
            "contracts": [
                [
                    "HT-2026-0100",
                    "TN1",
                    None,
                    "N-301",
                    date(2026, 3, 1),
                    "2026-04-01",
                    date(2027, 2, 28),
                    95,
                    12,
                    "quarterly",
                    1.25,
                    "rent=20000; 装修押金=5000",
                    "办公",
                    "无",
                ]
            ],
        }
    )


@pytest.fixture
def today(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(identity_service, "org_today", lambda **_: date(2026, 3, 2))


def count(session: Session, model: type, org_id: int) -> int:
    return int(
        session.scalar(select(func.count()).select_from(model).where(model.org_id == org_id)) or 0
    )


def test_a_good_workbook_is_imported_whole(session: Session, world: World, today: None) -> None:
    report = service.import_workbook(
        session=session, actor=world.actors["staff"], content=good_book(), dry_run=False
    )
    assert report.applied and report.problems == []
    assert report.good == {"tenants": 1, "units": 1, "contracts": 1}
    unit = session.scalar(select(Unit).where(Unit.org_id == world.org.id, Unit.code == "N-301"))
    assert unit is not None and unit.rentable_area_m2 == Decimal("120.50")
    contract = session.scalar(select(Contract).where(Contract.code == "HT-2026-0100"))
    assert contract is not None and contract.status == "draft"
    assert contract.tenant.name == "新租户有限公司"
    version = contract.versions[0]
    assert version.terms["rent_start"] == "2026-04-01"
    assert version.terms["payment_cycle"] == "quarterly"
    assert {d["item"]: d["amount"] for d in version.deposits} == {
        "rent": "20000.00",
        "装修押金": "5000.00",
    }


def test_a_dry_run_reports_every_bad_row_and_stores_nothing(
    session: Session, world: World, today: None
) -> None:
    content = workbook(
        {
            "tenants": [["TN1", "ok"], ["TA", "duplicate of the world's TA"], ["TN1", "again"]],
            "units": [
                ["N-301", *UNIT, 100],
                ["N-302", "site1", "Z", 1, "office", 100],  # unknown building
                ["N-303", *UNIT, "lots"],  # bad area
                ["U-101", *UNIT, 100],  # taken code
            ],
            "contracts": [
                [
                    "HT-2026-0100",
                    "TN1",
                    None,
                    "N-301, N-999",
                    date(2026, 3, 1),
                    None,
                    date(2027, 2, 28),
                    95,
                ],  # unknown unit
                [
                    "HT-2026-0101",
                    "TN1",
                    None,
                    "N-301",
                    "2026-13-01",
                    None,
                    date(2027, 2, 28),
                    95,
                ],  # bad date
            ],
        }
    )
    units_before = count(session, Unit, world.org.id)
    report = service.import_workbook(
        session=session, actor=world.actors["staff"], content=content, dry_run=True
    )
    found = {(p.sheet, p.row): p.reason for p in report.problems}
    assert set(found) == {
        ("tenants", 3),
        ("tenants", 4),
        ("units", 3),
        ("units", 4),
        ("units", 5),
        ("contracts", 2),
        ("contracts", 3),
    }
    assert "TA" in found[("tenants", 3)] and "TN1" in found[("tenants", 4)]
    assert "building" in found[("units", 3)] and "Z" in found[("units", 3)]
    assert "rentable_area_m2" in found[("units", 4)]
    assert "U-101" in found[("units", 5)]
    assert "N-999" in found[("contracts", 2)]
    assert "lease_start" in found[("contracts", 3)]
    assert report.good == {"tenants": 1, "units": 1, "contracts": 0}
    assert not report.applied
    assert count(session, Unit, world.org.id) == units_before
    assert count(session, Tenant, world.org.id) == 2


def test_one_bad_row_keeps_the_whole_file_out(session: Session, world: World, today: None) -> None:
    content = workbook(
        {
            "tenants": [["TN1", "ok"], ["TN2", "ok too"]],
            "units": [["N-301", *UNIT, 100], ["N-302", *UNIT, -5]],
        }
    )
    report = service.import_workbook(
        session=session, actor=world.actors["admin"], content=content, dry_run=False
    )
    assert not report.applied
    assert [(p.sheet, p.row) for p in report.problems] == [("units", 3)]
    session.commit()  # what the request would do: nothing of the file is left to commit
    assert count(session, Tenant, world.org.id) == 2
    assert session.scalar(select(Unit).where(Unit.code == "N-301")) is None


def test_a_dry_run_of_a_good_file_changes_nothing_and_a_real_run_then_works(
    session: Session, world: World, today: None
) -> None:
    dry = service.import_workbook(
        session=session, actor=world.actors["staff"], content=good_book(), dry_run=True
    )
    assert dry.problems == [] and not dry.applied
    assert session.scalar(select(Tenant).where(Tenant.code == "TN1")) is None
    real = service.import_workbook(
        session=session, actor=world.actors["staff"], content=good_book(), dry_run=False
    )
    assert real.applied


def test_progress_is_reported_row_by_row(session: Session, world: World, today: None) -> None:
    seen: list[tuple[int, int]] = []
    service.import_workbook(
        session=session,
        actor=world.actors["staff"],
        content=good_book(),
        dry_run=True,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(1, 3), (2, 3), (3, 3)]


def test_not_a_workbook_is_invalid(session: Session, world: World) -> None:
    with pytest.raises(Invalid, match="xlsx"):
        service.import_workbook(
            session=session, actor=world.actors["staff"], content=b"code,name\n", dry_run=True
        )


@pytest.mark.parametrize("role", ["finance", "engineer", "tenant"])
def test_only_staff_and_admins_import_or_export(session: Session, world: World, role: str) -> None:
    with pytest.raises(Forbidden):
        service.import_workbook(
            session=session, actor=world.actors[role], content=good_book(), dry_run=True
        )
    with pytest.raises(Forbidden):
        service.export_workbook(session=session, actor=world.actors[role])


def fresh_org(session: Session) -> Actor:
    """An org with site1, building A and floor 1 but no units, tenants or contracts."""
    org = Org(code="fresh", name="Fresh", timezone="Asia/Shanghai")
    session.add(org)
    session.flush()
    site = Site(org_id=org.id, code="site1", name="Park")
    session.add(site)
    session.flush()
    building = Building(org_id=org.id, site_id=site.id, code="A", name="A")
    session.add(building)
    session.flush()
    session.add(Floor(org_id=org.id, building_id=building.id, level=1, name="1F"))
    user = User(
        org_id=org.id,
        username="fresh-admin",
        display_name="Admin",
        role=Role.admin,
        password_hash="x",
    )
    session.add(user)
    session.flush()
    return Actor.of(user)


def test_an_export_reimports_cleanly(
    session: Session, world: World, today: None, tmp_path: Callable[[], object]
) -> None:
    staff = world.actors["staff"]
    assert service.import_workbook(
        session=session, actor=staff, content=good_book(), dry_run=False
    ).applied
    exported = service.export_workbook(session=session, actor=staff)
    sheet = load_workbook(BytesIO(exported))["contracts"]
    assert [c.value for c in sheet[1]] == list(COLUMNS["contracts"])

    fresh = fresh_org(session)
    report = service.import_workbook(session=session, actor=fresh, content=exported, dry_run=False)
    assert report.problems == [] and report.applied
    assert report.good == {"tenants": 3, "units": 4, "contracts": 1}
    again = service.export_workbook(session=session, actor=fresh)
    assert _sheets(again) == _sheets(exported)


def _sheets(content: bytes) -> dict[str, list[tuple[object, ...]]]:
    book = load_workbook(BytesIO(content))
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}
