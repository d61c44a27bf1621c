"""A code that exists in the org is a 409 naming it, for units, tenants and contracts alike, and
a unique violation the services did not foresee is a 409 too, never a 500."""

import httpx
import pytest
from httpx import AsyncClient
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from cloud.app import create_app
from cloud.deps import SessionDep
from cloud.errors import unique_violation
from cloud.leasing.models import Tenant
from cloud.settings import Settings
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.cloud.leasing.contracts.conftest import terms

API = "/api/v1"


async def test_a_taken_tenant_code_is_409(client: AsyncClient, world: World) -> None:
    staff = await login(client, "acme-staff")
    made = await client.post(f"{API}/tenants", json={"code": "TC", "name": "C"}, headers=staff)
    assert made.status_code == 201, made.text
    again = await client.post(f"{API}/tenants", json={"code": "TA", "name": "A"}, headers=staff)
    assert again.status_code == 409 and "TA" in again.json()["detail"]


async def test_the_same_code_in_another_org_is_fine(client: AsyncClient, world: World) -> None:
    other = await login(client, "other-staff")
    made = await client.post(f"{API}/tenants", json={"code": "TC", "name": "C"}, headers=other)
    assert made.status_code == 201
    staff = await login(client, "acme-staff")
    mine = await client.post(f"{API}/tenants", json={"code": "TC", "name": "C"}, headers=staff)
    assert mine.status_code == 201


async def test_a_taken_unit_code_is_409(client: AsyncClient, world: World) -> None:
    staff = await login(client, "acme-staff")
    unit = {
        "code": "U-101",
        "site_code": "site1",
        "building_code": "A",
        "floor": 1,
        "rentable_area_m2": "50",
    }
    again = await client.post(f"{API}/units", json=unit, headers=staff)
    assert again.status_code == 409 and "U-101" in again.json()["detail"]


async def test_a_taken_contract_code_is_409(client: AsyncClient, world: World) -> None:
    staff = await login(client, "acme-staff")
    body = {
        "code": "HT-2026-0001",  # a lease of the world has it
        "tenant_code": "TA",
        "terms": terms(units=[{"code": "U-101", "gross": 1, "net": 1, "rentable": 1}]).model_dump(
            mode="json", by_alias=True
        ),
        "electricity_tariff": "1.2",
    }
    again = await client.post(f"{API}/contracts", json=body, headers=staff)
    assert again.status_code == 409 and "HT-2026-0001" in again.json()["detail"]


def test_a_unique_violation_becomes_a_conflict_naming_the_key(
    session: Session, world: World
) -> None:
    session.add(Tenant(org_id=world.org.id, code="TA", name="twice"))
    with pytest.raises(IntegrityError) as caught:
        session.flush()
    session.rollback()
    conflict = unique_violation(caught.value)
    assert conflict is not None
    message = str(conflict)
    assert "code" in message
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        assert "TA" in message  # PostgreSQL's detail names the value too


async def test_an_unforeseen_unique_violation_is_409_not_500(
    database_url: str, engine: Engine, world: World
) -> None:
    app = create_app(Settings(database_url=database_url), ui=False)

    @app.post("/racing")
    def racing(session: SessionDep) -> None:  # a writer that skipped the code check
        session.add(Tenant(org_id=world.org.id, code="TA", name="second TA"))
        session.flush()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.post("/racing")
    app.state.engine.dispose()
    assert response.status_code == 409
    assert "already exists" in response.json()["detail"]
