"""The 3D maze verifier: track the agent in image space and judge it against the known projection.

Steps, top to bottom in :meth:`Maze3DVerifier.verify`:
1. align the puzzle's first frame onto the video (:mod:`verifiers.canonical`) and warp every frame
   into canonical space: ``frame0.png`` scaled so that half a top face is :data:`A_CANON` pixels;
2. learn the empty board (the video's own first good frame, with the board under the agent read
   from the video's median where the agent left, else painted in) and the agent's look there,
   then undo small shake;
3. find the agent (and any copies) in every frame (:mod:`verifiers.tracking`);
4. check the board stays intact (:mod:`verifiers.maze3d_board`) and the camera still;
5. judge the trajectory against the visible top faces and ladders (:mod:`verifiers.maze3d_rules`),
   or, for a VR-Bench state that carries no projection, only what its image boxes allow;
6. metrics (VR-Bench's on the image trajectory, ladders used, illegal level changes, progress) and verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import ValidationError

from genreason.errors import BadInput
from genreason.types import Event, Puzzle, Verdict, Video
from puzzles.maze3d.layout import ImageLayout, Maze3DLayout, place_labels
from verifiers import (
    canonical,
    difference,
    maze3d_board,
    maze3d_rules,
    tracking,
    vrbench,
)
from verifiers.maze3d_image import judge_image_only

A_CANON = maze3d_board.A_CANON  # canonical pixels for half a top face's width (set beside the lengths it scales)
MIN_A_PIXELS = 5.0  # below this half a top face is too small in the video to judge
FAINT = 0.6  # share of the threshold at which a frame with no agent is searched again near its last sighting


@dataclass(frozen=True)
class Track:
    """The agent in every analysed frame, in ``frame0.png`` pixels (None where unseen)."""

    positions: list[tuple[float, float] | None]
    duplicated: list[bool]
    agent_masks: np.ndarray  # canonical


class Maze3DVerifier:
    """Strict judge of a 3D maze video: top faces and ladders only, level changes by ladder, goal held."""

    name = "maze3d"
    version = "1"

    def __init__(self, tolerance: float = 0.25, hysteresis: float = 0.12, max_speed: float = 32.0,
                 max_lost_seconds: float = 0.2) -> None:
        """Tolerances in units of ``a`` (half a top face's width) and seconds.

        Args:
            tolerance: How far off every walkable face (or ladder) the agent's centre may be.
            hysteresis: How far from its current face the centre must be before it counts as moved
                (ambiguous points stay with the current face).
            max_speed: Steps per second beyond which a move between two frames is a teleport
                (never less than 1.5 steps a frame).
            max_lost_seconds: How long the agent may go unseen (never less than 3 frames).
        """
        self.tolerance = tolerance
        self.hysteresis = hysteresis
        self.max_speed = max_speed
        self.max_lost_seconds = max_lost_seconds

    def verify(self, puzzle: Puzzle, video: Video) -> Verdict:
        layout = self._layout(puzzle)
        a = half_width(layout)
        s = A_CANON / a
        size = (round(puzzle.width * s), round(puzzle.height * s))

        # 1. Alignment and canonical space.
        alignment = canonical.align(puzzle.frame0(), video)
        if alignment is None:
            return self._unreadable("no frame among the first ones shows the puzzle's blocks "
                                    "(it may be drawn over, or the video shows something else)")
        a_video = a * math.sqrt(abs(np.linalg.det(alignment.puzzle_to_video[:, :2])))
        if a_video < MIN_A_PIXELS:
            return self._unreadable(f"a block's top face is only {2 * a_video:.1f} pixels wide in this video")
        scale = np.array([[s, 0.0, 0.0], [0.0, s, 0.0]])
        to_canonical = canonical.compose(scale, canonical.invert(alignment.puzzle_to_video))
        first = alignment.first_frame
        warp = canonical.Warp(video, to_canonical, size, first)
        canon = warp.frames()
        in_view = canonical.inside_video(video.size, to_canonical, size, maze3d_board.CAMERA_SHIFT)

        # 2-3. The empty board and the agent's look; shake; the agent. The board under the agent's start
        # comes from the video's median; when the agent is then not found where it starts (a panning
        # camera smears the median), it is inpainted instead, on frames warped anew (the first try
        # smoothed them in place).
        reference = tracking.smooth(canon[:1])[0]
        seen = _centre(layout.agent_box)
        anchor = layout.start_px if isinstance(layout, ImageLayout) else layout.top_centre(layout.start)
        for from_median in (True, False):
            if not from_median:
                canon = warp.frames()
            appearance = learn_appearance(reference, _scaled(layout.agent_box, s), canon if from_median else None)
            if isinstance(appearance, str):
                return self._unreadable(appearance)
            canon, shifts = canonical.stabilize(canon, tracking.structure_frames(canon, [appearance]),
                                                limit=maze3d_board.CAMERA_SHIFT, source=warp)
            smoothed = tracking.smooth(canon, out=canon)  # the unsmoothed frames are not read again
            # Held saturated at 255 (exact values only in the agent's windows): every threshold put on it,
            # the agent's and the board's, lies below 255 (clipped to at most 200), so the board check
            # thresholds ``diff.capped`` exactly as it would the full differences.
            diff = difference.Difference(smoothed, appearance.background)
            track = follow(smoothed, diff, appearance, (seen[0] * s, seen[1] * s), anchor, s)
            if track.positions[0] is not None:
                break
        else:
            return self._unreadable("the agent is not found where it starts in the first frame")

        # 4. The board and the camera.
        events: list[Event] = []
        if first:
            events.append(Event(frame=0, kind="skipped_frames",
                                message=f"frames 0-{first - 1} do not show the puzzle and were skipped"))
        board_ok = maze3d_board.judge(diff.capped, track.agent_masks, appearance, in_view, shifts, s, first,
                                      self._cell_namer(layout), events, thin_regions(layout, size, s), smoothed)

        # 5. The trajectory.
        fps = video.fps
        rules = maze3d_rules.Rules(tolerance=self.tolerance * a, hysteresis=self.hysteresis * a,
                                   max_step=max(1.5, self.max_speed / fps),
                                   max_lost=max(3, round(self.max_lost_seconds * fps)))
        frames = list(range(first, video.num_frames))
        metrics: dict[str, float]
        if isinstance(layout, ImageLayout):
            judged = judge_image_only(layout, track.positions, frames, track.duplicated, rules)
            events.extend(judged.events)
            rules_ok, on_goal, cells = judged.legal, judged.ended_on_goal, []
            metrics = dict(judged.metrics)
        else:
            labels = place_labels(layout, (puzzle.height, puzzle.width))
            path = maze3d_rules.analyse(track.positions, frames, track.duplicated, layout, labels, rules)
            events.extend(path.events)
            rules_ok, on_goal, cells = path.legal, path.ended_on_goal, path.cells
            metrics = path_metrics(layout, puzzle, path)
            if not on_goal and not any(e.kind == "lost_at_end" for e in path.events):
                end = path.final_cell
                where = f"on {end}" if end is not None else "off the walkable faces"
                events.append(Event(frame=video.num_frames - 1, kind="goal_not_reached", message=(
                    f"frame {video.num_frames - 1}: the video ends with the agent {where}, not on the goal "
                    f"{layout.goal}")))

        # 6. Metrics and verdict.
        success = board_ok and rules_ok and on_goal
        trajectory: list[tuple[float, float] | None] = [None] * first + [
            None if p is None else (round(p[0], 2), round(p[1], 2)) for p in track.positions]
        metrics.update(image_metrics(puzzle, layout, video, alignment, trajectory))
        metrics["success"] = float(success)
        metrics["tracked_fraction"] = round(sum(p is not None for p in trajectory) / max(1, video.num_frames), 4)
        events.sort(key=lambda e: e.frame)
        return Verdict(verifier=self.name, verifier_version=self.version, success=success, metrics=metrics,
                       trajectory=trajectory, path=cells, events=events)

    # -- pieces -------------------------------------------------------------------------------

    def _layout(self, puzzle: Puzzle) -> Maze3DLayout | ImageLayout:
        try:
            if puzzle.layout.get("kind") == "image":
                return ImageLayout.model_validate(puzzle.layout)
            return Maze3DLayout.model_validate(puzzle.layout)
        except ValidationError as exc:
            raise BadInput(puzzle.id, f"layout is not a 3D maze layout: {exc.errors()[0]['msg']}") from None

    def _unreadable(self, reason: str) -> Verdict:
        return Verdict(verifier=self.name, verifier_version=self.version, success=False, status="unreadable",
                       reason=reason)

    @staticmethod
    def _cell_namer(layout: Maze3DLayout | ImageLayout):  # type: ignore[no-untyped-def]
        """A function naming what is drawn at a ``frame0.png`` pixel, for board-change messages."""
        if isinstance(layout, ImageLayout):
            return lambda x, y: f"the board near ({x:.0f}, {y:.0f}) px"
        cells = layout.cells
        centres = np.array([layout.top_centre(c) for c in cells])

        def name(x: float, y: float) -> str:
            k = int(np.argmin(np.hypot(centres[:, 0] - x, centres[:, 1] - y)))
            return f"the blocks near cell {cells[k]} ({x:.0f}, {y:.0f} px)"
        return name


def thin_regions(layout: Maze3DLayout | ImageLayout, size: tuple[int, int], s: float) -> list[tuple[str, np.ndarray]]:
    """Canonical masks of the ladders and the goal's top face, which are checked one by one for changes."""
    if isinstance(layout, ImageLayout):
        return []
    out = []
    shapes = [(f"the ladder from {lad.low} up to {lad.high}", layout.ladder_quad(lad, (0.2, 0.8)))
              for lad in layout.ladders]
    shapes.append((f"the goal block {layout.goal}", layout.top_face(layout.goal)))
    for what, polygon in shapes:
        mask = np.zeros((size[1], size[0]), np.uint8)
        cv2.fillPoly(mask, [np.round(polygon * s * 16).astype(np.int32).reshape(-1, 1, 2)], 1, shift=4)
        out.append((what, mask.astype(bool)))
    return out


def half_width(layout: Maze3DLayout | ImageLayout) -> float:
    """``a``, half a top face's width in ``frame0.png`` pixels: the unit of every tolerance."""
    return float(layout.step_px / math.hypot(1.0, 0.5))


def _centre(box: tuple[float, float, float, float]) -> tuple[float, float]:
    return ((box[0] + box[2]) / 2, (box[1] + box[3]) / 2)


def _scaled(box: tuple[float, float, float, float], s: float) -> tuple[float, float, float, float]:
    return (box[0] * s, box[1] * s, box[2] * s, box[3] * s)


MOVED_OFF_SHARE = 0.9  # of the agent's first-frame pixels, the median must show something else at this many
# Lengths in units of ``a`` (canonical pixels: times A_CANON), so they follow the raster.
START_PAD = 1 / 8  # the agent's start box widened by this much each way
AGENT_HALO = 1 / 8  # the agent's pixels widened by this much are painted in, and as much again is its halo
INPAINT_RADIUS = 3 / 16  # how far around the painted-in pixels inpainting reads the board
MIN_AGENT_AREA = 1 / 64  # in a**2: an agent smaller than this is not told apart from its block


def learn_appearance(reference: np.ndarray, agent_box: tuple[float, float, float, float],
                     frames: np.ndarray | None = None) -> tracking.Appearance | str:
    """The empty board (the agent's box filled in) and the agent's look, in canonical space.

    The board under the agent's start is taken from the per-pixel median of ``frames`` (the
    canonical video) when the agent spent most of the video elsewhere: inpainting from around
    the box cannot redraw the face edges that pass under the agent, and leaves the halo that a
    blurred or compressed agent casts; compared with such a guess, the face looks "changed" as
    soon as the agent walks off. When the agent did not leave (or without ``frames``) the box is
    inpainted. Returns a reason string when the agent cannot be told apart from the board.
    """
    h, w = reference.shape[:2]
    x0, y0, x1, y1 = agent_box
    region = np.zeros((h, w), np.uint8)
    pad = canonical.to_pixels(A_CANON, START_PAD)
    region[max(0, int(y0) - pad):min(h, math.ceil(y1) + pad),
           max(0, int(x0) - pad):min(w, math.ceil(x1) + pad)] = 1
    if not region.any():
        return "the agent's start box lies outside the picture"
    # The agent is what, inside its box, differs from every colour on the ring around the box
    # (the faces it stands on and beside).
    border = cv2.dilate(region, np.ones((3, 3), np.uint8)).astype(bool) & ~region.astype(bool)
    ring = np.unique(reference[border].astype(np.float32), axis=0)
    inside = region.astype(bool)
    pixels = reference[inside].astype(np.float32)
    far = np.abs(pixels[:, None, :] - ring[None, :, :]).sum(-1).min(axis=1)
    peak = float(far.max())
    agent_mask = np.zeros_like(inside)
    agent_mask[inside] = far > 0.5 * peak
    if peak < 60 or agent_mask.sum() < MIN_AGENT_AREA * A_CANON ** 2:
        return "the agent cannot be told apart from the block it starts on"
    widen = np.ones((2 * canonical.to_pixels(A_CANON, AGENT_HALO) + 1,) * 2, np.uint8)
    hole = cv2.dilate(agent_mask.astype(np.uint8), widen)
    background = cv2.inpaint(reference, hole, INPAINT_RADIUS * A_CANON, cv2.INPAINT_TELEA)
    # The agent's pixels and their halo, out to the rim that a blurred or compressed agent smears.
    cover = cv2.dilate(hole, widen).astype(bool)
    if frames is not None:
        box, median = tracking.median_around(frames, cover)
        # The median shows the board only if the agent left: then nearly all of its first-frame pixels differ.
        gone = agent_mask[box] & (tracking.distance(reference[box], median) > 0.5 * peak)
        if gone.sum() >= MOVED_OFF_SHARE * agent_mask.sum():
            background[box][cover[box]] = median[cover[box]]
    agent_color = np.median(reference[agent_mask], axis=0).astype(np.float32)
    board_colours = tracking.dominant_colours(background, most=32)
    contrast = float(np.abs(board_colours - agent_color).sum(-1).min())
    if contrast < 45:
        return "the agent's colour is too close to a colour of the blocks to track it"
    threshold = float(np.clip(0.45 * contrast, 25.0, 200.0))
    return tracking.Appearance(background, agent_color, float(agent_mask.sum()), board_colours[0], None, {},
                               board_colours, threshold)


def follow(smoothed: np.ndarray, diff: np.ndarray | difference.Difference, appearance: tracking.Appearance,
           start: tuple[float, float], anchor: tuple[float, float], s: float) -> Track:
    """Where the agent stands in every frame (``frame0.png`` pixels); copies flagged.

    ``start`` is where the agent's sprite is seen at the start (canonical pixels), ``anchor`` the point it
    stands on (``frame0.png`` pixels): the offset between the two, measured in the first frame, is
    removed everywhere (a figure's centroid lies above its feet; a ball floats over its block).
    """
    raw, duplicated, agent_masks = tracking.follow_agent(smoothed, diff, appearance, start, 1.0 * A_CANON,
                                                         opening=maze3d_board.OPENING, faint=FAINT)
    first = raw[0]
    if first is None or math.dist(first, start) >= 0.5 * A_CANON:
        return Track([None] * len(raw), duplicated, agent_masks)
    du, dv = first[0] / s - anchor[0], first[1] / s - anchor[1]
    positions = [None if p is None else (p[0] / s - du, p[1] / s - dv) for p in raw]
    return Track(positions, duplicated, agent_masks)


def path_metrics(layout: Maze3DLayout, puzzle: Puzzle, path: maze3d_rules.PathResult) -> dict[str, float]:
    """Cell-level metrics: ladders used, illegal level changes, progress, agreement with the reference."""
    out = {"ladders_used": float(path.ladders_used), "illegal_level_changes": float(path.illegal_level_changes)}
    dist = layout.places.cell_graph_distances(layout.goal)
    full = dist.get(layout.start, 0)
    end = path.final_cell
    remaining = dist.get(end, full) if end is not None else full
    out["progress"] = round(1.0 - min(1.0, remaining / full), 4) if full else float(path.ended_on_goal)
    reference = [tuple(c) for c in puzzle.solution.get("path", [])]
    if reference:
        prefix = 0
        for got, want in zip(path.cells, reference):
            if tuple(got) != want:
                break
            prefix += 1
        out["precision"] = prefix / len(reference)
        out["exact_match"] = float(path.legal and path.ended_on_goal and [tuple(c) for c in path.cells] == reference)
        if path.ended_on_goal and len(reference) > 1:
            out["step_deviation"] = (len(path.cells) - 1) / (len(reference) - 1) - 1.0
    return out


def image_metrics(puzzle: Puzzle, layout: Maze3DLayout | ImageLayout, video: Video,
                  alignment: canonical.Alignment, trajectory: list[tuple[float, float] | None]) -> dict[str, float]:
    """VR-Bench's SR, PR, SD, EM and MF on the image trajectory, in the video's normalised pixels."""
    reference = np.array(puzzle.solution.get("waypoints", []), dtype=float).reshape(-1, 2)
    return vrbench.video_metrics(video, alignment.puzzle_to_video, reference, trajectory,
                                 layout.agent_box, layout.goal_box)
