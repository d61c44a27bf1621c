import cv2
import numpy as np
import pytest

from edge.drivers.plate_finder import plate_colour

# Plate grounds and character colours (BGR) as a camera sees them.
GROUNDS = {
    "blue": ((170, 70, 10), (245, 245, 245)),
    "yellow": ((20, 190, 235), (25, 25, 25)),
    "black": ((25, 25, 25), (235, 235, 235)),
    "white": ((235, 235, 235), (25, 25, 25)),
}


def synthetic_plate(colour: str, *, size=(140, 440), text="A12345") -> np.ndarray:
    height, width = size
    if colour == "green":
        # A new-energy plate: white at the top fading to green, black characters.
        plate = np.zeros((height, width, 3), np.uint8)
        for row in range(height):
            share = min(1.0, row / (0.6 * height))
            plate[row] = (1 - share) * np.array([240, 245, 240]) + share * np.array([90, 200, 60])
        ink = (20, 20, 20)
    else:
        ground, ink = GROUNDS[colour]
        plate = np.full((height, width, 3), ground, np.uint8)
    cv2.putText(
        plate, text, (20, int(height * 0.75)), cv2.FONT_HERSHEY_SIMPLEX, height / 45, ink, 6
    )
    return plate


@pytest.mark.parametrize("colour", ["blue", "yellow", "green", "black", "white"])
def test_colour_of_a_plate_crop(colour):
    assert plate_colour(synthetic_plate(colour)) == colour


@pytest.mark.parametrize("colour", ["blue", "yellow", "green", "black", "white"])
def test_colour_holds_in_shade_and_small_crops(colour):
    plate = synthetic_plate(colour, size=(40, 126))
    darker = cv2.convertScaleAbs(plate, alpha=0.7, beta=0)
    assert plate_colour(plate) == colour
    assert plate_colour(darker) == colour


def test_a_greenish_blue_plate_is_blue_for_its_white_characters():
    plate = synthetic_plate("blue")
    hsv = cv2.cvtColor(plate, cv2.COLOR_BGR2HSV)
    hsv[:, :, 0] = np.where(hsv[:, :, 1] > 70, 88, hsv[:, :, 0])  # white balance gone cyan
    assert plate_colour(cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)) == "blue"
