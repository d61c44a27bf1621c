"""BLE lock unlocks over the fake transport (no radio here): retries through missed scans,
dropped connections and writes the lock never acted on."""

from datetime import UTC, datetime, timedelta

import pytest

from edge.commands import CommandRunner
from edge.doors import LockUnlocker, unlock_door_action
from edge.drivers.ble_lock import BleLockDriver
from edge.errors import TransportError
from edge.state import AgentState
from edge.transports.ble import FakeBleTransport
from protocols.gate_config import BleLock
from protocols.messages import Command
from simulators.ble_lock import SimulatedBleLock

ADDRESS = "AA:BB:CC:DD:EE:01"


def _driver(lock: SimulatedBleLock, attempts: int = 3) -> tuple[BleLockDriver, FakeBleTransport]:
    transport = FakeBleTransport([lock])
    driver = BleLockDriver(
        transport=transport, address=ADDRESS, attempts=attempts, timeout_s=0.2, pause_s=0.01
    )
    return driver, transport


async def test_an_unlock_is_done_when_the_lock_says_so():
    lock = SimulatedBleLock(ADDRESS)
    driver, _ = _driver(lock)
    assert await driver.unlock(3) == 1
    assert lock.unlocked and lock.unlocks == 1
    assert lock._listeners == []  # the connection let go of its subscription


@pytest.mark.parametrize(
    "trouble", [{"missed_scans": 1}, {"dropped_connections": 2}, {"silent_writes": 1}]
)
async def test_scans_connections_and_lost_writes_are_retried(trouble):
    lock = SimulatedBleLock(ADDRESS, **trouble)
    driver, _ = _driver(lock)
    attempts = await driver.unlock(3)
    assert attempts == 1 + sum(trouble.values())
    assert lock.unlocked


async def test_after_the_last_attempt_the_unlock_fails():
    lock = SimulatedBleLock(ADDRESS, dropped_connections=5)
    driver, transport = _driver(lock, attempts=2)
    with pytest.raises(TransportError, match="not unlocked in 2 tries"):
        await driver.unlock(3)
    assert not lock.unlocked and transport.connects == 0


class _Events:
    def __init__(self) -> None:
        self.events: list[tuple[str, dict]] = []

    def append_event(self, *, device, ts, event, data=None) -> int:
        self.events.append((event, data))
        return len(self.events)


async def test_an_unlock_door_command_unlocks_and_is_audited(tmp_path):
    good = SimulatedBleLock(ADDRESS, missed_scans=1)
    gone = "AA:BB:CC:DD:EE:02"  # no such lock in range
    transport = FakeBleTransport([good])
    events = _Events()
    unlockers = [
        LockUnlocker(BleLock(code=code, address=address, attempts=2), transport=transport,
                     sink=events, pause_s=0.01)
        for code, address in (("LOCK-1", ADDRESS), ("LOCK-2", gone))
    ]  # fmt: skip
    expires = datetime.now(UTC) + timedelta(minutes=1)
    with AgentState(tmp_path / "state.sqlite3") as state:
        runner = CommandRunner(
            state=state, buses={}, actions={"unlock_door": unlock_door_action(unlockers)}
        )
        ok = await runner.handle(
            Command(
                id="u-1",
                action="unlock_door",
                device="LOCK-1",
                expires_at=expires,
                args={"seconds": 4, "by": "op-1"},
            ).model_dump_json()  # fmt: skip
        )
        failed = await runner.handle(
            Command(
                id="u-2", action="unlock_door", device="LOCK-2", expires_at=expires
            ).model_dump_json()
        )
    assert ok is not None and ok.ok and "2 tries" in ok.detail
    assert failed is not None and not failed.ok and "not unlocked in 2 tries" in failed.detail
    assert [(name, data.get("attempts"), data.get("person")) for name, data in events.events] == [
        ("lock_unlocked", 2, "op-1"),
        ("lock_unlock_failed", None, None),
    ]


async def test_the_real_transport_fails_as_a_transport_error_without_a_radio():
    from edge.transports.ble import BleakTransport

    with pytest.raises(TransportError, match=ADDRESS):
        await BleakTransport().connect(ADDRESS, timeout_s=1.0)
