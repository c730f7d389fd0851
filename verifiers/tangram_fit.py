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
    mask = np.zeros((shape[0] * k, shape[1] * k), np.uint8)
    cv2.fillPoly(mask, [np.round(((pts + 0.5) * k - 0.5) * 16).astype(np.int32)], 255, cv2.LINE_8, shift=4)
    return cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255.0


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
