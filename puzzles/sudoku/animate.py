"""Sudoku videos as timelines of pen strokes: which cell gets which digit (or is wiped) at which frame.

A :class:`Stroke` sets a cell's content from a frame on: a digit fading in
over ``fade`` frames (the cell is wiped first), or nothing (the cell wiped
back to the empty board). The oracle's timeline writes the missing digits one
at a time in reading order; the hard negatives of :mod:`puzzles.sudoku.negatives`
are edits of it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from puzzles.sudoku.fonts import Font
from puzzles.sudoku.render import (
    RGB,
    Cell,
    Skin,
    SudokuLayout,
    empty_board,
    paint_digit,
)

MAX_FADE = 3  # frames over which a digit draws in (alpha 1/3, 2/3, 1)
MIN_REST = 4  # frames the finished grid is held at the least when the length is imposed


@dataclass(frozen=True)
class Stroke:
    """From ``frame`` on, ``cell`` shows ``digit`` (0: nothing) drawn in ``font`` and ``colour``."""

    frame: int
    cell: Cell
    digit: int
    font: Font
    colour: RGB
    fade: int = 1


def clue_strokes(layout: SudokuLayout, skin: Skin) -> list[Stroke]:
    """The given digits, present from frame 0."""
    return [Stroke(0, (r, c), layout.clue((r, c)), skin.clue_font, skin.clue_colour)
            for r in range(layout.size) for c in range(layout.size) if layout.clue((r, c))]


def schedule(count: int, *, frames_per_step: int, hold_frames: int,
             num_frames: int | None) -> tuple[list[int], int, int]:
    """Start frames of ``count`` digits written one after another, their fade, and the video's length.

    At the natural pace digit ``k`` starts at ``1 + k * frames_per_step`` and
    the finished grid is held ``hold_frames`` frames. With ``num_frames`` the
    starts are spread over the frames left after at least :data:`MIN_REST`
    frames of rest (several digits may then start in one frame).
    """
    if frames_per_step < 1 or hold_frames < 0:
        raise ValueError(f"need frames_per_step >= 1 and hold_frames >= 0, got {frames_per_step}, {hold_frames}")
    fade = MAX_FADE  # digits may fade in while the next ones start
    if num_frames is None:
        last = 1 + (count - 1) * frames_per_step + fade - 1  # the frame the last digit is complete
        return [1 + k * frames_per_step for k in range(count)], fade, max(last, count * frames_per_step) + 1 + hold_frames
    natural = count * frames_per_step + hold_frames
    rest = min(num_frames - 2, max(MIN_REST, math.floor(hold_frames * (num_frames - 1) / max(natural, 1))))
    writing = num_frames - 1 - rest  # frames 1..writing hold the writing
    if writing < 1:
        raise ValueError(f"num_frames must be at least {MIN_REST + 2} to write the digits, got {num_frames}")
    fade = max(1, min(fade, writing))
    last_start = 1 + writing - fade
    starts = [1 + math.floor(k * (last_start - 1) / max(count - 1, 1)) for k in range(count)]
    return starts, fade, num_frames


def render(layout: SudokuLayout, skin: Skin, strokes: Sequence[Stroke], num_frames: int) -> np.ndarray:
    """Frames (T x H x W x 3 uint8) of the empty board with every cell's latest stroke drawn.

    Strokes are applied in order of frame (a stable sort: the later of two in
    one frame wins). A digit in its ``fade`` frames is drawn partly transparent.
    """
    board = empty_board(layout, skin)
    ordered = sorted(strokes, key=lambda s: s.frame)
    frames = np.empty((num_frames, *board.shape), dtype=np.uint8)
    current: dict[Cell, Stroke] = {}
    frame = board.copy()
    i = 0
    for t in range(num_frames):
        touched: set[Cell] = set()
        while i < len(ordered) and ordered[i].frame <= t:
            current[ordered[i].cell] = ordered[i]
            touched.add(ordered[i].cell)
            i += 1
        # Cells still fading in, or changed at this frame, are redrawn from the empty board.
        redraw = touched | {cell for cell, s in current.items() if s.digit and t - s.frame < s.fade}
        for cell in redraw:
            x0, y0, x1, y1 = layout.cell_box(cell)
            frame[y0:y1, x0:x1] = board[y0:y1, x0:x1]
            s = current[cell]
            if s.digit:
                alpha = min(1.0, (t - s.frame + 1) / s.fade)
                paint_digit(frame, layout, cell, s.digit, s.font, s.colour, alpha)
        frames[t] = frame
    return frames


def solution_strokes(layout: SudokuLayout, skin: Skin, solution: Sequence[str], *, frames_per_step: int,
                     hold_frames: int, num_frames: int | None,
                     digits: dict[Cell, int] | None = None) -> tuple[list[Stroke], int]:
    """The oracle's strokes (clues included) and the video's length: empty cells in reading order.

    ``digits`` overrides what is written in some cells (a negative writing a wrong digit).
    """
    order = layout.empty_cells
    starts, fade, total = schedule(len(order), frames_per_step=frames_per_step, hold_frames=hold_frames,
                                   num_frames=num_frames)
    chosen = {cell: int(solution[cell[0]][cell[1]]) for cell in order} | (digits or {})
    pen = [Stroke(start, cell, chosen[cell], skin.pen_font, skin.pen_colour, fade)
           for start, cell in zip(starts, order)]
    return clue_strokes(layout, skin) + pen, total
