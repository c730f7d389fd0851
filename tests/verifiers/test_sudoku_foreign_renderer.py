"""The sudoku verifier on videos drawn by a renderer that is not ours.

This renderer shares nothing with ``puzzles/``' drawing code: a 640x480 frame, a
non-integer cell size, grid lines drawn by Pillow over a grey surround, digits in
Pillow's own scalable font (not one the digit reader's templates are built from),
written in a light grey pencil that pops in or fades in over six frames, 24 fps. The
layout is written in the genreason puzzle format, as another tool exporting to us
would write it.
"""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from genreason.types import Puzzle, Verdict, Video
from genreason.video import read_video, write_mp4
from puzzles.sudoku.grid import generate
from verifiers.sudoku import SudokuVerifier

WIDTH, HEIGHT, N, BOX, FPS = 640, 480, 4, (2, 2), 24.0
CELL = (HEIGHT - 60) / N
ORIGIN = ((WIDTH - N * CELL) / 2, (HEIGHT - N * CELL) / 2)
SURROUND, PAPER, LINE, CLUE = (200, 200, 200), (230, 230, 230), (60, 60, 60), (20, 20, 20)
PENCIL = (150, 150, 150)  # 80 levels off the paper: a thin stroke of it moves a cell's 4 x 4 block means little


def _frame(digits: dict[tuple[int, int], tuple[str, tuple[int, int, int]]]) -> np.ndarray:
    image = Image.new("RGB", (WIDTH, HEIGHT), SURROUND)
    draw = ImageDraw.Draw(image)
    x0, y0 = ORIGIN
    draw.rectangle([x0, y0, x0 + N * CELL, y0 + N * CELL], fill=PAPER)
    for i in range(N + 1):
        draw.line([(x0 + i * CELL, y0), (x0 + i * CELL, y0 + N * CELL)], fill=LINE, width=3 if i % BOX[1] == 0 else 1)
        draw.line([(x0, y0 + i * CELL), (x0 + N * CELL, y0 + i * CELL)], fill=LINE, width=3 if i % BOX[0] == 0 else 1)
    font = ImageFont.load_default(size=int(0.45 * CELL))
    for (r, c), (digit, colour) in digits.items():
        draw.text((x0 + (c + 0.5) * CELL, y0 + (r + 0.5) * CELL), digit, fill=colour, font=font, anchor="mm")
    return np.asarray(image)


