"""The parking REST API in-process, on both database backends: vehicles and their scoping,
passes, the live lot, quotes, payments, waivers and revenue per day and gate."""

from decimal import Decimal

from httpx import AsyncClient
from sqlalchemy.orm import Session

from cloud.parking import sessions
from cloud.parking.lists import current_list
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.cloud.parking.conftest import local

API = "/api/v1/parking"


async def test_vehicles_are_scoped_to_the_tenant(client: AsyncClient, lot: World) -> None:
    staff, tenant = await login(client, "acme-staff"), await login(client, "acme-tenant")
    tenant_b = await login(client, "acme-tenant_b")
    made = await client.post(f"{API}/vehicles", json={"plate": "京AD12345"}, headers=tenant)
    assert made.status_code == 201, made.text
    assert (made.json()["tenant_code"], made.json()["new_energy"]) == ("TA", True)
    other = await client.post(
        f"{API}/vehicles", json={"plate": "京B12345", "tenant_code": "TB"}, headers=staff
    )
    assert other.status_code == 201
    bad = await client.post(f"{API}/vehicles", json={"plate": "ABC"}, headers=staff)
    assert (bad.status_code, bad.json()["field"]) == (422, "plate")
    twice = await client.post(f"{API}/vehicles", json={"plate": "京b-12345"}, headers=staff)
    assert twice.status_code == 409

    mine = (await client.get(f"{API}/vehicles", headers=tenant)).json()
    assert [v["plate"] for v in mine] == ["京AD12345"]
    theirs = (await client.get(f"{API}/vehicles", headers=tenant_b)).json()
    assert [v["plate"] for v in theirs] == ["京B12345"]
    everyone = (await client.get(f"{API}/vehicles", headers=staff)).json()
    assert {v["plate"] for v in everyone} == {"京AD12345", "京B12345"}
    other_org = await login(client, "other-staff")
    assert (await client.get(f"{API}/vehicles", headers=other_org)).json() == []


async def test_passes_need_a_quota(client: AsyncClient, lot: World) -> None:
    staff, tenant = await login(client, "acme-staff"), await login(client, "acme-tenant")
    await client.post(f"{API}/vehicles", json={"plate": "京A11111"}, headers=tenant)
    body = {
        "plate": "京A11111",
        "site_code": "site1",
        "valid_from": "2026-03-01",
        "valid_to": "2026-03-31",
        "grace_days": 3,
    }
    assert (await client.post(f"{API}/passes", json=body, headers=staff)).status_code == 409
    quota = {"tenant_code": "TA", "site_code": "site1", "max_passes": 1}
    assert (await client.put(f"{API}/quotas", json=quota, headers=staff)).json() == quota
    issued = await client.post(f"{API}/passes", json=body, headers=staff)
    assert issued.status_code == 201, issued.text
    assert (issued.json()["tenant_code"], issued.json()["grace_days"]) == ("TA", 3)
    assert [p["plate"] for p in (await client.get(f"{API}/passes", headers=tenant)).json()] == [
        "京A11111"
    ]
    assert (await client.post(f"{API}/passes", json=body, headers=tenant)).status_code == 403


async def test_pay_waive_and_revenue_per_day_and_gate(
    client: AsyncClient, lot: World, session: Session
) -> None:
    staff, finance = await login(client, "acme-staff"), await login(client, "acme-finance")
    one = sessions.record_entry(
        session=session, site=lot.site, plate="京A12345", at=local("2026-03-02 09:00")
    )
    two = sessions.record_entry(
        session=session, site=lot.site, plate="京B12345", at=local("2026-03-02 09:00")
    )
    session.commit()
    live = (await client.get(f"{API}/sessions", params={"state": "open"}, headers=staff)).json()
    assert {s["plate"] for s in live} == {"京A12345", "京B12345"}
    quote = await client.get(
        f"{API}/sessions/{one.id}/quote", params={"at": "2026-03-02T12:00:00+08:00"}, headers=staff
    )
    assert Decimal(quote.json()["amount_due"]) == Decimal("13.00")
    paid = await client.post(
        f"{API}/sessions/{one.id}/payments",
        json={"amount": "13.00", "gate_code": "OUT-1", "paid_at": "2026-03-02T12:00:00+08:00"},
        headers=staff,
    )
    assert paid.status_code == 201, paid.text
    assert Decimal(paid.json()["paid"]) == Decimal("13.00")
    await client.post(
        f"{API}/sessions/{two.id}/payments",
        json={"amount": "5.00", "paid_at": "2026-03-02T23:30:00+08:00"},
        headers=staff,
    )
    no_reason = await client.post(
        f"{API}/sessions/{two.id}/waiver", json={"reason": ""}, headers=staff
    )
    assert no_reason.status_code == 422
    waived = await client.post(
        f"{API}/sessions/{two.id}/waiver", json={"reason": "月卡续费中"}, headers=staff
    )
    # Still parked, so still open; it now owes nothing.
    assert (waived.json()["state"], waived.json()["waived_reason"]) == ("open", "月卡续费中")
    owed = await client.get(
        f"{API}/sessions/{two.id}/quote", params={"at": "2026-03-03T12:00:00+08:00"}, headers=staff
    )
    assert Decimal(owed.json()["amount_due"]) == Decimal("0.00")
    other_org = await login(client, "other-staff")
    hidden = await client.get(f"{API}/sessions/{two.id}", headers=other_org)
    assert hidden.status_code == 404

    report = await client.get(
        f"{API}/revenue", params={"first": "2026-03-02", "last": "2026-03-03"}, headers=finance
    )
    assert [(r["day"], r["gate"], Decimal(r["amount"])) for r in report.json()] == [
        ("2026-03-02", None, Decimal("5.00")),
        ("2026-03-02", "OUT-1", Decimal("13.00")),
    ]
    tenant = await login(client, "acme-tenant")
    assert (
        await client.get(
            f"{API}/revenue", params={"first": "2026-03-02", "last": "2026-03-02"}, headers=tenant
        )
    ).status_code == 403


async def test_allow_list_versions_are_listed(
    client: AsyncClient, lot: World, session: Session
) -> None:
    current_list(session=session, site=lot.site, at=local("2026-03-02 09:00"))
    session.commit()
    staff = await login(client, "acme-staff")
    versions = await client.get(f"{API}/sites/site1/allow-lists", headers=staff)
    assert [(v["version"], v["plates"], v["published_at"]) for v in versions.json()] == [
        (1, 0, None)
    ]
    tenant = await login(client, "acme-tenant")
    refused = await client.get(f"{API}/sites/site1/allow-lists", headers=tenant)
    assert refused.status_code == 403
