"""Labelled videos of an irregular maze: the reference solution and near-misses that break one rule each.

Drawn the way the family draws its own videos (its board, its agent sprite,
:mod:`puzzles.animate` for motion), then edited: a shortcut across the ground,
frames cut, a sprite drawn twice, a road erased or added, the camera moved.
``genreason calibrate`` and the verifier tests build their hard negatives
here. A negative that cannot be built on a puzzle is left out, not faked.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise
from typing import TYPE_CHECKING

import numpy as np

from genreason.types import Puzzle
from puzzles.animate import render_glide, timeline
from puzzles.irregular.draw import RoadSkin, agent_sprite, board, get_skin
from puzzles.irregular.layout import RoadLayout, sample_curve
from puzzles.negatives import Case, camera, splice
from puzzles.skins import Sprite

if TYPE_CHECKING:
    from puzzles.irregular.family import IrregularFamily

FPS = 16.0
HOLD = 6
FRAMES_PER_STEP = 3  # frames per animation step (two road widths): 2/3 of a road width a frame
STATIC_FRAMES = 41
VANISH_FRAMES = 10
DUPLICATE_FRAMES = 6
OFF_ROAD_REST_STEPS = 2  # steps' worth of frames the agent rests off the road before coming back
OFF_ROAD_REACH = 1.6  # road widths from the centre line the agent strays to (the surface ends at 0.5)
TELEPORT_WIDTHS = 8.0  # road widths a teleport skips
SHORTCUT_OFF = 1.0  # road widths beyond the surface a shortcut must cross


@dataclass(frozen=True, eq=False)
class Scene:
    """An irregular maze puzzle and the pieces its family draws it with."""

    puzzle: Puzzle
    layout: RoadLayout
    look: RoadSkin
    board: np.ndarray
    sprite: Sprite
    frames_per_step: int
    hold: int = HOLD
    fps: float = FPS

    @property
    def route(self) -> list[int]:
        return [int(v) for v in self.puzzle.solution["nodes"]]

    @property
    def width(self) -> float:
        return self.layout.road_width

    def node(self, i: int) -> np.ndarray:
        return np.asarray(self.layout.nodes[i], dtype=float)

    def walk(self, points: np.ndarray, *, hold: int | None = None) -> np.ndarray:
        """Agent centres (T x 2) gliding through ``points`` at the scene's pace."""
        from puzzles.irregular.family import STEP_WIDTHS

        return timeline([tuple(p) for p in points], step_px=STEP_WIDTHS * self.width,
                        frames_per_step=self.frames_per_step, hold_frames=self.hold if hold is None else hold)

    def render(self, positions: np.ndarray, *, on: np.ndarray | None = None) -> np.ndarray:
        return render_glide(self.board if on is None else on, self.sprite, positions)

    def redrawn(self, layout: RoadLayout) -> np.ndarray:
        """The empty board of another layout drawn with this puzzle's skin and texture."""
        return board(layout, self.look, (self.puzzle.width, self.puzzle.height), self.puzzle.seed)


def make_scene(puzzle: Puzzle) -> Scene:
    layout = RoadLayout.model_validate(puzzle.layout)
    look = get_skin(puzzle.skin)
    empty = board(layout, look, (puzzle.width, puzzle.height), puzzle.seed)
    empty.flags.writeable = False
    return Scene(puzzle, layout, look, empty, agent_sprite(look, layout.road_width), FRAMES_PER_STEP)


def off_road_depth(sc: Scene, points: np.ndarray) -> np.ndarray:
    """How far (road widths) each point lies beyond the road surface (negative on it)."""
    dense = np.concatenate([sample_curve(c, 1.0) for c in sc.layout.curves])
    d = np.sqrt(((points[:, None, :] - dense[None, :, :]) ** 2).sum(-1)).min(axis=1)
    return d / sc.width - 0.5


def shortcut(sc: Scene) -> tuple[int, int] | None:
    """Indices (i, j) on the route of two nodes not joined by a road, whose straight line crosses the ground.

    The pair that skips the most of the route wins; None when there is none.
    """
    graph = sc.layout.graph()
    route = sc.route
    best: tuple[int, int] | None = None
    for i in range(len(route)):
        for j in range(i + 2, len(route)):
            if graph.has_edge(route[i], route[j]):
                continue
            line = sample_curve(np.stack([sc.node(route[i]), sc.node(route[j])]), 2.0)
            if off_road_depth(sc, line).max() <= SHORTCUT_OFF:
                continue
            if best is None or j - i > best[1] - best[0]:
                best = (i, j)
    return best


