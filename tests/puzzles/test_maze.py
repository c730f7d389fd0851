"""The maze family: seeded bytes, perfect mazes, shortest reference paths, skins, and its motions."""

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
from puzzles.maze import MazeFamily
from puzzles.skins import SKINS

FAMILY = MazeFamily()
SIZES = {"easy": 7, "medium": 11, "hard": 15}


def make(seed: int = 0, difficulty: str = "medium", skin: str = "classic") -> Puzzle:
    return FAMILY.generate(seed, difficulty, skin, f"maze/{difficulty}/{seed:06d}")


def layout_of(puzzle: Puzzle) -> GridLayout:
    return GridLayout.model_validate(puzzle.layout)


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


def open_graph(layout: GridLayout) -> nx.Graph:
    graph = nx.Graph()
    for r in range(layout.rows):
        for c in range(layout.cols):
            if layout.is_open((r, c)):
                graph.add_node((r, c))
                graph.add_edges_from(((r, c), n) for n in layout.neighbours((r, c)))
    return graph


def test_registered_and_implements_both_protocols():
    family = load_family("maze")
    assert isinstance(family, MazeFamily)
    assert isinstance(family, PuzzleFamily) and isinstance(family, Animator)
    assert family.difficulties == ("easy", "medium", "hard")
    assert len(family.skins) >= 3 and family.verifier == "maze" and family.version == "1"


