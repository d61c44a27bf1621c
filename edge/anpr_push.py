"""The HTTP endpoint ANPR cameras push their plate reads to: `POST /anpr/{camera code}` with
the vendor's JSON. Each new read becomes a `plate_read` event in the outbox; a read whose event
id was seen before (the camera retries when it missed our answer) is answered but not stored
again. The ids seen are kept in SQLite, so a restart does not forget them.

Vendors name the fields differently and some nest them (`AlarmInfoPlate.result.PlateResult`),
so the body is searched, shallowest first, for the usual names of the plate, its colour, the
confidence, the event id, the time and a base64 picture. A picture is saved as a JPEG file
beside the outbox and the event names it.

A read is stored in the outbox before its id is remembered: a crash between the two makes the
camera's retry a duplicate (the event id travels with it), never a lost read.

Plain asyncio streams, one request per connection (`Connection: close`): cameras push a few
reads a minute, and the agent stays free of a web framework.
"""

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from edge.sqlite import open_durable
from protocols.messages import PLATE_READ, PlateReadData
from protocols.plates import PlateColour, correct_text, is_valid_plate, normalise

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024
MAX_BODY_BYTES = 16 * 2**20
"""A full-resolution JPEG in base64 fits with room to spare."""
READ_TIMEOUT_S = 10.0
MAX_PLATE_CHARACTERS = 16
EVENT_MEMORY_S = 7 * 86_400.0
"""How long an event id is remembered: cameras retry for minutes, not days."""

PLATE_KEYS = ("plate", "plate_number", "plateno", "plate_no", "license", "licence", "carplate")
COLOUR_KEYS = ("colour", "color", "plate_colour", "plate_color", "platecolor", "platecolour")
CONFIDENCE_KEYS = ("confidence", "plate_confidence", "score", "conf")
EVENT_ID_KEYS = ("event_id", "eventid", "uuid", "id", "record_id", "plateid")
TIME_KEYS = ("time", "timestamp", "ts", "event_time", "capture_time", "timestring")
PICTURE_KEYS = ("picture", "image", "snapshot", "image_base64", "picture_base64", "imagefile")

COLOUR_NAMES: dict[str, PlateColour] = {
    "blue": "blue",
    "蓝": "blue",
    "yellow": "yellow",
    "黄": "yellow",
    "green": "green",
    "绿": "green",
    "黄绿": "green",
    "black": "black",
    "黑": "black",
    "white": "white",
    "白": "white",
}


class EventSink(Protocol):
    """Where events go (the outbox)."""

    def append_event(
        self, *, device: str, ts: datetime, event: str, data: dict[str, Any] | None = None
    ) -> int: ...


class PushError(ValueError):
    """A pushed body that is not a plate read; the message says what is missing."""


@dataclass(frozen=True)
class PushedRead:
    """One plate read an ANPR camera pushed, in our terms."""

    event_id: str
    plate: str
    """As the camera read it, normalised (no separators); "" when it saw no plate."""
    colour: PlateColour | None
    confidence: float | None
    ts: datetime | None
    """The camera's time of the read if it gave one with its zone."""
    camera_time: str | None
    picture: bytes | None


def parse_push(body: Any) -> PushedRead:
    """A vendor's JSON body as a `PushedRead`; PushError if it carries no plate."""
    if not isinstance(body, dict):
        raise PushError("the body is not a JSON object")
    fields = dict(_fields(body))
    plate = fields.get("plate")
    if not isinstance(plate, str):
        raise PushError(f"no plate in the body (looked for {', '.join(PLATE_KEYS)})")
    plate = normalise(plate)
    if len(plate) > MAX_PLATE_CHARACTERS:
        raise PushError(f"{plate[:20]!r}... is too long for a plate")
    raw_time = fields.get("time")
    event_id = fields.get("event_id")
    if event_id is None or str(event_id) == "":
        # No id from the camera: the same read pushed twice still has the same plate and time.
        event_id = hashlib.sha256(f"{plate}|{raw_time}".encode()).hexdigest()[:24]
    return PushedRead(
        event_id=str(event_id),
        plate=plate,
        colour=_colour(fields.get("colour")),
        confidence=_confidence(fields.get("confidence")),
        ts=_time(raw_time),
        camera_time=None if raw_time is None else str(raw_time),
        picture=_picture(fields.get("picture")),
    )


