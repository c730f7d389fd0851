"""Find the agent in every canonical frame by what it looks like in the video's own first frame.

We never assume our renderer's colours: the empty board and the agent's
appearance are measured in the video itself (its first frame that shows the
puzzle), so a global colour shift, gamma or compression changes both sides of
every comparison alike. The agent is whatever differs from the empty board and
looks like the agent (nearest to its colour among the board's colours, of a
plausible size); other differences are the board changing.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache

import cv2
import numpy as np

from verifiers.canonical import CELL, MARGIN, REFERENCE_CELL, cell_pixels, to_pixels
from verifiers.difference import Difference, FrameDifference

# A blob counts as the agent when its area is within these factors of the agent's first-frame area.
DUPLICATE_AREA = 0.4  # a second agent-like blob this large (relative to the agent) counts as a copy
# Two agent-like blobs at least this large each (relative to the agent), however near each other, are two agents:
# the copy distance alone let a copy drawn on the agent's way pass (see follow_agent).
SIDE_BY_SIDE = 0.8
MIN_AREA_RATIO = 0.25
MAX_AREA_RATIO = 4.0
# The fewest pixels that make the agent at its start cell: 4 on a 16-pixel cell, the same share of a cell on any.
MIN_AGENT_PIXELS = cell_pixels(cell_pixels(4.0))


@dataclass(frozen=True)
class Appearance:
    """The empty board and the agent's look, measured in the reference frame (canonical space)."""

    background: np.ndarray  # H x W x 3 uint8, blurred, the board with the agent removed
    agent_color: np.ndarray  # RGB
    agent_area: float  # canonical pixels
    floor: np.ndarray  # RGB of the floor
    goal: np.ndarray | None  # RGB of the goal sprite, when it differs from the floor
    cell_colours: dict[str, np.ndarray]  # typical mean colour of a cell, per layout code ('.', '#', 'T', ...)
    board_colours: np.ndarray  # K x 3: the dominant colours of the empty board, whatever draws them
    threshold: float  # L1 colour distance above which a pixel differs from the empty board


@dataclass(frozen=True)
class Blob:
    center: tuple[float, float]  # canonical (u, v)
    area: float
    agent_like: bool
    # Its pixels: the rows and columns of its box, and which pixels of the box are its own.
    pixels: tuple[slice, slice, np.ndarray] = field(compare=False, repr=False)


def smooth(frames: np.ndarray, weighted: bool = False, out: np.ndarray | None = None) -> np.ndarray:
    """3x3 box blur: averages away pixel noise and codec ringing before comparing.

    With ``weighted``, the 3x3 binomial blur (weights 1-2-1 each way) instead: it averages
    nearly as much noise away and blurs less, for a raster whose sprites are only a few pixels
    wide (the box would wash their colour into the board's). Written into ``out`` where given, which may
    be ``frames`` itself when the unsmoothed frames are not read again (OpenCV's filters read their
    source rows into their own buffer first: in place gives the same values, and no second T x H x W x 3 array).
    """
    if out is None:
        out = np.empty_like(frames)  # filled frame by frame: no per-frame list to stack (a second copy)
    for f, o in zip(frames, out):
        if weighted:
            cv2.GaussianBlur(f, (3, 3), 0, dst=o)
        else:
            cv2.blur(f, (3, 3), dst=o)
    return out


MEDIAN_FRAMES = 15  # frames sampled for the median that shows the board under the agent's start


def median_around(frames: np.ndarray, region: np.ndarray) -> tuple[tuple[slice, slice], np.ndarray]:
    """The per-pixel median of :data:`MEDIAN_FRAMES` frames sampled evenly from ``frames``, smoothed as
    :func:`smooth` smooths, in the box around ``region`` (H x W, nonzero where wanted): (box, median).

    Where an agent spent most of the video elsewhere, the median shows the board it covered at first.
    The box has the pixel of margin the 3x3 smoothing reads: inside that margin, the same values as
    smoothing whole frames, for a fraction of the cost.
    """
    h, w = frames.shape[1:3]
    x, y, bw, bh = cv2.boundingRect(region.view(np.uint8))
    box = (slice(max(0, y - 1), min(h, y + bh + 1)), slice(max(0, x - 1), min(w, x + bw + 1)))
    picks = np.unique(np.linspace(0, len(frames) - 1, min(MEDIAN_FRAMES, len(frames))).round().astype(int))
    return box, np.median(smooth(frames[picks, box[0], box[1]]), axis=0).astype(np.uint8)


