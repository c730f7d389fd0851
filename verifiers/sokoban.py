"""Sokoban: the player walks free cells and pushes every box onto a target, one legal push at a time.

The grid-agent pipeline (:mod:`verifiers.grid_agent`) with a second kind of
moving object. Steps, top to bottom in :meth:`SokobanVerifier.verify`:

1. align the puzzle onto the video and warp it into canonical space (as for every grid family);
2. learn the empty board, the boxes' look and the player's look from the video's first good
   frame (boxes and player painted out), then undo small shake with both masked;
3. split what differs from the empty board by colour (nearer the box's or the player's look) and
   follow the player and every box; a non-player blob on a target counts as a box there, so a
   renderer that recolours a box on its target is still followed;
4. check the board stays intact cell by cell (player and boxes are not the board);
5. judge the player's and every box's trajectory against the walls (:mod:`verifiers.gridpath`:
   no crossing, also between two frames, no teleport, never lost or duplicated for long);
6. judge the sokoban rules (:mod:`verifiers.sokoban_rules`): every box move a push from behind,
   never into another box, the player never through a box, every box on a target at the end and
   no box leaving once all were on;
7. compute the metrics (VR-Bench's on the player's path, pushes, boxes on targets) and the verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import cast

import cv2
import numpy as np

from genreason.types import Event, Puzzle, Verdict, Video
from puzzles.sokoban.layout import SokobanLayout
from verifiers import canonical, difference, gridpath, sokoban_rules, tracking
from verifiers.canonical import CELL, BoardGeometry
from verifiers.grid_agent import (
    CAMERA_SHIFT,
    CENTRE_RIM,
    MIN_BLOB,
    MIN_SHAKE,
    SPECKS,
    STRUCTURE_RING,
    WEIGHTED_SMOOTH,
    GridAgentVerifier,
    Sightings,
    anchored_to_start,
    cell_centre,
    surroundings,
)

OUTSIDE = (-99, -99)  # a "goal" no tracked object can reach: sokoban judges targets itself
TARGET_BOX_AREA = 0.3  # a non-player blob on a target this large (relative to a box) is the box there
# A player-coloured blob centred within this many cells of a box's centre is a marking of the box, not a copy of the
# player: a crate with a light rim (another renderer's) left a fragment of its rim nearer the player's colour than the
# crate's, 0.11 cell off the crate's centre, as large as 0.6 of the player, and its solution was rejected as the
# player duplicated under noise, gamma, colour shifts and dropped frames. A player beside a box it pushes is a cell
# away.
BOX_MARKING = 0.4


@dataclass(frozen=True)
class Looks:
    """The empty board and the looks of the player and the boxes, from the video's first good frame."""

    player: tracking.Appearance  # its background is the empty board; the box colour counts as a board colour
    box: tracking.Appearance  # the same board; ``agent_color``/``agent_area`` are one box's
    threshold: float  # foreground threshold for both


@dataclass(frozen=True)
class Tracks:
    player: Sightings
    boxes: list[list[tuple[float, float] | None]]  # per box, canonical positions
    box_duplicated: list[bool]


