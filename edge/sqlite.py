"""The agent's small SQLite files (outbox, state, pushed camera events) open and commit one way:
WAL with `synchronous=FULL`, autocommit connections and short explicit transactions, so what a
call has written is on disk when it returns (see the outbox's fsync policy)."""

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def open_durable(path: Path) -> sqlite3.Connection:
    """A connection to `path` (its folder made if need be) that syncs every commit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    return db


@contextmanager
def transaction(db: sqlite3.Connection) -> Iterator[None]:
    """One short write transaction, taken at once (IMMEDIATE), rolled back if the block fails."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
