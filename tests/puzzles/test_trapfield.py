"""The trapfield family: seeded bytes, trap densities, reachable far goals, shortest references, skins, motions."""

from __future__ import annotations

from itertools import pairwise

import cv2
import networkx as nx
import numpy as np
import pytest

from genreason.errors import UnknownName
from genreason.plugins import Animator, NotApplicable, PuzzleFamily, load_family
from genreason.types import Puzzle
from puzzles.grid import GridLayout
from puzzles.trapfield import TrapfieldFamily
from puzzles.trapfield.family import SKINS

FAMILY = TrapfieldFamily()
SIDES = {"easy": 5, "medium": 7, "hard": 11}
TRAPS = {"easy": 5, "medium": 15, "hard": 42}  # 20%, 30% and 35% of the cells, rounded


def make(seed: int = 0, difficulty: str = "medium", skin: str = "classic") -> Puzzle:
    return FAMILY.generate(seed, difficulty, skin, f"trapfield/{difficulty}/{seed:06d}")


def layout_of(puzzle: Puzzle) -> GridLayout:
    return GridLayout.model_validate(puzzle.layout)


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


def agent_mask(frame: np.ndarray, puzzle: Puzzle) -> np.ndarray:
    r, g, b = SKINS[puzzle.skin].agent
    return (frame[..., 0] == r) & (frame[..., 1] == g) & (frame[..., 2] == b)


