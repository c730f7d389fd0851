"""Judge a 3D maze trajectory in image space: which place the agent is on, frame by frame, and every move.

Positions are the agent's centre in ``frame0.png`` pixels. The labelled image
of visible places (:func:`puzzles.maze3d.layout.place_labels`) says which top
face or ladder each pixel shows. Between two frames the straight segment is
walked in steps of a pixel, so a move that happens between two frames is
judged on the way it must have gone.

At each point:

- *candidates* are the places within ``tolerance`` pixels. None: the agent is
  off the walkable surface (over a gap, the air or a column's side): illegal.
- the agent stays on its current place while that place is within
  ``hysteresis`` pixels (an ambiguous point, on or near two faces, is resolved
  by continuity with the place it was on);
- otherwise it has moved to the place under the point (or the most common
  candidate around it). The move is legal when the two places are joined:
  same-level 4-adjacent cells, or a cell and a ladder standing at it. Any
  other change of place is illegal: ``illegal_level_change`` when the levels
  differ (a cliff jumped up or down, a level skipped), ``illegal_move`` when
  not (a gap crossed, a column walked through).

A move faster than ``max_step`` steps a frame is a teleport whatever the
segment crosses; an agent unseen for more than ``max_lost`` frames is lost.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from genreason.types import Event
from puzzles.maze3d.layout import Cell, Maze3DLayout, Place

Point = tuple[float, float]


@dataclass(frozen=True)
class Rules:
    tolerance: float  # pixels: how far off every walkable face the centre may be (tracking noise)
    hysteresis: float  # pixels: how far from its place the centre must be before it counts as moved
    max_step: float  # steps per frame beyond which a move is a teleport
    max_lost: int  # frames the agent may go unseen


@dataclass
class PathResult:
    cells: list[Cell] = field(default_factory=list)
    events: list[Event] = field(default_factory=list)
    legal: bool = True
    ended_on_goal: bool = False
    ladders_used: int = 0
    illegal_level_changes: int = 0
    final_cell: Cell | None = None


class _Walker:
    """The agent's place along the points it is seen at, and every rule it breaks."""

    def __init__(self, layout: Maze3DLayout, labels: np.ndarray, rules: Rules, result: PathResult) -> None:
        self.layout = layout
        self.places = layout.places
        self.labels = labels
        self.rules = rules
        self.result = result
        self.current = self.places.index[layout.start]
        self.ladder_entry: int | None = None  # the place the agent stepped onto the current ladder from
        self.off = False
        self.cells = result.cells
        self.cells.append(layout.start)
        self.tol_offsets = _disc(rules.tolerance)
        self.hyst_offsets = _disc(rules.hysteresis)
        # The labels padded with "nothing" far enough that every disc around a point, clipped to
        # just outside the picture, reads only padding there: no bounds checks per point.
        h, w = labels.shape
        self.pad = 2 * int(np.abs(self.tol_offsets).max(initial=0)) + 1
        self.padded = np.pad(labels, self.pad)
        self.limits = (-(self.pad // 2) - 1, w + self.pad // 2, h + self.pad // 2)  # x low, x high, y high

    def walk(self, points: np.ndarray, frame: int) -> None:
        """Visit ``points`` (N x 2, ``frame0.png`` pixels) in order, all seen on the way to ``frame``.

        The labels around every point are read at once; the points where nothing can happen
        (on the surface, the current place within the hysteresis) are skipped without a visit.
        """
        # round() and np.rint both round halves to even: the same pixels as point by point.
        lo, hi_x, hi_y = self.limits
        xs = np.clip(np.rint(points[:, 0]), lo, hi_x).astype(np.intp) + self.pad
        ys = np.clip(np.rint(points[:, 1]), lo, hi_y).astype(np.intp) + self.pad
        near = self.padded[ys[:, None] + self.tol_offsets[:, 1], xs[:, None] + self.tol_offsets[:, 0]]
        hyst = self.padded[ys[:, None] + self.hyst_offsets[:, 1], xs[:, None] + self.hyst_offsets[:, 0]]
        here = self.padded[ys, xs]
        on_surface = (near > 0).any(axis=1)
        i, n = 0, len(points)
        while i < n:
            # The next point where something may happen for the current place and state.
            quiet = ~on_surface[i:] if self.off else on_surface[i:] & (hyst[i:] == self.current + 1).any(axis=1)
            busy = np.flatnonzero(~quiet)
            if len(busy) == 0:
                return
            i += int(busy[0])
            found = near[i]
            self._visit((float(points[i, 0]), float(points[i, 1])), found[found > 0] - 1, hyst[i], int(here[i]), frame)
            i += 1

    def _visit(self, p: Point, near: np.ndarray, hyst: np.ndarray, here: int, frame: int) -> None:
        """One point: ``near`` the places within the tolerance (in disc order), ``hyst`` the labels within the
        hysteresis, ``here`` the label under the point."""
        if len(near) == 0:
            if not self.off:
                self.off = True
                self._illegal(frame, "off_surface", f"frame {frame}: the agent left the walkable surface near "
                              f"({p[0]:.0f}, {p[1]:.0f}) px (over a gap, the air or a column's side) from "
                              f"{self._name(self.current)}")
            return
        self.off = False
        if (hyst == self.current + 1).any():
            return
        candidates = near.tolist()
        target = here - 1 if here > 0 and here - 1 in candidates else Counter(candidates).most_common(1)[0][0]
        if target != self.current:
            self._move(int(target), frame)

    def _move(self, target: int, frame: int) -> None:
        src, dst = self.places.items[self.current], self.places.items[target]
        if target in self.places.neighbours[self.current]:
            if dst.kind == "ladder":
                self.ladder_entry = self.current
            elif src.kind == "ladder" and self.ladder_entry is not None and self.ladder_entry != target:
                self.result.ladders_used += 1
        else:
            # Two places share a level when a cell's level is one of a ladder's ends, or two cells' agree.
            if not {src.level, src.low_level} & {dst.level, dst.low_level}:
                self.result.illegal_level_changes += 1
                self._illegal(frame, "illegal_level_change", (
                    f"frame {frame}: the agent went from {src.describe()} to {dst.describe()} without a ladder "
                    "joining them"))
            else:
                self._illegal(frame, "illegal_move", (
                    f"frame {frame}: the agent went from {src.describe()} to {dst.describe()}, which are not "
                    "neighbours (a gap crossed or a column walked through)"))
        self.current = target
        if dst.kind == "cell":
            self.cells.append(dst.cell)

    def _illegal(self, frame: int, kind: str, message: str) -> None:
        self.result.legal = False
        self.result.events.append(Event(frame=frame, kind=kind, message=message))

    def _name(self, index: int) -> str:
        return self.places.items[index].describe()

    @property
    def place(self) -> Place:
        return self.places.items[self.current]


def _disc(radius: float) -> np.ndarray:
    r = max(0, int(np.ceil(radius)))
    ys, xs = np.mgrid[-r:r + 1, -r:r + 1]
    keep = xs * xs + ys * ys <= radius * radius + 1e-9
    return np.stack([xs[keep], ys[keep]], axis=1)


def analyse(positions: list[Point | None], frames: list[int], duplicated: list[bool], layout: Maze3DLayout,
            labels: np.ndarray, rules: Rules) -> PathResult:
    """Follow the agent over ``positions`` (``frame0.png`` pixels, None where unseen) and judge every move.

    ``frames`` gives each position's frame number in the video (for messages).
    """
    result = PathResult()
    walker = _Walker(layout, labels, rules, result)
    last: Point | None = None
    last_t = 0
    lost_since: int | None = None
    lost_reported = False
    for i, (p, dup) in enumerate(zip(positions, duplicated, strict=True)):
        frame = frames[i]
        if dup:
            result.legal = False
            if not any(e.kind == "duplicated" for e in result.events):
                result.events.append(Event(frame=frame, kind="duplicated",
                                           message=f"frame {frame}: a second agent appears"))
        if p is None:
            lost_since = i if lost_since is None else lost_since
            if i - lost_since + 1 > rules.max_lost and not lost_reported:
                lost_reported = True
                result.legal = False
                result.events.append(Event(frame=frames[lost_since], kind="agent_lost", message=(
                    f"frame {frames[lost_since]}: the agent vanished for more than {rules.max_lost} frames")))
            continue
        lost_since, lost_reported = None, False
        if last is not None:
            gap = max(1, i - last_t)
            dist = float(np.hypot(p[0] - last[0], p[1] - last[1]))
            if dist / layout.step_px > rules.max_step * gap:
                result.legal = False
                result.events.append(Event(frame=frame, kind="teleport", message=(
                    f"frame {frame}: the agent jumped {dist / layout.step_px:.1f} steps in {gap} frame(s)")))
            n = max(1, int(np.ceil(dist)))
            k = np.arange(1, n + 1, dtype=np.float64)
            # The same arithmetic as last + (p - last) * k / n point by point: the same points.
            walker.walk(np.stack([last[0] + (p[0] - last[0]) * k / n, last[1] + (p[1] - last[1]) * k / n], axis=1),
                        frame)
        else:
            walker.walk(np.array([p], dtype=np.float64), frame)
        last, last_t = p, i
    if positions and positions[-1] is None:
        result.legal = False
        result.events.append(Event(frame=frames[-1], kind="lost_at_end",
                                   message=f"frame {frames[-1]}: the agent is not seen at the end"))
    place = walker.place
    result.final_cell = place.cell if place.kind == "cell" else None
    result.ended_on_goal = (place.kind == "cell" and place.cell == layout.goal and not walker.off
                            and bool(positions) and positions[-1] is not None)
    return result
