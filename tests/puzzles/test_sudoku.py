"""The sudoku family: unique solutions, seeded bytes, the layout, skins, motions and calibration cases."""

from __future__ import annotations

from functools import cache
from itertools import pairwise

import numpy as np
import pytest

from genreason.errors import UnknownName
from genreason.plugins import (
    Animator,
    Calibratable,
    NotApplicable,
    PuzzleFamily,
    load_family,
)
from genreason.types import Puzzle
from puzzles.sudoku import SudokuFamily
from puzzles.sudoku.grid import count_solutions, generate, is_valid_complete, solve
from puzzles.sudoku.render import SudokuLayout

FAMILY = SudokuFamily()
SHAPES = {"easy": (4, 7), "medium": (9, 40), "hard": (9, 28)}  # side, given digits


@cache
def make(seed: int = 0, difficulty: str = "medium", skin: str = "classic") -> Puzzle:
    return FAMILY.generate(seed, difficulty, skin, f"sudoku/{difficulty}/{seed:06d}")


def layout_of(p: Puzzle) -> SudokuLayout:
    return SudokuLayout.model_validate(p.layout)


def completions(grid: list[list[int]], box: tuple[int, int], limit: int = 2) -> int:
    """Count completions by plain backtracking over the first empty cell (independent of the family's solver)."""
    n = len(grid)
    for r in range(n):
        for c in range(n):
            if grid[r][c] == 0:
                total = 0
                r0, c0 = r - r % box[0], c - c % box[1]
                used = ({grid[r][k] for k in range(n)} | {grid[k][c] for k in range(n)}
                        | {grid[r0 + i][c0 + j] for i in range(box[0]) for j in range(box[1])})
                for v in range(1, n + 1):
                    if v not in used:
                        grid[r][c] = v
                        total += completions(grid, box, limit - total)
                        grid[r][c] = 0
                        if total >= limit:
                            break
                return total
    return 1


def ink(image: np.ndarray, box: tuple[int, int, int, int]) -> float:
    """Share of a cell's middle that differs from its median colour."""
    x0, y0, x1, y1 = box
    k = (x1 - x0) // 5
    patch = image[y0 + k:y1 - k, x0 + k:x1 - k].astype(int)
    return float((np.abs(patch - np.median(patch, axis=(0, 1))).max(axis=2) > 60).mean())


def test_registered_and_implements_the_protocols():
    family = load_family("sudoku")
    assert isinstance(family, SudokuFamily)
    assert isinstance(family, PuzzleFamily) and isinstance(family, Animator) and isinstance(family, Calibratable)
    assert family.difficulties == ("easy", "medium", "hard") and len(family.skins) >= 3
    assert family.verifier == "sudoku"


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_every_puzzle_has_exactly_one_solution(difficulty):
    side, givens = SHAPES[difficulty]
    for seed in range(6 if difficulty == "easy" else 2):
        p = make(seed, difficulty)
        layout = layout_of(p)
        assert layout.size == side and sum(ch != "." for row in layout.clues for ch in row) == givens
        solution = p.solution["grid"]
        assert is_valid_complete(solution, layout.box)
        assert all(ch in (".", s) for row, srow in zip(layout.clues, solution) for ch, s in zip(row, srow))
        grid = [[0 if ch == "." else int(ch) for ch in row] for row in layout.clues]
        assert completions(grid, layout.box) == 1


def test_the_solver_counts_up_to_two_and_solves():
    assert count_solutions(["." * 4] * 4, (2, 2)) == 2
    assert count_solutions(["." * 9] * 9, (3, 3), limit=5) == 5
    assert count_solutions(["11..", "....", "....", "...."], (2, 2)) == 0
    sudoku = generate(9, 30, seed=7)
    assert solve(sudoku.clues, sudoku.box) == sudoku.solution
    # A single given row leaves many completions: the counter stops at two.
    open_grid = ["." * 9] * 8 + [sudoku.solution[8]]
    assert count_solutions(open_grid, (3, 3)) == 2


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_same_seed_gives_byte_identical_files(difficulty, tmp_path):
    for skin in FAMILY.skins:
        for run in ("a", "b"):
            FAMILY.generate(42, difficulty, skin, "sudoku/x/000042").save(tmp_path / skin / run)
        for name in ("puzzle.json", "frame0.png"):
            assert (tmp_path / skin / "a" / name).read_bytes() == (tmp_path / skin / "b" / name).read_bytes()


def test_different_seeds_give_different_puzzles():
    assert len({tuple(make(seed, "easy").layout["clues"]) for seed in range(8)}) >= 7
    assert len({tuple(make(seed, "hard").layout["clues"]) for seed in range(4)}) == 4


