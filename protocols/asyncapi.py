"""The MQTT contract v1 as an AsyncAPI 3.0 document, built from the message models and the topic
layout so the published contract cannot drift from the code. Pure, no I/O."""

from dataclasses import dataclass
from typing import Any, Literal

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from protocols import gate, messages, topics
from protocols.codes import CODE_PATTERN

_SCHEMAS = "#/components/schemas/"
_QOS = 1
_PARAMETERS = ("site", "agent")
_SITE, _AGENT = "site-param", "agent-param"
"""Valid codes standing in for the `{site}` and `{agent}` parameters while `Topic` builds an
address: `Topic` refuses the braces themselves."""

_DIRECTIONS: tuple[tuple[Literal["up", "down"], tuple[str, ...]], ...] = (
    ("up", topics.UP_NAMES),
    ("down", topics.DOWN_NAMES),
)

_INFO = """MQTT contract v1 between parkops edge agents and the cloud.

Operations are written from the **edge agent's** point of view: an agent `send`s on `up/*` and
`receive`s on `down/*`; the cloud does the opposite.

- Every message is JSON, published and subscribed at QoS 1.
- Every payload carries `v`, the schema version (currently 1).
- Every record carries `agent`, `boot` (boot epoch), `seq` (monotonic per agent and boot),
  `device` and `ts` (device time).
- The cloud writes idempotently on `(agent, boot, seq)` and acks, on `down/ack`, the highest
  contiguous `seq` committed in its database, only after commit.
- The agent's outbox deletes a record only once such an ack covers it, never on PUBACK.

Together: effectively exactly-once across broker, network, database and agent restarts."""


EVENT_DATA_MODELS: list[type[BaseModel]] = [messages.PlateReadData, *gate.EVENT_DATA_MODELS]
"""Shapes of events' `data` by event kind, listed among the schemas for integrators."""


@dataclass(frozen=True)
class _Channel:
    """One row of the v1 topic table: what travels on it, and whether the broker retains it."""

    model: type[BaseModel]
    retained: bool
    description: str


_CHANNELS: dict[tuple[str, str], _Channel] = {
    ("up", "data"): _Channel(
        messages.DataBatch,
        False,
        "Batches of readings and events from the agent's outbox. A batch may be redelivered; "
        "the cloud writes idempotently on `(agent, boot, seq)`.",
    ),
    ("up", "status"): _Channel(
        messages.Status,
        True,
        "Retained. The agent's birth (online, versions, config hash) on connect; its MQTT will "
        "on the same topic says `online: false` when it drops.",
    ),
    ("up", "cmd-result"): _Channel(
        messages.CommandResult, False, "What became of a command, by command `id`."
    ),
    ("down", "ack"): _Channel(
        messages.Ack,
        False,
        "Every record of `boot` with seq <= `seq` is committed (the highest contiguous seq, sent "
        "after commit). Only this ack lets the outbox delete records, never the PUBACK.",
    ),
    ("down", "cmd"): _Channel(
        messages.Command,
        False,
        "A command (open barrier, unlock door, reboot bus...) with an `id`, to be carried out "
        "before `expires_at` and answered on `up/cmd-result`.",
    ),
    ("down", "lists"): _Channel(
        gate.AllowList,
        True,
        "Retained. The versioned allow-list of the agent's site: plate passes and door "
        "credentials (PIN and QR secrets only as salted hashes). The agent keeps the highest "
        "`version` it has seen, persisted, and ignores older ones.",
    ),
    ("up", "query"): _Channel(
        gate.ExitQuery,
        False,
        "A question the agent waits for, e.g. whether a plate at an exit gate has paid. The "
        "cloud answers on `down/answer` with the same `id`; past its timeout the agent follows "
        "its offline policy.",
    ),
    ("down", "answer"): _Channel(
        gate.ExitAnswer, False, "The answer to the `up/query` with the same `id`."
    ),
}


def _asyncapi_schema(node: Any) -> Any:
    """AsyncAPI's Schema Object wants `discriminator` as the property name, not OpenAPI's
    `{propertyName, mapping}` that pydantic writes; the `const` on that property says the rest."""
    if isinstance(node, list):
        return [_asyncapi_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _asyncapi_schema(value) for key, value in node.items()}
    if isinstance(out.get("discriminator"), dict):
        out["discriminator"] = out["discriminator"]["propertyName"]
    return out


def _address(direction: Literal["up", "down"], name: str) -> str:
    concrete = str(topics.Topic(_SITE, _AGENT, direction, name))
    return concrete.replace(f"/{_SITE}/{_AGENT}/", "/{site}/{agent}/", 1)


def _message(model: type[BaseModel], refs: dict[Any, Any]) -> tuple[str, dict[str, Any]]:
    """A message's name and its Message Object."""
    name, doc = model.__name__, model.__doc__ or ""
    payload = refs[(model, "validation")]["$ref"]
    return name, {
        "name": name,
        "title": name,
        "summary": doc.strip().splitlines()[0],
        "contentType": "application/json",
        "payload": {"$ref": payload},
    }


def asyncapi_document() -> dict[str, Any]:
    """The v1 contract as an AsyncAPI 3.0.0 document (a plain dict, ready for JSON or YAML)."""
    models = [c.model for c in _CHANNELS.values()]
    models += EVENT_DATA_MODELS
    refs, defs = models_json_schema(
        [(m, "validation") for m in models], ref_template=_SCHEMAS + "{model}"
    )
    schemas: dict[str, Any] = _asyncapi_schema(defs["$defs"])
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    components_messages: dict[str, Any] = {}
    for direction, names in _DIRECTIONS:
        for name in names:
            channel = _CHANNELS[(direction, name)]
            message, message_object = _message(channel.model, refs)
            components_messages[message] = message_object
            channel_id = f"{direction}-{name}"
            channels[channel_id] = {
                "address": _address(direction, name),
                "title": f"{direction}/{name}",
                "description": channel.description,
                "parameters": {p: {"$ref": f"#/components/parameters/{p}"} for p in _PARAMETERS},
                "messages": {message: {"$ref": f"#/components/messages/{message}"}},
            }
            action = "send" if direction == "up" else "receive"
            operations[f"{action}-{name}"] = {
                "action": action,
                "channel": {"$ref": f"#/channels/{channel_id}"},
                "summary": f"The agent {action}s {message} on {direction}/{name}.",
                "messages": [{"$ref": f"#/channels/{channel_id}/messages/{message}"}],
                "bindings": {
                    "mqtt": {"qos": _QOS, "retain": channel.retained, "bindingVersion": "0.2.0"}
                },
            }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "parkops MQTT contract",
            "version": f"{messages.SCHEMA_VERSION}.0.0",
            "description": _INFO,
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": schemas,
            "messages": components_messages,
            "parameters": {
                p: {"description": f"{p} code from the site config, matching `{CODE_PATTERN}`"}
                for p in _PARAMETERS
            },
        },
    }


class _Dumper(yaml.SafeDumper):
    """Writes multi-line descriptions as readable literal blocks."""


def _str(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    return dumper.represent_scalar(
        "tag:yaml.org,2002:str", text, style="|" if "\n" in text else None
    )


_Dumper.add_representer(str, _str)


def asyncapi_yaml() -> str:
    """The document as YAML, in the order it was built."""
    return yaml.dump(asyncapi_document(), Dumper=_Dumper, allow_unicode=True, sort_keys=False)
