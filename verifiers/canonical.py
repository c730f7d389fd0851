"""Put every frame of a video into the puzzle's own coordinates ("canonical space").

A model returns whatever size and aspect it likes: the first frame stretched,
letterboxed or cropped, sometimes preceded by a few garbage frames, sometimes
shaking. We find the affine map from the puzzle's ``frame0.png`` to the video
by trying each way a frame can be resized and refining with ECC (which is
invariant to gain and bias, so colour shifts and gamma do not disturb it),
then warp every frame into a small canonical raster where a grid cell is
``CELL`` pixels wide and a margin of one cell surrounds the board. Everything
downstream (board integrity, tracking, legality) works on that raster, and
every tolerance it keeps in canonical pixels is a share of ``CELL`` (see
:func:`cell_pixels`), so it follows the raster.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import cv2
import numpy as np

from genreason.types import Video

CELL = 12  # canonical pixels per grid cell: a sprite a third of a cell wide is still 4 pixels wide
REFERENCE_CELL = 16  # the raster the grid verifiers' pixel tolerances were tuned on (see cell_pixels)
MARGIN = 1  # cells of margin around the board, so an agent leaving the board is still seen
MIN_MATCH = 0.75  # ECC correlation a frame needs to count as showing the puzzle
SEARCH_FRAMES = 12  # how many leading frames may be garbage before we give up
ECC_WIDTH = 192  # ECC runs on images about this wide: fast and still precise to ~0.2 cell
# A way of fitting the puzzle into the video that ECC refines to this correlation is taken without
# trying the others: they start at other scales (a third to twice apart for a 16:9 video of a square
# puzzle) and may not move far from them, so none can fit that video better; each costs a full ECC.
GOOD_FIT = 0.9
# A frame whose contrast (the standard deviation of its grey levels, shrunk for ECC) is below this share of
# the puzzle's is not tried: it cannot show the puzzle. ECC's correlation is normalised, so a blank frame is
# matched on whatever faint trace it carries: a mid-grey frame before the puzzle, through low-bitrate H.264,
# held two grey levels (std 0.0008) along the puzzle's outlines and was taken as the first frame (calibrate
# --seed 4500, garbage-start+resize-1280x720+h264-low: 65 videos of five families unreadable).
MIN_CONTRAST = 0.25


def cell_pixels(pixels: float) -> float:
    """A length tuned as ``pixels`` on a :data:`REFERENCE_CELL`-pixel cell, in pixels of a ``CELL``-pixel one:
    the same share of a cell on any raster."""
    return pixels * CELL / REFERENCE_CELL


@dataclass(frozen=True)
class BoardGeometry:
    """Where the grid sits in the puzzle image: origin (x, y) in pixels, cell size, rows, cols."""

    origin: tuple[float, float]
    cell_size: float
    rows: int
    cols: int

    @property
    def canvas_size(self) -> tuple[int, int]:
        """(width, height) of the canonical raster."""
        return ((self.cols + 2 * MARGIN) * CELL, (self.rows + 2 * MARGIN) * CELL)

    def puzzle_to_canonical(self) -> np.ndarray:
        s = CELL / self.cell_size
        return np.array([[s, 0.0, MARGIN * CELL - self.origin[0] * s],
                         [0.0, s, MARGIN * CELL - self.origin[1] * s]])

    def canonical_to_grid(self, u: float, v: float) -> tuple[float, float]:
        """Canonical pixel (u, v) to continuous (row, col); cell centres at +0.5."""
        return (v / CELL - MARGIN, u / CELL - MARGIN)

    def grid_to_canonical(self, row: float, col: float) -> tuple[float, float]:
        return ((col + MARGIN) * CELL, (row + MARGIN) * CELL)


@dataclass(frozen=True)
class Alignment:
    """The affine map puzzle -> video (2x3), how well it fits, and the first frame that fits."""

    puzzle_to_video: np.ndarray
    correlation: float
    first_frame: int
    hypothesis: str


def to_pixels(unit_px: float, units: float) -> int:
    """A length of ``units`` (road widths, half top faces, ...) in whole canonical pixels, where one unit
    is ``unit_px`` pixels; at least 1, so a margin never vanishes on a coarse raster."""
    return max(1, round(units * unit_px))


def compose(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Affine ``a`` after ``b`` (both 2x3)."""
    a3 = np.vstack([a, [0, 0, 1]])
    b3 = np.vstack([b, [0, 0, 1]])
    return (a3 @ b3)[:2]


