"""A simulated gate camera: street scenes with a car's plate of every national type (blue,
yellow, green 8-character new-energy, black, white), seen at an angle, blurred, at night or in
glare; and replays of real photos. Frames go into a folder, which the agent reads like any
camera (`source: <folder>`).

Glyphs are drawn with Pillow in a CJK font (Debian `fonts-noto-cjk` or `fonts-wqy-zenhei`):
OpenCV's own fonts have no Chinese. Everything else (perspective, blur, light) is OpenCV.
"""

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from protocols.plates import (
    DIGITS,
    LETTERS,
    NEW_ENERGY_SMALL_FIRST,
    PROVINCES,
    PlateColour,
    is_valid_plate,
)

CJK_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
)
PLATE_W, PLATE_H = 440, 140
"""A Chinese plate is 440 x 140 mm; drawn at 1 px per mm before it is put in the scene."""
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp")

# (background, characters) in BGR; green is a gradient from white to green.
_STYLES: dict[PlateColour, tuple[tuple[int, int, int], tuple[int, int, int]]] = {
    "blue": ((170, 70, 10), (245, 245, 245)),
    "yellow": ((30, 190, 240), (20, 20, 20)),
    "green": ((120, 200, 90), (20, 20, 20)),
    "black": ((25, 25, 25), (245, 245, 245)),
    "white": ((240, 240, 240), (20, 20, 20)),
}
_ALNUM = DIGITS + LETTERS


class NoCjkFont(RuntimeError):
    """No font with Chinese glyphs is installed."""


def cjk_fonts() -> list[Path]:
    """Every CJK font installed of those known; NoCjkFont if there is none."""
    found = [Path(candidate) for candidate in CJK_FONTS if Path(candidate).is_file()]
    if not found:
        raise NoCjkFont(f"install fonts-noto-cjk or fonts-wqy-zenhei (looked for {CJK_FONTS})")
    return found


def cjk_font_path() -> Path:
    return cjk_fonts()[0]


def random_plate(colour: PlateColour, rng: random.Random) -> str:
    """A plate text of the kind that colour carries: standard on blue and yellow, 8 characters
    on green, a Hong Kong/Macau suffix on black, a police suffix on white."""
    province, letter = rng.choice(PROVINCES), rng.choice(LETTERS)

    def pick(chars: str, n: int) -> str:
        return "".join(rng.choice(chars) for _ in range(n))

    if colour == "green":
        text = (
            province
            + letter
            + rng.choice(NEW_ENERGY_SMALL_FIRST)
            + pick(_ALNUM, 1)
            + pick(DIGITS, 4)
        )
    elif colour == "black":
        text = "粤Z" + pick(DIGITS, 4) + rng.choice("港澳")
    elif colour == "white":
        text = province + letter + pick(DIGITS, 4) + "警"
    else:
        # Mostly digits, as issued; letters only among them.
        text = province + letter + pick(DIGITS, 2) + pick(_ALNUM, 1) + pick(DIGITS, 2)
    assert is_valid_plate(text), text
    return text


