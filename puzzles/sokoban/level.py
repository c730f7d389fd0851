"""Sokoban levels as pure grid logic: walls, boxes, targets, the player, and the optimal solution.

A level is an ``n`` x ``n`` grid whose outer ring is wall, with a few interior
walls, one box per target and the player. It is solved by breadth-first search
over ``(player, boxes)`` states where every move (a walk or a push) costs one
step, so the reference solution has the fewest player steps; ties are broken by
the fixed move order up, down, left, right, so the reference never depends on
anything but the seed. A draw is thrown away, and the same generator draws again
(the level is still a pure function of the seed), when

- it cannot be solved, or its optimal solution needs fewer pushes than the
  difficulty asks for (a trivial level), or
- a box shares a row or column with its nearest target: the box must turn, so
  no straight slide (what the rule-blind ``straight-line`` baseline draws) can
  solve it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from puzzles.grid import FLOOR, WALL, Cell

MAX_DRAWS = 2000  # far more than needed: a few percent of draws or more pass at the sizes used
MOVES: tuple[Cell, ...] = ((-1, 0), (1, 0), (0, -1), (0, 1))  # up, down, left, right: the tie-break order

State = tuple[Cell, tuple[Cell, ...]]  # the player, and the boxes sorted


@dataclass(frozen=True)
class Push:
    """One push of the reference solution: at player step ``step`` the box on ``box`` moved to ``to``."""

    step: int
    box: Cell
    to: Cell


@dataclass(frozen=True)
class Level:
    """A solvable level and its optimal solution.

    Attributes:
        cells: one string per row, ``#`` wall and ``.`` floor (boxes, targets and the player are listed apart).
        player: the player's start cell.
        boxes: the boxes' start cells.
        targets: the target cells (as many as boxes).
        path: the player's cells, one per step, from ``player`` on.
        pushes: the steps of ``path`` that push a box, in order.
    """

    cells: list[str]
    player: Cell
    boxes: tuple[Cell, ...]
    targets: tuple[Cell, ...]
    path: list[Cell]
    pushes: list[Push]

    def box_cells(self) -> list[tuple[Cell, ...]]:
        """Where the boxes stand after each step of :attr:`path` (the first entry: at the start)."""
        return replay(self.boxes, self.path)


def add(a: Cell, b: Cell) -> Cell:
    return (a[0] + b[0], a[1] + b[1])


def is_free(cells: list[str], cell: Cell) -> bool:
    r, c = cell
    return 0 <= r < len(cells) and 0 <= c < len(cells[0]) and cells[r][c] != WALL


def replay(boxes: tuple[Cell, ...], path: list[Cell]) -> list[tuple[Cell, ...]]:
    """The boxes after each step of ``path``: a step onto a box pushes it one cell further the same way."""
    out = [tuple(boxes)]
    current = list(boxes)
    for a, b in pairwise(path):
        if b in current:
            d = (b[0] - a[0], b[1] - a[1])
            current[current.index(b)] = add(b, d)
        out.append(tuple(current))
    return out


def solve(cells: list[str], player: Cell, boxes: tuple[Cell, ...], targets: tuple[Cell, ...],
          max_states: int = 200_000) -> list[Cell] | None:
    """The player's cells of a solution with the fewest steps (None when there is none)."""
    goal = tuple(sorted(targets))
    return reach(cells, player, boxes, lambda state: state[1] == goal, max_states)


def reach(cells: list[str], player: Cell, boxes: tuple[Cell, ...], want: Callable[[State], bool],
          max_states: int = 200_000) -> list[Cell] | None:
    """The player's cells of the fewest legal steps to a state where ``want`` holds (None: no such state).

    Breadth-first over ``(player, sorted boxes)``; moves tried in :data:`MOVES` order.
    """
    start: State = (player, tuple(sorted(boxes)))
    parent: dict[State, State | None] = {start: None}
    queue = deque([start])
    while queue:
        state = queue.popleft()
        here, now = state
        if want(state):
            path = [state[0]]
            back = parent[state]
            while back is not None:
                path.append(back[0])
                back = parent[back]
            return path[::-1]
        for d in MOVES:
            step = add(here, d)
            if not is_free(cells, step):
                continue
            moved = now
            if step in now:
                beyond = add(step, d)
                if not is_free(cells, beyond) or beyond in now:
                    continue
                moved = tuple(sorted(beyond if b == step else b for b in now))
            nxt: State = (step, moved)
            if nxt not in parent:
                if len(parent) >= max_states:
                    return None
                parent[nxt] = state
                queue.append(nxt)
    return None


def pushes_of(boxes: tuple[Cell, ...], path: list[Cell]) -> list[Push]:
    """The pushes made by walking ``path`` with the boxes starting on ``boxes``."""
    states = replay(boxes, path)
    out = []
    for k in range(1, len(path)):
        for before, after in zip(states[k - 1], states[k]):
            if before != after:
                out.append(Push(k, before, after))
    return out


def make_level(n: int, interior_walls: int, min_pushes: int, seed: int, boxes: int = 1) -> Level:
    """The level for ``seed``: an ``n`` x ``n`` walled grid, ``interior_walls`` extra walls, ``boxes`` boxes.

    Raises:
        ValueError: if no draw passes in :data:`MAX_DRAWS` tries.
    """
    if n < 5 or boxes < 1:
        raise ValueError(f"a sokoban level needs a size of at least 5 and a box, got {n}, {boxes}")
    rng = np.random.default_rng(seed)
    for _ in range(MAX_DRAWS):
        level = _draw(n, interior_walls, min_pushes, boxes, rng)
        if level is not None:
            return level
    raise ValueError(f"no {n}x{n} level with {interior_walls} walls and {min_pushes} pushes in {MAX_DRAWS} draws")


def _draw(n: int, interior_walls: int, min_pushes: int, count: int, rng: np.random.Generator) -> Level | None:
    interior = [(r, c) for r in range(1, n - 1) for c in range(1, n - 1)]
    picks = rng.choice(len(interior), size=interior_walls + 2 * count + 1, replace=False)
    chosen = [interior[int(i)] for i in picks]
    walls = set(chosen[:interior_walls])
    boxes = tuple(chosen[interior_walls:interior_walls + count])
    targets = tuple(chosen[interior_walls + count:interior_walls + 2 * count])
    player = chosen[-1]
    cells = ["".join(WALL if r in (0, n - 1) or c in (0, n - 1) or (r, c) in walls else FLOOR
                     for c in range(n)) for r in range(n)]
    if any(b[0] == t[0] or b[1] == t[1] for b in boxes for t in targets):
        return None
    path = solve(cells, player, boxes, targets)
    if path is None:
        return None
    pushes = pushes_of(boxes, path)
    if len(pushes) < min_pushes:
        return None
    return Level(cells=cells, player=player, boxes=boxes, targets=targets, path=path, pushes=pushes)
