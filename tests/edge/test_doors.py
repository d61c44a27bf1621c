"""Doors over TCP against the simulated door controller: credentials checked locally against
the synced list, the lock released or refused, and every happening an event."""

import asyncio
from datetime import UTC, datetime, time, timedelta

from edge.doors import DoorWatcher
from edge.gate_memory import GateMemory
from protocols.gate import AllowList, Credential, TimeWindow, hash_secret
from protocols.gate_config import Door
from simulators.door_controller import SimulatedDoor, serve_door
from tests.conftest import free_tcp_port
from tests.support import eventually, running

NOW = datetime.now(UTC)
ALWAYS = TimeWindow(days=[1, 2, 3, 4, 5, 6, 7], start=time(0), end=time(23, 59, 59))


class _Events:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def append_event(self, *, device, ts, event, data=None) -> int:
        self.events.append((event, data))
        return len(self.events)

    def named(self, name: str) -> list[dict]:
        return [data for event, data in self.events if event == name]


def _memory(tmp_path) -> GateMemory:
    memory = GateMemory(tmp_path / "gates.sqlite3", site="park1")
    allow = AllowList(
        site="park1",
        version=1,
        issued_at=NOW,
        credentials=[
            Credential(kind="card", identifier="04A1B2C3", person="p-1", areas=["L3"],
                       windows=[ALWAYS], ref="cred-1"),
            Credential(kind="pin", secret_hash=hash_secret("2580", salt="ab" * 8, iterations=50),
                       person="p-2", areas=["L3"], ref="cred-2"),
            Credential(kind="card", identifier="0BADCAFE", person="p-3", areas=["L3"],
                       valid_until=NOW - timedelta(days=1), ref="cred-3"),
        ],
    )  # fmt: skip
    assert memory.offer(allow.model_dump_json())
    return memory


async def test_credentials_door_contact_forced_held_and_exit_become_events(tmp_path):
    port = free_tcp_port()
    door = SimulatedDoor(code="D-L3", held_after_s=0.2)
    events = _Events()
    config = Door(code="D-L3", host="127.0.0.1", port=port, area="L3", unlock_s=0.3)
    with _memory(tmp_path) as memory:
        watcher = DoorWatcher(config, memory=memory, sink=events, retry_s=0.05)
        async with running(
            lambda ready: serve_door(door, host="127.0.0.1", port=port, ready=ready)
        ):
            watching = asyncio.create_task(watcher.run())
            try:
                await asyncio.wait_for(watcher.connected.wait(), 5)
                await door.show("card", "04a1b2c3")
                await eventually(lambda: door.unlocks, what="unlocked for the card")
                await door.open_door()
                await door.close_door()
                await door.show("pin", "2580")
                await eventually(lambda: len(door.unlocks) == 2, what="unlocked for the PIN")
                await door.show("pin", "1111")
                await door.show("card", "0BADCAFE")
                await eventually(lambda: door.denied == 2, what="two refusals")
                await asyncio.sleep(0.35)  # the PIN's unlock has run out
                await door.open_door()  # no one unlocked it: forced
                await eventually(lambda: events.named("door_held_open"), what="held open")
                await door.close_door()
                await door.press_exit()
                await eventually(lambda: events.named("door_request_to_exit"), what="exit")
            finally:
                watching.cancel()
                await asyncio.gather(watching, return_exceptions=True)
    granted = events.named("door_granted")
    assert [(g["credential_kind"], g.get("credential_ref"), g["person"]) for g in granted] == [
        ("card", "cred-1", "p-1"),
        ("pin", "cred-2", "p-2"),
    ]
    denied = events.named("door_denied")
    assert [(d["credential_kind"], d["reason"]) for d in denied] == [
        ("pin", "unknown_credential"),
        ("card", "expired"),
    ]
    assert "credential_ref" not in denied[0]  # a wrong PIN is never written down
    assert "1111" not in str(events.events) and "2580" not in str(events.events)
    assert len(events.named("door_opened")) == 2 and len(events.named("door_closed")) == 2
    assert len(events.named("door_forced_open")) == 1
    assert events.named("door_held_open")[0]["held_s"] >= 0.2
    assert len(door.unlocks) == 3  # the exit button unlocks too


async def test_the_watcher_reconnects_when_the_controller_comes_back(tmp_path):
    port = free_tcp_port()
    events = _Events()
    config = Door(code="D-1", host="127.0.0.1", port=port, area="L3")
    with _memory(tmp_path) as memory:
        watcher = DoorWatcher(config, memory=memory, sink=events, retry_s=0.05)
        watching = asyncio.create_task(watcher.run())
        try:
            await asyncio.sleep(0.2)  # nothing listens yet
            assert not watcher.connected.is_set() and watcher.health.failures >= 1
            door = SimulatedDoor(code="D-1")
            async with running(
                lambda ready: serve_door(door, host="127.0.0.1", port=port, ready=ready)
            ):
                await asyncio.wait_for(watcher.connected.wait(), 5)
                await door.show("card", "04A1B2C3")
                await eventually(lambda: door.unlocks, what="unlocked after reconnecting")
        finally:
            watching.cancel()
            await asyncio.gather(watching, return_exceptions=True)
