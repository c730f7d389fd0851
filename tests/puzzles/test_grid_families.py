"""What every family where one agent walks a square grid promises (maze, trapfield, sokoban).

Each test runs for every family in :data:`FAMILIES`, or in :data:`WALKERS` where
it is about the agent walking to the goal (in sokoban the player pushes a box
there instead); what only one family promises (perfect mazes, trap densities,
solvable box levels, ...) is tested in that family's module.
"""

from __future__ import annotations

import numpy as np
import pytest
from grid_helpers import agent_centre, agent_mask, animate, cell_at, layout_of, make

from genreason.errors import UnknownName
from genreason.plugins import Animator, NotApplicable, PuzzleFamily, load_family
from genreason.types import Puzzle
from puzzles.maze import MazeFamily
from puzzles.sokoban import SokobanFamily
from puzzles.trapfield import TrapfieldFamily

FAMILIES = [MazeFamily(), TrapfieldFamily(), SokobanFamily()]
IDS = [family.name for family in FAMILIES]  # "maze", "trapfield", "sokoban"
MAZE, TRAPFIELD, SOKOBAN = FAMILIES
WALKERS = [MAZE, TRAPFIELD]  # the agent itself walks to the goal
DIFFICULTIES = ["easy", "medium", "hard"]

each_family = pytest.mark.parametrize("family", FAMILIES, ids=IDS)
each_family_skin = pytest.mark.parametrize(
    ("family", "skin"), [pytest.param(f, skin, id=f"{f.name}-{skin}") for f in FAMILIES for skin in f.skins])
each_walker_skin = pytest.mark.parametrize(
    ("family", "skin"), [pytest.param(f, skin, id=f"{f.name}-{skin}") for f in WALKERS for skin in f.skins])


def per_family(names: str, maze: tuple, trapfield: tuple, sokoban: tuple | None = None) -> pytest.MarkDecorator:
    """Parametrize ``family`` plus the per-family values named in ``names`` (comma-separated).

    Sokoban takes part when its values are given.
    """
    params = [pytest.param(MAZE, *maze, id="maze"), pytest.param(TRAPFIELD, *trapfield, id="trapfield")]
    if sokoban is not None:
        params.append(pytest.param(SOKOBAN, *sokoban, id="sokoban"))
    return pytest.mark.parametrize(f"family,{names}", params)


@each_family
def test_registered_and_implements_both_protocols(family):
    loaded = load_family(family.name)
    assert type(loaded) is type(family)
    assert isinstance(loaded, PuzzleFamily) and isinstance(loaded, Animator)
    assert loaded.difficulties == ("easy", "medium", "hard")
    assert len(loaded.skins) >= 3 and loaded.verifier == family.name and loaded.version == "1"


@each_family
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_same_seed_gives_byte_identical_files(family, difficulty, tmp_path):
    for skin in family.skins:
        for run in ("a", "b"):
            make(family, seed=42, difficulty=difficulty, skin=skin).save(tmp_path / skin / run)
        for name in ("puzzle.json", "frame0.png"):
            assert (tmp_path / skin / "a" / name).read_bytes() == (tmp_path / skin / "b" / name).read_bytes()


@each_family
def test_different_seeds_give_different_layouts(family):
    assert len({tuple(make(family, seed).layout["cells"]) for seed in range(10)}) == 10


@each_family
def test_skin_changes_the_look_not_the_layout(family):
    puzzles = [make(family, 7, skin=skin) for skin in family.skins]
    assert len({tuple(p.layout["cells"]) for p in puzzles}) == 1
    assert len({p.image.tobytes() for p in puzzles}) == len(puzzles)
    assert len({p.prompt for p in puzzles}) == len(puzzles)


@each_family
@pytest.mark.parametrize("difficulty", DIFFICULTIES)
def test_board_is_centred_on_whole_pixels(family, difficulty):
    puzzle = make(family, 3, difficulty, "classic")
    layout = layout_of(puzzle)
    assert layout.rows == layout.cols and layout.cell_size == 512 // layout.rows
    x0, y0, x1, _ = layout.board_box()
    assert x0 == int(x0) and y0 == int(y0) and x0 == y0
    assert 512 - x1 - x0 in (0, 1)
    assert puzzle.width == puzzle.height == 512 and puzzle.frame0().shape == (512, 512, 3)


@each_family
def test_layout_round_trips_through_save_and_load(family, tmp_path):
    puzzle = make(family, 5, "hard", "paper")
    loaded = Puzzle.load(puzzle.save(tmp_path / "p"))
    assert layout_of(loaded) == layout_of(puzzle)
    assert loaded.model_dump() == puzzle.model_dump()
    assert np.array_equal(loaded.frame0(), puzzle.frame0())


@pytest.mark.parametrize(("family", "skin", "blocked_words"), [
    pytest.param(f, skin, words, id=f"{f.name}-{skin}")
    for f, words in ((MAZE, "wall_name"), (TRAPFIELD, "trap_words"), (SOKOBAN, "box_words")) for skin in f.skins])
