"""Read a digit (or nothing) from a cell image, with no downloaded weights.

Templates are rendered at first use from many fonts and weights (the ``pen``
stroke font, Pillow's built-in font, OpenCV's faces; see
:mod:`puzzles.sudoku.fonts`), sharp and blurred, at several sizes. A cell image
is read in four steps, the same for templates and for video cells:

1. **Ink**: the background is the median colour of the patch's border ring;
   a pixel's ink is its largest per-channel difference from it. So any ink
   colour on any background reads alike (dark on light, light on dark), and
   gain, gamma and colour shifts change contrast, not shape.
2. **Empty**: when the 98th percentile of ink is below :data:`EMPTY_CONTRAST`
   or too few pixels carry ink, the cell is empty.
3. **Glyph**: ink is rescaled by that percentile (a faint, half-drawn digit
   keeps its shape), thin lines along the patch border (grid lines) and specks
   are dropped, and the ink's bounding box is scaled to fit 20 x 20 pixels,
   keeping its aspect, in a 24 x 24 square.
4. **Features and match**: oriented-gradient histograms over a 4 x 4 grid
   plus 8 x 8 zoned ink, compared by cosine similarity with every template;
   the best class wins unless it is a non-digit template (letters, 0, a
   blob, a box, a ring, a bar: :data:`OTHER_SYMBOLS` and :func:`shape_cells`),
   too unlike any template
   (:data:`MIN_SIMILARITY`) or too close to the runner-up (:data:`MIN_MARGIN`),
   in which case the read is ``UNSURE``.

:meth:`DigitReader.with_examples` adds labelled cells read from the video
itself (a puzzle's given digits in its first frame), so the reader adapts to
the video's own font and degradation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import cv2
import numpy as np

from puzzles.sudoku.fonts import Font, digit_mask

EMPTY = 0
UNSURE = -1
EMPTY_CONTRAST = 48.0  # ink levels (0..255) the 98th percentile must reach for a cell to hold anything
MIN_INK = 0.02  # share of the patch that strong ink must cover
MIN_SIMILARITY = 0.72  # cosine similarity to the nearest template below which a glyph is no known digit
MIN_MARGIN = 0.015  # similarity the best class must lead the runner-up by
GLYPH = 24  # side of the normalised glyph
BOX = 20  # the glyph's ink is scaled to fit this box
INSET = 0.12  # share of a cell's side cut from each edge before reading (grid lines stay out)

TEMPLATE_FONTS: tuple[Font, ...] = (
    Font("pen", 0.06), Font("pen", 0.1), Font("pen", 0.14),
    Font("pen", 0.06, italic=True), Font("pen", 0.1, italic=True),
    Font("pen", 0.06, alternate=True), Font("pen", 0.12, alternate=True), Font("pen", 0.08, True, True),
    Font("pillow", 0.0), Font("pillow", 0.03), Font("pillow", 0.06),
    Font("simplex", 0.02), Font("simplex", 0.06), Font("duplex", 0.04), Font("triplex", 0.04),
    Font("complex", 0.02), Font("plain", 0.03),
)
"""The fonts templates are rendered in by default."""
OTHER_SYMBOLS = "0AXO#+?%&HKMNW"  # drawn in the Pillow and OpenCV fonts: glyphs that are no digit 1-9
OTHER = 99  # the label of every non-digit template
TEMPLATE_FRACTIONS = (0.55, 0.68)  # digit height over cell side
TEMPLATE_BLURS = (0.0, 1.0, 2.0)  # Gaussian sigma in pixels of a 40 px cell


@dataclass(frozen=True)
class Reads:
    """What :meth:`DigitReader.read` saw in each patch: a digit, ``EMPTY`` or ``UNSURE``, and its similarity."""

    values: np.ndarray  # int, one per patch
    similarity: np.ndarray  # float, best template similarity (0 for empty)


@dataclass(frozen=True)
class Prepared:
    """Cell interiors made ready to read (:func:`prepare`): which are empty, and the features of the others."""

    empty: np.ndarray  # bool, one per cell
    features: np.ndarray  # float32, one row per cell that is not empty, in cell order
    heights: np.ndarray  # int, the height in patch pixels of each cell's glyph (its kept ink's box; 0 for empty)


def prepare(patches: np.ndarray) -> Prepared:
    """Glyphs and features of cell interiors (N x S x S x 3 uint8), computed once for any number of reads."""
    glyph_batch, empty, heights = _glyphs(patches)
    return Prepared(empty, features(glyph_batch[~empty]), heights)


def interior(cell: np.ndarray) -> np.ndarray:
    """The middle of a cell image (``INSET`` cut from each side), where a digit sits and grid lines do not."""
    side = cell.shape[0]
    k = round(side * INSET)
    return cell[k:side - k, k:side - k]


def glyphs(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised glyphs (N x GLYPH x GLYPH float32) of patches (N x S x S x 3 uint8), and which are empty.

    Grey patches (N x S x S) read as their three-channel copies do, for a third of the work.
    """
    glyph_batch, empty, _ = _glyphs(patches)
    return glyph_batch, empty