def agent_centre(frame: np.ndarray, puzzle: Puzzle) -> tuple[float, float]:
    """Centre (x, y) of the box of pixels in the agent's exact colour (unique on the board)."""
    ys, xs = np.nonzero(agent_mask(frame, puzzle))
    assert len(xs), "agent not visible"
    return (xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2


def cell_at(layout: GridLayout, point: tuple[float, float]) -> tuple[int, int]:
    r, c = layout.to_grid(*point)
    return int(np.floor(r)), int(np.floor(c))


def test_registered_and_implements_both_protocols():
    family = load_family("trapfield")
    assert isinstance(family, TrapfieldFamily)
    assert isinstance(family, PuzzleFamily) and isinstance(family, Animator)
    assert family.difficulties == ("easy", "medium", "hard")
    assert len(family.skins) >= 3 and family.verifier == "trapfield" and family.version == "1"


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_same_seed_gives_byte_identical_files(difficulty, tmp_path):
    for run in ("a", "b"):
        make(seed=42, difficulty=difficulty, skin="lava").save(tmp_path / run)
    for name in ("puzzle.json", "frame0.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_different_seeds_give_different_fields():
    assert len({tuple(make(seed).layout["cells"]) for seed in range(10)}) == 10


def test_skin_changes_the_look_not_the_field():
    puzzles = [make(7, skin=skin) for skin in FAMILY.skins]
    assert len({tuple(p.layout["cells"]) for p in puzzles}) == 1
    assert len({p.image.tobytes() for p in puzzles}) == len(puzzles)
    assert len({p.prompt for p in puzzles}) == len(puzzles)


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
def test_board_is_drawn_on_whole_pixels_with_marked_traps(difficulty):
    puzzle = make(3, difficulty, "classic")
    layout = layout_of(puzzle)
    look = SKINS["classic"]
    n = SIDES[difficulty]
    assert layout.cell_size == 512 // n
    x0, y0, x1, _ = layout.board_box()
    assert x0 == int(x0) and y0 == int(y0) and x0 == y0 and 512 - x1 - x0 in (0, 1)
    image = puzzle.frame0()
    assert puzzle.width == puzzle.height == 512 and image.shape == (512, 512, 3)
    for r in range(n):
        for c in range(n):
            if (r, c) in (layout.start, layout.goal):
                continue
            bx0, by0, bx1, by1 = (int(v) for v in layout.cell_box((r, c)))
            tile = image[by0:by1, bx0:bx1].reshape(-1, 3)
            if layout.code((r, c)) == ".":
                assert (tile == look.floor).all()
                continue
            trap = (tile == look.trap).all(axis=1)
            mark = (tile == look.mark).all(axis=1)
            assert (trap | mark).all() and 0.5 < trap.mean() < 0.85  # a filled cell, clearly marked


def _lab(rgb: tuple[int, int, int]) -> np.ndarray:
    return cv2.cvtColor(np.float32([[rgb]]) / 255.0, cv2.COLOR_RGB2Lab)[0, 0]


def _delta_e(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    return float(np.linalg.norm(_lab(a) - _lab(b)))


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_skin_colours_are_far_apart_and_all_drawn(skin):
    look = SKINS[skin]
    for other in (look.floor, look.goal, look.trap, look.mark):
        assert _delta_e(look.agent, other) > 40
    for other in (look.floor, look.trap, look.mark):
        assert _delta_e(look.goal, other) > 40
    assert _delta_e(look.floor, look.trap) > 40 and _delta_e(look.trap, look.mark) > 40
    image = make(1, "medium", skin).frame0()
    packed = (image[..., 0].astype(np.int32) << 16) | (image[..., 1].astype(np.int32) << 8) | image[..., 2]
    drawn = {(int(v) >> 16, (int(v) >> 8) & 255, int(v) & 255) for v in np.unique(packed)}
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


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_prompt_names_what_the_skin_shows(skin):
    look = SKINS[skin]
    prompt = make(0, skin=skin).prompt
    for words in (look.agent_words, look.goal_words, look.floor_name, look.trap_words):
        assert words in prompt


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_agent_and_goal_sprites_sit_in_their_cells(skin):
    puzzle = make(2, "hard", skin)
    layout = layout_of(puzzle)
    cx, cy = layout.cell_center(layout.start)
    x0, y0, x1, y1 = layout.agent_box
    assert (x0 + x1) / 2 == cx and (y0 + y1) / 2 == cy
    assert 0.5 <= (x1 - x0) / layout.cell_size <= 0.7
    gx0, gy0, gx1, gy1 = layout.goal_box
    assert ((gx0 + gx1) / 2, (gy0 + gy1) / 2) == layout.cell_center(layout.goal)
    assert (gx1 - gx0) / layout.cell_size >= 0.8
    ys, xs = np.nonzero(agent_mask(puzzle.frame0(), puzzle))
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1


def test_unknown_names_are_refused_with_suggestions():
    with pytest.raises(UnknownName, match="did you mean 'medium'"):
        FAMILY.generate(0, "meduim", "classic", "x")
    with pytest.raises(UnknownName, match="did you mean 'lava'"):
        FAMILY.generate(0, "easy", "lavva", "x")


# --- motions -------------------------------------------------------------------

def animate(puzzle: Puzzle, motion: str, *, seed: int = 0, frames_per_step: int = 2,
            hold_frames: int = 2, num_frames: int | None = None) -> np.ndarray:
    return FAMILY.animate(puzzle, motion, seed=seed, frames_per_step=frames_per_step,
                          hold_frames=hold_frames, num_frames=num_frames)


@pytest.mark.parametrize("motion", ["solution", "straight-line", "random-walk"])
def test_every_motion_starts_on_frame0_exactly(motion, tmp_path):
    puzzle = Puzzle.load(make(11, "hard", "paper").save(tmp_path))  # pixels as read back from disk
    frames = animate(puzzle, motion)
    assert frames.dtype == np.uint8 and frames.shape[1:] == (512, 512, 3)
    assert np.array_equal(frames[0], puzzle.frame0())


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_solution_walks_the_path_and_ends_on_the_goal_centre(skin):
    puzzle = make(4, "medium", skin)
    layout = layout_of(puzzle)
    steps, hold = 3, 4
    frames = animate(puzzle, "solution", frames_per_step=steps, hold_frames=hold)
    path = puzzle.solution["path"]
    assert len(frames) == 1 + (len(path) - 1) * steps + hold
    for i, cell in enumerate(path):
        assert agent_centre(frames[i * steps], puzzle) == pytest.approx(layout.cell_center(tuple(cell)), abs=1)
    for frame in frames[-hold - 1:]:
        assert agent_centre(frame, puzzle) == pytest.approx(layout.cell_center(layout.goal), abs=1)


def test_straight_line_runs_over_a_trap_to_the_goal():
    for seed in range(10):
        puzzle = make(seed, "medium")
        layout = layout_of(puzzle)
        frames = animate(puzzle, "straight-line")
        cells = [cell_at(layout, agent_centre(f, puzzle)) for f in frames]
        assert any(layout.code(cell) == "T" for cell in cells)
        assert cells[-1] == layout.goal


def test_random_walk_never_steps_on_a_trap_and_follows_its_seed():
    puzzle = make(8, "hard")
    layout = layout_of(puzzle)
    walks = [animate(puzzle, "random-walk", seed=seed) for seed in range(3)]
    for frames in walks:
        assert len(frames) == 1 + (len(puzzle.solution["path"]) - 1) * 2 + 2
        assert all(layout.code(cell_at(layout, agent_centre(f, puzzle))) == "." for f in frames)
    assert np.array_equal(walks[0], animate(puzzle, "random-walk", seed=0))
    assert len({w.tobytes() for w in walks}) > 1


@pytest.mark.parametrize("num_frames", [3, 49])
@pytest.mark.parametrize("motion", ["solution", "straight-line"])
def test_num_frames_is_honoured_exactly(num_frames, motion):
    puzzle = make(6, "hard")
    layout = layout_of(puzzle)
    frames = animate(puzzle, motion, frames_per_step=6, hold_frames=8, num_frames=num_frames)
    assert len(frames) == num_frames
    assert np.array_equal(frames[0], puzzle.frame0()) and np.array_equal(frames[-1], frames[-2])
    assert agent_centre(frames[-1], puzzle) == pytest.approx(layout.cell_center(layout.goal), abs=1)


def test_unknown_motion_or_foreign_puzzle_is_not_applicable():
    puzzle = make(0)
    with pytest.raises(NotApplicable, match="teleport"):
        animate(puzzle, "teleport")
    with pytest.raises(NotApplicable, match="maze"):
        animate(puzzle.model_copy(update={"family": "maze"}), "solution")
