"""Scattering traps over an open grid and choosing start and goal: pure grid logic, no pixels.

The grid is ``n`` x ``n`` cells without walls; a share of the cells (the trap
density) are traps, coded ``T``. Start is a random non-trap cell on the
board's edge and the goal the reachable cell farthest from it, so a path always
exists. A draw is thrown away, and the same generator draws again (so the
field for a seed is still a pure function of the seed), when

- the goal lies fewer than ``n`` steps away (the start boxed in by traps), or
- the straight line from start to goal does not run well inside a trap: on an
  open grid that puzzle is solved by walking straight at the goal, which
  needs no planning (and would let the rule-blind ``straight-line`` baseline
  pass).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from puzzles.grid import FLOOR, Cell
from puzzles.grid_agent import farthest, open_graph

TRAP = "T"
MAX_DRAWS = 1000  # far more than ever needed: at the densities used, a third of the draws or more pass
STRAIGHT_LINE_DEPTH = 0.35  # how deep (cells, from the trap's edges) the straight line must run inside a trap


@dataclass(frozen=True)
class TrapField:
    """A trap field with its start, its goal and the reference shortest path between them."""

    cells: list[str]
    start: Cell
    goal: Cell
    path: list[Cell]


def trap_count(n: int, density: float) -> int:
    """How many of the ``n * n`` cells are traps: the density times the cell count, rounded half up."""
    return math.floor(density * n * n + 0.5)


def make_field(n: int, density: float, seed: int) -> TrapField:
    """The trap field for ``seed``: traps drawn uniformly, start on the edge, goal the farthest cell.

    Raises:
        ValueError: if the size or density leave no room for a path of ``n`` steps.
    """
    if n < 3 or not 0.0 <= density < 0.5:
        raise ValueError(f"a trap field needs a size of at least 3 and a density below 0.5, got {n}, {density}")
    rng = np.random.default_rng(seed)
    count = trap_count(n, density)
    for _ in range(MAX_DRAWS):
        field = _draw(n, count, rng)
        if field is not None:
            return field
    raise ValueError(f"no {n}x{n} field with {count} traps and a path of {n} steps in {MAX_DRAWS} draws")


def shortest_path(graph: nx.Graph, start: Cell, goal: Cell) -> list[Cell]:
    """A shortest path; where several tie, each step goes to the smallest ``(row, col)`` that keeps it shortest.

    The tie-break is spelled out rather than left to the search order, so the
    reference never depends on how a networkx version walks its graph.
    """
    to_goal = nx.single_source_shortest_path_length(graph, goal)
    path = [start]
    while path[-1] != goal:
        here = to_goal[path[-1]]
        path.append(min(n for n in graph.neighbors(path[-1]) if to_goal.get(n) == here - 1))
    return path


def _draw(n: int, count: int, rng: np.random.Generator) -> TrapField | None:
    traps = np.zeros(n * n, dtype=bool)
    traps[rng.choice(n * n, size=count, replace=False)] = True
    cells = ["".join(TRAP if t else FLOOR for t in row) for row in traps.reshape(n, n)]
    edge = [(r, c) for r in range(n) for c in range(n)
            if (r in (0, n - 1) or c in (0, n - 1)) and cells[r][c] != TRAP]
    if not edge:
        return None
    start = edge[int(rng.integers(len(edge)))]
    graph = open_graph(cells, blocked=TRAP)
    goal = farthest(graph, start)
    path = shortest_path(graph, start, goal)
    if len(path) - 1 < n or not straight_line_hits_trap(cells, start, goal):
        return None
    return TrapField(cells=cells, start=start, goal=goal, path=path)


def straight_line_hits_trap(cells: list[str], start: Cell, goal: Cell,
                            depth: float = STRAIGHT_LINE_DEPTH) -> bool:
    """Whether the segment between the centres of ``start`` and ``goal`` runs ``depth`` cells deep into a trap.

    That is, whether it meets the square of half-width ``0.5 - depth`` around some trap's centre.
    """
    a = (start[0] + 0.5, start[1] + 0.5)
    b = (goal[0] + 0.5, goal[1] + 0.5)
    half = 0.5 - depth
    return any(_segment_meets_square(a, b, (r + 0.5, c + 0.5), half)
               for r, row in enumerate(cells) for c, code in enumerate(row) if code == TRAP)


def _segment_meets_square(a: tuple[float, float], b: tuple[float, float], centre: tuple[float, float],
                          half: float) -> bool:
    """Slab test: does segment ``a``-``b`` meet the axis-aligned square of half-width ``half`` at ``centre``?"""
    enter, leave = 0.0, 1.0
    for k in range(2):
        lo, hi, d = centre[k] - half, centre[k] + half, b[k] - a[k]
        if d == 0.0:
            if not lo <= a[k] <= hi:
                return False
            continue
        t0, t1 = sorted(((lo - a[k]) / d, (hi - a[k]) / d))
        enter, leave = max(enter, t0), min(leave, t1)
    return enter <= leave
