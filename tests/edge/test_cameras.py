import asyncio
import base64
import shutil
from datetime import datetime

import cv2
import numpy as np
import pytest

from edge.cameras import SURE_READ, camera_tasks, watch_camera
from edge.drivers.plates import PlateReader
from protocols.site_config import Camera, SiteConfig
from tests.plates_dev import photo
from tests.support import eventually


class Events:
    def __init__(self) -> None:
        self.events: list[dict] = []

    def append_event(self, *, device: str, ts: datetime, event: str, data=None) -> int:
        self.events.append({"device": device, "ts": ts, "event": event, "data": data or {}})
        return len(self.events)


async def test_a_camera_folder_gives_one_plate_event_per_vehicle(tmp_path):
    """Three frames of one car (a replayed photo) make one `plate_read` with its picture,
    taken at the first sure read (the car at the barrier does not wait for the rest)."""
    frames = tmp_path / "frames"
    frames.mkdir()
    for i in range(3):
        shutil.copy(photo("scene_014.jpg").path, frames / f"frame-{i}.jpg")
    sink = Events()
    camera = Camera(code="CAM-GATE-IN", source=str(frames), fps=20, passage_gap_s=0.2)
    task = asyncio.create_task(watch_camera(camera, reader=PlateReader(), sink=sink))
    try:
        await eventually(lambda: sink.events, timeout_s=60, what="a plate_read event")
        await asyncio.sleep(1.0)  # the other frames are read too, and past the passage's gap
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    [event] = sink.events
    assert event["device"] == "CAM-GATE-IN" and event["event"] == "plate_read"
    data = event["data"]
    assert data["plate"] == "新A89R95" and data["colour"] == "blue"
    assert data["reads"] == 1 and data["confidence"] >= SURE_READ and data["source"] == "edge_ocr"
    picture = base64.b64decode(data["snapshot_jpeg"])
    assert cv2.imdecode(np.frombuffer(picture, np.uint8), cv2.IMREAD_COLOR) is not None
    assert event["ts"].tzinfo is not None


def test_a_site_without_cameras_runs_no_camera_tasks(tmp_path):
    site = SiteConfig(site="park1", agent="bldg-a")
    assert camera_tasks(site, sink=Events(), state_dir=tmp_path) == []


async def test_pushing_cameras_share_one_endpoint_and_no_reader(tmp_path):
    site = SiteConfig.model_validate(
        {
            "site": "park1",
            "agent": "bldg-a",
            "cameras": [
                {"code": "CAM-IN", "source": "push"},
                {"code": "CAM-OUT", "source": "push"},
            ],
            "anpr_push": {"host": "127.0.0.1", "port": 18089},
        }
    )
    tasks = camera_tasks(site, sink=Events(), state_dir=tmp_path)
    assert [name for name, _ in tasks] == ["anpr push"]
    for _, job in tasks:
        job.close()


async def test_the_agent_reads_a_camera_and_takes_pushed_reads_with_the_cloud_away(tmp_path):
    """No broker at all: a plate read from frames and one pushed by an ANPR camera are both in
    the outbox, waiting for the cloud."""
    import httpx

    from edge.agent import Agent
    from tests.conftest import free_tcp_port

    frames = tmp_path / "frames"
    frames.mkdir()
    shutil.copy(photo("scene_040.jpg").path, frames / "frame.jpg")
    push_port = free_tcp_port()
    config = SiteConfig.model_validate(
        {
            "site": "park1",
            "agent": "bldg-a",
            "cameras": [
                {"code": "CAM-IN", "source": str(frames), "passage_gap_s": 0.1},
                {"code": "CAM-OUT", "source": "push"},
            ],
            "anpr_push": {"host": "127.0.0.1", "port": push_port},
            "mqtt": {"url": f"mqtt://127.0.0.1:{free_tcp_port()}"},
            "outbox": {"path": str(tmp_path / "outbox.sqlite3")},
        }
    )
    agent = Agent(config)
    stop = asyncio.Event()
    task = asyncio.create_task(agent.run(stop=stop))
    try:
        async with httpx.AsyncClient() as client:

            async def pushed() -> bool:
                try:
                    response = await client.post(
                        f"http://127.0.0.1:{push_port}/anpr/CAM-OUT",
                        json={"plate": "沪B55555", "event_id": "e-1"},
                    )
                except httpx.TransportError:
                    return False
                return response.status_code == 200

            for _ in range(100):  # the endpoint starts with the agent
                if await pushed():
                    break
                await asyncio.sleep(0.1)
            else:
                pytest.fail("the ANPR push endpoint did not answer")
        await eventually(lambda: agent.outbox.pending_count() >= 2, timeout_s=60, what="2 events")
        events = {r.device: r.data["plate"] for r in agent.outbox.next_batch(10)}
    finally:
        stop.set()
        await asyncio.wait_for(task, timeout=10)
    assert events == {"CAM-IN": "皖AMK620", "CAM-OUT": "沪B55555"}
