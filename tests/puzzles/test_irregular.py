"""The irregular maze family: seeded road networks, their guarantees, drawing and motions."""

from itertools import combinations, pairwise

import numpy as np
import pytest

from genreason.errors import UnknownName
from genreason.plugins import (
    Animator,
    Calibratable,
    NotApplicable,
    PuzzleFamily,
    load_family,
)
from genreason.types import Puzzle
from puzzles.irregular import IrregularFamily
from puzzles.irregular.cases import make_scene, off_road_depth
from puzzles.irregular.layout import RoadLayout, centre_distance, sample_curve
from puzzles.irregular.network import MIN_NODES, ROAD_WIDTH, SEPARATION

FAMILY = IrregularFamily()


def make(seed=0, difficulty="medium", skin="classic") -> Puzzle:
    return FAMILY.generate(seed, difficulty, skin, f"irregular/{difficulty}/{seed:06d}")


def test_registered_and_protocols():
    family = load_family("irregular")
    assert isinstance(family, PuzzleFamily) and isinstance(family, Animator) and isinstance(family, Calibratable)
    assert family.verifier == "irregular" and len(family.skins) >= 3
    assert family.difficulties == ("easy", "medium", "hard")


def test_same_seed_same_bytes(tmp_path):
    a, b = make(7, "hard", "meadow"), make(7, "hard", "meadow")
    a.save(tmp_path / "a")
    b.save(tmp_path / "b")
    for name in ("puzzle.json", "frame0.png"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
    assert make(8, "hard", "meadow").layout != a.layout
    loaded = Puzzle.load(tmp_path / "a")
    assert np.array_equal(loaded.frame0(), a.frame0()) and loaded.layout == a.layout


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_network_guarantees(difficulty):
    for seed in range(2):
        puzzle = make(seed, difficulty)
        layout = RoadLayout.model_validate(puzzle.layout)
        w = layout.road_width
        assert w == ROAD_WIDTH[difficulty]
        route = puzzle.solution["nodes"]
        assert len(route) >= MIN_NODES[difficulty] and route[0] == layout.start and route[-1] == layout.goal
        assert route == layout.shortest_route(layout.start, layout.goal)
        graph = layout.graph()
        assert any(graph.degree(n) == 1 for n in graph)  # dead ends
        # Roads sharing no node keep their distance: leaving one for another means crossing ground.
        dense = [sample_curve(c, 2.0) for c in layout.curves]
        for i, j in combinations(range(len(dense)), 2):
            if set(layout.edges[i]) & set(layout.edges[j]):
                continue
            gap = np.sqrt(((dense[i][:, None] - dense[j][None]) ** 2).sum(-1)).min()
            assert gap >= SEPARATION * w - 1e-6, (seed, i, j, gap / w)
        # Gliding straight from start to goal leaves the road.
        sc = make_scene(puzzle)
        line = sample_curve(np.array([layout.nodes[layout.start], layout.nodes[layout.goal]]), 2.0)
        assert off_road_depth(sc, line).max() > 1.0


def test_skins_change_the_look_not_the_network():
    looks = {skin: make(4, "medium", skin) for skin in FAMILY.skins}
    layouts = [{k: v for k, v in p.layout.items() if k not in ("agent_box", "goal_box")} for p in looks.values()]
    assert all(layout == layouts[0] for layout in layouts)
    frames = [p.frame0() for p in looks.values()]
    assert all(not np.array_equal(a, b) for a, b in pairwise(frames))
    for skin, puzzle in looks.items():
        look = FAMILY.look(skin)
        assert look.agent_words in puzzle.prompt and look.road_name in puzzle.prompt


def test_first_frame_shows_roads_where_the_layout_says():
    puzzle = make(2, "hard", "classic")
    layout = RoadLayout.model_validate(puzzle.layout)
    depth = centre_distance(layout.curves, (512, 512), 1.0) / layout.road_width - 0.5
    white = puzzle.frame0().min(axis=2) > 200
    ys, xs = np.mgrid[0:512, 0:512]
    keep = np.ones((512, 512), bool)
    for node in (layout.start, layout.goal):  # the sprites
        keep &= np.hypot(xs + 0.5 - layout.nodes[node][0], ys + 0.5 - layout.nodes[node][1]) > layout.road_width
    assert white[keep & (depth < -0.1)].all() and not white[keep & (depth > 0.1)].any()


def test_unknown_names():
    with pytest.raises(UnknownName):
        make(0, "impossible")
    with pytest.raises(UnknownName):
        make(0, "easy", "plaid")


def test_motions():
    puzzle = make(1, "easy", "desert")
    frames = FAMILY.animate(puzzle, "solution", seed=0, frames_per_step=3, hold_frames=4, num_frames=None)
    assert np.array_equal(frames[0], puzzle.frame0())
    exact = FAMILY.animate(puzzle, "solution", seed=0, frames_per_step=3, hold_frames=4, num_frames=30)
    assert exact.shape[0] == 30 and np.array_equal(exact[-1], frames[-1])
    straight = FAMILY.animate(puzzle, "straight-line", seed=0, frames_per_step=3, hold_frames=4, num_frames=None)
    assert np.array_equal(straight[-1], frames[-1])  # both end on the goal
    walk = FAMILY.animate(puzzle, "random-walk", seed=3, frames_per_step=3, hold_frames=4, num_frames=None)
    assert np.array_equal(walk[0], puzzle.frame0())
    with pytest.raises(NotApplicable):
        FAMILY.animate(puzzle, "moonwalk", seed=0, frames_per_step=3, hold_frames=4, num_frames=None)


def test_calibration_cases_are_labelled():
    cases = FAMILY.calibration_cases(make(3, "medium", "meadow"), seed=0)
    names = {c.name: c for c in cases}
    assert names["oracle"].legal and sum(c.legal for c in cases) == 1
    for name in ("shortcut-across-ground", "shortcut-between-frames", "off-road-and-back", "teleport-along-road",
                 "vanish-mid-path", "duplicated", "road-erased", "road-drawn-across-ground", "goal-moved",
                 "stops-one-short", "leaves-the-goal", "static", "straight-line", "camera-pans"):
        assert name in names and not names[name].legal, name
    assert names["shortcut-between-frames"].single_frame


def _sample_segment_by_segment(curve, step):
    """sample_curve's definition, one segment at a time."""
    points = np.asarray(curve, dtype=float)
    out = [points[:1]]
    for a, b in pairwise(points):
        n = max(1, int(np.ceil(float(np.linalg.norm(b - a)) / step)))
        out.append(a + (np.arange(1, n + 1)[:, None] / n) * (b - a))
    return np.concatenate(out)


def test_sample_curve_is_the_segment_by_segment_sampling():
    """All segments at once give the same bytes, also for segments a whole number of steps long
    (where the two ways of summing a length could round a count differently)."""
    rng = np.random.default_rng(5)
    curves = [rng.uniform(0, 512, (20, 2)), rng.integers(0, 40, (30, 2)).astype(float),
              np.cumsum(rng.choice([0.0, 0.5, 2.0, 3.0, 4.0], (40, 2)), axis=0), [(3.0, 4.0), (3.0, 4.0), (6.0, 8.0)]]
    for curve in curves:
        for step in (0.5, 1.0, 2.0, 2.5):
            got, expected = sample_curve(curve, step), _sample_segment_by_segment(curve, step)
            assert got.shape == expected.shape and got.tobytes() == expected.tobytes()
    assert np.linalg.norm(np.diff(sample_curve(curves[0], 2.0), axis=0), axis=1).max() <= 2.0 + 1e-9
    assert sample_curve([(1.0, 2.0)], 2.0).tolist() == [[1.0, 2.0]]  # one point: itself
    # A segment of exactly four steps gets four points, not five.
    assert len(sample_curve([(0.0, 0.0), (8.0, 0.0)], 2.0)) == 5
