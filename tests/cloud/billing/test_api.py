"""The billing REST API end to end (in-process), on both database backends."""

from collections.abc import Mapping

from httpx import AsyncClient
from sqlalchemy.orm import Session

from tests.cloud.billing.conftest import active_contract
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login

API = "/api/v1/billing"
MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-31"}


async def test_run_bills_pay_and_report(client: AsyncClient, march: World) -> None:
    finance, staff = await login(client, "acme-finance"), await login(client, "acme-staff")
    tenant_b = await login(client, "acme-tenant_b")
    preview = await client.get(f"{API}/runs/preview", params=MARCH, headers=staff)
    assert preview.status_code == 200, preview.text
    assert preview.json()["new_total"] == "49468.70"  # 45000 + 4154.09 + 14.82 + 3 x 99.93
    assert (await client.post(f"{API}/runs", json=MARCH, headers=staff)).status_code == 403
    dated = {**MARCH, "posted_on": "2026-04-01"}
    posted = await client.post(f"{API}/runs", json=dated, headers=finance)
    assert posted.status_code == 201, posted.text
    assert (posted.json()["added"], posted.json()["bills"]) == (8, 2)
    again = await client.post(f"{API}/runs", json=dated, headers=finance)
    assert again.json()["added"] == 0

    bills = (await client.get(f"{API}/bills", headers=tenant_b)).json()
    assert [(b["code"], b["total"]) for b in bills] == [("B202603-TB", "15114.75")]
    other = await client.get(f"{API}/bills/B202603-TA", headers=tenant_b)
    assert other.status_code == 404

    payment = {
        "tenant_code": "TB",
        "amount": "15000.00",
        "received_on": "2026-04-10",
        "method": "bank_transfer",
        "reference": "CMB 0001",
        "idempotency_key": "bank-0001",
    }
    paid = await client.post(f"{API}/payments", json=payment, headers=finance)
    assert paid.status_code == 201, paid.text
    assert paid.json()["amount"] == "-15000.00"
    repeat = await client.post(f"{API}/payments", json=payment, headers=finance)
    assert repeat.json()["id"] == paid.json()["id"]
    balance = (await client.get(f"{API}/tenants/TB/balance", headers=tenant_b)).json()
    assert (balance["outstanding"], balance["prepaid"]) == ("114.75", "0.00")
    items = (await client.get(f"{API}/tenants/TB/open-items", headers=tenant_b)).json()
    assert sum(float(i["outstanding"]) for i in items) == 114.75

    ageing = await client.get(f"{API}/ageing", params={"as_of": "2026-05-20"}, headers=finance)
    assert ageing.status_code == 200, ageing.text
    rows = {r["tenant_code"]: r for r in ageing.json()["rows"]}
    assert rows["TB"]["d31_60"] == "114.75"  # due 04-15, 35 days late

    window = {"start": "2026-03-01", "end": "2026-03-31"}
    collection = await client.get(
        f"{API}/reports/collection", params={**window, "by": "tenant"}, headers=finance
    )
    assert collection.status_code == 200, collection.text
    tb = next(r for r in collection.json()["rows"] if r["key"] == "TB")
    assert (tb["values"]["billed"], tb["values"]["collected"]) == ("15114.75", "15000.00")
    assert tb["values"]["collection_rate"] == "0.9924"  # 15000 / 15114.75
    cash = await client.get(
        f"{API}/reports/cash-flow",
        params={"start": "2026-04-01", "end": "2026-04-30"},
        headers=finance,
    )
    assert cash.json()["totals"]["received"] == "15000.00"
    by_item = await client.get(
        f"{API}/reports/revenue", params={**window, "by": "item"}, headers=finance
    )
    assert {r["key"]: r["values"]["billed"] for r in by_item.json()["rows"]}["租金"] == "45000.00"
    per_m2 = await client.get(f"{API}/reports/rent-per-m2", params=window, headers=finance)
    # 45000 over 300 m² for one month
    assert per_m2.json()["rows"][0]["values"]["rent_per_m2_month"] == "150.00"


async def test_money_moves_over_rest(client: AsyncClient, march: World, session: Session) -> None:
    finance = await login(client, "acme-finance")
    active_contract(session, march, "TB")
    session.commit()

    async def post(path: str, body: Mapping[str, object]) -> dict[str, object]:
        response = await client.post(f"{API}/{path}", json=body, headers=finance)
        assert response.status_code == 201, (path, response.text)
        result: dict[str, object] = response.json()
        return result

    dated = {**MARCH, "posted_on": "2026-04-01"}
    await post("runs", dated)
    deposit = {"tenant_code": "TB", "amount": "5000.00", "on": "2026-01-01", "reference": "d"}
    assert (await post("deposits", deposit))["account"] == "deposit"
    deduct = {"tenant_code": "TB", "amount": "100.00", "on": "2026-04-02", "reason": "arrears"}
    assert (await post("deposits/deductions", deduct))["kind"] == "deposit_applied"
    refund = {"tenant_code": "TB", "amount": "4900.00", "on": "2026-04-03"}
    assert (await post("deposits/refunds", refund))["amount"] == "-4900.00"
    adjust = {"tenant_code": "TB", "amount": "-14.75", "entry_date": "2026-04-02", "reason": "x"}
    assert (await post("adjustments", adjust))["memo"] == "x"
    bill = (await client.get(f"{API}/bills/B202603-TB", headers=finance)).json()
    # 15114.75 less 100 from the deposit and a 14.75 credit: 15000 left, on the rent first
    assert bill["outstanding"] == "15000.00"
    rent = next(line for line in bill["lines"] if line["item"] == "租金")
    write = {
        "entry_id": rent["entry_id"],
        "on": "2026-04-05",
        "reason": "settled",
        "amount": "1.00",
    }
    assert (await post("write-offs", write))["kind"] == "write_off"
    reminded = await post("bills/B202603-TB/reminders", {"stage": "notice", "on": "2026-04-20"})
    assert reminded["reminder_stage"] == "notice"
    policy = {"contract_code": "HT-LF", "grace_days": 3, "daily_rate": "0.0005", "cap_rate": "0.1"}
    put = await client.put(f"{API}/contracts/HT-LF/late-fee-policy", json=policy, headers=finance)
    assert put.status_code == 200, put.text
    ran = await client.post(f"{API}/late-fees/run", params={"on": "2026-04-30"}, headers=finance)
    assert ran.json() == {"added": 0}  # the run's charges are not the contract's
    settings = {"allocation_order": "item_priority", "item_priority": ["租金"], "due_days": 10}
    put = await client.put(f"{API}/settings", json=settings, headers=finance)
    assert put.json() == settings
    closed = await client.post(f"{API}/periods/2026-03-01/close", headers=finance)
    assert closed.json() == {"closed": "2026-03"}
    assert (await client.post(f"{API}/runs", json=dated, headers=finance)).status_code == 409
