"""The rigid fit's quick search gives exactly what drawing every pose gives.

:func:`verifiers.tangram_fit.rigid_fit` screens the coarse poses and draws
the nine half-pixel shifts of a fine pose from one fill; the reference here
draws and scores every pose one by one (the search as first written). Both
must agree to the last bit on whole, blurred, noisy, mirrored, sheared and
cut-off tans, and on shares that fit no pose at all.
"""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from verifiers.tangram_fit import (
    COARSE_STEP,
    FINE_STEP,
    _centroid,
    _iou,
    _next,
    _raster,
    best_pose,
    protrusion,
    rigid_fit,
)

TRIANGLE = np.array([(0.0, 0.0), (40.0, 0.0), (0.0, 40.0)])
SQUARE = np.array([(0.0, 0.0), (20.0, 0.0), (20.0, 20.0), (0.0, 20.0)])
PARALLELOGRAM = np.array([(0.0, 0.0), (28.0, 0.0), (42.0, 14.0), (14.0, 14.0)])


def reference_fit(shares: np.ndarray, centroid: tuple[float, float], polygon: np.ndarray,
                  mirror: bool = True) -> float:
    """Every coarse pose drawn and scored, then every fine pose and shift around the best."""
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


def drawn(polygon: np.ndarray, angle: float, centre: tuple[float, float], size: int = 120,
          shear: float = 0.0) -> np.ndarray:
    """A tan's shares as a renderer would leave them: the polygon turned, moved and (sheared)."""
    local = polygon - _centroid(polygon)
    local = local @ np.array([[1.0, shear], [0.0, 1.0]]).T
    return _raster(local, angle, centre, (size, size))


def degraded(shares: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = cv2.GaussianBlur(shares, (5, 5), 1.2) + rng.normal(0, 0.05, shares.shape).astype(np.float32)
    return np.clip(out, 0, 1).astype(np.float32)


CASES = {
    "triangle": (TRIANGLE, drawn(TRIANGLE, 37.3, (60.2, 58.7)), False),
    "square turned a little": (SQUARE, drawn(SQUARE, 4.1, (61.0, 60.0)), False),
    "parallelogram mirrored": (PARALLELOGRAM, drawn(PARALLELOGRAM * [-1, 1], 200.0, (55.5, 63.2)), True),
    "blurred and noisy": (TRIANGLE, degraded(drawn(TRIANGLE, 123.0, (60.0, 60.0)), 1), False),
    "sheared": (PARALLELOGRAM, drawn(PARALLELOGRAM, 71.0, (60.0, 60.0), shear=0.8), True),
    "cut by the frame's edge": (TRIANGLE, drawn(TRIANGLE, 300.0, (8.0, 111.0)), False),
    "a blob": (SQUARE, cv2.GaussianBlur(drawn(SQUARE, 0.0, (60.0, 60.0)), (0, 0), 8.0), False),
    "nothing": (TRIANGLE, np.zeros((120, 120), np.float32), True),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_quick_search_finds_what_drawing_every_pose_finds(name):
    polygon, shares, mirror = CASES[name]
    ys, xs = np.nonzero(shares > 0.5)
    centroid = (float(xs.mean()), float(ys.mean())) if len(xs) else (60.0, 60.0)
    assert rigid_fit(shares, centroid, polygon, mirror) == reference_fit(shares, centroid, polygon, mirror)


def test_a_whole_tan_fits_and_a_sheared_one_does_not():
    whole = drawn(PARALLELOGRAM, 71.0, (60.0, 60.0))
    sheared = CASES["sheared"][1]
    fits = []
    for shares in (whole, sheared):
        ys, xs = np.nonzero(shares > 0.5)
        fits.append(rigid_fit(shares, (float(xs.mean()), float(ys.mean())), PARALLELOGRAM))
    assert fits[0] > 0.95 and fits[1] < 0.85  # (the verifier's min_fit)


def _pose_and_protrusion(shares: np.ndarray, polygon: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(shares > 0.5)
    pose = best_pose(shares, (float(xs.mean()), float(ys.mean())), polygon, False)
    return pose.iou, protrusion(pose, shares, 3)


@pytest.mark.parametrize("angle", [0.0, 30.0, 165.0, 200.0])
def test_a_sheared_small_tan_sticks_out_of_its_best_pose_where_a_blurred_whole_one_does_not(angle):
    """A triangle the size of a medium tan on the verifier's canvas: blurred, a whole one fits its outline no
    better than a sharp one sheared by 0.6 (IoU 0.77 both), but only the sheared one leaves a wedge beyond it."""
    small = TRIANGLE * (27 / 40)
    whole = degraded(drawn(small, angle, (60.3, 59.6)), 1)
    sheared = drawn(small, angle, (60.3, 59.6), shear=0.6)
    (whole_fit, whole_out), (sheared_fit, sheared_out) = (_pose_and_protrusion(s, small) for s in (whole, sheared))
    assert whole_fit < 0.8 and sheared_fit < 0.8
    assert whole_out < 0.3 < 0.6 < sheared_out
    assert _pose_and_protrusion(degraded(sheared, 2), small)[1] > 0.55


def test_the_best_pose_is_the_fits_and_draws_the_tan_where_it_lies():
    shares = drawn(PARALLELOGRAM, 200.0, (55.5, 63.2))
    ys, xs = np.nonzero(shares > 0.5)
    centroid = (float(xs.mean()), float(ys.mean()))
    pose = best_pose(shares, centroid, PARALLELOGRAM)
    assert pose.iou == rigid_fit(shares, centroid, PARALLELOGRAM) > 0.95
    x0, y0 = pose.origin
    h, w = pose.drawn.shape
    assert shares[y0:y0 + h, x0:x0 + w].shape == pose.drawn.shape  # the crop it was measured on lies at origin
    assert abs(float(pose.drawn.sum()) / float(shares.sum()) - 1) < 0.02
    assert protrusion(pose, shares, 3) < 0.2


def test_the_fit_does_not_depend_on_the_turn_of_the_tan():
    fits = [rigid_fit(drawn(TRIANGLE, a, (60.0, 60.0)), (60.0, 60.0), TRIANGLE, False) for a in (0.0, 91.5, 233.0)]
    assert min(fits) > 0.95 and not math.isnan(sum(fits))


def test_centroid_and_next_vertices():
    """A polygon's successors wrap round as np.roll's do; the area centroid of a triangle and of an L shape."""
    square = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 2.0], [0.0, 2.0]])
    assert np.array_equal(_next(square), np.roll(square, -1, axis=0))
    assert np.allclose(_centroid(np.array([[0.0, 0.0], [3.0, 0.0], [0.0, 3.0]])), [1.0, 1.0])
    ell = np.array([[0.0, 0.0], [2.0, 0.0], [2.0, 1.0], [1.0, 1.0], [1.0, 2.0], [0.0, 2.0]])  # three unit squares
    assert np.allclose(_centroid(ell), [5 / 6, 5 / 6]) and np.allclose(_centroid(ell[::-1]), [5 / 6, 5 / 6])
