"""Equipment belongs to its org; staff keep the ledger, engineers work it, tenants see none."""

import httpx
import pytest
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, NotFound
from cloud.maintenance import service
from cloud.maintenance.models import Equipment, Kind, Status
from cloud.maintenance.schemas import EquipmentCreate, StatusChange
from tests.cloud.factories import PASSWORD
from tests.cloud.workorders.conftest import Shop
from tests.cloud.workorders.helpers import report


def test_tenants_see_no_equipment(session: Session, shop: Shop, lift: Equipment) -> None:
    with pytest.raises(Forbidden):
        service.list_equipment(session=session, actor=shop.actors["tenant"])


def test_another_org_never_sees_the_lift(session: Session, shop: Shop, lift: Equipment) -> None:
    assert service.list_equipment(session=session, actor=shop.actors["other_admin"]) == []
    with pytest.raises(NotFound):
        service.get_equipment(session=session, actor=shop.actors["other_engineer"], code=lift.code)


def test_engineers_change_status_but_do_not_keep_the_ledger(
    session: Session, shop: Shop, lift: Equipment
) -> None:
    with pytest.raises(Forbidden):
        service.create_equipment(
            session=session,
            actor=shop.actors["engineer"],
            data=EquipmentCreate(code="P-1", name="水泵", kind=Kind.pump, building_code="A"),
        )
    service.change_status(
        session=session,
        actor=shop.actors["engineer"],
        code=lift.code,
        data=StatusChange(status=Status.faulty, note="门机异响"),
    )
    detail = service.detail(session=session, actor=shop.actors["staff"], code=lift.code)
    assert detail.status == Status.faulty
    assert "门机异响" in (detail.history[0].note or "")


async def test_equipment_and_plans_over_rest(
    client: httpx.AsyncClient, session: Session, shop: Shop
) -> None:
    session.commit()

    async def login(key: str) -> dict[str, str]:
        body = {"username": shop.actors[key].username, "password": PASSWORD}
        token = (await client.post("/api/v1/auth/login", json=body)).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    admin, tenant = await login("admin"), await login("tenant")
    made = await client.post(
        "/api/v1/equipment",
        headers=admin,
        json={"code": "AHU-A-1", "name": "新风机组", "kind": "hvac", "building_code": "A"},
    )
    assert made.status_code == 201, made.text
    plan = await client.post(
        "/api/v1/maintenance-plans",
        headers=admin,
        json={
            "code": "PM-AHU",
            "title": "换滤网",
            "equipment_code": "AHU-A-1",
            "category_code": "ELEC",
            "trigger": "calendar",
            "every": 1,
            "every_unit": "month",
            "first_due_on": "2026-01-01",
        },
    )
    assert plan.status_code == 201, plan.text
    run = await client.post("/api/v1/maintenance/run", headers=admin)
    assert run.status_code == 200 and len(run.json()) == 1
    assert (await client.post("/api/v1/maintenance/run", headers=admin)).json() == []
    assert (await client.get("/api/v1/equipment", headers=tenant)).status_code == 403
    history = (await client.get("/api/v1/equipment/AHU-A-1", headers=admin)).json()["history"]
    assert history[0]["work_order_code"] == run.json()[0]["work_order_code"]


def test_a_work_order_joins_the_equipments_history_once(
    session: Session, shop: Shop, lift: Equipment
) -> None:
    order = report(session, shop.actors["tenant"], text="电梯异响 The lift rattles")
    service.link_work_order(
        session=session, actor=shop.actors["engineer"], code=lift.code, work_order_code=order.code
    )
    history = service.detail(session=session, actor=shop.actors["staff"], code=lift.code).history
    assert history[0].work_order_code == order.code
    with pytest.raises(Conflict):
        service.link_work_order(
            session=session, actor=shop.actors["staff"], code=lift.code, work_order_code=order.code
        )
    with pytest.raises(NotFound):  # another org's engineer cannot reach the lift
        service.link_work_order(
            session=session,
            actor=shop.actors["other_engineer"],
            code=lift.code,
            work_order_code=order.code,
        )
