"""Helpers shared by the tests of the families where one agent walks a square grid (maze, trapfield).

They live at the top of ``tests/`` (on pytest's ``pythonpath``) so the family test
modules can import them as ``grid_helpers``: a ``tests/puzzles`` package would shadow
the real :mod:`puzzles`.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache

import cv2
import numpy as np

from genreason.plugins import load_family
from genreason.types import Puzzle
from puzzles.grid import Cell, GridLayout
from puzzles.grid_agent import GridAgentFamily
from puzzles.skins import Look
from puzzles.sokoban.layout import SokobanLayout


def make(family: GridAgentFamily, seed: int = 0, difficulty: str = "medium", skin: str = "classic") -> Puzzle:
    return family.generate(seed, difficulty, skin, f"{family.name}/{difficulty}/{seed:06d}")


def animate(family: GridAgentFamily, puzzle: Puzzle, motion: str, *, seed: int = 0, frames_per_step: int = 2,
            hold_frames: int = 2, num_frames: int | None = None) -> np.ndarray:
    return family.animate(puzzle, motion, seed=seed, frames_per_step=frames_per_step,
                          hold_frames=hold_frames, num_frames=num_frames)


def layout_of(puzzle: Puzzle) -> GridLayout:
    """The puzzle's grid layout, as its family's own layout class (sokoban adds boxes and targets)."""
    if puzzle.family == "sokoban":
        return SokobanLayout.model_validate(puzzle.layout)
    return GridLayout.model_validate(puzzle.layout)


@cache
def _family(name: str) -> GridAgentFamily:
    family = load_family(name)
    assert isinstance(family, GridAgentFamily)
    return family


def look_of(puzzle: Puzzle) -> Look:
    """The skin the puzzle was drawn in, as its (registered) family defines it."""
    return _family(puzzle.family).look(puzzle.skin)


def agent_mask(frame: np.ndarray, puzzle: Puzzle) -> np.ndarray:
    r, g, b = look_of(puzzle).agent
    return (frame[..., 0] == r) & (frame[..., 1] == g) & (frame[..., 2] == b)


def agent_centre(frame: np.ndarray, puzzle: Puzzle) -> tuple[float, float]:
    """Centre (x, y) of the box of pixels in the agent's exact colour (unique on the board)."""
    ys, xs = np.nonzero(agent_mask(frame, puzzle))
    assert len(xs), "agent not visible"
    return (xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2


def cell_at(layout: GridLayout, point: tuple[float, float]) -> tuple[int, int]:
    r, c = layout.to_grid(*point)
    return int(np.floor(r)), int(np.floor(c))


def board_tiles(puzzle: Puzzle) -> Iterator[tuple[Cell, np.ndarray]]:
    """Each cell but the start and goal, with its pixels in the first frame."""
    layout = layout_of(puzzle)
    image = puzzle.frame0()
    for r in range(layout.rows):
        for c in range(layout.cols):
            if (r, c) in (layout.start, layout.goal):
                continue
            bx0, by0, bx1, by1 = (int(v) for v in layout.cell_box((r, c)))
            yield (r, c), image[by0:by1, bx0:bx1]


def colours_drawn(image: np.ndarray) -> set[tuple[int, int, int]]:
    """Every RGB colour that occurs in ``image``."""
    packed = (image[..., 0].astype(np.int32) << 16) | (image[..., 1].astype(np.int32) << 8) | image[..., 2]
    return {(int(v) >> 16, (int(v) >> 8) & 255, int(v) & 255) for v in np.unique(packed)}


def _lab(rgb: tuple[int, int, int]) -> np.ndarray:
    return cv2.cvtColor(np.float32([[rgb]]) / 255.0, cv2.COLOR_RGB2Lab)[0, 0]


def delta_e(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    """CIE76 colour difference."""
    return float(np.linalg.norm(_lab(a) - _lab(b)))
