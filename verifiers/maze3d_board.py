"""Is a 3D maze's board left intact, and the camera still? Block by block against the video's own empty board.

The canonical frame (:data:`A_CANON` pixels to ``a``, half a top face's
width) is cut into square blocks of half of ``a``. A block "changed" in a
frame when a large share of its pixels differs from the empty board, not
counting the agent (its tracked pixels, widened by a rim that blur and
compression smear). A change must last :data:`PERSIST` frames,
so one corrupted frame from a codec does not fail a video.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import cv2
import numpy as np

from genreason.types import Event
from verifiers.tracking import CROSS, Appearance, foreground, widened_box

# The canonical raster of every 3D maze module: half a top face (``a``) is this many pixels. Every length
# below but :data:`SUBPIXEL` is a share of ``a`` turned into canonical pixels, so each keeps its meaning on any raster.
A_CANON = 12.0
BLOCK = round(0.5 * A_CANON)  # canonical pixels a block: half of ``a``
CHANGED_FRACTION = 0.35
PERSIST = 3
CAMERA_SHIFT = 0.5 * A_CANON  # canonical pixels (half of ``a``): larger is the camera moving
REGION_FRACTION = 0.12
# A thin region (a ladder) is also compared with the empty board moved as a whole by up to one pixel
# (see :func:`_detail_changes`): its drawn detail changes when more than this share of it differs.
DETAIL_FRACTION = 0.5
DETAIL_FLOOR = 25.0  # L1 colour distance below which a region's pixels are never its detail
# A region's contrast: this percentile of its pixels' distances from its median colour. Not the 95th: the
# cube edges that cross a ladder (dark lines, a few per cent of it) set that one, and half of it can
# exceed the ladder's own contrast with the face behind it, so that erasing the ladder changed too few
# pixels by that much (easy seed 53, stone, the ladder on a dark face under gamma 1.4: in its three
# steadiest frames running, 0.48 of the pixels needed at the 95th, 2.08 times them at the 92nd). Not
# lower either: a lower contrast counts the resampling of a thin bright rung as a change (medium seed 47,
# neon, shaken: 0.61 of the pixels needed at the 92nd, 0.87 at the 90th, 0.98 at the 85th).
CONTRAST_PERCENTILE = 92
# The shifts (canonical pixels, each axis) the empty board is tried at. In pixels, not in units of ``a``: what
# they absorb, the shake left after :func:`verifiers.canonical.stabilize` (which moves frames by more than
# ``canonical.MIN_SHAKE`` pixels) and bilinear resampling, is a fraction of a canonical pixel on any raster.
# Quarter pixels, not half ones: a bright rung a pixel thin, resampled a quarter pixel off the nearest
# shift tried, differs from it by a quarter of its contrast at most instead of half (that neon video at the
# 92nd: 0.96 of the pixels needed with half pixels).
SUBPIXEL = (-1.0, -0.75, -0.5, -0.25, 0.0, 0.25, 0.5, 0.75, 1.0)
AGENT_RIM = math.ceil(5 / 16 * A_CANON)  # canonical pixels around the agent's blob that its blur may touch
# How the pixels that differ from the empty board are opened (specks removed), for tracking and for the blocks:
# with a plus of 5 pixels, not a 3 x 3 square. On a ladder the envelope difference keeps only the agent's pieces
# between the rungs, and where H.264 smears a small agent they are a few pixels across: on a raster below 15 px
# to ``a`` no 3 x 3 square fit in them, the square opening erased them, and the agent was lost on the ladder for
# more than 3 frames (hard seed 8, sand: 2 of 24 hard sand oracles after low-bitrate H.264 at 13 px, 0 with the
# plus at 12 and 13; at 11, 1 of 24 with the plus). Lone pixels, lines one pixel thin and bars two pixels thick
# still go.
OPENING = CROSS


def judge(diff: np.ndarray, agent_masks: np.ndarray, appearance: Appearance, in_view: np.ndarray, shifts: np.ndarray,
          scale: float, first: int, name: Callable[[float, float], str], events: list[Event],
          regions: Sequence[tuple[str, np.ndarray]] = (), frames: np.ndarray | None = None) -> bool:
    """Report board changes and camera motion in ``events``; True when there is none.

    Args:
        diff: T x H x W how far each canonical pixel lies outside the empty board (it may be held
            saturated at 255, as :class:`verifiers.difference.Difference` holds it: every threshold
            put on it lies below).
        agent_masks: T x H x W the agent's pixels.
        appearance: the learned board and agent.
        in_view: canonical pixels that show the video itself.
        shifts: each frame's measured global shift (canonical pixels).
        scale: canonical pixels per ``frame0.png`` pixel.
        first: the video frame of canonical frame 0.
        name: names the board at a ``frame0.png`` pixel, for messages.
        events: where events are appended.
        regions: thin things the blocks would average away (ladders, the goal marker): a name and a
            canonical mask each; one changes when :data:`REGION_FRACTION` of its pixels do, or when
            its drawn detail is gone from ``frames`` (:func:`_detail_changes`).
        frames: T x H x W x 3 the smoothed canonical frames ``diff`` was measured on.
    """
    ok = True
    moved = np.hypot(shifts[:, 0], shifts[:, 1]) > CAMERA_SHIFT
    if moved.any():
        ok = False
        t = int(np.argmax(moved)) + first
        events.append(Event(frame=t, kind="camera_moved", message=f"frame {t}: the camera moved (the whole board shifted)"))
    hidden = _hidden(agent_masks, in_view)
    ok = _judge_regions(diff, hidden, appearance, in_view, first, regions, events, frames) and ok
    changed = changed_blocks(diff, hidden, appearance)
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


def _hidden(agent_masks: np.ndarray, in_view: np.ndarray) -> np.ndarray:
    """T x H x W uint8 (0/1): what no board check looks at: the agent widened by its rim, and what is out of view."""
    kernel = np.ones((2 * AGENT_RIM + 1, 2 * AGENT_RIM + 1), np.uint8)
    hidden = np.empty(agent_masks.shape, dtype=np.uint8)
    hidden[:] = ~in_view  # every frame out of view at once; the agent is added in its box only
    for m, out in zip(agent_masks, hidden):
        box = widened_box(m, AGENT_RIM)  # widened only around the agent's box: the same pixels
        if box is not None:
            out[box] |= cv2.dilate(m[box].view(np.uint8), kernel)
    return hidden


def _above(diff: np.ndarray, threshold: float) -> int | float:
    """What ``diff > threshold`` may compare with instead: integer differences exceed a threshold exactly
    when they exceed its floor, and an integer compares with them without a float copy of every value."""
    return math.floor(threshold) if np.issubdtype(diff.dtype, np.integer) else threshold


def changed_blocks(diff: np.ndarray, hidden: np.ndarray, appearance: Appearance) -> np.ndarray:
    """T x BH x BW booleans: blocks where most pixels differ from the empty board, ``hidden`` (0/1) left out.

    A pixel differs where :func:`verifiers.tracking.foreground` marks it. That opening only ever
    removes pixels, so a block with no more than its changed share of thresholded pixels outside
    ``hidden`` cannot have changed: only frames with another block (usually none) are opened and counted.
    """
    t, h, w = diff.shape
    bh, bw = h // BLOCK, w // BLOCK
    out = np.zeros((t, bh, bw), dtype=bool)
    need = CHANGED_FRACTION * BLOCK * BLOCK  # a block changes above this many pixels (its share times its area)
    raw = np.empty((bh * BLOCK, bw * BLOCK), dtype=bool)  # one frame's thresholded pixels, reused
    limit = _above(diff, appearance.threshold)
    for i in range(t):
        np.greater(diff[i, :bh * BLOCK, :bw * BLOCK], limit, out=raw)
        rest = cv2.subtract(raw.view(np.uint8), hidden[i, :bh * BLOCK, :bw * BLOCK])  # raw and not hidden
        if cv2.countNonZero(rest) <= need or not (_block_counts(rest) > need).any():
            continue
        fg = foreground(diff[i:i + 1], appearance, OPENING)[0]
        rest = cv2.subtract(fg, hidden[i])[:bh * BLOCK, :bw * BLOCK]
        out[i] = _block_counts(rest) > need
    return out


def _block_counts(ones: np.ndarray) -> np.ndarray:
    """BH x BW: how many of each block's pixels are 1 in ``ones`` (a BH*BLOCK x BW*BLOCK uint8 image of 0/1)."""
    bh, bw = ones.shape[0] // BLOCK, ones.shape[1] // BLOCK
    return ones.reshape(bh, BLOCK, bw, BLOCK).sum(axis=(1, 3))