def distance(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """L1 colour distance over the last axis (0..765), for float colours."""
    return np.abs(np.asarray(a, np.float32) - np.asarray(b, np.float32)).sum(axis=-1)


def cell_slices(row: int, col: int, margin: int = 1) -> tuple[slice, slice]:
    """Pixel slices of grid cell (row, col) in canonical space (margin in cells)."""
    y0 = (row + margin) * CELL
    x0 = (col + margin) * CELL
    return slice(y0, y0 + CELL), slice(x0, x0 + CELL)


def measure_appearance(reference: np.ndarray, cells_by_code: dict[str, list[tuple[int, int]]],
                       goal: tuple[int, int], agent_cells: list[tuple[int, int]],
                       surroundings: np.ndarray | None = None) -> Appearance | str:
    """Build the empty board and the agent model from the smoothed reference frame.

    ``cells_by_code`` lists the cells of each layout code (``.`` floor first of
    all), without the goal's and the agent's cells. The floor under the agent is
    the median of the floor cells; with ``surroundings`` (per cell, what is drawn
    on its eight neighbours, row by row: rows x cols x 8 codes), each part of its rim is the median of
    the floor cells alike on that side: a cell's rim holds its neighbours' colours
    bled in by the warp and the blur, which on a coarse raster reaches the
    agent's own rim, and a rim of other neighbours would pull the agent's centre
    at its start (and so everywhere). Returns a reason string when the agent or
    the board cannot be told apart.
    """
    floor_cells = cells_by_code.get(".", [])
    if not floor_cells:
        return "no free floor cell to learn the floor's look from"
    floor_tile = np.median(np.stack([reference[cell_slices(*c)] for c in floor_cells]), axis=0).round().astype(np.uint8)
    background = reference.copy()
    for cell in agent_cells:
        background[cell_slices(*cell)] = floor_tile
        if surroundings is not None:
            _rim_like_neighbours(background, reference, cell, floor_cells, surroundings)

    region = np.zeros(reference.shape[:2], dtype=bool)
    for cell in agent_cells:
        region[cell_slices(*cell)] = True
    # Measured in the box around the agent's cells only: nothing outside them is read.
    x, y, w, h = cv2.boundingRect(region.view(np.uint8))
    box = (slice(y, y + h), slice(x, x + w))
    diff = distance(reference[box], background[box])
    peak = float(diff[region[box]].max()) if w else 0.0
    agent_mask = np.zeros_like(region)
    agent_mask[box] = region[box] & (diff > 0.5 * peak)
    if peak < 60 or agent_mask.sum() < MIN_AGENT_PIXELS:
        return "the agent cannot be told apart from the floor at its start cell"
    agent_color = np.median(reference[agent_mask], axis=0).astype(np.float32)

    floor = np.median(floor_tile.reshape(-1, 3), axis=0).astype(np.float32)
    # Every cell's mean colour at once (sums of uint8 are exact in float64: same values as cell by cell).
    h, w = background.shape[:2]
    means = background[:h // CELL * CELL, :w // CELL * CELL].reshape(h // CELL, CELL, w // CELL, CELL, 3)
    means = means.mean(axis=(1, 3))
    cell_colours = {code: np.median(means[[r + MARGIN for r, _ in cells], [c + MARGIN for _, c in cells]],
                                    axis=0).astype(np.float32)
                    for code, cells in cells_by_code.items() if cells}
    goal_tile = background[cell_slices(*goal)]
    goal_pixels = goal_tile[distance(goal_tile, floor_tile) > 60].astype(np.float32)
    goal_colour = np.median(goal_pixels, axis=0) if len(goal_pixels) else None
    board_colours = dominant_colours(background)

    contrast = float(np.abs(board_colours - agent_color).sum(-1).min())
    if contrast < 45:
        return "the agent's colour is too close to a board colour to track it"
    threshold = float(np.clip(0.45 * contrast, 25.0, 200.0))
    return Appearance(background, agent_color, float(agent_mask.sum()), floor, goal_colour, cell_colours,
                      board_colours, threshold)


RIM_ZONE = to_pixels(CELL, 4 / REFERENCE_CELL)  # canonical pixels of a cell's rim its neighbours' colours bleed into


def _rim_like_neighbours(background: np.ndarray, reference: np.ndarray, cell: tuple[int, int],
                         floor_cells: list[tuple[int, int]], surroundings: np.ndarray) -> None:
    """Paint each side and corner of ``cell``'s rim in ``background`` as the median of the floor cells whose
    neighbours on that side (and, for a corner, the two sides and the diagonal) are drawn alike; a part with
    no such floor cell keeps what is there."""
    ys, xs = cell_slices(*cell)
    zone = RIM_ZONE
    spans = {-1: (0, zone), 0: (zone, CELL - zone), 1: (CELL - zone, CELL)}
    index = {(dr, dc): i for i, (dr, dc) in enumerate((dr, dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc)}
    rows, cols = np.array(floor_cells).T
    around = surroundings[rows, cols]  # n x 8: each floor cell's neighbours
    same = around == surroundings[cell]
    for dr in (-1, 0, 1):
        for dc in (-1, 0, 1):
            if not (dr or dc):
                continue
            sides = [index[n] for n in ((dr, 0), (0, dc), (dr, dc)) if n != (0, 0)]
            alike = np.flatnonzero(same[:, sides].all(axis=1))
            if not len(alike):
                continue
            (r0, r1), (c0, c1) = spans[dr], spans[dc]
            parts = [reference[cell_slices(*floor_cells[i])][r0:r1, c0:c1] for i in alike]
            background[ys.start + r0:ys.start + r1, xs.start + c0:xs.start + c1] = \
                np.median(np.stack(parts), axis=0).round().astype(np.uint8)


def dominant_colours(image: np.ndarray, coverage: float = 0.98, most: int = 12) -> np.ndarray:
    """The few colours that cover nearly all of an image (bins of 4 bits a channel), K x 3 float32.

    Learned from the video's own empty board, so a renderer with trap marks,
    textures or outlines we never drew still has all its colours known.
    """
    pixels = image.reshape(-1, 3)
    q = (pixels >> 4).astype(np.int32)
    bins = (q[:, 0] << 8) | (q[:, 1] << 4) | q[:, 2]
    counts = np.bincount(bins, minlength=4096)
    order = np.argsort(-counts, kind="stable")
    colours = []
    covered = 0
    sums = None
    for b in order[:most]:
        if counts[b] < 0.003 * len(pixels) or covered >= coverage * len(pixels):
            break
        if sums is None:  # every bin's channel sums in three passes, not a pass per colour
            sums = [np.bincount(bins, weights=pixels[:, c], minlength=4096) for c in range(3)]
        # Sums of integers are exact in float64: the same mean as pixels[bins == b].mean(axis=0).
        colours.append([sums[c][b] / counts[b] for c in range(3)])
        covered += counts[b]
    return np.array(colours, dtype=np.float32).reshape(-1, 3)


def widened_box(mask: np.ndarray, reach: int) -> tuple[slice, slice] | None:
    """The bounding box of ``mask``'s nonzero pixels (H x W, uint8 or bool) widened by ``reach`` pixels each way,
    cut at the image's edges; None where there are none.

    A dilation or opening that reaches ``reach`` pixels gives inside this box the values it gives on the whole
    image (every pixel of the box sees the zeros beyond it, or the image's own border), and nothing outside it:
    done in the box, it costs the box's pixels, usually a sprite's, not the frame's.
    """
    x, y, w, h = cv2.boundingRect(mask.view(np.uint8))
    return _widened((x, y, w, h), reach, mask.shape) if w else None


def _widened(box: tuple[int, int, int, int], reach: int, shape: tuple[int, ...]) -> tuple[slice, slice]:
    """The (x, y, w, h) box widened by ``reach`` pixels each way and cut at an H x W image's edges, as slices."""
    x, y, w, h = box
    return (slice(max(0, y - reach), min(shape[0], y + h + reach)),
            slice(max(0, x - reach), min(shape[1], x + w + reach)))


SPECK = np.ones((3, 3), np.uint8)  # what :func:`foreground` opens with by default: anything under 3 x 3 pixels goes
# A plus of five pixels: what a verifier opens with instead where its agent may show only pieces no 3 x 3 square
# fits in (a sprite a few pixels wide on a coarse raster, or its pieces between a ladder's rungs). Lone pixels,
# lines one pixel thin and bars two pixels thick still go.
CROSS = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))


def foreground(diff: np.ndarray | Difference, appearance: Appearance, kernel: np.ndarray = SPECK) -> np.ndarray:
    """T x H x W uint8 (0/1): pixels that differ from the empty board, specks removed (an opening by ``kernel``)."""
    differs = diff.above(appearance.threshold) if isinstance(diff, Difference) else diff > appearance.threshold
    out = differs.view(np.uint8)  # thresholded at once, opened frame by frame in place
    for o in out:
        box = widened_box(o, 1)  # the kernel's reach: usually the agent's box, not the frame
        if box is not None:
            cv2.morphologyEx(o[box], cv2.MORPH_OPEN, kernel, dst=o[box])
    return out


def blobs_into(frame: np.ndarray, mask: np.ndarray, diff: np.ndarray | FrameDifference, appearance: Appearance,
               agent_pixels: np.ndarray | None, min_pixels: float = 3.0, rim: int = 0) -> list[Blob]:
    """Connected foreground regions of one frame, each judged agent-like or not; the agent-like ones' pixels
    are added to ``agent_pixels`` (H x W bool) in place, where given (each blob keeps its own pixels too).

    A blob's centre is weighted by how much each pixel differs from the board,
    which is steadier than the binary centroid on a coarse raster. ``diff`` is
    the frame's :func:`~verifiers.difference.difference` (or its :class:`FrameDifference`; only the
    blobs' boxes are read). Blobs smaller than ``min_pixels`` (or than a share of the agent's area) are
    specks, not judged at all. With ``rim``, the centre also weighs the pixels up to ``rim`` pixels
    around the blob (a 3x3 square's reach per pixel): the sprite's faint blurred rim falls below the
    threshold where the board behind it is nearer the sprite's colour (a wall beside the cell), and a
    centre of the thresholded blob alone would be pushed away from such neighbours, by a different
    amount in every cell.
    """
    found: list[Blob] = []
    # Label only the box around the foreground (usually just the agent): connected components
    # cost is per pixel, and the box keeps the components and their raster order unchanged.
    bx, by, bw, bh = cv2.boundingRect(mask)
    if bw == 0:
        return found
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask[by:by + bh, bx:bx + bw], connectivity=8)
    min_area = max(min_pixels, MIN_AREA_RATIO * appearance.agent_area)
    for label in range(1, count):
        area = float(stats[label, cv2.CC_STAT_AREA])
        if area < min_area:
            continue
        lx, ly, w, h = (int(v) for v in stats[label, :4])
        window = labels[ly:ly + h, lx:lx + w] == label
        x, y = bx + lx, by + ly
        strength = diff[y:y + h, x:x + w]
        # Judge the colour on the blob's core: on a small blurred sprite the rim outnumbers it.
        core = window & (strength >= _median(strength[window]))
        color = _median(frame[y:y + h, x:x + w][core])
        like = _looks_like_agent(color, area, appearance)
        # The centre is weighted by the plain difference from the board behind each pixel: the
        # envelope difference is dimmed unevenly near board edges (the goal's, say) and would pull it.
        patch = _widened((x, y, w, h), rim, mask.shape)  # the blob's own box where rim is 0
        weighed = window
        if rim:
            y0, x0 = patch[0].start, patch[1].start
            weighed = np.zeros((patch[0].stop - y0, patch[1].stop - x0), dtype=np.uint8)
            weighed[y - y0:y - y0 + h, x - x0:x - x0 + w] = window
            weighed = cv2.dilate(weighed, np.ones((2 * rim + 1, 2 * rim + 1), np.uint8)).view(bool)
        weights = distance(frame[patch], appearance.background[patch]) * weighed
        total = float(weights.sum())
        # Broadcast: the same products as full grids (np.ogrid's values, without its indexing overhead).
        ys, xs = np.arange(patch[0].start, patch[0].stop)[:, None], np.arange(patch[1].start, patch[1].stop)
        center = (float((weights * xs).sum() / total) + 0.5, float((weights * ys).sum() / total) + 0.5)
        found.append(Blob(center, area, like, (slice(y, y + h), slice(x, x + w), window)))
        if like and agent_pixels is not None:
            agent_pixels[y:y + h, x:x + w] |= window
    return found


