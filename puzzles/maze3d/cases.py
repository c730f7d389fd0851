"""Labelled videos of a 3D maze: the reference solution and near-misses that each break one rule.

Drawn the way the family draws its own videos (its board, its agent sprite,
:mod:`puzzles.animate` for motion), then edited. A negative that cannot be
built on a puzzle (no cliff beside the route, no gap to jump) is left out
rather than faked. Verifier tests and ``genreason calibrate`` use these.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from genreason.types import Puzzle
from puzzles.animate import render_glide, timeline
from puzzles.maze3d import draw
from puzzles.maze3d.family import Maze3DFamily, random_route
from puzzles.maze3d.layout import Cell, Maze3DLayout, Point, place_labels
from puzzles.negatives import Case, camera
from puzzles.skins import Sprite

FPS = 16.0
HOLD = 6
FRAMES_PER_STEP = {"easy": 3}
DEFAULT_FRAMES_PER_STEP = 2
STATIC_FRAMES = 41
VANISH_FRAMES = 10
DUPLICATE_FRAMES = 6
REST_STEPS = 2  # steps' worth of frames the agent rests where it should not be
FOUR = ((1, 0), (-1, 0), (0, 1), (0, -1))


@dataclass(frozen=True, eq=False)
class Scene:
    """A 3D maze puzzle and what its family draws it with."""

    puzzle: Puzzle
    layout: Maze3DLayout
    look: draw.Skin3D
    board: np.ndarray
    sprite: Sprite
    pace: int
    hold: int = HOLD
    fps: float = FPS

    @property
    def route(self) -> list[Cell]:
        return [(int(x), int(y)) for x, y in self.puzzle.solution["path"]]


def make_scene(puzzle: Puzzle, frames_per_step: int | None = None) -> Scene:
    layout = Maze3DLayout.model_validate(puzzle.layout)
    look = draw.get_skin(puzzle.skin)
    board = draw.board(layout, look, puzzle.width, puzzle.height)
    pace = frames_per_step or FRAMES_PER_STEP.get(puzzle.difficulty, DEFAULT_FRAMES_PER_STEP)
    return Scene(puzzle, layout, look, board, draw.agent_sprite(look, layout), pace)


def glide(sc: Scene, points: list[Point], hold: int | None = None) -> np.ndarray:
    """Agent centres (T x 2) at constant speed through image ``points``."""
    return timeline(points, step_px=sc.layout.step_px, frames_per_step=sc.pace,
                    hold_frames=sc.hold if hold is None else hold)


def render(sc: Scene, positions: np.ndarray, board: np.ndarray | None = None) -> np.ndarray:
    return render_glide(sc.board if board is None else board, sc.sprite, positions)


def points_of(sc: Scene, cells: list[Cell]) -> list[Point]:
    return sc.layout.route_points(cells)


def oracle(sc: Scene) -> np.ndarray:
    return render(sc, glide(sc, points_of(sc, sc.route)))


def detour(sc: Scene, i: int, stop: Point, *, jump: bool = False) -> np.ndarray:
    """The route to its ``i``-th cell, a move to image point ``stop`` and a rest there, back, then on to the goal.

    With ``jump`` the move there and back happens between two frames.
    """
    before = points_of(sc, sc.route[:i + 1])
    after = points_of(sc, sc.route[i:])
    rest = REST_STEPS * sc.pace
    if jump:
        there = glide(sc, before, hold=0)
        at = np.repeat(np.array([stop]), rest, axis=0)
        back = glide(sc, after)
        return render(sc, np.concatenate([there, at, back]))
    there = glide(sc, [*before, stop], hold=rest)
    back = glide(sc, [stop, *after])
    return render(sc, np.concatenate([there, back[1:]]))


def cliff(sc: Scene) -> tuple[int, Cell] | None:
    """A route cell and a 4-adjacent column of another level with no ladder between them."""
    lay = sc.layout
    ladders = {frozenset((lad.low, lad.high)) for lad in lay.ladders}
    for i, (x, y) in enumerate(sc.route[:-1]):
        for dx, dy in FOUR:
            n = (x + dx, y + dy)
            if lay.height(n) > 0 and lay.height(n) != lay.height((x, y)) and frozenset(((x, y), n)) not in ladders:
                return i, n
    return None


def gap(sc: Scene) -> tuple[int, Cell] | None:
    """A route cell and a column two cells away in a line, with no column (or a taller one) between them,
    that no two legal moves reach: a ladder up the taller column between makes the detour a legal climb
    and walk (easy seed 300: the negative was accepted, rightly)."""
    lay = sc.layout
    for i, (x, y) in enumerate(sc.route[:-1]):
        for dx, dy in FOUR:
            mid, far = (x + dx, y + dy), (x + 2 * dx, y + 2 * dy)
            if lay.height(far) > 0 and (lay.height(mid) == 0 or lay.height(mid) > lay.height((x, y))) \
                    and far not in sc.route and lay.places.cell_graph_distances((x, y)).get(far, 3) > 2:
                return i, far
    return None


def into_air(sc: Scene) -> tuple[int, Point] | None:
    """A route cell and the point above a neighbouring gap, at the cell's level, far from every walkable face."""
    lay = sc.layout
    labels = place_labels(lay, (sc.puzzle.height, sc.puzzle.width))
    free = cv2.distanceTransform((labels == 0).astype(np.uint8), cv2.DIST_L2, 5)
    a = draw.half_width(lay)
    best: tuple[float, int, Point] | None = None
    for i, (x, y) in enumerate(sc.route[:-1]):
        for dx, dy in FOUR:
            if lay.height((x + dx, y + dy)) != 0:
                continue
            # A step and a third out over the gap, at the level the agent walked off.
            px, py = lay.project(x + 0.5 + 1.3 * dx, y + 0.5 + 1.3 * dy, lay.height((x, y)))
            if 0 <= px < free.shape[1] and 0 <= py < free.shape[0]:
                clear = float(free[int(py), int(px)])
                if clear > 0.5 * a and (best is None or clear > best[0]):
                    best = (clear, i, (px, py))
    return None if best is None else (best[1], best[2])


