"""A tangram puzzle's geometry in pixels: the silhouette, target poses and the scattered start.

:func:`build` turns a seed and a difficulty into a :class:`Plan`: the seven
target poses (an assembly from :mod:`puzzles.tangram.assemble`, scaled to
:data:`UNIT` pixels a unit and placed near the frame's centre), the
silhouette outline (the union of the targets, traced exactly: every corner is
a tan corner), which tans already lie in place and, for the others, a start
pose outside the silhouette, apart from each other, turned away from the
target by at least :data:`MIN_TURN` degrees (mirrored like the target, so every
move is a rigid motion in the plane).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np

from puzzles.tangram.assemble import assemble
from puzzles.tangram.pieces import KIND, TANS, Pose, overlap_area

FRAME = 512
UNIT = 30  # pixels per tangram unit: the 4 x 4 square is 120 px
KEEP_OUT = 14  # pixels between the silhouette's box and any scattered tan
SPACING = 1.18  # scattered tans are kept apart as if this much larger
EDGE = 6  # pixels between a scattered tan and the frame's edge
MIN_TURN = 30.0  # degrees a scattered tan is turned away from its target (modulo its symmetry)
SYMMETRY = {"large triangle": 360.0, "medium triangle": 360.0, "small triangle": 360.0, "square": 90.0,
            "parallelogram": 180.0}

DIFFICULTY = {  # most-compact choice, largest extent (units), tans already in place
    "easy": (2, 6.0, 4),
    "medium": (6, 7.0, 2),
    "hard": (30, 7.0, 0),
}


@dataclass(frozen=True)
class Plan:
    """Everything geometric about one puzzle, in ``frame0.png`` pixels.

    Attributes:
        targets: tan name -> its pose in the solved picture.
        starts: tan name -> its pose in the first frame (the target for tans in place).
        placed: names of the tans that start in place.
        order: names of the tans to move, in the order the reference moves them.
        silhouette: the outline(s) of the union of the targets (N x 2 pixel polygons).
    """

    targets: dict[str, Pose]
    starts: dict[str, Pose]
    placed: tuple[str, ...]
    order: tuple[str, ...]
    silhouette: list[np.ndarray]


def trace_silhouette(polygons: list[np.ndarray], oversample: int = 8) -> list[np.ndarray]:
    """The outer outline(s) of the union of ``polygons`` (pixels), corners snapped to polygon corners."""
    pts = np.concatenate(polygons)
    lo = np.floor(pts.min(axis=0)) - 2
    size = np.ceil((pts.max(axis=0) - lo + 2) * oversample).astype(int)
    mask = np.zeros((size[1], size[0]), np.uint8)
    for poly in polygons:
        cv2.fillPoly(mask, [np.round((poly - lo) * oversample * 16).astype(np.int32)], 255, cv2.LINE_8, shift=4)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))  # seams between tans
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    corners = np.concatenate(polygons)
    out = []
    for contour in contours:
        approx = cv2.approxPolyDP(contour, 0.6 * oversample, True)[:, 0].astype(np.float64) / oversample + lo
        snapped = []
        for p in approx:
            d = np.linalg.norm(corners - p, axis=1)
            q = corners[int(d.argmin())] if d.min() < 2.0 else p
            if not snapped or np.linalg.norm(np.asarray(snapped[-1]) - q) > 1e-6:
                snapped.append(q)
        if len(snapped) > 2 and np.linalg.norm(snapped[0] - snapped[-1]) < 1e-6:
            snapped.pop()
        out.append(np.asarray(snapped))
    return out


def _turn_ok(kind: str, start: float, target: float) -> bool:
    period = SYMMETRY[kind]
    d = (start - target) % period
    return min(d, period - d) >= MIN_TURN - 1e-9


def scatter(rng: np.random.Generator, names: list[str], targets: dict[str, Pose], keep_out: np.ndarray,
             fixed: list[np.ndarray]) -> dict[str, Pose] | None:
    """Start poses for ``names``: in the frame, outside ``keep_out`` (a box polygon), apart from each other."""
    out: dict[str, Pose] = {}
    taken = list(fixed)
    for name in names:
        kind = KIND[name]
        for _ in range(400):
            angle = float(15 * rng.integers(24))
            if not _turn_ok(kind, angle, targets[name].angle):
                continue
            x, y = (float(v) for v in rng.uniform(0, FRAME, size=2))
            pose = Pose(x, y, angle, targets[name].flip)
            poly = pose.polygon(kind, UNIT)
            if poly.min() < EDGE or poly.max() > FRAME - EDGE:
                continue
            big = pose.polygon(kind, UNIT * SPACING)
            if overlap_area(big, keep_out) > 0 or any(overlap_area(big, other) > 0 for other in taken):
                continue
            out[name] = pose
            taken.append(big)
            break
        else:
            return None
    return out


def box(lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    return np.array([[lo[0], lo[1]], [hi[0], lo[1]], [hi[0], hi[1]], [lo[0], hi[1]]], np.float64)


def build(seed: int, difficulty: str) -> Plan:
    """The plan of the puzzle for ``seed`` at ``difficulty`` (see :data:`DIFFICULTY`)."""
    choice, extent, n_placed = DIFFICULTY[difficulty]
    for attempt in range(50):
        rng = np.random.default_rng([seed, 7, attempt])
        units = assemble(int(rng.integers(2**31)), choice=choice, max_extent=extent)
        pts = np.concatenate([p.polygon(KIND[n]) for n, p in units.items()])
        centre_units = (pts.min(axis=0) + pts.max(axis=0)) / 2
        offset = np.array([FRAME / 2, FRAME / 2]) + rng.uniform(-16, 16, size=2)
        targets = {n: Pose(round(float((p.x - centre_units[0]) * UNIT + offset[0]), 6),
                           round(float((p.y - centre_units[1]) * UNIT + offset[1]), 6), p.angle, p.flip)
                   for n, p in units.items()}
        polys = {n: targets[n].polygon(KIND[n], UNIT) for n in targets}
        names = [n for n, _ in TANS]
        placed = tuple(sorted(rng.choice(names, size=n_placed, replace=False).tolist(),
                              key=names.index)) if n_placed else ()
        order = tuple(n for n in (names[i] for i in rng.permutation(len(names))) if n not in placed)
        all_pts = np.concatenate(list(polys.values()))
        keep_out = box(all_pts.min(axis=0) - KEEP_OUT, all_pts.max(axis=0) + KEEP_OUT)
        starts = scatter(rng, list(order), targets, keep_out, [])
        if starts is None:
            continue
        starts.update({n: targets[n] for n in placed})
        silhouette = trace_silhouette(list(polys.values()))
        return Plan(targets, {n: starts[n] for n in names}, placed, order, silhouette)
    raise RuntimeError(f"could not scatter the tans of seed {seed} ({difficulty})")


def angle_delta(a: float, b: float) -> float:
    """The signed turn from ``a`` to ``b`` in degrees, in (-180, 180]."""
    d = math.fmod(b - a, 360.0)
    if d > 180:
        d -= 360
    elif d <= -180:
        d += 360
    return d