def oracle(sc: Scene) -> np.ndarray:
    return sc.render(sc.walk(sc.layout.route(sc.route)))


def shortcut_glide(sc: Scene) -> np.ndarray | None:
    """The route up to a node, straight across the ground to a later route node, then on to the goal."""
    found = shortcut(sc)
    if found is None:
        return None
    i, j = found
    points = np.concatenate([sc.layout.route(sc.route[:i + 1]), sc.layout.route(sc.route[j:])])
    return sc.render(sc.walk(points))


def shortcut_jump(sc: Scene) -> np.ndarray | None:
    """The same shortcut taken between two frames: at node i in one frame, at node j in the next."""
    found = shortcut(sc)
    if found is None:
        return None
    i, j = found
    before = sc.walk(sc.layout.route(sc.route[:i + 1]), hold=0)
    after = sc.walk(sc.layout.route(sc.route[j:]))
    return sc.render(np.concatenate([before, after]))


def off_road_and_back(sc: Scene) -> np.ndarray | None:
    """Half-way along a route road, the agent drives off it onto the ground, rests there and comes back."""
    route = sc.route
    for k in range(len(route) - 1):
        curve = sc.layout.curve(route[k], route[k + 1])
        mid = len(curve) // 2
        tangent = curve[min(mid + 1, len(curve) - 1)] - curve[max(mid - 1, 0)]
        normal = np.array([-tangent[1], tangent[0]]) / max(1e-9, float(np.hypot(*tangent)))
        for side in (1.0, -1.0):
            out = curve[mid] + side * normal * OFF_ROAD_REACH * sc.width
            if not (0 <= out[0] < sc.puzzle.width and 0 <= out[1] < sc.puzzle.height):
                continue
            if off_road_depth(sc, out[None])[0] < OFF_ROAD_REACH - 0.5 - 0.05:
                continue  # another road is nearer than the one we leave
            there = np.concatenate([sc.layout.route(route[:k + 1]), curve[1:mid + 1], out[None]])
            back = np.concatenate([out[None], curve[mid:], sc.layout.route(route[k + 1:])[1:]])
            go = sc.walk(there, hold=OFF_ROAD_REST_STEPS * sc.frames_per_step)
            return sc.render(np.concatenate([go, sc.walk(back)[1:]]))
    return None


def teleport(sc: Scene) -> np.ndarray:
    """Frames cut from the reference walk so the agent jumps :data:`TELEPORT_WIDTHS` road widths along it."""
    positions = sc.walk(sc.layout.route(sc.route))
    i = len(positions) // 4
    far = np.linalg.norm(positions - positions[i], axis=1) >= TELEPORT_WIDTHS * sc.width
    j = int(np.argmax(far[i:])) + i if far[i:].any() else len(positions) - 1
    return sc.render(np.concatenate([positions[:i + 1], positions[j:]]))


def vanish(sc: Scene, start: int, count: int) -> np.ndarray:
    frames = oracle(sc)
    frames[start:start + count] = sc.board
    return frames


def duplicate(sc: Scene) -> np.ndarray | None:
    """A second agent on the node farthest from the route for :data:`DUPLICATE_FRAMES` frames."""
    on_route = set(sc.route)
    others = [i for i in range(len(sc.layout.nodes)) if i not in on_route]
    if not others:
        return None
    line = sc.layout.route(sc.route)
    at = max(others, key=lambda i: (float(np.linalg.norm(line - sc.node(i), axis=1).min()), -i))
    frames = oracle(sc)
    t = len(frames) // 3
    for frame in frames[t:t + DUPLICATE_FRAMES]:
        sc.sprite.paste(frame, tuple(sc.node(at)))
    return frames


