"""Is a 3D maze's board left intact, and the camera still? Block by block against the video's own empty board.

The canonical frame is cut into square blocks of half a top face's width. A
block "changed" in a frame when a large share of its pixels differs from the
empty board, not counting the agent (its tracked pixels, widened by a rim
that blur and compression smear). A change must last :data:`PERSIST` frames,
so one corrupted frame from a codec does not fail a video.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from genreason.types import Event
from verifiers.tracking import Appearance, foreground

BLOCK = 8  # canonical pixels a block
CHANGED_FRACTION = 0.35
PERSIST = 3
CAMERA_SHIFT = 0.5 * 16  # canonical pixels (half of a top face's half-width): larger is the camera moving
REGION_FRACTION = 0.12
AGENT_RIM = 5  # canonical pixels around the agent's blob that its blur may touch


def judge(diff: np.ndarray, agent_masks: np.ndarray, appearance: Appearance, in_view: np.ndarray, shifts: np.ndarray,
          scale: float, first: int, name: Callable[[float, float], str], events: list[Event],
          regions: Sequence[tuple[str, np.ndarray]] = ()) -> bool:
    """Report board changes and camera motion in ``events``; True when there is none.

    Args:
        diff: T x H x W how far each canonical pixel lies outside the empty board.
        agent_masks: T x H x W the agent's pixels.
        appearance: the learned board and agent.
        in_view: canonical pixels that show the video itself.
        shifts: each frame's measured global shift (canonical pixels).
        scale: canonical pixels per ``frame0.png`` pixel.
        first: the video frame of canonical frame 0.
        name: names the board at a ``frame0.png`` pixel, for messages.
        events: where events are appended.
        regions: thin things the blocks would average away (ladders, the goal marker): a name and a
            canonical mask each; one changes when :data:`REGION_FRACTION` of its pixels do.
    """
    ok = True
    moved = np.hypot(shifts[:, 0], shifts[:, 1]) > CAMERA_SHIFT
    if moved.any():
        ok = False
        t = int(np.argmax(moved)) + first
        events.append(Event(frame=t, kind="camera_moved", message=f"frame {t}: the camera moved (the whole board shifted)"))
    ok = _judge_regions(diff, agent_masks, appearance, in_view, first, regions, events) and ok
    changed = changed_blocks(diff, agent_masks, appearance, in_view)
    run = np.zeros(changed.shape[1:], dtype=np.int32)
    reported = np.zeros(changed.shape[1:], dtype=bool)
    for t in range(len(changed)):
        run = np.where(changed[t], run + 1, 0)
        new = (run >= PERSIST) & ~reported
        if new.any():
            ok = False
            reported |= new
            by, bx = np.argwhere(new)[0]
            x, y = (bx + 0.5) * BLOCK / scale, (by + 0.5) * BLOCK / scale
            frame = t - PERSIST + 1 + first
            events.append(Event(frame=frame, kind="board_changed",
                                message=f"frame {frame}: {name(x, y)} changed (erased, redrawn or covered)"))
            if len(events) > 40:  # a redrawn board changes everywhere: a few events say it
                break
    return ok


def changed_blocks(diff: np.ndarray, agent_masks: np.ndarray, appearance: Appearance,
                   in_view: np.ndarray) -> np.ndarray:
    """T x BH x BW booleans: blocks where most pixels differ from the empty board, the agent left out."""
    fg = foreground(diff, appearance).astype(bool)
    kernel = np.ones((2 * AGENT_RIM + 1, 2 * AGENT_RIM + 1), np.uint8)
    t, h, w = fg.shape
    bh, bw = h // BLOCK, w // BLOCK
    out = np.zeros((t, bh, bw), dtype=bool)
    for i in range(t):
        rest = fg[i] & ~cv2.dilate(agent_masks[i].astype(np.uint8), kernel).astype(bool) & in_view
        blocks = rest[:bh * BLOCK, :bw * BLOCK].reshape(bh, BLOCK, bw, BLOCK).mean(axis=(1, 3))
        out[i] = blocks > CHANGED_FRACTION
    return out



def board_threshold(appearance: Appearance) -> float:
    """How different a pixel must be to count as changed (lower than the agent's: thin lines fade when shrunk)."""
    return float(np.clip(0.5 * appearance.threshold, 25.0, 80.0))


def _judge_regions(diff: np.ndarray, agent_masks: np.ndarray, appearance: Appearance, in_view: np.ndarray,
                   first: int, regions: Sequence[tuple[str, np.ndarray]], events: list[Event]) -> bool:
    ok = True
    kernel = np.ones((2 * AGENT_RIM + 1, 2 * AGENT_RIM + 1), np.uint8)
    agent = [cv2.dilate(m.view(np.uint8), kernel).view(bool) for m in agent_masks]
    differs = diff > board_threshold(appearance)
    for what, mask in regions:
        ys, xs = np.nonzero(mask & in_view)
        total = len(ys)
        if total < 4:
            continue
        # Only the region's bounding box is looked at: regions are small.
        box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
        area = (mask & in_view)[box]
        run = 0
        for t in range(len(diff)):
            free = area & ~agent[t][box]
            kept = int(free.sum())
            if kept < 0.5 * total:  # mostly behind the agent: not judged in this frame
                continue
            run = run + 1 if int((differs[t][box] & free).sum()) > REGION_FRACTION * kept else 0
            if run >= PERSIST:
                ok = False
                frame = t - PERSIST + 1 + first
                events.append(Event(frame=frame, kind="board_changed",
                                    message=f"frame {frame}: {what} changed (erased, redrawn or covered)"))
                break
    return ok