def _median(values: np.ndarray) -> np.ndarray:
    """``np.median(values, axis=0)`` of integers (a value, or a row of them), without its generic overhead.

    The same float64 numbers: the middle value, or the mean of the two middle ones.
    """
    n = len(values)
    k = n // 2
    if n % 2:
        return np.partition(values, k, axis=0)[k].astype(np.float64)
    part = np.partition(values, (k - 1, k), axis=0)
    return (part[k - 1].astype(np.float64) + part[k]) / 2


def _looks_like_agent(color: np.ndarray, area: float, appearance: Appearance) -> bool:
    if not MIN_AREA_RATIO * appearance.agent_area <= area <= MAX_AREA_RATIO * appearance.agent_area:
        return False
    board = appearance.board_colours
    # The agent blended with the board under it, up to half and half, is the agent: a sprite a few pixels
    # across is washed into its cell (a copy of an agent drawn 80% as wide, blurred into a white road, read
    # 31% white: nearer an anti-aliased grey of the board than the agent's red, it passed as no agent and
    # was accepted; calibrate --n 6 --seed 3700, agent-reshaped). More board than agent is the board's.
    share, off_agent = _nearest_agent_blend(color, appearance.agent_color, board)
    if share > AGENT_BLEND:
        return False
    # A blend of two board colours (a shifted edge between a trap and the floor, say) is not the agent.
    return _to_nearest_blend(color, board) >= float(np.linalg.norm(off_agent))


