"""The camera simulator: plates of every type, valid for their colour, drawn into scenes the
project's recogniser reads through `parkops plate read` (the rates are printed with -s)."""

import random
import subprocess
import sys
from pathlib import Path

import pytest

from protocols.plates import plate_format
from simulators.camera import random_plate, render_scene, replay_photos, write_scenes
from tests.plates_dev import photos

ROOT = Path(__file__).resolve().parents[2]
COLOURS = ("blue", "yellow", "green", "black", "white")


@pytest.mark.parametrize(
    ("colour", "formats"),
    [
        ("blue", {"standard"}),
        ("yellow", {"standard"}),
        ("green", {"new_energy_small"}),
        ("black", {"special"}),
        ("white", {"special"}),
    ],
)
def test_each_colour_carries_plates_of_its_national_format(colour, formats):
    rng = random.Random(3)
    for _ in range(50):
        text = random_plate(colour, rng)
        assert plate_format(text).name in formats, text
    assert len(random_plate("green", rng)) == 8


def test_a_scene_is_a_camera_frame_with_the_plate_in_it():
    frame = render_scene("京A12345", "blue", size=(640, 360))
    assert frame.shape == (360, 640, 3)
    blue = (frame[:, :, 0] > 120) & (frame[:, :, 2] < 60)
    assert blue.sum() > 1000  # the plate's blue ground is there


def _read(paths: list[Path]) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-m", "parkops.cli", "plate", "read", *map(str, paths)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return {line.split("\t")[0]: line.split("\t")[1] for line in result.stdout.splitlines()}


def _rate(frames) -> float:
    read = _read([f.path for f in frames])
    return sum(read[str(f.path)] == f.plate for f in frames) / len(frames)


def test_parkops_plate_read_reads_the_rendered_plates_of_every_colour(tmp_path):
    clear = write_scenes(tmp_path / "clear", count=10, seed=11, look="clear")
    varied = write_scenes(tmp_path / "varied", count=30, seed=12, look="varied")
    assert {f.colour for f in clear} == set(COLOURS)
    clear_rate, varied_rate = _rate(clear), _rate(varied)
    print(f"rendered plates read: clear {clear_rate:.0%}, varied {varied_rate:.0%}")
    assert clear_rate >= 0.9
    # Angles, blur, night and glare cost reads: 81% of 100 varied scenes (seed 7) were read
    # exactly, white police plates the most often missed; 100% of 50 clear ones.
    assert varied_rate >= 0.6


def test_real_photos_replay_as_frames():
    scenes = Path(photos()[0].path).parent
    frames = list(replay_photos(scenes))
    assert len(frames) >= 5
    assert all(image.ndim == 3 for _, image in frames)
