"""Gates with the cloud unreachable (no broker at the configured address): a whole agent, its
relay boards simulated over real Modbus TCP beside a meter, plates pushed by ANPR cameras."""

import asyncio
import json
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta

from edge.agent import Agent
from protocols.gate import AllowList, PlatePass
from protocols.site_config import SiteConfig
from simulators.site import barriers_of, serve_site
from tests.conftest import free_tcp_port
from tests.support import eventually, running

NOW = datetime.now(UTC)
MONTHLY = "京A12345"
VISITOR = "川A55555"


def _config(tmp_path, *, bus_port: int, push_port: int, offline_exit: str) -> SiteConfig:
    gate = {"bus": "gw", "open_coil": 0, "pulse_s": 0.05, "anti_passback": "hard"}
    return SiteConfig.model_validate(
        {
            "site": "park1",
            "agent": "gate-pi",
            "buses": [
                {
                    "kind": "modbus_tcp",
                    "code": "gw",
                    "host": "127.0.0.1",
                    "port": bus_port,
                    "timeout_s": 0.5,
                    "devices": [
                        {
                            "code": "EM-1",
                            "profile": "chint-ddsu666",
                            "unit_id": 1,
                            "poll_interval_s": 0.05,
                        }
                    ],
                },
            ],  # fmt: skip
            "cameras": [
                {"code": "CAM-IN", "source": "push"},
                {"code": "CAM-OUT", "source": "push"},
            ],
            "anpr_push": {"host": "127.0.0.1", "port": push_port},
            "gates": [
                gate | {"code": "G-IN", "direction": "entry", "camera": "CAM-IN", "unit_id": 5},
                gate
                | {
                    "code": "G-OUT",
                    "direction": "exit",
                    "camera": "CAM-OUT",
                    "unit_id": 6,
                    "offline_exit": offline_exit,
                    "exit_query_timeout_s": 0.5,
                },
            ],  # fmt: skip
            "mqtt": {"url": f"mqtt://127.0.0.1:{free_tcp_port()}"},  # nothing listens there
            "outbox": {"path": str(tmp_path / "outbox.sqlite3")},
        }
    )


def _allow_list(version: int) -> bytes:
    plates = [PlatePass(plate=MONTHLY, kind="monthly", valid_until=NOW + timedelta(days=30))]
    return (
        AllowList(site="park1", version=version, issued_at=NOW, plates=plates)
        .model_dump_json()
        .encode()
    )


async def _push(port: int, camera: str, plate: str) -> None:
    body = json.dumps(
        {"plate": plate, "event_id": f"{camera}-{plate}-{asyncio.get_running_loop().time()}"}
    )
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        f"POST /anpr/{camera} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body.encode())}\r\nConnection: close\r\n\r\n".encode()
        + body.encode()
    )
    await writer.drain()
    status = await reader.readline()
    writer.close()
    await writer.wait_closed()
    assert b" 200 " in status, status


async def _listening(port: int) -> None:
    for _ in range(300):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise AssertionError(f"nothing listens on {port}")


def _events(tmp_path, name: str) -> list[dict]:
    with closing(sqlite3.connect(tmp_path / "outbox.sqlite3")) as db:
        rows = db.execute("SELECT record FROM records").fetchall()
    records = [json.loads(r[0]) for r in rows if r[0]]
    return [r["data"] for r in records if r.get("event") == name]


async def _run_site(tmp_path, offline_exit: str, scenario) -> None:
    bus_port, push_port = free_tcp_port(), free_tcp_port()
    config = _config(tmp_path, bus_port=bus_port, push_port=push_port, offline_exit=offline_exit)
    boards = barriers_of(config)
    # The list the cloud published last time the agent was online, kept across the reboot.
    first = Agent(config)
    assert first.gate_memory.offer(_allow_list(3))
    first.outbox.close(), first.state.close(), first.gate_memory.close()

    async with running(lambda ready: serve_site(config, ready=ready, barriers=boards)):
        agent = Agent(config)
        assert agent.gate_memory.index.version == 3
        assert not agent.gate_memory.offer(_allow_list(2))  # older: ignored
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop=stop))
        try:
            await _listening(push_port)  # the agent imports the camera code first
            await scenario(agent, boards, lambda cam, plate: _push(push_port, cam, plate))
            await agent.events.settle()
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)


