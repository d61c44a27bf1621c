"""The work-order REST API end to end (in-process), on both database backends."""

from datetime import date, timedelta

from httpx import AsyncClient

from tests.cloud.identity.test_api import login
from tests.cloud.workorders.conftest import Shop
from tests.cloud.workorders.helpers import PNG

API = "/api/v1"


async def test_report_dispatch_work_verify_and_rate(client: AsyncClient, shop: Shop) -> None:
    tenant, staff = await login(client, "acme-tenant"), await login(client, "acme-staff")
    engineer, finance = await login(client, "acme-engineer"), await login(client, "acme-finance")

    categories = (await client.get(f"{API}/work-order-categories", headers=tenant)).json()
    assert [c["code"] for c in categories] == ["ELEC", "PLUMB"]
    reported = await client.post(
        f"{API}/work-orders",
        json={"category_code": "ELEC", "description": "插座没电", "unit_code": "U-101"},
        headers=tenant,
    )
    assert reported.status_code == 201, reported.text
    order = reported.json()
    code = order["code"]
    assert (order["state"], order["source"], order["title"]) == ("new", "tenant", "插座没电")
    assert order["tenant_code"] == "TA" and order["events"][0]["kind"] == "created"
    photo = await client.post(
        f"{API}/work-orders/{code}/attachments",
        files={"file": ("socket.png", PNG, "image/png")},
        headers=tenant,
    )
    assert photo.status_code == 201 and photo.json()["kind"] == "photo"
    image = await client.get(
        f"{API}/work-orders/{code}/attachments/{photo.json()['id']}", headers=staff
    )
    assert (image.status_code, image.content) == (200, PNG)
    assert image.headers["content-type"] == "image/png"

    suggestions = await client.get(f"{API}/work-orders/{code}/assignee-suggestions", headers=staff)
    assert suggestions.json()[0]["username"] == "acme-engineer"
    assigned = await client.post(f"{API}/work-orders/{code}/assignment", json={}, headers=staff)
    assert assigned.json()["assignee"] == "acme-engineer"
    charge = await client.patch(
        f"{API}/work-orders/{code}", json={"chargeable": True}, headers=staff
    )
    assert charge.json()["chargeable"] is True
    too_early = await client.post(
        f"{API}/work-orders/{code}/transitions", json={"action": "finish"}, headers=engineer
    )
    assert too_early.status_code == 409
    assert "cannot finish" in too_early.json()["detail"]
    for action in ("accept", "start"):
        moved = await client.post(
            f"{API}/work-orders/{code}/transitions", json={"action": action}, headers=engineer
        )
        assert moved.status_code == 200, moved.text
    material = await client.post(
        f"{API}/work-orders/{code}/materials",
        json={"item": "插座面板", "quantity": "1", "unit_price": "28.50"},
        headers=engineer,
    )
    assert material.status_code == 201 and material.json()["amount"] == "28.50"
    labour = await client.post(
        f"{API}/work-orders/{code}/labour", json={"minutes": 20}, headers=engineer
    )
    assert labour.json()["amount"] == "30.00"  # 20 min at ELEC's 90.00/h
    signature = await client.post(
        f"{API}/work-orders/{code}/attachments",
        data={"kind": "signature"},
        files={"file": ("sign.png", PNG, "image/png")},
        headers=engineer,
    )
    assert signature.status_code == 201 and signature.json()["kind"] == "signature"
    await client.post(
        f"{API}/work-orders/{code}/transitions", json={"action": "finish"}, headers=engineer
    )
    verified = await client.post(
        f"{API}/work-orders/{code}/transitions", json={"action": "verify"}, headers=staff
    )
    detail = verified.json()
    assert (detail["state"], detail["total"]) == ("closed", "58.50")
    assert [e["to_state"] for e in detail["events"] if e["kind"] == "transition"] == [
        "assigned",
        "accepted",
        "in_progress",
        "done",
        "closed",
    ]
    charges = (await client.get(f"{API}/work-order-charges", headers=finance)).json()
    assert [
        (c["work_order_code"], c["tenant_code"], c["amount"], c["status"]) for c in charges
    ] == [(code, "TA", "58.50", "pending")]

    rated = await client.post(
        f"{API}/work-orders/{code}/rating", json={"score": 4, "comment": "好"}, headers=tenant
    )
    assert rated.status_code == 200 and rated.json()["rating"] == 4
    again = await client.post(f"{API}/work-orders/{code}/rating", json={"score": 5}, headers=tenant)
    assert again.status_code == 409
    mine = (await client.get(f"{API}/work-orders", headers=tenant)).json()
    assert [(o["code"], o["state"]) for o in mine] == [(code, "closed")]

    # Reported just now: whatever the date is in Shanghai, it is inside this period.
    period = {"first": "2026-01-01", "last": (date.today() + timedelta(days=1)).isoformat()}
    figures = (
        await client.get(f"{API}/work-order-reports/sla", params=period, headers=staff)
    ).json()
    assert [(f["category_code"], f["orders"], f["mean_rating"]) for f in figures] == [
        ("ELEC", 1, "4.00")
    ]
    escalations = await client.get(
        f"{API}/work-order-reports/escalations", params=period, headers=staff
    )
    assert escalations.status_code == 200


async def test_refusals_over_http(client: AsyncClient, shop: Shop) -> None:
    tenant, tenant_b = await login(client, "acme-tenant"), await login(client, "acme-tenant_b")
    engineer = await login(client, "acme-engineer")
    assert (await client.get(f"{API}/work-orders")).status_code == 401
    nowhere = await client.post(
        f"{API}/work-orders", json={"category_code": "ELEC", "description": "x"}, headers=tenant
    )
    assert nowhere.status_code == 422 and nowhere.json()["field"] == "location"
    created = await client.post(
        f"{API}/work-orders",
        json={"category_code": "ELEC", "description": "x", "location": "3F 走廊"},
        headers=tenant,
    )
    code = created.json()["code"]
    assert (await client.get(f"{API}/work-orders/{code}", headers=tenant_b)).status_code == 404
    assert (await client.get(f"{API}/work-orders", headers=tenant_b)).json() == []
    not_image = await client.post(
        f"{API}/work-orders/{code}/attachments",
        files={"file": ("page.html", b"<script>alert(1)</script>", "image/png")},
        headers=tenant,
    )
    assert not_image.status_code == 422 and not_image.json()["field"] == "file"
    signature = await client.post(
        f"{API}/work-orders/{code}/attachments",
        data={"kind": "signature"},
        files={"file": ("s.png", PNG, "image/png")},
        headers=tenant,
    )
    assert signature.status_code == 403
    dispatch = await client.post(f"{API}/work-orders/{code}/assignment", json={}, headers=engineer)
    assert dispatch.status_code == 403
    unknown = await client.post(
        f"{API}/work-orders/{code}/transitions", json={"action": "fly"}, headers=engineer
    )
    assert unknown.status_code == 422
    report = await client.get(
        f"{API}/work-order-reports/sla",
        params={"first": "2026-01-01", "last": "2026-01-31"},
        headers=tenant,
    )
    assert report.status_code == 403
    bad_score = await client.post(
        f"{API}/work-orders/{code}/rating", json={"score": 0}, headers=tenant
    )
    assert bad_score.status_code == 422
