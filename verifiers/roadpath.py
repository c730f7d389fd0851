"""Judge a tracked trajectory over a road network: on the road, no teleport, goal reached and held.

Distances are in road widths, so the rules do not depend on the resolution.
The agent's centre must stay within ``tolerance`` road widths of the road
surface (the road mask dilated by that much). A sighting beyond it counts only
when the departure persists for ``persist`` sightings in a row (a single noisy
frame is not a crash, and is set aside); but between consecutive kept
sightings the agent is assumed to have moved in a straight line (the most
charitable motion that fits both frames) and that chord must stay within the
tolerance too, so a fast shortcut across open ground between two frames is
caught. Because the family keeps roads that share no node
:data:`puzzles.irregular.network.SEPARATION` road widths apart, staying on the
surface means travelling along the roads.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cached_property

import networkx as nx
import numpy as np

from genreason.types import Event
from puzzles.irregular.layout import RoadLayout

Point = tuple[float, float]
STEP = 0.1  # road widths between samples along a chord


@dataclass(frozen=True)
class RoadRules:
    """Tolerances of :func:`analyse`, in road widths and frames."""

    tolerance: float = 0.25  # how far outside the road surface the centre may be
    persist: int = 2  # sightings in a row off the road before a departure counts
    max_jump: float = 4.0  # road widths the agent may move between consecutive frames
    max_lost: int = 3  # frames the agent may go unseen
    max_duplicated: int = 1  # frames the agent may appear twice (a codec ghost)
    goal_enter: float = 0.5  # road widths from the goal node at which the goal is reached
    goal_leave: float = 1.0  # road widths from the goal node beyond which a reached goal is left


@dataclass
class RoadField:
    """How far each canonical pixel lies outside the road surface, in road widths (negative on the road)."""

    off: np.ndarray  # H x W float32, ``zoom`` pixels per canonical pixel
    width_px: float  # canonical pixels per road width
    zoom: int = 1  # raster pixels per canonical pixel

    @cached_property
    def _far(self) -> float:
        """The depth of points outside the raster: beyond every pixel's (asked for every sighting and chord)."""
        return float(self.off.max()) + 1.0

    def at(self, points: np.ndarray) -> np.ndarray:
        """Off-road depth at canonical (u, v) points (N x 2); points outside the raster count as far off."""
        idx = np.floor(np.asarray(points) * self.zoom).astype(int)
        h, w = self.off.shape
        inside = (idx[:, 0] >= 0) & (idx[:, 0] < w) & (idx[:, 1] >= 0) & (idx[:, 1] < h)
        out = np.full(len(points), self._far, dtype=np.float64)
        out[inside] = self.off[idx[inside, 1], idx[inside, 0]]
        return out


@dataclass
class RoadResult:
    """What :func:`analyse` found."""

    events: list[Event] = field(default_factory=list)
    legal: bool = True
    reached_frame: int | None = None
    ended_on_goal: bool = False
    off_road_fraction: float = 0.0
    max_off_road: float = 0.0  # road widths beyond the surface, sightings and chords
    kept: list[Point | None] = field(default_factory=list)  # positions with noisy off-road sightings removed