def _glyphs(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`glyphs`, and each glyph's height in patch pixels before it was scaled to fit (0 for empty)."""
    f = patches.astype(np.float32)
    if f.ndim == 3:
        f = f[..., None]
    c = f.shape[3]
    ring = np.concatenate([f[:, :2].reshape(len(f), -1, c), f[:, -2:].reshape(len(f), -1, c),
                           f[:, :, :2].reshape(len(f), -1, c), f[:, :, -2:].reshape(len(f), -1, c)], axis=1)
    background = np.median(ring, axis=1)
    diff = np.abs(f - background[:, None, None, :])
    ink = diff[..., 0]
    for channel in range(1, c):  # .max(axis=3), without its slow short axis
        ink = np.maximum(ink, diff[..., channel])
    peak = np.percentile(ink.reshape(len(f), -1), 98, axis=1)
    strong = np.count_nonzero(ink > 0.5 * peak[:, None, None], axis=(1, 2)) / (ink.shape[1] * ink.shape[2])
    empty = (peak < EMPTY_CONTRAST) | (strong < MIN_INK)
    out = np.zeros((len(f), GLYPH, GLYPH), dtype=np.float32)
    heights = np.zeros(len(f), dtype=np.int64)
    todo = np.nonzero(~empty)[0]
    if len(todo):
        found, out[todo], heights[todo] = _normalise(ink[todo], peak[todo])
        empty[todo[~found]] = True
    return out, empty, heights


def _normalise(ink: np.ndarray, peak: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Glyphs of the ink of N patches (N x S x S float32) with their 98th percentiles: (which have one, glyphs,
    the height of each glyph's box of kept ink, 0 where none).

    The strong ink's connected components of all patches are labelled in one
    call, on the patches stacked one above the other with a blank row between
    them (no component crosses it), and filtered as arrays; only the final
    crop and resize are done patch by patch.
    """
    n, side = ink.shape[0], ink.shape[1]
    stride = side + 1
    # Float32 ink against float32 multiples of the peak, as a Python float peak gave them.
    low = (0.25 * peak)[:, None, None]
    span = (0.5 * peak)[:, None, None]
    soft = np.clip((ink - low) / span, 0.0, 1.0)
    stacked = np.zeros((n, stride, side), dtype=np.uint8)
    stacked[:, :side] = ink > span
    _, labels, stats, _ = cv2.connectedComponentsWithStats(stacked.reshape(n * stride, side), connectivity=8)
    stats = stats[1:]
    x, y, w, h, area = (stats[:, i] for i in range(5))
    owner = y // stride
    y = y - owner * stride
    largest = np.zeros(n, dtype=stats.dtype)
    np.maximum.at(largest, owner, area)
    on_edge = (x == 0) | (y == 0) | (x + w == side) | (y + h == side)
    line_like = (np.minimum(w, h) <= max(2, side // 10)) & (np.maximum(w, h) >= side // 3)
    keep = ~((area < 0.08 * largest[owner]) | (on_edge & line_like))
    found = np.zeros(n, dtype=bool)
    found[owner[keep]] = True
    big = np.iinfo(np.int64).max
    y0, x0 = np.full(n, big), np.full(n, big)
    y1, x1 = np.zeros(n, dtype=np.int64), np.zeros(n, dtype=np.int64)
    np.minimum.at(y0, owner[keep], y[keep])
    np.minimum.at(x0, owner[keep], x[keep])
    np.maximum.at(y1, owner[keep], (y + h)[keep])
    np.maximum.at(x1, owner[keep], (x + w)[keep])
    kept = np.concatenate([[False], keep])[labels].astype(np.uint8)
    # Dilating the stack equals dilating each patch: the blank rows keep the patches apart.
    near = cv2.dilate(kept, np.ones((3, 3), np.uint8)).reshape(n, stride, side)[:, :side]
    out = np.zeros((n, GLYPH, GLYPH), dtype=np.float32)
    idx = np.nonzero(found)[0]
    for i, a, b, c, d in zip(idx.tolist(), y0[idx].tolist(), y1[idx].tolist(), x0[idx].tolist(), x1[idx].tolist()):
        crop = soft[i, a:b, c:d] * near[i, a:b, c:d]
        ch, cw = b - a, d - c
        k = BOX / max(ch, cw)
        nh, nw = max(1, round(ch * k)), max(1, round(cw * k))
        small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
        oy, ox = (GLYPH - nh) // 2, (GLYPH - nw) // 2
        out[i, oy:oy + nh, ox:ox + nw] = small
    return found, out, np.where(found, y1 - y0, 0)


def features(glyph_batch: np.ndarray) -> np.ndarray:
    """Unit-length feature vectors (N x D) of normalised glyphs: gradient histograms and zoned ink."""
    n = len(glyph_batch)
    if n == 0:
        return np.zeros((0, 16 * 8 + 64 + 1), dtype=np.float32)
    g = _blurred(glyph_batch)
    gy, gx = np.gradient(g, axis=(1, 2))
    magnitude = np.hypot(gx, gy)
    angle = (np.arctan2(gy, gx) % np.pi) / np.pi * 8  # unsigned orientation, 8 bins
    bins = np.minimum(angle.astype(int), 7)
    cells = GLYPH // 4
    # Each pixel's magnitude in its bin's slot, summed over each of the 4 x 4 cells: along a cell's
    # rows first, then over its rows (the order in which numpy sums a (rows, columns) block).
    weight = np.zeros((n, GLYPH, GLYPH, 8), dtype=np.float32)
    np.put_along_axis(weight, bins[..., None], magnitude[..., None], axis=3)
    hog = weight.reshape(n, 4, cells, 4, cells, 8).sum(axis=4).sum(axis=2).reshape(n, -1)
    hog /= np.linalg.norm(hog, axis=1, keepdims=True) + 1e-6
    zones = g.reshape(n, 8, GLYPH // 8, 8, GLYPH // 8).mean(axis=(2, 4)).reshape(n, -1)
    zones /= np.linalg.norm(zones, axis=1, keepdims=True) + 1e-6
    ink_cols = (g.sum(axis=1) > 0.05).sum(axis=1) / GLYPH  # width of the ink: a "1" is narrow
    out = np.concatenate([hog, 0.8 * zones, 0.5 * ink_cols[:, None]], axis=1).astype(np.float32)
    return out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-6)


def _blurred(glyph_batch: np.ndarray) -> np.ndarray:
    """Each glyph blurred by a Gaussian of sigma 0.8 (7 taps) with OpenCV's default reflected border.

    The glyphs are stacked into one tall image, each between copies of its
    own reflected edge rows, and blurred in one call: exactly each glyph's own
    blur, without a call per glyph.
    """
    n, h, w = glyph_batch.shape
    pad = 3  # the kernel's radius: cv2 makes sigma 0.8 a 7-tap kernel for float32
    padded = np.concatenate([glyph_batch[:, pad:0:-1], glyph_batch, glyph_batch[:, -2:-2 - pad:-1]], axis=1)
    out = cv2.GaussianBlur(padded.reshape(n * (h + 2 * pad), w), (0, 0), 0.8).reshape(n, h + 2 * pad, w)
    return out[:, pad:pad + h]


def shape_cells(side: int) -> list[np.ndarray]:
    """Cells with marks that are no digit: a blob, a box, a ring, bars, a cross, a scribble."""
    cells = []
    c, r = side // 2, side // 4
    for draw in (lambda im: cv2.circle(im, (c, c), r, 0, -1), lambda im: cv2.circle(im, (c, c), r, 0, 3),
                 lambda im: cv2.rectangle(im, (c - r, c - r), (c + r, c + r), 0, 3),
                 lambda im: cv2.rectangle(im, (c - r, c - r), (c + r, c + r), 0, -1),
                 lambda im: cv2.line(im, (c - r, c), (c + r, c), 0, 3),
                 lambda im: cv2.line(im, (c - r, c - r), (c + r, c + r), 0, 3),
                 lambda im: cv2.polylines(im, [np.array([[c - r, c], [c - r // 2, c - r], [c, c + r],
                                                         [c + r // 2, c - r], [c + r, c]])], False, 0, 3)):
        image = np.full((side, side), 255, dtype=np.uint8)
        draw(image)
        cells.append(np.repeat(image[..., None], 3, axis=2))
    return cells


def rendered_cell(digit: int | str, font: Font, side: int, fraction: float, blur: float = 0.0) -> np.ndarray:
    """A ``side`` px cell (dark digit on white, uint8 RGB) as :mod:`puzzles.sudoku.fonts` draws it."""
    return np.repeat(_grey_cell(digit, font, side, fraction, blur)[..., None], 3, axis=2)


def _grey_cell(digit: int | str, font: Font, side: int, fraction: float, blur: float = 0.0) -> np.ndarray:
    """:func:`rendered_cell` in one channel (uint8)."""
    mask = digit_mask(str(digit), font, side, fraction)
    if blur:
        mask = cv2.GaussianBlur(mask, (0, 0), blur * side / 40)
    return np.rint(255 * (1 - mask)).astype(np.uint8)


class DigitReader:
    """k-nearest-template reader of the digits ``1..n`` (see the module docstring).

    Args:
        digits: the largest digit to read (4 for a 4 x 4 sudoku, 9 for 9 x 9).
        fonts: fonts to render templates from; :data:`TEMPLATE_FONTS` by default.
    """

    def __init__(self, digits: int = 9, fonts: Sequence[Font] | None = None) -> None:
        self.digits = digits
        self.fonts = tuple(fonts) if fonts is not None else TEMPLATE_FONTS
        self._features, self._labels = _templates(digits, self.fonts)
        self._groups = _grouped(self._labels, digits)

    def with_examples(self, patches: np.ndarray, labels: Sequence[int]) -> DigitReader:
        """A copy that also knows these labelled cell interiors (N x S x S x 3); empty ones are ignored."""
        return self.with_prepared_examples(prepare(patches), labels)

    def with_prepared_examples(self, cells: Prepared, labels: Sequence[int]) -> DigitReader:
        """:meth:`with_examples` of already prepared cells; a label outside ``1..digits`` (such as 0) skips a cell."""
        labels = np.asarray(labels)
        keep = ~cells.empty & (labels >= 1) & (labels <= self.digits)
        clone = object.__new__(DigitReader)
        clone.digits, clone.fonts = self.digits, self.fonts
        clone._features = np.concatenate([self._features, cells.features[keep[~cells.empty]]])
        clone._labels = np.concatenate([self._labels, labels[keep]])
        clone._groups = _grouped(clone._labels, self.digits)
        return clone

    def read(self, patches: np.ndarray) -> Reads:
        """Read cell interiors (N x S x S x 3 uint8, see :func:`interior`)."""
        return self.read_prepared(prepare(patches))

    def read_prepared(self, cells: Prepared) -> Reads:
        """Read prepared cells (:func:`prepare`): the same reads as :meth:`read` of their patches.

        Cells gathered from many frames are compared with the templates in one
        matrix product: its rounding differs from one product per frame by
        about 1e-7 of a similarity, far inside every tolerance below.
        """
        n = len(cells.empty)
        values = np.full(n, EMPTY, dtype=np.int64)
        similarity = np.zeros(n, dtype=np.float32)
        todo = np.nonzero(~cells.empty)[0]
        if len(todo) == 0:
            return Reads(values, similarity)
        sims = cells.features @ self._features.T
        per_class = np.full((len(todo), self.digits + 2), -1.0, dtype=np.float32)
        order, starts, columns = self._groups
        per_class[:, columns] = np.maximum.reduceat(sims[:, order], starts, axis=1)
        order = np.argsort(-per_class, axis=1)
        best, second = order[:, 0], order[:, 1]
        top = per_class[np.arange(len(todo)), best]
        runner = per_class[np.arange(len(todo)), second]
        sure = (top >= MIN_SIMILARITY) & (top - runner >= MIN_MARGIN) & (best <= self.digits)
        values[todo] = np.where(sure, best, UNSURE)
        similarity[todo] = top
        return Reads(values, similarity)


def _grouped(labels: np.ndarray, digits: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Template order by class, where each class starts in it, and each class's column of ``per_class``.

    A video is read a cell or two at a time: one max over each class's block of
    sorted similarities costs a fraction of a boolean selection per class.
    """
    order = np.argsort(labels, kind="stable")
    classes, starts = np.unique(labels[order], return_index=True)
    return order, starts, np.where(classes == OTHER, digits + 1, classes)


@lru_cache(maxsize=8)
def _templates(digits: int, fonts: tuple[Font, ...]) -> tuple[np.ndarray, np.ndarray]:
    side = 40
    cells, labels = [], []
    for font in fonts:
        for d in range(1, digits + 1):
            for fraction in TEMPLATE_FRACTIONS:
                for blur in TEMPLATE_BLURS:
                    cells.append(interior(_grey_cell(d, font, side, fraction, blur)))
                    labels.append(d)
    for font in fonts:
        if font.face == "pen":
            continue
        for symbol in OTHER_SYMBOLS:
            cells.append(interior(_grey_cell(symbol, font, side, TEMPLATE_FRACTIONS[1])))
            labels.append(OTHER)
    for cell in shape_cells(side):
        cells.append(interior(cell[..., 0]))  # grey: the templates are read in one channel
        labels.append(OTHER)
    glyph_batch, empty = glyphs(np.stack(cells))
    if empty.any():
        raise AssertionError("a template digit was read as empty")
    feats = features(glyph_batch)
    feats.flags.writeable = False
    return feats, np.asarray(labels)