def cliff_glide(sc: Scene) -> np.ndarray | None:
    found = cliff(sc)
    return None if found is None else detour(sc, found[0], sc.layout.top_centre(found[1]))


def cliff_jump(sc: Scene) -> np.ndarray | None:
    found = cliff(sc)
    return None if found is None else detour(sc, found[0], sc.layout.top_centre(found[1]), jump=True)


def gap_jump(sc: Scene) -> np.ndarray | None:
    found = gap(sc)
    return None if found is None else detour(sc, found[0], sc.layout.top_centre(found[1]))


def walk_off(sc: Scene) -> np.ndarray | None:
    found = into_air(sc)
    return None if found is None else detour(sc, found[0], found[1])


def teleport(sc: Scene) -> np.ndarray:
    """Frames cut from the reference walk so the agent jumps at least three steps at once."""
    positions = glide(sc, points_of(sc, sc.route))
    step = sc.layout.step_px
    for t in range(1, len(positions)):
        later = np.flatnonzero(np.hypot(*(positions[t:] - positions[t]).T) >= 3.2 * step)
        if len(later):
            cut = np.arange(t + 1, t + int(later[0]))
            return render(sc, np.delete(positions, cut, axis=0))
    return render(sc, positions)


def paint_out(sc: Scene, frames: np.ndarray, span: range) -> np.ndarray:
    out = frames.copy()
    out[span.start:span.stop] = sc.board
    return out


