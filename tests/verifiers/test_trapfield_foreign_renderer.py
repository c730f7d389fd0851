"""The trap field verifier on videos drawn by a renderer that is not ours.

This renderer shares nothing with ``puzzles/``' drawing code: frames of
720x540, 640x480 or 832x480 with the board centred at a non-integer cell size,
traps drawn as anti-aliased holes in a textured floor, as spiked red tiles, or
as yellow crosses on dark tiles in a dark scene; grid lines over every cell, a
green ring for the goal, an outlined ball of its own colour for the agent,
eased moves at 24 fps, and an arrival a quarter cell off-centre in the very
last frame. Only the field is ours (:func:`puzzles.trapfield.field.make_field`);
the puzzle is written in the genreason format, as another tool exporting to us
would write it.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from genreason.types import Puzzle, Video
from genreason.video import read_video, write_mp4
from puzzles.trapfield.field import TrapField, make_field
from verifiers.trapfield import TrapfieldVerifier

SIDES, DENSITIES = {"easy": 5, "medium": 7, "hard": 11}, {"easy": 0.2, "medium": 0.3, "hard": 0.35}
SHIFT = 4  # sub-pixel bits for OpenCV drawing
STYLES = {  # frame size, margin round the board, colours, how a trap is drawn, a textured floor
    "holes": dict(size=(720, 540), margin=10, bg=(30, 30, 30), floor=(215, 205, 185), line=(120, 110, 100),
                  agent=(240, 200, 30), trap="hole", texture=True),
    "spikes": dict(size=(640, 480), margin=0, bg=(250, 250, 250), floor=(170, 210, 150), line=(90, 120, 80),
                   agent=(60, 90, 230), trap="spikes", texture=False),
    "dark": dict(size=(832, 480), margin=20, bg=(15, 15, 25), floor=(60, 60, 80), line=(100, 100, 120),
                 agent=(250, 120, 200), trap="cross", texture=True),
}

Cell = tuple[int, int]


class Scene:
    """A trap field drawn in one style: the puzzle (its first frame drawn too) and videos of walks over it."""

    def __init__(self, seed: int, difficulty: str, style: str):
        self.style = STYLES[style]
        n = SIDES[difficulty]
        self.field: TrapField = make_field(n, DENSITIES[difficulty], seed)
        width, height = self.style["size"]
        self.cell = (min(width, height) - 2 * self.style["margin"]) / n
        self.origin = ((width - n * self.cell) / 2, (height - n * self.cell) / 2)
        self.board = self._board()
        start, goal = self.field.start, self.field.goal
        self.puzzle = Puzzle(
            id=f"foreign/{style}/{difficulty}/{seed}", family="trapfield", family_version="1",
            difficulty=difficulty, skin="foreign", seed=seed, width=width, height=height,
            prompt="Roll the ball to the ring without falling into a trap.",
            layout={"rows": n, "cols": n, "cell_size": self.cell, "origin": list(self.origin),
                    "cells": self.field.cells, "start": list(start), "goal": list(goal),
                    "agent_box": self._box(start, 0.3), "goal_box": self._box(goal, 0.4)},
            solution={"path": [list(c) for c in self.field.path]},
        )
        self.puzzle.image = self._frame(self.centre(start))

    @property
    def path(self) -> list[Cell]:
        return [tuple(c) for c in self.field.path]

    def centre(self, cell: Cell) -> tuple[float, float]:
        return self.origin[0] + (cell[1] + 0.5) * self.cell, self.origin[1] + (cell[0] + 0.5) * self.cell

    def trap(self, cell: Cell) -> bool:
        n = len(self.field.cells)
        return 0 <= cell[0] < n and 0 <= cell[1] < n and self.field.cells[cell[0]][cell[1]] == "T"

    def video(self, cells: list[Cell], tmp_path, *, arrive_late: bool = False, frames_per_step: int = 6,
              jump: int | None = None) -> Video:
        """The ball eased from cell centre to cell centre; with ``arrive_late``, its last stop a quarter cell short
        of the last cell's centre, reached only in the very last frame (else held there for half a second). Move
        ``jump`` is not eased: the ball waits, then shows at the next cell from one frame to the next."""
        points = [self.centre(c) for c in cells]
        if arrive_late:
            (px, py), (x, y) = points[-2], points[-1]
            points[-1] = (x - 0.25 * self.cell * np.sign(x - px), y - 0.25 * self.cell * np.sign(y - py))
        track = []
        for a, b in zip(points, points[1:]):
            for k in range(frames_per_step):
                s = 0.5 - 0.5 * np.cos(np.pi * k / frames_per_step)  # ease in and out
                if len(track) // frames_per_step == jump:
                    s = 0.0
                track.append((a[0] + (b[0] - a[0]) * s, a[1] + (b[1] - a[1]) * s))
        track += [points[-1]] * (1 if arrive_late else 12)
        frames = np.stack([self._frame(p) for p in track])
        return read_video(write_mp4(tmp_path / "foreign.mp4", Video(frames, 24.0), crf=28))

    def _box(self, cell: Cell, half: float) -> list[float]:
        x, y = self.centre(cell)
        return [x - half * self.cell, y - half * self.cell, x + half * self.cell, y + half * self.cell]

    def _board(self) -> np.ndarray:
        st, c, (ox, oy) = self.style, self.cell, self.origin
        width, height = st["size"]
        img = np.empty((height, width, 3), np.uint8)
        img[:] = st["bg"]
        for r, row in enumerate(self.field.cells):
            for col, code in enumerate(row):
                x0, y0 = ox + col * c, oy + r * c
                corners = (round(x0), round(y0)), (round(x0 + c) - 1, round(y0 + c) - 1)
                cv2.rectangle(img, *corners, st["floor"], -1)
                if code == "T":
                    self._trap(img, x0, y0, corners)
        if st["texture"]:
            noise = np.random.default_rng(3).integers(-5, 6, size=(height, width, 1))
            img = np.clip(img.astype(int) + noise, 0, 255).astype(np.uint8)
        n = len(self.field.cells)
        for i in range(n + 1):  # thin grid lines over floor and traps alike
            x, y = round(ox + i * c), round(oy + i * c)
            cv2.line(img, (x, round(oy)), (x, round(oy + n * c)), st["line"], 1)
            cv2.line(img, (round(ox), y), (round(ox + n * c), y), st["line"], 1)
        cv2.circle(img, _fixed(self.centre(self.field.goal)), round(0.35 * c * (1 << SHIFT)), (40, 160, 60),
                   max(2, round(0.1 * c)), cv2.LINE_AA, SHIFT)
        return img

    def _trap(self, img: np.ndarray, x0: float, y0: float, corners) -> None:
        c, kind = self.cell, self.style["trap"]
        if kind == "hole":
            cv2.circle(img, _fixed((x0 + c / 2, y0 + c / 2)), round(0.36 * c * (1 << SHIFT)), (35, 25, 20), -1,
                       cv2.LINE_AA, SHIFT)
        elif kind == "spikes":
            cv2.rectangle(img, *corners, (200, 70, 40), -1)
            for i in range(3):
                for j in range(3):
                    bx, by = x0 + (0.2 + 0.3 * i) * c, y0 + (0.25 + 0.3 * j) * c
                    spike = np.array([[bx - 0.1 * c, by + 0.08 * c], [bx + 0.1 * c, by + 0.08 * c],
                                      [bx, by - 0.12 * c]])
                    cv2.fillPoly(img, [np.round(spike * (1 << SHIFT)).astype(np.int32)], (90, 90, 95), cv2.LINE_AA,
                                 SHIFT)
        else:  # a yellow cross on a dark tile
            cv2.rectangle(img, *corners, (60, 60, 60), -1)
            d = 0.2 * c
            for a, b in (((x0 + d, y0 + d), (x0 + c - d, y0 + c - d)), ((x0 + c - d, y0 + d), (x0 + d, y0 + c - d))):
                cv2.line(img, _fixed(a), _fixed(b), (230, 200, 40), max(1, round(0.08 * c)), cv2.LINE_AA, SHIFT)

    def _frame(self, at: tuple[float, float]) -> np.ndarray:
        img = self.board.copy()
        radius = round(0.3 * self.cell * (1 << SHIFT))
        cv2.circle(img, _fixed(at), radius, self.style["agent"], -1, cv2.LINE_AA, SHIFT)
        cv2.circle(img, _fixed(at), radius, (20, 20, 20), 1, cv2.LINE_AA, SHIFT)
        return img


def _fixed(point: tuple[float, float]) -> tuple[int, int]:
    return round(point[0] * (1 << SHIFT)), round(point[1] * (1 << SHIFT))


def _kinds(verdict) -> set[str]:
    return {e.kind for e in verdict.events}


@pytest.mark.parametrize("style,difficulty,seed", [("holes", "hard", 0), ("spikes", "medium", 1), ("dark", "easy", 2)])
def test_foreign_solution_arriving_in_the_last_frame_is_accepted(style, difficulty, seed, tmp_path):
    scene = Scene(seed, difficulty, style)
    verdict = TrapfieldVerifier().verify(scene.puzzle, scene.video(scene.path, tmp_path, arrive_late=True))
    assert verdict.status == "ok", verdict.reason
    assert verdict.success, [e.message for e in verdict.events]


@pytest.mark.parametrize("style,frames_per_step", [("holes", 6), ("dark", 2)])
def test_foreign_step_into_a_trap_and_back_is_rejected(style, frames_per_step, tmp_path):
    """One step off the path into a trap beside it and straight back, then on to the goal; at two frames a step
    the ball sits in the trap for a single frame."""
    scene = Scene(0, "medium", style)
    path = scene.path
    i, trap = next((i, (r + dr, c + dc)) for i, (r, c) in enumerate(path[1:-1], start=1)
                   for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)) if scene.trap((r + dr, c + dc)))
    walk = path[:i + 1] + [trap] + path[i:]
    verdict = TrapfieldVerifier().verify(scene.puzzle, scene.video(walk, tmp_path, frames_per_step=frames_per_step))
    assert verdict.status == "ok", verdict.reason
    assert not verdict.success
    crossed = [e for e in verdict.events if e.kind == "trap_crossed"]
    assert crossed and str(trap) in crossed[0].message


def test_foreign_diagonal_squeeze_between_two_traps_is_rejected(tmp_path):
    """Medium seed 0: from path cell (2, 3) to (1, 4), between the traps at (1, 3) and (2, 4), and back."""
    scene = Scene(0, "medium", "spikes")
    a, b = (2, 3), (1, 4)
    assert a in scene.path and scene.trap((1, 3)) and scene.trap((2, 4)) and not scene.trap(b)
    i = scene.path.index(a)
    walk = scene.path[:i + 1] + [b] + scene.path[i:]
    verdict = TrapfieldVerifier().verify(scene.puzzle, scene.video(walk, tmp_path))
    assert not verdict.success
    assert any(e.kind == "trap_crossed" and "squeezed" in e.message for e in verdict.events), verdict.events


def test_foreign_corner_rounded_past_a_trap_is_accepted_and_a_jump_rejected(tmp_path):
    """A turn cut diagonally through the corner it shares with a trap, the open side cell beside it, is a rounded
    corner (:mod:`verifiers.gridpath`), not a trap entered; a walk that jumps from its second cell to its third
    last, from one frame to the next, is a teleport."""
    scene = Scene(1, "hard", "holes")
    path = scene.path
    # A turn a -> b -> c whose fourth corner cell, a + c - b, is a trap.
    i = next(i for i, (a, b, c) in enumerate(zip(path, path[1:], path[2:]))
             if a[0] != c[0] and a[1] != c[1] and scene.trap((a[0] + c[0] - b[0], a[1] + c[1] - b[1])))
    rounded = TrapfieldVerifier().verify(scene.puzzle, scene.video(path[:i + 1] + path[i + 2:], tmp_path))
    assert rounded.success, [e.message for e in rounded.events]
    jump = TrapfieldVerifier().verify(scene.puzzle, scene.video(path[:2] + path[-3:], tmp_path, jump=1))
    assert not jump.success and "teleport" in _kinds(jump)
