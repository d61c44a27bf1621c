import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from cloud.energy.models import Reading
from cloud.ingest.checks import Uplink, check_uplink
from cloud.ingest.models import DeadLetter, DeviceEvent, EdgeAgent, IngestReceipt
from cloud.ingest.service import IngestOutcome, ingest_batch, ingest_message
from protocols import topics
from protocols.messages import Ack, DataBatch, Status
from tests.cloud.factories import World
from tests.cloud.ingest.batches import batch, event

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DATA = topics.data("site1", "agent1")


def take(session: Session, payload: bytes | DataBatch | Status, topic: str = DATA) -> IngestOutcome:
    raw = payload if isinstance(payload, bytes) else payload.model_dump_json().encode()
    outcome = ingest_message(session=session, topic=topic, payload=raw, received_at=NOW)
    session.commit()
    return outcome


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def acks(outcome: IngestOutcome) -> list[tuple[str, Ack]]:
    return [(a.topic, a.ack) for a in outcome.acks]


def test_a_batch_is_written_and_acked(session: Session, world: World) -> None:
    outcome = take(session, batch(range(1, 4)))
    assert outcome.kind == "data" and outcome.written == 3
    assert acks(outcome) == [(topics.ack("site1", "agent1"), Ack(boot=1, seq=3))]
    assert count(session, Reading) == 6  # 3 records x 2 metrics
    assert count(session, IngestReceipt) == 3
    assert session.get(EdgeAgent, world.agent.id).last_seen_at == NOW  # type: ignore[union-attr]


def test_the_same_batch_twice_writes_once_and_acks_again(session: Session, world: World) -> None:
    first = take(session, batch(range(1, 4)))
    second = take(session, batch(range(1, 4)))
    assert (second.written, second.duplicates) == (0, 3)
    assert acks(second) == acks(first)
    assert count(session, Reading) == 6
    assert count(session, IngestReceipt) == 3


def test_ack_is_the_highest_contiguous_seq(session: Session, world: World) -> None:
    assert acks(take(session, batch(range(4, 7))))[0][1] == Ack(boot=1, seq=0)
    assert acks(take(session, batch(range(1, 4))))[0][1] == Ack(boot=1, seq=6)
    assert acks(take(session, batch([8])))[0][1] == Ack(boot=1, seq=6)
    assert acks(take(session, batch([7])))[0][1] == Ack(boot=1, seq=8)


def test_each_boot_is_its_own_stream(session: Session, world: World) -> None:
    records = [*batch(range(1, 3), boot=5).records, *batch([1, 3], boot=6).records]
    outcome = take(session, DataBatch(site="site1", agent="agent1", records=records))
    assert [a.ack for a in outcome.acks] == [Ack(boot=5, seq=2), Ack(boot=6, seq=1)]


def test_events_are_stored_once(session: Session, world: World) -> None:
    mixed = DataBatch(site="site1", agent="agent1", records=[*batch([1]).records, event(2)])
    take(session, mixed)
    take(session, mixed)
    stored = session.scalars(select(DeviceEvent)).all()
    assert [(e.event, e.data, e.device_id) for e in stored] == [
        ("cover_open", {"n": 1}, world.meters["M-PUB"].id)
    ]


def test_non_finite_values_are_not_stored(session: Session, world: World) -> None:
    payload = batch([1]).model_dump_json().replace("230.0", "NaN").encode()
    outcome = take(session, payload)
    assert outcome.kind == "data"
    assert session.scalars(select(Reading.metric)).all() == ["energy_import"]


def _other_agent_in_record() -> bytes:
    good = batch([1, 2]).model_dump(mode="json")
    good["records"][1]["agent"] = "agent9"
    return DataBatch.model_validate(good).model_dump_json().encode()