def board_threshold(appearance: Appearance) -> float:
    """How different a pixel must be to count as changed (lower than the agent's: thin lines fade when shrunk)."""
    return float(np.clip(0.5 * appearance.threshold, 25.0, 80.0))


def _judge_regions(diff: np.ndarray, hidden: np.ndarray, appearance: Appearance, in_view: np.ndarray,
                   first: int, regions: Sequence[tuple[str, np.ndarray]], events: list[Event],
                   frames: np.ndarray | None = None) -> bool:
    """Every region in every frame at once (the pixels of all of them gathered from all frames in one go),
    then each region's runs frame by frame.

    With ``frames`` a region also changes in a frame where :func:`_detail_changes` finds its detail gone.
    """
    names, rows, cols = [], [], []
    for what, mask in regions:
        # Only the region's own pixels are looked at: regions are small.
        x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
        ys, xs = np.nonzero(mask[y:y + h, x:x + w] & in_view[y:y + h, x:x + w])
        if len(ys) < 4:
            continue
        names.append(what)
        rows.append(ys + y)
        cols.append(xs + x)
    if not names:
        return True
    sizes = np.array([len(ys) for ys in rows])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])  # where each region's pixels begin
    ys, xs = np.concatenate(rows), np.concatenate(cols)
    t = len(diff)
    flat = ys * diff.shape[2] + xs
    # T x n: the regions' pixels, neither out of view nor near the agent; and those that differ.
    free = np.take(hidden.reshape(t, -1), flat, axis=1) == 0
    kept = np.add.reduceat(free, starts, axis=1, dtype=np.intp)  # T x R
    hits = np.add.reduceat((np.take(diff.reshape(t, -1), flat, axis=1) > _above(diff, board_threshold(appearance)))
                           & free, starts, axis=1, dtype=np.intp)
    changed = hits > REGION_FRACTION * kept
    if frames is not None:
        changed |= _detail_changes(frames, appearance.background, ys, xs, free, starts)
    ok = True
    for r, what in enumerate(names):
        if not changed[:, r].any():
            continue  # never changed in a frame: no run to follow
        run = 0
        for i in range(t):
            if kept[i, r] < 0.5 * sizes[r]:  # mostly behind the agent: not judged in this frame
                continue
            run = run + 1 if changed[i, r] else 0
            if run >= PERSIST:
                ok = False
                frame = i - PERSIST + 1 + first
                events.append(Event(frame=frame, kind="board_changed",
                                    message=f"frame {frame}: {what} changed (erased, redrawn or covered)"))
                break
    return ok


