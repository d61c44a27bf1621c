"""The billing REST API end to end (in-process), on both database backends."""

from httpx import AsyncClient

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
