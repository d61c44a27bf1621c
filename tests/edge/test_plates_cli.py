"""`parkops plate read` as people type it: a real subprocess on real photos."""

import subprocess
import sys
from pathlib import Path

from tests.plates_dev import photo

ROOT = Path(__file__).resolve().parents[2]


def parkops(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "parkops.cli", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_plate_read_prints_file_plate_and_confidence_per_image(tmp_path):
    names = ["crop_012.jpg", "hyperlpr_rec_3.jpg", "scene_019.jpg", "scene_040.jpg"]
    paths = [str(photo(name).path) for name in names]
    blank = tmp_path / "blank.png"
    blank.write_bytes(_blank_png())
    result = parkops("plate", "read", *paths, str(blank))
    assert result.returncode == 0, result.stderr
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [line[0] for line in lines] == [*paths, str(blank)]
    for name, (_, plate, confidence) in zip(names, lines, strict=False):
        assert plate == photo(name).plate
        assert 0.6 <= float(confidence) <= 1.0
    assert lines[-1][1:] == ["", "0.000"]  # no plate found: an empty plate


def test_a_file_that_is_not_an_image_gets_an_empty_line_and_exit_code_1(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    result = parkops("plate", "read", str(text), str(tmp_path / "missing.jpg"))
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        f"{text}\t\t0.000",
        f"{tmp_path / 'missing.jpg'}\t\t0.000",
    ]
    assert "not an image" in result.stderr


def test_the_cli_and_the_agent_load_no_opencv_until_they_need_it():
    probe = (
        "import sys, parkops.cli, edge.cli, edge.agent; "
        "assert 'cv2' not in sys.modules and 'onnxruntime' not in sys.modules, 'loaded'"
    )
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def _blank_png() -> bytes:
    import cv2
    import numpy as np

    ok, data = cv2.imencode(".png", np.full((300, 600, 3), 200, np.uint8))
    assert ok
    return data.tobytes()
