"""Finding a Chinese font to embed in a PDF.

Only fonts with TrueType outlines are searched: fpdf2 subsets them into a CID TrueType font that
every reader shows. Debian's fonts-noto-cjk ships CFF outlines in a collection, which some
readers (PDF.js in Firefox) draw as blank boxes once subset, so it is not used here; Debian's
fonts-wqy-zenhei (a .ttc of TrueType outlines) is the one the project installs.
"""

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SEARCHED = (
    # (path, index of the face inside a collection)
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),  # Debian: fonts-wqy-zenhei
    ("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc", 0),  # Debian: fonts-wqy-microhei
    ("/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf", 0),  # fonts-droid-fallback
    ("/usr/share/fonts/truetype/arphic/uming.ttc", 0),  # fonts-arphic-uming
)
INSTALL_HINT = "apt-get install fonts-wqy-zenhei"


@dataclass(frozen=True)
class FontFile:
    path: Path
    index: int = 0  # the face of a TrueType collection (.ttc)


def find_cjk_font(extra: Path | None = None) -> FontFile | None:
    """`extra` if it exists, else the first installed font of `SEARCHED`; None when none is."""
    if extra is not None and extra.is_file():
        return FontFile(extra)
    return _installed()


@lru_cache(maxsize=1)
def _installed() -> FontFile | None:
    for path, index in SEARCHED:
        if Path(path).is_file():
            return FontFile(Path(path), index)
    return None