def invert(m: np.ndarray) -> np.ndarray:
    return cv2.invertAffineTransform(m.astype(np.float64))


def _gray(image: np.ndarray) -> np.ndarray:
    return cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32)


def _hypotheses(pw: int, ph: int, vw: int, vh: int) -> dict[str, np.ndarray]:
    """The ways a pw x ph image is commonly fitted into a vw x vh video."""
    sx, sy = vw / pw, vh / ph
    fit = min(sx, sy)
    fill = max(sx, sy)
    return {
        "resize": np.array([[sx, 0, 0], [0, sy, 0]], dtype=np.float64),
        "letterbox": np.array([[fit, 0, (vw - pw * fit) / 2], [0, fit, (vh - ph * fit) / 2]]),
        "crop": np.array([[fill, 0, (vw - pw * fill) / 2], [0, fill, (vh - ph * fill) / 2]]),
    }


BAR_RIM = 4  # pixels of the ECC image (about ECC_WIDTH wide) left out along an edge of the puzzle that borders bars


def _beside_bars(template_shape: tuple[int, ...], image_shape: tuple[int, ...], init: np.ndarray) -> np.ndarray | None:
    """The pixels of the image ECC may use when ``init`` (template -> image) leaves bars beside the puzzle:
    all but a rim of :data:`BAR_RIM` pixels along each edge of the puzzle that lies inside the image; None
    where the puzzle reaches past every edge of the image (stretched or cropped: no bars).

    Along such an edge, the shrunk frame mixes the puzzle's border with the bar, which the
    puzzle's own image does not show: ECC, asked to match both, gave up the fit's scale and
    shear for it. On letterboxed calibration videos the puzzle's corners landed up to 7 video
    pixels (2% of the puzzle's width) off the known letterbox; with the rim left out, about 1
    (and a tenth of that once the template is shrunk to the fit's size, see :func:`align`).
    """
    th, tw = template_shape[:2]
    ih, iw = image_shape[:2]
    corners = np.array([[0, 0, 1], [tw, 0, 1], [0, th, 1], [tw, th, 1]], np.float64) @ init.T
    x0, y0 = corners.min(axis=0)
    x1, y1 = corners.max(axis=0)
    inside = (x0 > 0.5, y0 > 0.5, x1 < iw - 0.5, y1 < ih - 0.5)  # bars at least half a pixel wide
    if not any(inside):
        return None
    mask = np.zeros((ih, iw), np.uint8)
    left = max(0, math.ceil(x0) + BAR_RIM) if inside[0] else 0
    top = max(0, math.ceil(y0) + BAR_RIM) if inside[1] else 0
    right = min(iw, math.floor(x1) - BAR_RIM) if inside[2] else iw
    bottom = min(ih, math.floor(y1) - BAR_RIM) if inside[3] else ih
    mask[top:bottom, left:right] = 1
    return mask


def _ecc(template: np.ndarray, image: np.ndarray, init: np.ndarray,
         mask: np.ndarray | None) -> tuple[float, np.ndarray]:
    """Refine ``init`` (template -> image) by ECC on the image's pixels in ``mask`` (all where None); returns
    (correlation, warp). -1 when it diverges."""
    warp = init.astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 60, 1e-5)
    try:
        corr, warp = cv2.findTransformECC(template, image, warp, cv2.MOTION_AFFINE, criteria, mask, 3)
    except cv2.error:
        return -1.0, init
    return float(corr), warp.astype(np.float64)