def test_same_seed_gives_byte_identical_files(tmp_path):
    for run in ("a", "b"):
        make(seed=42, difficulty="hard", skin="neon").save(tmp_path / run)
    for name in ("puzzle.json", "frame0.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_different_seeds_give_different_mazes():
    mazes = {tuple(make(seed).layout["cells"]) for seed in range(10)}
    assert len(mazes) == 10


def test_skin_changes_the_look_not_the_maze():
    puzzles = [make(7, skin=skin) for skin in FAMILY.skins]
    assert len({tuple(p.layout["cells"]) for p in puzzles}) == 1
    assert len({p.image.tobytes() for p in puzzles}) == len(puzzles)
    assert len({p.prompt for p in puzzles}) == len(puzzles)


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
def test_board_is_centred_on_whole_pixels(difficulty):
    puzzle = make(3, difficulty)
    layout = layout_of(puzzle)
    n = SIZES[difficulty]
    assert layout.cell_size == 512 // n
    x0, y0, x1, y1 = layout.board_box()
    assert x0 == int(x0) and y0 == int(y0) and x0 == y0
    assert 512 - x1 - x0 in (0, 1)
    skin = SKINS[puzzle.skin]
    image = puzzle.frame0()
    assert puzzle.width == puzzle.height == 512 and image.shape == (512, 512, 3)
    for r in range(n):
        for c in range(n):
            if (r, c) in (layout.start, layout.goal):
                continue
            bx0, by0, bx1, by1 = (int(v) for v in layout.cell_box((r, c)))
            colour = skin.wall if layout.wall_mask()[r, c] else skin.floor
            assert (image[by0:by1, bx0:bx1] == colour).all()


def test_layout_round_trips_through_save_and_load(tmp_path):
    puzzle = make(5, "hard", "paper")
    loaded = Puzzle.load(puzzle.save(tmp_path / "p"))
    assert layout_of(loaded) == layout_of(puzzle)
    assert loaded.model_dump() == puzzle.model_dump()
    assert np.array_equal(loaded.frame0(), puzzle.frame0())


def _lab(rgb: tuple[int, int, int]) -> np.ndarray:
    return cv2.cvtColor(np.float32([[rgb]]) / 255.0, cv2.COLOR_RGB2Lab)[0, 0]


def _delta_e(a: tuple[int, int, int], b: tuple[int, int, int]) -> float:
    return float(np.linalg.norm(_lab(a) - _lab(b)))


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_skin_colours_are_far_apart_and_all_drawn(skin):
    look = SKINS[skin]
    for other in (look.floor, look.wall, look.goal):
        assert _delta_e(look.agent, other) > 40
    for other in (look.floor, look.wall):
        assert _delta_e(look.goal, other) > 40
    assert _delta_e(look.floor, look.wall) > 40
    image = make(1, "medium", skin).frame0()
    packed = (image[..., 0].astype(np.int32) << 16) | (image[..., 1].astype(np.int32) << 8) | image[..., 2]
    drawn = {(int(v) >> 16, (int(v) >> 8) & 255, int(v) & 255) for v in np.unique(packed)}
    assert drawn == {look.floor, look.wall, look.background, look.agent, look.goal}


def test_skins_differ_in_colours_and_shapes():
    looks = list(SKINS.values())
    assert len({s.agent for s in looks}) == len({s.goal for s in looks}) == len(looks)
    assert len({s.agent_shape for s in looks}) == len({s.goal_shape for s in looks}) == len(looks)
    assert len({s.floor for s in looks}) == len({s.wall for s in looks}) == len(looks)


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_prompt_names_what_the_skin_shows(skin):
    look = SKINS[skin]
    prompt = make(0, skin=skin).prompt
    for words in (look.agent_words, look.goal_words, look.floor_name, look.wall_name):
        assert words in prompt


@pytest.mark.parametrize("skin", sorted(SKINS))
@pytest.mark.parametrize("difficulty", ["easy", "hard"])
def test_agent_and_goal_sprites_sit_in_their_cells(skin, difficulty):
    puzzle = make(2, difficulty, skin)
    layout = layout_of(puzzle)
    cx, cy = layout.cell_center(layout.start)
    x0, y0, x1, y1 = layout.agent_box
    assert (x0 + x1) / 2 == cx and (y0 + y1) / 2 == cy
    assert 0.5 <= (x1 - x0) / layout.cell_size <= 0.7
    gx0, gy0, gx1, gy1 = layout.goal_box
    assert ((gx0 + gx1) / 2, (gy0 + gy1) / 2) == layout.cell_center(layout.goal)
    assert (gx1 - gx0) / layout.cell_size >= 0.8
    ax, ay = agent_centre(puzzle.frame0(), puzzle)
    assert abs(ax - cx) <= 1 and abs(ay - cy) <= 1
    ys, xs = np.nonzero(agent_mask(puzzle.frame0(), puzzle))
    assert x0 <= xs.min() and xs.max() < x1 and y0 <= ys.min() and ys.max() < y1


def test_unknown_names_are_refused_with_suggestions():
    with pytest.raises(UnknownName, match="did you mean 'medium'"):
        FAMILY.generate(0, "meduim", "classic", "x")
    with pytest.raises(UnknownName, match="did you mean 'classic'"):
        FAMILY.generate(0, "easy", "clasic", "x")


# --- motions -------------------------------------------------------------------

def animate(puzzle: Puzzle, motion: str, *, seed: int = 0, frames_per_step: int = 2,
            hold_frames: int = 2, num_frames: int | None = None) -> np.ndarray:
    return FAMILY.animate(puzzle, motion, seed=seed, frames_per_step=frames_per_step,
                          hold_frames=hold_frames, num_frames=num_frames)


@pytest.mark.parametrize("motion", ["solution", "straight-line", "random-walk"])
def test_every_motion_starts_on_frame0_exactly(motion, tmp_path):
    puzzle = Puzzle.load(make(11, "hard", "forest").save(tmp_path))  # pixels as read back from disk
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
    for i, cell in enumerate(path):  # on a cell centre every ``steps`` frames
        assert agent_centre(frames[i * steps], puzzle) == pytest.approx(layout.cell_center(tuple(cell)), abs=1)
    for frame in frames[-hold - 1:]:
        assert agent_centre(frame, puzzle) == pytest.approx(layout.cell_center(layout.goal), abs=1)


def test_straight_line_cuts_through_walls_for_most_seeds():
    through_walls = 0
    for seed in range(20):
        puzzle = make(seed, "medium")
        layout = layout_of(puzzle)
        frames = animate(puzzle, "straight-line")
        cells = {cell_at(layout, agent_centre(f, puzzle)) for f in frames}
        through_walls += any(not layout.is_open(cell) for cell in cells)
        assert cell_at(layout, agent_centre(frames[-1], puzzle)) == layout.goal
    assert through_walls >= 15


def test_random_walk_stays_on_open_cells_and_follows_its_seed():
    puzzle = make(8, "hard")
    layout = layout_of(puzzle)
    walks = [animate(puzzle, "random-walk", seed=seed) for seed in range(3)]
    for frames in walks:
        assert len(frames) == 1 + (len(puzzle.solution["path"]) - 1) * 2 + 2
        assert all(layout.is_open(cell_at(layout, agent_centre(f, puzzle))) for f in frames)
    assert np.array_equal(walks[0], animate(puzzle, "random-walk", seed=0))
    assert len({w.tobytes() for w in walks}) > 1


@pytest.mark.parametrize("num_frames", [3, 10, 49, 300])
@pytest.mark.parametrize("motion", ["solution", "straight-line"])
def test_num_frames_is_honoured_exactly(num_frames, motion):
    puzzle = make(6, "medium")
    layout = layout_of(puzzle)
    frames = animate(puzzle, motion, frames_per_step=6, hold_frames=8, num_frames=num_frames)
    assert len(frames) == num_frames
    assert np.array_equal(frames[0], puzzle.frame0())
    assert np.array_equal(frames[-1], frames[-2])  # at rest for at least one frame at the end
    assert agent_centre(frames[-1], puzzle) == pytest.approx(layout.cell_center(layout.goal), abs=1)


def test_unknown_motion_or_foreign_puzzle_is_not_applicable():
    puzzle = make(0)
    with pytest.raises(NotApplicable, match="teleport"):
        animate(puzzle, "teleport")
    with pytest.raises(NotApplicable, match="sokoban"):
        animate(puzzle.model_copy(update={"family": "sokoban"}), "solution")