def duplicate(sc: Scene) -> np.ndarray:
    frames = oracle(sc)
    t = len(frames) // 3
    far = max(sc.layout.cells, key=lambda c: (np.hypot(*np.subtract(sc.layout.top_centre(c), sc.layout.top_centre(sc.route[0]))), c))
    out = frames.copy()
    for frame in out[t:t + DUPLICATE_FRAMES]:
        sc.sprite.paste(frame, sc.layout.top_centre(far))
    return out


def board_from_half(sc: Scene, board: np.ndarray) -> np.ndarray:
    positions = glide(sc, points_of(sc, sc.route))
    half = len(positions) // 2
    return np.concatenate([render(sc, positions)[:half], render(sc, positions, board)[half:]])


def ladder_erased(sc: Scene) -> np.ndarray | None:
    """The last ladder the route climbs disappears half-way through (the agent still uses it)."""
    pairs = {frozenset(e) for e in zip(sc.route, sc.route[1:], strict=False)}
    used = [lad for lad in sc.layout.ladders if frozenset((lad.low, lad.high)) in pairs]
    if not used:
        return None
    rest = [lad for lad in sc.layout.ladders if lad != used[-1]]
    layout = sc.layout.model_copy(update={"ladders": rest})
    return board_from_half(sc, draw.board(layout, sc.look, sc.puzzle.width, sc.puzzle.height))


def goal_moved(sc: Scene) -> np.ndarray | None:
    """Half-way through, the goal marker is drawn on another block (the agent still walks to the old one)."""
    others = [c for c in sc.layout.cells if c not in sc.route]
    if not others:
        return None
    layout = sc.layout.model_copy(update={"goal": others[len(others) // 2]})
    return board_from_half(sc, draw.board(layout, sc.look, sc.puzzle.width, sc.puzzle.height))


def calibration_cases(puzzle: Puzzle, seed: int = 0) -> list[Case]:
    """The reference solution (legal) and every near-miss that can be built on ``puzzle`` (illegal)."""
    sc = make_scene(puzzle)
    family = Maze3DFamily()
    cases = [Case("oracle", oracle(sc), sc.fps, legal=True)]

    def add(name: str, frames: np.ndarray | None, *, single_frame: bool = False) -> None:
        if frames is not None:
            cases.append(Case(name, frames, sc.fps, legal=False, single_frame=single_frame))

    def motion(name: str, s: int = 0) -> np.ndarray:
        return family.animate(puzzle, name, seed=s, frames_per_step=sc.pace, hold_frames=sc.hold, num_frames=None)

    add("cliff-glide", cliff_glide(sc))
    add("cliff-jump-between-frames", cliff_jump(sc), single_frame=True)
    add("gap-or-column-crossed", gap_jump(sc))
    add("walks-off-into-the-air", walk_off(sc))
    add("teleport", teleport(sc), single_frame=True)
    frames = oracle(sc)
    t = len(frames) // 3
    add("vanish-mid-path", paint_out(sc, frames, range(t, t + VANISH_FRAMES)))
    add("vanish-at-end", paint_out(sc, frames, range(len(frames) - 8, len(frames))))
    add("duplicated", duplicate(sc))
    add("ladder-erased", ladder_erased(sc))
    add("goal-moved", goal_moved(sc))
    add("stops-one-short", render(sc, glide(sc, points_of(sc, sc.route[:-1]))))
    add("leaves-the-goal", render(sc, glide(sc, points_of(sc, [*sc.route, sc.route[-2]]))))
    add("static", np.repeat(puzzle.frame0()[None], STATIC_FRAMES, axis=0))
    add("straight-line", motion("straight-line"))
    walk_seed = next((s for s in range(seed, seed + 100)
                      if random_route(sc.layout, len(sc.route) - 1, s)[-1] != sc.layout.goal), None)
    if walk_seed is not None:
        add("random-walk", motion("random-walk", walk_seed))
    add("camera-pans", camera(frames, shift=(1.5 * sc.layout.step_px, 0.5 * sc.layout.step_px)))
    add("camera-zooms", camera(frames, zoom=1.2))
    return cases
