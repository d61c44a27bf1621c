"""INSERT … ON CONFLICT DO NOTHING for both databases we run on."""

from typing import Any

from sqlalchemy import Insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_ignoring_duplicates(session: Session, model: Any) -> Insert:
    """An insert of `model` rows that keeps whatever row already has the same key."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).on_conflict_do_nothing()
    if dialect == "sqlite":
        return sqlite.insert(model).on_conflict_do_nothing()
    raise NotImplementedError(f"parkops runs on PostgreSQL and SQLite, not {dialect}")
