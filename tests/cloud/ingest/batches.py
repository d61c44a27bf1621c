"""Data batches as an agent would send them."""

from datetime import UTC, datetime, timedelta

from protocols.messages import DataBatch, EventRecord, ReadingRecord

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def recently() -> datetime:
    """An hour ago: records stamped from here on are inside the ingest time window."""
    return datetime.now(UTC) - timedelta(hours=1)


def batch(
    seqs: range | list[int],
    *,
    site: str = "site1",
    agent: str = "agent1",
    boot: int = 1,
    device: str = "M-101",
    t0: datetime = T0,
) -> DataBatch:
    """One reading record per seq; seq n is taken n seconds after `t0` with energy 100 + n."""
    records = [
        ReadingRecord(
            agent=agent,
            boot=boot,
            seq=seq,
            device=device,
            ts=t0 + timedelta(seconds=seq),
            values={"energy_import": 100.0 + seq, "voltage": 230.0},
        )
        for seq in seqs
    ]
    return DataBatch(site=site, agent=agent, records=records)


def event(seq: int, *, agent: str = "agent1", boot: int = 1, device: str = "M-PUB") -> EventRecord:
    return EventRecord(
        agent=agent, boot=boot, seq=seq, device=device, ts=T0, event="cover_open", data={"n": 1}
    )
