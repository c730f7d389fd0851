"""The sudoku verifier on videos drawn by a renderer that is not ours.

This renderer shares nothing with ``puzzles/``' drawing code: a 640x480 frame, a
non-integer cell size, grid lines drawn by Pillow over a grey surround, digits in
Pillow's own scalable font (not one the digit reader's templates are built from),
written in a light grey pencil that pops in or fades in over six frames, 24 fps. The
layout is written in the genreason puzzle format, as another tool exporting to us
would write it. A 4 x 4 grid in a font 0.45 of a cell, or a 9 x 9 one in a small font
(0.4 of a cell: glyphs about 0.3 of a cell tall, where ours are 0.62).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFont

from genreason.types import Puzzle, Verdict, Video
from genreason.video import read_video, write_mp4
from puzzles.sudoku.grid import generate
from verifiers import canonical
from verifiers.sudoku import SudokuVerifier

WIDTH, HEIGHT, FPS = 640, 480, 24.0
SURROUND, PAPER, LINE, CLUE = (200, 200, 200), (230, 230, 230), (60, 60, 60), (20, 20, 20)
PENCIL = (150, 150, 150)  # 80 levels off the paper: a thin stroke of it moves a cell's 4 x 4 block means little


@dataclass(frozen=True)
class Grid:
    n: int = 4
    font: float = 0.45  # the font size, as a share of a cell
    clues: int = 8

    @property
    def box(self) -> tuple[int, int]:
        return (2, 2) if self.n == 4 else (3, 3)

    @property
    def cell(self) -> float:
        return (HEIGHT - 60) / self.n

    @property
    def origin(self) -> tuple[float, float]:
        return (WIDTH - self.n * self.cell) / 2, (HEIGHT - self.n * self.cell) / 2


SMALL = Grid(9, font=0.4, clues=32)


def _frame(digits: dict[tuple[int, int], tuple[str, tuple[int, int, int]]], grid: Grid) -> np.ndarray:
    image = Image.new("RGB", (WIDTH, HEIGHT), SURROUND)
    draw = ImageDraw.Draw(image)
    (x0, y0), n, cell = grid.origin, grid.n, grid.cell
    draw.rectangle([x0, y0, x0 + n * cell, y0 + n * cell], fill=PAPER)
    for i in range(n + 1):
        draw.line([(x0 + i * cell, y0), (x0 + i * cell, y0 + n * cell)], fill=LINE, width=3 if i % grid.box[1] == 0 else 1)
        draw.line([(x0, y0 + i * cell), (x0 + n * cell, y0 + i * cell)], fill=LINE, width=3 if i % grid.box[0] == 0 else 1)
    font = ImageFont.load_default(size=int(grid.font * cell))
    for (r, c), (digit, colour) in digits.items():
        draw.text((x0 + (c + 0.5) * cell, y0 + (r + 0.5) * cell), digit, fill=colour, font=font, anchor="mm")
    return np.asarray(image)


def _faded(colour: tuple[int, int, int], share: float) -> tuple[int, int, int]:
    return tuple(round(p + share * (q - p)) for p, q in zip(PAPER, colour))


def _scene(seed: int, writes: list[tuple[int, int, str]] | None = None, fade: bool = False,
           hold: int = 12, grid: Grid = Grid(), pencil: tuple[int, int, int] = PENCIL) -> tuple[Puzzle, np.ndarray]:
    """The puzzle and its frames: the given digits, then ``writes`` (row, column, digit; the solution's, in a
    seeded order, when None) each popping in or fading in over six frames; an empty digit erases the cell."""
    sudoku = generate(grid.n, grid.clues, seed)
    (x0, y0), n, cell = grid.origin, grid.n, grid.cell
    boxes = [[round(v) for v in (x0 + c * cell, y0 + r * cell, x0 + (c + 1) * cell, y0 + (r + 1) * cell)]
             for r in range(n) for c in range(n)]
    layout = {"size": n, "box": list(grid.box), "origin": [round(x0), round(y0)], "cell_size": round(cell),
              "grid_box": [round(x0), round(y0), round(x0 + n * cell), round(y0 + n * cell)],
              "cells": boxes, "clues": sudoku.clues}
    digits = {(r, c): (sudoku.clues[r][c], CLUE) for r in range(n) for c in range(n) if sudoku.clues[r][c] != "."}
    if writes is None:
        writes = _solution_writes(seed, grid)
        np.random.default_rng(seed).shuffle(writes)
    frames = [_frame(digits, grid)]
    for r, c, digit in writes:
        for k in range(1, 7):
            now = dict(digits)
            if digit:
                now[(r, c)] = (digit, _faded(pencil, k / 6) if fade else pencil)
            else:
                now.pop((r, c), None)
            frames.append(_frame(now, grid))
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


def _solution_writes(seed: int, grid: Grid = Grid()) -> list[tuple[int, int, str]]:
    sudoku = generate(grid.n, grid.clues, seed)
    return [(r, c, sudoku.solution[r][c]) for r in range(grid.n) for c in range(grid.n) if sudoku.clues[r][c] == "."]


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


LIGHT = (130, 130, 130)


@pytest.mark.parametrize("seed", [0, 2])
def test_small_light_digits_are_read_on_a_finer_raster(seed, tmp_path):
    """Digits in a font 0.4 of a cell are 9 pixels tall at the 32 pixels a cell that every video was read at: light
    1s read as empty, others as unsure or as 8s, and 26 of 32 such solutions (seeds 0-3, two greys, two bitrates)
    ended incomplete or with a repeated digit. Read at 48 pixels a cell (the video's own 47), none, once a cell
    read while it changes is read again when it holds still (STEADY): both seeds need both. A light 1 read
    empty part-way through its fade stayed empty, the last 6 levels of the fade moving no block mean past
    SETTLED."""
    puzzle, frames = _scene(seed, fade=True, grid=SMALL, pencil=LIGHT)
    verdict = _judge(puzzle, frames, tmp_path, encoded=True)
    assert verdict.status == "ok", verdict.reason
    assert verdict.success, [e.message for e in verdict.events]


def test_a_wrong_small_digit_is_caught(tmp_path):
    writes = _solution_writes(1, SMALL)
    r, c, right = writes[10]
    wrong = next(d for d in "123456789" if d != right)  # every row of the solution holds it: it repeats there
    writes[10] = (r, c, wrong)
    puzzle, frames = _scene(1, writes, fade=True, grid=SMALL, pencil=LIGHT)
    verdict = _judge(puzzle, frames, tmp_path, encoded=True)
    assert not verdict.success
    assert {"repeated_digit", "wrong_digit"} <= {e.kind for e in verdict.events}


def test_a_small_digit_changed_at_the_end_is_caught(tmp_path):
    writes = _solution_writes(3, SMALL)
    r, c, right = writes[0]
    wrong = next(d for d in "123456789" if d != right)
    puzzle, frames = _scene(3, writes + [(r, c, wrong)], grid=SMALL, pencil=LIGHT)
    verdict = _judge(puzzle, frames, tmp_path, encoded=True)
    assert not verdict.success
    assert {"digit_changed", "repeated_digit"} & {e.kind for e in verdict.events}, [e.message for e in verdict.events]


def test_the_raster_follows_the_given_digits_size_up_to_the_videos_own_cells():
    from genreason.plugins import load_family
    from puzzles.sudoku.render import SudokuLayout
    from verifiers.digits import prepare
    from verifiers.sudoku import CELL, _Raster, _reading_cell

    def cell_for(puzzle: Puzzle, cell_px: float) -> int:
        layout = SudokuLayout.model_validate(puzzle.layout)
        raster = _Raster(layout.size)
        frame = canonical.warp_frames(Video(puzzle.frame0()[None], FPS), raster.to_canonical(layout, np.eye(3)[:2]),
                                      raster.size)[0]
        return _reading_cell(prepare(raster.cells(frame)), layout, cell_px)

    family = load_family("sudoku")
    ours = family.generate(0, "hard", family.skins[0], "sudoku/hard/000000")
    assert cell_for(ours, 200.0) == CELL  # our digits are 0.62 of a cell tall: read as ever
    small, _ = _scene(0, [], hold=1, grid=SMALL)
    assert cell_for(small, 46.7) == 48  # 9 pixels tall at CELL: enlarged to the video's own cells (and a whole 8)
    assert cell_for(small, 200.0) == 64  # a video of larger cells: as far as the digits need, up to MAX_CELL
    assert cell_for(small, 20.0) == CELL  # never coarser than CELL