def _detail_changes(frames: np.ndarray, background: np.ndarray, ys: np.ndarray, xs: np.ndarray,
                    free: np.ndarray, starts: Sequence[int] | np.ndarray = (0,)) -> np.ndarray:
    """T x R booleans: frames where the thin thing drawn in each of R regions is gone, redrawn or covered.

    Region r's pixels are (``ys``, ``xs``)[starts[r]:starts[r + 1]] (the last one's run to the end), at least
    one, in raster order; ``free`` (T x n) marks the pixels neither hidden (the agent) nor out of view in
    each frame, the only ones that count.

    The envelope difference forgives every pixel whose colour occurs within one pixel around it on the
    empty board, so a ladder a pixel or two thin (a shrunk or blurred video) can be erased without a
    trace there. Here the region is compared with the empty board moved *as a whole* by the sub-pixel
    shift that fits it best (the first of :data:`SUBPIXEL` x :data:`SUBPIXEL` with the least summed
    difference): left-over shake and resampling are a shift, and no single shift turns a
    ladder into the face behind it. The region's detail is its pixels at least half its own contrast
    (:data:`CONTRAST_PERCENTILE`; :data:`DETAIL_FLOOR` at least) away from its median colour, both
    measured on the video's empty board, so any colours and sizes work. A frame changes when more pixels than
    :data:`DETAIL_FRACTION` of its detail, and more than :data:`REGION_FRACTION` of the region, differ
    from the best-fitting board by that much.
    """
    t = len(frames)
    bounds = [*(int(k) for k in starts), len(ys)]
    out = np.zeros((t, len(bounds) - 1), dtype=bool)
    if len(ys) == 0:
        return out
    here = background[ys, xs].astype(np.float32)  # n x 3: the empty board's pixels
    floors = np.zeros(len(bounds) - 1)
    detail = np.zeros(len(ys), dtype=bool)
    for r in range(len(bounds) - 1):
        part = here[bounds[r]:bounds[r + 1]]
        apart = np.abs(part - np.median(part, axis=0)).sum(-1)
        floors[r] = max(DETAIL_FLOOR, 0.5 * float(np.percentile(apart, CONTRAST_PERCENTILE)))
        detail[bounds[r]:bounds[r + 1]] = apart > floors[r]
    # A frame changes above this many of a region's pixels (T x R).
    need = np.maximum(DETAIL_FRACTION * np.add.reduceat(free & detail, bounds[:-1], axis=1, dtype=np.intp),
                      REGION_FRACTION * np.add.reduceat(free, bounds[:-1], axis=1, dtype=np.intp))
    # Channels first (3 x T x n, 3 x S x n): each channel's differences are one contiguous pass. One
    # take of flat indices (channel by channel) gathers the pixels at half the cost of indexing by (y, x).
    flat = (ys * frames.shape[2] + xs) * 3
    patch = np.take(frames.reshape(t, -1), (flat + np.arange(3)[:, None]).ravel(), axis=1)
    patch = patch.reshape(t, 3, -1).transpose(1, 0, 2).astype(np.float32)
    weight = free.astype(np.float32)
    # Exact skip: at the best shift every pixel counted as differing has a gap above ``floor`` (and the
    # rest are at least 0), so differing * floor < the best score <= the score at shift (0, 0). A frame
    # whose score at (0, 0) is at most need * floor therefore cannot change, and needs no search. Every
    # region is scored at once: the board moved by (0, 0) is its own pixels, so every gap is an integer
    # and every sum (below 2**24) is exact in float32, whatever order it is added in; the margin covers
    # the last bit anyway.
    unmoved = np.ascontiguousarray(here.T[:, None, :])  # 3 x 1 x n
    score = np.add.reduceat(_gaps(patch, unmoved, weight)[0], bounds[:-1], axis=1)  # T x R
    for r in range(len(bounds) - 1):
        part = slice(bounds[r], bounds[r + 1])
        open_ = np.flatnonzero(score[:, r] > need[:, r] * floors[r] * (1.0 - 1e-6))
        if len(open_) and detail[part].any():  # a region with no detail has nothing drawn to lose
            out[open_, r] = _search(patch[:, :, part], background, ys[part], xs[part], weight[:, part],
                                    floors[r], need[open_, r], open_)
    return out


