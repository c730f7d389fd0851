"""The trapfield family: trap densities, reachable far goals, shortest references, traps drawn, skins.

What the trapfield shares with the other grid families (seeded bytes, sprites, motions, ...)
is tested in ``test_grid_families.py``.
"""

from __future__ import annotations

from functools import partial
from itertools import pairwise

import grid_helpers
import networkx as nx
import numpy as np
import pytest
from grid_helpers import board_tiles, colours_drawn, delta_e, layout_of

from puzzles.grid import GridLayout
from puzzles.trapfield import TrapfieldFamily
from puzzles.trapfield.family import SKINS

FAMILY = TrapfieldFamily()
SIDES = {"easy": 5, "medium": 7, "hard": 11}
TRAPS = {"easy": 5, "medium": 15, "hard": 42}  # 20%, 30% and 35% of the cells, rounded

make = partial(grid_helpers.make, FAMILY)


def traps_of(layout: GridLayout) -> np.ndarray:
    return np.array([[ch == "T" for ch in row] for row in layout.cells])


def safe_graph(layout: GridLayout) -> nx.Graph:
    """The 4-neighbour graph of the cells that are not traps (built here, not by the family)."""
    traps = traps_of(layout)
    graph = nx.grid_2d_graph(layout.rows, layout.cols)
    graph.remove_nodes_from([(r, c) for r, c in zip(*np.nonzero(traps))])
    return graph


def deepest_trap_visit(layout: GridLayout, a: tuple[int, int], b: tuple[int, int]) -> float:
    """How deep (cells, from that trap's own edges) the segment between two cell centres gets inside a trap."""
    traps = traps_of(layout)
    deepest = 0.0
    for t in np.linspace(0.0, 1.0, 2001):
        r, c = a[0] + 0.5 + t * (b[0] - a[0]), a[1] + 0.5 + t * (b[1] - a[1])
        cell = (int(np.floor(r)), int(np.floor(c)))
        if traps[cell]:
            deepest = max(deepest, min(r - cell[0], cell[0] + 1 - r, c - cell[1], cell[1] + 1 - c))
    return deepest


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_every_field_has_a_far_reachable_goal_and_a_shortest_reference(difficulty):
    n = SIDES[difficulty]
    for seed in range(40):
        puzzle = make(seed, difficulty)
        layout = layout_of(puzzle)
        assert (layout.rows, layout.cols) == (n, n)
        assert set("".join(layout.cells)) <= {".", "T"} and not layout.wall_mask().any()
        assert traps_of(layout).sum() == TRAPS[difficulty]

        start, goal = layout.start, layout.goal
        assert layout.code(start) == layout.code(goal) == "."
        assert start[0] in (0, n - 1) or start[1] in (0, n - 1)  # the start is on the edge

        path = [tuple(cell) for cell in puzzle.solution["path"]]
        assert path[0] == start and path[-1] == goal
        assert all(layout.code(cell) == "." for cell in path)
        assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in pairwise(path))
        distances = nx.single_source_shortest_path_length(safe_graph(layout), start)
        assert len(path) - 1 == distances[goal] == max(distances.values())  # shortest, to the farthest cell
        assert len(path) - 1 >= n

        # Walking straight at the goal is never a solution: the line runs well inside a trap.
        assert deepest_trap_visit(layout, start, goal) >= 0.35


def test_reference_breaks_ties_towards_the_smallest_cell():
    for seed in range(10):
        layout = layout_of(puzzle := make(seed, "hard"))
        path = [tuple(cell) for cell in puzzle.solution["path"]]
        to_goal = nx.single_source_shortest_path_length(safe_graph(layout), layout.goal)
        for here, step in pairwise(path):
            options = [n for n in safe_graph(layout).neighbors(here) if to_goal[n] == to_goal[here] - 1]
            assert step == min(options)


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_board_cells_are_floor_or_marked_traps(difficulty):
    # The board's geometry (centred, whole pixels) is checked in test_grid_families.py.
    puzzle = make(3, difficulty, "classic")
    layout = layout_of(puzzle)
    look = SKINS["classic"]
    assert layout.cell_size == 512 // SIDES[difficulty]
    for cell, tile in board_tiles(puzzle):
        tile = tile.reshape(-1, 3)
        if layout.code(cell) == ".":
            assert (tile == look.floor).all()
            continue
        trap = (tile == look.trap).all(axis=1)
        mark = (tile == look.mark).all(axis=1)
        assert (trap | mark).all() and 0.5 < trap.mean() < 0.85  # a filled cell, clearly marked


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_skin_colours_are_far_apart_and_all_drawn(skin):
    look = SKINS[skin]
    for other in (look.floor, look.goal, look.trap, look.mark):
        assert delta_e(look.agent, other) > 40
    for other in (look.floor, look.trap, look.mark):
        assert delta_e(look.goal, other) > 40
    assert delta_e(look.floor, look.trap) > 40 and delta_e(look.trap, look.mark) > 40
    drawn = colours_drawn(make(1, "medium", skin).frame0())
    assert drawn == {look.floor, look.background, look.agent, look.goal, look.trap, look.mark}


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_trap_colours_are_nearer_a_board_colour_than_the_agent(skin):
    # The grid verifier learns only the floor, goal and margin colours from the video
    # (verifiers.tracking): a trap colour nearer the agent than to all of those would be
    # taken for agent pixels when it measures camera shake.
    look = SKINS[skin]

    def l1(a: tuple[int, int, int], b: tuple[int, int, int]) -> int:
        return sum(abs(x - y) for x, y in zip(a, b))

    for colour in (look.trap, look.mark):
        assert l1(colour, look.agent) > min(l1(colour, c) for c in (look.floor, look.goal, look.background))


def test_skins_differ_in_colours_and_shapes():
    looks = list(SKINS.values())
    assert len({s.agent for s in looks}) == len({s.trap for s in looks}) == len(looks)
    assert len({s.agent_shape for s in looks}) == len({s.goal_shape for s in looks}) == len(looks)
    assert len({s.floor for s in looks}) == len(looks) and len({s.mark_shape for s in looks}) >= 2
