import asyncio
import threading

import cv2
import numpy as np
import pytest

from edge.errors import TransportError
from edge.transports.camera import CaptureFrames, FolderFrames, open_frames


def _image(value: int) -> np.ndarray:
    return np.full((24, 32, 3), value, np.uint8)


async def _take(source, count: int):
    frames = []
    async with source:
        async for frame in source.frames():
            frames.append(frame)
            if len(frames) == count:
                break
    return frames


@pytest.fixture
def folder(tmp_path):
    for name, value in [("b.png", 20), ("a.jpg", 10), ("c.bmp", 30)]:
        cv2.imwrite(str(tmp_path / name), _image(value))
    (tmp_path / "notes.txt").write_text("not a frame")
    return tmp_path


async def test_a_folder_gives_its_images_in_name_order_with_times(folder):
    frames = await _take(FolderFrames(folder), 10)
    assert [f.name for f in frames] == ["a.jpg", "b.png", "c.bmp"]
    assert [f.index for f in frames] == [0, 1, 2]
    assert [int(f.image[0, 0, 0]) for f in frames] == [10, 20, 30]
    assert all(f.image.shape == (24, 32, 3) for f in frames)
    assert frames[0].ts <= frames[1].ts <= frames[2].ts
    assert frames[0].ts.tzinfo is not None


async def test_a_folder_repeats_at_its_pace(folder):
    loop = asyncio.get_running_loop()
    started = loop.time()
    frames = await _take(FolderFrames(folder, interval_s=0.05, repeat=True), 5)
    assert [f.name for f in frames] == ["a.jpg", "b.png", "c.bmp", "a.jpg", "b.png"]
    assert loop.time() - started >= 0.2


async def test_a_broken_image_is_skipped(folder):
    (folder / "0-broken.jpg").write_bytes(b"not a jpeg")
    frames = await _take(FolderFrames(folder), 10)
    assert [f.name for f in frames] == ["a.jpg", "b.png", "c.bmp"]


async def test_a_missing_or_empty_folder_is_a_transport_error(tmp_path):
    with pytest.raises(TransportError, match="not a folder"):
        await _take(FolderFrames(tmp_path / "nowhere"), 1)
    with pytest.raises(TransportError, match="no images"):
        await _take(FolderFrames(tmp_path), 1)


def test_open_frames_picks_the_source_by_its_name(folder):
    assert isinstance(open_frames(str(folder)), FolderFrames)
    assert isinstance(open_frames("rtsp://127.0.0.1:1/stream"), CaptureFrames)
    device = open_frames("0")
    assert isinstance(device, CaptureFrames) and device.source == 0


async def test_a_video_file_through_opencv_gives_every_frame_then_ends(tmp_path):
    video = tmp_path / "gate.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    assert writer.isOpened()
    for value in range(0, 250, 25):
        writer.write(np.full((48, 64, 3), value, np.uint8))
    writer.release()
    frames = await _take(CaptureFrames(str(video), fps=100), 100)
    assert len(frames) == 10
    assert frames[0].image.shape == (48, 64, 3)
    brightness = [int(f.image.mean()) for f in frames]
    assert brightness == sorted(brightness)  # in order, none skipped or repeated
    assert not any(t.name.startswith("capture ") for t in threading.enumerate())


class FakeCapture:
    def __init__(self, frames: list[np.ndarray] | None) -> None:
        self.frames = list(frames or [])
        self.opened = frames is not None
        self.released = False

    def isOpened(self) -> bool:  # noqa: N802 - OpenCV's name
        return self.opened

    def read(self):
        if self.frames:
            return True, self.frames.pop(0)
        return False, None

    def release(self) -> None:
        self.released = True


async def test_a_camera_that_cannot_be_opened_or_drops_is_opened_again(monkeypatch):
    monkeypatch.setattr("edge.transports.camera.RECONNECT_MIN_S", 0.01)
    opened: list[FakeCapture] = []
    attempts = iter([None, [_image(1)], None, [_image(2), _image(3)]])

    def opener(source):
        capture = FakeCapture(next(attempts, []))
        opened.append(capture)
        return capture

    camera = CaptureFrames("rtsp://camera.invalid/1", fps=50, opener=opener)
    frames = await _take(camera, 2)
    assert [int(f.image[0, 0, 0]) for f in frames][0] == 1
    assert int(frames[1].image[0, 0, 0]) in (2, 3)  # the newest one it had
    assert len(opened) >= 4 and all(c.released for c in opened[:-1])
