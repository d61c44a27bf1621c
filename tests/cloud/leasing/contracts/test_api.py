"""The contracts REST API end to end, in process, on both databases."""

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from httpx import AsyncClient
from sqlalchemy.orm import Session

from cloud.leasing.contracts import jobs
from cloud.leasing.terms import compile_schedule, load_terms
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.cloud.leasing.contracts.conftest import terms

EXAMPLE = Path(__file__).parents[4] / "cloud" / "leasing" / "examples" / "contract.json"
API = "/api/v1"


def body(**overrides: Any) -> dict[str, Any]:
    return {
        "tenant_code": "TA",
        "terms": terms().model_dump(mode="json", by_alias=True),
        "electricity_tariff": "1.2500",
        "deposits": [{"item": "rent", "amount": "20000"}],
    } | overrides


async def test_preview_compiles_contract_json_like_the_cli(
    client: AsyncClient, acme: World
) -> None:
    staff = await login(client, "acme-staff")
    example = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    preview = await client.post(f"{API}/contracts/preview", json=example, headers=staff)
    assert preview.status_code == 200, preview.text
    expected = compile_schedule(load_terms(EXAMPLE.read_bytes()))
    got = preview.json()
    assert [
        (r["due_date"], r["period_start"], r["period_end"], r["item"], r["amount"])
        for r in got["rows"]
    ] == [
        (
            r.due_date.isoformat(),
            r.period_start.isoformat(),
            r.period_end.isoformat(),
            r.item,
            str(r.amount),
        )
        for r in expected
    ]
    assert got["total"] == str(sum(r.amount for r in expected))
    bad = example | {"rent_start": "2026-02-01"}  # before lease_start
    refused = await client.post(f"{API}/contracts/preview", json=bad, headers=staff)
    assert refused.status_code == 422 and "rent_start" in refused.text
    unknown = await client.post(
        f"{API}/contracts/preview", json=example | {"rnet": 1}, headers=staff
    )
    assert unknown.status_code == 422
    assert (await client.post(f"{API}/contracts/preview", json=example)).status_code == 401


async def test_a_contract_from_draft_to_signed_over_rest(client: AsyncClient, acme: World) -> None:
    staff, admin = await login(client, "acme-staff"), await login(client, "acme-admin")
    finance, tenant = await login(client, "acme-finance"), await login(client, "acme-tenant")
    assert (await client.post(f"{API}/contracts", json=body(), headers=finance)).status_code == 403
    created = await client.post(f"{API}/contracts", json=body(), headers=staff)
    assert created.status_code == 201, created.text
    contract = created.json()
    code = contract["code"]
    assert (code, contract["status"], contract["actions"]) == (
        "HT-2026-0004",
        "draft",
        ["edit", "delete", "submit"],
    )
    assert contract["versions"][0]["deposits"] == [{"item": "rent", "amount": "20000.00"}]

    wrong_unit = {
        "terms": terms(
            units=[{"code": "U-9", "gross": "1", "net": "1", "rentable": "1"}]
        ).model_dump(mode="json", by_alias=True)
    }
    patched = await client.patch(f"{API}/contracts/{code}", json=wrong_unit, headers=staff)
    assert (patched.status_code, patched.json()["field"]) == (422, "terms.units")
    patched = await client.patch(
        f"{API}/contracts/{code}", json={"special_clauses": "免租期内不得转租"}, headers=staff
    )
    assert patched.json()["versions"][0]["special_clauses"] == "免租期内不得转租"

    assert (await client.post(f"{API}/contracts/{code}/submit", headers=staff)).json()[
        "next_step"
    ] == "admin"
    assert (await client.post(f"{API}/contracts/{code}/approve", headers=staff)).status_code == 403
    approved = await client.post(
        f"{API}/contracts/{code}/approve", json={"note": "同意"}, headers=admin
    )
    assert approved.json()["status"] == "approved"
    [approval] = approved.json()["versions"][0]["approvals"]
    assert (approval["username"], approval["decision"], approval["reason"]) == (
        "acme-admin",
        "approved",
        "同意",
    )
    signed = await client.post(f"{API}/contracts/{code}/sign", headers=staff)
    assert (signed.json()["status"], signed.json()["lease_codes"]) == ("signed", [code])
    again = await client.post(f"{API}/contracts/{code}/sign", headers=staff)
    assert again.status_code == 409

    charges = (await client.get(f"{API}/contracts/{code}/charges", headers=finance)).json()
    assert len(charges["rows"]) == 8 and charges["total"] == "132000.00"
    assert {r["posted"] for r in charges["rows"]} == {False}
    schedule = await client.get(f"{API}/contracts/{code}/versions/1/schedule", headers=tenant)
    assert schedule.json()["totals"] == {"rent": "120000.00", "property fee": "12000.00"}
    own = (await client.get(f"{API}/contracts", headers=tenant)).json()
    assert [c["code"] for c in own] == [code] and own[0]["unit_codes"] == ["U-201"]
    tenant_b = await login(client, "acme-tenant_b")
    assert (await client.get(f"{API}/contracts/{code}", headers=tenant_b)).status_code == 404
    leases = (await client.get(f"{API}/leases/{code}", headers=tenant)).json()
    assert (leases["contract_code"], leases["unit_code"]) == (code, "U-201")


