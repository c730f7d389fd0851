"""Digits drawn in fonts that every installation has: a stroke font defined here, Pillow's and OpenCV's built-in fonts.

No font file is read from the system, so a fresh machine draws the same
pixels. The puzzles use the ``pen`` stroke font (polylines drawn by Pillow,
identical on every version) and Pillow's built-in font (``pillow``, Pillow
10.1 or newer). OpenCV's ``putText`` faces (``simplex``, ``complex``, ...) are
stroke-drawn Hershey fonts in OpenCV 4 but built-in TrueType faces in OpenCV 5,
so their pixels depend on the installed version: they only add variety to the
digit reader's templates and to its held-out tests, never to a puzzle. :func:`digit_mask` gives a digit's ink coverage (0..1) centred in a
square cell; the sudoku renderer composites it in a colour, and the digit
reader (:mod:`verifiers.digits`) builds its templates from the same masks.
Glyphs are drawn large and shrunk with area averaging, so a digit looks alike
at every cell size and the same arguments always give the same pixels.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

DRAW_HEIGHT = 160  # pixels of the large drawing a glyph is shrunk from
DIGIT_FRACTION = 0.62  # a digit's height over its cell's side

HERSHEY = {
    "simplex": cv2.FONT_HERSHEY_SIMPLEX,
    "plain": cv2.FONT_HERSHEY_PLAIN,
    "duplex": cv2.FONT_HERSHEY_DUPLEX,
    "complex": cv2.FONT_HERSHEY_COMPLEX,
    "triplex": cv2.FONT_HERSHEY_TRIPLEX,
    "complex-small": cv2.FONT_HERSHEY_COMPLEX_SMALL,
    "script": cv2.FONT_HERSHEY_SCRIPT_SIMPLEX,
}


@dataclass(frozen=True)
class Font:
    """How to draw a digit.

    Attributes:
        face: ``pen`` (the stroke font of :data:`PEN_STROKES`), ``pillow``
            (Pillow's built-in font) or a key of :data:`HERSHEY` (OpenCV's faces).
        stroke: stroke width over glyph height (``pen`` and OpenCV faces; for
            ``pillow``, extra outline width over glyph height, 0 for the plain face).
        italic: slanted (``pen``: sheared by 0.25; OpenCV: its italic variant).
        alternate: ``pen`` only: the other way of writing 1, 4, 7 and 9
            (:data:`PEN_ALTERNATES`: a 1 with a foot, an open 4, a crossed 7, a straight-stemmed 9).
    """

    face: str
    stroke: float = 0.1
    italic: bool = False
    alternate: bool = False

    @property
    def label(self) -> str:
        return f"{self.face}{'-italic' if self.italic else ''}{'-alt' if self.alternate else ''}@{self.stroke:g}"


@lru_cache(maxsize=512)
def _large_glyph(digit: str, font: Font) -> np.ndarray:
    """The digit's ink, cropped to its bounding box, about DRAW_HEIGHT pixels tall (float32 0..1)."""
    canvas = np.zeros((DRAW_HEIGHT * 2, DRAW_HEIGHT * 2), dtype=np.uint8)
    if font.face == "pen":
        canvas = _pen_glyph(digit, font)
    elif font.face == "pillow":
        image = Image.fromarray(canvas)
        pil_font = ImageFont.load_default(size=int(DRAW_HEIGHT * 1.35))
        ImageDraw.Draw(image).text((DRAW_HEIGHT // 2, DRAW_HEIGHT // 4), digit, fill=255, font=pil_font,
                                   stroke_width=round(font.stroke * DRAW_HEIGHT), stroke_fill=255)
        canvas = np.asarray(image).copy()
    elif font.face in HERSHEY:
        face = HERSHEY[font.face] | (cv2.FONT_ITALIC if font.italic else 0)
        (_, h), _ = cv2.getTextSize(digit, face, 1.0, 1)
        scale = DRAW_HEIGHT / max(h, 1)
        thickness = max(1, round(font.stroke * DRAW_HEIGHT))
        cv2.putText(canvas, digit, (DRAW_HEIGHT // 2, DRAW_HEIGHT * 3 // 2), face, scale, 255, thickness, cv2.LINE_AA)
    else:
        raise ValueError(f"unknown font face {font.face!r}; known: {', '.join(['pen', 'pillow', *HERSHEY])}")
    # The ink's bounding box; cv2.boundingRect is some ten times cheaper than np.nonzero here, and every
    # fresh verifier process draws all of its templates' glyphs.
    x, y, w, h = cv2.boundingRect((canvas > 40).view(np.uint8))
    if w == 0:
        raise ValueError(f"font {font.label} drew nothing for {digit!r}")
    crop = canvas[y:y + h, x:x + w]
    return crop.astype(np.float32) / 255.0


def _arc(cx: float, cy: float, rx: float, ry: float, a0: float, a1: float, steps: int = 24) -> list[tuple[float, float]]:
    """Points on an ellipse from angle ``a0`` to ``a1`` (degrees, 0 = right, 90 = down)."""
    angles = np.radians(np.linspace(a0, a1, steps))
    return [(cx + rx * float(np.cos(a)), cy + ry * float(np.sin(a))) for a in angles]


# Each digit: polylines in a box 0.7 wide and 1 tall (x right, y down).
PEN_STROKES: dict[str, list[list[tuple[float, float]]]] = {
    "1": [[(0.12, 0.22), (0.38, 0.0), (0.38, 1.0)]],
    "2": [_arc(0.35, 0.28, 0.3, 0.28, 190, 370)[:-4] + [(0.62, 0.38), (0.03, 1.0), (0.7, 1.0)]],
    "3": [_arc(0.33, 0.25, 0.3, 0.25, 200, 450), _arc(0.33, 0.73, 0.34, 0.27, 270, 520)],
    "4": [[(0.52, 1.0), (0.52, 0.0), (0.0, 0.7), (0.7, 0.7)]],
    "5": [[(0.66, 0.0), (0.12, 0.0), (0.07, 0.45)] + _arc(0.35, 0.68, 0.33, 0.32, 230, 505)],
    "6": [_arc(0.38, 0.55, 0.34, 0.55, 300, 180) + _arc(0.36, 0.7, 0.32, 0.3, 180, 540)],
    "7": [[(0.0, 0.0), (0.7, 0.0), (0.22, 1.0)]],
    "8": [_arc(0.35, 0.24, 0.28, 0.24, 90, 450), _arc(0.35, 0.73, 0.34, 0.27, -90, 270)],
    "9": [_arc(0.34, 0.3, 0.32, 0.3, 0, 360) + _arc(0.32, 0.45, 0.34, 0.55, 0, 120)],
}

PEN_ALTERNATES: dict[str, list[list[tuple[float, float]]]] = {
    "1": [[(0.1, 0.2), (0.38, 0.0), (0.38, 1.0)], [(0.1, 1.0), (0.66, 1.0)]],
    "4": [[(0.2, 0.0), (0.02, 0.66), (0.7, 0.66)], [(0.52, 0.3), (0.52, 1.0)]],
    "7": [[(0.0, 0.0), (0.7, 0.0), (0.22, 1.0)], [(0.2, 0.52), (0.62, 0.52)]],
    "9": [_arc(0.34, 0.3, 0.32, 0.3, 0, 360), [(0.66, 0.3), (0.66, 1.0)]],
}


def _pen_glyph(digit: str, font: Font) -> np.ndarray:
    """The stroke font: round-capped polylines drawn by Pillow on a DRAW_HEIGHT x 2 canvas."""
    if digit not in PEN_STROKES:
        raise ValueError(f"the pen font has no glyph for {digit!r}")
    size = DRAW_HEIGHT * 2
    image = Image.new("L", (size, size), 0)
    draw = ImageDraw.Draw(image)
    width = max(1, round(font.stroke * DRAW_HEIGHT))
    shear = 0.25 if font.italic else 0.0
    strokes = PEN_ALTERNATES.get(digit, PEN_STROKES[digit]) if font.alternate else PEN_STROKES[digit]
    for line in strokes:
        points = [(size * 0.3 + DRAW_HEIGHT * (x + shear * (1 - y)), size * 0.2 + DRAW_HEIGHT * y) for x, y in line]
        draw.line(points, fill=255, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse((x - width / 2, y - width / 2, x + width / 2, y + width / 2), fill=255)
    return np.asarray(image).copy()


@lru_cache(maxsize=4096)
def digit_mask(digit: str, font: Font, side: int, fraction: float = DIGIT_FRACTION) -> np.ndarray:
    """Ink coverage (float32 0..1, ``side x side``) of ``digit`` centred in a square cell.

    The glyph is ``fraction * side`` pixels tall (narrower when that would
    make it wider than the cell). Read-only: it is cached.
    """
    glyph = _large_glyph(digit, font)
    gh, gw = glyph.shape
    height = fraction * side
    k = min(height / gh, 0.8 * side / gw)
    h, w = max(1, round(gh * k)), max(1, round(gw * k))
    small = cv2.resize(glyph, (w, h), interpolation=cv2.INTER_AREA)
    out = np.zeros((side, side), dtype=np.float32)
    y0, x0 = (side - h) // 2, (side - w) // 2
    out[y0:y0 + h, x0:x0 + w] = small
    out.flags.writeable = False
    return out
