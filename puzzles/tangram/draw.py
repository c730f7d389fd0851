"""Skins and drawing of tangram frames: background, the target silhouette, the seven tans.

Drawing is deterministic and area-exact: every polygon is composited with
the share of each pixel it covers (measured on a 4x finer raster), so the
same poses always give the same pixels and a tan's colour mass is its area at
any angle. A frame is
painted back to front: background, the silhouette's fill and outline, then
the tans in the order given (a moving tan last, so it slides over the others).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from genreason.errors import UnknownName

RGB = tuple[int, int, int]
SHIFT = 4  # fractional bits of polygon vertices
OVERSAMPLE = 4  # sub-pixels a side when measuring how much of a pixel a polygon covers


@dataclass(frozen=True)
class TangramSkin:
    """The colours of one look and the words a prompt uses for them.

    Attributes:
        name: as used in suites and puzzle files.
        background: colour of the frame around the silhouette.
        fill: colour inside the silhouette.
        outline: colour of the silhouette's outline; ``outline_width`` pixels wide (0: none).
        piece_edge: colour of a line drawn round every tan; ``piece_edge_width`` pixels (0: none).
        pieces: seven (RGB, colour word) pairs, one per tan in :data:`puzzles.tangram.pieces.TANS` order.
        fill_words: how the prompt names the silhouette, e.g. ``light grey shape``.
    """

    name: str
    background: RGB
    fill: RGB
    outline: RGB
    outline_width: int
    piece_edge: RGB
    piece_edge_width: int
    pieces: tuple[tuple[RGB, str], ...]
    fill_words: str


SKINS: dict[str, TangramSkin] = {s.name: s for s in (
    TangramSkin("classic", background=(246, 246, 240), fill=(200, 200, 200), outline=(60, 60, 60),
                outline_width=2, piece_edge=(0, 0, 0), piece_edge_width=0,
                pieces=(((222, 40, 40), "red"), ((40, 90, 220), "blue"), ((40, 165, 70), "green"),
                        ((246, 205, 30), "yellow"), ((150, 60, 190), "purple"), ((245, 130, 20), "orange"),
                        ((20, 185, 200), "cyan")),
                fill_words="light grey shape with a dark outline"),
    TangramSkin("night", background=(28, 30, 40), fill=(78, 80, 96), outline=(215, 215, 225),
                outline_width=3, piece_edge=(0, 0, 0), piece_edge_width=0,
                pieces=(((250, 90, 150), "pink"), ((250, 230, 80), "yellow"), ((80, 220, 120), "green"),
                        ((255, 140, 40), "orange"), ((90, 170, 255), "light blue"), ((190, 110, 255), "violet"),
                        ((240, 60, 50), "red")),
                fill_words="dark grey shape with a white outline"),
    TangramSkin("paper", background=(250, 240, 220), fill=(214, 200, 172), outline=(150, 120, 90),
                outline_width=1, piece_edge=(40, 30, 20), piece_edge_width=1,
                pieces=(((200, 50, 60), "crimson"), ((30, 110, 160), "blue"), ((110, 160, 40), "olive green"),
                        ((235, 170, 40), "amber"), ((120, 70, 140), "plum"), ((20, 150, 130), "teal"),
                        ((230, 110, 90), "salmon")),
                fill_words="beige shape with a brown outline"),
)}


def get_skin(name: str) -> TangramSkin:
    """The skin called ``name``; :class:`UnknownName` otherwise."""
    if name not in SKINS:
        raise UnknownName("tangram skin", name, list(SKINS))
    return SKINS[name]


def _coverage(polygon: np.ndarray, x0: int, y0: int, w: int, h: int, line: int = 0) -> np.ndarray:
    """The share of each pixel of the box (x0, y0, w, h) covered by ``polygon`` (h x w float32).

    Drawn :data:`OVERSAMPLE` times finer without anti-aliasing and averaged,
    so a pixel gets exactly the area the polygon covers (to 1/16 of a pixel):
    tans keep their area whatever their angle. ``line`` > 0 covers the
    outline of that width instead of the inside.
    """
    k = OVERSAMPLE
    mask = np.zeros((h * k, w * k), np.uint8)
    # Pixel (i, j) covers [i - 0.5, i + 0.5]: its k x k sub-pixels have centres at i - 0.5 + (m + 0.5) / k.
    pts = np.round(((np.asarray(polygon, np.float64) - (x0, y0) + 0.5) * k - 0.5) * (1 << SHIFT)).astype(np.int32)
    if line:
        cv2.polylines(mask, [pts], True, 255, line * k, lineType=cv2.LINE_8, shift=SHIFT)
    else:
        cv2.fillPoly(mask, [pts], 255, lineType=cv2.LINE_8, shift=SHIFT)
    return cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


def paint(image: np.ndarray, polygon: np.ndarray, colour: RGB, line: int = 0) -> None:
    """Composite ``polygon`` (filled, or its outline ``line`` pixels wide) in ``colour`` onto ``image`` in place."""
    pad = line + 2
    lo = np.floor(np.asarray(polygon).min(axis=0)).astype(int) - pad
    hi = np.ceil(np.asarray(polygon).max(axis=0)).astype(int) + pad + 1
    x0, y0 = max(0, int(lo[0])), max(0, int(lo[1]))
    x1, y1 = min(image.shape[1], int(hi[0])), min(image.shape[0], int(hi[1]))
    if x1 <= x0 or y1 <= y0:
        return
    alpha = _coverage(polygon, x0, y0, x1 - x0, y1 - y0, line)[..., None]
    region = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = np.round(region * (1 - alpha) + np.asarray(colour, np.float32) * alpha).astype(np.uint8)


def draw_background(skin: TangramSkin, silhouette: list[np.ndarray], size: tuple[int, int]) -> np.ndarray:
    """The frame without tans: background, the silhouette filled and outlined (H x W x 3 uint8)."""
    image = np.empty((size[1], size[0], 3), np.uint8)
    image[:] = skin.background
    for poly in silhouette:
        paint(image, poly, skin.fill)
    if skin.outline_width:
        for poly in silhouette:
            paint(image, poly, skin.outline, skin.outline_width)
    return image


def draw_piece(image: np.ndarray, polygon: np.ndarray, colour: RGB, skin: TangramSkin) -> None:
    """Paint one tan (or any polygon standing in for one) onto ``image`` in place."""
    paint(image, polygon, colour)
    if skin.piece_edge_width:
        paint(image, polygon, skin.piece_edge, skin.piece_edge_width)
def draw_frame(background: np.ndarray, pieces: list[tuple[list[np.ndarray], RGB]], skin: TangramSkin) -> np.ndarray:
    """``background`` with every (polygons, colour) drawn over it in order."""
    image = background.copy()
    for polygons, colour in pieces:
        for poly in polygons:
            draw_piece(image, poly, colour, skin)
    return image
