"""An independent renderer of 3D maze layouts, for tests: other colours, other shading, another agent.

It shares nothing with :mod:`puzzles.maze3d.draw` but the layout's projection
matrix: faces are anti-aliased OpenCV polygons in plain colours without
outlines or level tints, a ladder is one thick pole with rungs, the goal a
pole with a pennant, and the agent a two-part figure (body and head) standing
*above* the top-face centre, as a character with feet would.
"""

from __future__ import annotations

import itertools

import cv2
import numpy as np

from genreason.types import Puzzle

TOP, SIDE_X, SIDE_Y = (120, 200, 230), (60, 120, 160), (40, 80, 110)
SKY, LADDER, AGENT, GOAL = (250, 245, 225), (90, 50, 20), (250, 110, 0), (200, 0, 200)


def _p(layout: dict, x: float, y: float, z: float) -> tuple[float, float]:
    m = layout["projection"]
    return (m[0][0] * x + m[0][1] * y + m[0][2] * z + m[0][3], m[1][0] * x + m[1][1] * y + m[1][2] * z + m[1][3])


def _poly(image: np.ndarray, points: list[tuple[float, float]], colour: tuple[int, int, int]) -> None:
    pts = np.round(np.array(points) * 16).astype(np.int32)
    cv2.fillConvexPoly(image, pts, colour, lineType=cv2.LINE_AA, shift=4)


def height(layout: dict, cell: tuple[int, int]) -> int:
    x, y = cell
    sx, sy, _ = layout["size"]
    return layout["heights"][y][x] if 0 <= x < sx and 0 <= y < sy else 0


def top_centre(layout: dict, cell: tuple[int, int]) -> tuple[float, float]:
    return _p(layout, cell[0] + 0.5, cell[1] + 0.5, height(layout, cell))


def board(layout: dict, size: tuple[int, int] = (512, 512), drop_ladder: int | None = None) -> np.ndarray:
    """The empty board: columns back to front, ladders, the goal pole."""
    image = np.full((size[1], size[0], 3), SKY, np.uint8)
    sx, sy, _ = layout["size"]
    cells = sorted(((x, y) for y in range(sy) for x in range(sx) if height(layout, (x, y)) > 0),
                   key=lambda c: (c[0] + c[1], c[0]))
    for x, y in cells:
        h = height(layout, (x, y))
        _poly(image, [_p(layout, x + 1, y, 0), _p(layout, x + 1, y + 1, 0), _p(layout, x + 1, y + 1, h),
                      _p(layout, x + 1, y, h)], SIDE_X)
        _poly(image, [_p(layout, x, y + 1, 0), _p(layout, x + 1, y + 1, 0), _p(layout, x + 1, y + 1, h),
                      _p(layout, x, y + 1, h)], SIDE_Y)
        for k, lad in enumerate(layout["ladders"]):
            if tuple(lad["high"]) == (x, y) and k != drop_ladder:
                _ladder(image, layout, lad)
        _poly(image, [_p(layout, x, y, h), _p(layout, x + 1, y, h), _p(layout, x + 1, y + 1, h),
                      _p(layout, x, y + 1, h)], TOP)
    gx, gy = top_centre(layout, tuple(layout["goal"]))
    a = layout["projection"][0][0]
    cv2.line(image, (round(gx), round(gy)), (round(gx), round(gy - 0.9 * a)), (40, 40, 40), 2, cv2.LINE_AA)
    cv2.fillConvexPoly(image, np.round(np.array([(gx, gy - 0.9 * a), (gx + 0.6 * a, gy - 0.7 * a),
                                                 (gx, gy - 0.5 * a)])).astype(np.int32), GOAL, cv2.LINE_AA)
    return image


