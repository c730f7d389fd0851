"""Helpers for the irregular maze tests: a small independent renderer and VR-Bench pathfinder states.

The renderer draws roads the way VR-Bench's pathfinder does (Bezier control
points evaluated at 401 points, truncated to whole pixels, an anti-aliased
OpenCV polyline one road wide, discs for start and goal), not the way our
family draws them, so a verifier that passes it is not tuned to our pixels.
"""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import cv2
import numpy as np

from genreason.images import encode_png
from genreason.types import Puzzle
from puzzles.irregular.layout import RoadLayout

WHITE, BLACK, RED, GREEN = (255, 255, 255), (0, 0, 0), (255, 0, 0), (0, 255, 0)


def bezier_points(control: np.ndarray, steps: int = 400) -> np.ndarray:
    n = len(control) - 1
    t = np.linspace(0.0, 1.0, steps + 1)
    pts = sum(math.comb(n, j) * np.outer(t ** j * (1 - t) ** (n - j), control[j]) for j in range(n + 1))
    return np.asarray(pts).astype(np.int32)  # VR-Bench truncates to whole pixels


def segments_of(puzzle: Puzzle, scale: float) -> list[list[list[float]]]:
    """Quadratic Bezier control points of the puzzle's roads, scaled: the middle sample gives the bend."""
    out = []
    for curve in RoadLayout.model_validate(puzzle.layout).curves:
        c = np.asarray(curve, dtype=float) * scale
        a, b, mid = c[0], c[-1], c[len(c) // 2]
        control = 2 * mid - (a + b) / 2  # a quadratic Bezier passes through 0.25 a + 0.5 c + 0.25 b at t = 1/2
        out.append([[round(float(x), 3), round(float(y), 3)] for x, y in (a, control, b)])
    return out


def route_points(segments: list[list[list[float]]], nodes: list[list[float]]) -> np.ndarray:
    """The drawn centre line through ``nodes`` (positions), road by road as VR-Bench's solution video walks it."""
    parts = []
    for p, q in itertools.pairwise(nodes):
        for seg in segments:
            if math.dist(seg[0], p) < 10 and math.dist(seg[-1], q) < 10:
                parts.append(bezier_points(np.asarray(seg)))
                break
            if math.dist(seg[-1], p) < 10 and math.dist(seg[0], q) < 10:
                parts.append(bezier_points(np.asarray(seg[::-1])))
                break
        else:
            raise ValueError(f"no road joins {p} and {q}")
    return np.concatenate(parts).astype(float)


def render_board(segments, size: int, road_width: int, end: list[float]) -> np.ndarray:
    img = np.zeros((size, size, 3), np.uint8)
    img[:] = BLACK
    for seg in segments:
        cv2.polylines(img, [bezier_points(np.asarray(seg)).reshape(-1, 1, 2)], False, WHITE, road_width, cv2.LINE_AA)
    cv2.circle(img, (int(end[0]), int(end[1])), int(road_width * 0.4), GREEN, -1, cv2.LINE_AA)
    return img


def render_video(board: np.ndarray, path: np.ndarray, road_width: int, frames: int, hold: int = 6) -> np.ndarray:
    """A red disc moving at constant speed along ``path`` (N x 2), then resting at its end."""
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(path, axis=0), axis=1))])
    out = []
    for i in range(frames + hold):
        d = min(i / (frames - 1), 1.0) * cum[-1]
        p = (np.interp(d, cum, path[:, 0]), np.interp(d, cum, path[:, 1]))
        img = board.copy()
        cv2.circle(img, (int(p[0]), int(p[1])), int(road_width * 0.4), RED, -1, cv2.LINE_AA)
        out.append(img)
    return np.stack(out)


def pathfinder_state(puzzle: Puzzle, size: int = 1024) -> dict:
    """A VR-Bench pathfinder state of our puzzle's network at ``size`` pixels (its schema, our geometry)."""
    layout = RoadLayout.model_validate(puzzle.layout)
    scale = size / puzzle.width
    road_width = round(layout.road_width * scale)
    segments = segments_of(puzzle, scale)
    nodes = [[round(x * scale, 3), round(y * scale, 3)] for x, y in layout.nodes]
    start, end = nodes[layout.start], nodes[layout.goal]

    def entity(p):
        x, y = int(p[0]), int(p[1])
        return {"pixel_pos": {"x": x, "y": y}, "bbox": {"x": x - road_width // 2, "y": y - road_width // 2,
                                                         "width": road_width, "height": road_width}}

    return {"version": "1.0", "game_type": "pathfinder",
            "entities": {"player": entity(start), "goal": entity(end), "boxes": []},
            "render": {"cell_size": road_width, "image_width": size, "image_height": size},
            "metadata": {"segments": segments, "start_point": start, "end_point": end,
                         "solution_segments": [], "road_width": road_width,
                         "solution_path": [nodes[i] for i in puzzle.solution["nodes"]]}}


def write_level(root: Path, state: dict, image: np.ndarray, stem: str = "easy_0001") -> Path:
    """Write a state and its first frame in VR-Bench's folder layout; returns the state's path."""
    level = root / "pathfinder" / "skin_1" / "easy"
    (level / "states").mkdir(parents=True, exist_ok=True)
    (level / "images").mkdir(parents=True, exist_ok=True)
    (level / "images" / f"{stem}.png").write_bytes(encode_png(image))
    path = level / "states" / f"{stem}.json"
    path.write_text(json.dumps(state, indent=2))
    return path


def foreign_level(puzzle: Puzzle, size: int = 1024) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """(state, first frame, legal video frames, shortcut video frames) drawn VR-Bench's way.

    The shortcut goes straight from the start node to the goal node across the ground.
    """
    state = pathfinder_state(puzzle, size)
    meta = state["metadata"]
    w = meta["road_width"]
    board = render_board(meta["segments"], size, w, meta["end_point"])
    route = route_points(meta["segments"], meta["solution_path"])
    length = float(np.linalg.norm(np.diff(route, axis=0), axis=1).sum())
    legal = render_video(board, route, w, frames=max(24, math.ceil(length / (0.5 * w))))  # half a road a frame
    straight = np.array([meta["start_point"], meta["end_point"]], dtype=float)
    cheat = render_video(board, straight, w, frames=24)
    return state, legal[0].copy(), legal, cheat