def _fields(body: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """(our name, value) for each field found, shallowest first, the first of each name."""
    names = {
        "plate": PLATE_KEYS,
        "colour": COLOUR_KEYS,
        "confidence": CONFIDENCE_KEYS,
        "event_id": EVENT_ID_KEYS,
        "time": TIME_KEYS,
        "picture": PICTURE_KEYS,
    }
    found: set[str] = set()
    level: list[Any] = [body]
    while level:
        deeper: list[Any] = []
        for node in level:
            items: Sequence[Any] = list(node.values()) if isinstance(node, dict) else node
            if isinstance(node, dict):
                keys = {str(k).lower(): v for k, v in node.items()}
                for ours, aliases in names.items():
                    alias = next((a for a in aliases if a in keys), None)
                    if ours not in found and alias is not None:
                        found.add(ours)
                        yield ours, keys[alias]
            deeper += [v for v in items if isinstance(v, dict | list)]
        level = deeper


def _colour(value: Any) -> PlateColour | None:
    if not isinstance(value, str):
        return None
    text = value.strip().lower().removesuffix("色")
    return COLOUR_NAMES.get(text)


def _confidence(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    if number > 1:  # a percentage
        number /= 100
    return max(0.0, min(1.0, number))


def _time(value: Any) -> datetime | None:
    """The camera's time if it is unambiguous: epoch seconds (or ms) or ISO 8601 with a zone."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, UTC)
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            return None
        return parsed if parsed.tzinfo is not None else None
    return None


def _picture(value: Any) -> bytes | None:
    if not isinstance(value, str) or not value:
        return None
    data = value.split(",", 1)[1] if value.startswith("data:") else value
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return None


# --- event ids seen -----------------------------------------------------------------------------


class SeenEvents:
    """Event ids already stored, per camera, in a small SQLite file of their own."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = open_durable(self.path)
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS seen_events (camera TEXT NOT NULL, event_id TEXT NOT NULL,"
            " seen_at REAL NOT NULL, PRIMARY KEY (camera, event_id)) WITHOUT ROWID"
        )
        self._db.execute(
            "DELETE FROM seen_events WHERE seen_at < ?", (time.time() - EVENT_MEMORY_S,)
        )

    def __repr__(self) -> str:
        return f"SeenEvents({str(self.path)!r})"

    def close(self) -> None:
        self._db.close()

    def seen(self, camera: str, event_id: str) -> bool:
        row = self._db.execute(
            "SELECT 1 FROM seen_events WHERE camera = ? AND event_id = ?", (camera, event_id)
        ).fetchone()
        return row is not None

    def remember(self, camera: str, event_id: str) -> None:
        self._db.execute(
            "INSERT OR IGNORE INTO seen_events (camera, event_id, seen_at) VALUES (?, ?, ?)",
            (camera, event_id, time.time()),
        )


# --- the endpoint -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Response:
    status: int
    body: dict[str, Any]


_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Content Too Large",
}


class AnprPushEndpoint:
    """Takes plate reads pushed over HTTP and stores each new one as an outbox event."""

    def __init__(
        self,
        *,
        sink: EventSink,
        seen: SeenEvents,
        cameras: set[str],
        snapshots: Path,
        host: str = "0.0.0.0",
        port: int = 8089,
    ) -> None:
        self.sink = sink
        self.seen = seen
        self.cameras = cameras
        self.snapshots = snapshots
        self.host = host
        self.port = port
        self.stored = 0
        self.duplicates = 0

    def __repr__(self) -> str:
        return f"AnprPushEndpoint({self.host}:{self.port}, {len(self.cameras)} cameras)"

    async def serve(self, ready: asyncio.Event | None = None) -> None:
        """Listen until cancelled; `port` is the bound one once `ready` is set (0 picks one)."""
        server = await asyncio.start_server(self._connection, self.host, self.port)
        self.port = server.sockets[0].getsockname()[1]
        log.info("ANPR push endpoint on %s:%d", self.host, self.port)
        if ready is not None:
            ready.set()
        async with server:
            await server.serve_forever()

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):
                response = await self._request(reader)
        except (TimeoutError, asyncio.IncompleteReadError, ConnectionError):
            writer.close()
            return
        except asyncio.LimitOverrunError:
            response = _Response(413, {"ok": False, "error": "headers too large"})
        payload = json.dumps(response.body, ensure_ascii=False).encode()
        head = (
            f"HTTP/1.1 {response.status} {_REASONS.get(response.status, '')}\r\n"
            f"Content-Type: application/json; charset=utf-8\r\n"
            f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
        )
        try:
            writer.write(head.encode() + payload)
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            writer.close()

    async def _request(self, reader: asyncio.StreamReader) -> _Response:
        head = await reader.readuntil(b"\r\n\r\n")
        if len(head) > MAX_HEADER_BYTES:
            return _Response(413, {"ok": False, "error": "headers too large"})
        lines = head.decode("latin-1").split("\r\n")
        parts = lines[0].split(" ")
        if len(parts) != 3:
            return _Response(400, {"ok": False, "error": "not an HTTP request"})
        method, target, _ = parts
        headers = {
            k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines[1:] if h)
        }
        path = target.split("?", 1)[0].rstrip("/")
        if path == "/health":
            return _Response(200, {"ok": True})
        segments = path.split("/")
        if len(segments) != 3 or segments[1] != "anpr":
            return _Response(404, {"ok": False, "error": "POST plate reads to /anpr/{camera}"})
        if method != "POST":
            return _Response(405, {"ok": False, "error": "POST only"})
        camera = segments[2]
        if camera not in self.cameras:
            return _Response(404, {"ok": False, "error": f"no pushing camera {camera!r} here"})
        if "content-length" not in headers:
            return _Response(411, {"ok": False, "error": "Content-Length is needed"})
        length = int(headers["content-length"]) if headers["content-length"].isdigit() else -1
        if not 0 <= length <= MAX_BODY_BYTES:
            return _Response(413, {"ok": False, "error": f"at most {MAX_BODY_BYTES} bytes"})
        body = await reader.readexactly(length)
        try:
            read = parse_push(json.loads(body))
        except (PushError, ValueError) as exc:
            return _Response(400, {"ok": False, "error": str(exc)})
        return self._take(camera, read)

    def _take(self, camera: str, read: PushedRead) -> _Response:
        """Store a new read; acknowledge a known one without storing it again. Nothing here
        awaits, so two pushes of one event cannot both get past the check."""
        if self.seen.seen(camera, read.event_id):
            self.duplicates += 1
            return _Response(200, {"ok": True, "duplicate": True, "event_id": read.event_id})
        seq = self.sink.append_event(
            device=camera,
            ts=read.ts or datetime.now(UTC),
            event=PLATE_READ,
            data=self._event_data(camera, read),
        )
        self.seen.remember(camera, read.event_id)
        self.stored += 1
        return _Response(
            200, {"ok": True, "duplicate": False, "event_id": read.event_id, "seq": seq}
        )

    def _event_data(self, camera: str, read: PushedRead) -> dict[str, Any]:
        fitted = correct_text(read.plate) if read.plate else None
        plate = fitted.text if fitted is not None and not is_valid_plate(read.plate) else read.plate
        snapshot = None
        if read.picture:
            snapshot = f"{camera}-{hashlib.sha256(read.event_id.encode()).hexdigest()[:16]}.jpg"
            self.snapshots.mkdir(parents=True, exist_ok=True)
            (self.snapshots / snapshot).write_bytes(read.picture)
        return PlateReadData(
            plate=plate,
            valid=is_valid_plate(plate),
            colour=read.colour,
            confidence=read.confidence,
            source="anpr_push",
            event_id=read.event_id,
            camera_plate=read.plate if plate != read.plate else None,
            camera_time=read.camera_time,
            snapshot=snapshot,
        ).as_event_data()
