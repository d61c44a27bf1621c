"""The properties REST API end to end, in-process, on both database backends."""

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import Engine

from cloud.app import create_app
from cloud.settings import Settings
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.cloud.properties.test_files import PDF, PNG

API = "/api/v1"


@pytest.fixture
async def client(
    database_url: str, engine: Engine, tmp_path: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The REST API with its file store in the test's own directory."""
    settings = Settings(
        database_url=database_url,
        secret_key="test-secret-0123456789",
        files_dir=tmp_path / "files",
    )
    app = create_app(settings, ui=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parkops.test") as client:
        yield client
    app.state.engine.dispose()


async def test_build_a_street_zone_down_to_a_shop(client: AsyncClient, world: World) -> None:
    staff = await login(client, "acme-staff")
    steps = [
        ("/sites", {"code": "river", "name": "滨河商业街", "kind": "street"}),
        ("/sites/river/buildings", {"code": "S1", "name": "沿街一段"}),
        ("/sites/river/buildings/S1/floors", {"level": 1}),
    ]
    for path, body in steps:
        created = await client.post(f"{API}{path}", json=body, headers=staff)
        assert created.status_code == 201, created.text
    assert created.json() == {
        "site_code": "river",
        "building_code": "S1",
        "level": 1,
        "name": "1F",
        "plan_file_id": None,
    }
    shop = {
        "code": "S1-101",
        "site_code": "river",
        "building_code": "S1",
        "floor": 1,
        "kind": "shop",
        "rentable_area_m2": "85.00",
        "gross_area_m2": "92.30",
        "active_from": "2026-01-01",
        "shop": {"door_number": "18-1", "latitude": "31.230412", "catering_allowed": True},
    }
    made = await client.post(f"{API}/units", json=shop, headers=staff)
    assert made.status_code == 201, made.text
    body = made.json()
    assert (body["floor_name"], body["rentable_area_m2"], body["net_area_m2"]) == (
        "1F",
        "85.00",  # areas travel as strings, exactly
        None,
    )
    assert body["shop"]["latitude"] == "31.230412" and body["shop"]["catering_allowed"]
    patched = await client.patch(
        f"{API}/units/S1-101", json={"net_area_m2": "80.10"}, headers=staff
    )
    assert patched.json()["net_area_m2"] == "80.10"
    assert patched.json()["shop"]["door_number"] == "18-1"  # untouched
    again = await client.post(f"{API}/units", json=shop, headers=staff)
    assert again.status_code == 409
    listed = await client.get(f"{API}/units", params={"site_code": "river"}, headers=staff)
    assert [u["code"] for u in listed.json()] == ["S1-101"]


async def test_errors_name_the_field_and_roles_are_checked(
    client: AsyncClient, world: World
) -> None:
    staff, finance = await login(client, "acme-staff"), await login(client, "acme-finance")
    unit = {
        "code": "U-900",
        "site_code": "site1",
        "building_code": "A",
        "floor": 7,
        "rentable_area_m2": "50.00",
    }
    missing_floor = await client.post(f"{API}/units", json=unit, headers=staff)
    assert missing_floor.status_code == 422
    assert missing_floor.json() == {"detail": "building A has no floor 7", "field": "floor"}
    assert (await client.post(f"{API}/units", json=unit, headers=finance)).status_code == 403
    too_fine = await client.post(
        f"{API}/units", json=unit | {"floor": 1, "rentable_area_m2": "50.001"}, headers=staff
    )
    assert too_fine.status_code == 422
    tenant = await login(client, "acme-tenant")
    assert (await client.get(f"{API}/units/U-102", headers=tenant)).status_code == 404
    assert (await client.get(f"{API}/units/U-101", headers=tenant)).status_code == 200
    assert (await client.get(f"{API}/sites", headers=tenant)).status_code == 403


async def test_status_history_and_what_it_tells(client: AsyncClient, world: World) -> None:
    staff = await login(client, "acme-staff")
    unit = {
        "code": "U-900",
        "site_code": "site1",
        "building_code": "A",
        "floor": 1,
        "rentable_area_m2": "50.00",
        "active_from": "2026-01-01",
    }
    assert (await client.post(f"{API}/units", json=unit, headers=staff)).status_code == 201
    for status, day in (("reserved", "2026-02-01"), ("leased", "2026-03-01")):
        changed = await client.post(
            f"{API}/units/U-900/statuses", json={"status": status, "from_date": day}, headers=staff
        )
        assert changed.status_code == 200, changed.text
    assert changed.json() == [
        {"status": "vacant", "from_date": "2026-01-01", "until_date": "2026-02-01"},
        {"status": "reserved", "from_date": "2026-02-01", "until_date": "2026-03-01"},
        {"status": "leased", "from_date": "2026-03-01", "until_date": None},
    ]
    backdated = await client.post(
        f"{API}/units/U-900/statuses",
        json={"status": "vacant", "from_date": "2026-02-15"},
        headers=staff,
    )
    assert backdated.status_code == 409 and "from_date 2026-02-15" in backdated.json()["detail"]
    rent = await client.post(
        f"{API}/units/U-900/rent-statuses",
        json={"status": "free_rent", "from_date": "2026-03-01"},
        headers=staff,
    )
    assert rent.json() == [{"status": "free_rent", "from_date": "2026-03-01", "until_date": None}]
    on = await client.get(f"{API}/units/U-900/status", params={"on": "2026-02-10"}, headers=staff)
    assert on.json() == {
        "unit_code": "U-900",
        "on": "2026-02-10",
        "status": "reserved",
        "rent_status": None,
    }
    days = await client.get(
        f"{API}/units/U-900/vacancy-days",
        params={"first": "2026-01-01", "last": "2026-12-31"},
        headers=staff,
    )
    assert days.json()["vacant_days"] == 31 + 28
    reversed_period = await client.get(
        f"{API}/units/U-900/vacancy-days",
        params={"first": "2026-12-31", "last": "2026-01-01"},
        headers=staff,
    )
    assert reversed_period.status_code == 422 and reversed_period.json()["field"] == "last"
    occupancy = await client.get(
        f"{API}/sites/site1/occupancy", params={"on": "2026-02-10"}, headers=staff
    )
    assert {k: occupancy.json()[k] for k in ("units", "let_units", "by_count", "by_area")} == {
        "units": 4,
        "let_units": 3,
        "by_count": "0.7500",
        "by_area": "0.8571",  # 300 of 350 m²
    }


async def test_split_and_merge(client: AsyncClient, world: World) -> None:
    staff = await login(client, "acme-staff")
    unit = {"site_code": "site1", "building_code": "A", "floor": 1, "active_from": "2026-01-01"}
    made = await client.post(
        f"{API}/units", json=unit | {"code": "U-900", "rentable_area_m2": "80.00"}, headers=staff
    )
    assert made.status_code == 201
    parts = [
        {"code": "U-900A", "rentable_area_m2": "50.00"},
        {"code": "U-900B", "rentable_area_m2": "30.00"},
    ]
    split = await client.post(
        f"{API}/units/U-900/split", json={"on": "2026-04-01", "parts": parts}, headers=staff
    )
    assert split.status_code == 201, split.text
    assert [(u["code"], u["origin_codes"]) for u in split.json()] == [
        ("U-900A", ["U-900"]),
        ("U-900B", ["U-900"]),
    ]
    merge = {
        "unit_codes": ["U-900A", "U-900B"],
        "on": "2026-08-01",
        "into": {"code": "U-900M", "rentable_area_m2": "80.00"},
    }
    merged = await client.post(f"{API}/units/merge", json=merge, headers=staff)
    assert merged.status_code == 201, merged.text
    assert merged.json()["origin_codes"] == ["U-900A", "U-900B"]
    old = (await client.get(f"{API}/units/U-900", headers=staff)).json()
    assert old["retired_on"] == "2026-04-01"
    leased = await client.post(
        f"{API}/units/U-101/split", json={"on": "2026-04-01", "parts": parts}, headers=staff
    )
    assert leased.status_code == 409


async def test_vacancy_board(client: AsyncClient, world: World) -> None:
    engineer = await login(client, "acme-engineer")
    shown = await client.get(
        f"{API}/sites/site1/buildings/A/vacancy-board",
        params={"on": "2026-06-01"},
        headers=engineer,
    )
    assert shown.status_code == 200, shown.text
    body = shown.json()
    [floor] = body["floors"]
    assert floor["name"] == "1F" and len(floor["cells"]) == 3
    assert floor["cells"][0] == {
        "unit_code": "U-101",
        "kind": "office",
        "rentable_area_m2": "100.00",
        "status": "leased",
        "rent_status": None,
        "lease_code": "HT-2026-0001",
        "tenant_name": "TA Ltd",
        "lease_end": "2099-12-31",
        "rent_per_m2": "150.00",
    }
    assert body["occupancy"]["by_area"] == "1.0000"
    tenant = await login(client, "acme-tenant")
    denied = await client.get(f"{API}/sites/site1/buildings/A/vacancy-board", headers=tenant)
    assert denied.status_code == 403


async def test_photos_and_floor_plans(client: AsyncClient, world: World) -> None:
    staff, tenant_b = await login(client, "acme-staff"), await login(client, "acme-tenant_b")
    uploaded = await client.post(
        f"{API}/units/U-102/files",
        data={"kind": "photo", "caption": "门面"},
        files={"file": ("front.png", PNG, "image/png")},
        headers=staff,
    )
    assert uploaded.status_code == 201, uploaded.text
    body = uploaded.json()
    assert (body["kind"], body["caption"], body["file"]["content_type"]) == (
        "photo",
        "门面",
        "image/png",
    )
    listed = await client.get(f"{API}/units/U-102/files", headers=tenant_b)  # TB leases U-102
    assert [f["id"] for f in listed.json()] == [body["id"]]
    fetched = await client.get(f"{API}/files/{body['file']['id']}", headers=tenant_b)
    assert fetched.status_code == 200 and fetched.content == PNG
    assert fetched.headers["content-type"] == "image/png"
    assert fetched.headers["x-content-type-options"] == "nosniff"
    tenant_a = await login(client, "acme-tenant")
    assert (
        await client.get(f"{API}/files/{body['file']['id']}", headers=tenant_a)
    ).status_code == 404
    lying = await client.post(
        f"{API}/units/U-102/files",
        data={"kind": "photo"},
        files={"file": ("x.png", b"<script>alert(1)</script>", "image/png")},
        headers=staff,
    )
    assert lying.status_code == 422 and lying.json()["field"] == "file"
    plan = await client.put(
        f"{API}/sites/site1/buildings/A/floors/1/plan",
        files={"file": ("1F.pdf", PDF, "application/pdf")},
        headers=staff,
    )
    assert plan.status_code == 200, plan.text
    plan_id = plan.json()["plan_file_id"]
    pdf = await client.get(f"{API}/files/{plan_id}", headers=staff)
    assert pdf.content == PDF and pdf.headers["content-type"] == "application/pdf"
