"""The simulated door controller on the wire, as any client sees it (protocols.door_line)."""

import asyncio
import json

from simulators.door_controller import SimulatedDoor, serve_door
from tests.conftest import free_tcp_port
from tests.support import running


async def _line(reader: asyncio.StreamReader) -> dict:
    return json.loads(await asyncio.wait_for(reader.readline(), 5))


async def test_hello_unlock_ack_and_a_forced_door_on_the_wire():
    port = free_tcp_port()
    door = SimulatedDoor(code="D-9")
    async with running(lambda ready: serve_door(door, host="127.0.0.1", port=port, ready=ready)):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            assert (await _line(reader))["type"] == "hello"
            await door.open_door()  # locked: forced, then the contact opens
            assert [(await _line(reader))["type"], (await _line(reader))["state"]] == [
                "forced",
                "opened",
            ]
            await door.close_door()
            assert (await _line(reader))["state"] == "closed"
            writer.write(b'{"type": "unlock", "id": "u-1", "seconds": 2}\n')
            writer.write(b"not json\n")  # ignored
            writer.write(b'{"type": "deny", "id": "u-2"}\n')
            await writer.drain()
            assert await _line(reader) == {"type": "ack", "id": "u-1"}
            assert await _line(reader) == {"type": "ack", "id": "u-2"}
            assert door.unlocked and door.denied == 1
            await door.open_door()  # unlocked: no forced report
            assert (await _line(reader)) == {"type": "door", "state": "opened"}
            await door.close_door()
        finally:
            writer.close()
            await writer.wait_closed()