def test_skin_changes_the_look_not_the_grid():
    looks = [make(3, "medium", skin) for skin in FAMILY.skins]
    assert len({tuple(p.layout["clues"]) for p in looks}) == 1
    assert len({p.frame0().tobytes() for p in looks}) == len(FAMILY.skins)
    assert len({p.prompt for p in looks}) == len(FAMILY.skins)


@pytest.mark.parametrize("skin", FAMILY.skins)
def test_layout_boxes_and_the_first_frame_agree(skin):
    p = make(1, "medium", skin)
    layout = layout_of(p)
    assert p.frame0().shape == (512, 512, 3) and (p.width, p.height) == (512, 512)
    x0, y0, x1, y1 = layout.grid_box
    assert (x1 - x0, y1 - y0) == (9 * layout.cell_size,) * 2 and 0 <= x0 and x1 <= 512
    assert len(layout.cells) == 81 and layout.cell_box((8, 8))[2:] == (x1, y1)
    for r in range(9):
        for c in range(9):
            share = ink(p.frame0(), layout.cell_box((r, c)))
            assert (share > 0.05) if layout.clue((r, c)) else (share == 0.0), (r, c, share)


def test_prompt_states_the_rules():
    p = make(0, "easy", "classic")
    for words in ("4 by 4", "row", "column", "2 by 2 box", "exactly once", "black", "blue"):
        assert words in p.prompt


def test_unknown_difficulty_and_skin_are_named():
    with pytest.raises(UnknownName, match="sudoku difficulty"):
        FAMILY.generate(0, "expert", "classic", "x")
    with pytest.raises(UnknownName, match="sudoku skin"):
        FAMILY.generate(0, "easy", "neon", "x")


def test_the_solution_motion_writes_one_digit_at_a_time():
    p = make(2, "easy", "chalkboard")
    layout = layout_of(p)
    frames = FAMILY.animate(p, "solution", seed=0, frames_per_step=3, hold_frames=5, num_frames=None)
    empty = layout.empty_cells
    assert len(frames) == 1 + 3 * len(empty) + 5
    assert np.array_equal(frames[0], p.frame0())
    filled = [sum(ink(f, layout.cell_box(cell)) > 0.05 for cell in empty) for f in frames]
    assert filled[0] == 0 and filled[-1] == len(empty)
    assert all(0 <= b - a <= 1 for a, b in pairwise(filled))  # never two new digits in one frame
    assert np.array_equal(frames[-5], frames[-1])  # held at the end


def test_the_length_can_be_imposed():
    p = make(2, "hard", "classic")
    frames = FAMILY.animate(p, "solution", seed=0, frames_per_step=6, hold_frames=8, num_frames=33)
    assert len(frames) == 33 and np.array_equal(frames[0], p.frame0())
    assert np.array_equal(frames[-4], frames[-1])


def test_random_digits_differ_from_the_solution_and_straight_line_does_not_apply():
    p = make(0, "easy")
    solution = FAMILY.animate(p, "solution", seed=0, frames_per_step=2, hold_frames=2, num_frames=None)
    random = FAMILY.animate(p, "random-walk", seed=0, frames_per_step=2, hold_frames=2, num_frames=None)
    assert solution.shape == random.shape and not np.array_equal(solution[-1], random[-1])
    with pytest.raises(NotApplicable, match="straight-line"):
        FAMILY.animate(p, "straight-line", seed=0, frames_per_step=2, hold_frames=2, num_frames=None)


def test_calibration_cases_label_only_the_oracle_legal():
    cases = FAMILY.calibration_cases(make(4, "medium", "newsprint"), seed=0)
    names = [c.name for c in cases]
    assert names[0] == "oracle" and len(set(names)) == len(names)
    assert {"static", "clue-overwritten", "clue-erased", "wrong-digit", "swap-in-row", "swap-in-column",
            "swap-in-box", "digit-changed", "digit-corrected", "digit-erased", "digit-rewritten",
            "cell-left-empty", "grid-shifted", "grid-erased"} <= set(names)
    assert [c.name for c in cases if c.legal] == ["oracle"]
    oracle = cases[0].frames
    for case in cases[1:]:
        assert case.frames.shape == oracle.shape and np.array_equal(case.frames[0], oracle[0])
        assert not np.array_equal(case.frames, oracle), case.name


def test_another_familys_puzzle_is_refused():
    maze = load_family("maze").generate(0, "easy", "classic", "maze/easy/000000")
    with pytest.raises(NotApplicable):
        FAMILY.animate(maze, "solution", seed=0, frames_per_step=2, hold_frames=2, num_frames=None)
