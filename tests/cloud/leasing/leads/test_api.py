"""The leads REST API end to end: a lead from creation to a draft contract, and the report."""

from httpx import AsyncClient

from tests.cloud.factories import World
from tests.cloud.identity.test_api import login

API = "/api/v1"


async def test_a_lead_from_visit_to_draft_contract(client: AsyncClient, acme: World) -> None:
    staff = await login(client, "acme-staff")
    made = await client.post(
        f"{API}/leads",
        json={"company": "云帆传媒", "source": "event", "unit_codes": ["U-203"]},
        headers=staff,
    )
    assert made.status_code == 201, made.text
    code = made.json()["code"]
    quote = {
        "kind": "quote",
        "rent_per_m2_month": "88.50",
        "lease_start": "2026-05-01",
        "term_months": 12,
    }
    moved = await client.post(f"{API}/leads/{code}/follow-ups", json=quote, headers=staff)
    assert moved.json()["stage"] == "quote"
    loi = await client.post(
        f"{API}/leads/{code}/loi",
        json={"signed_on": "2026-03-03", "deposit": "8000"},
        headers=staff,
    )
    assert loi.json()["stage"] == "loi" and loi.json()["deposit_status"] == "agreed"
    bad = await client.post(
        f"{API}/leads/{code}/deposit", json={"status": "applied"}, headers=staff
    )
    assert bad.status_code == 409
    contract = await client.post(
        f"{API}/leads/{code}/convert",
        json={"tenant_code": "T-YF", "electricity_tariff": "1.3"},
        headers=staff,
    )
    assert contract.status_code == 201, contract.text
    assert contract.json()["status"] == "draft" and contract.json()["unit_codes"] == ["U-203"]
    lead = (await client.get(f"{API}/leads/{code}", headers=staff)).json()
    assert lead["stage"] == "signed" and lead["contract_code"] == contract.json()["code"]
    report = (await client.get(f"{API}/leads/report", headers=staff)).json()
    assert report["funnel"][-1] == {"stage": "signed", "reached": 1, "rate": "1.0000"}


async def test_lost_needs_a_known_reason(client: AsyncClient, acme: World) -> None:
    staff = await login(client, "acme-staff")
    code = (
        await client.post(f"{API}/leads", json={"company": "X", "source": "online"}, headers=staff)
    ).json()["code"]
    wrong = await client.post(f"{API}/leads/{code}/lost", json={"reason": "meh"}, headers=staff)
    assert wrong.status_code == 422
    lost = await client.post(
        f"{API}/leads/{code}/lost", json={"reason": "area", "note": "太小"}, headers=staff
    )
    assert lost.json()["stage"] == "lost" and lost.json()["lost_note"] == "太小"


async def test_leads_are_scoped_to_the_org_and_role(client: AsyncClient, acme: World) -> None:
    staff = await login(client, "acme-staff")
    code = (
        await client.post(f"{API}/leads", json={"company": "X", "source": "online"}, headers=staff)
    ).json()["code"]
    other = await login(client, "other-admin")
    assert (await client.get(f"{API}/leads/{code}", headers=other)).status_code == 404
    assert (await client.get(f"{API}/leads", headers=other)).json() == []
    tenant = await login(client, "acme-tenant")
    assert (await client.get(f"{API}/leads", headers=tenant)).status_code == 403
