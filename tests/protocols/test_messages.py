from datetime import UTC, datetime

import pytest
from pydantic import TypeAdapter, ValidationError

from protocols.asyncapi import asyncapi_document
from protocols.messages import (
    Ack,
    DataBatch,
    EventRecord,
    PlateReadData,
    ReadingRecord,
    Record,
    Status,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _reading(**changes):
    fields = {"agent": "bldg-a", "boot": 1, "seq": 1, "device": "EM-1", "ts": NOW}
    fields |= {"values": {"energy_import": 12.5}} | changes
    return ReadingRecord(**fields)


def test_a_batch_round_trips_through_json_with_both_record_kinds():
    event = EventRecord(agent="bldg-a", boot=1, seq=2, device="GATE-1", ts=NOW, event="opened")
    batch = DataBatch(site="park1", agent="bldg-a", records=[_reading(), event])
    again = DataBatch.model_validate_json(batch.model_dump_json())
    assert again == batch
    assert [type(r) for r in again.records] == [ReadingRecord, EventRecord]
    assert again.v == 1


def test_record_kind_picks_the_model():
    record = TypeAdapter(Record).validate_python(_reading().model_dump())
    assert isinstance(record, ReadingRecord)


@pytest.mark.parametrize(
    "changes",
    [
        {"seq": 0},
        {"boot": 0},
        {"values": {}},
        {"ts": datetime(2026, 3, 2, 9, 30)},  # naive: ambiguous instant
        {"device": "EM/1"},
    ],
)
def test_invalid_records_are_refused(changes):
    with pytest.raises(ValidationError):
        _reading(**changes)


def test_empty_batches_and_unknown_versions_are_refused():
    with pytest.raises(ValidationError):
        DataBatch(site="park1", agent="bldg-a", records=[])
    with pytest.raises(ValidationError):
        Ack.model_validate_json('{"v": 2, "boot": 1, "seq": 3}')
    with pytest.raises(ValidationError):
        Ack.model_validate_json('{"v": 1, "boot": 1, "seq": 3, "extra": true}')


def test_ack_and_status_parse_from_the_wire():
    assert Ack.model_validate_json('{"v": 1, "boot": 4, "seq": 17}') == Ack(boot=4, seq=17)
    status = Status.model_validate_json('{"site": "park1", "agent": "a", "online": false}')
    assert status.online is False and status.boot is None


def test_a_plate_read_event_carries_only_what_it_has():
    data = PlateReadData(plate="京A12345", valid=True, source="anpr_push", event_id="e-1")
    assert data.as_event_data() == {
        "plate": "京A12345",
        "valid": True,
        "source": "anpr_push",
        "event_id": "e-1",
    }
    with pytest.raises(ValidationError):
        PlateReadData(plate="京A12345", valid=True, source="edge_ocr", confidence=1.5)


def test_the_asyncapi_document_lists_the_plate_read_shape():
    schema = asyncapi_document()["components"]["schemas"]["PlateReadData"]
    assert {"plate", "valid", "source"} <= set(schema["required"])
