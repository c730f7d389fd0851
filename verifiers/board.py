"""Is the board left intact? Cell by cell, frame by frame, against the video's own empty board.

A cell "changed" in a frame when a large part of its interior differs from the
empty board, not counting pixels covered by the agent. Interiors are shrunk
by a few pixels so blur, resampling and shake at cell edges do not count. A
change must persist for ``PERSIST`` frames to be reported, so a single
corrupted frame from a codec does not fail a video.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from verifiers.canonical import CELL, MARGIN, REFERENCE_CELL, to_pixels
from verifiers.difference import Difference
from verifiers.tracking import Appearance, widened_box

INSET_SHARE = 3 / 16  # share of a cell's width trimmed from each of its sides before comparing
INSET = round(INSET_SHARE * CELL)  # the same in canonical pixels
HIDDEN_RING = to_pixels(CELL, 2 / REFERENCE_CELL)  # canonical pixels around the agent's that are not judged either
CHANGED_FRACTION = 0.35  # share of a cell's visible interior that must differ
MIN_VISIBLE = 0.3  # a cell mostly hidden by the agent is not judged in that frame
PERSIST = 2  # frames a change must last


@dataclass(frozen=True)
class CellChange:
    frame: int  # index into the analysed frames
    cell: tuple[int, int]  # (row, col) in grid coordinates; -1 or rows/cols means the margin


def board_threshold(appearance: Appearance) -> float:
    """How different a pixel must be to count as changed: a fraction of the board's own contrast."""
    colours = [appearance.floor, *[c for code, c in appearance.cell_colours.items() if code != "."]]
    if appearance.goal is not None:
        colours.append(appearance.goal)
    pairs = [float(np.abs(a - b).sum()) for i, a in enumerate(colours) for b in colours[i + 1:]]
    contrast = min(pairs) if pairs else 150.0
    return float(np.clip(0.4 * contrast, 25.0, 200.0))


def changed_cells(diff: np.ndarray | Difference, agent_masks: np.ndarray, appearance: Appearance,
                  in_view: np.ndarray) -> np.ndarray:
    """T x R x C boolean (R, C include the margin ring): which cells differ from the empty board.

    ``diff`` is :func:`verifiers.difference.difference` (or the same as a
    :class:`verifiers.difference.Difference`). ``in_view`` (H x W) marks the
    canonical pixels that show the video itself; the rest (beyond the video's
    edges) is never judged, nor the agent's pixels and a ring around them.
    """
    t, h, w = agent_masks.shape
    rows, cols = h // CELL, w // CELL
    threshold = board_threshold(appearance)
    differs = diff.above(threshold) if isinstance(diff, Difference) else diff > threshold
    # Counted over whole frames without the agent, then the agent's few cells taken back out:
    # visible = in view and not hidden, so each count is the in-view count less the hidden one.
    vis = np.repeat(inner_counts(in_view[None]), t, axis=0)
    hit = inner_counts(differs & in_view)
    ring = HIDDEN_RING
    kernel = np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)
    hidden = np.zeros((h, w), dtype=np.uint8)  # scratch: only the agent's neighbourhood is ever set
    for i, mask in enumerate(agent_masks):
        box = widened_box(mask, ring)  # the dilation's reach; counted over the whole cells it touches
        if box is None:
            continue
        ys, xs = box
        hidden[ys, xs] = cv2.dilate(mask[ys, xs].view(np.uint8), kernel)
        r0, r1 = ys.start // CELL, min(rows, -(-ys.stop // CELL))
        c0, c1 = xs.start // CELL, min(cols, -(-xs.stop // CELL))
        if r1 > r0 and c1 > c0:
            cells = (slice(r0 * CELL, r1 * CELL), slice(c0 * CELL, c1 * CELL))
            gone = hidden[cells].view(bool) & in_view[cells]
            vis[i, r0:r1, c0:c1] -= inner_counts(gone)
            hit[i, r0:r1, c0:c1] -= inner_counts(gone & differs[i][cells])
        hidden[ys, xs] = 0
    area = (CELL - 2 * INSET) ** 2
    judged = vis >= MIN_VISIBLE * area
    return judged & (hit > CHANGED_FRACTION * np.maximum(vis, 1))


def inner_counts(mask: np.ndarray, tile: int = CELL, inset: int = INSET) -> np.ndarray:
    """... x rows x cols: how many pixels of each ``tile``-square's interior (``inset`` trimmed) are set in
    ``mask`` (... x H x W, whole tiles from the top left; a ragged edge is left out).

    Summed as uint8 down each tile's rows first (at most ``tile``, no overflow), then across:
    several times faster than numpy's generic boolean sum over both axes at once.
    """
    *lead, h, w = mask.shape
    rows, cols = h // tile, w // tile
    cells = mask[..., :rows * tile, :cols * tile].view(np.uint8).reshape(*lead, rows, tile, cols, tile)
    inner = cells[..., inset:tile - inset, :, inset:tile - inset]
    return inner.sum(axis=-3, dtype=np.uint8).sum(axis=-1, dtype=np.int64)


def persistent_changes(changed: np.ndarray, persist: int = PERSIST) -> list[CellChange]:
    """The first frame of every run of at least ``persist`` frames in which a cell stayed changed."""
    found: list[CellChange] = []
    t = changed.shape[0]
    run = np.zeros(changed.shape[1:], dtype=int)
    reported = np.zeros(changed.shape[1:], dtype=bool)
    for i in range(t):
        run = np.where(changed[i], run + 1, 0)
        for r, c in zip(*np.nonzero((run >= persist) & ~reported)):
            found.append(CellChange(i - persist + 1, (int(r) - MARGIN, int(c) - MARGIN)))
            reported[r, c] = True
    return found


def first_frame_mismatches(background: np.ndarray, codes: list[str], skip: set[tuple[int, int]],
                           appearance: Appearance) -> list[tuple[int, int]]:
    """Cells whose look in the video's first frame contradicts the layout (a wall drawn as floor, or back).

    Each cell's mean colour must be nearest to the typical colour of its own
    layout code (``codes`` holds one string per row).
    """
    known = appearance.cell_colours
    if len(known) < 2:
        return []
    names = list(known)
    typical = np.stack([known[n] for n in names])
    # Every cell's interior mean at once (sums of uint8 are exact in float64: the same means cell by cell).
    h, w = background.shape[0] // CELL, background.shape[1] // CELL
    cells = background[:h * CELL, :w * CELL].reshape(h, CELL, w, CELL, 3)
    means = cells[:, INSET:CELL - INSET, :, INSET:CELL - INSET].mean(axis=(1, 3))
    wrong: list[tuple[int, int]] = []
    for r, row in enumerate(codes):
        for c, code in enumerate(row):
            if (r, c) in skip or code not in known:
                continue
            mean = means[r + MARGIN, c + MARGIN]
            if names[int(np.abs(typical - mean).sum(-1).argmin())] != code:
                wrong.append((r, c))
    return wrong
