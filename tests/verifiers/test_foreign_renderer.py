"""The maze verifier on videos drawn by a renderer that is not ours.

This renderer shares nothing with ``puzzles/``' drawing code: a 640x480 frame,
a non-integer cell size, a textured floor, grid lines over every cell,
anti-aliased sub-pixel sprites, eased motion at 24 fps, and an arrival a
quarter cell off-centre in the very last frame. The layout is written in the
genreason puzzle format, as another tool exporting to us would write it.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from genreason.types import Puzzle, Video
from genreason.video import read_video, write_mp4
from puzzles.maze.carve import make_maze
from verifiers.maze import MazeVerifier

WIDTH, HEIGHT, N = 640, 480, 11
CELL = HEIGHT / N
ORIGIN = ((WIDTH - N * CELL) / 2, 0.0)
SHIFT = 4  # sub-pixel bits for OpenCV drawing
FLOOR, WALL, AGENT, GOAL, LINE = (225, 220, 205), (70, 45, 30), (30, 90, 220), (40, 170, 60), (150, 150, 150)


def _centre(cell: tuple[float, float]) -> tuple[float, float]:
    return ORIGIN[0] + (cell[1] + 0.5) * CELL, ORIGIN[1] + (cell[0] + 0.5) * CELL


def _board(cells: list[str], goal: tuple[int, int]) -> np.ndarray:
    rng = np.random.default_rng(7)
    img = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    img[:] = (20, 20, 20)
    texture = rng.integers(-6, 7, size=(HEIGHT, WIDTH, 1))
    for r, row in enumerate(cells):
        for c, ch in enumerate(row):
            x0, y0 = ORIGIN[0] + c * CELL, ORIGIN[1] + r * CELL
            pts = (round(x0), round(y0), round(x0 + CELL), round(y0 + CELL))
            cv2.rectangle(img, pts[:2], (pts[2] - 1, pts[3] - 1), WALL if ch == "#" else FLOOR, -1)
    img = np.clip(img.astype(int) + texture, 0, 255).astype(np.uint8)
    for i in range(N + 1):  # thin grid lines over walls and floor alike
        x = round(ORIGIN[0] + i * CELL)
        cv2.line(img, (x, 0), (x, HEIGHT - 1), LINE, 1)
        cv2.line(img, (round(ORIGIN[0]), round(i * CELL)), (round(ORIGIN[0] + N * CELL), round(i * CELL)), LINE, 1)
    gx, gy = _centre(goal)
    half = 0.38 * CELL
    cv2.rectangle(img, (round(gx - half), round(gy - half)), (round(gx + half), round(gy + half)), GOAL, -1)
    return img


def _frame(board: np.ndarray, at: tuple[float, float]) -> np.ndarray:
    img = board.copy()
    x, y = at
    cv2.circle(img, (round(x * (1 << SHIFT)), round(y * (1 << SHIFT))), round(0.33 * CELL * (1 << SHIFT)),
               AGENT, -1, cv2.LINE_AA, SHIFT)
    return img


def _eased(points: list[tuple[float, float]], frames_per_step: int) -> list[tuple[float, float]]:
    out = []
    for a, b in zip(points, points[1:]):
        for k in range(frames_per_step):
            s = 0.5 - 0.5 * np.cos(np.pi * k / frames_per_step)  # ease in and out
            out.append((a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s))
    return out


def _scene(seed: int) -> tuple[Puzzle, np.ndarray]:
    maze = make_maze(N, seed)
    board = _board(maze.cells, maze.goal)
    box = lambda cell, k: (*(v - k * CELL for v in _centre(cell)), *(v + k * CELL for v in _centre(cell)))  # noqa: E731
    puzzle = Puzzle(
        id=f"foreign/{seed}", family="maze", family_version="1", difficulty="medium", skin="foreign",
        seed=seed, prompt="Walk the blue ball to the green square.", width=WIDTH, height=HEIGHT,
        layout={"rows": N, "cols": N, "cell_size": CELL, "origin": list(ORIGIN), "cells": maze.cells,
                "start": list(maze.start), "goal": list(maze.goal),
                "agent_box": list(box(maze.start, 0.33)), "goal_box": list(box(maze.goal, 0.38))},
        solution={"path": [list(c) for c in maze.path]},
    )
    puzzle.image = _frame(board, _centre(maze.start))
    return puzzle, board


def _video(board: np.ndarray, waypoints: list[tuple[float, float]], tmp_path, hold: int = 6) -> Video:
    points = [_centre(c) for c in waypoints]
    track = _eased(points, 5) + [points[-1]] * hold
    frames = np.stack([_frame(board, p) for p in track])
    path = write_mp4(tmp_path / "foreign.mp4", Video(frames, 24.0), crf=28)
    return read_video(path)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_foreign_solution_is_accepted(seed, tmp_path):
    puzzle, board = _scene(seed)
    path = [tuple(c) for c in puzzle.solution["path"]]
    # Arrive only in the last frame, a quarter cell off-centre.
    last = (path[-1][0] + 0.25 * np.sign(path[-1][0] - path[-2][0]),
            path[-1][1] + 0.25 * np.sign(path[-1][1] - path[-2][1]))
    verdict = MazeVerifier().verify(puzzle, _video(board, path[:-1] + [last], tmp_path, hold=0))
    assert verdict.status == "ok", verdict.reason
    assert verdict.success, [e.message for e in verdict.events]


def test_foreign_wall_crossing_is_rejected(tmp_path):
    puzzle, board = _scene(0)
    cells = puzzle.layout["cells"]
    path = [tuple(c) for c in puzzle.solution["path"]]
    # From the start, step straight through the first wall cell found next to the path.
    for (r, c) in path:
        for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            wall, beyond = (r + dr, c + dc), (r + 2 * dr, c + 2 * dc)
            if (0 < beyond[0] < N - 1 and 0 < beyond[1] < N - 1 and cells[wall[0]][wall[1]] == "#"
                    and cells[beyond[0]][beyond[1]] == "."):
                break
        else:
            continue
        break
    cut = path[: path.index((r, c)) + 1] + [wall, beyond]
    verdict = MazeVerifier().verify(puzzle, _video(board, cut, tmp_path))
    assert not verdict.success
    crossings = [e for e in verdict.events if e.kind == "wall_crossed"]
    assert crossings and str(wall) in crossings[0].message
