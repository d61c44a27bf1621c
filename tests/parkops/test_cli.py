"""The `parkops` command as people type it: real subprocesses, real exit codes."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import free_tcp_port

ROOT = Path(__file__).resolve().parents[2]


def parkops(
    *args: str, timeout: float = 60, cwd: Path = ROOT, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parkops.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def test_help_names_every_command_group() -> None:
    result = parkops("--help")
    assert result.returncode == 0, result.stderr
    for group in ("demo", "cloud", "db", "lease", "edge", "sim", "asyncapi", "bench"):
        assert group in result.stdout


def test_asyncapi_prints_the_mqtt_contract() -> None:
    result = parkops("asyncapi")
    assert result.returncode == 0, result.stderr
    document = yaml.safe_load(result.stdout)
    assert document["asyncapi"].startswith("3.")
    assert "parkops/v1/{site}/{agent}/up/data" in [
        c["address"] for c in document["channels"].values()
    ]


def test_bench_list_names_the_benchmarks() -> None:
    result = parkops("bench", "--list")
    assert result.returncode == 0, result.stderr
    for name in ("edge-outbox", "edge-requests", "edge-dead-device", "edge-cpu"):
        assert name in result.stdout


def test_bench_prints_a_result_line_last() -> None:
    # lease-compile: the quickest bench (CPU only, no services), at a tenth of its size
    result = parkops(
        "bench", "lease-compile", timeout=110, env={"PARKOPS_BENCH_LEASE_CONTRACTS": "1000"}
    )
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT ")
    figures = json.loads(last.removeprefix("RESULT "))
    assert figures["bench"] == "lease-compile"
    assert figures["contracts"] > 0 and figures["contracts_per_cpu_s"] > 0


def test_unknown_bench_is_an_error_naming_the_known_ones() -> None:
    result = parkops("bench", "nope")
    assert result.returncode != 0
    assert "edge-outbox" in result.stderr


def test_demo_for_seconds_checks_the_whole_path(tmp_path: Path) -> None:
    """`parkops demo --for N`: readings from every meter in the database, a charge computed."""
    result = parkops(
        "demo",
        "--for",
        "12",
        "--var-dir",
        str(tmp_path),
        "--port",
        str(free_tcp_port()),
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "http://127.0.0.1:" in out and "admin" in out
    for meter in ("EM-A-1201", "EM-A-1202", "EM-A-PUB"):
        assert f"meter {meter}" in out
    assert "NO READINGS" not in out
    assert "HT-2026-0001" in out and "result: OK" in out
    assert (tmp_path / "demo.sqlite3").exists()


@pytest.mark.parametrize(
    "config", ["firmware-configs/demo-site.yaml", "firmware-configs/compose-site.yaml"]
)
def test_shipped_site_configs_pass_edge_check(config: str) -> None:
    result = parkops("edge", "check", config)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "EM-A-1201" in result.stdout


def test_demo_serves_live_readings_soon_and_stops_cleanly_on_ctrl_c(tmp_path: Path) -> None:
    """What a newcomer sees: the URL, a live reading within ten seconds, a clean Ctrl-C."""
    port = free_tcp_port()
    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "parkops.cli",
            "demo",
            "--var-dir",
            str(tmp_path),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    started = time.monotonic()
    try:
        base = f"http://127.0.0.1:{port}"
        token = _wait_for_login(base, deadline=started + 60)
        headers = {"Authorization": f"Bearer {token}"}
        live = None
        while live is None and time.monotonic() < started + 60:
            latest = httpx.get(f"{base}/api/v1/readings/latest", headers=headers).json()
            # History carries only the energy register; voltage comes from a live poll.
            live = next((m for m in latest if "voltage" in m["values"]), None)
            time.sleep(0.2)
        assert live is not None, "no live reading reached the cloud"
        demo.send_signal(signal.SIGINT)
        out, _ = demo.communicate(timeout=30)
    finally:
        if demo.poll() is None:
            demo.kill()
    assert demo.returncode == 0, out
    assert f"open http://127.0.0.1:{port}" in out and "parkops demo stopped." in out
    assert "Traceback" not in out


def _wait_for_login(base: str, *, deadline: float) -> str:
    while time.monotonic() < deadline:
        try:
            response = httpx.post(
                f"{base}/api/v1/auth/login",
                json={"username": "admin", "password": "parkops-admin"},
            )
            if response.status_code == 200:
                return str(response.json()["access_token"])
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    pytest.fail("the demo's web app did not come up")
