"""The trapfield verifier on real H.264 videos: the reference passes, every way of cheating fails.

Videos are drawn as the trapfield family draws its own (its empty board, its
agent sprite, :mod:`puzzles.animate` for motion), edited where a test needs
an illegal move, and passed through an MP4 round trip before judging.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from pathlib import Path

import networkx as nx
import numpy as np
import pytest

from genreason.calibrate import calibration_puzzles
from genreason.degrade import DEGRADATIONS
from genreason.plugins import build, load_family, load_verifier
from genreason.types import Puzzle, SampleRequest, Verdict, Video
from genreason.video import read_video, write_mp4
from puzzles.animate import render_glide, timeline
from puzzles.grid import Cell, GridLayout
from puzzles.grid_agent import open_graph
from puzzles.skins import agent_sprite
from puzzles.trapfield import TrapfieldFamily
from verifiers.trapfield import TrapfieldVerifier

FAMILY = TrapfieldFamily()
FPS = 16.0
NUM_FRAMES = 48  # the samplers' videos: short, so the whole file runs in seconds
FRAMES_PER_STEP = 2  # hand-made routes
HOLD = 6


@cache
def puzzle(difficulty: str = "medium", skin: str = "classic", seed: int = 0) -> Puzzle:
    return FAMILY.generate(seed, difficulty, skin, f"trapfield/{difficulty}/{seed:06d}")


def layout_of(p: Puzzle) -> GridLayout:
    return GridLayout.model_validate(p.layout)


def encode(frames: np.ndarray, folder: Path) -> Video:
    """The frames as a model's video would reach us: H.264 in an MP4, read back."""
    return read_video(write_mp4(folder / "video.mp4", Video(frames, FPS)))


def judge(p: Puzzle, frames: np.ndarray, folder: Path) -> Verdict:
    return TrapfieldVerifier().verify(p, encode(frames, folder))


def sample(p: Puzzle, sampler: str) -> np.ndarray:
    """Frames from a built-in sampler, through the plugin registry."""
    (video,) = build("samplers", sampler, {"fps": FPS, "num_frames": NUM_FRAMES}).generate(
        [SampleRequest(puzzle=p, prompt=p.prompt, seed=0)])
    return video.frames


def route(p: Puzzle, cells: Sequence[Cell]) -> np.ndarray:
    """Frames of the family's agent gliding through the centres of ``cells`` over its empty board."""
    grid = layout_of(p)
    look = FAMILY.look(p.skin)
    positions = timeline([grid.cell_center(c) for c in cells], step_px=grid.cell_size,
                         frames_per_step=FRAMES_PER_STEP, hold_frames=HOLD)
    return render_glide(FAMILY.board(grid, look), agent_sprite(look, int(grid.cell_size)), positions)


def reference(p: Puzzle) -> list[Cell]:
    return [(int(r), int(c)) for r, c in p.solution["path"]]


def shortest(p: Puzzle, a: Cell, b: Cell) -> list[Cell]:
    """The shortest route between two cells that never enters a trap."""
    return [(int(r), int(c)) for r, c in nx.shortest_path(open_graph(layout_of(p).cells, blocked="T"), a, b)]


def kinds(verdict: Verdict) -> set[str]:
    return {e.kind for e in verdict.events}


def trap_events(verdict: Verdict) -> list[str]:
    return [e.message for e in verdict.events if e.kind == "trap_crossed"]


def test_registered_as_the_familys_verifier():
    assert load_family("trapfield").verifier == "trapfield"
    verifier = load_verifier("trapfield")
    assert isinstance(verifier, TrapfieldVerifier)
    assert verifier.name == "trapfield" and verifier.blocked_name == "trap"


def test_only_traps_block():
    grid = layout_of(puzzle("hard"))
    blocked = TrapfieldVerifier().blocked(grid)
    assert blocked.shape == (grid.rows, grid.cols)
    assert [[bool(b) for b in row] for row in blocked] == [[ch == "T" for ch in row] for row in grid.cells]


@pytest.mark.parametrize("skin", sorted(FAMILY.skins))
@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_oracle_is_accepted(difficulty, skin, tmp_path):
    p = puzzle(difficulty, skin, seed=1)
    verdict = judge(p, sample(p, "oracle"), tmp_path)
    assert verdict.status == "ok", verdict.reason
    assert verdict.success, [e.message for e in verdict.events]
    assert verdict.path == reference(p) and verdict.metrics["exact_match"] == 1.0


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_static_video_is_rejected(difficulty, tmp_path):
    p = puzzle(difficulty, "lava")
    verdict = judge(p, sample(p, "static"), tmp_path)
    assert verdict.status == "ok" and not verdict.success
    assert kinds(verdict) == {"goal_not_reached"}


