"""Topic builders and parser for the MQTT contract v1:
`parkops/v1/{site}/{agent}/{up|down}/{name}`."""

import re
from dataclasses import dataclass
from typing import Literal

from protocols.codes import CODE_PATTERN

PREFIX = "parkops/v1"
UPLINK_FILTER = f"{PREFIX}/+/+/up/#"
"""What the cloud subscribes to: everything every agent sends."""


def shared_uplink_filter(group: str) -> str:
    """`$share/{group}/parkops/v1/+/+/up/#`: the uplink filter as a shared subscription, so the
    broker hands each message to one subscriber of `group` (MQTT 5; Mosquitto and EMQX also
    honour it for 3.1.1 clients)."""
    if not _CODE.match(group):
        raise ValueError(f"share group {group!r} is not a valid code")
    return f"$share/{group}/{UPLINK_FILTER}"


UP_NAMES = ("data", "status", "cmd-result", "query")
DOWN_NAMES = ("ack", "cmd", "lists", "answer")

_CODE = re.compile(CODE_PATTERN)


@dataclass(frozen=True)
class Topic:
    site: str
    agent: str
    direction: Literal["up", "down"]
    name: str

    def __post_init__(self) -> None:
        for field, value in (("site", self.site), ("agent", self.agent)):
            if not _CODE.match(value):
                raise ValueError(f"{field} code {value!r} is not a valid code")
        names = UP_NAMES if self.direction == "up" else DOWN_NAMES
        if self.name not in names:
            raise ValueError(f"unknown {self.direction} topic name {self.name!r}")

    def __str__(self) -> str:
        return f"{PREFIX}/{self.site}/{self.agent}/{self.direction}/{self.name}"


def data(site: str, agent: str) -> str:
    return str(Topic(site, agent, "up", "data"))


def status(site: str, agent: str) -> str:
    return str(Topic(site, agent, "up", "status"))


def cmd_result(site: str, agent: str) -> str:
    return str(Topic(site, agent, "up", "cmd-result"))


def ack(site: str, agent: str) -> str:
    return str(Topic(site, agent, "down", "ack"))


def cmd(site: str, agent: str) -> str:
    return str(Topic(site, agent, "down", "cmd"))


def lists(site: str, agent: str) -> str:
    return str(Topic(site, agent, "down", "lists"))


def query(site: str, agent: str) -> str:
    """Questions the agent asks the cloud and waits for (is this exit paid?)."""
    return str(Topic(site, agent, "up", "query"))


def answer(site: str, agent: str) -> str:
    """The cloud's answers to `query`, matched by correlation id."""
    return str(Topic(site, agent, "down", "answer"))


def downlink_filter(site: str, agent: str) -> str:
    """What an agent subscribes to: everything the cloud sends it."""
    return str(Topic(site, agent, "down", "ack")).rsplit("/", 1)[0] + "/#"


def parse(topic: str) -> Topic:
    """Split a v1 topic into its parts; ValueError names what is wrong."""
    parts = topic.split("/")
    if len(parts) != 6 or "/".join(parts[:2]) != PREFIX:
        raise ValueError(f"not a {PREFIX} topic: {topic!r}")
    _, _, site, agent, direction, name = parts
    if direction not in ("up", "down"):
        raise ValueError(f"direction must be up or down in {topic!r}")
    return Topic(site, agent, direction, name)  # type: ignore[arg-type]