@pytest.mark.parametrize(
    ("topic", "payload", "reason", "cause"),
    [
        (DATA, b"{not json", "invalid DataBatch", "schema"),
        (DATA, b'{"v": 1, "site": "site1", "agent": "agent1"}', "records", "schema"),
        (
            DATA,
            batch([1], agent="agent2").model_dump_json().encode(),
            "payload says site1/agent2",
            "agent_mismatch",
        ),
        (DATA, _other_agent_in_record(), "records name agent(s) agent9", "agent_mismatch"),
        (
            topics.data("site1", "agent7"),
            batch([1], agent="agent7").model_dump_json().encode(),
            "unknown agent agent7 at site site1",
            "unknown_agent",
        ),
        ("parkops/v1/site1/agent1/up/nonsense", b"{}", "unknown up topic name", "topic"),
        ("parkops/v1/site1/agent1/up/cmd-result", b"{}", "no handler for up/cmd-result", "topic"),
        ("elsewhere/x", b"{}", "not a parkops/v1 topic", "topic"),
    ],
    ids=[
        "malformed-json",
        "schema",
        "topic-payload-mismatch",
        "record-agent-mismatch",
        "unknown-agent",
        "unknown-topic-name",
        "unhandled-topic",
        "foreign-topic",
    ],
)
def test_what_cannot_be_taken_in_is_a_dead_letter(
    session: Session, world: World, topic: str, payload: bytes, reason: str, cause: str
) -> None:
    outcome = take(session, payload, topic=topic)
    assert outcome.kind == "dead_letter" and outcome.acks == ()
    assert outcome.reason is not None and reason in outcome.reason
    letter = session.scalars(select(DeadLetter)).one()
    assert (letter.topic, letter.payload, letter.reason) == (topic, payload, outcome.reason)
    assert (letter.cause, letter.payload_size) == (cause, len(payload))
    assert letter.received_at == NOW
    assert count(session, Reading) == count(session, IngestReceipt) == 0


def _with_unknown_device() -> DataBatch:
    """Seqs 1, 2 and 4 of a registered meter; seq 3 of a meter not registered in the cloud yet."""
    records = [
        *batch([1, 2]).records,
        *batch([3], device="EM-NOPE").records,
        *batch([4]).records,
    ]
    return DataBatch(site="site1", agent="agent1", records=records)


def test_a_record_of_an_unknown_device_is_a_dead_letter_and_the_batch_is_acked(
    session: Session, world: World
) -> None:
    sent = _with_unknown_device()
    outcome = take(session, sent)
    assert (outcome.kind, outcome.written, outcome.dead_lettered) == ("data", 3, 1)
    assert outcome.reason == "unknown device(s) EM-NOPE for agent agent1"
    assert acks(outcome) == [(topics.ack("site1", "agent1"), Ack(boot=1, seq=4))]
    assert count(session, IngestReceipt) == 4
    stored = session.scalars(select(Reading.ts).where(Reading.metric == "energy_import")).all()
    assert sorted(stored) == [sent.records[i].ts for i in (0, 1, 3)]
    letter = session.scalars(select(DeadLetter)).one()
    assert (letter.topic, letter.payload, letter.received_at) == (
        DATA,
        sent.records[2].model_dump_json().encode(),
        NOW,
    )
    assert "unknown device EM-NOPE" in letter.reason


def test_a_resent_batch_does_not_dead_letter_its_records_again(
    session: Session, world: World
) -> None:
    first = take(session, _with_unknown_device())
    again = take(session, _with_unknown_device())
    assert (again.written, again.duplicates, again.dead_lettered) == (0, 4, 0)
    assert again.reason is None and acks(again) == acks(first)
    assert count(session, DeadLetter) == 1
    assert count(session, Reading) == 6  # 3 records x 2 metrics