@pytest.mark.parametrize(("difficulty", "skin"), [("easy", "classic"), ("medium", "neon"), ("hard", "paper")])
def test_straight_line_is_rejected_where_it_runs_over_a_trap(difficulty, skin, tmp_path):
    p = puzzle(difficulty, skin)
    grid = layout_of(p)
    # The segment really runs well inside a trap (checked here, independently of the generator).
    (r0, c0), (r1, c1) = grid.start, grid.goal
    points = np.linspace((r0 + 0.5, c0 + 0.5), (r1 + 0.5, c1 + 0.5), 2001)
    depth = [min(r % 1, 1 - r % 1, c % 1, 1 - c % 1) for r, c in points if grid.code((int(r), int(c))) == "T"]
    assert max(depth, default=0.0) >= 0.35

    verdict = judge(p, sample(p, "straight-line"), tmp_path)
    assert not verdict.success and trap_events(verdict)
    assert verdict.metrics["sr"] == 1.0  # VR-Bench's own success ignores traps


def _trap_beside_path(p: Puzzle) -> tuple[int, Cell, Cell]:
    """The first reference-path cell with a trap beside it and open floor beyond that trap:
    (its index on the path, the trap, the cell beyond)."""
    grid = layout_of(p)
    for i, (r, c) in enumerate(reference(p)):
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            trap, beyond = (r + dr, c + dc), (r + 2 * dr, c + 2 * dc)
            if grid.inside(beyond) and grid.code(trap) == "T" and grid.code(beyond) == ".":
                return i, trap, beyond
    raise AssertionError(f"{p.id}: no trap with floor beyond it next to the reference path")


@pytest.mark.parametrize("difficulty", ["medium", "hard"])
def test_stepping_onto_a_trap_and_back_is_rejected(difficulty, tmp_path):
    p = puzzle(difficulty, "classic", seed=2)
    path = reference(p)
    i, trap, _ = _trap_beside_path(p)
    detour = [*path[:i + 1], trap, *path[i:]]
    verdict = judge(p, route(p, detour), tmp_path)
    assert not verdict.success
    assert kinds(verdict) == {"trap_crossed"}  # the goal is still reached and held
    assert any(str(trap) in message for message in trap_events(verdict))


@pytest.mark.parametrize("difficulty", ["medium", "hard"])
def test_walking_through_a_trap_is_rejected(difficulty, tmp_path):
    p = puzzle(difficulty, "paper", seed=3)
    path = reference(p)
    i, trap, beyond = _trap_beside_path(p)
    assert nx.has_path(open_graph(layout_of(p).cells, blocked="T"), beyond, layout_of(p).goal)
    through = [*path[:i + 1], trap, *shortest(p, beyond, layout_of(p).goal)]
    verdict = judge(p, route(p, through), tmp_path)
    assert not verdict.success and kinds(verdict) == {"trap_crossed"}
    assert any(str(trap) in message for message in trap_events(verdict))


def test_stopping_one_cell_short_is_rejected(tmp_path):
    p = puzzle("hard", "neon", seed=4)
    verdict = judge(p, route(p, reference(p)[:-1]), tmp_path)
    assert not verdict.success and kinds(verdict) == {"goal_not_reached"}


def test_a_teleport_is_rejected(tmp_path):
    p = puzzle("hard", "lava", seed=5)
    frames = route(p, reference(p))
    cut = 4 * FRAMES_PER_STEP  # skip four cells of the walk between two frames
    start = 2 * FRAMES_PER_STEP
    verdict = judge(p, np.concatenate([frames[:start], frames[start + cut:]]), tmp_path)
    assert not verdict.success and "teleport" in kinds(verdict)


def test_a_trap_erased_during_the_video_is_rejected(tmp_path):
    p = puzzle("medium", "classic", seed=6)
    grid = layout_of(p)
    frames = sample(p, "oracle").copy()
    trap = next((r, c) for r, row in enumerate(grid.cells) for c, ch in enumerate(row)
                if ch == "T" and (r, c) not in reference(p))
    x0, y0, x1, y1 = (int(v) for v in grid.cell_box(trap))
    frames[10:, y0:y1, x0:x1] = FAMILY.look(p.skin).floor
    verdict = judge(p, frames, tmp_path)
    assert not verdict.success and "board_changed" in kinds(verdict)


