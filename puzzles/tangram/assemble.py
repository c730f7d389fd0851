"""Seeded edge-to-edge assembly of the seven tans into a silhouette without overlaps.

Tans are added one at a time: a new tan, turned by a multiple of 45 degrees
(the parallelogram possibly mirrored), is laid with one of its edges against
an edge of a tan already placed, corner on corner, and kept only if it
overlaps no placed tan (exact convex intersection). Among the candidates the
most compact ones (smallest convex hull of the union so far) are preferred;
``choice`` says among how many of the best the seeded pick is made, so a small
``choice`` gives compact silhouettes and a large one sprawling ones. An
assembly with a hole or wider than ``max_extent`` units is thrown away and
the search redrawn from the next sub-seed.
"""

from __future__ import annotations

import cv2
import numpy as np

from puzzles.tangram.pieces import KIND, TANS, Pose, overlap_area

ANGLES = tuple(45.0 * k for k in range(8))
EPS = 1e-6
MIN_OVERLAP = 1e-3  # unit^2: below this two tans only touch
TRIES = 200


def _orientations(kind: str) -> list[tuple[float, bool]]:
    flips = (False, True) if kind == "parallelogram" else (False,)
    return [(a, f) for a in ANGLES for f in flips]


def _edges(poly: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    return [(poly[i], poly[(i + 1) % len(poly)]) for i in range(len(poly))]


def _candidates(kind: str, placed: list[np.ndarray]) -> list[Pose]:
    """Every pose of ``kind`` that shares a corner and an edge direction with a placed tan and overlaps none."""
    out: list[Pose] = []
    seen: set[tuple] = set()
    for angle, flip in _orientations(kind):
        shape = Pose(0.0, 0.0, angle, flip).polygon(kind)
        for a, b in _edges(shape):
            d = (b - a) / np.linalg.norm(b - a)
            for poly in placed:
                for p, q in _edges(poly):
                    e = (q - p) / np.linalg.norm(q - p)
                    if np.dot(d, e) > -1 + EPS:  # only antiparallel edges can lie against each other
                        continue
                    for shift in (q - a, p - b):
                        key = (angle, flip, round(shift[0], 4), round(shift[1], 4))
                        if key in seen:
                            continue
                        seen.add(key)
                        # Shrunk a little: a tan nested in another along shared edges is a degenerate
                        # case for the convex intersection, a strictly smaller copy is not.
                        cand = shrink(shape + shift)
                        if all(overlap_area(cand, other) < MIN_OVERLAP for other in placed):
                            out.append(Pose(float(shift[0]), float(shift[1]), angle, flip))
    return out


def shrink(poly: np.ndarray, k: float = 0.98) -> np.ndarray:
    """``poly`` scaled by ``k`` about its vertex mean (strictly inside it for a convex polygon)."""
    c = poly.mean(axis=0)
    return c + (poly - c) * k


def overlapping(polys: list[np.ndarray]) -> bool:
    """Whether any two of the convex ``polys`` share more than a sliver of area."""
    return any(overlap_area(shrink(a), b) > 1e-3 * abs(float(cv2.contourArea(b.astype(np.float32))))
               for i, a in enumerate(polys) for j, b in enumerate(polys) if i != j)


def _hull_area(polys: list[np.ndarray]) -> float:
    pts = np.concatenate(polys).astype(np.float32)
    return float(cv2.contourArea(cv2.convexHull(pts)))


def _extent(polys: list[np.ndarray]) -> float:
    pts = np.concatenate(polys)
    return float((pts.max(axis=0) - pts.min(axis=0)).max())


def has_hole(polys: list[np.ndarray], px: float = 16.0) -> bool:
    """Whether the union of ``polys`` (units) encloses a gap, checked on a raster of ``px`` pixels a unit."""
    pts = np.concatenate(polys)
    lo = pts.min(axis=0) - 1
    size = np.ceil((pts.max(axis=0) - lo + 1) * px).astype(int)
    mask = np.zeros((size[1], size[0]), np.uint8)
    for poly in polys:
        cv2.fillPoly(mask, [np.round((poly - lo) * px * 16).astype(np.int32)], 255, cv2.LINE_8, shift=4)
    # Close hairline seams between tans that share an edge, then look for enclosed background.
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    contours, hierarchy = cv2.findContours(mask, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    return len(contours) != 1 or (hierarchy is not None and (hierarchy[0][:, 3] >= 0).any())


def assemble(seed: int, *, choice: int, max_extent: float) -> dict[str, Pose]:
    """Poses (units, centroids) of the seven tans forming one connected silhouette without holes.

    Args:
        seed: drives the order of the tans and every pick.
        choice: the pick is made among this many most compact candidates.
        max_extent: the silhouette's bounding box is at most this many units a side.
    """
    for attempt in range(TRIES):
        rng = np.random.default_rng([seed, attempt])
        order = [TANS[i][0] for i in rng.permutation(len(TANS))]
        first = order[0]
        angle, flip = _orientations(KIND[first])[int(rng.integers(len(_orientations(KIND[first]))))]
        poses = {first: Pose(0.0, 0.0, angle, flip)}
        polys = [poses[first].polygon(KIND[first])]
        for name in order[1:]:
            cands = [c for c in _candidates(KIND[name], polys)
                     if _extent([*polys, c.polygon(KIND[name])]) <= max_extent + EPS]
            if not cands:
                break
            scored = sorted(cands, key=lambda c: (round(_hull_area([*polys, c.polygon(KIND[name])]), 6),
                                                  round(c.x, 6), round(c.y, 6), c.angle, c.flip))
            pick = scored[int(rng.integers(min(choice, len(scored))))]
            poses[name] = pick
            polys.append(pick.polygon(KIND[name]))
        if len(poses) == len(TANS) and not overlapping(polys) and not has_hole(polys):
            return {name: poses[name] for name, _ in TANS}
    raise RuntimeError(f"no tangram assembly found for seed {seed} in {TRIES} tries")