class SokobanVerifier(GridAgentVerifier):
    """Strict judge of a sokoban video: legal walks and pushes, board intact, every box on a target."""

    name = "sokoban"
    version = "1"
    blocked_name = "wall"

    def __init__(self, hysteresis: float = 0.15, wall_tolerance: float = 0.25, max_speed: float = 32.0,
                 max_lost_seconds: float = 0.2) -> None:
        """Tolerances as for :class:`GridAgentVerifier`; the player and boxes are followed by colour only
        (no ``tracker`` choice, so ``--tracker cotracker`` leaves this verifier as it is)."""
        super().__init__(hysteresis, wall_tolerance, max_speed, max_lost_seconds)

    layout_model = SokobanLayout
    layout_name = "sokoban"

    def layout(self, puzzle: Puzzle) -> SokobanLayout:
        return cast(SokobanLayout, super().layout(puzzle))

    def verify(self, puzzle: Puzzle, video: Video) -> Verdict:
        layout = self.layout(puzzle)
        geometry = BoardGeometry(layout.origin, layout.cell_size, layout.rows, layout.cols)

        # 1. Canonical space.
        view = self._canonical_view(puzzle, video, layout, geometry)
        if isinstance(view, Verdict):
            return view

        # 2. Looks, then shake.
        looks = self._looks(tracking.smooth(view.canon[:1], WEIGHTED_SMOOTH)[0], layout)
        if isinstance(looks, str):
            return self._unreadable(looks)
        targets = np.zeros(view.canon.shape[1:3], dtype=bool)
        for cell in layout.targets:  # a box standing on a target hides much of its mark: not the camera moving
            targets[tracking.cell_slices(*cell)] = True
        structure = tracking.structure_frames(view.canon, [looks.player, looks.box], zeroed=targets,
                                              ring=STRUCTURE_RING)
        canon, shifts = canonical.stabilize(view.canon, structure, limit=CAMERA_SHIFT * CELL, min_shake=MIN_SHAKE,
                                            source=view.warp)
        smoothed = tracking.smooth(canon, WEIGHTED_SMOOTH)

        # 3. Player and boxes in every frame.
        diff = difference.Difference(smoothed, looks.player.background)
        tracks = self._track(smoothed, diff, looks, geometry, layout)
        if tracks.player.positions[0] is None:
            return self._unreadable("the player is not found at its start cell in the first frame")
        if any(b[0] is None for b in tracks.boxes):
            return self._unreadable("a box is not found at its start cell in the first frame")

        # 4. The board.
        first = view.first
        events: list[Event] = []
        if first:
            events.append(Event(frame=0, kind="skipped_frames",
                                message=f"frames 0-{first - 1} do not show the puzzle and were skipped"))
        board_ok = self._judge_board(diff, tracks.player, looks.player, layout, shifts, first, view.in_view, events)

        # 5. Walls, teleports, losses, copies: the player and every box.
        rules = gridpath.PathRules(self.hysteresis, self.wall_tolerance, max(1.5, self.max_speed / video.fps),
                                   max(3, round(self.max_lost_seconds * video.fps)))
        walls = layout.wall_mask()
        frames = list(range(first, video.num_frames))
        player_grid = [None if p is None else geometry.canonical_to_grid(*p) for p in tracks.player.positions]
        path = gridpath.analyse_path(player_grid, frames, tracks.player.duplicated, walls, layout.start, OUTSIDE,
                                     rules, "wall")
        events.extend(_as_player(e) for e in path.events)
        box_grid = [[None if p is None else geometry.canonical_to_grid(*p) for p in b] for b in tracks.boxes]
        box_paths = [gridpath.analyse_path(b, frames, tracks.box_duplicated, walls, start, OUTSIDE, rules, "wall")
                     for b, start in zip(box_grid, layout.boxes)]
        for box_path in box_paths:
            events.extend(_as_box(e) for e in box_path.events)

        # 6. Sokoban's rules.
        window = max(1, round(0.1 * video.fps))
        judged = sokoban_rules.judge(frames, player_grid, box_grid, box_paths, list(layout.targets), window)
        events.extend(judged.events)

        # 7. Metrics and verdict.
        success = (board_ok and path.legal and all(p.legal for p in box_paths) and judged.legal
                   and judged.all_on_targets)
        reference = [tuple(c) for c in puzzle.solution.get("path", [])]
        path.ended_on_goal = bool(reference) and path.cells[-1] == reference[-1]
        trajectory = self._to_puzzle_pixels(tracks.player.positions, geometry, layout, first, video.num_frames)
        metrics = self._metrics(puzzle, _player_goal(layout, reference), video, view.alignment, trajectory, path,
                                success)
        metrics.update({"pushes": float(judged.pushes), "box_on_target": judged.on_target / len(layout.boxes),
                        "box_tracked_fraction": round(float(np.mean([
                            sum(p is not None for p in b) for b in tracks.boxes])) / max(1, video.num_frames), 4)})
        if reference:
            metrics["reference_pushes"] = float(len(puzzle.solution.get("pushes", [])))
        events.sort(key=lambda e: e.frame)
        return Verdict(verifier=self.name, verifier_version=self.version, success=success,
                       metrics=metrics, trajectory=trajectory, path=path.cells, events=events)

    # -- steps ------------------------------------------------------------------------------

    def _looks(self, reference: np.ndarray, layout: SokobanLayout) -> Looks | str:
        player_cells = self._cells_under(layout, layout.agent_box)
        box_cells = [c for box in layout.box_boxes for c in self._cells_under(layout, box)]
        skip = set(player_cells) | set(box_cells) | set(layout.targets)
        cells_by_code: dict[str, list[tuple[int, int]]] = {".": []}
        for r in range(layout.rows):
            for c in range(layout.cols):
                if (r, c) not in skip:
                    cells_by_code.setdefault(layout.code((r, c)), []).append((r, c))
        # The boxes first, measured as an "agent" over the frame; that call paints them out,
        # and the player is measured on what is left: the empty board.
        around = surroundings(layout, skip | {layout.goal})
        boxes = tracking.measure_appearance(reference, cells_by_code, layout.goal, box_cells, around)
        if isinstance(boxes, str):
            return boxes.replace("agent", "box")
        player = tracking.measure_appearance(boxes.background, cells_by_code, layout.goal, player_cells, around)
        if isinstance(player, str):
            return player.replace("agent", "player")
        box_colour, player_colour = boxes.agent_color, player.agent_color
        if float(np.abs(box_colour - player_colour).sum()) < 45:
            return "the player's colour is too close to the box's to tell them apart"
        contrast = float(np.abs(player.board_colours - box_colour).sum(-1).min())
        box_threshold = float(np.clip(0.45 * contrast, 25.0, 200.0))
        box = replace(player, agent_color=box_colour, agent_area=boxes.agent_area / len(layout.boxes),
                      board_colours=np.vstack([player.board_colours, player_colour[None]]), threshold=box_threshold)
        player = replace(player, board_colours=np.vstack([player.board_colours, box_colour[None]]))
        return Looks(player, box, min(player.threshold, box_threshold))

    def _track(self, smoothed: np.ndarray, diff: difference.Difference, looks: Looks, geometry: BoardGeometry,
               layout: SokobanLayout) -> Tracks:
        fg = tracking.foreground(diff, replace(looks.player, threshold=looks.threshold), SPECKS).view(bool)
        box_colour = looks.box.agent_color
        player_colour = looks.player.agent_color
        targets = {tuple(t) for t in layout.targets}
        n = len(layout.boxes)
        player_pos: list[tuple[float, float] | None] = []
        player_dup: list[bool] = []
        boxes_pos: list[list[tuple[float, float] | None]] = [[] for _ in range(n)]
        box_dup: list[bool] = []
        masks = np.zeros(fg.shape, dtype=bool)
        last = cell_centre(geometry, layout.start)
        last_boxes = [cell_centre(geometry, b) for b in layout.boxes]
        box_area = looks.box.agent_area
        for t in range(len(smoothed)):
            frame = smoothed[t]
            boxish = _nearer(frame, fg[t], box_colour, player_colour)
            # Both kinds' pixels go straight into this frame's mask (player's or box's: not the board).
            found = tracking.blobs_into(frame, (fg[t] & ~boxish).view(np.uint8), diff[t], looks.player, masks[t],
                                        MIN_BLOB, CENTRE_RIM)
            box_found = tracking.blobs_into(frame, boxish.view(np.uint8), diff[t], looks.box, masks[t], MIN_BLOB)
            candidates = [b for b in box_found if b.agent_like]
            for b in [*found, *box_found]:  # a box recoloured on its target: a large blob there, neither look
                row, col = geometry.canonical_to_grid(*b.center)
                if not b.agent_like and b.area >= TARGET_BOX_AREA * box_area and \
                        (math.floor(row), math.floor(col)) in targets:
                    candidates.append(b)
                    masks[t] |= _disc(fg.shape[1:], b.center, math.sqrt(b.area))
            agents = [b for b in found if b.agent_like]
            if agents:
                chosen = min(agents, key=lambda b: math.dist(b.center, last))
                big = [b for b in agents if b.area >= tracking.DUPLICATE_AREA * looks.player.agent_area
                       and all(math.dist(b.center, box.center) > BOX_MARKING * CELL for box in candidates)]
                player_dup.append(any(math.dist(b.center, chosen.center) > 0.75 * CELL for b in big))
                player_pos.append(chosen.center)
                last = chosen.center
            else:
                player_pos.append(None)
                player_dup.append(False)
            free = list(candidates)
            for k in range(n):
                if not free:
                    boxes_pos[k].append(None)
                    continue
                pick = min(free, key=lambda b: math.dist(b.center, last_boxes[k]))
                free.remove(pick)
                boxes_pos[k].append(pick.center)
                last_boxes[k] = pick.center
            tracked = [p[-1] for p in boxes_pos if p[-1] is not None]
            box_dup.append(any(b.area >= tracking.DUPLICATE_AREA * box_area
                               and all(math.dist(b.center, p) > 0.75 * CELL for p in tracked) for b in free))
        player = Sightings(anchored_to_start(player_pos, cell_centre(geometry, layout.start)), player_dup, masks)
        boxes = [anchored_to_start(p, cell_centre(geometry, b)) for p, b in zip(boxes_pos, layout.boxes)]
        return Tracks(player, boxes, box_dup)


