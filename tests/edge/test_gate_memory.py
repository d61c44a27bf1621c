from datetime import UTC, datetime, timedelta

from edge.commands import CommandRunner
from edge.gate_memory import GateMemory
from edge.gates import GateController, open_barrier_action
from edge.state import AgentState
from protocols.gate import AllowList, PlatePass
from protocols.gate_config import Gate
from protocols.messages import Command

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _list(version: int, site: str = "park1") -> str:
    plates = [PlatePass(plate="京A12345", kind="monthly")]
    return AllowList(site=site, version=version, issued_at=NOW, plates=plates).model_dump_json()


def test_the_newest_list_and_last_passages_survive_a_reboot(tmp_path):
    with GateMemory(tmp_path / "gates.sqlite3", site="park1") as memory:
        assert memory.index.version is None
        assert memory.offer(_list(2))
        assert not memory.offer(_list(1))
        assert not memory.offer(_list(5, site="park2"))  # another site's list
        assert not memory.offer(b"{not json")
        memory.record_passage("京A12345", "entry", NOW)
    with GateMemory(tmp_path / "gates.sqlite3", site="park1") as memory:
        assert memory.index.version == 2
        assert memory.index.match("京A12345") is not None
        last = memory.last_passage("京A12345")
        assert last is not None and (last.direction, last.at) == ("entry", NOW)
        assert memory.last_passage("京B00000") is None


class _Barrier:
    def __init__(self) -> None:
        self.opened = 0

    async def open(self) -> None:
        self.opened += 1


class _Events:
    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict]] = []

    def append_event(self, *, device, ts, event, data=None) -> int:
        self.events.append((device, event, data))
        return len(self.events)


async def test_an_open_barrier_command_opens_and_is_audited(tmp_path):
    barrier, events = _Barrier(), _Events()
    with GateMemory(tmp_path / "g.sqlite3", site="park1") as memory:
        gate = GateController(
            gate=Gate(code="G-OUT", direction="exit"),
            site="park1",
            agent="a",
            barrier=barrier,
            memory=memory,
            sink=events,
        )
        with AgentState(tmp_path / "state.sqlite3") as state:
            runner = CommandRunner(
                state=state, buses={}, actions={"open_barrier": open_barrier_action([gate])}
            )
            expires = datetime.now(UTC) + timedelta(minutes=1)
            ok = Command(id="c-1", action="open_barrier", device="G-OUT", expires_at=expires,
                         args={"reason": "driver lost ticket", "by": "op-3"})  # fmt: skip
            no_reason = Command(id="c-2", action="open_barrier", device="G-OUT",
                                expires_at=expires, args={"by": "op-3"})  # fmt: skip
            result = await runner.handle(ok.model_dump_json())
            refused = await runner.handle(no_reason.model_dump_json())
    assert result is not None and result.ok, result
    assert refused is not None and not refused.ok and "reason" in refused.detail
    assert barrier.opened == 1
    assert events.events == [
        ("G-OUT", "gate_manual_open", {"gate": "G-OUT", "reason": "driver lost ticket",
                                       "by": "op-3", "via": "cloud", "opened": True,
                                       "command_id": "c-1"}),
    ]  # fmt: skip
