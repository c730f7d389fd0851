"""What the sokoban family promises beyond the grid-family contract (tests/puzzles/test_grid_families.py).

Levels are solvable and non-trivial, with the optimal solution as reference
(checked here by an independent search); the box moves with the player on a
push; skins keep box, target, walls, floor and player apart, also with the box
on the target; the calibration cases exist with the right labels.
"""

from __future__ import annotations

from collections import deque
from itertools import pairwise

import numpy as np
import pytest
from grid_helpers import agent_centre, animate, delta_e, layout_of, make

from puzzles.sokoban import SokobanFamily
from puzzles.sokoban.family import MIN_PUSHES, SIDES
from puzzles.sokoban.layout import SokobanLayout

FAMILY = SokobanFamily()
STEPS = ((-1, 0), (1, 0), (0, -1), (0, 1))


def fewest_steps(layout: SokobanLayout) -> int | None:
    """Breadth-first over (player, box), written independently of the generator: the optimal step count."""
    (box,) = layout.boxes
    start = (layout.start, box)
    seen = {start: 0}
    queue = deque([start])
    while queue:
        player, box = queue.popleft()
        if box == layout.targets[0]:
            return seen[(player, box)]
        for dr, dc in STEPS:
            nxt = (player[0] + dr, player[1] + dc)
            nbox = box
            if not layout.is_open(nxt):
                continue
            if nxt == box:
                nbox = (box[0] + dr, box[1] + dc)
                if not layout.is_open(nbox):
                    continue
            if (nxt, nbox) not in seen:
                seen[(nxt, nbox)] = seen[(player, box)] + 1
                queue.append((nxt, nbox))
    return None