def _plausible(m: np.ndarray, init: np.ndarray) -> bool:
    """ECC may wander off to a rotated or sheared fit: we only accept near-axis-aligned scalings."""
    sx, sy = m[0, 0], m[1, 1]
    return (sx > 0 and sy > 0 and abs(m[0, 1]) < 0.05 * sx and abs(m[1, 0]) < 0.05 * sy
            and 0.8 < sx / init[0, 0] < 1.25 and 0.8 < sy / init[1, 1] < 1.25)


def align(puzzle_image: np.ndarray, video: Video) -> Alignment | None:
    """Find the first of the leading frames that shows the puzzle, and the map onto it.

    Returns None when none of the first ``SEARCH_FRAMES`` frames matches.

    ECC compares the frame, shrunk to about :data:`ECC_WIDTH` pixels, with the puzzle shrunk to
    the size each way of fitting it gives it there (never larger than the puzzle itself): like
    with like, so a fit starts where the frame shows the puzzle and converges in a few
    iterations. A template of one size for every fit showed a puzzle stretched to 832x480 at 1.7
    times the frame's resolution along one axis: ECC spent 10 to 30 iterations (on a sudoku's
    thin digits 15 ms, more than any other step of its verifier) and ended 1-4 video pixels
    off; now 3 ms and a tenth of a pixel (with each axis's own scale of the shrunk frame).
    """
    ph, pw = puzzle_image.shape[:2]
    vw, vh = video.size
    grey = _gray(puzzle_image)
    kv = min(1.0, ECC_WIDTH / max(vw, vh))  # ECC works on the frames at about this scale
    small_size = (round(vw * kv), round(vh * kv))
    # The scale of each axis as shrunk (832x480 at 0.2308: 192x111, 0.2% taller than 0.2308 makes it).
    scale_v = np.array([[small_size[0] / vw, 0, 0], [0, small_size[1] / vh, 0]], dtype=np.float64)
    # Each way of fitting the puzzle, worked out once for every frame tried: its template (the puzzle shrunk
    # to the size the fit gives it in the shrunk frame), the template's scale, ECC's start and its mask.
    fits: list[tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]] = []
    templates: dict[tuple[int, int], np.ndarray] = {}
    for name, init in _hypotheses(pw, ph, vw, vh).items():
        size = (max(8, round(pw * min(1.0, init[0, 0] * kv))), max(8, round(ph * min(1.0, init[1, 1] * kv))))
        down = np.array([[size[0] / pw, 0, 0], [0, size[1] / ph, 0]], dtype=np.float64)
        # in the small images: template -> image = scale_v . init . down^-1
        small_init = compose(scale_v, compose(init, invert(down)))
        if any(t.shape[::-1] == size and np.array_equal(small_init, s) for _, t, _, s, _ in fits):
            continue  # the same start as one tried (a video of the puzzle's own aspect): the same fit
        if size not in templates:
            templates[size] = cv2.resize(grey, size, interpolation=cv2.INTER_AREA)
        fits.append((name, templates[size], down, small_init,
                     _beside_bars(size[::-1], small_size[::-1], small_init)))
    best: Alignment | None = None
    floor = MIN_CONTRAST * min(float(t.std()) for t in templates.values())
    for index in range(min(SEARCH_FRAMES, video.num_frames)):
        image = cv2.resize(_gray(video.frame(index)), small_size, interpolation=cv2.INTER_AREA)
        if float(image.std()) < floor:
            continue
        for name, template, down, small_init, mask in fits:
            corr, small = _ecc(template, image, small_init, mask)
            if corr < 0 or not _plausible(small, small_init):
                continue
            full = compose(invert(scale_v), compose(small, down))
            if best is None or corr > best.correlation:
                best = Alignment(full, corr, index, name)
            if best.correlation >= GOOD_FIT:
                return best
        if best is not None and best.correlation >= MIN_MATCH:
            return best
    return best if best is not None and best.correlation >= MIN_MATCH else None


