"""Reports and the ageing as Excel workbooks: the same figures as the JSON, exact to the fen,
behind the same role and org checks."""

from decimal import Decimal
from io import BytesIO

import pytest
from httpx import AsyncClient
from openpyxl import load_workbook
from openpyxl.worksheet.worksheet import Worksheet

from cloud.billing.exports import Column, workbook
from tests.cloud.factories import World
from tests.cloud.identity.test_api import login

API = "/api/v1/billing"
MARCH = {"period_start": "2026-03-01", "period_end": "2026-03-31", "posted_on": "2026-04-01"}
WINDOW = {"start": "2026-03-01", "end": "2026-04-30"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def _billed_and_paid(client: AsyncClient) -> dict[str, str]:
    """March billed for acme (TA and TB), TB paying most of its bill; finance's headers."""
    finance = await login(client, "acme-finance")
    posted = await client.post(f"{API}/runs", json=MARCH, headers=finance)
    assert posted.status_code == 201, posted.text
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
    return finance


async def _sheet(
    client: AsyncClient, path: str, params: dict[str, str], headers: dict[str, str]
) -> Worksheet:
    response = await client.get(path, params=params, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == XLSX
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def _money(value: object) -> Decimal:
    assert isinstance(value, int | float), value
    return Decimal(str(value)).quantize(Decimal("0.0001"))


@pytest.mark.parametrize(
    ("name", "by", "header"),
    [
        ("revenue", "item", ["按费项 By fee item", "应收 Billed"]),
        ("collection", "tenant", ["按租户 By tenant", "应收 Billed", "已收 Collected"]),
        ("cash-flow", "month", ["按月 By month", "收款 Received"]),
        ("rent-per-m2", "building", ["按楼栋 By building", "租金 Rent"]),
    ],
)
async def test_a_report_workbook_holds_the_json_figures(
    client: AsyncClient, march: World, name: str, by: str, header: list[str]
) -> None:
    finance = await _billed_and_paid(client)
    params = {**WINDOW, "by": by}
    json = (await client.get(f"{API}/reports/{name}", params=params, headers=finance)).json()
    sheet = await _sheet(client, f"{API}/reports/{name}.xlsx", params, finance)
    assert "2026-03-01" in str(sheet["A1"].value) and "2026-04-30" in str(sheet["A1"].value)
    headers = [c.value for c in sheet[2]]
    assert headers[: len(header)] == header
    assert len(headers) == 1 + len(json["columns"])
    lines = list(sheet.iter_rows(min_row=3, values_only=True))
    assert len(lines) == len(json["rows"]) + 1 and json["rows"]
    for line, row in zip(lines, json["rows"], strict=False):
        assert line[0] == row["key"]
        for value, column in zip(line[1:], json["columns"], strict=True):
            assert _money(value) == Decimal(row["values"][column]), (row["key"], column)
    total = lines[-1]
    assert total[0] == "合计 Total"
    for value, column in zip(total[1:], json["columns"], strict=True):
        expected = json["totals"].get(column)
        assert (value is None) if expected is None else _money(value) == Decimal(expected)
    formats = {c.number_format for c in sheet[3][1:] if c.value is not None}
    assert "#,##0.00" in formats


async def test_the_collection_rate_is_a_percentage_and_money_keeps_its_fen(
    client: AsyncClient, march: World
) -> None:
    finance = await _billed_and_paid(client)
    params = {**WINDOW, "by": "tenant"}
    sheet = await _sheet(client, f"{API}/reports/collection.xlsx", params, finance)
    tb = next(row for row in sheet.iter_rows(min_row=3) if row[0].value == "TB")
    billed, collected, _, rate = (cell for cell in tb[1:])
    assert _money(billed.value) == Decimal("15114.75") and billed.number_format == "#,##0.00"
    assert _money(collected.value) == Decimal("15000.00")
    assert _money(rate.value) == Decimal("0.9924") and rate.number_format == "0.00%"


async def test_the_ageing_workbook_matches_the_ageing(client: AsyncClient, march: World) -> None:
    finance = await _billed_and_paid(client)
    as_of = {"as_of": "2026-05-20"}
    json = (await client.get(f"{API}/ageing", params=as_of, headers=finance)).json()
    sheet = await _sheet(client, f"{API}/ageing.xlsx", as_of, finance)
    assert "2026-05-20" in str(sheet["A1"].value)
    assert [c.value for c in sheet[2]][:3] == [
        "租户 Tenant",
        "租户名称 Tenant name",
        "未到期 Not due",
    ]
    buckets = ["not_due", "d0_30", "d31_60", "d61_90", "d90_plus", "total"]
    lines = list(sheet.iter_rows(min_row=3))
    assert len(lines) == len(json["rows"]) + 1 and json["rows"]
    for line, row in zip(lines, json["rows"], strict=False):
        assert (line[0].value, line[1].value) == (row["tenant_code"], row["tenant_name"])
        for cell, bucket in zip(line[2:], buckets, strict=True):
            assert _money(cell.value) == Decimal(row[bucket])
            assert cell.number_format == "#,##0.00"
    assert lines[-1][0].value == "合计 Total"
    for cell, bucket in zip(lines[-1][2:], buckets, strict=True):
        assert _money(cell.value) == Decimal(json["totals"][bucket])
    tb = next(line for line in lines if line[0].value == "TB")
    assert _money(tb[4].value) == Decimal("114.75")  # due 04-15, 35 days late


async def test_a_tenant_gets_403_and_another_org_sees_none_of_acme(
    client: AsyncClient, march: World
) -> None:
    await _billed_and_paid(client)
    tenant = await login(client, "acme-tenant_b")
    for path, params in (
        (f"{API}/reports/revenue.xlsx", {**WINDOW, "by": "tenant"}),
        (f"{API}/ageing.xlsx", {"as_of": "2026-05-20"}),
    ):
        assert (await client.get(path, params=params, headers=tenant)).status_code == 403
    other = await login(client, "other-finance")
    sheet = await _sheet(client, f"{API}/reports/revenue.xlsx", {**WINDOW, "by": "tenant"}, other)
    assert [row[0] for row in sheet.iter_rows(min_row=3, values_only=True)] == ["合计 Total"]
    assert _money(sheet.cell(3, 2).value) == 0
    ageing = await _sheet(client, f"{API}/ageing.xlsx", {"as_of": "2026-05-20"}, other)
    assert ageing.max_row == 3  # heading, header, totals: none of acme's tenants


def test_the_workbook_writes_decimals_without_losing_a_fen() -> None:
    content = workbook(
        title="t",
        heading="h",
        columns=[Column("k", "K"), Column("v", "V", "#,##0.00")],
        rows=[{"k": "a", "v": Decimal("12345678901.23")}],
        totals={"k": "Σ", "v": Decimal("12345678901.23")},
    )
    sheet = load_workbook(BytesIO(content)).active
    assert sheet is not None
    assert Decimal(str(sheet["B3"].value)) == Decimal("12345678901.23")
    assert sheet["B3"].number_format == "#,##0.00"
    assert sheet["A4"].font.bold
