"""`parkops plate`: read licence plates from image files, as the edge agent reads camera frames.

OpenCV and the OCR models load only when a command runs, so mounting this costs nothing.
"""

from pathlib import Path
from typing import Annotated

import typer

app = typer.Typer(help="Licence plates: read them from pictures.", no_args_is_help=True)


@app.callback()
def _plate() -> None:
    """Licence plates: read them from pictures."""


@app.command()
def read(
    images: Annotated[list[Path], typer.Argument(help="image files (JPEG, PNG, BMP)")],
) -> None:
    """Print `file<TAB>plate<TAB>confidence` per image; the plate is empty when none is found.

    Exit code 1 if a file could not be read as an image (its line has an empty plate too)."""
    import cv2
    import numpy as np

    from edge.drivers.plates import PlateReader

    reader = PlateReader()
    unreadable = 0
    for path in images:
        try:
            frame = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
        except OSError as exc:
            frame = None
            typer.echo(f"{path}: {exc.strerror or exc}", err=True)
        if frame is None:
            unreadable += 1
            typer.echo(f"{path}: not an image", err=True)
            typer.echo(f"{path}\t\t0.000")
            continue
        found = reader.read(frame)
        if found is None:
            typer.echo(f"{path}\t\t0.000")
        else:
            typer.echo(f"{path}\t{found.plate}\t{found.confidence:.3f}")
    if unreadable:
        raise typer.Exit(1)
