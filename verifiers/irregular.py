"""The irregular maze verifier: the agent drives along curved roads, never across the ground, to the goal.

Steps, top to bottom in :meth:`IrregularVerifier.verify`:
1. align the puzzle's first frame onto the video (stretch, letterbox, crop, ECC; garbage frames skipped);
2. warp every frame into canonical space (the image scaled so a road is 8 pixels wide);
3. learn the empty board and the agent's look from the video, check the picture matches the layout's
   roads, then undo small shake;
4. find the agent (and any copies) in every frame;
5. check the board stays intact (roads not erased or drawn, goal not moved, camera still);
6. judge the trajectory against the road mask rebuilt from the layout's geometry (:mod:`verifiers.roadpath`);
7. compute the metrics and assemble the verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import ValidationError

from genreason.errors import BadInput
from genreason.types import Event, Puzzle, Verdict, Video
from puzzles.irregular.layout import RoadLayout, sample_curve
from verifiers import board, canonical, roadpath, tracking, vrbench
from verifiers.road_look import (
    ROAD_PX,
    SPRITE_PAD,
    RoadCanvas,
    differences,
    layout_mismatch,
    learn_appearance,
)

MIN_ROAD_PIXELS = 4.0  # below this a road is a few pixels wide in the video: too small to judge
DUPLICATE_DISTANCE = 1.0  # road widths between the agent and an agent-like blob that counts as a copy
CAMERA_SHIFT = 0.6  # road widths of global shift beyond which the camera moved (less is shake, undone)
GOAL_VISIBLE = 0.3  # share of the goal's box that must be free of the agent for it to be judged
# Share of the goal box's visible pixels that must differ (two frames in a row) for the goal to have changed. The
# box holds more than the goal's sprite, and the envelope difference forgives the sprite's rim: on a coarse raster
# (an easy puzzle's 137 px) an erased goal changed only 24-29% of it, and 0.3 let it go (calibrate --family
# irregular --n 4 --seed 1400). Over the 378 legal and 378 goal-moved videos of every calibration corpus, legal
# goal boxes never showed a changed pixel two frames in a row, erased goals at least 21%: the middle of the gap.
GOAL_CHANGED = 0.1
MIN_JUMP = 3.0  # road widths a frame below which no move is a teleport, whatever the frame rate
START_SLACK = 0.5  # road widths between the first sighting and the start node for it to be the agent
SEAM_PERSIST = 4  # frames a change must last in the tiling half a tile across, or in a shaken video (board_changes)
HIDDEN_RING = 0.25  # road widths around the agent's pixels never judged as the board (its blurred rim)
ECHO_FRAMES = 2  # frames before and after a sighting in which the agent's pixels are not judged as the board either


@dataclass(frozen=True)
class Tracked:
    """Steps 3-4: the learned look, shake shifts, board difference, and the agent per frame."""

    appearance: tracking.Appearance
    shifts: np.ndarray  # T x 2 canonical pixels
    changed: np.ndarray  # T x H x W bool, beyond the board threshold by the per-channel envelope difference
    positions: list[tuple[float, float] | None]  # canonical, offset-corrected
    duplicated: list[bool]
    agent_masks: np.ndarray  # T x H x W bool


class IrregularVerifier:
    """Strict judge of an irregular maze video: on the road throughout, board intact, goal reached and held.

    Rules not checkable for a puzzle (a VR-Bench state without road geometry) are
    named in ``puzzle.layout["unchecked"]``; the verdict then reports them as
    ``rule_not_checked`` events and the ``rules_not_checked`` metric, and never as passed.
    """

    name = "irregular"
    version = "1"

    def __init__(self, tolerance: float = 0.25, max_speed: float = 64.0, max_lost_seconds: float = 0.2) -> None:
        """Tolerances, in road widths and seconds.

        Args:
            tolerance: How far beyond the road's edge the agent's centre may stray (tracking noise,
                a corner rounded wide).
            max_speed: Road widths per second beyond which a move between two frames is a teleport
                (4 a frame at 16 fps; never less than 3 a frame).
            max_lost_seconds: How long the agent may go unseen (never less than 3 frames).
        """
        self.tolerance = tolerance
        self.max_speed = max_speed
        self.max_lost_seconds = max_lost_seconds

    def layout(self, puzzle: Puzzle) -> RoadLayout:
        data = {k: v for k, v in puzzle.layout.items() if k != "unchecked"}
        try:
            return RoadLayout.model_validate(data)
        except ValidationError as exc:
            raise BadInput(puzzle.id, f"layout is not a road layout: {exc.errors()[0]['msg']}") from None

    def verify(self, puzzle: Puzzle, video: Video) -> Verdict:
        layout = self.layout(puzzle)
        canvas = RoadCanvas.of(layout, puzzle.width, puzzle.height)
        road = canvas.field(layout)

        # 1-2. Can it be judged at all? Then canonical space.
        alignment = canonical.align(puzzle.frame0(), video)
        if alignment is None:
            return self._unreadable("no frame among the first ones shows the puzzle's board "
                                    "(it may be drawn over, or the video shows something else)")
        road_px = layout.road_width * math.sqrt(abs(np.linalg.det(alignment.puzzle_to_video[:, :2])))
        if road_px < MIN_ROAD_PIXELS:
            return self._unreadable(f"a road is only {road_px:.1f} pixels wide in this video")
        to_canonical = canonical.compose(canvas.puzzle_to_canonical(), canonical.invert(alignment.puzzle_to_video))
        first = alignment.first_frame
        warp = canonical.Warp(video, to_canonical, canvas.size, first)
        limit = CAMERA_SHIFT * canvas.width_px

        # 3-4. Appearance, shake removed, the agent in every frame; then the picture against the layout.
        seen = self._track(warp, layout, canvas, road, limit)
        if isinstance(seen, str):
            return self._unreadable(seen)
        appearance, shifts, changed = seen.appearance, seen.shifts, seen.changed
        in_view = canonical.inside_video(video.size, to_canonical, canvas.size, canonical.shake_border(shifts, limit))
        positions, duplicated, agent_masks = seen.positions, seen.duplicated, seen.agent_masks
        events: list[Event] = []
        if first:
            events.append(Event(frame=0, kind="skipped_frames",
                                message=f"frames 0-{first - 1} do not show the puzzle and were skipped"))
        board_ok = True
        mismatch = layout_mismatch(appearance, road, self._sprite_mask(layout, canvas)) if layout.edges else None
        if mismatch is not None:
            board_ok = False
            events.append(Event(frame=first, kind="board_mismatch",
                                message=f"frame {first}: the picture does not match the layout: {mismatch}"))

        # 5. The board.
        hidden = _hidden(agent_masks, canonical.to_pixels(canvas.width_px, HIDDEN_RING))
        board_ok = self._judge_board(changed, hidden, shifts, first, in_view, canvas, events) and board_ok
        goal_change = goal_changed(changed, hidden, in_view, layout, canvas)
        if goal_change is not None:
            board_ok = False
            t = goal_change + first
            events.append(Event(frame=t, kind="board_changed",
                                message=f"frame {t}: the goal changed (erased, moved or covered)"))

        # 6. The trajectory.
        rules = roadpath.RoadRules(tolerance=self.tolerance, max_jump=max(MIN_JUMP, self.max_speed / video.fps),
                                   max_lost=max(3, round(self.max_lost_seconds * video.fps)))
        frames = list(range(first, video.num_frames))
        goal = canvas.point(layout.nodes[layout.goal])
        result = roadpath.analyse(positions, frames, duplicated, canvas.fine_field(layout), goal, rules)
        events.extend(result.events)
        if not result.ended_on_goal and not any(e.kind == "lost_at_end" for e in result.events):
            events.append(Event(frame=video.num_frames - 1, kind="goal_not_reached", message=(
                f"frame {video.num_frames - 1}: the video ends with the agent away from the goal")))
        unchecked = [str(rule) for rule in puzzle.layout.get("unchecked", [])]
        for rule in unchecked:
            events.append(Event(frame=0, kind="rule_not_checked", message=f"not checked: {rule}"))

        # 7. Metrics and verdict.
        success = board_ok and result.legal and result.ended_on_goal
        trajectory = [None] * first + [None if p is None else (round(p[0] / canvas.scale, 2),
                                                               round(p[1] / canvas.scale, 2)) for p in positions]
        metrics = self._metrics(puzzle, layout, video, alignment, trajectory, result, canvas, success)
        metrics["rules_not_checked"] = float(len(unchecked))
        events.sort(key=lambda e: e.frame)
        return Verdict(verifier=self.name, verifier_version=self.version, success=success,
                       metrics=metrics, trajectory=trajectory, events=events)

    # -- steps ------------------------------------------------------------------------------

    def _track(self, warp: canonical.Warp, layout: RoadLayout, canvas: RoadCanvas, road: roadpath.RoadField,
               limit: float) -> Tracked | str:
        """Steps 3-4 (see :class:`Tracked`) on the frames ``warp`` makes, or why the video cannot be judged.

        The road under the agent's start is first taken from the video's median; if
        the agent's look cannot be learned from it, or the agent is then not found
        at its start (a moving camera smears the median), the start is inpainted
        instead.
        """
        reason = ""
        canon = warp.frames()
        # The agent ends on the goal and hides much of it: not the camera moving, so the goal's box is left
        # out of the structure that shake is measured on (on a board of little else, it pulled the measure
        # by 1.3-1.7 px once the agent arrived).
        goal = np.zeros(canon.shape[1:3], dtype=bool)
        goal[_raster_box(layout.goal_box, canvas)] = True
        for from_median in (True, False):
            appearance = learn_appearance(canon, layout, canvas, road, from_median)
            if isinstance(appearance, str):  # a median smeared by a moving camera can hide the agent: inpaint
                reason = appearance
                continue
            structure = tracking.structure_frames(canon, [appearance], zeroed=goal)
            steady, shifts = canonical.stabilize(canon, structure, limit=limit, source=warp)
            smoothed = tracking.smooth(steady)
            # Two differences from the empty board: whole-colour distance finds the agent even over a goal
            # whose colours bracket it channel by channel; the per-channel envelope forgives the colour
            # blends a sub-pixel shift leaves along every edge, so the board check does not see shake.
            diffs = differences(smoothed, appearance.background, appearance.threshold,
                                board.board_threshold(appearance))
            positions, duplicated, agent_masks = self._sightings(smoothed, diffs.agent, appearance, canvas, layout)
            if positions[0] is not None:
                return Tracked(appearance, shifts, diffs.board, positions, duplicated, agent_masks)
            reason = "the agent is not found at its start node in the first frame"
        return reason

    def _unreadable(self, reason: str) -> Verdict:
        return Verdict(verifier=self.name, verifier_version=self.version, success=False,
                       status="unreadable", reason=reason)

    @staticmethod
    def _sprite_mask(layout: RoadLayout, canvas: RoadCanvas) -> np.ndarray:
        mask = np.zeros((canvas.size[1], canvas.size[0]), bool)
        pad = canonical.to_pixels(canvas.width_px, SPRITE_PAD)
        for box in (layout.agent_box, layout.goal_box):
            mask[_raster_box(box, canvas, pad)] = True
        return mask

    def _sightings(self, smoothed: np.ndarray, diff: np.ndarray, appearance: tracking.Appearance,
                   canvas: RoadCanvas, layout: RoadLayout
                   ) -> tuple[list[tuple[float, float] | None], list[bool], np.ndarray]:
        """The agent's centre per frame (canonical, offset-corrected), whether it was seen twice, its pixels."""
        start = canvas.point(layout.nodes[layout.start])
        positions, duplicated, agent_masks = tracking.follow_agent(
            smoothed, diff, appearance, start, DUPLICATE_DISTANCE * canvas.width_px, opening=tracking.CROSS)
        first = positions[0]
        if first is None or math.dist(first, start) > START_SLACK * canvas.width_px:
            return [None, *positions[1:]], duplicated, agent_masks
        # A sprite's centroid need not be its node (a triangle, a flag): the offset at the start is removed.
        du, dv = first[0] - start[0], first[1] - start[1]
        return [None if p is None else (p[0] - du, p[1] - dv) for p in positions], duplicated, agent_masks

    def _judge_board(self, changed: np.ndarray, hidden: np.ndarray, shifts: np.ndarray, first: int,
                     in_view: np.ndarray, canvas: RoadCanvas, events: list[Event]) -> bool:
        ok = True
        shift = np.hypot(shifts[:, 0], shifts[:, 1])
        moved = shift > CAMERA_SHIFT * canvas.width_px
        if moved.any():
            ok = False
            t = int(np.argmax(moved)) + first
            events.append(Event(frame=t, kind="camera_moved",
                                message=f"frame {t}: the camera moved (the whole board shifted)"))
        tile = ROAD_PX / canvas.scale  # puzzle pixels per tile
        for change, offset in board_changes(changed, hidden, in_view, bool((shift > canonical.MIN_SHAKE).any())):
            ok = False
            t = change.frame + first
            r, c = (v + canonical.MARGIN + offset / ROAD_PX for v in change.cell)  # counted from a grid margin
            x, y = round((c + 0.5) * tile), round((r + 0.5) * tile)
            events.append(Event(frame=t, kind="board_changed", message=(
                f"frame {t}: the board around pixel ({x}, {y}) changed (a road erased or drawn, "
                f"the goal moved or covered)")))
        return ok

    def _metrics(self, puzzle: Puzzle, layout: RoadLayout, video: Video, alignment: canonical.Alignment,
                 trajectory: list[tuple[float, float] | None], result: roadpath.RoadResult,
                 canvas: RoadCanvas, success: bool) -> dict[str, float]:
        reference = reference_line(puzzle, layout)
        seen = [p for p in trajectory if p is not None]
        metrics = vrbench.video_metrics(video, alignment.puzzle_to_video, reference, trajectory,
                                        layout.agent_box, layout.goal_box)
        metrics["progress"] = round(roadpath.progress(result.kept, reference * canvas.scale, canvas.width_px,
                                                      0.5 + self.tolerance), 4)
        metrics["exact_match"] = float(success and metrics["em"] >= 1.0)
        metrics["tracked_fraction"] = round(len(seen) / max(1, video.num_frames), 4)
        metrics["off_road_fraction"] = round(result.off_road_fraction, 4)
        metrics["max_off_road"] = round(result.max_off_road, 4)
        last = next((p for p in reversed(result.kept) if p is not None), None)
        end = None if last is None else (last[0] / canvas.scale, last[1] / canvas.scale)
        metrics["goal_distance"] = round(roadpath.goal_distance(layout, end, 0.5 + self.tolerance), 4)
        return metrics


