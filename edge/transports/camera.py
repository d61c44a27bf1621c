"""Camera frames behind one small async interface: `async with source: async for frame in
source.frames()`, each frame a BGR image with the time it was taken.

Sources: a camera or video through OpenCV (an `rtsp://` or `http://` URL, a USB camera by
index or `/dev/videoN`, a video file), and a folder of still images (replayed photos, the
camera simulator's output). `open_frames` picks one from the `source` a site config gives.

OpenCV's reads block, so a capture runs in a thread of its own that keeps only the newest
frame: a consumer slower than the camera gets the latest picture, never a backlog seconds old
(an RTSP stream's buffer otherwise grows while recognition runs).
"""

import asyncio
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Protocol, Self

import cv2
import numpy as np
import numpy.typing as npt

from edge.errors import TransportError
from edge.health import LinkHealth

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".jpg", ".jpeg", ".png", ".bmp"})
RECONNECT_MIN_S = 1.0
RECONNECT_MAX_S = 30.0


@dataclass(frozen=True)
class Frame:
    """One picture from a camera."""

    image: npt.NDArray[Any]
    """BGR, height x width x 3."""
    ts: datetime
    """When it was taken (this machine's clock, UTC)."""
    source: str
    index: int
    """Counts 0, 1, 2... per source."""
    name: str = ""
    """The file it came from, for a folder."""


class FrameSource(Protocol):
    """Frames of one camera, opened and closed with `async with`."""

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def frames(self) -> AsyncIterator[Frame]: ...


def open_frames(source: str, *, fps: float = 4.0) -> FrameSource:
    """The frame source a camera's `source` names: a folder of images, a device index or
    `/dev/videoN`, or anything else OpenCV opens (RTSP/HTTP URL, video file)."""
    path = Path(source)
    if path.is_dir():
        return FolderFrames(path, interval_s=1.0 / fps)
    if source.isdigit():
        return CaptureFrames(int(source), fps=fps)
    return CaptureFrames(source, fps=fps)


class FolderFrames:
    """The images of a folder in name order, one every `interval_s`; once through, or over and
    over with `repeat`."""

    def __init__(self, folder: str | Path, *, interval_s: float = 0.0, repeat: bool = False):
        self.folder = Path(folder)
        self.interval_s = interval_s
        self.repeat = repeat

    def __repr__(self) -> str:
        return f"FolderFrames({str(self.folder)!r}, every {self.interval_s:g} s)"

    async def __aenter__(self) -> Self:
        if not self.folder.is_dir():
            raise TransportError(f"{self.folder} is not a folder")
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def frames(self) -> AsyncIterator[Frame]:
        index = 0
        while True:
            files = sorted(p for p in self.folder.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
            if not files:
                raise TransportError(f"{self.folder} holds no images")
            for file in files:
                started = time.monotonic()
                image = await asyncio.to_thread(_decode, file)
                if image is None:
                    log.warning("%s is not an image I can read; skipped", file)
                    continue
                yield Frame(image, datetime.now(UTC), str(self.folder), index, file.name)
                index += 1
                await asyncio.sleep(max(0.0, self.interval_s - (time.monotonic() - started)))
            if not self.repeat:
                return


def _decode(path: Path) -> npt.NDArray[Any] | None:
    data = np.fromfile(path, dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return None if image is None else np.asarray(image)


Opener = Callable[[str | int], Any]
"""Makes an OpenCV-like capture (`read()`, `isOpened()`, `release()`); tests hand in a fake."""


class CaptureFrames:
    """A camera or video through OpenCV, at most `fps` frames a second, reconnecting with
    back-off when the stream drops. A video file ends; a camera never does."""

    def __init__(self, source: str | int, *, fps: float = 4.0, opener: Opener | None = None):
        self.source = source
        self.fps = fps
        self._opener: Opener = opener or _open_capture
        self._latest: tuple[npt.NDArray[Any], datetime] | None = None
        self._fresh = threading.Event()
        self._stop = threading.Event()
        self._ended = False
        self._thread: threading.Thread | None = None
        self.health = LinkHealth(f"camera {source}", logger=log)

    def __repr__(self) -> str:
        return f"CaptureFrames({self.source!r}, {self.fps:g} fps)"

    async def __aenter__(self) -> Self:
        self._thread = threading.Thread(
            target=self._run, name=f"capture {self.source}", daemon=True
        )
        self._thread.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)

    async def frames(self) -> AsyncIterator[Frame]:
        index = 0
        while True:
            started = time.monotonic()
            if await asyncio.to_thread(self._fresh.wait, 1.0):
                self._fresh.clear()
            latest, self._latest = self._latest, None
            if latest is None:
                if self._ended:
                    return
                continue
            image, ts = latest
            yield Frame(image, ts, str(self.source), index)
            index += 1
            await asyncio.sleep(max(0.0, 1.0 / self.fps - (time.monotonic() - started)))

    def _run(self) -> None:
        """The capture thread: open, read as fast as the source gives, keep the newest."""
        pause = RECONNECT_MIN_S
        while not self._stop.is_set():
            capture = self._opener(self.source)
            try:
                if not capture.isOpened():
                    self.health.failed("cannot open it")
                else:
                    self.health.succeeded()
                    pause = RECONNECT_MIN_S
                    if self._read_until_it_fails(capture):
                        return
                    self.health.failed("the stream stopped")
            finally:
                capture.release()
            self._stop.wait(pause)
            pause = min(RECONNECT_MAX_S, pause * 2)

    def _read_until_it_fails(self, capture: Any) -> bool:
        """Read frames; True when a video file ended (no reconnecting), False on a failure."""
        frames = 0
        from_file = isinstance(self.source, str) and Path(self.source).is_file()
        while not self._stop.is_set():
            # A file has no live moment to keep up with: hand over every frame, at the
            # consumer's pace.
            while from_file and self._latest is not None and not self._stop.wait(0.005):
                pass
            ok, image = capture.read()
            if not ok or image is None:
                if frames and from_file:
                    self._ended = True
                    self._fresh.set()
                    return True
                return False
            frames += 1
            self._latest = (np.asarray(image), datetime.now(UTC))
            self._fresh.set()
        return True


def _open_capture(source: str | int) -> Any:
    capture = cv2.VideoCapture(source)
    # Keep the driver's own queue short, so the newest frame is what we read.
    capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
    return capture
