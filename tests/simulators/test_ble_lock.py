import asyncio

from edge.transports.ble import FakeBleTransport
from protocols.ble_lock import COMMAND, STATE
from simulators.ble_lock import SimulatedBleLock


async def test_the_lock_notifies_its_state_and_relocks_by_itself():
    lock = SimulatedBleLock("AA:BB:CC:DD:EE:01")
    connection = await FakeBleTransport([lock]).connect("aa:bb:cc:dd:ee:01", timeout_s=1)
    heard: list[bytes] = []
    await connection.notify(STATE, heard.append)
    await connection.write(COMMAND, bytes([1, 1]))
    await asyncio.sleep(0.01)
    assert heard == [b"\x01"] and lock.unlocked
    await asyncio.sleep(1.05)
    assert not lock.unlocked  # its second ran out
    await connection.write(COMMAND, bytes([0]))
    await asyncio.sleep(0.01)
    assert heard == [b"\x01", b"\x00"]
    await connection.close()
