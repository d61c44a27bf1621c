"""Allow-lists: what a site's list holds, and its versions published retained over real
Mosquitto, with a new version only when something changed."""

import asyncio
from datetime import date, datetime, timedelta

import aiomqtt
from sqlalchemy.orm import Session, sessionmaker

from cloud.access import visitors
from cloud.access.schemas import VisitorCreate
from cloud.ingest.models import EdgeAgent
from cloud.parking import service
from cloud.parking.jobs import publish_allow_lists
from cloud.parking.lists import current_list
from cloud.parking.schemas import PassCreate, QuotaWrite, VehicleCreate
from cloud.properties.models import Site
from protocols import topics
from protocols.gate import AllowList
from protocols.mqtt_url import parse_broker_url
from tests.cloud.factories import World
from tests.cloud.parking.conftest import local


def _stock(session: Session, world: World) -> None:
    staff = world.actors["staff"]
    service.register_vehicle(session=session, actor=staff, data=VehicleCreate(plate="京A11111"))
    service.register_vehicle(
        session=session, actor=staff, data=VehicleCreate(plate="京A22222", tenant_code="TA")
    )
    service.set_quota(
        session=session,
        actor=staff,
        data=QuotaWrite(tenant_code="TA", site_code="site1", max_passes=2),
    )
    service.issue_pass(
        session=session,
        actor=staff,
        data=PassCreate(
            plate="京A11111",
            site_code="site1",
            tenant_code="TA",
            valid_from=date(2026, 3, 1),
            valid_to=date(2026, 3, 31),
            grace_days=2,
        ),
    )
    visitors.book_visitor(
        session=session,
        actor=world.actors["tenant"],
        data=VisitorCreate(
            name="王先生",
            plate="沪B12345",
            valid_from=local("2026-03-10 09:00"),
            valid_until=local("2026-03-10 18:00"),
            site_code="site1",
        ),
    )


def test_the_list_holds_passes_and_visitors(session: Session, world: World) -> None:
    _stock(session, world)
    allow_list, version = current_list(
        session=session, site=world.site, at=local("2026-03-10 08:00")
    )
    by_plate = {p.plate: p for p in allow_list.plates}
    # 京A22222 is TA's car without a pass: it pays, so it is not let out unasked.
    assert set(by_plate) == {"京A11111", "沪B12345"}
    monthly = by_plate["京A11111"]
    assert (monthly.kind, monthly.tenant) == ("monthly", "TA")
    assert monthly.valid_until == local("2026-04-03 00:00")  # 31 March + 2 grace days, whole
    assert by_plate["沪B12345"].kind == "visitor"
    [qr] = allow_list.credentials
    assert qr.kind == "qr" and qr.secret_hash is not None and qr.identifier is None
    assert version.version == 1

    again, same = current_list(session=session, site=world.site, at=local("2026-03-10 08:05"))
    assert (same.id, again.version) == (version.id, 1)
    # After the grace days the pass falls off: a new version.
    later, newer = current_list(session=session, site=world.site, at=local("2026-04-03 00:01"))
    assert newer.version == 2
    assert [p.kind for p in later.plates if p.plate == "京A11111"] == []


async def _retained(url: str, topic: str) -> AllowList:
    broker = parse_broker_url(url)
    async with aiomqtt.Client(broker.host, broker.port) as client:
        await client.subscribe(topic, qos=1)
        async with asyncio.timeout(5):
            async for message in client.messages:
                assert message.retain
                return AllowList.model_validate_json(bytes(message.payload))
    raise AssertionError("no retained list")


async def test_versions_are_published_retained_and_only_on_change(
    session: Session,
    sessions: sessionmaker[Session],
    world: World,
    mosquitto_url: str,
    unique_code: str,
) -> None:
    site = Site(org_id=world.org.id, code=unique_code, name="Lot")
    session.add(site)
    session.flush()
    session.add_all(
        EdgeAgent(org_id=world.org.id, site_id=site.id, code=f"{unique_code}{n}") for n in "ab"
    )
    session.commit()
    staff = world.actors["staff"]
    broker = parse_broker_url(mosquitto_url)
    at = datetime.now().astimezone()
    async with aiomqtt.Client(broker.host, broker.port) as client:
        first = await publish_allow_lists(
            sessions=sessions, client=client, at=at, site_ids=[site.id]
        )
        mine = [p for p in first if p.site == unique_code]
        assert [(p.version, p.agents) for p in mine] == [
            (1, (f"{unique_code}a", f"{unique_code}b"))
        ]
        assert [
            p
            for p in await publish_allow_lists(
                sessions=sessions, client=client, at=at, site_ids=[site.id]
            )
            if p.site == unique_code
        ] == []

        service.register_vehicle(
            session=session, actor=staff, data=VehicleCreate(plate="京A22222", tenant_code="TA")
        )
        service.set_quota(
            session=session,
            actor=staff,
            data=QuotaWrite(tenant_code="TA", site_code=unique_code, max_passes=1),
        )
        today = date.today()
        service.issue_pass(
            session=session,
            actor=staff,
            data=PassCreate(
                plate="京A22222",
                site_code=unique_code,
                valid_from=today - timedelta(days=1),
                valid_to=today + timedelta(days=30),
            ),
        )
        session.commit()
        second = await publish_allow_lists(
            sessions=sessions, client=client, at=at + timedelta(seconds=1), site_ids=[site.id]
        )
        assert [p.version for p in second if p.site == unique_code] == [2]

    for agent in ("a", "b"):
        received = await _retained(
            mosquitto_url, topics.lists(unique_code, f"{unique_code}{agent}")
        )
        assert (received.site, received.version) == (unique_code, 2)
        assert [p.plate for p in received.plates] == ["京A22222"]
    async with aiomqtt.Client(broker.host, broker.port) as client:  # leave the broker clean
        for agent in ("a", "b"):
            await client.publish(
                topics.lists(unique_code, f"{unique_code}{agent}"), b"", retain=True
            )
