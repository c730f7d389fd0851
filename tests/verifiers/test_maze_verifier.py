"""The maze verifier on real H.264 videos: legal solutions pass however degraded, near-misses fail.

Positives are the reference solution (drawn by the oracle sampler or by the
same glide with a redrawn agent), under every preset of
:data:`genreason.degrade.DEGRADATIONS`. Negatives are built to be illegal in
exactly one way (asserted on the layout) and must fail with the event that
names that way (and, where there is one, the cell). Videos are built by the
helpers in ``maze_cases.py`` and always pass through a real H.264 round trip.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pytest
from maze_cases import (
    FPS,
    Scene,
    camera,
    draw_copy,
    encode,
    explain,
    moved_goal,
    off_path_cell,
    oracle,
    paint_cells,
    paint_out,
    recoloured,
    render,
    reshaped,
    resized,
    sample,
    scene,
    segment_crosses_wall,
    shortcut,
    splice,
    straight_run,
    verify,
    walk,
)

from genreason.degrade import DEGRADATIONS
from genreason.types import Verdict, Video
from puzzles.grid import Cell
from puzzles.grid_agent import random_walk
from puzzles.skins import SKINS, Sprite

ALL_SCENES = [(d, s) for d in ("easy", "medium") for s in SKINS] + [("hard", "classic")]
TWO_SCENES = [("medium", "classic"), ("easy", "neon")]
RESIZES = ("resize-832x480", "resize-480x832")


def scene_params(cases: list[tuple[str, str]]) -> list:
    """``(difficulty, skin)`` pairs as pytest params with ids like ``medium/classic``."""
    return [pytest.param(d, s, id=f"{d}/{s}") for d, s in cases]


def assert_solved(sc: Scene, video: Video | np.ndarray) -> Verdict:
    """Assert the verifier judges ``video`` a success, printing its events and path otherwise."""
    verdict = verify(sc, video)
    assert verdict.status == "ok" and verdict.success, explain(verdict)
    return verdict


def assert_caught(sc: Scene, video: Video | np.ndarray, expected: frozenset[str],
                  where: Cell | None = None) -> None:
    """Assert the verifier rejects ``video`` with an event of one of the ``expected`` kinds.

    Args:
        sc: the scene the video shows.
        video: frames (encoded first) or a decoded video.
        expected: event kinds, any one of which names what is wrong.
        where: if given, that event must also name this cell (e.g. the wall crossed).
    """
    verdict = verify(sc, video)
    assert verdict.status == "ok" and not verdict.success, explain(verdict)
    hits = [e for e in verdict.events if e.kind in expected and (where is None or str(where) in e.message)]
    assert hits, f"expected one of {sorted(expected)}{f' naming {where}' if where else ''}\n{explain(verdict)}"


def as_video(frames: np.ndarray) -> Video:
    return Video(frames=np.ascontiguousarray(frames), fps=FPS)


# --- positives -------------------------------------------------------------------------------

def test_helpers_draw_exactly_what_the_oracle_sampler_draws():
    sc = scene("medium", "paper")
    assert np.array_equal(render(sc, walk(sc, sc.path)), oracle(sc))
    assert np.array_equal(oracle(sc)[0], sc.puzzle.frame0())


@pytest.mark.parametrize(("difficulty", "skin"), scene_params(ALL_SCENES))
def test_oracle_is_solved(difficulty, skin):
    sc = scene(difficulty, skin)
    verdict = assert_solved(sc, oracle(sc))
    # Exact on clean videos: VR-Bench's own metrics agree with the reference too.
    assert verdict.metrics["sr"] == 1.0 and verdict.metrics["em"] == 1.0, verdict.metrics
    assert verdict.metrics["exact_match"] == 1.0 and verdict.metrics["precision"] == 1.0


@pytest.mark.parametrize("preset", sorted(DEGRADATIONS))
@pytest.mark.parametrize(("difficulty", "skin"), scene_params(TWO_SCENES))
def test_oracle_survives_degradation(difficulty, skin, preset):
    sc = scene(difficulty, skin)
    assert_solved(sc, encode(DEGRADATIONS[preset](as_video(oracle(sc)))))


# How models redraw the agent after the first frame (its colour and size drift, its shape changes).
SPRITE_CHANGES: dict[str, Callable[[Scene], Sprite]] = {
    "recoloured-20": lambda sc: recoloured(sc.sprite, 20),
    "recoloured-40": lambda sc: recoloured(sc.sprite, 40),
    "larger-15%": lambda sc: resized(sc, 1.15),
    "smaller-25%": lambda sc: resized(sc, 0.75),
    "other-shape": reshaped,
}


@pytest.mark.parametrize("change", SPRITE_CHANGES)
@pytest.mark.parametrize(("difficulty", "skin"), scene_params(TWO_SCENES))
def test_agent_redrawn_after_the_first_frame_is_still_tracked(difficulty, skin, change):
    sc = scene(difficulty, skin)
    positions = walk(sc, sc.path)
    other = SPRITE_CHANGES[change](sc)
    assert_solved(sc, splice(render(sc, positions), render(sc, positions, sprite=other), 1))


@pytest.mark.parametrize("rest", [0, 1], ids=["in-the-last-frame", "in-the-last-two-frames"])
@pytest.mark.parametrize(("difficulty", "skin"), scene_params(TWO_SCENES))
def test_goal_reached_only_at_the_end_a_quarter_cell_off_centre(difficulty, skin, rest):
    sc = scene(difficulty, skin)
    goal, before = np.array(sc.centre(sc.path[-1])), np.array(sc.centre(sc.path[-2]))
    stop = tuple(goal + 0.25 * (before - goal))  # a quarter cell short, on the side it comes from
    positions = walk(sc, sc.path, hold=rest, frames_per_step=4, stop=stop)
    off = np.hypot(*(positions - goal).T) / sc.cell_px
    assert np.all(off[:-rest - 1] > 0.4) and np.allclose(off[-rest - 1:], 0.25)
    assert_solved(sc, render(sc, positions))


@pytest.mark.parametrize(("difficulty", "skin"), scene_params([("hard", "classic"), ("hard", "paper")]))
def test_shake_on_the_smallest_cells_is_undone(difficulty, skin):
    sc = scene(difficulty, skin)
    assert_solved(sc, encode(DEGRADATIONS["shake"](as_video(oracle(sc)))))


@pytest.mark.parametrize("preset", RESIZES)
def test_resized_oracle_of_another_puzzle_is_solved(preset):
    sc = scene("medium", "forest", seed=3)
    assert_solved(sc, encode(DEGRADATIONS[preset](as_video(oracle(sc)))))


# --- negatives -------------------------------------------------------------------------------

def wall_glide(sc: Scene) -> np.ndarray:
    """The agent glides from an open cell through a wall cell into the open cell beyond, then on to the goal."""
    return render(sc, walk(sc, shortcut(sc).cells))


def wall_jump(sc: Scene) -> np.ndarray:
    """A wall crossing between two frames: on one side in frame t, on the other in frame t+1."""
    route = shortcut(sc)
    before, after = walk(sc, route.before, hold=0), walk(sc, route.after)
    hop = np.hypot(*(after[0] - before[-1])) / sc.cell_px
    assert hop == pytest.approx(2.0)  # two cells in one frame: not a teleport, only the wall is wrong
    return render(sc, np.concatenate([before, after]))


def teleport(sc: Scene) -> np.ndarray:
    """Cut frames from the oracle so the agent jumps three cells along a straight open corridor."""
    k, steps, pace = straight_run(sc.path, 3), 3, sc.frames_per_step
    assert all(sc.layout.is_open(c) for c in sc.path[k:k + steps + 1])
    return np.delete(oracle(sc), np.arange(k * pace + 1, (k + steps) * pace), axis=0)


def vanish_mid(sc: Scene) -> np.ndarray:
    """The agent disappears for 10 frames (at 16 fps: more than the verifier's 0.2 s) mid-path."""
    t = len(oracle(sc)) // 3
    return paint_out(sc, oracle(sc), range(t, t + 10))


def vanish_end(sc: Scene) -> np.ndarray:
    """The agent fades out for good in the last frames, after reaching the goal."""
    return paint_out(sc, oracle(sc), range(len(oracle(sc)) - 8, len(oracle(sc))))


def duplicate(sc: Scene) -> np.ndarray:
    """A second agent appears on a far open cell for 6 frames."""
    t = len(oracle(sc)) // 3
    return draw_copy(sc, oracle(sc), off_path_cell(sc, far_from=sc.path[t // sc.frames_per_step]),
                     range(t, t + 6))


def board_from_half(sc: Scene, board: np.ndarray) -> np.ndarray:
    """The oracle walk over the usual board, then over ``board`` from the middle frame on."""
    positions = walk(sc, sc.path)
    return splice(render(sc, positions), render(sc, positions, board=board), len(positions) // 2)


def wall_erased(sc: Scene) -> np.ndarray:
    """The wall cell of the best shortcut is painted as floor half-way through."""
    wall = shortcut(sc).wall
    assert not sc.layout.is_open(wall)
    return board_from_half(sc, paint_cells(sc, sc.board, [wall], sc.skin.floor))


def floor_walled(sc: Scene) -> np.ndarray:
    """A floor cell away from the path is painted as wall half-way through."""
    return board_from_half(sc, paint_cells(sc, sc.board, [off_path_cell(sc)], sc.skin.wall))


def goal_moved(sc: Scene) -> np.ndarray:
    """Half-way through the goal is erased and drawn on another cell; the agent still walks to the old one."""
    return board_from_half(sc, moved_goal(sc, off_path_cell(sc, far_from=sc.layout.goal)))


def one_short(sc: Scene) -> np.ndarray:
    """The reference path without its last step: the agent stops next to the goal."""
    return render(sc, walk(sc, sc.path[:-1]))


def leaves_goal(sc: Scene) -> np.ndarray:
    """The reference path, then one step back off the goal."""
    return render(sc, walk(sc, [*sc.path, sc.path[-2]]))


def static(sc: Scene) -> np.ndarray:
    return sample(sc, "static")


def straight_line(sc: Scene) -> np.ndarray:
    """Start to goal in a straight line (the puzzle is chosen so that line crosses walls)."""
    assert segment_crosses_wall(sc, sc.layout.start, sc.layout.goal)
    return sample(sc, "straight-line")


def wandering(sc: Scene) -> np.ndarray:
    """A seeded legal random walk that does not end on the goal."""
    seed = next(s for s in range(100)
                if random_walk(sc.layout, steps=len(sc.path) - 1, seed=s)[-1] != sc.layout.goal)
    return sample(sc, "random-walk", seed=seed)


def pan(sc: Scene) -> np.ndarray:
    """The camera pans progressively, by 1.5 cells right and half a cell down at the end."""
    return camera(oracle(sc), shift=(1.5 * sc.cell_px, 0.5 * sc.cell_px))


def zoom(sc: Scene) -> np.ndarray:
    """The camera zooms in progressively, to 120% at the end."""
    return camera(oracle(sc), zoom=1.2)


@dataclass(frozen=True)
class Negative:
    """An illegal video: how to build it, the event kinds that name what is wrong, where, and on which puzzles.

    Attributes:
        build: draws the frames for a scene (and asserts they really are illegal).
        expected: event kinds, any one of which is the right diagnosis.
        where: the cell that event must name, when there is one.
        scenes: ``(difficulty, skin)`` pairs to build it on.
    """

    build: Callable[[Scene], np.ndarray]
    expected: frozenset[str]
    where: Callable[[Scene], Cell] | None = None
    scenes: tuple[tuple[str, str], ...] = tuple(TWO_SCENES)


def negative(build: Callable[[Scene], np.ndarray], *expected: str, where: Callable[[Scene], Cell] | None = None,
             scenes: Sequence[tuple[str, str]] = TWO_SCENES) -> Negative:
    return Negative(build, frozenset(expected), where, tuple(scenes))


def crossed_wall(sc: Scene) -> Cell:
    return shortcut(sc).wall


MEDIUM = [("medium", "classic")]
NEGATIVES: dict[str, Negative] = {
    "wall-glide": negative(wall_glide, "wall_crossed", where=crossed_wall),
    "wall-jump-between-frames": negative(wall_jump, "wall_crossed", where=crossed_wall),
    "teleport-along-corridor": negative(teleport, "teleport", scenes=MEDIUM),  # easy has no 3-step straight run
    "vanish-mid-path": negative(vanish_mid, "lost"),
    "vanish-at-end": negative(vanish_end, "lost_at_end"),
    "duplicated": negative(duplicate, "duplicated"),
    "wall-erased": negative(wall_erased, "board_changed", where=crossed_wall),
    "floor-redrawn-as-wall": negative(floor_walled, "board_changed", where=off_path_cell),
    "goal-moved": negative(goal_moved, "board_changed", where=lambda sc: sc.layout.goal),
    "stops-one-short": negative(one_short, "goal_not_reached"),
    "leaves-the-goal": negative(leaves_goal, "left_goal"),
    "static": negative(static, "goal_not_reached", scenes=MEDIUM),
    "straight-line": negative(straight_line, "wall_crossed"),
    "random-walk": negative(wandering, "goal_not_reached", scenes=MEDIUM),
    "camera-pans": negative(pan, "camera_moved"),
    "camera-zooms": negative(zoom, "camera_moved", "board_changed"),
}
NEGATIVE_CASES = [pytest.param(name, d, s, id=f"{name}-{d}/{s}")
                  for name, neg in NEGATIVES.items() for d, s in neg.scenes]


def check_negative(name: str, sc: Scene, degrade: Callable[[Video], Video] | None = None) -> None:
    """Build the negative ``name`` on ``sc``, optionally degrade it, and assert the verifier catches it."""
    neg = NEGATIVES[name]
    video = as_video(neg.build(sc))
    assert_caught(sc, encode(degrade(video) if degrade else video), neg.expected,
                  neg.where(sc) if neg.where else None)


@pytest.mark.parametrize(("name", "difficulty", "skin"), NEGATIVE_CASES)
def test_illegal_video_is_caught(name, difficulty, skin):
    check_negative(name, scene(difficulty, skin))


@pytest.mark.parametrize("preset", RESIZES)
@pytest.mark.parametrize("name", ["wall-glide", "wall-jump-between-frames"])
def test_resized_wall_crossing_is_still_caught(name, preset):
    check_negative(name, scene("medium", "forest", seed=3), DEGRADATIONS[preset])
