"""What the agent remembers across restarts besides its outbox: the last value of every
cumulative register (so reading sanity survives a restart) and every command id it has taken
(so a command repeated by the cloud or the broker runs once).

A SQLite file of its own beside the outbox. Command ids are written with `synchronous=FULL`
before the command runs. Register values are kept in memory and written at most every
REGISTER_FLUSH_S: after a crash the reference is a little older, which only means a slightly
longer stretch is compared, never a missed replacement.
"""

import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Literal, Self

from edge.sqlite import open_durable, transaction
from protocols.messages import CommandResult

REGISTER_FLUSH_S = 30.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS registers (
    device TEXT NOT NULL, metric TEXT NOT NULL, value REAL NOT NULL,
    PRIMARY KEY (device, metric)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY,
    taken_at REAL NOT NULL,     -- wall clock, for pruning
    result TEXT,                -- CommandResult JSON once it finished; NULL while running
    published INTEGER NOT NULL DEFAULT 0
);
"""

COMMAND_MEMORY_S = 7 * 86_400.0
"""How long a command id is remembered: far longer than any command's expiry."""


class AgentState:
    """The agent's small durable memory (see the module docstring)."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        self._db = open_durable(self.path)
        self._db.executescript(_SCHEMA)
        self._clock = clock
        self._registers: dict[tuple[str, str], float] = {
            (device, metric): value
            for device, metric, value in self._db.execute("SELECT * FROM registers")
        }
        self._dirty: set[tuple[str, str]] = set()
        self._flushed_at = clock()
        with transaction(self._db):
            self._db.execute(
                "DELETE FROM commands WHERE taken_at < ?", (time.time() - COMMAND_MEMORY_S,)
            )

    def __repr__(self) -> str:
        return f"AgentState({str(self.path)!r})"

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
        self.flush()
        self._db.close()

    # --- cumulative registers (edge.sanity.RegisterMemory) ---------------------------------------

    def last_value(self, device: str, metric: str) -> float | None:
        return self._registers.get((device, metric))

    def remember(self, device: str, values: dict[str, float]) -> None:
        for metric, value in values.items():
            self._registers[(device, metric)] = value
            self._dirty.add((device, metric))
        if self._clock() - self._flushed_at >= REGISTER_FLUSH_S:
            self.flush()

    def flush(self) -> None:
        """Write the register values changed since the last flush."""
        if self._dirty:
            rows = [(d, m, self._registers[(d, m)]) for d, m in self._dirty]
            with transaction(self._db):
                self._db.executemany(
                    "INSERT INTO registers (device, metric, value) VALUES (?, ?, ?)"
                    " ON CONFLICT (device, metric) DO UPDATE SET value = excluded.value",
                    rows,
                )
            self._dirty.clear()
        self._flushed_at = self._clock()

    # --- commands -----------------------------------------------------------------------------

    def take_command(self, command_id: str) -> Literal["new", "running"] | CommandResult:
        """Claim `command_id` before running it: "new" the first time (now on disk), "running"
        if it was taken and has no result yet, else the result it already had."""
        with transaction(self._db):
            row = self._db.execute(
                "SELECT result FROM commands WHERE id = ?", (command_id,)
            ).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO commands (id, taken_at) VALUES (?, ?)", (command_id, time.time())
                )
                return "new"
        if row[0] is None:
            return "running"
        return CommandResult.model_validate_json(row[0])

    def finish_command(self, result: CommandResult) -> None:
        with transaction(self._db):
            self._db.execute(
                "UPDATE commands SET result = ?, published = 0 WHERE id = ?",
                (result.model_dump_json(), result.id),
            )

    def unfinished_commands(self) -> list[str]:
        """Ids taken but never finished: the agent stopped while they ran."""
        rows = self._db.execute("SELECT id FROM commands WHERE result IS NULL").fetchall()
        return [row[0] for row in rows]

    def unpublished_results(self) -> list[CommandResult]:
        rows = self._db.execute(
            "SELECT result FROM commands WHERE result IS NOT NULL AND published = 0"
            " ORDER BY taken_at"
        ).fetchall()
        return [CommandResult.model_validate_json(row[0]) for row in rows]

    def mark_published(self, command_id: str) -> None:
        with transaction(self._db):
            self._db.execute("UPDATE commands SET published = 1 WHERE id = ?", (command_id,))
