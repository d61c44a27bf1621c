"""Engines and session factories for SQLite (demo) and PostgreSQL via psycopg 3 (production)."""

from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker


def normalize_url(url: str) -> URL:
    """`postgresql://` and `postgres://` mean psycopg 3 here; anything else is taken as given."""
    parsed = make_url(url.replace("postgres://", "postgresql://", 1))
    if parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(parsed, pool_pre_ping=True, **kwargs)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(
        parsed, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
    )
    event.listen(engine, "connect", _sqlite_pragmas)
    event.listen(engine, "savepoint", _begin_before_a_first_savepoint)
    return engine


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_before_a_first_savepoint(conn: Connection, _name: str) -> None:
    """pysqlite (before Python 3.12's `autocommit`) sends BEGIN only before a write, so a
    SAVEPOINT as a transaction's first statement would open a transaction of its own in SQLite,
    committed by its RELEASE even if the transaction around it is rolled back. Begin first."""
    sqlite = conn.connection.driver_connection
    if sqlite is not None and not sqlite.in_transaction:
        sqlite.execute("BEGIN")


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit (expire_on_commit=False)."""
    # Every domain's tables, so a foreign key into another domain (ingest -> orgs) resolves
    # whichever entry point (web app, ingest worker, a job) made the sessions.
    import cloud.models  # noqa: F401

    return sessionmaker(engine, expire_on_commit=False)
