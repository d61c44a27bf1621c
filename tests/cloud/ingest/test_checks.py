"""The checks of what an agent sends, before any database: pure, and total over any bytes."""

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloud.ingest.checks import (
    KEPT_OF_OVERSIZED,
    MAX_AHEAD,
    MAX_BEHIND,
    MAX_JSON_DEPTH,
    MAX_PAYLOAD_BYTES,
    Cause,
    DataUplink,
    Rejected,
    StatusUplink,
    _nested_deeper_than,
    check_uplink,
)
from protocols import topics
from tests.cloud.ingest.batches import batch, event

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
DATA = topics.data("site1", "agent1")


def good() -> dict[str, Any]:
    return batch([1, 2]).model_dump(mode="json")


def encode(document: Any) -> bytes:
    return json.dumps(document).encode()


def rejected(payload: bytes, topic: str = DATA) -> Rejected:
    uplink = check_uplink(topic, payload, NOW)
    assert isinstance(uplink, Rejected), uplink
    return uplink


def test_a_good_batch_passes_whole() -> None:
    uplink = check_uplink(DATA, encode(good()), NOW)
    assert isinstance(uplink, DataUplink) and uplink.refused == {}
    assert [r.seq for r in uplink.batch.records] == [1, 2]


def test_a_status_passes() -> None:
    payload = b'{"v": 1, "site": "site1", "agent": "agent1", "online": true}'
    uplink = check_uplink(topics.status("site1", "agent1"), payload, NOW)
    assert isinstance(uplink, StatusUplink) and uplink.status.online


def test_an_oversized_payload_is_refused_and_only_its_beginning_kept() -> None:
    payload = b'{"v": 1, "pad": "' + b"x" * MAX_PAYLOAD_BYTES + b'"}'
    uplink = rejected(payload)
    assert uplink.refusal.cause is Cause.TOO_LARGE
    assert f"{len(payload):,} bytes" in uplink.refusal.reason
    assert uplink.payload == payload[:KEPT_OF_OVERSIZED] and uplink.size == len(payload)


@pytest.mark.parametrize("depth", [MAX_JSON_DEPTH + 1, 1000, 100_000])
def test_deep_nesting_is_refused_before_parsing(depth: int) -> None:
    document = good()
    document["records"][0]["data"] = "placeholder"
    nested = b"[" * depth + b"]" * depth
    payload = encode(document).replace(b'"placeholder"', nested)
    uplink = rejected(payload)
    assert uplink.refusal.cause is Cause.TOO_DEEP
    assert f"deeper than {MAX_JSON_DEPTH} levels" in uplink.refusal.reason


@pytest.mark.parametrize(
    ("text", "deeper"),
    [
        (b'{"a": [1, {"b": [2]}]}', False),
        (b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False),
        (b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1), True),
        (b'{"a": "' + b"[" * 100 + b'"}', False),  # brackets in a string are text
        (b'{"a": "\\"' + b"[" * 100 + b'"}', False),  # after an escaped quote, still the string
        (b'{"a": "\\\\", "b": ' + b"[" * 40 + b"]" * 40 + b"}", True),  # an escaped backslash
        (b"[" * 100, False),  # unbalanced: malformed, for the parser to name
    ],
)
def test_the_depth_of_json(text: bytes, deeper: bool) -> None:
    assert _nested_deeper_than(text, MAX_JSON_DEPTH) is deeper


BEYOND_64_BITS = "less than or equal to 9223372036854775807"


