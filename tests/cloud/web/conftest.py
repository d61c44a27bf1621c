"""A demo database with meter readings, and the real cloud app serving it from a subprocess."""

import os
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from cloud.db.engine import make_engine, make_sessionmaker
from cloud.db.migrate import upgrade
from cloud.ingest.service import ingest_message
from cloud.seed import seed_demo
from protocols import topics
from protocols.messages import DataBatch, ReadingRecord
from protocols.site_config import SiteConfig
from protocols.site_config_yaml import parse_site_config
from tests.conftest import free_tcp_port

REPO = Path(__file__).resolve().parents[3]
DEMO_SITE = REPO / "firmware-configs" / "demo-site.yaml"
STARTUP_S = 30.0
DB_FILE = "cloud.sqlite3"


@dataclass
class DemoData:
    """The seeded demo world and a way to add readings to it the way an edge agent does."""

    database_url: str
    sessions: sessionmaker[Session]
    site: SiteConfig
    logins: dict[str, str]  # role -> username
    passwords: dict[str, str]  # username -> password
    seq: int = 0

    def add_reading(
        self, meter: str, ts: datetime, *, voltage: float, power: float, energy: float
    ) -> None:
        """Commit one reading of `meter` through the ingest service, as an uplink batch."""
        self.seq += 1
        values = {
            "voltage": voltage,
            "current": round(power * 1000 / voltage, 3),
            "active_power": power,
            "frequency": 50.0,
            "energy_import": energy,
        }
        record = ReadingRecord(
            agent=self.site.agent, boot=1, seq=self.seq, device=meter, ts=ts, values=values
        )
        batch = DataBatch(site=self.site.site, agent=self.site.agent, records=[record])
        with self.sessions.begin() as session:
            outcome = ingest_message(
                session=session,
                topic=topics.data(self.site.site, self.site.agent),
                payload=batch.model_dump_json().encode(),
                received_at=datetime.now(UTC),
            )
        assert outcome.kind == "data" and outcome.written == 1, outcome


@dataclass(frozen=True)
class DemoTemplate:
    """A database file migrated and seeded once; each test takes a copy of it."""

    path: Path
    site: SiteConfig
    logins: dict[str, str]
    passwords: dict[str, str]


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    """Migrating and seeding (password hashes) take seconds; copying the result does not."""
    path = tmp_path_factory.mktemp("demo-template") / DB_FILE
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    site = parse_site_config(DEMO_SITE.read_text(encoding="utf-8"), source=str(DEMO_SITE))
    with make_sessionmaker(engine).begin() as session:
        logins = seed_demo(session=session, site=site)
    engine.dispose()  # its last connection closed, SQLite folds the WAL into the file
    return DemoTemplate(
        path=path,
        site=site,
        logins={str(login.role): login.username for login in logins},
        passwords={login.username: login.password for login in logins},
    )


@pytest.fixture
def demo_data(demo_template: DemoTemplate, tmp_path: Path) -> Iterator[DemoData]:
    """Migrated SQLite with the demo world and two readings for each tenant's meter.

    EM-A-1201 (lease 0001): 1000.00 -> 1012.50 kWh, 12.50 kWh x ¥1.20 = ¥15.00.
    EM-A-1202 (lease 0002): 500.00 -> 520.25 kWh, 20.25 kWh x ¥1.20 = ¥24.30.
    """
    for part in demo_template.path.parent.glob(f"{DB_FILE}*"):  # the file, and any WAL left
        shutil.copyfile(part, tmp_path / part.name)
    url = f"sqlite:///{tmp_path / DB_FILE}"
    engine = make_engine(url)
    data = DemoData(
        database_url=url,
        sessions=make_sessionmaker(engine),
        site=demo_template.site,
        logins=dict(demo_template.logins),
        passwords=dict(demo_template.passwords),
    )
    now = datetime.now(UTC)
    for meter, first, last in (("EM-A-1201", 1000.0, 1012.5), ("EM-A-1202", 500.0, 520.25)):
        data.add_reading(meter, now - timedelta(minutes=10), voltage=219.8, power=1.2, energy=first)
        data.add_reading(meter, now - timedelta(minutes=5), voltage=220.4, power=1.5, energy=last)
    yield data
    engine.dispose()


@pytest.fixture
def app_url(demo_data: DemoData, tmp_path: Path) -> Iterator[str]:
    """The real app (`parkops cloud serve`) on a free port, served from a subprocess."""
    port = free_tcp_port()
    env = {
        **os.environ,
        "PARKOPS_DATABASE_URL": demo_data.database_url,
        "PARKOPS_HTTP_HOST": "127.0.0.1",
        "PARKOPS_HTTP_PORT": str(port),
        "PARKOPS_STORAGE_DIR": str(tmp_path / "ui-storage"),
    }
    log_path = tmp_path / "server.log"
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, "-c", "from cloud.cli import app; app(['serve'])"],
            cwd=tmp_path,  # a stray .env or var/ of the developer's checkout stays out of it
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, server, log_path)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the app exited with {server.returncode}:\n{log_path.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"the app did not answer /healthz within {STARTUP_S} s:\n{log_path.read_text()}")