def _hidden(agent_masks: np.ndarray, ring: int, echo: int = ECHO_FRAMES) -> np.ndarray:
    """T x H x W bool: the agent's pixels and a ring ``ring`` pixels wide around them, never judged as the board,
    in their own frame and the ``echo`` frames before and after it.

    Low-bitrate H.264 predicts a frame from its neighbours and leaves a faint ghost of a moving agent where it
    was or will be: after garbage frames at the start, a medium oracle's agent showed, two frames early, as a
    road-wide smudge half a road ahead of itself, read as a changed tile for the frames it lasted (calibrate
    --n 2 --seed 4600, garbage-start+h264-low, rejected as board_changed). The board's lasting changes (an erased
    road, a moved goal) are still seen: they stay where the agent has gone.
    """
    kernel = np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)
    hidden = np.zeros(agent_masks.shape, dtype=np.uint8)
    grown = np.zeros(agent_masks.shape[1:], dtype=np.uint8)
    count = len(agent_masks)
    for t, m in enumerate(agent_masks):
        box = tracking.widened_box(m, ring)  # dilated in the agent's box only
        if box is None:
            continue
        cv2.dilate(m.view(np.uint8)[box], kernel, dst=grown[box])
        for near in hidden[max(0, t - echo):min(count, t + echo + 1)]:
            near[box] |= grown[box]
    return hidden.view(bool)