async def test_a_listed_car_enters_and_leaves_and_a_visitor_leaves_owing(tmp_path):
    async def scenario(agent, boards, push):
        await push("CAM-IN", MONTHLY)
        await eventually(lambda: len(boards["G-IN"].pulses) == 1, what="entry barrier pulsed")
        await push("CAM-OUT", MONTHLY)
        await eventually(lambda: len(boards["G-OUT"].pulses) == 1, what="exit barrier pulsed")
        await push("CAM-IN", VISITOR)  # temporary car: entry policy `open`
        await eventually(lambda: len(boards["G-IN"].pulses) == 2, what="visitor let in")
        await push("CAM-OUT", VISITOR)  # no broker: no answer, offline policy open_debt
        await eventually(lambda: len(boards["G-OUT"].pulses) == 2, what="visitor let out")

    await _run_site(tmp_path, "open_debt", scenario)
    entries = _events(tmp_path, "gate_entry")
    exits = _events(tmp_path, "gate_exit")
    assert [(e["plate"], e["basis"], e["opened"]) for e in entries] == [
        (MONTHLY, "pass", True),
        (VISITOR, "temporary", True),
    ]
    assert [(e["plate"], e["basis"], e["opened"]) for e in exits] == [
        (MONTHLY, "pass", True),
        (VISITOR, "offline_debt", True),
    ]
    assert entries[0]["list_version"] == 3 and entries[0]["pass_kind"] == "monthly"
    assert len(_events(tmp_path, "plate_read")) == 4


async def test_offline_hold_keeps_the_visitor_until_a_manual_open_which_is_audited(tmp_path):
    async def scenario(agent, boards, push):
        await push("CAM-OUT", VISITOR)
        await eventually(lambda: _events_now(agent, "gate_exit"), what="exit decided")
        assert boards["G-OUT"].pulses == []
        gate = next(g for g in agent.gates if g.gate.code == "G-OUT")
        done = await gate.manual_open(reason="cloud down, paid cash", by="guard-7", plate=VISITOR)
        assert done.opened and len(boards["G-OUT"].pulses) == 1

    await _run_site(tmp_path, "hold", scenario)
    (held,) = _events(tmp_path, "gate_exit")
    assert (held["opened"], held["reason"]) == (False, "cloud_unreachable")
    (manual,) = _events(tmp_path, "gate_manual_open")
    assert manual == {
        "gate": "G-OUT", "reason": "cloud down, paid cash", "by": "guard-7", "via": "local",
        "opened": True, "plate": VISITOR,
    }  # fmt: skip


async def test_hard_anti_passback_refuses_a_second_entry(tmp_path):
    async def scenario(agent, boards, push):
        await push("CAM-IN", MONTHLY)
        await eventually(lambda: len(boards["G-IN"].pulses) == 1, what="first entry")
        await push("CAM-IN", MONTHLY)
        await eventually(lambda: len(_events_now(agent, "gate_entry")) == 2, what="second read")
        assert len(boards["G-IN"].pulses) == 1

    await _run_site(tmp_path, "open_debt", scenario)
    second = _events(tmp_path, "gate_entry")[1]
    assert (second["opened"], second["reason"]) == (False, "anti_passback")


def _events_now(agent: Agent, name: str) -> list[dict]:
    return _events(agent.outbox.path.parent, name)


async def test_loop_and_barrier_inputs_become_gate_state_events(tmp_path):
    bus_port, push_port = free_tcp_port(), free_tcp_port()
    config = _config(tmp_path, bus_port=bus_port, push_port=push_port, offline_exit="hold")
    wired = config.gates[0].model_copy(
        update={"loop_input": 0, "open_input": 1, "state_poll_s": 0.05, "pulse_s": 0.05}
    )
    config = config.model_copy(update={"gates": [wired, config.gates[1]]})
    boards = barriers_of(config)
    board = boards["G-IN"]
    async with running(lambda ready: serve_site(config, ready=ready, barriers=boards)):
        agent = Agent(config)
        stop = asyncio.Event()
        task = asyncio.create_task(agent.run(stop=stop))
        try:
            states = lambda: _events_now(agent, "gate_state")  # noqa: E731
            await eventually(lambda: states(), what="first state")
            board.vehicle_on_loop = True
            await eventually(lambda: states()[-1].get("entry_loop") is True, what="car on loop")
            await agent.gates[0].manual_open(reason="test", by="t")
            await eventually(lambda: states()[-1]["barrier"] == "open", what="barrier up")
        finally:
            stop.set()
            await asyncio.wait_for(task, 15)
    first = _events(tmp_path, "gate_state")[0]
    assert first == {"gate": "G-IN", "barrier": "closed", "entry_loop": False}
