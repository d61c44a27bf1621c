"""Inspections: a route of QR checkpoints walked on a round; an anomaly opens one work order
(told to the category's supervisor), photos are checked like work order photos."""

import httpx
import pytest
import segno
from sqlalchemy import select
from sqlalchemy.orm import Session

from cloud.errors import Conflict, Forbidden, Invalid, NotFound
from cloud.maintenance import inspections, rounds
from cloud.maintenance.models import Equipment, EventKind, Route
from cloud.maintenance.schemas import (
    ChecklistCreate,
    CheckpointCreate,
    ResultCreate,
    RouteCreate,
)
from cloud.maintenance.service import detail
from cloud.notifications.models import OutboxMessage
from cloud.workorders.attachments import Upload
from cloud.workorders.models import WorkOrder
from tests.cloud.factories import PASSWORD
from tests.cloud.workorders.conftest import Shop, local
from tests.cloud.workorders.helpers import PNG


@pytest.fixture
def route(session: Session, shop: Shop, lift: Equipment) -> Route:
    admin = shop.actors["admin"]
    inspections.create_checklist(
        session=session,
        actor=admin,
        data=ChecklistCreate(
            code="SHOP", name="沿街商铺巡查", items=list(inspections.STREET_SHOP_PATROL)
        ),
    )
    inspections.create_checklist(
        session=session,
        actor=admin,
        data=ChecklistCreate(code="LIFT", name="电梯巡检", items=["运行平稳", "应急电话"]),
    )
    return inspections.create_route(
        session=session,
        actor=admin,
        data=RouteCreate(
            code="R-STREET",
            name="沿街巡查",
            checkpoints=[
                CheckpointCreate(
                    code="CP-101",
                    name="101 商铺",
                    checklist_code="SHOP",
                    category_code="PLUMB",
                    unit_code="U-101",
                ),
                CheckpointCreate(
                    code="CP-LIFT",
                    name="A座客梯",
                    checklist_code="LIFT",
                    category_code="ELEC",
                    equipment_code=lift.code,
                ),
            ],
        ),
    )


def _orders(session: Session) -> list[WorkOrder]:
    return list(session.scalars(select(WorkOrder).order_by(WorkOrder.id)))


def test_an_all_clear_checkpoint_opens_nothing(session: Session, shop: Shop, route: Route) -> None:
    shop_point = route.checkpoints[0]
    result = rounds.record(
        session=session,
        actor=shop.actors["engineer"],
        token=shop_point.token,
        data=ResultCreate(),
        now=local("2026-03-06 09:00"),
    )
    assert result.work_order_id is None and _orders(session) == []
    view = rounds.round_view(session=session, actor=shop.actors["staff"], round_id=result.round_id)
    assert view.remaining == ["CP-LIFT"]


def test_an_anomaly_opens_a_work_order_at_the_checkpoint(
    session: Session, shop: Shop, route: Route
) -> None:
    shop_point, lift_point = route.checkpoints
    engineer = shop.actors["engineer"]
    failed = [inspections.STREET_SHOP_PATROL[2]]  # outdoor display over its line
    result = rounds.record(
        session=session,
        actor=engineer,
        token=shop_point.token,
        data=ResultCreate(failed_items=failed, note="外摆占用人行道"),
        photos=[Upload(filename="street.png", data=PNG)],
        now=local("2026-03-06 09:00"),
    )
    [order] = _orders(session)
    assert result.work_order_id == order.id
    assert order.unit is not None and order.unit.code == "U-101"
    assert "外摆不越线" in order.title and order.category.code == "PLUMB"
    supervisor = shop.actors["staff"].user_id  # the categories' supervisor in the shop
    told = session.scalars(
        select(OutboxMessage.user_id).where(OutboxMessage.template == "inspection.anomaly")
    ).all()
    assert told == [supervisor]
    # the lift's anomaly lands in the lift's history too
    rounds.record(
        session=session,
        actor=engineer,
        token=lift_point.token,
        data=ResultCreate(failed_items=["应急电话"]),
        now=local("2026-03-06 09:10"),
    )
    history = detail(session=session, actor=engineer, code="LIFT-A-01").history
    assert [e.kind for e in history if e.work_order_code] == [EventKind.work_order]
    view = rounds.round_view(session=session, actor=engineer, round_id=result.round_id)
    assert view.remaining == [] and view.results[0].photos == 1
    with pytest.raises(Conflict):  # once per checkpoint and round
        rounds.record(session=session, actor=engineer, token=lift_point.token, data=ResultCreate())


def test_bad_input_is_refused_with_nothing_written(
    session: Session, shop: Shop, route: Route
) -> None:
    point = route.checkpoints[0]
    with pytest.raises(Invalid):
        rounds.record(
            session=session,
            actor=shop.actors["engineer"],
            token=point.token,
            data=ResultCreate(failed_items=["not an item"]),
        )
    with pytest.raises(Invalid):
        rounds.record(
            session=session,
            actor=shop.actors["engineer"],
            token=point.token,
            data=ResultCreate(failed_items=[inspections.STREET_SHOP_PATROL[0]]),
            photos=[Upload(filename="x.txt", data=b"not an image")],
        )


def test_scoping_of_inspections(session: Session, shop: Shop, route: Route) -> None:
    point = route.checkpoints[0]
    with pytest.raises(Forbidden):
        rounds.record(
            session=session, actor=shop.actors["tenant"], token=point.token, data=ResultCreate()
        )
    with pytest.raises(NotFound):  # another org's inspector cannot use this org's QR code
        rounds.record(
            session=session,
            actor=shop.actors["other_engineer"],
            token=point.token,
            data=ResultCreate(),
        )
    with pytest.raises(Forbidden):
        inspections.create_checklist(
            session=session,
            actor=shop.actors["engineer"],
            data=ChecklistCreate(code="X", name="X", items=["a"]),
        )
    assert inspections.list_routes(session=session, actor=shop.actors["other_admin"]) == []


def test_a_checkpoints_qr_code_opens_its_phone_page(route: Route) -> None:
    token = route.checkpoints[0].token
    svg = inspections.qr_svg(token=token, base_url="https://park.example/")
    assert svg.startswith("<svg") and "path" in svg
    expected = segno.make(f"https://park.example/inspect/{token}", error="m")
    assert svg == expected.svg_inline(scale=4)


async def test_recording_a_checkpoint_over_rest(
    client: httpx.AsyncClient, session: Session, shop: Shop, route: Route
) -> None:
    token = route.checkpoints[0].token
    session.commit()

    async def login(key: str) -> dict[str, str]:
        body = {"username": shop.actors[key].username, "password": PASSWORD}
        answer = (await client.post("/api/v1/auth/login", json=body)).json()
        return {"Authorization": f"Bearer {answer['access_token']}"}

    engineer, tenant = await login("engineer"), await login("tenant")
    qr = await client.get(f"/api/v1/inspection-checkpoints/{token}/qr.svg", headers=engineer)
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/svg+xml"
    recorded = await client.post(
        f"/api/v1/inspection-checkpoints/{token}/results",
        headers=engineer,
        data={"failed_items": [inspections.STREET_SHOP_PATROL[3]], "note": "垃圾未清"},
        files=[("photos", ("a.png", PNG, "image/png"))],
    )
    assert recorded.status_code == 201, recorded.text
    [result] = recorded.json()["results"]
    assert result["work_order_code"] and result["photos"] == 1
    denied = await client.post(
        f"/api/v1/inspection-checkpoints/{token}/results", headers=tenant, data={}
    )
    assert denied.status_code == 403