def _nearer(frame: np.ndarray, mask: np.ndarray, colour: np.ndarray, other: np.ndarray) -> np.ndarray:
    """Pixels of ``mask`` whose colour is nearer ``colour`` than ``other`` (L1), False elsewhere.

    Colour distances are computed only in the box around the mask (the foreground: a few
    sprites), not over the whole frame: the same answer for a fraction of the work.
    """
    out = np.zeros(mask.shape, dtype=bool)
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    if w:
        box = frame[y:y + h, x:x + w]
        out[y:y + h, x:x + w] = mask[y:y + h, x:x + w] & (
            tracking.distance(box, colour) < tracking.distance(box, other))
    return out


def _disc(shape: tuple[int, ...], centre: tuple[float, float], radius: float) -> np.ndarray:
    ys, xs = np.ogrid[:shape[0], :shape[1]]
    return (xs + 0.5 - centre[0]) ** 2 + (ys + 0.5 - centre[1]) ** 2 <= (radius * 1.2) ** 2


def _player_goal(layout: SokobanLayout, reference: list[tuple[int, int]]) -> SokobanLayout:
    """The layout with ``goal_box`` on the player's last reference cell: VR-Bench's metrics follow the player."""
    if not reference:
        return layout
    x0, y0, x1, y1 = layout.cell_box(reference[-1])
    return layout.model_copy(update={"goal_box": (x0, y0, x1, y1)})


def _as_player(event: Event) -> Event:
    return event.model_copy(update={"message": event.message.replace("the agent", "the player")})


def _as_box(event: Event) -> Event:
    """A trajectory event about a box: ``box_`` before its kind (``box_wall_crossed``, ``box_lost``, ...)."""
    return Event(frame=event.frame, kind=f"box_{event.kind}", message=event.message.replace("the agent", "the box"))
