"""Cloud fixtures: a migrated database on each backend (SQLite and PostgreSQL), emptied after
every test, and a small two-org world to act in."""

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from cloud.app import create_app
from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.identity import service as identity_service
from cloud.models import metadata
from cloud.settings import Settings
from tests.cloud.factories import World, make_world


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 at its production cost takes ~0.15 s a hash; tests need correctness, not cost."""
    monkeypatch.setattr(
        identity_service,
        "password_hasher",
        PasswordHasher(time_cost=1, memory_cost=8, parallelism=1),
    )


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("cloud-db")) / "parkops.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def migrated_postgresql(postgres_url: str) -> str:
    upgrade(postgres_url)
    return postgres_url


@pytest.fixture(scope="session")
def engine_for() -> Iterator[Callable[[str], Engine]]:
    """One engine per database URL for the whole session."""
    engines: dict[str, Engine] = {}

    def get(url: str) -> Engine:
        if url not in engines:
            engines[url] = make_engine(url)
        return engines[url]

    yield get
    for engine in engines.values():
        engine.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """A migrated database; tests using it run once on SQLite and once on PostgreSQL."""
    return str(request.getfixturevalue(f"migrated_{request.param}"))


@pytest.fixture
def engine(database_url: str, engine_for: Callable[[str], Engine]) -> Iterator[Engine]:
    engine = engine_for(database_url)
    yield engine
    empty_tables(engine)


@pytest.fixture
def sessions(engine: Engine) -> sessionmaker[Session]:
    return make_sessionmaker(engine)


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as session:
        yield session


@pytest.fixture
def world(session: Session) -> World:
    """Org `acme` (the one tests act in) and org `other` with the same codes; committed."""
    acme = make_world(session, org_code="acme")
    # Topics name agents by site and agent code alone, so those differ between orgs.
    make_world(session, org_code="other", site_code="site2", agent_code="agent2")
    session.commit()
    return acme


@pytest.fixture
async def client(database_url: str, engine: Engine) -> AsyncIterator[httpx.AsyncClient]:
    """The REST API (no UI) on the test database, called in-process."""
    settings = Settings(database_url=database_url, secret_key="test-secret-0123456789")
    app = create_app(settings, ui=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://parkops.test") as client:
        yield client
    app.state.engine.dispose()


def empty_tables(engine: Engine) -> None:
    """Delete every row of every table (not the schema), children first.

    DELETE, not TRUNCATE: on tables this small it is several times faster on PostgreSQL."""
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())
