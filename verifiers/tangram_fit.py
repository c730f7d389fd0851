"""Fit a tan's own polygon rigidly onto what the last frame shows of it.

The polygon from the layout (scaled to canonical pixels) is placed on the
tan's measured centroid and turned through every angle (and mirrored: a tan
may lie either face up); the best soft IoU between the drawn polygon and the
tan's shares of the pixels says how rigid the tan stayed. A stretched,
sheared, bent or cut tan fits no turn of its own outline.

The search: every :data:`COARSE_STEP` degrees, then every :data:`FINE_STEP`
degrees and half a pixel of shift around the best coarse pose. Drawing each
coarse pose costs most, so a cheap *screen* ranks them all first (both the
shares and the polygon sampled on rings around the centroid, the overlap at
every turn from one circular cross-correlation), and only the poses it ranks
within :data:`SCREEN_MARGIN` of its best are drawn and scored exactly: the
best coarse pose, and so the result, are those of drawing every pose.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

OVERSAMPLE = 4
COARSE_STEP = 3.0  # degrees
FINE_STEP = 0.5
RING_STEP = 0.5  # canonical pixels between the screen's rings
SCREEN_TURNS = 120  # samples on each ring (a whole multiple of the coarse angles)
# Poses the screen ranks this far (in IoU) below its best are not drawn. On 1003 fits of
# calibration videos (sharp and degraded, whole and deformed tans) the screen ranked the best
# pose at most 0.02 below its own best; the margin is 5 times that.
SCREEN_MARGIN = 0.1


def _next(v: np.ndarray) -> np.ndarray:
    """Each vertex's successor (the first after the last): ``np.roll(v, -1, axis=0)``'s values, without its overhead."""
    return np.concatenate((v[1:], v[:1]))


def _centroid(pts: np.ndarray) -> np.ndarray:
    x, y = pts[:, 0], pts[:, 1]
    xn, yn = _next(x), _next(y)
    cross = x * yn - xn * y
    a = cross.sum() / 2
    return np.array([((x + xn) * cross).sum() / (6 * a), ((y + yn) * cross).sum() / (6 * a)])


def _fixed(local: np.ndarray, angle: float, centre: tuple[float, float]) -> np.ndarray:
    """The polygon turned by ``angle`` degrees about ``centre``: vertices in 1/16 oversampled pixels."""
    t = math.radians(angle)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    pts = local @ rot.T + centre
    k = OVERSAMPLE
    return np.round(((pts + 0.5) * k - 0.5) * 16).astype(np.int32)


def _fixed_shifted(local: np.ndarray, angle: float, centres: np.ndarray) -> np.ndarray:
    """:func:`_fixed` about each of ``centres`` (N x 2) at once (the same arithmetic, element by element)."""
    t = math.radians(angle)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    pts = (local @ rot.T)[None] + centres[:, None, :]
    k = OVERSAMPLE
    return np.round(((pts + 0.5) * k - 0.5) * 16).astype(np.int32)


def _draw(fixed: np.ndarray, out: np.ndarray) -> None:
    """Draw a polygon (:func:`_fixed`'s vertices) into ``out`` (zeros, float32): each pixel's covered share."""
    k = OVERSAMPLE
    shape = out.shape
    # Draw and shrink only the output pixels around the polygon (one spare pixel a side for the
    # rounding of its edges): shrinking by a whole factor averages each k x k block on its own,
    # so they get the values the whole raster would give them, and the rest stays 0.
    (xa, ya), (xb, yb) = fixed.min(axis=0).tolist(), fixed.max(axis=0).tolist()
    x0, y0 = max(xa // (16 * k) - 1, 0), max(ya // (16 * k) - 1, 0)
    x1, y1 = min(xb // (16 * k) + 2, shape[1]), min(yb // (16 * k) + 2, shape[0])
    if x1 > x0 and y1 > y0:
        mask = np.zeros(((y1 - y0) * k, (x1 - x0) * k), np.uint8)
        cv2.fillPoly(mask, [fixed - np.array([x0 * 16 * k, y0 * 16 * k], np.int32)], 255, cv2.LINE_8, shift=4)
        window = cv2.resize(mask, (x1 - x0, y1 - y0), interpolation=cv2.INTER_AREA)
        np.divide(window, np.float32(255.0), out=out[y0:y1, x0:x1], casting="unsafe")  # as astype, then / 255


def _raster(local: np.ndarray, angle: float, centre: tuple[float, float], shape: tuple[int, int]) -> np.ndarray:
    """The polygon turned by ``angle`` about ``centre``, drawn into a raster of ``shape`` (covered shares)."""
    out = np.zeros(shape, np.float32)
    _draw(_fixed(local, angle, centre), out)
    return out


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.minimum(a, b).sum() / max(1e-6, np.maximum(a, b).sum()))


def _ious(crop: np.ndarray, rasters: np.ndarray) -> list[float]:
    """:func:`_iou` of ``crop`` with each of ``rasters`` (N x H x W), the same numbers in one pass."""
    # Summing each raster's H x W block on its own adds in the same order as _iou does.
    low = np.minimum(crop, rasters).sum(axis=(1, 2))
    high = np.maximum(crop, rasters).sum(axis=(1, 2))
    return [float(lo / max(1e-6, hi)) for lo, hi in zip(low, high)]


def _area_table() -> np.ndarray:
    """What shrinking a k x k block with n of its pixels at 255 gives (OpenCV's area average, uint8), / 255."""
    k = OVERSAMPLE
    blocks = np.zeros((k, k * (k * k + 1)), np.uint8)
    for n in range(k * k + 1):
        block = np.zeros(k * k, np.uint8)
        block[:n] = 255
        blocks[:, n * k:(n + 1) * k] = block.reshape(k, k)
    shrunk = cv2.resize(blocks, (k * k + 1, 1), interpolation=cv2.INTER_AREA)[0]
    return np.divide(shrunk, np.float32(255.0)).astype(np.float32)


AREA = _area_table()


def _draw_shifted(fixed: np.ndarray, out: np.ndarray) -> None:
    """Draw the polygon shifted by every (dx, dy) in {-0.5, 0, 0.5}^2 pixels (dx major) into ``out`` (9 x H x W).

    Half a pixel is two oversampled pixels: the nine polygons are one drawing moved by whole
    oversampled pixels, so one fill, counted nine ways, gives what nine :func:`_draw` calls give
    (a shrunk pixel's value depends only on how many of its k x k oversampled pixels are set).
    """
    k = OVERSAMPLE
    half = k // 2
    shape = out.shape[1:]
    (xa, ya), (xb, yb) = fixed.min(axis=0).tolist(), fixed.max(axis=0).tolist()
    # The output pixels any of the nine may touch (_draw's window, one more pixel a side),
    # and the oversampled pixels they read, half a pixel more a side.
    x0, y0 = xa // (16 * k) - 2, ya // (16 * k) - 2
    x1, y1 = xb // (16 * k) + 3, yb // (16 * k) + 3
    if x0 < 0 or y0 < 0 or x1 > shape[1] or y1 > shape[0]:
        # Near the crop's edge _draw fills a clipped window, and a clipped fill is not the whole
        # fill cut: draw each the way _draw does.
        for j, (sx, sy) in enumerate((sx, sy) for sx in (-1, 0, 1) for sy in (-1, 0, 1)):
            _draw(fixed + np.array([16 * half * sx, 16 * half * sy], np.int32), out[j])
        return
    mask = np.zeros(((y1 - y0) * k + 2 * half, (x1 - x0) * k + 2 * half), np.uint8)
    origin = np.array([x0 * 16 * k - 16 * half, y0 * 16 * k - 16 * half], np.int32)
    cv2.fillPoly(mask, [fixed - origin], 1, cv2.LINE_8, shift=4)
    # Set pixels in every half-pixel square, then in every pixel-sized square (at half-pixel steps).
    # (OVERSAMPLE is 4: a half-pixel square is 2 x 2 oversampled pixels.)
    quarter = mask[0::2, 0::2] + mask[1::2, 0::2] + mask[0::2, 1::2] + mask[1::2, 1::2]
    pairs = quarter[:, :-1] + quarter[:, 1:]
    shares = np.take(AREA, pairs[:-1] + pairs[1:])  # of every pixel-sized square, at half-pixel steps
    h, w = y1 - y0, x1 - x0
    for j, (sx, sy) in enumerate((sx, sy) for sx in (-1, 0, 1) for sy in (-1, 0, 1)):
        # Output pixel x0 + u reads the drawing's oversampled pixels k * u + half * (1 - sx) on.
        out[j, y0:y1, x0:x1] = shares[1 - sy:1 - sy + 2 * h:2, 1 - sx:1 - sx + 2 * w:2]


def _inside(poly: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Which points (x, y) lie inside ``poly`` (even-odd rule)."""
    inside = np.zeros(x.shape, bool)
    for (x1, y1), (x2, y2) in zip(poly, _next(poly)):
        if y1 != y2:
            inside ^= ((y1 > y) != (y2 > y)) & (x < x1 + (y - y1) * ((x2 - x1) / (y2 - y1)))
    return inside


def _screen(crop: np.ndarray, centre: tuple[float, float], shapes: list[np.ndarray], radius: float) -> np.ndarray:
    """An estimate of the soft IoU of every coarse pose (shapes x angles), from samples on rings.

    On rings around the centroid, the polygon turned by an angle is the unturned polygon's
    samples rotated along each ring: the overlap at every turn is one circular
    cross-correlation per ring, weighted by the ring's radius (its area).
    """
    rings = np.arange(RING_STEP / 2, radius, RING_STEP)
    phi = np.arange(SCREEN_TURNS) * (2 * math.pi / SCREEN_TURNS)
    ux, uy = rings[:, None] * np.cos(phi)[None], rings[:, None] * np.sin(phi)[None]
    f = cv2.remap(crop, (ux + centre[0]).astype(np.float32), (uy + centre[1]).astype(np.float32),
                  cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT, borderValue=0.0).astype(np.float64)
    weights = rings[:, None]
    spectrum = np.fft.rfft(f * weights, axis=1)
    area_f = float((f * weights).sum())
    every = round(SCREEN_TURNS / (360.0 / COARSE_STEP))
    out = []
    for shape in shapes:
        g = _inside(shape, ux, uy).astype(np.float64)
        overlap = np.fft.irfft((spectrum * np.conj(np.fft.rfft(g, axis=1))).sum(axis=0), n=SCREEN_TURNS)[::every]
        out.append(overlap / np.maximum(area_f + float((g * weights).sum()) - overlap, 1e-9))
    return np.array(out)


def rigid_fit(shares: np.ndarray, centroid: tuple[float, float], polygon: np.ndarray, mirror: bool = True) -> float:
    """Best soft IoU of ``polygon`` (canonical pixels, any pose) turned (and mirrored, with ``mirror``)
    about ``centroid`` (then shifted by up to half a pixel) against ``shares`` (the tan's share of each pixel)."""
    return best_pose(shares, centroid, polygon, mirror).iou


@dataclass(frozen=True)
class Pose:
    """:func:`best_pose`'s answer: the soft IoU, and the polygon drawn at the best pose into a raster of the crop of
    the shares it was measured on, whose top-left corner is at ``origin`` ((x, y) in the shares' pixels)."""

    iou: float
    drawn: np.ndarray
    origin: tuple[int, int]


def best_pose(shares: np.ndarray, centroid: tuple[float, float], polygon: np.ndarray, mirror: bool = True) -> Pose:
    """:func:`rigid_fit`'s search, and the pose it found."""
    local = polygon - _centroid(polygon)
    radius = float(np.linalg.norm(local, axis=1).max()) + 4
    x0, y0 = max(0, int(centroid[0] - radius)), max(0, int(centroid[1] - radius))
    x1 = min(shares.shape[1], int(centroid[0] + radius) + 1)
    y1 = min(shares.shape[0], int(centroid[1] + radius) + 1)
    crop = np.ascontiguousarray(shares[y0:y1, x0:x1])
    centre = (centroid[0] - x0, centroid[1] - y0)
    shapes = [local, local * np.array([-1.0, 1.0])][:2 if mirror else 1]
    angles = np.arange(0.0, 360.0, COARSE_STEP)

    # Coarse: the poses the screen cannot rule out, drawn and scored in the order of a full
    # search (shape, then angle), so that ties go to the same pose.
    screen = _screen(crop, centre, shapes, radius)
    keep = np.argwhere(screen >= screen.max() - SCREEN_MARGIN)
    rasters = np.zeros((len(keep), *crop.shape), np.float32)
    for j, (s, a) in enumerate(keep):
        _draw(_fixed(shapes[s], float(angles[a]), centre), rasters[j])
    best = (-1.0, 0.0, local, rasters[0])
    for j, ((s, a), iou) in enumerate(zip(keep, _ious(crop, rasters))):
        if iou > best[0]:
            best = (iou, float(angles[a]), shapes[s], rasters[j])
    iou, angle, shape, drawn = best

    # Fine: every turn of FINE_STEP and shift of half a pixel around the best coarse pose.
    fines = np.arange(angle - COARSE_STEP / 2, angle + COARSE_STEP / 2 + 1e-9, FINE_STEP)
    rasters = np.zeros((9 * len(fines), *crop.shape), np.float32)
    step = 16 * OVERSAMPLE // 2  # half a pixel in 1/16 oversampled pixels
    shifts = np.array([(centre[0] + dx, centre[1] + dy) for dx in (-0.5, 0.0, 0.5) for dy in (-0.5, 0.0, 0.5)])
    moves = step * np.array([(sx, sy) for sx in (-1, 0, 1) for sy in (-1, 0, 1)], np.int32)
    for j, fine in enumerate(fines):
        poses = _fixed_shifted(shape, float(fine), shifts)  # 9 x V x 2, as _fixed gives each
        if np.array_equal(poses, poses[4] + moves[:, None, :]):
            _draw_shifted(poses[4], rasters[9 * j:9 * j + 9])
        else:  # rounding made a shifted polygon differ from the moved one: draw each
            for i, pose in enumerate(poses):
                _draw(pose, rasters[9 * j + i])
    fine_ious = _ious(crop, rasters)
    j = int(np.argmax(fine_ious))  # the first of the best, as max() keeps
    if fine_ious[j] > iou:
        iou, drawn = fine_ious[j], rasters[j]
    return Pose(iou, drawn, (x0, y0))


def protrusion(pose: Pose, shares: np.ndarray, patch: int) -> float:
    """The largest share of a ``patch``-pixel square that a tan (``shares``: :meth:`Unmixed.shares
    <verifiers.tangram_segment.Unmixed.shares>`, without the seams, which are no tan's own) covers beyond its own
    outline at its best rigid ``pose`` (:func:`best_pose`'s, on a raster of the same size).

    A rigid tan leaves beyond its outline only what its blurred or resampled edge spreads out, a band a pixel
    wide; a sheared, stretched or bent one leaves a wedge. The fit's IoU falls for a blurred small tan, mostly edge,
    as far as for a sheared one; a wedge stands out at any size and blur.
    """
    x0, y0 = pose.origin
    h, w = pose.drawn.shape
    beyond = np.clip(shares[y0:y0 + h, x0:x0 + w] - pose.drawn, 0.0, 1.0)
    return float(cv2.blur(beyond, (patch, patch), borderType=cv2.BORDER_CONSTANT).max())
