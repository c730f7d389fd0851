"""Sudoku grids: a seeded generator whose puzzles have exactly one solution, and the solver that proves it.

A grid is a list of ``n`` strings of ``n`` characters, ``"."`` for an empty
cell and a digit otherwise; boxes are ``box_rows x box_cols`` (2 x 2 for a 4 x 4
grid, 3 x 3 for 9 x 9). The generator fills a complete grid at random (seeded
backtracking), then removes clues in a seeded order, keeping a removal only
when the puzzle still has a single solution (the solver counts solutions and
stops at two), until the target number of clues is left.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

Grid = list[str]
EMPTY = "."
BOXES = {4: (2, 2), 6: (2, 3), 9: (3, 3)}  # grid side -> (box rows, box cols)


@dataclass(frozen=True)
class Sudoku:
    """A generated puzzle: its clues, its unique solution, and the box shape."""

    clues: Grid
    solution: Grid
    box: tuple[int, int]

    @property
    def size(self) -> int:
        return len(self.solution)


def units(n: int, box: tuple[int, int]) -> list[list[tuple[int, int]]]:
    """Every row, column and box of an ``n x n`` grid, each as a list of cells."""
    br, bc = box
    rows = [[(r, c) for c in range(n)] for r in range(n)]
    cols = [[(r, c) for r in range(n)] for c in range(n)]
    boxes = [[(r0 + r, c0 + c) for r in range(br) for c in range(bc)]
             for r0 in range(0, n, br) for c0 in range(0, n, bc)]
    return rows + cols + boxes


def box_of(cell: tuple[int, int], box: tuple[int, int]) -> int:
    """Index of the box holding ``cell`` (row-major over boxes)."""
    boxes_per_band = box[0]  # an n x n grid with n = rows x cols has ``rows`` boxes side by side
    return (cell[0] // box[0]) * boxes_per_band + cell[1] // box[1]


def count_solutions(grid: Grid, box: tuple[int, int], limit: int = 2) -> int:
    """How many completions ``grid`` has, counting no further than ``limit``."""
    found: list[Grid] = []
    _search(_state(grid, box), box, limit, found)
    return len(found)


def solve(grid: Grid, box: tuple[int, int]) -> Grid | None:
    """One completion of ``grid`` (the first in search order), or None when it has none."""
    found: list[Grid] = []
    _search(_state(grid, box), box, 1, found)
    return found[0] if found else None


def is_valid_complete(grid: Grid, box: tuple[int, int]) -> bool:
    """Every cell holds a digit and no row, column or box repeats one."""
    n = len(grid)
    digits = set("123456789"[:n])
    return all({grid[r][c] for r, c in unit} == digits for unit in units(n, box))


def generate(n: int, clues: int, seed: int) -> Sudoku:
    """A seeded ``n x n`` puzzle with exactly ``clues`` givens and a unique solution.

    If greedy removal in one order gets stuck above ``clues`` (every further
    removal would allow a second solution), the next order is tried.
    """
    if n not in BOXES:
        raise ValueError(f"unsupported sudoku size {n}; supported: {sorted(BOXES)}")
    box = BOXES[n]
    rng = np.random.default_rng(seed)
    for _ in range(50):
        solution = _random_full(n, box, rng)
        grid = [list(row) for row in solution]
        left = n * n
        for index in rng.permutation(n * n):
            if left == clues:
                break
            r, c = divmod(int(index), n)
            keep, grid[r][c] = grid[r][c], EMPTY
            if count_solutions(["".join(row) for row in grid], box) == 1:
                left -= 1
            else:
                grid[r][c] = keep
        if left == clues:
            return Sudoku(["".join(row) for row in grid], solution, box)
    raise RuntimeError(f"could not reach {clues} clues on a {n}x{n} grid (seed {seed})")


# --- search ------------------------------------------------------------------------------

def _state(grid: Grid, box: tuple[int, int]) -> list[list[int]]:
    n = len(grid)
    for row in grid:
        if len(row) != n:
            raise ValueError(f"grid rows must have {n} characters, got {row!r}")
    return [[0 if ch == EMPTY else int(ch) for ch in row] for row in grid]


def _search(cells: list[list[int]], box: tuple[int, int], limit: int, found: list[Grid]) -> None:
    """Backtracking with the most-constrained empty cell first (bit masks of used digits per unit)."""
    n = len(cells)
    full = (1 << (n + 1)) - 2  # bits 1..n
    rows = [0] * n
    cols = [0] * n
    boxes = [0] * n
    empty: list[tuple[int, int]] = []
    for r in range(n):
        for c in range(n):
            v = cells[r][c]
            if v:
                bit = 1 << v
                b = box_of((r, c), box)
                if rows[r] & bit or cols[c] & bit or boxes[b] & bit:
                    return  # the givens already repeat a digit: no solution
                rows[r] |= bit
                cols[c] |= bit
                boxes[b] |= bit
            else:
                empty.append((r, c))
    box_index = {(r, c): box_of((r, c), box) for r, c in empty}

    def recurse() -> None:
        if len(found) >= limit:
            return
        best = None
        best_options = 0
        best_count = n + 1
        for r, c in empty:
            if cells[r][c]:
                continue
            options = full & ~(rows[r] | cols[c] | boxes[box_index[(r, c)]])
            count = options.bit_count()
            if count < best_count:
                best, best_options, best_count = (r, c), options, count
                if count <= 1:
                    break
        if best is None:
            found.append(["".join(str(v) for v in row) for row in cells])
            return
        if best_count == 0:
            return
        r, c = best
        b = box_index[best]
        for v in range(1, n + 1):
            bit = 1 << v
            if not best_options & bit:
                continue
            cells[r][c] = v
            rows[r] |= bit
            cols[c] |= bit
            boxes[b] |= bit
            recurse()
            cells[r][c] = 0
            rows[r] &= ~bit
            cols[c] &= ~bit
            boxes[b] &= ~bit
            if len(found) >= limit:
                return

    recurse()


def _random_full(n: int, box: tuple[int, int], rng: np.random.Generator) -> Grid:
    """A complete valid grid: a seeded shuffle of a pattern grid (digits, rows within bands, bands, ...)."""
    br, bc = box
    base = [[(bc * (r % br) + r // br + c) % n + 1 for c in range(n)] for r in range(n)]
    digits = rng.permutation(n) + 1
    bands = rng.permutation(n // br)
    stacks = rng.permutation(n // bc)
    row_order = [int(b) * br + int(r) for b in bands for r in rng.permutation(br)]
    col_order = [int(s) * bc + int(c) for s in stacks for c in rng.permutation(bc)]
    grid = ["".join(str(digits[base[r][c] - 1]) for c in col_order) for r in row_order]
    if not is_valid_complete(grid, box):  # a bug in the pattern, never a property of the seed
        raise AssertionError("pattern grid is not a valid sudoku")
    return grid
