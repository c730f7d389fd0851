"""Glide a sprite along waypoints over a still board: the motion behind oracle and baseline videos.

Families give waypoints in pixels (cell centres for a grid family) and the
length of one grid step; this module turns them into one position per frame
at constant speed and composites the sprite there. Frame 0 always shows the
sprite at the first waypoint, so it equals the puzzle's ``frame0.png`` when the
board and the first waypoint are the ones used to draw it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from genreason.plugins import NotApplicable
from genreason.types import Puzzle
from puzzles.skins import Sprite

MIN_FRAMES = 3  # a start frame, at least one frame of motion, at least one frame of hold


def require_own(family: str, puzzle: Puzzle, action: str = "animate") -> None:
    """Raise :class:`NotApplicable` unless ``puzzle`` belongs to ``family`` (``action``: what was asked)."""
    if puzzle.family != family:
        raise NotApplicable(f"the {family} family cannot {action} a {puzzle.family!r} puzzle ({puzzle.id})")


def require_motion(family: str, motion: str, motions: Sequence[str]) -> None:
    """Raise :class:`NotApplicable` unless ``motion`` is one of the family's ``motions``."""
    if motion not in motions:
        raise NotApplicable(f"the {family} family has no motion {motion!r}; it knows {', '.join(motions)}")


def timeline(waypoints: Sequence[tuple[float, float]], *, step_px: float, frames_per_step: int,
             hold_frames: int, num_frames: int | None = None) -> np.ndarray:
    """Sprite centre (x, y) for every frame of a glide through ``waypoints``.

    Args:
        waypoints: pixel positions to visit in order; the first is where frame 0 shows the sprite.
        step_px: the length of one grid step in pixels.
        frames_per_step: frames spent on one step; a segment of length L steps
            takes ``L * frames_per_step`` frames (rounded), so a path of unit
            steps lands exactly on each waypoint every ``frames_per_step`` frames.
        hold_frames: frames the sprite rests on the last waypoint after arriving.
        num_frames: if given, time is resampled so the video has exactly this
            many frames, still starting at the first waypoint and ending with at
            least one frame of rest on the last one (shorter means faster).

    Returns:
        T x 2 float array of positions.
    """
    if frames_per_step < 1 or hold_frames < 0:
        raise ValueError(f"need frames_per_step >= 1 and hold_frames >= 0, got {frames_per_step}, {hold_frames}")
    if num_frames is not None and num_frames < MIN_FRAMES:
        raise ValueError(f"num_frames must be at least {MIN_FRAMES}, got {num_frames}")
    points = np.asarray(waypoints, dtype=np.float64).reshape(-1, 2)
    if len(points) == 0:
        raise ValueError("a glide needs at least one waypoint")
    # Repeated waypoints would make np.interp's sample points non-increasing.
    keep = np.concatenate([[True], np.any(np.diff(points, axis=0) != 0, axis=1)])
    points = points[keep]
    cum = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(points, axis=0), axis=1))])
    moving = _round_half_up(cum[-1] / step_px * frames_per_step)
    if len(points) > 1:
        moving = max(moving, 1)

    if num_frames is None:
        total, arrive = 1 + moving + hold_frames, moving
    else:
        total = num_frames
        natural = moving + hold_frames  # frames after frame 0 at the natural pace
        arrive = _round_half_up(moving * (total - 1) / natural) if moving else 0
        if moving:
            arrive = min(max(arrive, 1), total - 2)

    frame = np.arange(total, dtype=np.float64)
    progress = np.minimum(frame / arrive, 1.0) if arrive else np.ones(total)
    along = progress * cum[-1]
    if len(points) == 1:
        return np.repeat(points, total, axis=0)
    return np.stack([np.interp(along, cum, points[:, 0]), np.interp(along, cum, points[:, 1])], axis=1)


def render_glide(board: np.ndarray, sprite: Sprite, positions: np.ndarray) -> np.ndarray:
    """Frames (T x H x W x 3 uint8): ``board`` with ``sprite`` drawn on top at each position."""
    frames = np.repeat(board[None], len(positions), axis=0)
    for frame, centre in zip(frames, positions, strict=True):
        sprite.paste(frame, (float(centre[0]), float(centre[1])))
    return frames


def glide(board: np.ndarray, sprite: Sprite, waypoints: Sequence[tuple[float, float]], *,
          step_px: float, frames_per_step: int, hold_frames: int,
          num_frames: int | None = None) -> np.ndarray:
    """:func:`timeline` then :func:`render_glide`: the whole animation in one call."""
    positions = timeline(waypoints, step_px=step_px, frames_per_step=frames_per_step,
                         hold_frames=hold_frames, num_frames=num_frames)
    return render_glide(board, sprite, positions)


def _round_half_up(value: float) -> int:
    return int(math.floor(value + 0.5))