async def test_amend_renew_terminate_over_rest(
    client: AsyncClient, acme: World, signed: Any, session: Session
) -> None:
    code = signed().code
    session.commit()
    staff, admin = await login(client, "acme-staff"), await login(client, "acme-admin")
    raised = terms(
        fee_items=[
            {
                "name": "rent",
                "kind": "rent",
                "pricing": "per_m2_per_month",
                "price": "100",
                "escalation": {"type": "steps", "steps": [{"from": "2026-10-01", "price": "110"}]},
            },
            {
                "name": "property fee",
                "kind": "property_fee",
                "pricing": "fixed_per_month",
                "price": "1000",
            },
        ]
    ).model_dump(mode="json", by_alias=True)
    amended = await client.post(
        f"{API}/contracts/{code}/amend",
        json={"effective_from": "2026-10-01", "terms": raised, "note": "四季度起调租"},
        headers=staff,
    )
    assert amended.status_code == 201, amended.text
    assert amended.json()["open_version"] == 2
    diff = (await client.get(f"{API}/contracts/{code}/amendment-diff", headers=staff)).json()
    assert [(x["change"], x["item"], x["old_amount"], x["new_amount"]) for x in diff["lines"]] == [
        ("changed", "rent", "30000.00", "33000.00")
    ]
    assert diff["difference"] == "3000.00"
    for step, who in (("submit", staff), ("approve", admin), ("sign", staff)):
        moved = await client.post(f"{API}/contracts/{code}/{step}", headers=who)
        assert moved.status_code == 200, moved.text
    assert moved.json()["current_version"] == 2 and moved.json()["open_version"] is None

    renewal = await client.post(f"{API}/contracts/{code}/renew", json={}, headers=staff)
    assert renewal.status_code == 201
    assert (renewal.json()["renewal_of"], renewal.json()["start_date"]) == (code, "2027-01-01")
    assert (await client.get(f"{API}/contracts/{code}", headers=staff)).json()["renewed_by"] == [
        renewal.json()["code"]
    ]

    early = {"last_day": "2026-05-20", "reason": "搬迁", "penalty": "5000"}
    settled = await client.post(f"{API}/contracts/{code}/terminate", json=early, headers=staff)
    assert settled.status_code == 200, settled.text
    # Nothing was billed, so all is outstanding: Q1 (30000 + 3000) and Q2 cut short
    # (16451.61 + 1645.16, see the termination tests), + 5000 penalty - 22000 deposits.
    assert settled.json()["total"] == "34096.77"
    fetched = await client.get(f"{API}/contracts/{code}/settlement", headers=staff)
    assert fetched.json() == settled.json()
    gone = await client.post(f"{API}/contracts/{code}/terminate", json=early, headers=staff)
    assert gone.status_code == 409
    bad = await client.post(
        f"{API}/contracts/{renewal.json()['code']}/reject", json={"reason": ""}, headers=admin
    )
    assert bad.status_code == 422


async def test_approval_steps_and_alerts_over_rest(
    client: AsyncClient, acme: World, signed: Any, session: Session
) -> None:
    code = signed().code
    jobs.run_daily(session=session, now=datetime(2026, 12, 1, tzinfo=UTC))
    session.commit()
    staff, admin = await login(client, "acme-staff"), await login(client, "acme-admin")
    assert (await client.get(f"{API}/contract-approval-steps", headers=staff)).json() == ["admin"]
    route = {"roles": ["staff", "finance"]}
    assert (
        await client.put(f"{API}/contract-approval-steps", json=route, headers=staff)
    ).status_code == 403
    bad = await client.put(
        f"{API}/contract-approval-steps", json={"roles": ["tenant"]}, headers=admin
    )
    assert (bad.status_code, bad.json()["field"]) == (422, "roles")
    put = await client.put(f"{API}/contract-approval-steps", json=route, headers=admin)
    assert put.json() == ["staff", "finance"]

    [alert] = (await client.get(f"{API}/contract-alerts", headers=staff)).json()
    assert (alert["contract_code"], alert["threshold_days"], alert["end_date"]) == (
        code,
        30,
        "2026-12-31",
    )
    seen = await client.post(f"{API}/contract-alerts/{alert['id']}/acknowledge", headers=staff)
    assert seen.json()["acknowledged_at"] is not None
    assert (await client.get(f"{API}/contract-alerts", headers=staff)).json() == []


async def test_a_lease_entered_over_rest_may_not_overlap(client: AsyncClient, acme: World) -> None:
    admin = await login(client, "acme-admin")
    lease = {
        "code": "L-9",
        "unit_code": "U-102",
        "tenant_code": "TA",
        "start_date": "2030-01-01",
        "end_date": "2030-12-31",
        "monthly_rent": "100.00",
        "electricity_tariff": "1.0000",
    }
    overlapping = await client.post(f"{API}/leases", json=lease, headers=admin)
    assert overlapping.status_code == 409 and "HT-2026-0002" in overlapping.json()["detail"]
    made = await client.post(f"{API}/leases", json=lease | {"unit_code": "U-203"}, headers=admin)
    assert made.status_code == 201 and made.json()["contract_code"] is None
    backwards = await client.post(
        f"{API}/leases", json=lease | {"code": "L-10", "end_date": "2029-01-01"}, headers=admin
    )
    assert backwards.status_code == 422
