from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cloud.energy.models import Reading
from cloud.ingest.models import DeadLetter, DeviceEvent, EdgeAgent, IngestReceipt
from cloud.ingest.service import IngestOutcome, ingest_message
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
    ("topic", "payload", "reason"),
    [
        (DATA, b"{not json", "invalid DataBatch"),
        (DATA, b'{"v": 1, "site": "site1", "agent": "agent1"}', "records"),
        (DATA, batch([1], agent="agent2").model_dump_json().encode(), "payload says site1/agent2"),
        (DATA, _other_agent_in_record(), "records name agent(s) agent9"),
        (
            topics.data("site1", "agent7"),
            batch([1], agent="agent7").model_dump_json().encode(),
            "unknown agent agent7 at site site1",
        ),
        ("parkops/v1/site1/agent1/up/nonsense", b"{}", "unknown up topic name"),
        ("parkops/v1/site1/agent1/up/cmd-result", b"{}", "no handler for up/cmd-result"),
        ("elsewhere/x", b"{}", "not a parkops/v1 topic"),
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
    session: Session, world: World, topic: str, payload: bytes, reason: str
) -> None:
    outcome = take(session, payload, topic=topic)
    assert outcome.kind == "dead_letter" and outcome.acks == ()
    assert outcome.reason is not None and reason in outcome.reason
    letter = session.scalars(select(DeadLetter)).one()
    assert (letter.topic, letter.payload, letter.reason) == (topic, payload, outcome.reason)
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
