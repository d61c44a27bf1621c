"""What runs a site's cameras: for a camera that gives frames, a loop that reads plates from
them and stores one `plate_read` event per vehicle passage; for ANPR cameras that push their
reads, the HTTP endpoint. The agent imports this only when the site has cameras, so an agent
without them never loads OpenCV or the OCR models.
"""

import asyncio
import base64
import logging
from collections.abc import Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from edge.anpr_push import AnprPushEndpoint, EventSink, SeenEvents
from edge.drivers.plate_passages import PlateTracker, VehicleRead
from edge.drivers.plates import PlateReader
from edge.errors import TransportError
from edge.health import LinkHealth
from edge.transports.camera import open_frames
from protocols.messages import PLATE_READ, PlateReadData
from protocols.site_config import AnprPushSettings, Camera, SiteConfig

log = logging.getLogger(__name__)

RETRY_S = 10.0
SURE_READ = 0.9
"""A read this confident is taken at once: the car at the barrier does not wait for the vote."""
"""Pause before a camera whose source failed (a folder gone, no images) is opened again."""


def camera_tasks(
    site: SiteConfig, *, sink: EventSink, state_dir: Path
) -> list[tuple[str, Coroutine[Any, Any, None]]]:
    """(name, coroutine) for every camera loop and the push endpoint the site needs."""
    tasks: list[tuple[str, Coroutine[Any, Any, None]]] = []
    streaming = [camera for camera in site.cameras if not camera.pushes]
    if streaming:
        reader = PlateReader()  # one for all cameras: the models load once
        for camera in streaming:
            tasks.append((f"camera {camera.code}", watch_camera(camera, reader=reader, sink=sink)))
    pushing = {camera.code for camera in site.cameras if camera.pushes}
    if pushing and site.anpr_push is not None:
        serving = serve_anpr_push(site.anpr_push, cameras=pushing, sink=sink, state_dir=state_dir)
        tasks.append(("anpr push", serving))
    return tasks


async def serve_anpr_push(
    settings: AnprPushSettings, *, cameras: set[str], sink: EventSink, state_dir: Path
) -> None:
    """The ANPR push endpoint until cancelled; event ids and pictures live in `state_dir`."""
    seen = SeenEvents(state_dir / "anpr-events.sqlite3")
    endpoint = AnprPushEndpoint(
        sink=sink,
        seen=seen,
        cameras=cameras,
        snapshots=state_dir / "snapshots",
        host=settings.host,
        port=settings.port,
    )
    try:
        await endpoint.serve()
    finally:
        seen.close()


async def watch_camera(camera: Camera, *, reader: PlateReader, sink: EventSink) -> None:
    """Read plates from `camera`'s frames until cancelled; one event per vehicle passage."""
    health = LinkHealth(f"camera {camera.code}", logger=log)
    tracker = PlateTracker(gap_s=camera.passage_gap_s, sure=SURE_READ)
    while True:
        try:
            async with open_frames(camera.source, fps=camera.fps) as source:
                async for frame in source.frames():
                    health.succeeded()
                    read = await asyncio.to_thread(reader.read, frame.image)
                    passages = tracker.add(read, at=frame.ts) if read is not None else []
                    for passage in passages + tracker.flush():
                        store_passage(sink, camera.code, passage)
        except TransportError as exc:
            health.failed(exc)
        for passage in tracker.flush(everything=True):
            store_passage(sink, camera.code, passage)
        await asyncio.sleep(RETRY_S)


def store_passage(sink: EventSink, camera: str, passage: VehicleRead) -> int:
    """One vehicle's passage as a `plate_read` event, with the plate's picture in it."""
    best = passage.best
    data = PlateReadData(
        plate=passage.vote.text,
        valid=True,
        colour=best.colour,
        confidence=passage.vote.confidence,
        format=best.format,
        source="edge_ocr",
        reads=passage.vote.reads,
        agreeing=passage.vote.agreeing,
        snapshot_jpeg=base64.b64encode(best.jpeg).decode("ascii"),
    )
    return sink.append_event(
        device=camera, ts=_seen_at(passage), event=PLATE_READ, data=data.as_event_data()
    )


def _seen_at(passage: VehicleRead) -> datetime:
    return passage.seen_at or datetime.now(UTC)