AGENT_BLEND = 0.5  # the largest share of a board colour in a blend still read as the agent


def _nearest_agent_blend(p: np.ndarray, agent: np.ndarray, colours: np.ndarray) -> tuple[float, np.ndarray]:
    """The blend of ``agent`` with one of ``colours`` nearest colour ``p``: that colour's share in it
    (0 to 1), and ``p`` less the blend."""
    ab, length2 = _agent_segments(agent.tobytes(), agent.dtype.str, colours.tobytes(), colours.dtype.str, len(colours))
    share, off, _ = _nearest_on_segments(p, agent, ab, length2)
    return share, off


@lru_cache(maxsize=16)
def _agent_segments(agent_raw: bytes, agent_dtype: str, raw: bytes, dtype: str,
                    n: int) -> tuple[np.ndarray, np.ndarray]:
    """From the agent's colour to each of ``n`` colours: the vectors and their squared lengths (at least 1e-6)."""
    ab = np.frombuffer(raw, dtype=dtype).reshape(n, 3) - np.frombuffer(agent_raw, dtype=agent_dtype)
    return ab, np.maximum((ab * ab).sum(-1), 1e-6)


def _to_nearest_blend(p: np.ndarray, colours: np.ndarray) -> float:
    """The distance from colour ``p`` to the nearest segment joining two of ``colours`` (a blend of two colours);
    infinite for fewer than two colours. The square root is taken of the least square only: the same number."""
    a, ab, length2 = _segments(colours.tobytes(), colours.dtype.str, len(colours))
    if not len(a):
        return math.inf
    return math.sqrt(_nearest_on_segments(p, a, ab, length2)[2])


