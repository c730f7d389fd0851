"""The maze family: perfect mazes, their sizes, shortest far reference paths, walls drawn, skins.

What the maze shares with the other grid families (seeded bytes, sprites, motions, ...)
is tested in ``test_grid_families.py``.
"""

from __future__ import annotations

from functools import partial
from itertools import pairwise

import grid_helpers
import networkx as nx
import pytest
from grid_helpers import board_tiles, colours_drawn, delta_e, layout_of

from puzzles.grid import GridLayout
from puzzles.maze import MazeFamily
from puzzles.skins import SKINS

FAMILY = MazeFamily()
SIZES = {"easy": 7, "medium": 11, "hard": 15}

make = partial(grid_helpers.make, FAMILY)


def open_graph(layout: GridLayout) -> nx.Graph:
    graph = nx.Graph()
    for r in range(layout.rows):
        for c in range(layout.cols):
            if layout.is_open((r, c)):
                graph.add_node((r, c))
                graph.add_edges_from(((r, c), n) for n in layout.neighbours((r, c)))
    return graph


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_every_maze_is_perfect_with_a_shortest_reference_path(difficulty):
    n = SIZES[difficulty]
    far = 0
    for seed in range(30):
        puzzle = make(seed, difficulty)
        layout = layout_of(puzzle)
        assert (layout.rows, layout.cols) == (n, n)
        walls = layout.wall_mask()
        assert walls[0].all() and walls[-1].all() and walls[:, 0].all() and walls[:, -1].all()

        graph = open_graph(layout)
        assert nx.is_connected(graph)
        assert graph.number_of_edges() == graph.number_of_nodes() - 1  # a tree: one path between any two

        path = [tuple(cell) for cell in puzzle.solution["path"]]
        assert path[0] == layout.start and path[-1] == layout.goal
        assert all(layout.is_open(cell) for cell in path)
        assert all(abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 for a, b in pairwise(path))
        distances = nx.single_source_shortest_path_length(graph, layout.start)
        assert len(path) - 1 == distances[layout.goal] == max(distances.values())

        # From any room, some corner room is at least n - 3 steps away.
        assert len(path) - 1 >= n - 3
        far += len(path) - 1 >= n - 1
    assert far >= 25


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_board_cells_are_painted_wall_or_floor(difficulty):
    # The board's geometry (centred, whole pixels) is checked in test_grid_families.py.
    puzzle = make(3, difficulty)
    layout = layout_of(puzzle)
    assert layout.cell_size == 512 // SIZES[difficulty]
    skin = SKINS[puzzle.skin]
    for cell, tile in board_tiles(puzzle):
        colour = skin.wall if layout.wall_mask()[cell] else skin.floor
        assert (tile == colour).all()


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_skin_colours_are_far_apart_and_all_drawn(skin):
    look = SKINS[skin]
    for other in (look.floor, look.wall, look.goal):
        assert delta_e(look.agent, other) > 40
    for other in (look.floor, look.wall):
        assert delta_e(look.goal, other) > 40
    assert delta_e(look.floor, look.wall) > 40
    drawn = colours_drawn(make(1, "medium", skin).frame0())
    assert drawn == {look.floor, look.wall, look.background, look.agent, look.goal}


def test_skins_differ_in_colours_and_shapes():
    looks = list(SKINS.values())
    assert len({s.agent for s in looks}) == len({s.goal for s in looks}) == len(looks)
    assert len({s.agent_shape for s in looks}) == len({s.goal_shape for s in looks}) == len(looks)
    assert len({s.floor for s in looks}) == len({s.wall for s in looks}) == len(looks)