def board_from_half(sc: Scene, other: np.ndarray) -> np.ndarray:
    """The reference walk over the board, then over ``other`` from the middle frame on."""
    positions = sc.walk(sc.layout.route(sc.route))
    return splice(sc.render(positions), sc.render(positions, on=other), len(positions) // 2)


def road_erased(sc: Scene) -> np.ndarray | None:
    """Half-way through, a road off the route disappears (painted over as ground)."""
    on_route = {frozenset(p) for p in pairwise(sc.route)}
    keep = [k for k, e in enumerate(sc.layout.edges) if frozenset(e) not in on_route]
    if not keep:
        return None
    gone = keep[-1]
    layout = sc.layout.model_copy(update={
        "edges": [e for k, e in enumerate(sc.layout.edges) if k != gone],
        "curves": [c for k, c in enumerate(sc.layout.curves) if k != gone]})
    return board_from_half(sc, sc.redrawn(layout))


def road_drawn(sc: Scene) -> np.ndarray | None:
    """Half-way through, a new road appears across the ground (the shortcut's line)."""
    found = shortcut(sc)
    if found is None:
        return None
    a, b = sc.route[found[0]], sc.route[found[1]]
    line = [tuple(map(float, p)) for p in sample_curve(np.stack([sc.node(a), sc.node(b)]), 2.0)]
    layout = sc.layout.model_copy(update={"edges": [*sc.layout.edges, (a, b)],
                                          "curves": [*sc.layout.curves, line]})
    return board_from_half(sc, sc.redrawn(layout))


def goal_moved(sc: Scene) -> np.ndarray | None:
    """Half-way through, the goal is drawn on the node farthest from it instead."""
    goal = sc.node(sc.layout.goal)
    to = max(range(len(sc.layout.nodes)), key=lambda i: (float(np.linalg.norm(sc.node(i) - goal)), -i))
    if to == sc.layout.goal:
        return None
    return board_from_half(sc, sc.redrawn(sc.layout.model_copy(update={"goal": to})))


def calibration_cases(family: IrregularFamily, puzzle: Puzzle, seed: int = 0) -> list[Case]:
    """The reference solution (legal) and every near-miss that can be built on ``puzzle`` (illegal)."""
    from puzzles.irregular.family import random_drive

    sc = make_scene(puzzle)
    cases = [Case("oracle", oracle(sc), sc.fps, legal=True)]

    def add(name: str, frames: np.ndarray | None, *, single_frame: bool = False) -> None:
        if frames is not None:
            cases.append(Case(name, frames, sc.fps, legal=False, single_frame=single_frame))

    add("shortcut-across-ground", shortcut_glide(sc))
    add("shortcut-between-frames", shortcut_jump(sc), single_frame=True)
    add("off-road-and-back", off_road_and_back(sc))
    add("teleport-along-road", teleport(sc), single_frame=True)
    n = len(oracle(sc))
    add("vanish-mid-path", vanish(sc, n // 3, VANISH_FRAMES))
    add("vanish-at-end", vanish(sc, n - 8, 8))
    add("duplicated", duplicate(sc))
    add("road-erased", road_erased(sc))
    add("road-drawn-across-ground", road_drawn(sc))
    add("goal-moved", goal_moved(sc))
    add("stops-one-short", sc.render(sc.walk(sc.layout.route(sc.route[:-1]))))
    arrive = sc.walk(sc.layout.route(sc.route))
    add("leaves-the-goal", sc.render(np.concatenate([arrive, sc.walk(sc.layout.route(sc.route[-1:-3:-1]))[1:]])))
    add("static", np.repeat(puzzle.frame0()[None], STATIC_FRAMES, axis=0))
    add("straight-line", family.animate(puzzle, "straight-line", seed=0, frames_per_step=sc.frames_per_step,
                                        hold_frames=sc.hold, num_frames=None))
    walk_seed = next((s for s in range(seed, seed + 100)
                      if random_drive(sc.layout, steps=len(sc.route) - 1, seed=s)[-1] != sc.layout.goal), None)
    if walk_seed is not None:
        add("random-walk", family.animate(puzzle, "random-walk", seed=walk_seed,
                                          frames_per_step=sc.frames_per_step, hold_frames=sc.hold, num_frames=None))
    add("camera-pans", camera(oracle(sc), shift=(1.5 * sc.width, 0.5 * sc.width)))
    add("camera-zooms", camera(oracle(sc), zoom=1.2))
    return cases


__all__ = ["Scene", "calibration_cases", "make_scene", "off_road_depth", "shortcut"]