def _nearest_on_segments(p: np.ndarray, a: np.ndarray, ab: np.ndarray,
                         length2: np.ndarray) -> tuple[float, np.ndarray, float]:
    """Of the segments from ``a`` (one start, or one per segment) along ``ab``, with squared lengths
    ``length2``: the nearest to colour ``p``: how far along it its nearest point lies (0 to 1), ``p`` less
    that point, and its squared distance from ``p``."""
    t = np.minimum(np.maximum(np.add.reduce((p - a) * ab, -1) / length2, 0.0), 1.0)  # np.clip's values
    off = p - (a + t[:, None] * ab)
    squares = np.add.reduce(off * off, -1)  # np.linalg.norm's sums
    nearest = int(squares.argmin())
    return float(t[nearest]), off[nearest], float(squares[nearest])


@lru_cache(maxsize=16)
def _segments(raw: bytes, dtype: str, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every segment between two (i < j) of ``n`` colours (given as bytes): its start, its vector and
    its squared length (at least 1e-6). Asked for by every blob of every frame with the same colours."""
    colours = np.frombuffer(raw, dtype=dtype).reshape(n, 3)
    i, j = np.triu_indices(n, k=1)
    a, ab = colours[i], colours[j] - colours[i]
    return a, ab, np.maximum((ab * ab).sum(-1), 1e-6)


def _colour_tables(appearance: Appearance) -> tuple[np.ndarray, np.ndarray]:
    """Per colour bin: distance to the floor colour, and whether the bin is the agent's colour.

    A bin is the agent's when it lies within half the agent colour's distance to the nearest board
    colour (so it is nearer the agent than any board colour). Merely nearer the agent than every
    *dominant* board colour is not enough: thin lines drawn in a colour of their own are no dominant
    colour, and the neon 3D maze's pale cube edges lie nearer its cyan agent than its purple faces.
    Painted out with their rings, they took a third of the board away in a lattice that moved with
    it, and phase correlation read shake up to 4 canonical pixels wrong (a camera move).

    Looking colours up in a table is much cheaper than computing distances to
    every palette colour for every pixel of every frame.
    """
    to_floor = _cube_distance(appearance.floor)
    to_agent = _cube_distance(appearance.agent_color)
    apart = float(np.abs(np.asarray(appearance.board_colours) - appearance.agent_color).sum(axis=1).min())
    return to_floor.astype(np.float32), (to_agent < 0.5 * apart).astype(np.uint8)


def _cube_distance(colour: np.ndarray) -> np.ndarray:
    """L1 distance from ``colour`` to the centre of every bin of the 32x32x32 colour cube
    (5 bits a channel, red highest; 32768 values).

    Summed from the three channels' 32 distances each, in the order a sum over a
    colour's channels takes: the same numbers as from the 32768 x 3 cube, forty times cheaper.
    """
    levels = np.arange(32, dtype=np.float32) * 8 + 3.5
    d = np.abs(levels[None, :] - np.asarray(colour)[:, None])  # 3 x 32
    return ((d[0][:, None, None] + d[1][None, :, None]) + d[2][None, None, :]).reshape(-1)


def structure_frames(frames: np.ndarray, appearances: list[Appearance],
                     zeroed: np.ndarray | None = None, ring: int = 2) -> Iterator[np.ndarray]:
    """Each frame's structure (H x W float32): how far each pixel is from the floor colour, with every moving
    object painted out; in one buffer that the next frame's overwrites.

    Used to measure camera motion from the board alone (continuous values, so codec noise does not
    flicker it). Pixels nearer an object's colour than to every board colour, and a ring of ``ring``
    pixels around them, count as floor. ``appearances`` are the looks of the objects that move on one board (sokoban's
    player and boxes), on the same floor colour: each structure is that distance zeroed around its own
    object, and theirs is the pixel-wise minimum, made in one pass. Pixels in ``zeroed`` (H x W bool)
    are 0 in every frame. One buffer suits the consumer, :func:`verifiers.canonical.stabilize`, which
    reads each frame's once, at once: no T x H x W array is written and read back.
    """
    to_floor, is_agent = _colour_tables(appearances[0])
    for other in appearances[1:]:
        if not np.array_equal(other.floor, appearances[0].floor):
            raise ValueError("structure_frames needs appearances on the same floor")
        is_agent |= _colour_tables(other)[1]
    # One table lookup a pixel instead of two: agent-coloured bins are marked negative
    # (distances are never negative), so the agent mask is read off the same lookup.
    table = np.where(is_agent.astype(bool), -1.0, to_floor).astype(np.float32)
    by_code = table[_CODE_TO_BIN].reshape(256, 256)
    kernel = np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)
    # Scratch images reused frame after frame (fresh ones cost more than the work on them).
    values = np.empty(frames.shape[1:3], dtype=np.float32)
    packed = np.empty((*frames.shape[1:3], 2), dtype=np.uint8)
    code = np.empty(packed.shape, dtype=np.int16)
    coloured = np.empty(frames.shape[1:3], dtype=bool)
    for frame in frames:
        # The same lookup as table[colour-cube bin of each pixel], in two OpenCV passes: cvtColor packs each
        # pixel's high bits as a 16-bit code, whose two bytes address the table laid out 256 x 256
        # (remap, nearest: a gather, three times cheaper than numpy's on a 64-bit index per pixel).
        cv2.cvtColor(frame, cv2.COLOR_RGB2BGR565, dst=packed)
        np.copyto(code, packed)
        cv2.remap(by_code, code, None, cv2.INTER_NEAREST, dst=values)
        np.less(values, 0, out=coloured)
        # The ring around agent-coloured pixels is painted out within their box (usually a sprite's; no
        # box at all when the agent is hidden).
        box = widened_box(coloured, ring)
        if box is not None:
            around = cv2.dilate(coloured.view(np.uint8)[box], kernel)
            np.copyto(values[box], 0.0, where=around.view(bool))
        if zeroed is not None:
            values[zeroed] = 0.0
        yield values


def _code_to_bin() -> np.ndarray:
    """For every 16-bit code of ``cv2.COLOR_RGB2BGR565`` (5 bits red high, 6 green, 5 blue low), its
    colour-cube bin (5 bits a channel: green's lowest bit dropped)."""
    code = np.arange(65536)
    red, green, blue = code >> 11, (code >> 5) & 63, code & 31
    return (red << 10) | ((green >> 1) << 5) | blue


_CODE_TO_BIN = _code_to_bin()


def follow_agent(smoothed: np.ndarray, diff: np.ndarray | Difference, appearance: Appearance,
                 start: tuple[float, float], copy_distance: float, min_pixels: float = 3.0,
                 opening: np.ndarray = SPECK, rim: int = 0, faint: float | None = None,
                 ) -> tuple[list[tuple[float, float] | None], list[bool], np.ndarray]:
    """The agent in every frame: the agent-like blob nearest its last sighting (at first ``start``).

    ``diff`` is :func:`~verifiers.difference.difference` of ``smoothed``, or the same as a :class:`Difference`.

    Returns the blob centres (None where no agent-like blob was seen), per frame
    whether another agent-like blob of at least :data:`DUPLICATE_AREA` of the
    agent's area stood farther than ``copy_distance`` from the chosen one, or
    another of at least :data:`SIDE_BY_SIDE` of it stood anywhere while the chosen
    one was that large too (a copy), and the agent's pixels per frame (T x H x W
    bool). ``min_pixels``: as for :func:`blobs_into`; ``opening``: the ``kernel``
    of :func:`foreground`; ``rim``: as for :func:`blobs_into`.
    Where the opened difference shows no agent-like blob, the difference is searched again as it
    is (a blob must still cover a share of the agent's area, see :func:`blobs_into`): an agent a
    few pixels across can be too thin for ``opening`` where it is drawn smaller than it was
    learned, darker over a goal of a similar hue, or cut by a 3D ladder's rungs (calibrate
    --seed 3100 and 3200, agent-reshaped and agent-recoloured: a 3D maze oracle lost 31 of 111
    frames, a teleport hidden in the gaps was accepted, and a trap field oracle lost its agent
    on the goal). Re-judged, 1,644 3D maze, 2,972 maze and trap field and 2,266 irregular
    calibration videos changed no other verdict.

    With ``faint`` (a share of the threshold), a frame that still shows no agent-like blob is searched
    a third time at ``faint`` times the threshold, for an agent-like blob no farther from the last
    sighting than ``copy_distance`` per frame since: low-bitrate H.264 washes a sprite drawn smaller
    than it was learned into its block (calibrate --seed 3400, agent-reshaped+h264-low: a hard 3D
    maze oracle lost its agent for whole runs of frames and was rejected). Only near the agent: a
    faint mark elsewhere is the board's to judge, not a place the agent jumped to.
    """
    masks = foreground(diff, appearance, opening)
    positions: list[tuple[float, float] | None] = []
    duplicated: list[bool] = []
    agent_masks = np.zeros(masks.shape, dtype=bool)
    copy_area = DUPLICATE_AREA * appearance.agent_area
    whole = SIDE_BY_SIDE * appearance.agent_area  # a blob this large is a whole agent (see the copies below)
    last, seen_at = start, 0
    everywhere = (slice(None), slice(None))
    for t in range(len(smoothed)):
        found = blobs_into(smoothed[t], masks[t], diff[t], appearance, None, min_pixels, rim)
        agents = [b for b in found if b.agent_like]
        if not agents:
            plain = diff[t][everywhere]  # the whole frame's difference, unopened, read once for both searches
            differs = (plain > appearance.threshold).view(np.uint8)
            agents = [b for b in blobs_into(smoothed[t], differs, diff[t], appearance, None, min_pixels, rim)
                      if b.agent_like]
        if not agents and faint is not None:
            differs = (plain > faint * appearance.threshold).view(np.uint8)
            reach = copy_distance * max(1, t - seen_at)
            agents = [b for b in blobs_into(smoothed[t], differs, diff[t], appearance, None, min_pixels, rim)
                      if b.agent_like and math.dist(b.center, last) <= reach]
        if not agents:
            positions.append(None)
            duplicated.append(False)
            continue
        chosen = min(agents, key=lambda b: math.dist(b.center, last))
        # The agent's pixels: its blob, what lies near it, and copies (reported as such). An agent-like blob
        # too small to be a copy, far from the agent, is the board's to judge: a goal drawn anew elsewhere
        # looked agent-like and hid its own cell from the board check (calibrate --n 3 --seed 2200, hard
        # trap field, stretched to 832x480).
        # A copy is drawn like the agent: where the agent is drawn smaller than it was learned, so is its copy
        # (calibrate --n 6 --seed 3400, agent-reshaped: a hard 3D maze's copy at 80% width, 5 pixels once opened).
        copy_now = DUPLICATE_AREA * min(appearance.agent_area, chosen.area)
        # A copy nearer than the copy distance is still a copy where it and the agent are each a whole agent: a
        # copy drawn on the agent's way, at half the frame rate, showed only beside the agent or merged with it
        # (calibrate --n 1 --seed 5200, easy 3D maze, fps-drop: 32 and 44 px side by side, agent 28; accepted).
        # Parts of one agent cut by a ladder's rungs are smaller; no legal video of that run (5 families) nor of
        # --family maze3d --n 4 --seed 5300 (7 columns) showed two agent-like blobs within the copy distance at all.
        copied = False
        for b in agents:
            far = math.dist(b.center, chosen.center) > copy_distance
            is_copy = b.area >= copy_area
            copied |= far and b.area >= copy_now
            copied |= b is not chosen and min(b.area, chosen.area) >= whole
            if is_copy or not far:
                ys, xs, window = b.pixels
                agent_masks[t][ys, xs] |= window
        duplicated.append(copied)
        positions.append(chosen.center)
        last, seen_at = chosen.center, t
    return positions, duplicated, agent_masks
