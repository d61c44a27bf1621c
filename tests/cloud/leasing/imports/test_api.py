"""Import and export over REST: the report with row numbers, 422 and nothing stored when a row
is bad, and the export as a workbook."""

from io import BytesIO

from httpx import AsyncClient
from openpyxl import load_workbook

from tests.cloud.factories import World
from tests.cloud.identity.test_api import login
from tests.cloud.leasing.imports.test_service import UNIT, good_book, workbook

API = "/api/v1"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(content: bytes) -> dict[str, tuple[str, bytes, str]]:
    return {"file": ("book.xlsx", content, XLSX)}


async def test_a_bad_row_is_reported_and_nothing_is_stored(
    client: AsyncClient, world: World
) -> None:
    staff = await login(client, "acme-staff")
    bad = workbook({"tenants": [["TN1", "ok"]], "units": [["N-1", *UNIT, "big"]]})
    dry = await client.post(
        f"{API}/imports/leasing", params={"dry_run": "true"}, files=upload(bad), headers=staff
    )
    assert dry.status_code == 200, dry.text
    assert [(p["sheet"], p["row"]) for p in dry.json()["problems"]] == [("units", 2)]
    real = await client.post(f"{API}/imports/leasing", files=upload(bad), headers=staff)
    assert real.status_code == 422 and real.json()["applied"] is False
    tenants = await client.get(f"{API}/tenants", headers=staff)
    assert "TN1" not in [t["code"] for t in tenants.json()]


async def test_import_then_export_over_rest(client: AsyncClient, world: World) -> None:
    admin = await login(client, "acme-admin")
    done = await client.post(f"{API}/imports/leasing", files=upload(good_book()), headers=admin)
    assert done.status_code == 200 and done.json()["applied"] is True, done.text
    exported = await client.get(f"{API}/exports/leasing.xlsx", headers=admin)
    assert exported.status_code == 200
    assert exported.headers["content-type"] == XLSX
    book = load_workbook(BytesIO(exported.content))
    assert "N-301" in [row[0] for row in book["units"].iter_rows(values_only=True)]


async def test_finance_may_not_import(client: AsyncClient, world: World) -> None:
    finance = await login(client, "acme-finance")
    refused = await client.post(
        f"{API}/imports/leasing", files=upload(good_book()), headers=finance
    )
    assert refused.status_code == 403