def analyse(positions: list[Point | None], frames: list[int], duplicated: list[bool], road: RoadField,
            goal: Point, rules: RoadRules) -> RoadResult:
    """Judge a trajectory. ``positions[i]`` (canonical pixels) is the agent at video frame ``frames[i]``."""
    result = RoadResult()
    w = road.width_px

    def fail(i: int, kind: str, message: str) -> None:
        result.legal = False
        result.events.append(Event(frame=frames[i], kind=kind, message=f"frame {frames[i]}: {message}"))

    # 1. Copies of the agent.
    run = 0
    for i, dup in enumerate(duplicated):
        run = run + 1 if dup else 0
        if run == rules.max_duplicated + 1:
            fail(i - rules.max_duplicated, "duplicated", "the agent appears more than once")

    # 2. Where each sighting stands; departures that persist are violations, lone ones are noise.
    seen = [i for i, p in enumerate(positions) if p is not None]
    depth = dict(zip(seen, road.at(np.array([positions[i] for i in seen], dtype=float).reshape(-1, 2)).tolist()))
    off = {i for i in seen if depth[i] > rules.tolerance}
    result.off_road_fraction = len(off) / max(1, len(seen))
    kept = list(positions)
    k = 0
    while k < len(seen):
        if seen[k] not in off:
            k += 1
            continue
        end = k
        while end + 1 < len(seen) and seen[end + 1] in off and seen[end + 1] - seen[end] <= rules.max_lost + 1:
            end += 1
        stretch = seen[k:end + 1]
        if len(stretch) >= rules.persist:
            deepest = max(stretch, key=lambda i: depth[i])
            result.max_off_road = max(result.max_off_road, depth[deepest])
            fail(stretch[0], "off_road", f"the agent left the road for {len(stretch)} frames, up to "
                 f"{depth[deepest]:.2f} road widths beyond its edge (frame {frames[deepest]})")
        else:
            for i in stretch:
                kept[i] = None
        k = end + 1
    result.max_off_road = max([result.max_off_road, *[max(0.0, depth[i]) for i in seen if kept[i] is not None]])

    # 3. Between kept sightings: speed, and the chord over open ground.
    previous: int | None = None
    lost_since: int | None = None
    for i, pos in enumerate(kept):
        if pos is None:
            if positions[i] is None:
                lost_since = i if lost_since is None else lost_since
            continue
        if lost_since is not None:
            gap = i - lost_since
            lost_since = None
            if gap > rules.max_lost:
                fail(i - gap, "lost", f"the agent vanished for {gap} frames")
                previous = i  # where it went meanwhile is unknown: judge no line across the gap
                continue
        if previous is not None:
            prev = kept[previous]
            assert prev is not None
            steps = i - previous
            jump = float(np.hypot(pos[0] - prev[0], pos[1] - prev[1])) / w
            if jump > rules.max_jump * steps:
                fail(i, "teleport", f"the agent jumped {jump:.1f} road widths in {steps} "
                     f"frame{'s' if steps > 1 else ''}")
            if previous not in off and i not in off:
                n = max(2, int(np.ceil(jump / STEP)) + 1)
                chord = road.at(np.linspace(prev, pos, n))
                deepest = float(chord.max())
                result.max_off_road = max(result.max_off_road, deepest)
                if deepest > rules.tolerance:
                    fail(i, "off_road_between_frames", f"between frames {frames[previous]} and {frames[i]} the "
                         f"agent cut across {deepest:.2f} road widths beyond the road's edge")
        previous = i
    if lost_since is not None:
        fail(lost_since, "lost_at_end", "the agent is not visible at the end of the video")

    # 4. The goal: reached, then held to the end.
    on_goal = False
    for i, pos in enumerate(kept):
        if pos is None:
            continue
        d = float(np.hypot(pos[0] - goal[0], pos[1] - goal[1])) / w
        if not on_goal and d <= rules.goal_enter:
            on_goal = True
            result.reached_frame = frames[i] if result.reached_frame is None else result.reached_frame
        elif on_goal and d > rules.goal_leave:
            on_goal = False
            fail(i, "left_goal", f"the agent left the goal it had reached at frame {result.reached_frame}")
    result.ended_on_goal = on_goal and lost_since is None
    result.kept = kept
    return result


def progress(kept: list[Point | None], reference: np.ndarray, width_px: float, reach: float) -> float:
    """The furthest share of the reference centre line (canonical N x 2) the agent reached along it.

    A sighting counts only where it lies within ``reach`` road widths of the line;
    one within half a road width of the line's end (on the goal) completes it.
    """
    seg = np.linalg.norm(np.diff(reference, axis=0), axis=1)
    cum = np.concatenate([[0.0], np.cumsum(seg)])
    if cum[-1] <= 0:
        return 0.0
    seen = np.array([p for p in kept if p is not None], dtype=np.float64).reshape(-1, 2)
    best = 0.0
    # Every sighting against the whole line at once, a block of sightings at a time (the same distances
    # as one sighting at a time: each is the root of its own two squares, summed in the same order).
    for block in range(0, len(seen), 64):
        d = np.linalg.norm(reference[None] - seen[block:block + 64, None], axis=2)
        if (d[:, -1] <= 0.5 * width_px).any():
            return 1.0
        j = np.argmin(d, axis=1)
        near = d[np.arange(len(j)), j] <= reach * width_px
        if near.any():
            best = max(best, float(cum[j[near]].max()))
    return best / float(cum[-1])


def goal_distance(layout: RoadLayout, end: Point | None, reach: float) -> float:
    """Reference-free: the road distance from where the agent ended to the goal, over the start's.

    0 on the goal, 1 no closer than the start; 1 too when the agent ended
    unseen or farther than ``reach`` road widths from every road. ``end`` is in
    puzzle pixels. Used by the best-of-k selection score.
    """
    to_goal = nx.single_source_dijkstra_path_length(layout.graph(), layout.goal, weight="length")
    full = to_goal.get(layout.start)
    if end is None:
        return 1.0
    if not full:  # start on the goal, or no road joins them: only ending on the goal counts
        near = math.dist(end, layout.nodes[layout.goal]) <= 0.5 * layout.road_width
        return 0.0 if near else 1.0
    best = math.inf
    for (a, b), curve in zip(layout.edges, layout.curves, strict=True):
        points = np.asarray(curve, dtype=float)
        d = np.linalg.norm(points - np.asarray(end), axis=1)
        j = int(np.argmin(d))
        if d[j] > reach * layout.road_width:
            continue
        cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
        best = min(best, cum[j] + to_goal.get(a, math.inf), cum[-1] - cum[j] + to_goal.get(b, math.inf))
    return float(min(1.0, best / full))

