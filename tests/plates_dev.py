"""The real plate photos of `../shared/data/plates-dev` (beside the project, never inside it)."""

from pathlib import Path

import pytest

from bench.plates import DevPhoto, dev_photos, plates_dev_folder


def photos() -> list[DevPhoto]:
    """Every labelled photo; fails (never skips) the test when the folder is missing."""
    folder = plates_dev_folder()
    if not (folder / "labels.tsv").is_file():
        pytest.fail(
            f"the real plate photos are missing: no {folder / 'labels.tsv'}. They live in "
            "shared/data/plates-dev beside the project (set PARKOPS_PLATES_DEV to move them)."
        )
    return dev_photos(folder)


def photo(name: str) -> DevPhoto:
    """One photo by file name, e.g. `scene_003.jpg`."""
    return next(p for p in photos() if Path(p.file).name == name)
