from pathlib import Path

from sqlalchemy import text

from cloud.db.engine import make_engine, normalize_url


def test_sqlite_gets_wal_and_foreign_keys_and_its_directory(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/var/nested/db.sqlite3")
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    assert (tmp_path / "var" / "nested" / "db.sqlite3").exists()
    engine.dispose()


def test_postgres_urls_mean_psycopg_3() -> None:
    assert normalize_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgres://u@h/db").drivername == "postgresql+psycopg"
    assert normalize_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"


def test_on_sqlite_a_savepoint_first_in_a_transaction_rolls_back_with_it(tmp_path: Path) -> None:
    """pysqlite begins a transaction only before a write, so a SAVEPOINT first would open one
    of its own, committed by its RELEASE whatever the transaction around it does next."""
    engine = make_engine(f"sqlite:///{tmp_path}/db.sqlite3")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE kept (n INTEGER)"))
    with engine.connect() as conn:
        transaction = conn.begin()
        with conn.begin_nested():
            conn.execute(text("INSERT INTO kept VALUES (1)"))
        conn.execute(text("INSERT INTO kept VALUES (2)"))
        transaction.rollback()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM kept")).scalar() == 0
    engine.dispose()