def box_centre(frame: np.ndarray, puzzle) -> tuple[float, float]:
    r, g, b = FAMILY.look(puzzle.skin).box
    ys, xs = np.nonzero((frame[..., 0] == r) & (frame[..., 1] == g) & (frame[..., 2] == b))
    assert len(xs), "box not visible"
    return (xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_levels_are_solvable_non_trivial_and_the_reference_is_optimal(difficulty):
    for seed in range(6):
        puzzle = make(FAMILY, seed, difficulty)
        layout = layout_of(puzzle)
        assert layout.rows == layout.cols == SIDES[difficulty]
        assert all(ch == "#" for ch in layout.cells[0] + layout.cells[-1])
        (box,), (target,) = layout.boxes, layout.targets
        assert box[0] != target[0] and box[1] != target[1]  # the box must turn: no straight slide solves it
        path = [tuple(c) for c in puzzle.solution["path"]]
        assert path[0] == layout.start and len(path) - 1 == fewest_steps(layout)
        assert len(puzzle.solution["pushes"]) >= MIN_PUSHES[difficulty]
        # Replaying the path by the rules pushes exactly the recorded pushes and ends on the target.
        pushes = []
        for step, (a, b) in enumerate(pairwise(path), start=1):
            assert abs(a[0] - b[0]) + abs(a[1] - b[1]) == 1 and layout.is_open(b)
            if b == box:
                to = (2 * b[0] - a[0], 2 * b[1] - a[1])
                assert layout.is_open(to)
                pushes.append({"step": step, "box": list(box), "to": list(to)})
                box = to
        assert pushes == puzzle.solution["pushes"] and box == target


def test_layout_lists_boxes_and_targets_with_their_sprite_boxes():
    puzzle = make(FAMILY, 3, "hard", "neon")
    layout = layout_of(puzzle)
    assert isinstance(layout, SokobanLayout) and layout.goal == layout.targets[0]
    x0, y0, x1, y1 = layout.box_boxes[0]
    assert ((x0 + x1) / 2, (y0 + y1) / 2) == layout.cell_center(layout.boxes[0])
    assert 0.6 <= (x1 - x0) / layout.cell_size <= 0.8
    assert layout.target_boxes[0] == layout.goal_box
    assert box_centre(puzzle.frame0(), puzzle) == pytest.approx(layout.cell_center(layout.boxes[0]), abs=1)
    with pytest.raises(ValueError, match="as many targets as boxes"):
        SokobanLayout.model_validate({**puzzle.layout, "targets": []})


@pytest.mark.parametrize("skin", sorted(FAMILY.skins))
def test_skin_colours_keep_every_piece_apart(skin):
    look = FAMILY.look(skin)
    pieces = {"floor": look.floor, "wall": look.wall, "box": look.box, "target": look.goal, "player": look.agent}
    names = list(pieces)
    for i, a in enumerate(names):
        for b in names[i + 1:]:
            assert delta_e(pieces[a], pieces[b]) >= 25, (a, b)


@pytest.mark.parametrize("skin", sorted(FAMILY.skins))
def test_the_solution_pushes_the_box_with_the_player_and_rests_on_the_target(skin):
    puzzle = make(FAMILY, 5, "medium", skin)
    layout = layout_of(puzzle)
    frames = animate(FAMILY, puzzle, "solution", frames_per_step=4, hold_frames=5)
    players = [np.array(agent_centre(f, puzzle)) for f in frames]
    boxes = [np.array(box_centre(f, puzzle)) for f in frames]
    for t in range(1, len(frames)):
        if np.abs(boxes[t] - boxes[t - 1]).max() > 0:  # the box moves: the player right behind, moving alike
            gap = boxes[t] - players[t]
            assert np.abs(gap).max() == pytest.approx(layout.cell_size, abs=1.5) and np.abs(gap).min() <= 1.5
            assert np.allclose(players[t] - players[t - 1], boxes[t] - boxes[t - 1], atol=1.5)
    moved = sum(np.abs(boxes[t] - boxes[t - 1]).max() > 0 for t in range(1, len(frames)))
    assert moved == 4 * len(puzzle.solution["pushes"])
    for t in range(len(frames) - 6, len(frames)):  # at rest on the target, the target's mark still showing
        assert boxes[t] == pytest.approx(layout.cell_center(layout.targets[0]), abs=1)
    x0, y0, x1, y1 = (int(v) for v in layout.cell_box(layout.targets[0]))
    goal = np.all(frames[-1][y0:y1, x0:x1] == np.array(FAMILY.look(skin).goal), axis=-1)
    assert goal.sum() >= 0.03 * (x1 - x0) * (y1 - y0)


def test_straight_line_shoves_the_box_illegally_and_random_walk_never_moves_it():
    for seed in range(5):
        puzzle = make(FAMILY, seed, "medium")
        layout = layout_of(puzzle)
        frames = animate(FAMILY, puzzle, "straight-line")
        end = box_centre(frames[-1], puzzle)
        assert end == pytest.approx(layout.cell_center(layout.targets[0]), abs=1)
        moves = [np.subtract(box_centre(b, puzzle), box_centre(a, puzzle)) for a, b in pairwise(frames)]
        assert any(abs(m[0]) > 0 and abs(m[1]) > 0 for m in moves)  # a diagonal shove: never a legal push
        walk = animate(FAMILY, puzzle, "random-walk", seed=seed)
        assert {box_centre(f, puzzle) for f in walk} == {box_centre(walk[0], puzzle)}


def test_calibration_cases_are_labelled_and_start_on_frame0():
    puzzle = make(FAMILY, 1, "hard", "neon")
    cases = {c.name: c for c in FAMILY.calibration_cases(puzzle)}
    assert [n for n, c in cases.items() if c.legal] == ["oracle"]
    for name in ("box-slides-alone", "box-into-wall", "player-through-box", "player-through-wall",
                 "player-jumps-wall-between-frames", "box-pulled", "box-one-short", "box-duplicated",
                 "box-vanishes", "wall-erased", "target-moved", "static", "straight-line", "random-walk"):
        assert name in cases
        assert np.array_equal(cases[name].frames[0], puzzle.frame0()), name
    assert cases["player-jumps-wall-between-frames"].single_frame