@pytest.mark.parametrize("change", ["trap missing", "trap added"])
def test_a_first_frame_with_the_wrong_traps_is_rejected(change, tmp_path):
    p = puzzle("medium", "classic", seed=6)
    grid = layout_of(p)
    look = FAMILY.look(p.skin)
    code, colour = ("T", look.floor) if change == "trap missing" else (".", look.trap)
    cell = next((r, c) for r, row in enumerate(grid.cells) for c, ch in enumerate(row)
                if ch == code and (r, c) not in reference(p) and (r, c) != grid.goal)
    frames = sample(p, "oracle").copy()
    x0, y0, x1, y1 = (int(v) for v in grid.cell_box(cell))
    frames[:, y0:y1, x0:x1] = colour  # from the very first frame on: nothing changes during the video
    verdict = judge(p, frames, tmp_path)
    assert verdict.status == "ok"
    assert not verdict.success


def _pinch(p: Puzzle) -> tuple[Cell, Cell] | None:
    """Two open cells, both reachable, touching only at a corner where two traps meet diagonally."""
    grid = layout_of(p)
    reachable = nx.node_connected_component(open_graph(grid.cells, blocked="T"), grid.start)
    for r in range(grid.rows - 1):
        for c in range(grid.cols - 1):
            for a, b, x, y in (((r, c), (r + 1, c + 1), (r, c + 1), (r + 1, c)),
                               ((r, c + 1), (r + 1, c), (r, c), (r + 1, c + 1))):
                if a in reachable and b in reachable and grid.code(x) == grid.code(y) == "T":
                    return a, b
    return None


def test_squeezing_diagonally_between_two_traps_is_rejected(tmp_path):
    p = next(q for seed in range(50) if _pinch(q := puzzle("medium", "classic", seed)) is not None)
    a, b = _pinch(p)  # type: ignore[misc]
    grid = layout_of(p)
    squeeze = [*shortest(p, grid.start, a), *shortest(p, b, grid.goal)]
    verdict = judge(p, route(p, squeeze), tmp_path)
    assert verdict.status == "ok"
    assert not verdict.success
    assert any(e.kind == "trap_crossed" and "diagonally" in e.message for e in verdict.events)


def test_a_goal_drawn_anew_is_judged_by_the_board_even_where_it_looks_like_the_agent(tmp_path):
    """``calibrate --n 3 --seed 2200``'s hard trap field, ``goal-moved`` stretched to 832x480: the goal drawn anew at
    (3, 9) looked agent-like but too small for a copy, and its pixels were taken as the agent's, so the board check
    left its cell out: accepted. Only the agent, what lies near it and copies hide board cells now."""
    p = calibration_puzzles("trapfield", 3, seed=2200)[2]
    made = {c.name: c for c in FAMILY.calibration_cases(p, seed=2200)}["goal-moved"]
    video = DEGRADATIONS["resize-832x480"](Video(made.frames, made.fps))
    verdict = TrapfieldVerifier().verify(p, read_video(write_mp4(tmp_path / "video.mp4", video, preset="veryfast")))
    assert not verdict.success
    assert any(e.kind == "board_changed" and "(3, 9)" in e.message for e in verdict.events), verdict.events


def test_a_darker_agent_is_seen_on_a_goal_of_similar_hue(tmp_path):
    """Hard seed 3205 (lava): the sky-blue agent 15% darker over the purple goal differs from it by less than
    the threshold at the star's rim; what is left above it is a plus of 5 pixels, under the share of the agent's
    area a blob must cover once opened, and the agent was lost at the end. Searched again unopened, it is seen."""
    p = FAMILY.generate(3205, "hard", "lava", "trapfield/hard/003205")
    cases = {c.name: c for c in FAMILY.calibration_cases(p, 3200, restyle="shaded")}
    verdict = judge(p, cases["oracle"].frames, tmp_path)
    assert verdict.success, [e.message for e in verdict.events]
    assert verdict.trajectory[-1] is not None
    assert not judge(p, cases["vanish-at-end"].frames, tmp_path).success