def test_status_marks_the_agent(session: Session, world: World) -> None:
    birth = Status(site="site1", agent="agent1", online=True, boot=3, config_hash="abc123")
    assert take(session, birth, topic=topics.status("site1", "agent1")).kind == "status"
    agent = session.get(EdgeAgent, world.agent.id)
    assert agent is not None
    assert (agent.online, agent.config_hash, agent.last_seen_at) == (True, "abc123", NOW)
    will = Status(site="site1", agent="agent1", online=False)
    take(session, will, topic=topics.status("site1", "agent1"))
    session.refresh(agent)
    assert (agent.online, agent.config_hash) == (False, "abc123")


def checked(payload: DataBatch | Status | bytes, topic: str = DATA) -> Uplink:
    raw = payload if isinstance(payload, bytes) else payload.model_dump_json().encode()
    return check_uplink(topic, raw, NOW)


def take_batch(session: Session, *uplinks: Uplink) -> list[IngestOutcome]:
    outcomes = ingest_batch(session=session, uplinks=uplinks)
    session.commit()
    return outcomes


def test_a_batch_of_messages_is_written_in_one_go_and_each_gets_its_outcome(
    session: Session, world: World
) -> None:
    birth = Status(site="site1", agent="agent1", online=True, config_hash="h1")
    outcomes = take_batch(
        session,
        checked(batch(range(1, 4))),
        checked(b"{broken"),
        checked(birth, topic=topics.status("site1", "agent1")),
        checked(batch(range(4, 6))),
        checked(
            batch(range(1, 6), site="site2", agent="agent2", device="EM-NOPE"),
            topic=topics.data("site2", "agent2"),
        ),
    )
    assert [o.kind for o in outcomes] == ["data", "dead_letter", "status", "data", "data"]
    assert [o.written for o in outcomes] == [3, 0, 0, 2, 0]  # agent2 has no EM-NOPE: dead letters
    # Acks are worked out after the whole batch: every message of a stream acks its end.
    agent1_acked = [(topics.ack("site1", "agent1"), Ack(boot=1, seq=5))]
    assert acks(outcomes[0]) == acks(outcomes[3]) == agent1_acked
    assert acks(outcomes[4]) == [(topics.ack("site2", "agent2"), Ack(boot=1, seq=5))]
    assert outcomes[4].dead_lettered == 5
    assert outcomes[4].reason == "unknown device(s) EM-NOPE for agent agent2"
    assert count(session, Reading) == 10 and count(session, IngestReceipt) == 10
    assert count(session, DeadLetter) == 1 + 5
    assert session.get(EdgeAgent, world.agent.id).config_hash == "h1"  # type: ignore[union-attr]


def test_the_same_records_twice_in_one_batch_and_again_later_are_taken_once(
    session: Session, world: World
) -> None:
    first, again = take_batch(session, checked(batch(range(1, 5))), checked(batch(range(3, 7))))
    assert (first.written, first.duplicates) == (4, 0)
    assert (again.written, again.duplicates) == (2, 2)
    [resent] = take_batch(session, checked(batch(range(1, 7))))
    assert (resent.written, resent.duplicates) == (0, 6)
    assert acks(resent) == [(topics.ack("site1", "agent1"), Ack(boot=1, seq=6))]
    assert count(session, Reading) == 12 and count(session, IngestReceipt) == 6


def test_batches_out_of_order_are_acked_up_to_the_first_gap(session: Session, world: World) -> None:
    later, gap = take_batch(session, checked(batch(range(6, 11))), checked(batch([1, 2])))
    assert acks(later)[0][1] == acks(gap)[0][1] == Ack(boot=1, seq=2)
    [fill] = take_batch(session, checked(batch(range(3, 6))))
    assert acks(fill)[0][1] == Ack(boot=1, seq=10)
    seqs = session.scalars(select(IngestReceipt.seq).order_by(IngestReceipt.seq)).all()
    assert seqs == list(range(1, 11))