def board_changes(changed: np.ndarray, hidden: np.ndarray, in_view: np.ndarray,
                  shaken: bool = False) -> list[tuple[board.CellChange, int]]:
    """Lasting changes of road-wide tiles, each with the offset (canonical pixels, both axes) of its tiling.

    Tiles are judged on their interiors only, and a road is as wide as a tile: a road erased along a
    seam between two tiles changes only their trimmed edges (calibrate --seed 3400, a medium meadow
    road, vertical, 4 changed pixels wide on a seam, was accepted erased). Where the tiling of the
    raster finds no change, a second one half a tile across is judged too, on changes that last
    :data:`SEAM_PERSIST` frames: its tiles straddle the first one's edges, where camera shake
    leaves a stray changed tile for a frame or two (calibrate --n 2 --seed 1300, a medium oracle
    under ``shake``, had one for 2 frames). In a ``shaken`` video (frames moved back) changes must last as
    long in the first tiling too: a road's thin bright rim running down a tile's middle, on a meadow's
    textured grass, read brighter in 2 shaken frames running (moved back by a fraction of a pixel, the line
    is sampled at another phase) and the tile as changed (calibrate --n 2 --seed 3900, a medium oracle under
    ``shake``, rejected).
    """
    for offset, persist in ((0, SEAM_PERSIST if shaken else board.PERSIST), (ROAD_PX // 2, SEAM_PERSIST)):
        shifted = (slice(None), slice(offset, None), slice(offset, None))
        found = board.persistent_changes(changed_tiles(changed[shifted], hidden[shifted], in_view[shifted[1:]],
                                                       ROAD_PX), persist)
        if found:
            return [(change, offset) for change in found]
    return []


def changed_tiles(changed: np.ndarray, hidden: np.ndarray, in_view: np.ndarray, tile: int) -> np.ndarray:
    """T x R x C bool: which square tiles of ``tile`` canonical pixels (one road wide) differ from the empty board.

    The rule of :func:`verifiers.board.changed_cells` on tiles of any size: a
    tile changed when more than ``board.CHANGED_FRACTION`` of the visible part
    of its interior (its edges trimmed by ``board.INSET_SHARE`` of its width)
    differs, provided that part is at least ``board.MIN_VISIBLE`` of it.
    """
    t, h, w = changed.shape
    rows, cols = h // tile, w // tile
    inset = round(board.INSET_SHARE * tile)
    out = np.zeros((t, rows, cols), dtype=bool)
    for i in range(t):
        # Only a tile with a changed pixel can have changed: the frame is judged on the tiles around those.
        x, y, bw, bh = cv2.boundingRect(changed[i, :rows * tile, :cols * tile].view(np.uint8))
        if not bw:
            continue
        r0, r1, c0, c1 = y // tile, -(-(y + bh) // tile), x // tile, -(-(x + bw) // tile)
        region = (slice(r0 * tile, r1 * tile), slice(c0 * tile, c1 * tile))
        visible = ~hidden[i][region] & in_view[region]
        vis = board.inner_counts(visible, tile, inset)
        hit = board.inner_counts(changed[i][region] & visible, tile, inset)
        judged = vis >= board.MIN_VISIBLE * (tile - 2 * inset) ** 2
        out[i, r0:r1, c0:c1] = judged & (hit > board.CHANGED_FRACTION * np.maximum(vis, 1))
    return out


def _raster_box(box: tuple[float, float, float, float], canvas: RoadCanvas, pad: int = 0) -> tuple[slice, slice]:
    """A puzzle-pixel box (x0, y0, x1, y1) as (rows, columns) of the canonical raster, widened by ``pad`` pixels
    (cut at the raster's edges by the slicing)."""
    x0, y0, x1, y1 = (round(v * canvas.scale) for v in box)
    return slice(max(0, y0 - pad), max(0, y1 + pad)), slice(max(0, x0 - pad), max(0, x1 + pad))


def goal_changed(changed: np.ndarray, hidden: np.ndarray, in_view: np.ndarray, layout: RoadLayout,
                 canvas: RoadCanvas) -> int | None:
    """The first analysed frame from which the goal's box stays changed for ``board.PERSIST`` frames; None if never.

    The goal is one small sprite: the board's tiles may each see too little of
    it change, so its own box is judged as a whole (the agent's pixels and ``hidden`` ring excluded).
    """
    box = _raster_box(layout.goal_box, canvas)
    if in_view[box].size == 0:
        return None
    visible = ~hidden[(slice(None), *box)] & in_view[box]
    shown = visible.sum(axis=(1, 2))
    differs = (changed[(slice(None), *box)] & visible).sum(axis=(1, 2))
    run = 0
    for t in range(len(changed)):
        judged = shown[t] >= GOAL_VISIBLE * visible[t].size
        run = run + 1 if judged and differs[t] > GOAL_CHANGED * shown[t] else 0
        if run == board.PERSIST:
            return t - board.PERSIST + 1
    return None


def reference_line(puzzle: Puzzle, layout: RoadLayout) -> np.ndarray:
    """The reference route's centre line in puzzle pixels (N x 2), points at most 2 pixels apart."""
    nodes = [int(v) for v in puzzle.solution.get("nodes", [layout.start, layout.goal])]
    if not layout.edges:  # no roads known: the reference is the straight line through the solution's nodes
        return sample_curve(np.array([layout.nodes[i] for i in nodes], dtype=float), 2.0)
    try:
        line = layout.route(nodes)
    except ValueError:
        raise BadInput(puzzle.id, "its solution's nodes are not joined by roads") from None
    return sample_curve(line, 2.0)
