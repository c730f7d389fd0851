"""Fit a tan's own polygon rigidly onto what the last frame shows of it.

The polygon from the layout (scaled to canonical pixels) is placed on the
tan's measured centroid and turned through every angle (and mirrored: a tan
may lie either face up); the best soft IoU between the drawn polygon and the
tan's shares of the pixels says how rigid the tan stayed. A stretched,
sheared, bent or cut tan fits no turn of its own outline.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

OVERSAMPLE = 4
COARSE_STEP = 3.0  # degrees
FINE_STEP = 0.5


def _centroid(pts: np.ndarray) -> np.ndarray:
    x, y = pts[:, 0], pts[:, 1]
    cross = x * np.roll(y, -1) - np.roll(x, -1) * y
    a = cross.sum() / 2
    return np.array([((x + np.roll(x, -1)) * cross).sum() / (6 * a), ((y + np.roll(y, -1)) * cross).sum() / (6 * a)])


def _raster(local: np.ndarray, angle: float, centre: tuple[float, float], shape: tuple[int, int]) -> np.ndarray:
    t = math.radians(angle)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    pts = local @ rot.T + centre
    k = OVERSAMPLE
    fixed = np.round(((pts + 0.5) * k - 0.5) * 16).astype(np.int32)  # in 1/16 oversampled pixels
    # Draw and shrink only the output pixels around the polygon (one spare pixel a side for the
    # rounding of its edges): shrinking by a whole factor averages each k x k block on its own,
    # so they get the values the whole raster would give them, and the rest stays 0.
    (xa, ya), (xb, yb) = fixed.min(axis=0).tolist(), fixed.max(axis=0).tolist()
    x0, y0 = max(xa // (16 * k) - 1, 0), max(ya // (16 * k) - 1, 0)
    x1, y1 = min(xb // (16 * k) + 2, shape[1]), min(yb // (16 * k) + 2, shape[0])
    out = np.zeros(shape, np.float32)
    if x1 > x0 and y1 > y0:
        mask = np.zeros(((y1 - y0) * k, (x1 - x0) * k), np.uint8)
        fixed -= np.array([x0 * 16 * k, y0 * 16 * k], np.int32)
        cv2.fillPoly(mask, [fixed], 255, cv2.LINE_8, shift=4)
        window = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        np.divide(window, np.float32(255.0), out=out[y0:y1, x0:x1], casting="unsafe")  # as astype, then / 255
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.minimum(a, b).sum() / max(1e-6, np.maximum(a, b).sum()))


def rigid_fit(shares: np.ndarray, centroid: tuple[float, float], polygon: np.ndarray, mirror: bool = True) -> float:
    """Best soft IoU of ``polygon`` (canonical pixels, any pose) turned (and mirrored, with ``mirror``)
    about ``centroid`` (then shifted by up to half a pixel) against ``shares`` (the tan's share of each pixel)."""
    local = polygon - _centroid(polygon)
    radius = float(np.linalg.norm(local, axis=1).max()) + 4
    x0, y0 = max(0, int(centroid[0] - radius)), max(0, int(centroid[1] - radius))
    x1 = min(shares.shape[1], int(centroid[0] + radius) + 1)
    y1 = min(shares.shape[0], int(centroid[1] + radius) + 1)
    crop = shares[y0:y1, x0:x1]
    centre = (centroid[0] - x0, centroid[1] - y0)
    best = (-1.0, 0.0, local)
    for shape in (local, local * np.array([-1.0, 1.0]))[:2 if mirror else 1]:
        for angle in np.arange(0.0, 360.0, COARSE_STEP):
            iou = _iou(crop, _raster(shape, angle, centre, crop.shape))
            if iou > best[0]:
                best = (iou, float(angle), shape)
    iou, angle, shape = best
    for fine in np.arange(angle - COARSE_STEP / 2, angle + COARSE_STEP / 2 + 1e-9, FINE_STEP):
        for dx in (-0.5, 0.0, 0.5):
            for dy in (-0.5, 0.0, 0.5):
                at = (centre[0] + dx, centre[1] + dy)
                iou = max(iou, _iou(crop, _raster(shape, float(fine), at, crop.shape)))
    return iou