def draw_plate(text: str, colour: PlateColour, *, font: Path) -> Any:
    """The plate alone, straight on, as a BGR image of PLATE_W x PLATE_H."""
    background, ink = _STYLES[colour]
    plate = np.zeros((PLATE_H, PLATE_W, 3), np.uint8)
    plate[:] = background
    if colour == "green":  # new-energy plates fade from white at the top to green
        fade = np.linspace(0.0, 1.0, PLATE_H)[:, None, None]
        plate[:] = (255 * (1 - fade) + np.array(background) * fade).astype(np.uint8)
    cv2.rectangle(plate, (4, 4), (PLATE_W - 5, PLATE_H - 5), ink, 3)
    face = ImageFont.truetype(str(font), 100)
    # Plate characters are tall and narrow (45 x 90 mm), a dot after the second.
    slot = (PLATE_W - 30) / (len(text) + 0.4)
    glyph_w, glyph_h = int(slot * 0.86), 92
    x = 15.0
    for i, char in enumerate(text):
        if i == 2:
            cv2.circle(plate, (int(x + slot * 0.2), PLATE_H // 2), 5, ink, -1)
            x += slot * 0.4
        mask = cv2.resize(_glyph(char, face), (glyph_w, glyph_h), interpolation=cv2.INTER_AREA)
        left, top = int(x + (slot - glyph_w) / 2), (PLATE_H - glyph_h) // 2
        region = plate[top : top + glyph_h, left : left + glyph_w]
        alpha = (mask.astype(np.float32) / 255.0)[:, :, None]
        region[:] = (region * (1 - alpha) + np.array(ink) * alpha).astype(np.uint8)
        x += slot
    return plate


def _glyph(char: str, face: ImageFont.FreeTypeFont) -> Any:
    """One character as a grey mask, cropped to its ink."""
    canvas = Image.new("L", (160, 160), 0)
    ImageDraw.Draw(canvas).text((20, 10), char, font=face, fill=255)
    mask = np.asarray(canvas)
    ys, xs = np.nonzero(mask > 40)
    return mask[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


@dataclass(frozen=True)
class SceneLook:
    """How a frame looks: plate width in pixels, angle, blur, night, glare."""

    plate_px: int = 260
    yaw: float = 0.0
    """-1..1: how far the plate turns away (perspective)."""
    blur: float = 0.0
    """Gaussian blur sigma in pixels."""
    night: bool = False
    glare: float = 0.0
    """0..1: a headlight's bloom beside the plate."""

    @staticmethod
    def random(rng: random.Random) -> "SceneLook":
        return SceneLook(
            plate_px=rng.randint(180, 320),
            yaw=rng.uniform(-0.35, 0.35),
            blur=rng.choice([0.0, 0.0, 0.8, 1.5]),
            night=rng.random() < 0.25,
            glare=rng.choice([0.0, 0.0, 0.0, 0.5]),
        )


def render_scene(
    text: str,
    colour: PlateColour,
    *,
    look: SceneLook = SceneLook(),
    rng: random.Random | None = None,
    size: tuple[int, int] = (1280, 720),
    font: Path | None = None,
) -> Any:
    """A gate camera's frame (BGR, `size` = width x height) of a car showing `text`."""
    rng = rng or random.Random(0)
    width, height = size
    scene = _street(width, height, rng)
    plate = draw_plate(text, colour, font=font or cjk_font_path())
    plate_h = int(look.plate_px * PLATE_H / PLATE_W)
    cx, cy = width // 2 + rng.randint(-width // 8, width // 8), int(height * 0.68)
    squeeze = look.yaw * plate_h * 0.5
    corners = np.array(
        [
            [cx - look.plate_px / 2, cy - plate_h / 2 + squeeze],
            [cx + look.plate_px / 2, cy - plate_h / 2 - squeeze],
            [cx + look.plate_px / 2, cy + plate_h / 2 + squeeze],
            [cx - look.plate_px / 2, cy + plate_h / 2 - squeeze],
        ],
        np.float32,
    )
    _car(scene, cx, cy, look.plate_px, rng)
    source = np.array([[0, 0], [PLATE_W, 0], [PLATE_W, PLATE_H], [0, PLATE_H]], np.float32)
    warp = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(plate, warp, (width, height))
    mask = cv2.warpPerspective(np.full((PLATE_H, PLATE_W), 255, np.uint8), warp, (width, height))
    scene[mask > 0] = warped[mask > 0]
    return _light(scene, look, (cx, cy), rng)


def _street(width: int, height: int, rng: random.Random) -> Any:
    rows = np.linspace(150, 90, height, dtype=np.float32)[:, None]
    grey = np.repeat(rows, width, axis=1)
    noise = np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, (height, width))
    street = np.clip(grey + noise, 0, 255).astype(np.uint8)
    return cv2.cvtColor(street, cv2.COLOR_GRAY2BGR)


def _car(scene: Any, cx: int, cy: int, plate_px: int, rng: random.Random) -> None:
    body = tuple(rng.randint(20, 230) for _ in range(3))
    w = int(plate_px * 2.6)
    top, bottom = cy - int(plate_px * 1.1), cy + int(plate_px * 0.45)
    cv2.rectangle(scene, (cx - w // 2, top), (cx + w // 2, bottom), body, -1)
    grille = tuple(max(0, c - 60) for c in body)
    cv2.rectangle(
        scene, (cx - w // 4, top + plate_px // 4), (cx + w // 4, cy - plate_px // 3), grille, -1
    )
    for side in (-1, 1):  # headlights
        centre = (cx + side * int(w * 0.38), top + plate_px // 3)
        cv2.ellipse(scene, centre, (plate_px // 5, plate_px // 10), 0, 0, 360, (230, 230, 220), -1)


def _light(scene: Any, look: SceneLook, plate_at: tuple[int, int], rng: random.Random) -> Any:
    image = scene.astype(np.float32)
    if look.night:
        image = image * 0.35 + np.random.default_rng(rng.randint(0, 2**31)).normal(
            0, 5, image.shape
        )
    if look.glare > 0:
        height, width = image.shape[:2]
        ys, xs = np.mgrid[0:height, 0:width]
        gx = plate_at[0] + rng.choice((-1, 1)) * look.plate_px * 0.9
        gy = plate_at[1] - look.plate_px * 0.25
        bloom = np.exp(-(((xs - gx) ** 2 + (ys - gy) ** 2) / (2 * (look.plate_px * 0.35) ** 2)))
        image += (255 * look.glare * bloom)[:, :, None]
    if look.blur > 0:
        image = cv2.GaussianBlur(image, (0, 0), look.blur)
    return np.clip(image, 0, 255).astype(np.uint8)


@dataclass(frozen=True)
class RenderedFrame:
    path: Path
    plate: str
    colour: PlateColour
    look: SceneLook


def write_scenes(
    folder: Path,
    *,
    count: int,
    seed: int = 0,
    colours: tuple[PlateColour, ...] = ("blue", "yellow", "green", "black", "white"),
    look: Literal["clear", "varied"] = "varied",
) -> list[RenderedFrame]:
    """`count` scenes as JPEG files in `folder` (colours in turn), with what each shows."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    fonts = cjk_fonts()  # plate makers' lettering differs: take each installed face in turn
    frames = []
    for i in range(count):
        colour = colours[i % len(colours)]
        text = random_plate(colour, rng)
        chosen = SceneLook.random(rng) if look == "varied" else SceneLook()
        image = render_scene(text, colour, look=chosen, rng=rng, font=rng.choice(fonts))
        path = folder / f"scene_{i:04d}.jpg"
        cv2.imwrite(str(path), image, [cv2.IMWRITE_JPEG_QUALITY, 90])
        frames.append(RenderedFrame(path, text, colour, chosen))
    return frames


def replay_photos(folder: Path) -> Iterator[tuple[Path, Any]]:
    """Real photos (e.g. `shared/data/plates-dev/scenes`) as frames, in name order."""
    for path in sorted(folder.iterdir()):
        if path.suffix.lower() in IMAGE_SUFFIXES:
            image = cv2.imdecode(np.fromfile(path, dtype=np.uint8), cv2.IMREAD_COLOR)
            if image is not None:
                yield path, image
