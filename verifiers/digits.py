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


def interior(cell: np.ndarray) -> np.ndarray:
    """The middle of a cell image (``INSET`` cut from each side), where a digit sits and grid lines do not."""
    side = cell.shape[0]
    k = round(side * INSET)
    return cell[k:side - k, k:side - k]


def glyphs(patches: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Normalised glyphs (N x GLYPH x GLYPH float32) of patches (N x S x S x 3 uint8), and which are empty."""
    f = patches.astype(np.float32)
    ring = np.concatenate([f[:, :2].reshape(len(f), -1, 3), f[:, -2:].reshape(len(f), -1, 3),
                           f[:, :, :2].reshape(len(f), -1, 3), f[:, :, -2:].reshape(len(f), -1, 3)], axis=1)
    background = np.median(ring, axis=1)
    ink = np.abs(f - background[:, None, None, :]).max(axis=3)
    peak = np.percentile(ink.reshape(len(f), -1), 98, axis=1)
    strong = (ink > 0.5 * peak[:, None, None]).mean(axis=(1, 2))
    empty = (peak < EMPTY_CONTRAST) | (strong < MIN_INK)
    out = np.zeros((len(f), GLYPH, GLYPH), dtype=np.float32)
    for i in np.nonzero(~empty)[0]:
        glyph = _normalise(ink[i], float(peak[i]))
        if glyph is None:
            empty[i] = True
        else:
            out[i] = glyph
    return out, empty


def _normalise(ink: np.ndarray, peak: float) -> np.ndarray | None:
    soft = np.clip((ink - 0.25 * peak) / (0.5 * peak), 0.0, 1.0)
    mask = (ink > 0.5 * peak).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    side = ink.shape[0]
    keep = np.zeros(count, dtype=bool)
    largest = stats[1:, cv2.CC_STAT_AREA].max() if count > 1 else 0
    for k in range(1, count):
        x, y, w, h, area = stats[k]
        on_edge = x == 0 or y == 0 or x + w == side or y + h == side
        line_like = min(w, h) <= max(2, side // 10) and max(w, h) >= side // 3
        if area < 0.08 * largest or (on_edge and line_like):
            continue
        keep[k] = True
    if not keep.any():
        return None
    kept = keep[labels]
    ys, xs = np.nonzero(kept)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop = (soft * cv2.dilate(kept.astype(np.uint8), np.ones((3, 3), np.uint8)))[y0:y1, x0:x1]
    h, w = crop.shape
    k = BOX / max(h, w)
    nh, nw = max(1, round(h * k)), max(1, round(w * k))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    out = np.zeros((GLYPH, GLYPH), dtype=np.float32)
    oy, ox = (GLYPH - nh) // 2, (GLYPH - nw) // 2
    out[oy:oy + nh, ox:ox + nw] = small
    return out


def features(glyph_batch: np.ndarray) -> np.ndarray:
    """Unit-length feature vectors (N x D) of normalised glyphs: gradient histograms and zoned ink."""
    n = len(glyph_batch)
    if n == 0:
        return np.zeros((0, 16 * 8 + 64 + 1), dtype=np.float32)
    g = np.stack([cv2.GaussianBlur(x, (0, 0), 0.8) for x in glyph_batch])
    gy, gx = np.gradient(g, axis=(1, 2))
    magnitude = np.hypot(gx, gy)
    angle = (np.arctan2(gy, gx) % np.pi) / np.pi * 8  # unsigned orientation, 8 bins
    bins = np.minimum(angle.astype(int), 7)
    cells = GLYPH // 4
    hog = np.zeros((n, 4, 4, 8), dtype=np.float32)
    for b in range(8):
        weight = magnitude * (bins == b)
        hog[..., b] = weight.reshape(n, 4, cells, 4, cells).sum(axis=(2, 4))
    hog = hog.reshape(n, -1)
    hog /= np.linalg.norm(hog, axis=1, keepdims=True) + 1e-6
    zones = g.reshape(n, 8, GLYPH // 8, 8, GLYPH // 8).mean(axis=(2, 4)).reshape(n, -1)
    zones /= np.linalg.norm(zones, axis=1, keepdims=True) + 1e-6
    ink_cols = (g.sum(axis=1) > 0.05).sum(axis=1) / GLYPH  # width of the ink: a "1" is narrow
    out = np.concatenate([hog, 0.8 * zones, 0.5 * ink_cols[:, None]], axis=1).astype(np.float32)
    return out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-6)


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
    mask = digit_mask(str(digit), font, side, fraction)
    if blur:
        mask = cv2.GaussianBlur(mask, (0, 0), blur * side / 40)
    gray = np.rint(255 * (1 - mask)).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)


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
        glyph_batch, empty = glyphs(patches)
        labels = np.asarray(labels)
        keep = ~empty & (labels >= 1) & (labels <= self.digits)
        clone = object.__new__(DigitReader)
        clone.digits, clone.fonts = self.digits, self.fonts
        clone._features = np.concatenate([self._features, features(glyph_batch[keep])])
        clone._labels = np.concatenate([self._labels, labels[keep]])
        clone._groups = _grouped(clone._labels, self.digits)
        return clone

    def read(self, patches: np.ndarray) -> Reads:
        """Read cell interiors (N x S x S x 3 uint8, see :func:`interior`)."""
        glyph_batch, empty = glyphs(patches)
        values = np.full(len(patches), EMPTY, dtype=np.int64)
        similarity = np.zeros(len(patches), dtype=np.float32)
        todo = np.nonzero(~empty)[0]
        if len(todo) == 0:
            return Reads(values, similarity)
        sims = features(glyph_batch[todo]) @ self._features.T
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
                    cells.append(interior(rendered_cell(d, font, side, fraction, blur)))
                    labels.append(d)
    for font in fonts:
        if font.face == "pen":
            continue
        for symbol in OTHER_SYMBOLS:
            cells.append(interior(rendered_cell(symbol, font, side, TEMPLATE_FRACTIONS[1])))
            labels.append(OTHER)
    for cell in shape_cells(side):
        cells.append(interior(cell))
        labels.append(OTHER)
    glyph_batch, empty = glyphs(np.stack(cells))
    if empty.any():
        raise AssertionError("a template digit was read as empty")
    feats = features(glyph_batch)
    feats.flags.writeable = False
    return feats, np.asarray(labels)
