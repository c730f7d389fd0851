"""Labelled sudoku videos: the oracle and near-misses that each break one rule, for tests and calibration.

Every case is the oracle's timeline (:func:`puzzles.sudoku.animate.solution_strokes`)
with strokes added, removed or changed, drawn by the family's renderer:

- ``oracle`` (legal): the missing digits written one at a time, then held;
- ``static``: the first frame held for as long;
- ``clue-overwritten`` / ``clue-erased``: a given digit replaced by another / wiped, half-way through;
- ``wrong-digit``: one cell gets a wrong digit (it repeats in its row, column and box);
- ``swap-in-row`` / ``swap-in-column`` / ``swap-in-box``: two written digits of one
  row / column / box swapped: that unit still holds every digit once, others repeat one;
- ``digit-changed``: a written digit later replaced by a wrong one;
- ``digit-corrected``: a wrong digit written, later replaced by the right one (the end is correct);
- ``digit-erased``: a written digit later wiped and never rewritten;
- ``digit-rewritten``: a written digit wiped for half a second, then written again (the end is correct);
- ``cell-left-empty``: one empty cell never written;
- ``grid-shifted``: half-way through, the whole board moves by 0.4 cell;
- ``grid-erased``: half-way through, the grid lines vanish (the digits stay right).

A case that cannot be built on a puzzle (no two empty cells of one row with
different digits, say) is left out rather than faked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import cv2
import numpy as np

from genreason.types import Puzzle
from puzzles.sudoku import animate
from puzzles.sudoku.animate import Stroke
from puzzles.sudoku.render import Cell, Skin, SudokuLayout

FPS = 16.0
HOLD = 8
FRAMES_PER_STEP = {4: 3}  # frames per digit by grid side; others get DEFAULT_FRAMES_PER_STEP
DEFAULT_FRAMES_PER_STEP = 1
GAP_SECONDS = 0.5  # how long an erased digit stays away before it is rewritten
SHIFT_CELLS = 0.4


@dataclass(frozen=True)
class Case:
    """One labelled video (the same fields as :class:`puzzles.negatives.Case`)."""

    name: str
    frames: np.ndarray
    fps: float
    legal: bool
    single_frame: bool = False


@dataclass(frozen=True)
class _Plan:
    layout: SudokuLayout
    skin: Skin
    solution: list[str]
    strokes: list[Stroke]  # the oracle's, clues first
    total: int

    def digit(self, cell: Cell) -> int:
        return int(self.solution[cell[0]][cell[1]])

    def pen(self, cell: Cell) -> Stroke:
        return next(s for s in self.strokes if s.cell == cell and s.frame > 0)

    @property
    def last_start(self) -> int:
        return max(s.frame for s in self.strokes)

    def wrong(self, cell: Cell, rng: np.random.Generator) -> int:
        options = [d for d in range(1, self.layout.size + 1) if d != self.digit(cell)]
        return int(options[int(rng.integers(len(options)))])


def calibration_cases(puzzle: Puzzle, layout: SudokuLayout, skin: Skin, seed: int = 0) -> list[Case]:
    """The oracle and every negative above that applies to ``puzzle``; ``seed`` picks the cells."""
    pace = FRAMES_PER_STEP.get(layout.size, DEFAULT_FRAMES_PER_STEP)
    strokes, total = animate.solution_strokes(layout, skin, puzzle.solution["grid"], frames_per_step=pace,
                                              hold_frames=HOLD, num_frames=None)
    plan = _Plan(layout, skin, list(puzzle.solution["grid"]), strokes, total)
    rng = np.random.default_rng([seed, puzzle.seed])
    cases = [Case("oracle", animate.render(layout, skin, strokes, total), FPS, legal=True),
             Case("static", np.repeat(puzzle.frame0()[None], total, axis=0), FPS, legal=False)]
    builders: dict[str, Callable[[_Plan, np.random.Generator], list[Stroke] | None]] = {
        "clue-overwritten": _clue_overwritten, "clue-erased": _clue_erased, "wrong-digit": _wrong_digit,
        "swap-in-row": lambda p, g: _swap(p, g, "row"), "swap-in-column": lambda p, g: _swap(p, g, "column"),
        "swap-in-box": lambda p, g: _swap(p, g, "box"), "digit-changed": _digit_changed,
        "digit-corrected": _digit_corrected, "digit-erased": _digit_erased, "digit-rewritten": _digit_rewritten,
        "cell-left-empty": _cell_left_empty,
    }
    for name, build in builders.items():
        edited = build(plan, rng)
        if edited is not None:
            cases.append(Case(name, animate.render(layout, skin, edited, total), FPS, legal=False))
    cases.append(Case("grid-shifted", _shifted(cases[0].frames, layout.cell_size * SHIFT_CELLS), FPS, legal=False))
    erased = animate.render(layout, replace(skin, thin=0, thick=0), strokes, total)
    half = total // 2
    cases.append(Case("grid-erased", np.concatenate([cases[0].frames[:half], erased[half:]]), FPS, legal=False))
    return cases


def _pick(options: list, rng: np.random.Generator):
    return options[int(rng.integers(len(options)))] if options else None


def _early(plan: _Plan) -> list[Cell]:
    """Empty cells written in the first half, so that a later edit has time to show."""
    cells = plan.layout.empty_cells
    return cells[:max(1, len(cells) // 2)]


def _clue_overwritten(plan: _Plan, rng: np.random.Generator) -> list[Stroke]:
    clues = [s for s in plan.strokes if s.frame == 0]
    clue = _pick(clues, rng)
    other = _pick([d for d in range(1, plan.layout.size + 1) if d != clue.digit], rng)
    return [*plan.strokes, Stroke(plan.last_start // 2, clue.cell, other, plan.skin.pen_font, plan.skin.pen_colour,
                                  animate.MAX_FADE)]


def _clue_erased(plan: _Plan, rng: np.random.Generator) -> list[Stroke]:
    clue = _pick([s for s in plan.strokes if s.frame == 0], rng)
    return [*plan.strokes, replace(clue, frame=plan.last_start // 2, digit=0)]


def _wrong_digit(plan: _Plan, rng: np.random.Generator) -> list[Stroke]:
    cell = _pick(plan.layout.empty_cells, rng)
    return [replace(s, digit=plan.wrong(cell, rng)) if s.cell == cell and s.frame > 0 else s for s in plan.strokes]


def _swap(plan: _Plan, rng: np.random.Generator, unit: str) -> list[Stroke] | None:
    empty = plan.layout.empty_cells
    br, bc = plan.layout.box
    same = {"row": lambda a, b: a[0] == b[0],
            "column": lambda a, b: a[1] == b[1],
            "box": lambda a, b: (a[0] // br, a[1] // bc) == (b[0] // br, b[1] // bc) and a[0] != b[0] and a[1] != b[1]}
    pairs = [(a, b) for i, a in enumerate(empty) for b in empty[i + 1:]
             if same[unit](a, b) and plan.digit(a) != plan.digit(b)]
    pair = _pick(pairs, rng)
    if pair is None:
        return None
    a, b = pair
    swapped = {a: plan.digit(b), b: plan.digit(a)}
    return [replace(s, digit=swapped[s.cell]) if s.cell in swapped and s.frame > 0 else s for s in plan.strokes]


def _later(plan: _Plan, stroke: Stroke) -> int:
    """A frame well after ``stroke`` is drawn and before the writing ends."""
    return max(stroke.frame + stroke.fade + 4, (stroke.frame + plan.last_start) // 2)


def _digit_changed(plan: _Plan, rng: np.random.Generator) -> list[Stroke]:
    first = plan.pen(_pick(_early(plan), rng))
    return [*plan.strokes, replace(first, frame=_later(plan, first), digit=plan.wrong(first.cell, rng))]


def _digit_corrected(plan: _Plan, rng: np.random.Generator) -> list[Stroke]:
    first = plan.pen(_pick(_early(plan), rng))
    wrong = replace(first, digit=plan.wrong(first.cell, rng))
    return [wrong if s is first else s for s in plan.strokes] + [replace(first, frame=_later(plan, first))]


def _digit_erased(plan: _Plan, rng: np.random.Generator) -> list[Stroke]:
    first = plan.pen(_pick(_early(plan), rng))
    return [*plan.strokes, replace(first, frame=_later(plan, first), digit=0)]


def _digit_rewritten(plan: _Plan, rng: np.random.Generator) -> list[Stroke]:
    first = plan.pen(_pick(_early(plan), rng))
    wipe = _later(plan, first)
    return [*plan.strokes, replace(first, frame=wipe, digit=0),
            replace(first, frame=wipe + max(4, round(GAP_SECONDS * FPS)))]


def _cell_left_empty(plan: _Plan, rng: np.random.Generator) -> list[Stroke]:
    cell = _pick(plan.layout.empty_cells, rng)
    return [s for s in plan.strokes if not (s.cell == cell and s.frame > 0)]


def _shifted(frames: np.ndarray, pixels: float) -> np.ndarray:
    """From the middle frame on, every frame translated by ``pixels`` right and down (edges replicated)."""
    out = frames.copy()
    h, w = frames.shape[1:3]
    m = np.array([[1.0, 0.0, pixels], [0.0, 1.0, pixels]])
    for t in range(len(frames) // 2, len(frames)):
        out[t] = cv2.warpAffine(frames[t], m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out
