"""Judge a tracked trajectory on a grid: legal moves, no teleports, goal reached and held.

Legality is judged on the continuous trajectory, not only on cells: between two
consecutive sightings the agent is assumed to have moved in a straight line
(the most charitable motion that fits both frames), and that segment must not
enter a blocked cell deeper than ``wall_tolerance`` cells. So a fast crossing
that happens between two frames is caught, while a corner rounded inside an
open cell is not. Cells are read from positions with hysteresis: the agent
enters a new cell only once its centre is well inside it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from genreason.types import Event

Cell = tuple[int, int]
Point = tuple[float, float]  # continuous (row, col), cell centres at +0.5

FIELD_RES = 8  # samples per cell of the penetration field
STEP = 0.05  # cells between samples along a segment


@dataclass(frozen=True)
class PathRules:
    hysteresis: float = 0.15  # how far inside a cell (from its edge, in cells) the centre must be to enter it
    wall_tolerance: float = 0.25  # how deep (cells) the centre may dip into a blocked cell (tracking noise)
    max_jump: float = 2.0  # cells the agent may move between consecutive frames (see GridAgentVerifier)
    max_lost: int = 3  # frames the agent may go unseen
    max_duplicated: int = 1  # frames the agent may appear twice (a codec ghost)


@dataclass
class PathResult:
    cells: list[Cell] = field(default_factory=list)  # visited cells, consecutive duplicates removed
    entered: list[int] = field(default_factory=list)  # the video frame at which each of ``cells`` was entered
    events: list[Event] = field(default_factory=list)
    legal: bool = True
    reached_frame: int | None = None  # first frame on the goal (of the final stay)
    ended_on_goal: bool = False
    max_penetration: float = 0.0


class PenetrationField:
    """How deep each point lies inside blocked cells, in cells (0 on open cells)."""

    def __init__(self, blocked: np.ndarray) -> None:
        # One blocked ring around the grid: leaving the board is like entering a wall.
        padded = np.pad(blocked, 1, constant_values=True)
        fine = np.kron(padded.astype(np.uint8), np.ones((FIELD_RES, FIELD_RES), np.uint8))
        self.depth = cv2.distanceTransform(fine, cv2.DIST_L2, 5) / FIELD_RES
        self.blocked = blocked

    def at(self, points: np.ndarray) -> np.ndarray:
        """Depth at (row, col) points (N x 2); points far off the board get the deepest value."""
        idx = np.floor((points + 1) * FIELD_RES).astype(int)
        h, w = self.depth.shape
        inside = (idx[:, 0] >= 0) & (idx[:, 0] < h) & (idx[:, 1] >= 0) & (idx[:, 1] < w)
        out = np.full(len(points), float(self.depth.max()) + 1.0)
        out[inside] = self.depth[idx[inside, 0], idx[inside, 1]]
        return out


@lru_cache(maxsize=8)
def _penetration_field(raw: bytes, shape: tuple[int, ...], dtype: str) -> PenetrationField:
    """One field per board (given as its bytes): sokoban judges the player and every box on the same walls."""
    return PenetrationField(np.frombuffer(raw, dtype=dtype).reshape(shape).copy())


def _cell(p: Point) -> Cell:
    return (int(np.floor(p[0])), int(np.floor(p[1])))


def _segment(a: Point, b: Point) -> np.ndarray:
    n = max(2, int(np.ceil(np.hypot(b[0] - a[0], b[1] - a[1]) / STEP)) + 1)
    return np.linspace(a, b, n)


def _open(blocked: np.ndarray, cell: Cell) -> bool:
    r, c = cell
    return 0 <= r < blocked.shape[0] and 0 <= c < blocked.shape[1] and not blocked[r, c]


def analyse_path(positions: list[Point | None], frames: list[int], duplicated: list[bool],
                 blocked: np.ndarray, start: Cell, goal: Cell, rules: PathRules,
                 blocked_name: str = "wall") -> PathResult:
    """Judge a trajectory. ``positions[i]`` is the agent at video frame ``frames[i]`` (None when unseen)."""
    result = PathResult(cells=[start], entered=frames[:1])
    penetration = _penetration_field(blocked.tobytes(), blocked.shape, blocked.dtype.str)
    current = start
    last: tuple[int, Point] | None = None  # (index, position) of the last sighting
    lost_since: int | None = None
    dup_run = 0
    crossing: tuple[int, Cell, Cell] | None = None  # (frame, blocked cell, cell it came from)

    def fail(frame: int, kind: str, message: str) -> None:
        result.legal = False
        result.events.append(Event(frame=frame, kind=kind, message=f"frame {frame}: {message}"))

    for i, pos in enumerate(positions):
        frame = frames[i]
        dup_run = dup_run + 1 if duplicated[i] else 0
        if dup_run == rules.max_duplicated + 1:
            fail(frames[i - rules.max_duplicated], "duplicated", "the agent appears more than once")
        if pos is None:
            lost_since = i if lost_since is None else lost_since
            continue
        if lost_since is not None:
            gap = i - lost_since
            lost_since = None
            if gap > rules.max_lost:
                fail(frames[i - gap], "lost", f"the agent vanished for {gap} frames")
                # Already a failure; where it went meanwhile is unknown, so judge no line across the gap.
                last = (i, pos)
                current = _reenter(result, current, pos, blocked, rules, goal, frame, blocked_name)
                continue
        if last is not None:
            j, prev = last
            steps = i - j
            jump = float(np.hypot(pos[0] - prev[0], pos[1] - prev[1]))
            if jump > rules.max_jump * steps:
                fail(frame, "teleport", f"the agent jumped {jump:.1f} cells from {_cell(prev)} to "
                     f"{_cell(pos)} in {steps} frame{'s' if steps > 1 else ''}")
            samples = _segment(prev, pos)
            depth = penetration.at(samples)
            result.max_penetration = max(result.max_penetration, float(depth.max()))
            inside_blocked = depth.max() > rules.wall_tolerance
            if inside_blocked and crossing is None:
                deepest = _cell(tuple(samples[int(depth.argmax())]))
                crossing = (frame, deepest, current)
            current = _advance(result, current, samples, pos, blocked, rules, goal, frame, blocked_name)
            if crossing is not None and (not inside_blocked or penetration.at(np.array([pos]))[0] == 0):
                _report_crossing(fail, crossing, _cell(pos), blocked, blocked_name)
                crossing = None
        last = (i, pos)

    if crossing is not None:
        _report_crossing(fail, crossing, None, blocked, blocked_name)

    if lost_since is not None:
        fail(frames[lost_since], "lost_at_end", "the agent is not visible at the end of the video")
    result.ended_on_goal = lost_since is None and current == goal and last is not None
    return result


def _report_crossing(fail, crossing: tuple[int, Cell, Cell], exit_cell: Cell | None, blocked: np.ndarray,
                     blocked_name: str) -> None:
    """One event per crossing, from where the agent entered the blocked cell to where it came out."""
    frame, cell, came_from = crossing
    where = f"the {blocked_name} cell {cell}" if _inside(blocked, cell) else "the edge of the board"
    end = f"to {exit_cell}" if exit_cell is not None else "and the video ends inside it"
    fail(frame, f"{blocked_name}_crossed", f"the agent crossed {where} from {came_from} {end}")


def _inside(blocked: np.ndarray, cell: Cell) -> bool:
    return 0 <= cell[0] < blocked.shape[0] and 0 <= cell[1] < blocked.shape[1]


def _reenter(result: PathResult, current: Cell, pos: Point, blocked: np.ndarray, rules: PathRules, goal: Cell,
             frame: int, blocked_name: str) -> Cell:
    """Where the agent reappears after a long absence: take its cell without judging the way there."""
    return _advance(result, current, np.array([pos]), pos, blocked, rules, goal, frame, blocked_name)


def _advance(result: PathResult, current: Cell, samples: np.ndarray, pos: Point, blocked: np.ndarray,
             rules: PathRules, goal: Cell, frame: int, blocked_name: str) -> Cell:
    """Update the hysteresis cell, recording every open cell the segment passed well inside of."""
    candidate = _cell(pos)
    centre = (candidate[0] + 0.5, candidate[1] + 0.5)
    well_inside = max(abs(pos[0] - centre[0]), abs(pos[1] - centre[1])) <= 0.5 - rules.hysteresis
    if candidate == current or not well_inside or not _open(blocked, candidate):
        return current
    # Cells crossed well inside on the way (a fast move skips frames, not cells).
    for p in samples:
        cell = _cell(tuple(p))
        if cell in (result.cells[-1], candidate) or not _open(blocked, cell):
            continue
        if max(abs(p[0] - cell[0] - 0.5), abs(p[1] - cell[1] - 0.5)) <= 0.5 - rules.hysteresis:
            _enter(result, cell, goal, frame, blocked, blocked_name)
    _enter(result, candidate, goal, frame, blocked, blocked_name)
    return candidate


def _enter(result: PathResult, cell: Cell, goal: Cell, frame: int, blocked: np.ndarray,
           blocked_name: str) -> None:
    previous = result.cells[-1]
    if abs(cell[0] - previous[0]) == 1 and abs(cell[1] - previous[1]) == 1:
        # A diagonal step: legal only as a corner rounded through an open side cell, which the
        # path then passes through; squeezing between two blocked cells that touch at a corner is not.
        sides = [(previous[0], cell[1]), (cell[0], previous[1])]
        through = next((side for side in sides if _open(blocked, side)), None)
        if through is None:
            result.legal = False
            result.events.append(Event(frame=frame, kind=f"{blocked_name}_crossed", message=(
                f"frame {frame}: the agent squeezed diagonally from {previous} to {cell} between "
                f"the {blocked_name} cells {sides[0]} and {sides[1]}")))
        else:
            _enter(result, through, goal, frame, blocked, blocked_name)
            previous = through
    if previous == goal and cell != goal and result.reached_frame is not None:
        result.legal = False
        result.events.append(Event(frame=frame, kind="left_goal", message=(
            f"frame {frame}: the agent left the goal it had reached at frame {result.reached_frame}")))
    if cell == goal and previous != goal:
        result.reached_frame = frame
    result.cells.append(cell)
    result.entered.append(frame)
