"""The seven tans, their poses, and exact polygon geometry (no rasters).

Lengths are in *units*: the seven tans tile a 4 x 4 square (area 16). Every
tan is convex, so two tans overlap exactly when the convex intersection of
their polygons has a positive area (:func:`overlap_area`). Polygons are kept
in one winding order (a mirror reverses the vertex order back), which is what
lets :mod:`puzzles.tangram.assemble` match edges by direction.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

R2 = math.sqrt(2.0)

# Each tan with its right angle (or first corner) at the origin and legs along the axes.
SHAPES: dict[str, tuple[tuple[float, float], ...]] = {
    "large triangle": ((0.0, 0.0), (2 * R2, 0.0), (0.0, 2 * R2)),
    "medium triangle": ((0.0, 0.0), (2.0, 0.0), (0.0, 2.0)),
    "small triangle": ((0.0, 0.0), (R2, 0.0), (0.0, R2)),
    "square": ((0.0, 0.0), (R2, 0.0), (R2, R2), (0.0, R2)),
    "parallelogram": ((0.0, 0.0), (2.0, 0.0), (3.0, 1.0), (1.0, 1.0)),
}
AREAS = {"large triangle": 4.0, "medium triangle": 2.0, "small triangle": 1.0, "square": 2.0,
         "parallelogram": 2.0}

# The seven tans: (name, kind). Names are stable keys in puzzle files.
TANS: tuple[tuple[str, str], ...] = (
    ("large-triangle-a", "large triangle"),
    ("large-triangle-b", "large triangle"),
    ("medium-triangle", "medium triangle"),
    ("small-triangle-a", "small triangle"),
    ("small-triangle-b", "small triangle"),
    ("square", "square"),
    ("parallelogram", "parallelogram"),
)
KIND = dict(TANS)


def local_polygon(kind: str) -> np.ndarray:
    """The tan's vertices (N x 2, units) with its centroid at the origin."""
    pts = np.asarray(SHAPES[kind], dtype=np.float64)
    return pts - centroid(pts)


def centroid(pts: np.ndarray) -> np.ndarray:
    """The area centroid of a simple polygon (N x 2)."""
    x, y = pts[:, 0], pts[:, 1]
    xn, yn = np.roll(x, -1), np.roll(y, -1)
    cross = x * yn - xn * y
    a = cross.sum() / 2.0
    return np.array([((x + xn) * cross).sum() / (6 * a), ((y + yn) * cross).sum() / (6 * a)])


def polygon_area(pts: np.ndarray) -> float:
    """Unsigned area of a simple polygon (N x 2)."""
    x, y = pts[:, 0], pts[:, 1]
    return float(abs((x * np.roll(y, -1) - np.roll(x, -1) * y).sum()) / 2.0)


@dataclass(frozen=True)
class Pose:
    """Where a tan lies: its centroid, its rotation and whether it is mirrored.

    The polygon is ``centre + scale * R(angle) . M . local`` where ``M`` mirrors
    x when ``flip`` and ``R`` turns by ``angle`` degrees (from +x towards +y,
    which is clockwise on screen since y points down).
    """

    x: float
    y: float
    angle: float
    flip: bool = False

    def polygon(self, kind: str, scale: float = 1.0) -> np.ndarray:
        pts = local_polygon(kind)
        if self.flip:
            pts = pts * np.array([-1.0, 1.0])
            pts = pts[::-1]  # keep the winding order
        t = math.radians(self.angle)
        rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
        return pts @ rot.T * scale + np.array([self.x, self.y])

    def to_json(self) -> dict:
        return {"centre": [round(self.x, 4), round(self.y, 4)], "angle": round(self.angle, 4), "flip": self.flip}


def overlap_area(a: np.ndarray, b: np.ndarray) -> float:
    """Area shared by two convex polygons (0 when they only touch)."""
    area, _ = cv2.intersectConvexConvex(a.astype(np.float32), b.astype(np.float32))
    return max(0.0, float(area))


def fill_mask(polygons: list[np.ndarray], size: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """A boolean raster (height x width) of the union of ``polygons`` (pixels, multiplied by ``scale``)."""
    mask = np.zeros((size[1], size[0]), np.uint8)
    shift = 4  # sub-pixel vertices
    for poly in polygons:
        pts = np.round(np.asarray(poly, np.float64) * scale * (1 << shift)).astype(np.int32)
        cv2.fillPoly(mask, [pts], 1, lineType=cv2.LINE_8, shift=shift)
    return mask.astype(bool)
