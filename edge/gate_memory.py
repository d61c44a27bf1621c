"""What the gates remember across reboots: the highest allow-list version the cloud published
(so a reboot with the cloud down still opens for pass holders) and each plate's last passage
(for anti-passback). A SQLite file of its own beside the outbox, written durably."""

import logging
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Self

from pydantic import ValidationError

from edge.decisions import AllowIndex, Direction, LastPassage
from edge.sqlite import open_durable, transaction
from protocols.gate import AllowList, supersedes

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS allow_list (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version INTEGER NOT NULL,
    body TEXT NOT NULL          -- the AllowList JSON as published
);
CREATE TABLE IF NOT EXISTS passages (
    plate TEXT PRIMARY KEY,
    direction TEXT NOT NULL,    -- entry | exit
    at TEXT NOT NULL            -- ISO time with its offset
) WITHOUT ROWID;
"""


class GateMemory:
    """The allow-list kept and the plates' last passages (see the module docstring)."""

    def __init__(self, path: str | Path, *, site: str) -> None:
        self.path = Path(path)
        self.site = site
        self._db = open_durable(self.path)
        self._db.executescript(_SCHEMA)
        row = self._db.execute("SELECT body FROM allow_list WHERE id = 1").fetchone()
        kept = AllowList.model_validate_json(row[0]) if row else None
        self.index = AllowIndex(kept)

    def __repr__(self) -> str:
        return f"GateMemory({str(self.path)!r}, list version {self.index.version})"

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    @property
    def allow_list(self) -> AllowList | None:
        return self.index.allow_list

    def offer(self, payload: bytes | bytearray | str) -> bool:
        """Take a published allow-list if it is newer than the one kept; whether it was."""
        if not payload:
            return False  # a retained list cleared on the broker: keep what we have
        try:
            incoming = AllowList.model_validate_json(payload)
        except ValidationError as exc:
            log.warning("ignoring a malformed allow-list: %s", exc)
            return False
        if incoming.site != self.site:
            log.warning("ignoring an allow-list for site %s (this is %s)", incoming.site, self.site)
            return False
        if not supersedes(incoming, self.allow_list):
            log.info(
                "ignoring allow-list version %d: have %s", incoming.version, self.index.version
            )
            return False
        with transaction(self._db):
            self._db.execute(
                "INSERT INTO allow_list (id, version, body) VALUES (1, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET version = excluded.version, body = excluded.body",
                (incoming.version, incoming.model_dump_json()),
            )
        self.index = AllowIndex(incoming)
        log.info(
            "allow-list version %d: %d plates, %d credentials",
            incoming.version,
            len(incoming.plates),
            len(incoming.credentials),
        )
        return True

    def last_passage(self, plate: str) -> LastPassage | None:
        row = self._db.execute(
            "SELECT direction, at FROM passages WHERE plate = ?", (plate,)
        ).fetchone()
        if row is None:
            return None
        direction: Direction = "entry" if row[0] == "entry" else "exit"
        return LastPassage(direction, datetime.fromisoformat(row[1]))

    def record_passage(self, plate: str, direction: Direction, at: datetime) -> None:
        with transaction(self._db):
            self._db.execute(
                "INSERT INTO passages (plate, direction, at) VALUES (?, ?, ?)"
                " ON CONFLICT (plate) DO UPDATE"
                " SET direction = excluded.direction, at = excluded.at",
                (plate, direction, at.isoformat()),
            )
