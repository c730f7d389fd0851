"""Sokoban's rules on tracked trajectories: every box move is a push, nobody walks through a box,
and every box ends on a target and stays there once all are.

Inputs are what :mod:`verifiers.gridpath` made of the player's and every box's
positions (continuous grid coordinates, cells read with hysteresis and the
frame each cell was entered); walls are judged there already, for the player
and the boxes alike. Here, per box move from cell ``A`` to ``B`` (direction
``d``): around the frame the box enters ``B`` the player must stand one cell
behind it (at ``box - d``, within :data:`PUSH_TOLERANCE`); ``B`` must not hold
another box. A box that leaves its cell's centre and comes back without entering
another cell (:func:`excursions`) made two moves, there and back, and each needs
its pusher the same way. Between two sightings the player is assumed to move in a straight
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
# A box within SETTLED cells of its cell's centre (in both axes) is at rest; one AWAY from it has moved. Over the
# 393 legal sokoban videos of every calibration corpus (every column, combined ones too) no box left its centre by
# more than SETTLED and came back to it within one cell; a pull whose frames with the box a whole cell over were
# dropped (fps-jitter) showed the box half a cell out and back, the player ahead of it on the way back, and was
# accepted: no cell was entered, so no move was judged (calibrate --seed 4500, shake+fps-jitter+h264-low).
SETTLED = 0.15
AWAY = 0.3


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
        def pushed(what: str, d: Cell, i: int, to: Cell, behind: Cell | None) -> bool:
            """Whether box ``k``'s move (``what``: from where to where) in direction ``d`` around frame index ``i``,
            ending in cell ``to``, was a push (else a failure is recorded); ``behind``: the cell its pusher would
            stand in, where it is one."""
            pusher = _pusher(player, box_held[k], i, d, window)
            if pusher is True:
                return True
            frame = frames[i]
            if pusher is None:
                fail(frame, "box_not_pushed", f"the box moved {what} with no player in sight")
                return False
            where = (int(np.floor(pusher[0])), int(np.floor(pusher[1])))
            box = box_held[k][i] or (to[0] + 0.5, to[1] + 0.5)
            ahead = (pusher[0] - box[0]) * d[0] + (pusher[1] - box[1]) * d[1]
            if ahead > 0.5:
                fail(frame, "box_pulled", f"the box moved {what} after the player at {where}, ahead of it: pulled, "
                     f"not pushed")
            else:
                spot = "" if behind is None else f", not at {behind}"
                fail(frame, "box_not_pushed", f"the box moved {what} with no player behind it (the player is at "
                     f"{where}{spot})")
            return False

        for j in range(1, len(path.cells)):
            a, b, frame = path.cells[j - 1], path.cells[j], path.entered[j]
            d = (int(np.sign(b[0] - a[0])), int(np.sign(b[1] - a[1])))
            i = frame - start
            others = {box_cells[m][i] for m in range(len(box_paths)) if m != k}
            if b in others:
                fail(frame, "box_into_box", f"the box moved from {a} to {b}, onto another box")
            result.pushes += pushed(f"from {a} to {b}", d, i, b, (a[0] - d[0], a[1] - d[1]))
        for peak, back, cell, d in excursions(box_held[k], box_cells[k]):  # there and back: no push counted
            towards = (cell[0] + d[0], cell[1] + d[1])
            pushed(f"from {cell} part of the way to {towards}", d, peak, cell, (cell[0] - d[0], cell[1] - d[1]))
            pushed(f"back to {cell} from part of the way to {towards}", (-d[0], -d[1]), back, cell, None)


def excursions(box: list[Point | None], cells: list[Cell]) -> list[tuple[int, int, Cell, Cell]]:
    """Each time a box at rest in its cell moved :data:`AWAY` from the cell's centre and came back to rest there
    without entering another cell: (the frame index farthest out, the frame index at rest again, the cell, the
    direction out along the axis it moved farthest). ``box``: positions (held), ``cells``: its hysteresis cells."""
    out: list[tuple[int, int, Cell, Cell]] = []
    cell: Cell | None = None
    rested = False
    peak: tuple[float, int, Cell] | None = None  # how far out, when, which way
    for i, (p, c) in enumerate(zip(box, cells)):
        if p is None:
            continue
        if c != cell:  # entered a cell: judged as a move; not at rest in it yet
            cell, rested, peak = c, False, None
        off = (p[0] - c[0] - 0.5, p[1] - c[1] - 0.5)
        axis = 0 if abs(off[0]) >= abs(off[1]) else 1
        far = abs(off[axis])
        if far <= SETTLED:
            if rested and peak is not None and peak[0] >= AWAY:
                out.append((peak[1], i, c, peak[2]))
            rested, peak = True, None
        elif rested and (peak is None or far > peak[0]):
            sign = int(np.sign(off[axis]))
            peak = (far, i, (sign, 0) if axis == 0 else (0, sign))
    return out


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