def _search(patch: np.ndarray, background: np.ndarray, ys: np.ndarray, xs: np.ndarray, weight: np.ndarray,
            floor: float, need: np.ndarray, frames: np.ndarray) -> np.ndarray:
    """Whether each of ``frames`` (indices into ``patch``, 3 x T x n) differs from the region's empty board at
    the best of the shifts by more than ``need`` pixels (one number a frame) farther than ``floor``."""
    pad = math.ceil(max(SUBPIXEL)) + 1  # room for the shifts (bilinear reads a pixel beyond)
    y0, x0 = max(0, int(ys[0]) - pad), max(0, int(xs.min()) - pad)
    y1, x1 = min(background.shape[0], int(ys[-1]) + 1 + pad), min(background.shape[1], int(xs.max()) + 1 + pad)
    board = background[y0:y1, x0:x1].astype(np.float32)
    ys, xs = ys - y0, xs - x0  # in the padded box from here on
    size = (board.shape[1], board.shape[0])
    # Every shift's board, channels first (3 x S x n), in the order ties are settled in.
    boards = np.stack([cv2.warpAffine(board, np.float32([[1, 0, dx], [0, 1, dy]]), size, flags=cv2.INTER_LINEAR,
                                      borderMode=cv2.BORDER_REPLICATE)[ys, xs]
                       for dx in SUBPIXEL for dy in SUBPIXEL])
    boards = np.ascontiguousarray(np.moveaxis(boards, -1, 0))
    out = np.zeros(len(frames), dtype=bool)
    # Every shift of the frames at once, in chunks of frames that keep the S x chunk x n gaps small.
    chunk = max(1, 250_000 // (boards.shape[1] * len(ys)))
    for start in range(0, len(frames), chunk):
        sel = frames[start:start + chunk]
        gap = _gaps(patch[:, sel], boards, weight[sel])  # S x m x n
        best = np.argmin(gap.sum(-1), axis=0)  # the first least score: the earliest shift on ties
        differs = np.count_nonzero(gap[best, np.arange(len(sel))] > floor, axis=1)
        out[start:start + chunk] = differs > need[start:start + chunk]
    return out


def _gaps(patch: np.ndarray, moved: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """S x T x n float32: L1 distances between the frames' pixels (3 x T x n) and each moved board's (3 x S x n),
    the channels added one by one ((c0 + c1) + c2: the same float32 sums as .sum(-1)), times ``weight`` (T x n 0/1)."""
    gap = np.abs(patch[0][None] - moved[0][:, None])
    part = np.empty_like(gap)
    for c in (1, 2):
        np.subtract(patch[c][None], moved[c][:, None], out=part)
        np.abs(part, out=part)
        gap += part
    gap *= weight
    return gap
