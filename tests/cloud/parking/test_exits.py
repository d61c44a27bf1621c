"""Exit questions answered (as a function and over real Mosquitto), and gate events that
ingest stored turned into sessions."""

import asyncio
from decimal import Decimal

import aiomqtt
from sqlalchemy.orm import Session, sessionmaker

from cloud.ingest.models import DeviceEvent, EdgeAgent
from cloud.parking import payments
from cloud.parking import sessions as parking_sessions
from cloud.parking.exits import answer_exit, take_gate_events
from cloud.parking.jobs import answer_exit_queries
from cloud.parking.models import ParkingSession, SessionState
from cloud.parking.schemas import PaymentCreate
from cloud.properties.models import Site
from protocols import topics
from protocols.gate import ExitAnswer, ExitQuery, GatePassageData
from protocols.mqtt_url import parse_broker_url
from tests.cloud.factories import World
from tests.cloud.parking.conftest import local


def ask(plate: str, at: str, site: str = "site1", agent: str = "agent1") -> ExitQuery:
    return ExitQuery(id="q1", site=site, agent=agent, gate="OUT-1", plate=plate, ts=local(at))


def test_the_exit_answer_says_what_is_due_and_when_paid(session: Session, lot: World) -> None:
    parked = parking_sessions.record_entry(
        session=session, site=lot.site, plate="京A12340", at=local("2026-03-02 09:00")
    )
    unpaid = answer_exit(session=session, query=ask("京A1234D", "2026-03-02 12:00"))
    assert (unpaid.paid, unpaid.amount_due, unpaid.session_id) == (
        False,
        Decimal("13.00"),
        str(parked.id),
    )
    payments.pay(
        session=session,
        actor=lot.actors["staff"],
        session_id=parked.id,
        data=PaymentCreate(amount=Decimal("13.00"), paid_at=local("2026-03-02 12:00")),
    )
    paid = answer_exit(session=session, query=ask("京A12340", "2026-03-02 12:05"))
    assert (paid.paid, paid.amount_due, paid.leave_by) == (
        True,
        Decimal("0.00"),
        local("2026-03-02 12:15"),
    )
    nobody = answer_exit(session=session, query=ask("京B99999", "2026-03-02 12:05"))
    assert (nobody.paid, nobody.session_id, nobody.detail) == (
        False,
        None,
        "no open session for this plate",
    )


def _event(agent: EdgeAgent, at: str, **data: object) -> DeviceEvent:
    passage = GatePassageData.model_validate(data)
    return DeviceEvent(
        agent_id=agent.id,
        ts=local(at),
        event=f"gate_{passage.direction}",
        data=passage.model_dump(mode="json"),
    )


def test_gate_events_open_and_close_sessions_once(session: Session, lot: World) -> None:
    session.add_all(
        [
            _event(
                lot.agent,
                "2026-03-02 09:00",
                gate="IN-1",
                direction="entry",
                plate="京A12345",
                opened=True,
                basis="temporary",
            ),
            _event(
                lot.agent,
                "2026-03-02 09:01",
                gate="IN-1",
                direction="entry",
                plate="京C77777",
                opened=False,
                basis="denied",
                reason="full",
            ),
            _event(
                lot.agent,
                "2026-03-02 10:30",
                gate="OUT-1",
                direction="exit",
                plate="京A12345",
                opened=True,
                basis="paid",
            ),
        ]
    )
    session.flush()
    assert take_gate_events(session=session) == 3
    assert take_gate_events(session=session) == 0  # the cursor moved past them
    [stay] = session.query(ParkingSession).all()
    assert (stay.plate, stay.state, stay.fee) == ("京A12345", SessionState.closed, Decimal("7.00"))
    assert stay.entry_gate is not None and stay.entry_gate.code == "IN-1"


async def test_exit_questions_are_answered_over_mqtt(
    session: Session,
    sessions: sessionmaker[Session],
    lot: World,
    mosquitto_url: str,
    unique_code: str,
) -> None:
    site = Site(org_id=lot.org.id, code=unique_code, name="Lot")
    session.add(site)
    session.flush()
    session.add(EdgeAgent(org_id=lot.org.id, site_id=site.id, code=f"{unique_code}a"))
    parking_sessions.record_entry(
        session=session, site=site, plate="京A12345", at=local("2026-03-02 09:00")
    )
    session.commit()
    broker = parse_broker_url(mosquitto_url)
    query = ask("京A12345", "2026-03-02 10:00", site=unique_code, agent=f"{unique_code}a")
    async with (
        aiomqtt.Client(broker.host, broker.port) as cloud,
        aiomqtt.Client(broker.host, broker.port) as edge,
    ):
        responder = asyncio.create_task(answer_exit_queries(sessions=sessions, client=cloud))
        await edge.subscribe(topics.answer(unique_code, f"{unique_code}a"), qos=1)
        await asyncio.sleep(0.3)  # let the responder subscribe before the question goes out
        await edge.publish(
            topics.query(unique_code, f"{unique_code}a"), query.model_dump_json(), qos=1
        )
        try:
            async with asyncio.timeout(5):
                message = await anext(edge.messages)
        finally:
            # A cancel landing as a publish completes can be absorbed by the client: repeat.
            while not responder.done():
                responder.cancel()
                await asyncio.wait([responder], timeout=0.5)
    answer = ExitAnswer.model_validate_json(bytes(message.payload))
    assert (answer.id, answer.paid, answer.amount_due) == ("q1", False, Decimal("5.00"))