def ladder_ends(layout: dict, lad: dict) -> tuple[tuple[float, float], tuple[float, float]]:
    (lx, ly), (hx, hy) = lad["low"], lad["high"]
    zl, zh = height(layout, (lx, ly)), height(layout, (hx, hy))
    if lx != hx:
        fx = max(lx, hx)
        foot, top = _p(layout, fx, ly + 0.5, zl), _p(layout, fx, ly + 0.5, zh)
    else:
        fy = max(ly, hy)
        foot, top = _p(layout, lx + 0.5, fy, zl), _p(layout, lx + 0.5, fy, zh)
    return foot, top


def _ladder(image: np.ndarray, layout: dict, lad: dict) -> None:
    foot, top = ladder_ends(layout, lad)
    a = layout["projection"][0][0]
    cv2.line(image, (round(foot[0]), round(foot[1])), (round(top[0]), round(top[1])), LADDER, max(2, round(a / 6)),
             cv2.LINE_AA)
    for t in np.linspace(0.15, 0.85, 4):
        y = foot[1] + t * (top[1] - foot[1])
        cv2.line(image, (round(foot[0] - a / 4), round(y)), (round(foot[0] + a / 4), round(y)), LADDER, 2, cv2.LINE_AA)


def route_points(layout: dict, cells: list[tuple[int, int]]) -> list[tuple[float, float]]:
    """Face centres of ``cells`` and, between two levels, the ends of the ladder joining them."""
    points = [top_centre(layout, cells[0])]
    for a, b in itertools.pairwise(cells):
        if height(layout, a) != height(layout, b):
            lad = next(d for d in layout["ladders"] if {tuple(d["low"]), tuple(d["high"])} == {a, b})
            foot, top = ladder_ends(layout, lad)
            points.extend([foot, top] if tuple(lad["low"]) == a else [top, foot])
        points.append(top_centre(layout, b))
    return points


def positions(points: list[tuple[float, float]], px_per_frame: float, hold: int = 6) -> np.ndarray:
    """Constant-speed positions through ``points``, then ``hold`` frames of rest."""
    pts = np.array(points, float)
    seg = np.linalg.norm(np.diff(pts, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    n = max(2, int(np.ceil(cum[-1] / px_per_frame)) + 1)
    d = np.linspace(0, cum[-1], n)
    out = np.stack([np.interp(d, cum, pts[:, 0]), np.interp(d, cum, pts[:, 1])], axis=1)
    return np.concatenate([out, np.repeat(out[-1:], hold, axis=0)])


def render(layout: dict, where: np.ndarray, background: np.ndarray | None = None) -> np.ndarray:
    """Frames of the figure standing at each position (its feet a little above the face centre)."""
    bg = board(layout) if background is None else background
    a = layout["projection"][0][0]
    frames = np.repeat(bg[None], len(where), axis=0)
    for frame, (x, y) in zip(frames, where, strict=True):
        cv2.ellipse(frame, (round(x), round(y - 0.25 * a)), (round(0.22 * a), round(0.3 * a)), 0, 0, 360, AGENT, -1,
                    cv2.LINE_AA)
        cv2.circle(frame, (round(x), round(y - 0.65 * a)), round(0.16 * a), AGENT, -1, cv2.LINE_AA)
    return frames


def foreign_puzzle(puzzle: Puzzle) -> Puzzle:
    """The same puzzle with the foreign first frame (the figure at the start) and matching sprite boxes."""
    layout = dict(puzzle.layout)
    sx, sy = top_centre(layout, tuple(layout["start"]))
    gx, gy = top_centre(layout, tuple(layout["goal"]))
    a = layout["projection"][0][0]
    layout["agent_box"] = [sx - 0.25 * a, sy - 0.85 * a, sx + 0.25 * a, sy + 0.05 * a]
    layout["goal_box"] = [gx - 0.25 * a, gy - 0.85 * a, gx + 0.25 * a, gy + 0.05 * a]
    image = render(layout, np.array([[sx, sy]]))[0]
    return puzzle.model_copy(update={"layout": layout, "image": image})
