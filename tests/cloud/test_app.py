"""The REST API end to end (in-process, no UI), on both database backends."""

import json
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from cloud.app import create_app
from cloud.deps import SessionDep
from cloud.errors import Invalid
from cloud.leasing.models import Tenant
from cloud.settings import Settings
from tests.cloud.factories import World, add_readings
from tests.cloud.identity.test_api import login

IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
DOCUMENT_TYPES = (
    "application/pdf",
    "text/html",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
)


@pytest.fixture
def readings(session: Session, world: World) -> None:
    add_readings(
        session,
        world.meters["M-101"],
        [
            (datetime(2026, 2, 28, 16, tzinfo=UTC), 100.0),
            (datetime(2026, 3, 10, tzinfo=UTC), 110.5),
        ],
    )
    add_readings(session, world.meters["M-102"], [(datetime(2026, 3, 2, tzinfo=UTC), 7.0)])
    session.commit()


async def test_health(client: AsyncClient) -> None:
    assert (await client.get("/healthz")).json() == {"status": "ok"}


async def test_leases_and_units_by_role(client: AsyncClient, world: World) -> None:
    staff, tenant = await login(client, "acme-finance"), await login(client, "acme-tenant")
    all_leases = (await client.get("/api/v1/leases", headers=staff)).json()
    assert [lease["code"] for lease in all_leases] == [
        "HT-2026-0001",
        "HT-2026-0002",
        "HT-2026-0003",
    ]
    assert all_leases[0]["electricity_tariff"] == "1.3000"  # money and rates travel as strings
    own = (await client.get("/api/v1/leases", headers=tenant)).json()
    assert [lease["code"] for lease in own] == ["HT-2026-0001", "HT-2026-0003"]
    assert (await client.get("/api/v1/leases/HT-2026-0002", headers=tenant)).status_code == 404
    units = (await client.get("/api/v1/units", headers=tenant)).json()
    assert [u["code"] for u in units] == ["U-101", "U-103"]


async def test_electricity_charge(client: AsyncClient, world: World, readings: None) -> None:
    tenant = await login(client, "acme-tenant")
    query = {"period_start": "2026-03-01", "period_end": "2026-03-31"}
    own = await client.get(
        "/api/v1/leases/HT-2026-0001/electricity-charge", params=query, headers=tenant
    )
    assert own.status_code == 200
    # (110.5 - 100.0) x 40 = 420.00 kWh x 1.3000 = 546.00 CNY
    assert (own.json()["kwh"], own.json()["amount"], own.json()["currency"]) == (
        "420.00",
        "546.00",
        "CNY",
    )
    other = await client.get(
        "/api/v1/leases/HT-2026-0002/electricity-charge", params=query, headers=tenant
    )
    assert other.status_code == 404
    backwards = await client.get(
        "/api/v1/leases/HT-2026-0001/electricity-charge",
        params={"period_start": "2026-03-31", "period_end": "2026-03-01"},
        headers=tenant,
    )
    assert backwards.status_code == 422 and backwards.json()["field"] == "period_end"
    current = await client.get(
        "/api/v1/electricity-charges/current", params={"today": "2026-03-20"}, headers=tenant
    )
    assert [c["lease_code"] for c in current.json()] == ["HT-2026-0001"]


async def test_meters_and_readings(client: AsyncClient, world: World, readings: None) -> None:
    engineer, tenant = await login(client, "acme-engineer"), await login(client, "acme-tenant")
    meters = (await client.get("/api/v1/meters", headers=engineer)).json()
    assert [m["code"] for m in meters] == ["M-101", "M-102", "M-PUB"]
    latest = (await client.get("/api/v1/readings/latest", headers=tenant)).json()
    assert latest == [
        {
            "meter_code": "M-101",
            "unit_code": "U-101",
            "profile": "chint-ddsu666",
            "last_ts": "2026-03-10T00:00:00Z",
            "values": {"energy_import": 110.5},
        }
    ]
    span = {"start": "2026-03-01T00:00:00+08:00", "end": "2026-04-01T00:00:00+08:00"}
    found = await client.get("/api/v1/meters/M-101/readings", params=span, headers=tenant)
    assert found.json() == [
        {"metric": "energy_import", "ts": "2026-02-28T16:00:00Z", "value": 100.0},
        {"metric": "energy_import", "ts": "2026-03-10T00:00:00Z", "value": 110.5},
    ]
    hidden = await client.get("/api/v1/meters/M-102/readings", params=span, headers=tenant)
    assert hidden.status_code == 404
    by_hand = [{"metric": "energy_import", "ts": "2026-03-20T09:30:00+08:00", "value": 112.25}]
    denied = await client.post("/api/v1/meters/M-101/readings", json=by_hand, headers=tenant)
    assert denied.status_code == 403
    taken = await client.post("/api/v1/meters/M-101/readings", json=by_hand, headers=engineer)
    assert taken.status_code == 200 and [r["value"] for r in taken.json()] == [112.25]
    again = await client.post("/api/v1/meters/M-101/readings", json=by_hand, headers=engineer)
    assert again.json() == []  # already stored: kept, and not claimed as stored again
    latest = (await client.get("/api/v1/readings/latest", headers=tenant)).json()
    assert latest[0]["values"] == {"energy_import": 112.25}
    naive = {"start": "2026-03-01T00:00:00", "end": "2026-04-01T00:00:00"}
    bad = await client.get("/api/v1/meters/M-101/readings", params=naive, headers=tenant)
    assert bad.status_code == 422


def test_openapi_is_clean(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path}/x.sqlite3"), ui=False)
    spec = json.loads(json.dumps(app.openapi()))
    operations = {
        (method, path): op for path, ops in spec["paths"].items() for method, op in ops.items()
    }
    ids = [op["operationId"] for op in operations.values()]
    assert len(ids) == len(set(ids)) and "electricity_charge" in ids
    for (method, path), op in operations.items():
        ok = [code for code in op["responses"] if code.startswith("2")]
        assert len(ok) == 1, (method, path)
        content = op["responses"][ok[0]]["content"]
        # JSON everywhere, except downloads: unit files and work-order photos, documented binary,
        # contract documents (PDF or printable HTML), the leasing workbook and checkpoints' QR
        # codes (SVG).
        binary = {"application/octet-stream", "image/svg+xml", *IMAGE_TYPES, *DOCUMENT_TYPES}
        assert set(content) <= {"application/json", *binary}, (method, path)
        assert content and all("schema" in body for body in content.values()), (method, path)
        # Unsecured: logging in, and payment providers' notifications (their signature is
        # checked instead of a login).
        open_paths = {"/api/v1/auth/login", "/api/v1/payments/notify/{app_id}"}
        secured = path.startswith("/api/v1/") and path not in open_paths
        assert ("security" in op) == secured, (method, path)
    app.state.engine.dispose()


async def test_a_failing_request_leaves_nothing_behind(
    database_url: str, engine: Engine, world: World
) -> None:
    app = create_app(Settings(database_url=database_url), ui=False)

    @app.post("/boom")
    def boom(session: SessionDep) -> None:
        session.add(Tenant(org_id=world.org.id, code="T-HALF", name="half written"))
        session.flush()
        raise Invalid("no", field="x")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/boom")
    app.state.engine.dispose()
    assert (response.status_code, response.json()) == (422, {"detail": "no", "field": "x"})
    with Session(engine) as session:
        assert session.scalar(select(Tenant).where(Tenant.code == "T-HALF")) is None
