"""Fixtures for real services: PostgreSQL and an MQTT broker on 127.0.0.1.

Without a service its tests skip with the reason; with CI=true a missing service fails them.
"""

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

import psycopg
import pytest
from sqlalchemy.engine import make_url

CI = os.environ.get("CI", "").lower() == "true"
DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
DEFAULT_MQTT = "mqtt://127.0.0.1:1883"


def need_service(reason: str) -> None:
    """Skip the test for a missing service, or fail it under CI=true."""
    if CI:
        pytest.fail(f"CI=true and a required service is missing: {reason}")
    pytest.skip(reason)


def free_tcp_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@contextmanager
def fresh_postgres_database() -> Iterator[str]:
    """Create an empty PostgreSQL database for the block; yields its SQLAlchemy URL."""
    base = make_url(os.environ.get("PARKOPS_TEST_DATABASE_URL", DEFAULT_PG))
    admin_dsn = base.set(drivername="postgresql").render_as_string(hide_password=False)
    name = f"parkops_test_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin_dsn, autocommit=True, connect_timeout=3) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        need_service(f"PostgreSQL at {base.host}:{base.port} is not reachable: {exc}")
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """URL (SQLAlchemy form) of a fresh, empty PostgreSQL database made for this test session."""
    with fresh_postgres_database() as url:
        yield url


@pytest.fixture(scope="session")
def mosquitto_url() -> str:
    """URL of the real MQTT broker (Mosquitto) the tests talk to."""
    url = os.environ.get("PARKOPS_TEST_MQTT_URL", DEFAULT_MQTT)
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 1883
    if not _reachable(host, port):
        need_service(f"no MQTT broker at {host}:{port} (set PARKOPS_TEST_MQTT_URL)")
    return url


@pytest.fixture
def unique_code() -> str:
    """A site/agent code no other test uses, so tests sharing a broker never hear each other."""
    return f"t{uuid.uuid4().hex[:10]}"
