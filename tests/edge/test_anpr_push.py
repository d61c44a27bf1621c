import asyncio
import base64
import json
from datetime import UTC, datetime

import httpx
import pytest

from edge.anpr_push import AnprPushEndpoint, PushError, SeenEvents, parse_push
from edge.outbox import Outbox
from tests.support import running

JPEG = b"\xff\xd8\xff\xe0 a picture \xff\xd9"


def flat_body(**changes):
    body = {
        "plate": "京A·12345",
        "color": "蓝色",
        "confidence": 93,
        "event_id": "cam1-000017",
        "time": "2026-11-22T08:15:00+08:00",
        "picture": base64.b64encode(JPEG).decode(),
    }
    return body | changes


def test_the_common_flat_shape():
    read = parse_push(flat_body())
    assert read.plate == "京A12345"
    assert read.colour == "blue"
    assert read.confidence == pytest.approx(0.93)
    assert read.event_id == "cam1-000017"
    assert read.ts == datetime(2026, 11, 22, 0, 15, tzinfo=UTC)
    assert read.picture == JPEG


def test_a_nested_vendor_shape():
    body = {
        "AlarmInfoPlate": {
            "channel": 0,
            "result": {
                "PlateResult": {
                    "license": "粤B12345",
                    "colorType": 1,
                    "confidence": 0.88,
                    "plateid": 4711,
                    "timeStamp": {"Timeval": {"sec": 1_763_770_000}},
                }
            },
        }
    }
    read = parse_push(body)
    assert read.plate == "粤B12345"
    assert read.event_id == "4711"
    assert read.confidence == pytest.approx(0.88)
    assert read.colour is None and read.picture is None


def test_times_without_a_zone_are_kept_as_text_only():
    read = parse_push(flat_body(time="2026-11-22 08:15:00"))
    assert read.ts is None and read.camera_time == "2026-11-22 08:15:00"
    read = parse_push(flat_body(time=1_763_770_000_000))  # epoch milliseconds
    assert read.ts == datetime.fromtimestamp(1_763_770_000, UTC)


def test_without_an_event_id_the_same_read_gets_the_same_id():
    body = flat_body()
    del body["event_id"]
    assert parse_push(body).event_id == parse_push(dict(body)).event_id
    assert parse_push(body).event_id != parse_push(flat_body(time="later")).event_id


@pytest.mark.parametrize("body", [[], {"colour": "blue"}, {"plate": 12345}])
def test_a_body_without_a_plate_is_refused(body):
    with pytest.raises(PushError):
        parse_push(body)


@pytest.fixture
def outbox(tmp_path):
    with Outbox(tmp_path / "outbox.sqlite3", agent="bldg-a") as box:
        yield box


def _endpoint(outbox, tmp_path) -> AnprPushEndpoint:
    return AnprPushEndpoint(
        sink=outbox,
        seen=SeenEvents(tmp_path / "anpr-events.sqlite3"),
        cameras={"CAM-GATE-IN"},
        snapshots=tmp_path / "snapshots",
        host="127.0.0.1",
        port=0,
    )


def _events(outbox):
    return [r for r in outbox.next_batch(100) if r.kind == "event"]


async def test_pushed_reads_become_events_once_each_over_a_real_socket(outbox, tmp_path):
    endpoint = _endpoint(outbox, tmp_path)
    async with running(endpoint.serve), httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{endpoint.port}/anpr/CAM-GATE-IN"
        first = await client.post(url, json=flat_body())
        again = await client.post(url, json=flat_body())
        other = await client.post(url, json=flat_body(event_id="cam1-000018", plate="京A1234O"))
    assert first.status_code == 200 and first.json()["duplicate"] is False
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert other.json()["duplicate"] is False
    events = _events(outbox)
    assert [e.data["event_id"] for e in events] == ["cam1-000017", "cam1-000018"]
    event = events[0]
    assert event.device == "CAM-GATE-IN" and event.event == "plate_read"
    assert event.ts == datetime(2026, 11, 22, 0, 15, tzinfo=UTC)
    assert event.data["plate"] == "京A12345" and event.data["valid"] is True
    assert event.data["colour"] == "blue" and event.data["source"] == "anpr_push"
    assert (tmp_path / "snapshots" / event.data["snapshot"]).read_bytes() == JPEG
    # The camera's O in the serial is read as the 0 it must be; its own read is kept.
    assert events[1].data["plate"] == "京A12340" and events[1].data["camera_plate"] == "京A1234O"
    assert endpoint.stored == 2 and endpoint.duplicates == 1


async def test_event_ids_are_remembered_across_a_restart(outbox, tmp_path):
    for _ in range(2):
        endpoint = _endpoint(outbox, tmp_path)
        async with running(endpoint.serve), httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{endpoint.port}/anpr/CAM-GATE-IN"
            response = await client.post(url, json=flat_body())
        endpoint.seen.close()
    assert response.json()["duplicate"] is True
    assert len(_events(outbox)) == 1


async def test_the_same_event_pushed_at_once_is_stored_once(outbox, tmp_path):
    endpoint = _endpoint(outbox, tmp_path)
    async with running(endpoint.serve), httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{endpoint.port}/anpr/CAM-GATE-IN"
        answers = await asyncio.gather(*[client.post(url, json=flat_body()) for _ in range(5)])
    assert sorted(a.json()["duplicate"] for a in answers) == [False, True, True, True, True]
    assert len(_events(outbox)) == 1


@pytest.mark.parametrize(
    ("method", "path", "body", "status"),
    [
        ("POST", "/anpr/CAM-UNKNOWN", json.dumps(flat_body()), 404),
        ("POST", "/somewhere", json.dumps(flat_body()), 404),
        ("GET", "/anpr/CAM-GATE-IN", None, 405),
        ("POST", "/anpr/CAM-GATE-IN", "{not json", 400),
        ("POST", "/anpr/CAM-GATE-IN", json.dumps({"colour": "blue"}), 400),
        ("GET", "/health", None, 200),
    ],
)
async def test_what_is_not_a_plate_read_is_answered_and_not_stored(
    outbox, tmp_path, method, path, body, status
):
    endpoint = _endpoint(outbox, tmp_path)
    async with running(endpoint.serve), httpx.AsyncClient() as client:
        url = f"http://127.0.0.1:{endpoint.port}{path}"
        response = await client.request(method, url, content=body)
    assert response.status_code == status
    assert _events(outbox) == []


async def test_a_request_cut_off_midway_stores_nothing(outbox, tmp_path):
    endpoint = _endpoint(outbox, tmp_path)
    async with running(endpoint.serve):
        reader, writer = await asyncio.open_connection("127.0.0.1", endpoint.port)
        writer.write(b'POST /anpr/CAM-GATE-IN HTTP/1.1\r\nContent-Length: 500\r\n\r\n{"plate"')
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await asyncio.sleep(0.1)
        async with httpx.AsyncClient() as client:
            healthy = await client.get(f"http://127.0.0.1:{endpoint.port}/health")
    assert healthy.status_code == 200
    assert _events(outbox) == []