def warp_frames(video: Video, video_to_canonical: np.ndarray, size: tuple[int, int], *, start: int = 0,
                stop: int | None = None, halving: bool = False) -> np.ndarray:
    """Warp frames ``start`` to ``stop`` into the canonical raster, area-averaging first when shrinking a lot.

    The frames are first shrunk by a whole factor k (the mean of every k x k block), so the
    final bilinear warp never skips pixels: k is the largest with the warp still shrinking by
    at most 1/1.3, and the shrink exact (:func:`shrink`). With ``halving``, the same k is reached
    by halving as often as two divides it (each halving OpenCV's vectorised 2 x 2 mean, the
    cheapest pass over a full-resolution frame there is), then the exact mean over the odd factor
    left of the smaller frame: every value within 1 of the exact k x k mean (a rounding per step
    instead of one), for a fraction of the cost of an exact 4 x 4 or 6 x 6 mean of the full frame.

    Where k is even and the video's frames are still the decoder's 8-bit 4:2:0 planes
    (:attr:`~genreason.types.Video.yuv_to_rgb`), the planes are shrunk instead (Y by k, U and V,
    already half as wide and high, by k / 2), warped together, and only the raster is converted to
    RGB: what converting first and shrinking after gives (RGB is linear in Y, U and V; within a
    level or two), without converting and shrinking three full-resolution channels. Otherwise each
    frame is converted to RGB one at a time (see :class:`~genreason.types.FrameSource`).
    """
    stop = video.num_frames if stop is None else min(stop, video.num_frames)
    scale = float(np.sqrt(abs(np.linalg.det(video_to_canonical[:, :2]))))
    # Shrink by a whole factor first (area averaging, OpenCV's fast path for integer factors),
    # so the final bilinear warp never skips pixels; a fractional area resize costs ten times more.
    k = max(1, int(1 / (scale * 1.3)))
    m = compose(video_to_canonical, np.array([[k, 0, 0], [0, k, 0]], dtype=np.float64)) if k > 1 else video_to_canonical
    width, height = video.size
    h, w = height // k, width // k
    out = np.empty((max(0, stop - start), size[1], size[0], 3), dtype=np.uint8)
    # Every intermediate image lives in one buffer reused frame after frame: a fresh one for
    # each OpenCV call costs more than the call itself (new memory is faulted in page by page).
    four = np.empty((h, w, 4), dtype=np.uint8) if k > 1 else None
    warped = np.empty((size[1], size[0], 4), dtype=np.uint8)
    to_rgb = video.yuv_to_rgb if k % 2 == 0 else None
    if to_rgb is not None:
        luma = _Shrink((height, width), k, halving)
        # One shrinker serves U and V: each result is copied out before the next plane is shrunk.
        shrink_chroma = _Shrink(((height + 1) // 2, (width + 1) // 2), k // 2, halving)
        # OpenCV merges rows with gaps (a decoder's planes, crops) ten times slower than whole buffers.
        u, v, yuv = np.empty((h, w), np.uint8), np.empty((h, w), np.uint8), np.empty((*warped.shape[:2], 3), np.uint8)
        for i in range(start, stop):
            planes = video.yuv420(i)
            y = luma(planes[0])
            for plane, dst in zip(planes[1:], (u, v)):
                np.copyto(dst, shrink_chroma(plane)[:h, :w])
            cv2.merge((y, u, v, y), dst=four)  # the fourth channel is a filler, warped for speed as below
            cv2.warpAffine(four, m, size, dst=warped, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            # Dropping the filler first: OpenCV's colour transform of three channels is twenty times faster.
            cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB, dst=yuv)
            cv2.transform(yuv, to_rgb, dst=out[i - start])
        return out
    shrink_rgb = _Shrink((height, width, 3), k, halving)
    for i in range(start, stop):
        # Warped as four channels: OpenCV's vectorised bilinear path for them is faster than for
        # three, even with both conversions, and each channel gets exactly the same values.
        if k == 1:
            four = video.rgba(i)  # a decoded frame comes as RGBA at no extra cost
        else:
            cv2.cvtColor(shrink_rgb(video.frame(i)), cv2.COLOR_RGB2RGBA, dst=four)
        cv2.warpAffine(four, m, size, dst=warped, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB, dst=out[i - start])
    return out


@dataclass(frozen=True)
class Warp:
    """:func:`warp_frames`' arguments for a video's frames ``start`` onward, kept so that :func:`stabilize` can
    warp a shaken frame anew from the video, moved back, instead of resampling its canonical copy a second time."""

    video: Video
    to_canonical: np.ndarray
    size: tuple[int, int]
    start: int = 0
    halving: bool = False

    def frames(self) -> np.ndarray:
        """Every frame from ``start`` in the canonical raster (:func:`warp_frames`)."""
        return warp_frames(self.video, self.to_canonical, self.size, start=self.start, halving=self.halving)

    def moved_back(self, index: int, shift: np.ndarray) -> np.ndarray:
        """Canonical frame ``index`` (video frame ``start + index``) moved back by ``shift`` (dx, dy), in one
        resampling of the video's frame, as every other canonical frame is made."""
        back = np.array([[1.0, 0.0, -shift[0]], [0.0, 1.0, -shift[1]]])
        frame = self.start + index
        return warp_frames(self.video, compose(back, self.to_canonical), self.size, start=frame, stop=frame + 1,
                           halving=self.halving)[0]


class _Shrink:
    """Shrinks images of one shape by a whole factor ``k`` as :func:`warp_frames` describes (by halvings and the
    odd factor left with ``halving``, else exactly), into buffers reused image after image."""

    def __init__(self, shape: tuple[int, ...], k: int, halving: bool):
        height, width, rest = shape[0], shape[1], shape[2:]
        self.exact = k // (k & -k) if halving else k  # with halving: what is left after them, k's odd part
        # One buffer per halving: H/2 x W/2, H/4 x W/4, ... (floor division composes: H // 2 // 2 == H // 4).
        self.halved = [np.empty((height >> i, width >> i, *rest), dtype=np.uint8)
                       for i in range(1, (k // self.exact).bit_length())]
        h, w = height // k, width // k
        self.small = np.empty((h, w, *rest), dtype=np.uint8)
        odd = self.exact > 1 and self.exact % 2
        self.box = np.empty((h * self.exact, w * self.exact, *rest), dtype=np.uint8) if odd else None

    def __call__(self, image: np.ndarray) -> np.ndarray:
        for half in self.halved:
            image = cv2.resize(image[:2 * half.shape[0], :2 * half.shape[1]], (half.shape[1], half.shape[0]),
                               dst=half, interpolation=cv2.INTER_AREA)
        if self.exact > 1:
            image = _shrink_into(image, self.exact, self.small, self.box)
        return image


def shrink(image: np.ndarray, k: int) -> np.ndarray:
    """The mean of every k x k block of ``image`` (uint8), exactly as ``cv2.resize`` with ``INTER_AREA`` gives it.

    OpenCV vectorises the area resize only for halving; for an odd factor a box
    filter anchored at each block's corner, read at every k-th pixel, gives the
    same values in half the time: both round the block's mean to the nearest
    integer, and the mean of an odd number k*k of integers is never a tie. (For
    an even factor above two the two round ties differently: the resize it is.)
    """
    return _Shrink(image.shape, k, halving=False)(image) if k > 1 else image.copy()


def _shrink_into(image: np.ndarray, k: int, small: np.ndarray, box: np.ndarray | None) -> np.ndarray:
    """:func:`shrink` into ``small``, with ``box`` (the cropped image's size) as scratch for an odd ``k``."""
    h, w = small.shape[:2]
    crop = image[:h * k, :w * k]
    if box is None:
        return cv2.resize(crop, (w, h), dst=small, interpolation=cv2.INTER_AREA)
    cv2.boxFilter(crop, -1, (k, k), dst=box, anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
    return cv2.resize(box, (w, h), dst=small, interpolation=cv2.INTER_NEAREST)  # pixel (k*x, k*y): whole factors


def inside_video(video_size: tuple[int, int], video_to_canonical: np.ndarray, size: tuple[int, int],
                 border: float) -> np.ndarray:
    """Canonical pixels that show the video itself, at least ``border`` canonical pixels from its edge.

    Outside, warping repeats the video's edge pixels, which shake or a pan
    changes: such pixels say nothing about the board.
    """
    ones = np.ones((video_size[1], video_size[0]), np.uint8)
    mask = cv2.warpAffine(ones, video_to_canonical, size, flags=cv2.INTER_NEAREST, borderValue=0)
    radius = max(1, int(np.ceil(border)))
    return cv2.erode(mask, np.ones((2 * radius + 1, 2 * radius + 1), np.uint8)).astype(bool)


def shake_border(shifts: np.ndarray, limit: float) -> float:
    """How far inside the video's edge (canonical pixels) a stabilised frame may show the edge repeated instead of
    the board: the largest shift :func:`stabilize` measured, and a pixel for the bilinear warp, or ``limit`` (the
    largest it moves back) where the camera moved farther. The border for :func:`inside_video` once the shifts are
    known: ``limit`` alone hid a strip of the board that small shake never disturbed, where the video's edge
    crosses the raster (the board drawn to the edge of the frame, the first frame shaken off it)."""
    return min(limit, float(np.abs(shifts).max(initial=0.0)) + 1.0)


MIN_SHAKE = 0.3  # canonical pixels (the default; a raster may pass its own): below this a frame is left where it is


def shake_corrected(shift: np.ndarray, limit: float, min_shake: float = MIN_SHAKE) -> bool:
    """Whether :func:`stabilize` moved a frame back by ``shift``: small shake yes, a real pan no."""
    return bool(min_shake < np.hypot(shift[0], shift[1]) <= limit)


def stabilize(canon: np.ndarray, structure: Iterable[np.ndarray], limit: float,
              min_shake: float = MIN_SHAKE, source: Warp | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Undo small camera shake by phase correlation of each frame's board structure against frame 0.

    ``structure`` (each frame's H x W float32 image, in order: a T x H x W array
    or :func:`verifiers.tracking.structure_frames`) shows only the static board
    (walls and other board features, the agent masked out): phase correlation
    on raw frames locks onto the moving agent when the board has little structure.
    Returns the stabilised frames and each frame's measured shift (dx, dy) in
    canonical pixels. Shifts beyond ``limit`` are left in place (and
    reported), because a pan that large is the camera moving, not shake;
    shifts of at most ``min_shake`` too, because they are no shake at all.

    ``source``, the :class:`Warp` that made ``canon``, warps a frame that is moved back anew from the video.
    Without it the canonical frame itself is moved, a second bilinear resampling: it blurs a line a pixel
    thin to half its contrast over two pixels, which no frame that holds still shows (a 3D maze's ladder
    rungs, shaken, read as erased in three frames running).
    """
    # Measured at half resolution: four times cheaper, still precise to a fraction of a pixel.
    images = iter(structure)
    first = next(images)
    h, w = (first.shape[0] + 1) // 2, (first.shape[1] + 1) // 2  # what pyrDown makes
    # pyrDown writes straight into the padded buffer's corner, which is then windowed in place.
    padding = WindowedPadding(w, h)

    def windowed(image: np.ndarray) -> np.ndarray:
        cv2.pyrDown(image, dst=padding.corner)
        return padding(padding.corner)

    correlate = PhaseCorrelation(windowed(first))
    shifts = np.zeros((len(canon), 2))
    out = canon  # copied only when a frame is actually moved: most videos hold still
    size = (canon.shape[2], canon.shape[1])
    four, warped = (np.empty((*canon.shape[1:3], 4), dtype=np.uint8) for _ in range(2))
    for i, image in enumerate(images, start=1):
        dx, dy = correlate(windowed(image))
        dx, dy = 2 * dx, 2 * dy
        shifts[i] = (dx, dy)
        if shake_corrected(shifts[i], limit, min_shake):
            if out is canon:
                out = canon.copy()
            if source is not None:
                out[i] = source.moved_back(i, shifts[i])
                continue
            # Moved back as four channels, as warp_frames warps: OpenCV's vectorised bilinear path for them
            # is faster than for three, even with both conversions, and each channel gets the same values.
            m = np.array([[1.0, 0.0, -dx], [0.0, 1.0, -dy]])
            cv2.cvtColor(canon[i], cv2.COLOR_RGB2RGBA, dst=four)
            cv2.warpAffine(four, m, size, dst=warped, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
            cv2.cvtColor(warped, cv2.COLOR_RGBA2RGB, dst=out[i])
    return out, shifts


class WindowedPadding:
    """What ``cv2.phaseCorrelate`` does to an image of ``width`` x ``height`` before its transforms (the Hanning
    window, then zero padding to a fast DFT size), into one buffer reused image after image."""

    def __init__(self, width: int, height: int):
        self.window = cv2.createHanningWindow((width, height), cv2.CV_32F)
        self.padded = np.zeros((cv2.getOptimalDFTSize(height), cv2.getOptimalDFTSize(width)), dtype=np.float32)
        self.corner = self.padded[:height, :width]  # the image's place; the padding stays zero

    def __call__(self, image: np.ndarray) -> np.ndarray:
        """``image`` windowed into the buffer (``image`` may be :attr:`corner` itself); the buffer is returned
        and overwritten by the next call."""
        cv2.multiply(self.window, image, dst=self.corner)
        return self.padded


class PhaseCorrelation:
    """The shift of many images from one reference by phase correlation, the reference's spectrum computed
    once: each image costs two Fourier transforms instead of three.

    The correlation is ``cv2.phaseCorrelate``'s (modules/imgproc/src/phasecorr.cpp):
    the cross power spectrum (``mulSpectrums``, the image's spectrum conjugated),
    each value divided by its magnitude m as divSpectrums divides it (by m +
    FLT_EPSILON / m, which keeps a vanishing value vanishing), the inverse
    transform, the quadrant swap. Its peak is read differently (:func:`_peak`):
    at the whole pixel of the zero shift after the swap, which OpenCV puts half a
    pixel off for an odd size, and to a fraction of a pixel from the peak and
    both its neighbours (:func:`_fraction`), where OpenCV takes a 5 x 5
    centroid. On the boards of calibration videos shaken by known whole pixels,
    measured at half resolution (every family that stabilizes, 30 videos), the
    error per video was 0.12 canonical pixel (mean of the medians; worst frame
    0.74) against 0.14 (0.82) from the peak's larger neighbour alone, OpenCV's
    0.38 with its centre put right (1.42), and 1.0 to 1.3 with it as it is on
    the odd sizes (an easy 3D maze's and trap field's boards).
    Images must already have a size ``cv2.getOptimalDFTSize`` keeps (at least
    2 x 2) and any window applied (:class:`WindowedPadding`).
    """

    def __init__(self, reference: np.ndarray):
        rows, cols = reference.shape
        self.reference = cv2.dft(reference, flags=cv2.DFT_REAL_OUTPUT)
        # Buffers reused image after image (fresh ones cost more than the work on them), and views into
        # the product in OpenCV's packed layout of a real image's spectrum (CCS): every row holds (re, im)
        # pairs between its first and last column; the first column (and the last, for an even width)
        # holds real values at its ends (the last row's only for an even height) and (re, im) pairs down
        # the rows between them.
        self.spectrum, self.product, self.swapped = (np.empty_like(reference) for _ in range(3))
        p = self.product
        self.pairs = p[:, 1:1 + (cols - 1) // 2 * 2].view(np.complex64)
        self.magnitude, self.factor = (np.empty(self.pairs.shape, np.float32) for _ in range(2))
        edges = p[:, ::cols - 1] if cols % 2 == 0 else p[:, :1]
        n = (rows - 1) // 2
        self.edge_pairs = edges[1:1 + 2 * n].reshape(n, 2, edges.shape[1], copy=False)  # pair, (re, im), column
        self.edge_reals = edges[::rows - 1] if rows % 2 == 0 else edges[:1]
        self.centre = (cols // 2, rows // 2)  # where the swap puts the zero shift (numpy's fftshift too)

    def __call__(self, image: np.ndarray) -> tuple[float, float]:
        """The shift (dx, dy) of ``image`` from the reference (the sign of ``cv2.phaseCorrelate(reference, image)``)."""
        cv2.dft(image, dst=self.spectrum, flags=cv2.DFT_REAL_OUTPUT)
        cv2.mulSpectrums(self.reference, self.spectrum, 0, c=self.product, conjB=True)
        m, f = self.magnitude, self.factor
        np.abs(self.pairs, out=m)
        np.multiply(m, m, out=f)
        np.add(f, _EPS32, out=f)
        np.divide(m, f, out=f)  # m / (m^2 + eps): divSpectrums' (p * m) / (m^2 + eps) with p taken out
        np.multiply(self.pairs, f, out=self.pairs)
        e = self.edge_pairs
        m = np.hypot(e[:, 0], e[:, 1])
        e *= (m / (m * m + _EPS32))[:, None]
        r = self.edge_reals
        r /= np.abs(r) + _EPS32  # a real value's magnitude is |v|: divSpectrums gives v / (|v| + eps)
        cv2.idft(self.product, dst=self.product)
        return _peak(_swap_quadrants(self.product, self.swapped), self.centre)


_EPS32 = np.float32(np.finfo(np.float32).eps)  # divSpectrums' guard against dividing by zero (FLT_EPSILON)


def _swap_quadrants(image: np.ndarray, out: np.ndarray) -> np.ndarray:
    """OpenCV's fftShift, into ``out``: the image rolled by half its size (rounded down) both ways, which
    puts the zero shift in the middle (numpy's ``fft.fftshift``)."""
    a, b = image.shape[0] - image.shape[0] // 2, image.shape[1] - image.shape[1] // 2  # the top left quadrant
    out[:-a, :-b], out[:-a, -b:] = image[a:, b:], image[a:, :b]
    out[-a:, :-b], out[-a:, -b:] = image[:a, b:], image[:a, :b]
    return out


def _peak(correlation: np.ndarray, centre: tuple[float, float]) -> tuple[float, float]:
    """The shift from ``centre`` of the correlation's highest value (its first in raster order), to a fraction
    of a pixel from the peak and both its neighbours on each axis (:func:`_fraction`).

    (OpenCV's weighted centroid of the 5 x 5 box around the peak is pulled by the box's other
    values: see :class:`PhaseCorrelation` for the errors of both.)
    """
    _, _, _, (px, py) = cv2.minMaxLoc(correlation)
    h, w = correlation.shape
    p = float(correlation[py, px])
    dx = _fraction(p, float(correlation[py, (px - 1) % w]), float(correlation[py, (px + 1) % w]))
    dy = _fraction(p, float(correlation[(py - 1) % h, px]), float(correlation[(py + 1) % h, px]))
    return centre[0] - (px + dx), centre[1] - (py + dy)


def _fraction(peak: float, before: float, after: float) -> float:
    """Where the true peak lies from the highest sample ``peak`` (-1/2 to 1/2 pixel), from the samples either side.

    For a whitened spectrum the correlation of a shift d is a sampled sinc: the peak holds
    sinc(d), the sample after it sinc(1 - d), the one before sinc(1 + d) (negative), and
    (after - before) / peak = 2 d / (1 - d^2) exactly, so d = (sqrt(1 + r^2) - 1) / r. Where the
    images differ by more than the shift (a digit written, an agent walking), a level is added
    around the peak on both sides: the difference cancels it, where the ratio of the peak to its
    larger neighbour alone (Foroosh, Zerubia and Berthod, 2002) reads it as a shift towards that
    neighbour. On a hard sudoku being filled in, still, that read up to 0.32 canonical px, past
    the 0.3 that counts as shake (27 of 81 frames moved back for nothing); this reads at most 0.03.
    On 30 shaken oracles the error against the known shake fell from 0.14 to 0.12 px (see
    :class:`PhaseCorrelation`). The estimate never leaves half a pixel around the peak.
    """
    r = (after - before) / peak if peak > 0 else 0.0
    if r == 0.0:
        return 0.0
    return max(-0.5, min(0.5, (math.sqrt(1.0 + r * r) - 1.0) / r))
