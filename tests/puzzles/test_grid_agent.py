"""What the one-agent grid families share: the graph of cells, the farthest cell, random walks, the square layout."""

from __future__ import annotations

from itertools import pairwise

import pytest

from puzzles.grid import GridLayout
from puzzles.grid_agent import (
    FRAME_SIZE,
    farthest,
    open_graph,
    random_walk,
    square_layout,
)
from puzzles.skins import SKINS

CELLS = ["..T",
         "#..",
         "..."]


def layout(cells: list[str] = CELLS) -> GridLayout:
    return square_layout(cells, (0, 0), (2, 2), SKINS["classic"])


def test_open_graph_leaves_out_the_blocked_codes():
    walls_only = open_graph(CELLS)
    assert (0, 2) in walls_only and (1, 0) not in walls_only
    both = open_graph(CELLS, blocked="#T")
    assert (0, 2) not in both and (1, 0) not in both
    assert sorted(both.neighbors((1, 1))) == [(0, 1), (1, 2), (2, 1)]


def test_farthest_breaks_ties_towards_the_smallest_cell():
    graph = open_graph(["...", "...", "..."])
    assert farthest(graph, (1, 1)) == (0, 0)  # four corners tie at distance 2
    assert farthest(graph, (0, 0)) == (2, 2)


@pytest.mark.parametrize("blocked", ["#", "#T"])
def test_random_walk_moves_to_neighbours_that_are_not_blocked(blocked):
    grid = layout()
    for seed in range(20):
        cells = random_walk(grid, steps=12, seed=seed, blocked=blocked)
        assert cells[0] == grid.start and len(cells) == 13
        for a, b in pairwise(cells):
            assert abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 and grid.code(b) not in blocked
    assert random_walk(grid, steps=12, seed=3) == random_walk(grid, steps=12, seed=3)


def test_random_walk_stops_where_nothing_is_legal():
    boxed = square_layout([".T", "T."], (0, 0), (1, 1), SKINS["classic"])
    assert random_walk(boxed, steps=5, seed=0, blocked="T") == [(0, 0)]


@pytest.mark.parametrize("n", [5, 7, 11, 15])
def test_square_layout_centres_whole_pixel_cells_and_boxes_the_sprites(n):
    grid = square_layout(["." * n] * n, (0, 1), (n - 1, n - 1), SKINS["neon"])
    assert grid.cell_size == FRAME_SIZE // n and grid.origin[0] == grid.origin[1] == (FRAME_SIZE % n) // 2
    ax0, ay0, ax1, ay1 = grid.agent_box
    assert ((ax0 + ax1) / 2, (ay0 + ay1) / 2) == grid.cell_center((0, 1))
    gx0, gy0, gx1, gy1 = grid.goal_box
    assert ((gx0 + gx1) / 2, (gy0 + gy1) / 2) == grid.cell_center((n - 1, n - 1))
