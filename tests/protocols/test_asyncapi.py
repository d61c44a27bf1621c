import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
import yaml

from protocols import topics
from protocols.asyncapi import asyncapi_document, asyncapi_yaml
from protocols.gate import (
    AllowList,
    Credential,
    ExitAnswer,
    ExitQuery,
    PlatePass,
    hash_secret,
)
from protocols.messages import DataBatch, EventRecord, ReadingRecord

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
DOC = asyncapi_document()
_TYPES: dict[str, Any] = {
    "object": dict,
    "array": list,
    "string": str,
    "boolean": bool,
    "null": type(None),
    "integer": int,
    "number": (int, float),
}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        own = [node["$ref"]] if "$ref" in node else []
        return own + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for item in node for r in _refs(item)]
    return []


def _resolve(ref: str) -> Any:
    assert ref.startswith("#/"), ref
    node: Any = DOC
    for part in ref[2:].split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _errors(schema: dict[str, Any], value: Any, at: str = "$") -> list[str]:
    """A small JSON Schema check (jsonschema is not installed in .venv): the keywords pydantic
    writes for our models, enough to tell a valid payload from a broken one."""
    if "$ref" in schema:
        return _errors(_resolve(schema["$ref"]), value, at)
    for key in ("oneOf", "anyOf"):
        if key in schema:
            matches = sum(not _errors(option, value, at) for option in schema[key])
            ok = matches == 1 if key == "oneOf" else matches >= 1
            return [] if ok else [f"{at}: {matches} {key} options match"]
    kind = schema.get("type")
    # bool is an int in Python, never in JSON
    if kind and not (
        isinstance(value, _TYPES[kind]) and isinstance(value, bool) == (kind == "boolean")
    ):
        return [f"{at}: not {kind}"]
    if "const" in schema and value != schema["const"]:
        return [f"{at}: not {schema['const']!r}"]
    if "pattern" in schema and not re.search(schema["pattern"], value):
        return [f"{at}: does not match {schema['pattern']}"]
    if "minimum" in schema and value < schema["minimum"]:
        return [f"{at}: below {schema['minimum']}"]
    errors: list[str] = []
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        errors += [f"{at}.{k}: missing" for k in schema.get("required", []) if k not in value]
        if schema.get("additionalProperties") is False:
            errors += [f"{at}.{k}: not allowed" for k in value if k not in properties]
        for k, v in value.items():
            if k in properties:
                errors += _errors(properties[k], v, f"{at}.{k}")
    if isinstance(value, list):
        if len(value) < schema.get("minItems", 0):
            errors.append(f"{at}: fewer than {schema['minItems']} items")
        for i, item in enumerate(value):
            errors += _errors(schema.get("items", {}), item, f"{at}[{i}]")
    return errors


def _batch() -> dict[str, Any]:
    reading = ReadingRecord(
        agent="bldg-a", boot=1, seq=1, device="EM-1", ts=NOW, values={"energy_import": 12.5}
    )
    event = EventRecord(agent="bldg-a", boot=1, seq=2, device="GATE-1", ts=NOW, event="opened")
    return DataBatch(site="park1", agent="bldg-a", records=[reading, event]).model_dump(mode="json")


def _payload_schema(channel_id: str) -> dict[str, Any]:
    (message,) = DOC["channels"][channel_id]["messages"].values()
    return {"$ref": _resolve(message["$ref"])["payload"]["$ref"]}


def test_every_v1_topic_has_a_channel_whose_address_builds_that_topic():
    names = [("up", n) for n in topics.UP_NAMES] + [("down", n) for n in topics.DOWN_NAMES]
    assert len(DOC["channels"]) == len(names)
    for direction, name in names:
        channel = DOC["channels"][f"{direction}-{name}"]
        concrete = channel["address"].format(site="park1", agent="bldg-a")
        assert concrete == str(topics.Topic("park1", "bldg-a", direction, name))
        assert set(channel["parameters"]) == {"site", "agent"}


def test_the_agent_sends_up_and_receives_down_at_qos_1_and_status_is_retained():
    for operation in DOC["operations"].values():
        channel_id = operation["channel"]["$ref"].rsplit("/", 1)[1]
        assert operation["action"] == ("send" if channel_id.startswith("up-") else "receive")
        assert operation["bindings"]["mqtt"]["qos"] == 1
    assert DOC["operations"]["send-status"]["bindings"]["mqtt"]["retain"] is True
    assert DOC["operations"]["send-data"]["bindings"]["mqtt"]["retain"] is False


def test_every_ref_resolves_inside_the_document():
    refs = _refs(DOC)
    assert len(refs) > 20
    for ref in refs:
        _resolve(ref)


def test_the_data_batch_schema_accepts_a_real_batch():
    assert _errors(_payload_schema("up-data"), _batch()) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [(("site",), "$.site: missing"), (("records", 0, "values"), "$.records[0]: 0 oneOf")],
)
def test_the_data_batch_schema_rejects_a_missing_field(path, expected):
    batch = _batch()
    *parents, last = path
    target = batch
    for key in parents:
        target = target[key]
    del target[last]
    assert any(e.startswith(expected) for e in _errors(_payload_schema("up-data"), batch))


def test_the_yaml_round_trips_to_the_same_document():
    assert yaml.safe_load(asyncapi_yaml()) == DOC


def test_the_allow_list_is_retained_and_its_schema_accepts_a_real_list():
    assert DOC["operations"]["receive-lists"]["bindings"]["mqtt"]["retain"] is True
    allow = AllowList(
        site="park1",
        version=3,
        issued_at=NOW,
        plates=[PlatePass(plate="京A12345", kind="monthly", gates=["G-IN"])],
        credentials=[
            Credential(
                kind="pin",
                secret_hash=hash_secret("4321", salt="00" * 8, iterations=1),
                person="p-1",
                areas=["B1"],
            ),
        ],
    ).model_dump(mode="json")
    assert _errors(_payload_schema("down-lists"), allow) == []
    del allow["version"]
    assert "$.version: missing" in _errors(_payload_schema("down-lists"), allow)


def test_the_exit_query_goes_up_and_its_answer_comes_down_with_the_same_id():
    assert DOC["operations"]["send-query"]["action"] == "send"
    assert DOC["operations"]["receive-answer"]["action"] == "receive"
    query = ExitQuery(
        id="q-1", site="park1", agent="bldg-a", gate="G-OUT", plate="京A12345", ts=NOW
    ).model_dump(mode="json")
    answer = ExitAnswer(
        id="q-1", plate="京A12345", paid=False, amount_due=Decimal("12.50"), session_id="s-9"
    ).model_dump(mode="json")
    assert _errors(_payload_schema("up-query"), query) == []
    assert _errors(_payload_schema("down-answer"), answer) == []
    assert answer["amount_due"] == "12.50"


def test_gate_and_door_event_shapes_are_listed_among_the_schemas():
    schemas = DOC["components"]["schemas"]
    for name in ("GatePassageData", "ManualOpenData", "DoorEventData", "LockEventData"):
        assert name in schemas