def _faded(colour: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    return tuple(round(p + share * (q - p)) for p, q in zip(PAPER, colour))


def _scene(seed: int, writes: list[tuple[int, int, str]] | None = None, fade: bool = False,
           hold: int = 12) -> tuple[Puzzle, np.ndarray]:
    """The puzzle and its frames: the given digits, then ``writes`` (row, column, digit; the solution's, in a
    seeded order, when None) each popping in or fading in over six frames; an empty digit erases the cell."""
    sudoku = generate(N, 8, seed)
    boxes = [[round(v) for v in (ORIGIN[0] + c * CELL, ORIGIN[1] + r * CELL, ORIGIN[0] + (c + 1) * CELL,
                                 ORIGIN[1] + (r + 1) * CELL)] for r in range(N) for c in range(N)]
    layout = {"size": N, "box": list(BOX), "origin": [round(v) for v in ORIGIN], "cell_size": round(CELL),
              "grid_box": [round(ORIGIN[0]), round(ORIGIN[1]), round(ORIGIN[0] + N * CELL), round(ORIGIN[1] + N * CELL)],
              "cells": boxes, "clues": sudoku.clues}
    digits = {(r, c): (sudoku.clues[r][c], CLUE) for r in range(N) for c in range(N) if sudoku.clues[r][c] != "."}
    if writes is None:
        writes = _solution_writes(seed)
        np.random.default_rng(seed).shuffle(writes)
    frames = [_frame(digits)]
    for r, c, digit in writes:
        for k in range(1, 7):
            now = dict(digits)
            if digit:
                now[(r, c)] = (digit, _faded(PENCIL, k / 6) if fade else PENCIL)
            else:
                now.pop((r, c), None)
            frames.append(_frame(now))
        digits = now
    frames += [frames[-1]] * hold
    puzzle = Puzzle(id=f"foreign/{seed}", family="sudoku", family_version="1", difficulty="easy", skin="foreign",
                    seed=seed, prompt="Fill in the sudoku in pencil.", width=WIDTH, height=HEIGHT, layout=layout,
                    solution={"grid": sudoku.solution})
    puzzle.image = frames[0]
    return puzzle, np.stack(frames)


def _judge(puzzle: Puzzle, frames: np.ndarray, tmp_path, encoded: bool) -> Verdict:
    video = Video(frames, FPS)
    return SudokuVerifier().verify(puzzle, read_video(write_mp4(tmp_path / "foreign.mp4", video)) if encoded else video)


def _solution_writes(seed: int) -> list[tuple[int, int, str]]:
    sudoku = generate(N, 8, seed)
    return [(r, c, sudoku.solution[r][c]) for r in range(N) for c in range(N) if sudoku.clues[r][c] == "."]


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("fade", [False, True])
def test_light_pencil_digits_are_read(seed, fade, tmp_path):
    """Each digit's thin light strokes moved no 4 x 4 block mean of its cell by the 28 levels that made a cell worth
    reading again: such a digit was never read (or read once, part-way faded in, as empty) and every one of these
    solutions ended "incomplete"."""
    puzzle, frames = _scene(seed, fade=fade)
    for encoded in (False, True):
        verdict = _judge(puzzle, frames, tmp_path, encoded)
        assert verdict.status == "ok", verdict.reason
        assert verdict.success, [e.message for e in verdict.events]


def test_a_wrong_light_digit_is_caught(tmp_path):
    writes = _solution_writes(0)
    r, c, right = writes[2]
    wrong = next(d for d in "1234" if d != right)  # a row of the solution holds every digit: it repeats there
    puzzle, frames = _scene(0, writes[:2] + [(r, c, wrong)] + writes[3:])
    verdict = _judge(puzzle, frames, tmp_path, encoded=True)
    assert not verdict.success
    assert {"repeated_digit", "wrong_digit"} <= {e.kind for e in verdict.events}


def test_a_light_digit_erased_and_rewritten_is_caught(tmp_path):
    writes = _solution_writes(1)
    r, c, digit = writes[0]
    puzzle, frames = _scene(1, writes + [(r, c, ""), (r, c, digit)], fade=True)
    verdict = _judge(puzzle, frames, tmp_path, encoded=True)
    assert not verdict.success
    assert "digit_erased" in {e.kind for e in verdict.events}


def test_a_light_digit_erased_at_the_end_is_caught(tmp_path):
    """Erased once the grid is full: the video ends with that cell empty."""
    writes = _solution_writes(2)
    r, c, _ = writes[-1]
    puzzle, frames = _scene(2, writes + [(r, c, "")])
    verdict = _judge(puzzle, frames, tmp_path, encoded=True)
    assert not verdict.success
    assert {"digit_erased", "incomplete"} & {e.kind for e in verdict.events}


@pytest.mark.parametrize("fade", [False, True])
def test_a_light_digit_changed_at_the_end_is_caught(fade, tmp_path):
    """Seed 3's first written cell, overwritten in the same pencil once the grid is full: the new digit moved no
    block mean by 28 levels from the old one's, the cell was not read again, and the video was accepted."""
    writes = _solution_writes(3)
    r, c, right = writes[0]
    wrong = next(d for d in "1234" if d != right)
    puzzle, frames = _scene(3, writes + [(r, c, wrong)], fade=fade)
    verdict = _judge(puzzle, frames, tmp_path, encoded=True)
    assert not verdict.success
    assert {"digit_changed", "digit_erased"} & {e.kind for e in verdict.events}, [e.message for e in verdict.events]