def test_a_record_outside_the_time_window_is_a_dead_letter_and_the_batch_is_acked(
    session: Session, world: World
) -> None:
    sent = batch(range(1, 4))
    document = sent.model_dump(mode="json")
    document["records"][1]["ts"] = (NOW + timedelta(hours=1)).isoformat()  # a clock gone wrong
    [outcome] = take_batch(session, checked(json.dumps(document).encode()))
    assert (outcome.kind, outcome.written, outcome.dead_lettered) == ("data", 2, 1)
    assert outcome.reason is not None and "1 record(s) refused" in outcome.reason
    assert acks(outcome)[0][1] == Ack(boot=1, seq=3)
    letter = session.scalars(select(DeadLetter)).one()
    assert letter.cause == "ts_window" and "(boot 1, seq 2)" in letter.reason
    assert json.loads(letter.payload)["seq"] == 2


def test_two_seqs_with_the_same_reading_store_it_once(session: Session, world: World) -> None:
    """A reading is keyed by (device, metric, ts): a second seq repeating it is not an error."""
    document = batch([1, 2]).model_dump(mode="json")
    document["records"][1]["ts"] = document["records"][0]["ts"]
    [outcome] = take_batch(session, checked(json.dumps(document).encode()))
    assert (outcome.written, outcome.dead_lettered) == (2, 0)
    assert count(session, Reading) == 2


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_record_another_worker_is_writing_waits_for_it_and_is_then_a_duplicate(
    sessions: sessionmaker[Session], world: World
) -> None:
    """Two workers with the same records (an agent resent them to the other): the second
    waits on the first's receipts, and takes nothing in twice whichever way it ends."""
    first = sessions()
    [taken] = ingest_batch(session=first, uplinks=[checked(batch(range(1, 11)))])
    with ThreadPoolExecutor(1) as pool:
        second = pool.submit(_take_in_own_transaction, sessions, checked(batch(range(5, 15))))
        time.sleep(0.5)
        assert not second.done()  # waiting on the first worker's uncommitted receipts
        first.commit()
        first.close()
        late = second.result(timeout=10)
    assert (taken.written, late.written, late.duplicates) == (10, 4, 6)
    assert acks(late)[0][1] == Ack(boot=1, seq=14)
    with sessions() as session:
        assert count(session, Reading) == 28


def _take_in_own_transaction(sessions: sessionmaker[Session], uplink: Uplink) -> IngestOutcome:
    with sessions.begin() as session:
        [outcome] = ingest_batch(session=session, uplinks=[uplink])
        return outcome


def test_an_event_of_the_agent_itself_is_stored_not_dead_lettered(
    session: Session, world: World
) -> None:
    nearly_full = event(1, device="agent1").model_copy(
        update={"event": "outbox_nearly_full", "data": {"used_bytes": 900, "max_bytes": 1000}}
    )
    outcome = take(session, DataBatch(site="site1", agent="agent1", records=[nearly_full]))
    assert [ack.seq for _, ack in acks(outcome)] == [1]
    assert count(session, DeadLetter) == 0
    stored = session.scalars(select(DeviceEvent)).one()
    agent = session.scalars(select(EdgeAgent).where(EdgeAgent.code == "agent1")).one()
    assert (stored.device_id, stored.agent_id) == (None, agent.id)
    assert stored.event == "outbox_nearly_full" and stored.data["used_bytes"] == 900


def test_a_gate_cameras_plate_read_is_stored_as_the_agents_event(
    session: Session, world: World
) -> None:
    read = event(1, device="CAM-IN").model_copy(
        update={"event": "plate_read", "data": {"plate": "沪A12340", "source": "anpr_push"}}
    )
    outcome = take(session, DataBatch(site="site1", agent="agent1", records=[read]))
    assert [ack.seq for _, ack in acks(outcome)] == [1]
    assert count(session, DeadLetter) == 0
    stored = session.scalars(select(DeviceEvent)).one()
    agent = session.scalars(select(EdgeAgent).where(EdgeAgent.code == "agent1")).one()
    assert (stored.device_id, stored.agent_id, stored.event) == (None, agent.id, "plate_read")
    assert stored.data["plate"] == "沪A12340"