def test_prompt_names_what_the_skin_shows(family, skin, blocked_words):
    look = family.look(skin)
    prompt = make(family, 0, skin=skin).prompt
    for words in (look.agent_words, look.goal_words, look.floor_name, getattr(look, blocked_words)):
        assert words in prompt


@each_family_skin
@pytest.mark.parametrize("difficulty", ["easy", "hard"])
def test_agent_and_goal_sprites_sit_in_their_cells(family, skin, difficulty):
    puzzle = make(family, 2, difficulty, skin)
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


@per_family("typo,meant", maze=("clasic", "classic"), trapfield=("lavva", "lava"), sokoban=("neo", "neon"))
def test_unknown_names_are_refused_with_suggestions(family, typo, meant):
    with pytest.raises(UnknownName, match="did you mean 'medium'"):
        family.generate(0, "meduim", "classic", "x")
    with pytest.raises(UnknownName, match=f"did you mean '{meant}'"):
        family.generate(0, "easy", typo, "x")


# --- motions -------------------------------------------------------------------

@per_family("skin", maze=("forest",), trapfield=("paper",), sokoban=("warehouse",))
@pytest.mark.parametrize("motion", ["solution", "straight-line", "random-walk"])
def test_every_motion_starts_on_frame0_exactly(family, skin, motion, tmp_path):
    puzzle = Puzzle.load(make(family, 11, "hard", skin).save(tmp_path))  # pixels as read back from disk
    frames = animate(family, puzzle, motion)
    assert frames.dtype == np.uint8 and frames.shape[1:] == (512, 512, 3)
    assert np.array_equal(frames[0], puzzle.frame0())


@each_walker_skin
def test_solution_walks_the_path_and_ends_on_the_goal_centre(family, skin):
    puzzle = make(family, 4, "medium", skin)
    layout = layout_of(puzzle)
    steps, hold = 3, 4
    frames = animate(family, puzzle, "solution", frames_per_step=steps, hold_frames=hold)
    path = puzzle.solution["path"]
    assert len(frames) == 1 + (len(path) - 1) * steps + hold
    for i, cell in enumerate(path):  # on a cell centre every ``steps`` frames
        assert agent_centre(frames[i * steps], puzzle) == pytest.approx(layout.cell_center(tuple(cell)), abs=1)
    for frame in frames[-hold - 1:]:
        assert agent_centre(frame, puzzle) == pytest.approx(layout.cell_center(layout.goal), abs=1)


@per_family("seeds,at_least", maze=(20, 15), trapfield=(10, 10))
def test_straight_line_crosses_blocked_cells_to_the_goal(family, seeds, at_least):
    crossing = 0
    for seed in range(seeds):
        puzzle = make(family, seed, "medium")
        layout = layout_of(puzzle)
        frames = animate(family, puzzle, "straight-line")
        cells = [cell_at(layout, agent_centre(f, puzzle)) for f in frames]
        crossing += any(layout.code(cell) in family.blocked for cell in cells)
        assert cells[-1] == layout.goal
    assert crossing >= at_least


@each_family
def test_random_walk_stays_off_blocked_cells_and_follows_its_seed(family):
    puzzle = make(family, 8, "hard")
    layout = layout_of(puzzle)
    walks = [animate(family, puzzle, "random-walk", seed=seed) for seed in range(3)]
    for frames in walks:
        assert len(frames) == 1 + (len(puzzle.solution["path"]) - 1) * 2 + 2
        cells = [cell_at(layout, agent_centre(f, puzzle)) for f in frames]
        assert all(layout.inside(cell) and layout.code(cell) not in family.blocked for cell in cells)
    assert np.array_equal(walks[0], animate(family, puzzle, "random-walk", seed=0))
    assert len({w.tobytes() for w in walks}) > 1


@per_family("difficulty", maze=("medium",), trapfield=("hard",))
@pytest.mark.parametrize("num_frames", [3, 10, 49, 300])
@pytest.mark.parametrize("motion", ["solution", "straight-line"])
def test_num_frames_is_honoured_exactly(family, difficulty, num_frames, motion):
    puzzle = make(family, 6, difficulty)
    layout = layout_of(puzzle)
    frames = animate(family, puzzle, motion, frames_per_step=6, hold_frames=8, num_frames=num_frames)
    assert len(frames) == num_frames
    assert np.array_equal(frames[0], puzzle.frame0())
    assert np.array_equal(frames[-1], frames[-2])  # at rest for at least one frame at the end
    assert agent_centre(frames[-1], puzzle) == pytest.approx(layout.cell_center(layout.goal), abs=1)


@each_family
def test_unknown_motion_or_foreign_puzzle_is_not_applicable(family):
    puzzle = make(family, 0)
    with pytest.raises(NotApplicable, match="teleport"):
        animate(family, puzzle, "teleport")
    for foreign in {"sokoban", *IDS} - {family.name}:
        with pytest.raises(NotApplicable, match=foreign):
            animate(family, puzzle.model_copy(update={"family": foreign}), "solution")
