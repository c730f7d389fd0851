"""Build a seeded 3D maze: a tree of platforms at several levels, joined by ladders.

Rooms sit on the even cells of the grid (``(2i, 2j)``); a carved maze (a random
spanning tree of the rooms, as in VR-Bench's block mazes) joins neighbouring
rooms through the cell between them. Every other cell is a gap. So two
platforms touch only where the tree joins them, and the route from start to
goal is unique.

Levels: room ``(i, j)`` stands at ``A[i] + B[j]`` cube levels with ``A`` and
``B`` random non-increasing sequences, so columns only get lower toward the
camera (larger x + y). A top face is then never hidden by a column in front of
it, and a ladder, which stands on the taller column's face toward the lower
one, always faces the camera. Where a tree edge joins rooms of two levels, the
connecting cell takes one of the two levels and a ladder climbs the rest.
Where the tree does not join two neighbouring rooms two or more levels apart,
a pillar of a level between theirs may stand in the gap: a cliff beside both
rooms, never a way through (it has no same-level neighbour and no ladder).

A level is kept when the route from start (a room) to goal (the room farthest
along the tree among those whose route uses enough ladders) climbs or descends
at least the difficulty's number of ladders, and the straight image line from
start to goal leaves the walkable faces (so a model cannot glide there).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from puzzles.maze3d.layout import Cell, Ladder

SIZES = {"easy": (6, 6, 5), "medium": (8, 8, 7), "hard": (10, 10, 9)}
MIN_LADDERS = {"easy": 1, "medium": 2, "hard": 3}
ATTEMPTS = 400


@dataclass(frozen=True)
class World:
    """A generated world: heights (rows of y), ladders, start, goal and the route (cells)."""

    size: tuple[int, int, int]
    heights: list[list[int]]
    ladders: list[Ladder]
    start: Cell
    goal: Cell
    route: list[Cell]


def _levels(n: int, rng: np.random.Generator, top: int) -> np.ndarray:
    """A non-increasing sequence of ``n`` non-negative drops summing to at most ``top``."""
    drops = rng.choice([0, 1, 2, 2], size=n - 1)
    while drops.sum() > top:
        drops[int(np.argmax(drops))] -= 1
    return np.concatenate([[0], -np.cumsum(drops)])


def _tree(n: int, rng: np.random.Generator) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """Edges of a random spanning tree of an n x n room grid (randomised depth-first carving)."""
    seen = {(0, 0)}
    stack = [(0, 0)]
    edges = []
    while stack:
        i, j = stack[-1]
        options = [(i + di, j + dj) for di, dj in ((1, 0), (-1, 0), (0, 1), (0, -1))
                   if 0 <= i + di < n and 0 <= j + dj < n and (i + di, j + dj) not in seen]
        if not options:
            stack.pop()
            continue
        nxt = options[int(rng.integers(len(options)))]
        seen.add(nxt)
        edges.append(((i, j), nxt))
        stack.append(nxt)
    return edges


def _attempt(size: tuple[int, int, int], rng: np.random.Generator) -> tuple[list[list[int]], list[Ladder],
                                                                            dict[Cell, list[Cell]]]:
    nx_, _, nh = size
    n = nx_ // 2  # rooms per side: 3, 4, 5
    half = (nh - 1) // 2
    a = _levels(n, rng, half) + half
    b = _levels(n, rng, nh - 1 - half) + (nh - 1 - half)
    room_level = {(i, j): int(a[i] + b[j]) + 1 for i in range(n) for j in range(n)}
    heights = [[0] * nx_ for _ in range(nx_)]
    links: dict[Cell, list[Cell]] = {}
    ladders: list[Ladder] = []

    def link(p: Cell, q: Cell) -> None:
        links.setdefault(p, []).append(q)
        links.setdefault(q, []).append(p)

    for (i, j), lv in room_level.items():
        heights[2 * j][2 * i] = lv
    tree = _tree(n, rng)
    for r1, r2 in tree:
        back, front = sorted((r1, r2))  # the front room has the larger index: it is never taller
        p, q = (2 * back[0], 2 * back[1]), (2 * front[0], 2 * front[1])
        mid = ((p[0] + q[0]) // 2, (p[1] + q[1]) // 2)
        hi, lo = room_level[back], room_level[front]
        if hi == lo or rng.integers(2):
            heights[mid[1]][mid[0]] = hi  # the connector stays up; the ladder goes down to the front room
            if hi != lo:
                ladders.append(Ladder(low=q, high=mid))
        else:
            heights[mid[1]][mid[0]] = lo
            ladders.append(Ladder(low=mid, high=p))
        link(p, mid)
        link(mid, q)
    # Where the tree does not join two neighbouring rooms that lie two or more levels apart, a pillar of
    # a level between theirs may stand in the gap: a cliff next to each room (never a way through).
    joined = {frozenset(e) for e in tree}
    for (i, j), lv in room_level.items():
        for di, dj in ((1, 0), (0, 1)):
            other = (i + di, j + dj)
            if other not in room_level or frozenset(((i, j), other)) in joined:
                continue
            lo = room_level[other]
            if lv - lo >= 2 and rng.random() < 0.8:
                heights[2 * j + dj][2 * i + di] = int(rng.integers(lo + 1, lv))
    return heights, ladders, links


def _route(links: dict[Cell, list[Cell]], start: Cell) -> dict[Cell, list[Cell]]:
    """The tree route from ``start`` to every cell."""
    routes = {start: [start]}
    frontier = [start]
    while frontier:
        cell = frontier.pop()
        for n in sorted(links.get(cell, [])):
            if n not in routes:
                routes[n] = [*routes[cell], n]
                frontier.append(n)
    return routes


def _climbs(route: list[Cell], ladders: set[frozenset[Cell]]) -> int:
    return sum(frozenset(e) in ladders for e in itertools.pairwise(route))


def make_world(difficulty: str, seed: int, accept: Callable[[World], bool]) -> World:
    """The world for ``seed``: the first attempt of a seeded generator that meets the difficulty's needs.

    Args:
        difficulty: ``easy``, ``medium`` or ``hard``.
        seed: the seed.
        accept: the renderer's last word on a candidate (its straight start-goal line must leave
            the walkable faces, every top face must show).
    """
    size = SIZES[difficulty]
    rng = np.random.default_rng([seed, 3])
    for _ in range(ATTEMPTS):
        heights, ladders, links = _attempt(size, rng)
        lad_pairs = {frozenset((lad.low, lad.high)) for lad in ladders}
        rooms = sorted(c for c in links if c[0] % 2 == 0 and c[1] % 2 == 0)
        start = rooms[int(rng.integers(len(rooms)))]
        routes = _route(links, start)

        good = [c for c in rooms if c != start and _climbs(routes[c], lad_pairs) >= MIN_LADDERS[difficulty]]
        if not good:
            continue
        goal = max(good, key=lambda c: (len(routes[c]), c))
        world = World(size, heights, ladders, start, goal, routes[goal])
        if accept(world):
            return world
    raise RuntimeError(f"no {difficulty} 3D maze found for seed {seed} in {ATTEMPTS} attempts")
