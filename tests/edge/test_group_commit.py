import asyncio
from datetime import UTC, datetime

from edge.group_commit import GroupCommit
from edge.outbox import Outbox

TS = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


async def test_readings_of_one_window_share_a_transaction(tmp_path):
    with Outbox(tmp_path / "outbox.sqlite3", agent="bldg-a") as outbox:
        group = GroupCommit(outbox, window_s=0.05)
        storing = asyncio.create_task(group.run())
        for n in range(30):
            group.append_reading(device=f"EM-{n}", ts=TS, values={"energy_import": n}, billing=True)
        await asyncio.sleep(0.2)
        assert outbox.pending_count() == 30 and group.groups == 1
        group.append_reading(device="EM-0", ts=TS, values={"energy_import": 31.0})
        await asyncio.sleep(0.2)
        storing.cancel()
        await asyncio.gather(storing, return_exceptions=True)
        assert outbox.pending_count() == 31 and group.groups == 2
        seqs = [(r.seq, r.device) for r in outbox.next_batch(100)]
        assert [seq for seq, _ in seqs] == list(range(1, 32))


async def test_stopping_stores_what_is_still_waiting(tmp_path):
    with Outbox(tmp_path / "outbox.sqlite3", agent="bldg-a") as outbox:
        group = GroupCommit(outbox, window_s=3600)
        storing = asyncio.create_task(group.run())
        group.append_reading(device="EM-1", ts=TS, values={"energy_import": 1.0})
        await asyncio.sleep(0.01)
        assert outbox.pending_count() == 0
        storing.cancel()
        await asyncio.gather(storing, return_exceptions=True)
        assert outbox.pending_count() == 1


async def test_telemetry_and_billing_keep_their_classes(tmp_path):
    with Outbox(tmp_path / "outbox.sqlite3", agent="bldg-a") as outbox:
        group = GroupCommit(outbox)
        group.append_reading(device="EM-1", ts=TS, values={"voltage": 230.0})
        group.append_reading(device="EM-2", ts=TS, values={"energy_import": 5.0}, billing=True)
        group.flush()
        pending = outbox.stats().pending
        assert (pending["telemetry"], pending["billing"], pending["event"]) == (1, 1, 0)
