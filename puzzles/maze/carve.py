"""Carving a perfect block maze and choosing its start and goal: pure grid logic, no pixels.

The grid is ``n`` x ``n`` cells with ``n`` odd. Rooms sit at odd ``(row, col)``;
every cell with an even row or column starts as a wall, and the carver opens
the wall cell between two rooms to join them. A randomized depth-first search
visits every room once, so the open cells form a tree: exactly one path joins
any two of them (a *perfect* maze).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx
import numpy as np

from puzzles.grid import FLOOR, WALL
from puzzles.grid_agent import farthest, open_graph

Cell = tuple[int, int]

_DIRECTIONS = ((-2, 0), (2, 0), (0, -2), (0, 2))  # fixed order: the rng alone decides the maze


@dataclass(frozen=True)
class Maze:
    """A carved maze with its start, its goal and the (unique) shortest path between them."""

    cells: list[str]
    start: Cell
    goal: Cell
    path: list[Cell]


def carve(n: int, rng: np.random.Generator) -> list[str]:
    """Carve an ``n`` x ``n`` perfect block maze; one string per row, ``#`` wall, ``.`` floor."""
    if n < 3 or n % 2 == 0:
        raise ValueError(f"a block maze needs an odd size of at least 3, got {n}")
    open_ = np.zeros((n, n), dtype=bool)
    rooms = _rooms(n)
    first = rooms[int(rng.integers(len(rooms)))]
    open_[first] = True
    stack = [first]
    while stack:  # iterative, so large mazes cannot hit the recursion limit
        r, c = stack[-1]
        fresh = [(r + dr, c + dc) for dr, dc in _DIRECTIONS
                 if 0 < r + dr < n and 0 < c + dc < n and not open_[r + dr, c + dc]]
        if not fresh:
            stack.pop()
            continue
        nr, nc = fresh[int(rng.integers(len(fresh)))]
        open_[(r + nr) // 2, (c + nc) // 2] = True
        open_[nr, nc] = True
        stack.append((nr, nc))
    return ["".join(FLOOR if v else WALL for v in row) for row in open_]


def make_maze(n: int, seed: int) -> Maze:
    """The maze for ``seed``: carved, a random room as start, the farthest open cell as goal."""
    rng = np.random.default_rng(seed)
    cells = carve(n, rng)
    rooms = _rooms(n)
    start = rooms[int(rng.integers(len(rooms)))]
    graph = open_graph(cells)
    goal = farthest(graph, start)
    path = [(int(r), int(c)) for r, c in nx.shortest_path(graph, start, goal)]
    return Maze(cells=cells, start=start, goal=goal, path=path)


def _rooms(n: int) -> list[Cell]:
    return [(r, c) for r in range(1, n, 2) for c in range(1, n, 2)]
