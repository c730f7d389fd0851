"""Sokoban's rules on tracked trajectories: every box move is a push, nobody walks through a box,
and every box ends on a target and stays there once all are.

Inputs are what :mod:`verifiers.gridpath` made of the player's and every box's
positions (continuous grid coordinates, cells read with hysteresis and the
frame each cell was entered); walls are judged there already, for the player
and the boxes alike. Here, per box move from cell ``A`` to ``B`` (direction
``d``): around the frame the box enters ``B`` the player must stand one cell
behind it (at ``box - d``, within :data:`PUSH_TOLERANCE`); ``B`` must not hold
another box. Between two sightings the player is assumed to move in a straight
line, as for walls, and may not come within :data:`OVERLAP` cells of a box
(Chebyshev distance between centres): that is walking into or through it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from genreason.types import Event
from verifiers.gridpath import PathResult

Cell = tuple[int, int]
Point = tuple[float, float]
Fail = Callable[[int, str, str], None]  # (frame, kind, message)

PUSH_TOLERANCE = 0.45  # cells: how far the player may be from the spot right behind a box it pushes
OVERLAP = 0.55  # cells: player and box centres closer than this (in both axes) overlap
SAMPLES = 12  # points along each segment between two sightings of the player


@dataclass
class RulesResult:
    events: list[Event] = field(default_factory=list)
    legal: bool = True
    pushes: int = 0
    on_target: int = 0  # boxes on a target at the end
    all_on_targets: bool = False  # at the end


def cells_per_frame(path: PathResult, frames: list[int]) -> list[Cell]:
    """The hysteresis cell of a tracked object at each analysed frame."""
    out: list[Cell] = []
    j = 0
    for f in frames:
        while j + 1 < len(path.cells) and path.entered[j + 1] <= f:
            j += 1
        out.append(path.cells[j])
    return out


def held(positions: list[Point | None]) -> list[Point | None]:
    """Each frame's position, or the last one seen before it (None until the first sighting)."""
    out: list[Point | None] = []
    last: Point | None = None
    for p in positions:
        last = p if p is not None else last
        out.append(last)
    return out


def judge(frames: list[int], player: list[Point | None], boxes: list[list[Point | None]],
          box_paths: list[PathResult], targets: list[Cell], window: int) -> RulesResult:
    """Check pushes, overlaps and targets. ``window``: frames either side of a push to look for the pusher."""
    result = RulesResult()

    def fail(frame: int, kind: str, message: str) -> None:
        result.legal = False
        result.events.append(Event(frame=frame, kind=kind, message=f"frame {frame}: {message}"))

    box_cells = [cells_per_frame(p, frames) for p in box_paths]
    box_held = [held(b) for b in boxes]
    _pushes(frames, player, box_held, box_paths, box_cells, window, result, fail)
    _overlaps(frames, player, boxes, box_held, fail)
    _targets(frames, box_cells, box_paths, targets, result, fail)
    return result


def _pushes(frames: list[int], player: list[Point | None], box_held: list[list[Point | None]],
            box_paths: list[PathResult], box_cells: list[list[Cell]], window: int, result: RulesResult,
            fail: Fail) -> None:
    start = frames[0]
    for k, path in enumerate(box_paths):
        for j in range(1, len(path.cells)):
            a, b, frame = path.cells[j - 1], path.cells[j], path.entered[j]
            d = (int(np.sign(b[0] - a[0])), int(np.sign(b[1] - a[1])))
            i = frame - start
            others = {box_cells[m][i] for m in range(len(box_paths)) if m != k}
            if b in others:
                fail(frame, "box_into_box", f"the box moved from {a} to {b}, onto another box")
            pusher = _pusher(player, box_held[k], i, d, window)
            if pusher is True:
                result.pushes += 1
                continue
            if pusher is None:
                fail(frame, "box_not_pushed", f"the box moved from {a} to {b} with no player in sight")
                continue
            where = (int(np.floor(pusher[0])), int(np.floor(pusher[1])))
            box = box_held[k][i] or (b[0] + 0.5, b[1] + 0.5)
            ahead = (pusher[0] - box[0]) * d[0] + (pusher[1] - box[1]) * d[1]
            if ahead > 0.5:
                fail(frame, "box_pulled", f"the box moved from {a} to {b} after the player at {where}, "
                     f"ahead of it: pulled, not pushed")
            else:
                fail(frame, "box_not_pushed", f"the box moved from {a} to {b} with no player behind it "
                     f"(the player is at {where}, not at {(a[0] - d[0], a[1] - d[1])})")


def _pusher(player: list[Point | None], box: list[Point | None], i: int, d: Cell, window: int) -> bool | Point | None:
    """True when the player stands behind the box near frame index ``i``; else the player's nearest
    sighting (None when unseen)."""
    nearest: Point | None = None
    for off in sorted(range(-window, window + 1), key=abs):
        t = i + off
        if not 0 <= t < len(player) or player[t] is None:
            continue
        p = player[t]
        nearest = nearest or p
        if box[t] is None:
            continue
        want = (box[t][0] - d[0], box[t][1] - d[1])
        if max(abs(p[0] - want[0]), abs(p[1] - want[1])) <= PUSH_TOLERANCE:
            return True
    return nearest


def _overlaps(frames: list[int], player: list[Point | None], boxes: list[list[Point | None]],
              box_held: list[list[Point | None]], fail: Fail) -> None:
    last: int | None = None
    inside = [False] * len(box_held)
    for i, p in enumerate(player):
        if p is None:
            continue
        j = i if last is None else last
        last = i
        s = np.linspace(0.0, 1.0, SAMPLES)[:, None]
        path = np.array(player[j]) * (1 - s) + np.array(p) * s
        for k, box in enumerate(box_held):
            # A box unseen at both ends is where it was last seen only by assumption: judge no overlap on that.
            if box[j] is None or box[i] is None or (boxes[k][j] is None and boxes[k][i] is None):
                continue
            where = np.array(box[j]) * (1 - s) + np.array(box[i]) * s
            close = np.abs(path - where).max(axis=1) < OVERLAP
            if close.any() and not inside[k]:
                cell = (int(np.floor(where[int(close.argmax())][0])), int(np.floor(where[int(close.argmax())][1])))
                fail(frames[i], "walked_through_box", f"the player walked into the box at {cell}")
            inside[k] = bool(close[-1])


def _targets(frames: list[int], box_cells: list[list[Cell]], box_paths: list[PathResult], targets: list[Cell],
             result: RulesResult, fail: Fail) -> None:
    goal = sorted(targets)
    reached: int | None = None
    for i, f in enumerate(frames):
        on = sorted(cells[i] for cells in box_cells) == goal
        if on and reached is None:
            reached = f
        elif not on and reached is not None:
            fail(f, "box_left_target", f"a box left its target, reached at frame {reached}")
            reached = None
    end = [cells[-1] for cells in box_cells]
    lost = [any(e.kind == "lost_at_end" for e in p.events) for p in box_paths]
    result.on_target = sum(1 for c, gone in zip(end, lost) if c in targets and not gone)
    result.all_on_targets = sorted(end) == goal and not any(lost)
    if not result.all_on_targets:
        off = [c for c in end if c not in targets]
        fail(frames[-1], "box_not_on_target",
             f"the video ends with the box on {', '.join(map(str, off or end))}, not on the target "
             f"{', '.join(map(str, targets))}" + (" (the box is not visible)" if any(lost) else ""))
