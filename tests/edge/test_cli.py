import asyncio
import re
import signal
import sys
from pathlib import Path

from typer.testing import CliRunner

from edge.cli import app
from tests.conftest import free_tcp_port

ROOT = Path(__file__).parents[2]
DEMO = ROOT / "firmware-configs" / "demo-site.yaml"


def test_check_summarises_a_good_config():
    result = CliRunner().invoke(app, ["check", str(DEMO)])
    assert result.exit_code == 0, result.output
    assert "site demo-park, agent bldg-a" in result.output
    assert "bus gw-a-rs485-1: modbus_tcp 127.0.0.1:15020" in result.output
    assert "EM-A-1201: chint-ddsu666 unit 1, 2 requests per poll, every 2 s, billing" in (
        result.output
    )
    assert "EM-A-PUB: chint-ddsu666 unit 3, 2 requests per poll, every 5 s\n" in result.output


def test_check_summarises_every_bus_kind_with_its_line_load():
    result = CliRunner().invoke(
        app, ["check", str(ROOT / "firmware-configs/street-shops-site.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "profile acme-em100: 4 values (defined here)" in result.output
    assert re.search(
        r"bus rs485-shops: modbus_rtu .* at 9600 8N1, polls need \d+% of the line", result.output
    )
    assert "bus rs485-dlt645: dlt645 var/sim/ttyRS485-dlt645 at 2400 8E1" in result.output
    assert "EM-S-201: DL/T 645 address 202411000201, every 60 s, billing" in result.output
    assert "camera CAM-GATE-IN: an ANPR camera pushing its reads to http://0.0.0.0:8089" in (
        result.output
    )
    assert "also configured (not driven by this agent yet): 1 gates, 1 doors" in result.output


def test_check_names_an_interval_the_line_cannot_carry(tmp_path):
    text = (ROOT / "firmware-configs/street-shops-site.yaml").read_text(encoding="utf-8")
    bad = tmp_path / "fast.yaml"
    bad.write_text(text.replace("poll_interval_s: 60", "poll_interval_s: 0.01"), encoding="utf-8")
    result = CliRunner().invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert re.search(r"buses\[0\] \(line \d+\): bus rs485-shops: WM-S-101 needs", result.output)


def test_check_lists_every_error_and_fails(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(DEMO.read_text(encoding="utf-8").replace("unit_id: 2", "unit_id: 1"))
    result = CliRunner().invoke(app, ["check", str(bad)])
    assert result.exit_code == 1
    assert "bad.yaml: 1 error" in result.output
    assert re.search(r"buses\[0\] \(line \d+\): bus gw-a-rs485-1: unit id 1 is used", result.output)


async def test_run_stops_cleanly_on_ctrl_c_even_without_a_broker(tmp_path):
    config = tmp_path / "site.yaml"
    config.write_text(
        "site: park1\nagent: bldg-a\n"
        f"mqtt: {{url: 'mqtt://127.0.0.1:{free_tcp_port()}'}}\n"
        f"outbox: {{path: '{tmp_path / 'outbox.sqlite3'}'}}\n",
        encoding="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "edge.cli", "run", "--config", str(config),
        cwd=ROOT, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    output = b""
    assert process.stderr is not None
    while b"failing" not in output:  # it has started and is retrying the broker
        line = await asyncio.wait_for(process.stderr.readline(), timeout=10)
        assert line, output.decode()
        output += line
    process.send_signal(signal.SIGINT)
    _, rest = await asyncio.wait_for(process.communicate(), timeout=10)
    output += rest
    assert process.returncode == 0, output.decode()
    assert b"Traceback" not in output
    assert b"stopped" in output


def test_check_describes_cameras(tmp_path):
    config = tmp_path / "site.yaml"
    config.write_text(
        "site: park1\nagent: bldg-a\n"
        "cameras:\n"
        "  - {code: CAM-IN, source: /srv/frames, fps: 5}\n"
        "  - {code: CAM-OUT, source: push}\n"
        "anpr_push: {host: 0.0.0.0, port: 8089}\n",
        encoding="utf-8",
    )
    result = CliRunner().invoke(app, ["check", str(config)])
    assert result.exit_code == 0, result.output
    assert (
        "camera CAM-IN: plates read here from /srv/frames, up to 5 frames a second" in result.output
    )
    assert (
        "camera CAM-OUT: an ANPR camera pushing its reads to http://0.0.0.0:8089/anpr/CAM-OUT"
        in (result.output)
    )
