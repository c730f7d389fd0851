"""The shared pipeline for puzzles where one agent walks a grid (maze, trapfield).

Steps, top to bottom in :meth:`GridAgentVerifier.verify`:
1. check the video can be judged (size, alignment onto the puzzle);
2. warp every frame into canonical space;
3. learn the empty board and the agent's look from the video's first good frame, then undo small shake;
4. find the agent (and any copies) in every frame;
5. check the board stays intact cell by cell;
6. judge the trajectory (legal moves, no teleport, goal reached and held);
7. compute the metrics and assemble the verdict.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass
from typing import ClassVar

import cv2
import numpy as np
from pydantic import ValidationError

from genreason.errors import BadInput, GenreasonError
from genreason.types import Event, Puzzle, Verdict, Video
from puzzles.grid import GridLayout
from verifiers import (
    board,
    canonical,
    difference,
    gridpath,
    point_tracking,
    tracking,
    vrbench,
)
from verifiers.canonical import CELL, BoardGeometry, cell_pixels

MIN_CELL_PIXELS = 4.0  # below this a cell is a few pixels in the video: too small to judge
CAMERA_SHIFT = 0.3  # cells of global shift beyond which the camera moved
# Canonical-pixel tolerances of the shared steps, tuned on 16-pixel cells, as the same shares of a CELL-pixel one:
MIN_SHAKE = cell_pixels(canonical.MIN_SHAKE)  # a smaller shift is no shake (stabilize leaves the frame)
STRUCTURE_RING = canonical.to_pixels(CELL, 2 / canonical.REFERENCE_CELL)  # pixels around the agent's colour left out of the board's structure
MIN_BLOB = cell_pixels(cell_pixels(3.0))  # pixels: a smaller foreground blob is a speck
# On a coarser raster than 16-pixel cells a sprite is a few pixels wide: the 3x3 box blur would wash it into the
# board (the 1-2-1 blur keeps it), and the 3x3 square opening would take it for a speck (the 3x3 cross keeps it).
WEIGHTED_SMOOTH = CELL < canonical.REFERENCE_CELL
SPECKS = tracking.CROSS if CELL < canonical.REFERENCE_CELL else tracking.SPECK  # the foreground's opening
# There the sprite's blurred rim, cut by the threshold where a wall beside it is nearer its colour, is weighed
# into its centre too (the 1-2-1 blur's reach: one pixel).
CENTRE_RIM = 1 if CELL < canonical.REFERENCE_CELL else 0
TRACKERS = ("classical", "cotracker")


@dataclass(frozen=True)
class Sightings:
    positions: list[tuple[float, float] | None]  # canonical (u, v), offset-corrected
    duplicated: list[bool]
    agent_masks: np.ndarray


@dataclass(frozen=True)
class CanonicalView:
    """A video aligned onto its puzzle and warped into canonical space (steps 1-2)."""

    alignment: canonical.Alignment
    warp: canonical.Warp  # how ``canon`` was made (kept to warp a shaken frame anew)
    canon: np.ndarray  # frames ``first``.. in canonical space
    in_view: np.ndarray  # canonical pixels that show the video itself

    @property
    def to_canonical(self) -> np.ndarray:
        """Video pixels -> canonical pixels (2 x 3)."""
        return self.warp.to_canonical

    @property
    def first(self) -> int:
        """The first video frame that shows the puzzle."""
        return self.warp.start


class GridAgentVerifier:
    """Judges one agent moving on a :class:`GridLayout`. Subclasses say which cells block it."""

    name = "grid-agent"
    version = "1"
    blocked_name = "wall"

    def __init__(self, hysteresis: float = 0.15, wall_tolerance: float = 0.25, max_speed: float = 32.0,
                 max_lost_seconds: float = 0.2, tracker: str = "classical", tracker_repo: str | None = None,
                 device: str | None = None) -> None:
        """Tolerances, in grid cells and seconds, and how the agent is followed.

        Args:
            hysteresis: How far inside a cell (from its edge) the agent's centre must be to enter it.
            wall_tolerance: How deep the centre may dip into a blocked cell (tracking noise).
            max_speed: Cells per second beyond which a move between two frames is a teleport
                (2 cells a frame at 16 fps; never less than 1.5 cells a frame).
            max_lost_seconds: How long the agent may go unseen (never less than 3 frames).
            tracker: ``classical`` (colour and shape, no weights) or ``cotracker`` (CoTracker3 point
                tracks, for an agent the model redraws; needs torch and a CoTracker checkout).
            tracker_repo: CoTracker's checkout or hub name (see :mod:`verifiers.point_tracking`).
            device: torch device for the cotracker tracker (default: CUDA when available).
        """
        if tracker not in TRACKERS:
            raise GenreasonError(f"unknown tracker {tracker!r}: choose one of {', '.join(TRACKERS)}")
        self.tracker = tracker
        self.tracker_repo = tracker_repo
        self.device = device
        self.hysteresis = hysteresis
        self.wall_tolerance = wall_tolerance
        self.max_speed = max_speed
        self.max_lost_seconds = max_lost_seconds

    def blocked(self, layout: GridLayout) -> np.ndarray:
        """rows x cols boolean: cells the agent may not enter."""
        return layout.wall_mask()

    #: The layout model this verifier reads, and what it is called in messages.
    layout_model: ClassVar[type[GridLayout]] = GridLayout
    layout_name: ClassVar[str] = "grid"

    def layout(self, puzzle: Puzzle) -> GridLayout:
        try:
            return self.layout_model.model_validate(puzzle.layout)
        except ValidationError as exc:
            raise BadInput(puzzle.id, f"layout is not a {self.layout_name} layout: {exc.errors()[0]['msg']}") from None

    def verify(self, puzzle: Puzzle, video: Video) -> Verdict:
        layout = self.layout(puzzle)
        geometry = BoardGeometry(layout.origin, layout.cell_size, layout.rows, layout.cols)

        # 1-2. Can it be judged at all? Then canonical space.
        view = self._canonical_view(puzzle, video, layout, geometry)
        if isinstance(view, Verdict):
            return view
        alignment, to_canonical, first, canon, in_view = (view.alignment, view.to_canonical, view.first,
                                                          view.canon, view.in_view)

        # 3. Appearance from the first good frame; then shake removed against the board's structure.
        blocked = self.blocked(layout)
        agent_cells = self._cells_under(layout, layout.agent_box)
        cells_by_code: dict[str, list[tuple[int, int]]] = {".": []}
        for r in range(layout.rows):
            for c in range(layout.cols):
                if (r, c) != layout.goal and (r, c) not in agent_cells:
                    cells_by_code.setdefault(layout.code((r, c)), []).append((r, c))
        appearance = tracking.measure_appearance(tracking.smooth(canon[:1], WEIGHTED_SMOOTH)[0], cells_by_code,
                                                 layout.goal, agent_cells, surroundings(layout, {layout.goal}))
        if isinstance(appearance, str):
            return self._unreadable(appearance)
        canon, shifts = canonical.stabilize(canon, tracking.structure_frames(canon, [appearance], ring=STRUCTURE_RING),
                                            limit=CAMERA_SHIFT * CELL, min_shake=MIN_SHAKE, source=view.warp)
        smoothed = tracking.smooth(canon, WEIGHTED_SMOOTH)

        # 4. The agent in every frame.
        diff = difference.Difference(smoothed, appearance.background)
        sightings = self._sightings(smoothed, diff, appearance, geometry, layout)
        if self.tracker == "cotracker" and sightings.positions[0] is not None:
            sightings = self._point_tracked(video.frames[first:], sightings, to_canonical, shifts,
                                            appearance, geometry, layout)
        if sightings.positions[0] is None:
            return self._unreadable("the agent is not found at its start cell in the first frame")

        # 5. The board.
        events: list[Event] = []
        if first:
            events.append(Event(frame=0, kind="skipped_frames",
                                message=f"frames 0-{first - 1} do not show the puzzle and were skipped"))
        board_ok = self._judge_board(diff, sightings, appearance, layout, shifts, first, in_view, events)

        # 6. The trajectory.
        rules = gridpath.PathRules(self.hysteresis, self.wall_tolerance, max(1.5, self.max_speed / video.fps),
                                   max(3, round(self.max_lost_seconds * video.fps)))
        grid_positions = [None if p is None else geometry.canonical_to_grid(*p) for p in sightings.positions]
        frames = list(range(first, video.num_frames))
        path = gridpath.analyse_path(grid_positions, frames, sightings.duplicated, blocked,
                                     layout.start, layout.goal, rules, self.blocked_name)
        events.extend(path.events)
        if not path.ended_on_goal and not any(e.kind == "lost_at_end" for e in path.events):
            end = path.cells[-1]
            events.append(Event(frame=video.num_frames - 1, kind="goal_not_reached", message=(
                f"frame {video.num_frames - 1}: the video ends with the agent on {end}, "
                f"not on the goal {layout.goal}")))

        # 7. Metrics and verdict.
        success = board_ok and path.legal and path.ended_on_goal
        trajectory = self._to_puzzle_pixels(sightings.positions, geometry, layout, first, video.num_frames)
        metrics = self._metrics(puzzle, layout, video, alignment, trajectory, path, success)
        events.sort(key=lambda e: e.frame)
        return Verdict(verifier=self.name, verifier_version=self.version, success=success,
                       metrics=metrics, trajectory=trajectory, path=path.cells, events=events)

    # -- steps ------------------------------------------------------------------------------

    def _canonical_view(self, puzzle: Puzzle, video: Video, layout: GridLayout,
                        geometry: BoardGeometry) -> CanonicalView | Verdict:
        """Steps 1-2: align the puzzle onto the video and warp every frame from the first good one
        into canonical space; an unreadable verdict when the video cannot be judged."""
        alignment = canonical.align(puzzle.frame0(), video)
        if alignment is None:
            return self._unreadable("no frame among the first ones shows the puzzle's board "
                                    "(it may be drawn over, or the video shows something else)")
        cell_px = layout.cell_size * math.sqrt(abs(np.linalg.det(alignment.puzzle_to_video[:, :2])))
        if cell_px < MIN_CELL_PIXELS:
            return self._unreadable(f"a grid cell is only {cell_px:.1f} pixels wide in this video")
        to_canonical = canonical.compose(geometry.puzzle_to_canonical(),
                                         canonical.invert(alignment.puzzle_to_video))
        first = alignment.first_frame
        warp = canonical.Warp(video, to_canonical, geometry.canvas_size, first, halving=True)
        in_view = canonical.inside_video(video.size, to_canonical, geometry.canvas_size, CAMERA_SHIFT * CELL)
        return CanonicalView(alignment, warp, warp.frames(), in_view)

    def _unreadable(self, reason: str) -> Verdict:
        return Verdict(verifier=self.name, verifier_version=self.version, success=False,
                       status="unreadable", reason=reason)

    @staticmethod
    def _cells_under(layout: GridLayout, box: tuple[float, float, float, float]) -> list[tuple[int, int]]:
        """Cells that the box covers by a meaningful share (more than a sliver)."""
        x0, y0, x1, y1 = box
        (r0, c0), (r1, c1) = layout.to_grid(x0, y0), layout.to_grid(x1, y1)
        cells = [(r, c) for r in range(math.floor(r0 + 0.2), math.ceil(r1 - 0.2))
                 for c in range(math.floor(c0 + 0.2), math.ceil(c1 - 0.2)) if layout.inside((r, c))]
        return cells or [layout.start]

    def _sightings(self, smoothed: np.ndarray, diff: difference.Difference, appearance: tracking.Appearance,
                   geometry: BoardGeometry, layout: GridLayout) -> Sightings:
        start = cell_centre(geometry, layout.start)
        positions, duplicated, agent_masks = tracking.follow_agent(smoothed, diff, appearance, start, 0.75 * CELL,
                                                                   MIN_BLOB, SPECKS, CENTRE_RIM)
        return Sightings(anchored_to_start(positions, start), duplicated, agent_masks)

    def _point_tracked(self, frames: np.ndarray, classical: Sightings, to_canonical: np.ndarray,
                       shifts: np.ndarray, appearance: tracking.Appearance, geometry: BoardGeometry,
                       layout: GridLayout) -> Sightings:
        """The agent followed by a point tracker from where the classical tracker saw it at the start.

        Copies are still found by the classical tracker (a point tracker follows one
        identity); the board check excludes a disc of the agent's size around each
        tracked position, so a redrawn agent is not taken for a changed board.
        """
        to_video = canonical.invert(to_canonical)
        queries = point_tracking.query_points(classical.agent_masks[0])
        queries = queries @ to_video[:, :2].T + to_video[:, 2]
        tracker = point_tracking.cotracker(self.tracker_repo, self.device)
        raw = point_tracking.agent_track(tracker(frames, queries))
        positions: list[tuple[float, float] | None] = []
        limit = CAMERA_SHIFT * CELL
        for t, p in enumerate(raw):
            if p is None:
                positions.append(None)
                continue
            u, v = to_canonical @ np.array([p[0], p[1], 1.0])
            du, dv = shifts[t] if canonical.shake_corrected(shifts[t], limit, MIN_SHAKE) else (0.0, 0.0)
            positions.append((float(u - du), float(v - dv)))
        masks = classical.agent_masks.copy()
        radius = max(1, round(1.2 * math.sqrt(appearance.agent_area / math.pi)))
        for t, p in enumerate(positions):
            if p is not None:
                cv2.circle(masks[t].view(np.uint8), (round(p[0]), round(p[1])), radius, 1, -1)
        return Sightings(anchored_to_start(positions, cell_centre(geometry, layout.start)), classical.duplicated, masks)

    def _judge_board(self, diff: difference.Difference, sightings: Sightings, appearance: tracking.Appearance,
                     layout: GridLayout, shifts: np.ndarray, first: int,
                     in_view: np.ndarray, events: list[Event]) -> bool:
        ok = True
        skip = set(self._cells_under(layout, layout.agent_box)) | {layout.goal}
        for cell in board.first_frame_mismatches(appearance.background, layout.cells, skip, appearance):
            ok = False
            events.append(Event(frame=first, kind="board_mismatch", message=(
                f"frame {first}: cell {cell} should be {self.describe_code(layout.code(cell))} "
                f"but does not look like it")))
        moved = np.hypot(shifts[:, 0], shifts[:, 1]) > CAMERA_SHIFT * CELL
        if moved.any():
            ok = False
            t = int(np.argmax(moved)) + first
            events.append(Event(frame=t, kind="camera_moved",
                                message=f"frame {t}: the camera moved (the whole board shifted)"))
        changed = board.changed_cells(diff, sightings.agent_masks, appearance, in_view)
        for change in board.persistent_changes(changed):
            ok = False
            t = change.frame + first
            what = self._describe(layout, change.cell)
            events.append(Event(frame=t, kind="board_changed",
                                message=f"frame {t}: {what} at {change.cell} changed (erased, redrawn or covered)"))
        return ok

    #: What each layout code is called in messages; subclasses add their own codes.
    code_names = {".": "open floor", "#": "a wall"}

    def describe_code(self, code: str) -> str:
        return self.code_names.get(code, f"a {code!r} cell")

    def _describe(self, layout: GridLayout, cell: tuple[int, int]) -> str:
        if not layout.inside(cell):
            return "the area around the board"
        if cell == layout.goal:
            return "the goal"
        return "the " + self.describe_code(layout.code(cell)).removeprefix("a ").removeprefix("open ")

    @staticmethod
    def _to_puzzle_pixels(positions: list[tuple[float, float] | None], geometry: BoardGeometry,
                          layout: GridLayout, first: int, total: int) -> list[tuple[float, float] | None]:
        out: list[tuple[float, float] | None] = [None] * first
        for p in positions:
            if p is None:
                out.append(None)
                continue
            row, col = geometry.canonical_to_grid(*p)
            out.append((round(layout.origin[0] + col * layout.cell_size, 2),
                        round(layout.origin[1] + row * layout.cell_size, 2)))
        return out + [None] * (total - len(out))

    def _metrics(self, puzzle: Puzzle, layout: GridLayout, video: Video, alignment: canonical.Alignment,
                 trajectory: list[tuple[float, float] | None], path: gridpath.PathResult,
                 success: bool) -> dict[str, float]:
        reference_cells = [tuple(c) for c in puzzle.solution.get("path", [])]
        reference = np.array([layout.cell_center(c) for c in reference_cells], dtype=float).reshape(-1, 2)
        seen = [p for p in trajectory if p is not None]
        metrics = vrbench.video_metrics(video, alignment.puzzle_to_video, reference, trajectory,
                                        layout.agent_box, layout.goal_box)
        metrics.update(_path_metrics(path.cells, reference_cells, path.ended_on_goal, success))
        metrics["tracked_fraction"] = round(len(seen) / max(1, video.num_frames), 4)
        metrics["max_blocked_depth"] = round(path.max_penetration, 4)
        end = path.cells[-1] if path.cells else layout.start
        metrics["goal_distance"] = round(_goal_distance(self.blocked(layout), end, layout.start, layout.goal), 4)
        return metrics


def _path_metrics(cells: list[tuple[int, int]], reference: list[tuple[int, int]], ended_on_goal: bool,
                  success: bool) -> dict[str, float]:
    """Cell-level agreement with the reference shortest path."""
    if not reference:
        return {}
    prefix = 0
    for a, b in zip(cells, reference):
        if a != b:
            break
        prefix += 1
    out = {"precision": prefix / len(reference),
           "exact_match": float(success and cells == reference)}
    if ended_on_goal and len(reference) > 1:
        out["step_deviation"] = (len(cells) - 1) / (len(reference) - 1) - 1.0
    return out


def surroundings(layout: GridLayout, drawn: set[tuple[int, int]]) -> np.ndarray:
    """rows x cols x 8 uint8: per cell, what is drawn on its eight neighbours (row by row): their layout codes,
    ``*`` for a cell in ``drawn`` (a goal, a target mark, a sprite), 0 outside the grid. Cells alike in this
    look alike at their rims (see :func:`verifiers.tracking.measure_appearance`)."""
    codes = np.zeros((layout.rows + 2, layout.cols + 2), dtype=np.uint8)
    codes[1:-1, 1:-1] = np.frombuffer("".join(layout.cells).encode(), dtype=np.uint8).reshape(layout.rows, layout.cols)
    for r, c in drawn:
        if layout.inside((r, c)):
            codes[r + 1, c + 1] = ord("*")
    return np.stack([codes[1 + dr:1 + dr + layout.rows, 1 + dc:1 + dc + layout.cols]
                     for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc], axis=-1)


def anchored_to_start(positions: list[tuple[float, float] | None],
                      start: tuple[float, float]) -> list[tuple[float, float] | None]:
    """Positions shifted so the first is the start cell's centre, or with the first dropped if it is not near it.

    A sprite's centroid need not be its cell centre (a triangle, a character with
    feet): the offset measured at the start is removed everywhere.
    """
    first = positions[0]
    if first is None:
        return positions
    if math.dist(first, start) >= 0.3 * CELL:
        return [None, *positions[1:]]  # what we see first is not at the start: not the agent we know
    du, dv = first[0] - start[0], first[1] - start[1]
    return [None if p is None else (p[0] - du, p[1] - dv) for p in positions]
def _goal_distance(blocked: np.ndarray, end: tuple[int, int], start: tuple[int, int],
                   goal: tuple[int, int]) -> float:
    """How far from the goal the agent ended, reference-free (from the layout alone).

    Legal steps from ``end`` to the goal over the steps from the start: 0 on the
    goal, 1 no closer than the start; 1 too when ``end`` has no legal route to
    the goal (a blocked cell, a walled-off region).
    """
    steps = {goal: 0}
    queue = deque([goal])
    while queue:
        r, c = queue.popleft()
        for cell in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)):
            if (cell not in steps and 0 <= cell[0] < blocked.shape[0] and 0 <= cell[1] < blocked.shape[1]
                    and not blocked[cell]):
                steps[cell] = steps[(r, c)] + 1
                queue.append(cell)
    full = steps.get(start)
    if not full:  # start on the goal or cut off from it: only ending on the goal counts
        return 0.0 if end == goal else 1.0
    return min(1.0, steps.get(end, full) / full)


def cell_centre(geometry: BoardGeometry, cell: tuple[int, int]) -> tuple[float, float]:
    """The centre of ``cell`` (row, column) in canonical pixels."""
    return geometry.grid_to_canonical(cell[0] + 0.5, cell[1] + 0.5)