@pytest.mark.parametrize(
    ("change", "cause", "words"),
    [
        (lambda d: d.pop("records"), Cause.SCHEMA, "invalid DataBatch"),
        (lambda d: d.update(v=2), Cause.SCHEMA, "invalid DataBatch"),
        (lambda d: d["records"][0].update(seq=2**63), Cause.SCHEMA, BEYOND_64_BITS),
        (lambda d: d["records"][0].update(boot=2**70), Cause.SCHEMA, BEYOND_64_BITS),
        (lambda d: d["records"][0].update(seq=-1), Cause.SCHEMA, "invalid DataBatch"),
        (lambda d: d.update(agent="agent2"), Cause.AGENT_MISMATCH, "payload says site1/agent2"),
        (lambda d: d["records"][1].update(agent="x"), Cause.AGENT_MISMATCH, "agent(s) x"),
    ],
    ids=["no-records", "version", "seq-bigint", "boot-bigint", "seq-negative", "names", "stray"],
)
def test_what_is_wrong_with_a_whole_message_is_named(change: Any, cause: Cause, words: str) -> None:
    document = good()
    change(document)
    uplink = rejected(encode(document))
    assert uplink.refusal.cause is cause and words in uplink.refusal.reason


@pytest.mark.parametrize(
    ("topic", "words"),
    [
        ("elsewhere/x", "not a parkops/v1 topic"),
        ("parkops/v1/site1/agent1/down/ack", "only uplink topics"),
        ("parkops/v1/site1/agent1/up/cmd-result", "no handler for up/cmd-result"),
        ("parkops/v1/site1/agent1/up/nonsense", "unknown up topic name"),
    ],
)
def test_topics_the_cloud_does_not_take(topic: str, words: str) -> None:
    uplink = rejected(encode(good()), topic=topic)
    assert uplink.refusal.cause is Cause.TOPIC and words in uplink.refusal.reason


@pytest.mark.parametrize(
    ("offset", "inside"),
    [
        (MAX_AHEAD, True),
        (MAX_AHEAD + timedelta(seconds=1), False),
        (-MAX_BEHIND, True),
        (-MAX_BEHIND - timedelta(seconds=1), False),
    ],
)
def test_records_outside_the_time_window_are_refused_one_by_one(
    offset: timedelta, inside: bool
) -> None:
    document = good()
    document["records"][1]["ts"] = (NOW + offset).isoformat()
    uplink = check_uplink(DATA, encode(document), NOW)
    assert isinstance(uplink, DataUplink)
    if inside:
        assert uplink.refused == {}
    else:
        assert list(uplink.refused) == [1]
        assert uplink.refused[1].cause is Cause.TS_WINDOW
        assert "outside 7 days behind to 10 minutes ahead" in uplink.refused[1].reason


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda r: r["values"].update({"m" * 65: 1.0}), "metric name"),
        (lambda r: r["values"].update({"a\u0000b": 1.0}), "metric name"),
    ],
)
def test_readings_the_database_cannot_hold_are_refused_one_by_one(change: Any, words: str) -> None:
    document = good()
    change(document["records"][0])
    uplink = check_uplink(DATA, encode(document), NOW)
    assert isinstance(uplink, DataUplink) and list(uplink.refused) == [0]
    assert uplink.refused[0].cause is Cause.BAD_RECORD and words in uplink.refused[0].reason


@pytest.mark.parametrize(
    "data", [{"a": "nul\u0000"}, {"nul\u0000": 1}, {"a": [float("nan")]}, {"a": float("inf")}]
)
def test_event_data_jsonb_cannot_hold_is_refused(data: dict[str, Any]) -> None:
    document = good()
    document["records"][1] = event(2).model_dump(mode="json") | {"data": data}
    payload = json.dumps(document, allow_nan=True).encode()
    uplink = check_uplink(DATA, payload, NOW)
    assert isinstance(uplink, DataUplink) and list(uplink.refused) == [1]
    assert uplink.refused[1].cause is Cause.BAD_RECORD


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=300))
def test_any_bytes_are_sorted_never_raised(payload: bytes) -> None:
    assert isinstance(check_uplink(DATA, payload, NOW), Rejected)


JSON = st.recursive(
    st.none() | st.booleans() | st.floats() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.sampled_from(["v", "site", "agent", "records", "x"]), JSON))
def test_any_json_is_sorted_never_raised(document: dict[str, Any]) -> None:
    payload = json.dumps(document, allow_nan=True).encode()
    assert isinstance(check_uplink(DATA, payload, NOW), Rejected | DataUplink)
