"""Find every tan in every frame of a tangram video, by colour, with sub-pixel areas.

Colours are learned from the video's own first frame (warped into canonical
space): each tan's colour is the median inside its polygon from the layout,
the background's outside the silhouette and the tans, the silhouette fill's
inside it. A pixel on the edge between two regions is a mix of their colours
(anti-aliasing, blur, scaling and chroma subsampling all mix linearly), so
every pixel is *unmixed*: it is explained as ``a * c1 + (1 - a) * c2`` for the
nearest learned colour ``c1`` and the other colour ``c2`` that explains it
best, and ``a`` and ``1 - a`` go to those two classes. A tan's area is the sum
of its shares near its body, which stays the same when its edges are blurred,
scaled or drawn against another tan instead of the background. A pixel that
no pair explains (an outline, something new) belongs to no class.

For each tan and frame an :class:`Observation` records what the verifier
needs: the area, its largest and second-largest connected parts (pixels of
its colour, opened by a 3 x 3 square so slivers of mixed colour between other
tans never count), the centroid, and two shape numbers (normalised second
moments), which stay put under rotation, translation and mirroring and change
under shear, stretching or bending.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

BITS = 5  # colour quantisation of the unmixing table (bits a channel)
PURE = 20.0  # RGB distance within which a pixel is a learned colour alone
MAX_RESIDUAL = 40.0  # RGB distance from the best mix of two colours beyond which a pixel is no class
MIN_CONTRAST = 40.0  # two learned colours closer than this (RGB distance) cannot be told apart
KERNEL = np.ones((3, 3), np.uint8)
NEAR = np.ones((7, 7), np.uint8)  # shares count within 3 pixels of a tan's body


@dataclass(frozen=True)
class Palette:
    """Learned RGB colours: the tans' (in layout order), then the background and the silhouette's fill
    (``empty``: what shows where no tan is), then the silhouette's outline, when it has one."""

    colours: np.ndarray  # K x 3 float32
    n_pieces: int
    empty: tuple[int, ...]  # indices of the background and fill colours


@dataclass(frozen=True)
class Observation:
    """One tan in one frame (canonical pixels).

    Attributes:
        area: the tan's share of pixels near its body (sub-pixel accurate).
        main: pixels of its largest connected part.
        second: pixels of its second-largest part.
        centroid: (u, v) of the largest part, or None when nothing is seen.
        shape: (I1, I2) normalised second-moment invariants of the shares near the largest part.
    """

    area: float
    main: float
    second: float
    centroid: tuple[float, float] | None
    shape: tuple[float, float]


@dataclass(frozen=True)
class Unmixed:
    """Per pixel: the nearest class (-1: none), the other class of its mix, and the nearest one's share."""

    first: np.ndarray  # H x W int16
    second: np.ndarray  # H x W int16
    share: np.ndarray  # H x W float32
    body: np.ndarray | None = None  # H x W uint8: the tan whose body each pixel is part of, 255 for none

    def shares(self, k: int) -> np.ndarray:
        """H x W float32: how much of each pixel belongs to class ``k``."""
        return np.where(self.first == k, self.share, 0.0) + np.where(self.second == k, 1.0 - self.share, 0.0)


def learn_palette(frame: np.ndarray, piece_masks: list[np.ndarray], silhouette: np.ndarray) -> Palette | str:
    """Colours from the first canonical frame (RGB uint8); a reason string when two cannot be told apart."""
    erode = np.ones((5, 5), np.uint8)
    colours = []  # medians of uint8 values: the same numbers as of their float32 copies, from a third of the bytes
    any_piece = np.zeros(silhouette.shape, bool)
    for mask in piece_masks:
        core = cv2.erode(mask.astype(np.uint8), erode).astype(bool)
        colours.append(np.median(frame[core if core.sum() >= 8 else mask], axis=0))
        any_piece |= mask
    grow = np.ones((9, 9), np.uint8)
    outside = ~cv2.dilate((any_piece | silhouette).astype(np.uint8), grow).astype(bool)
    if outside.sum() < 50:
        return "the frame shows no background around the silhouette"
    colours.append(np.median(frame[outside], axis=0))
    away = ~cv2.dilate(any_piece.astype(np.uint8), grow).astype(bool)
    inside = cv2.erode(silhouette.astype(np.uint8), erode).astype(bool) & away
    if inside.sum() > 30:
        colours.append(np.median(frame[inside], axis=0))
    empty = tuple(range(n_pieces := len(piece_masks), len(colours)))
    line = _outline_colour(frame, silhouette, away, np.asarray(colours[n_pieces:], np.float32))
    if line is not None:
        colours.append(line)
    palette = np.asarray(colours, np.float32)
    n = len(piece_masks)
    for i in range(n):
        d = np.linalg.norm(palette - palette[i], axis=1)
        d[i] = np.inf
        j = int(d.argmin())
        if d[j] < MIN_CONTRAST:
            other = f"tan {j + 1}" if j < n else ("the background" if j == n else "the silhouette")
            return f"the colour of tan {i + 1} is too close to that of {other} to tell them apart"
    return Palette(palette, n, empty)


def _outline_colour(frame: np.ndarray, silhouette: np.ndarray, away: np.ndarray,
                    empty: np.ndarray) -> np.ndarray | None:
    """The colour of the silhouette's outline, if one is drawn: what on its edge no mix of the empty colours explains."""
    sil = silhouette.astype(np.uint8)
    ring = (cv2.dilate(sil, np.ones((5, 5), np.uint8)) > cv2.erode(sil, np.ones((5, 5), np.uint8))) & away
    if ring.sum() < 20:
        return None
    pixels = frame[ring].astype(np.float32)
    table = unmix_pixels(pixels, Palette(empty, 0, tuple(range(len(empty)))))
    odd = pixels[table.first < 0]
    if len(odd) < 10:
        return None
    d = np.min(np.linalg.norm(odd[:, None, :] - empty[None], axis=-1), axis=1)
    return np.median(odd[d >= np.percentile(d, 75)], axis=0)


_LEVELS = 1 << BITS
_AXIS = np.arange(_LEVELS, dtype=np.float32) * (256 // _LEVELS) + (256 // _LEVELS - 1) / 2
GRID = np.stack(np.meshgrid(_AXIS, _AXIS, _AXIS, indexing="ij"), axis=-1).reshape(-1, 3)  # each table row's colour


class Table:
    """:func:`unmix_pixels` of every colour quantised to :data:`BITS` bits a channel (flat, by
    :func:`colour_index`), filled in as a video shows the colours.

    :func:`unmix_pixels` explains every pixel on its own, so filling in only the colours met
    gives the entries a table of all of them would have, for a fraction of the cost.
    """

    def __init__(self, palette: Palette) -> None:
        self.palette = palette
        size = len(GRID)
        self.known = np.zeros(size, bool)
        self.first, self.second = np.zeros(size, np.int16), np.zeros(size, np.int16)
        self.share = np.zeros(size, np.float32)
        # the best mix without ``first`` (for the edge between two tans that looks like a third)
        self.alt_first, self.alt_second = np.zeros(size, np.int16), np.zeros(size, np.int16)
        self.alt_share = np.zeros(size, np.float32)
        # the tan owning the colour (nearest, with at least half of it), 255 for none
        self.labels = np.full(size, 255, np.uint8)
        # each tan's share of the colour (Unmixed.shares), plainly and by the best mix without ``first``
        self.pieces = np.zeros((palette.n_pieces, size), np.float32)
        self.alt_pieces = np.zeros((palette.n_pieces, size), np.float32)

    def fill(self, index: np.ndarray) -> None:
        """Work out the entries of the colours ``index`` (any shape) that are not known yet."""
        need = np.zeros(len(GRID), bool)
        need[index] = True
        self.fill_needed(need)

    def fill_needed(self, need: np.ndarray) -> None:
        """Work out the entries of the colours marked in ``need`` (a flag per row) that are not known yet.

        One call for many colours: :func:`unmix_pixels` costs little a colour, much a call.
        """
        new = np.flatnonzero(need & ~self.known)
        if not len(new):
            return
        best = unmix_pixels(GRID[new], self.palette)
        self.first[new], self.second[new], self.share[new] = best.first, best.second, best.share
        own = (best.first >= 0) & (best.first < self.palette.n_pieces) & (best.share >= 0.5)
        self.labels[new] = np.where(own, best.first, 255)
        # The best mix without the first colour serves only pixels of a tan's own colour outside its body.
        own_new = new[own]
        alt = unmix_pixels(GRID[own_new], self.palette, exclude=best.first[own], everything=True)
        self.alt_first[own_new], self.alt_second[own_new], self.alt_share[own_new] = alt.first, alt.second, alt.share
        for i in range(self.palette.n_pieces):
            self.pieces[i, new] = best.shares(i)
            self.alt_pieces[i, own_new] = alt.shares(i)
        self.known[new] = True

    def unmixed(self, index: np.ndarray, thin: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(first, second, share) of the colours ``index``; the best mix without the first colour where ``thin``."""
        first, second, share = np.take(self.first, index), np.take(self.second, index), np.take(self.share, index)
        if thin.any():
            at = index[thin]
            first[thin], second[thin], share[thin] = self.alt_first[at], self.alt_second[at], self.alt_share[at]
        return first, second, share


def lookup(palette: Palette) -> Table:
    """An empty unmixing table of ``palette`` (filled in as a video shows colours).

    Not kept across videos: each video learns its own palette, and it differs from video to video.
    """
    return Table(palette)


def colour_index(rgb: np.ndarray) -> np.ndarray:
    """Each colour of ``rgb`` (... x 3 uint8) quantised to :data:`BITS` bits a channel: its :class:`Table` row."""
    q = rgb >> (8 - BITS)
    index = q[..., 0].astype(np.uint16) << (2 * BITS)
    index |= q[..., 1].astype(np.uint16) << BITS
    index |= q[..., 2]
    return index


def bodies(labels: np.ndarray) -> np.ndarray:
    """Per pixel, the tan whose *body* it is part of (255: none), from the tan owning each pixel (``labels``).

    A body is where a tan's colour owns the pixel and survives an opening by a 3 x 3 square
    (one pass for all tans: a pixel survives when some 3 x 3 window around it is all one tan's);
    a pixel's body depends on the labels within 2 pixels of it.
    """
    own = labels != 255
    uniform = cv2.erode(labels, KERNEL) == cv2.dilate(labels, KERNEL)
    body = own & cv2.dilate((uniform & own).view(np.uint8), KERNEL).view(bool)
    return np.where(body, labels, np.uint8(255))


def unmix(frame: np.ndarray, table: Table) -> Unmixed:
    """Every pixel of ``frame`` (H x W x 3 uint8) unmixed through ``table``.

    The edge between two tans can look like a third tan's colour (red against yellow makes
    orange): pixels of a tan's colour outside every body (*thin*) take the table's best mix
    without that colour.
    """
    index = colour_index(frame)
    table.fill(index)
    labels = np.take(table.labels, index)
    body = bodies(labels)
    first, second, share = table.unmixed(index, (labels != 255) & (body == 255))
    return Unmixed(first, second, share, body=body)


def unmix_pixels(p: np.ndarray, palette: Palette, exclude: np.ndarray | None = None,
                 everything: bool = False) -> Unmixed:
    """Explain every pixel of ``p`` (N x 3 float32) as a mix of two learned colours.

    Pixels within :data:`PURE` of a learned colour are that colour alone; only
    the rest (edges, mostly) are unmixed, or every pixel with ``everything``.
    ``exclude`` (N class indices) bars one colour per pixel from the explanation.
    """
    c = palette.colours
    d2 = (p * p).sum(1)[:, None] - 2.0 * p @ c.T + (c * c).sum(1)[None]
    if exclude is not None:
        d2[np.arange(len(p)), np.maximum(exclude, 0)] = np.inf
    a = d2.argmin(axis=1)
    first = a.astype(np.int16)
    second = np.full(len(p), -1, np.int16)
    share = np.ones(len(p), np.float32)
    mixed = np.arange(len(p)) if everything else np.flatnonzero(d2[np.arange(len(p)), a] > PURE ** 2)
    if len(mixed):
        q, qa = p[mixed], a[mixed]
        pairs = c[:, None, :] - c[None]  # K x K x 3: from each colour b to each colour a
        seg = pairs[qa]  # M x K x 3: from each colour b to the nearest colour a
        length2 = np.maximum((pairs ** 2).sum(-1), 1e-6)[qa]
        rel = q[:, None, :] - c[None]
        alpha = np.clip((rel * seg).sum(-1) / length2, 0.0, 1.0)
        away = np.multiply(alpha[..., None], seg, out=seg)  # (seg is not needed after: reuse its memory)
        np.subtract(rel, away, out=away)
        resid = np.square(away, out=away).sum(-1)
        idx = np.arange(len(mixed))
        resid[idx, qa] = np.inf  # b == a is no pair
        if exclude is not None:
            resid[idx, np.maximum(exclude[mixed], 0)] = np.inf
        b = resid.argmin(axis=1)
        lost = resid[idx, b] > MAX_RESIDUAL ** 2
        second[mixed] = np.where(lost, -1, b)
        share[mixed] = np.where(lost, 0.0, alpha[idx, b])
        first[mixed[lost]] = -1
    return Unmixed(first, second, share)


def observe(mix: Unmixed, i: int) -> Observation:
    """The numbers of tan ``i`` in one unmixed frame (worked out in the box around its body)."""
    assert mix.body is not None
    box = _box(cv2.boundingRect((mix.body == i).view(np.uint8)), mix.body.shape)
    if box is None:
        return EMPTY
    y0, y1, x0, x1 = box
    return _observe(i, box, mix.body[y0:y1, x0:x1], mix.shares(i)[y0:y1, x0:x1])


EMPTY = Observation(0.0, 0.0, 0.0, None, (0.0, 0.0))
PAD = 4  # pixels around a tan's body in its box (the reach of NEAR, and one more)


def _box(rect: tuple[int, int, int, int], shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """A body's bounding rectangle (x, y, w, h) grown by PAD and cut to the frame: (y0, y1, x0, x1)."""
    x, y, w, h = rect
    if w == 0 or h == 0:
        return None
    return max(0, y - PAD), min(shape[0], y + h + PAD), max(0, x - PAD), min(shape[1], x + w + PAD)


def _observe(i: int, box: tuple[int, int, int, int], body: np.ndarray, shares: np.ndarray) -> Observation:
    """Tan ``i``'s numbers from its box (``body``: the bodies there; ``shares``: the tan's share of each pixel)."""
    y0, _, x0, _ = box
    crop = (body == i).view(np.uint8)
    parts, comp, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    near = cv2.dilate(crop, NEAR)
    area = float(shares[near.view(bool)].sum())
    if parts == 2:  # one part: it is the whole crop, and its surroundings are the crop's
        main, second, own = float(areas[0]), 0.0, near.view(bool)
    else:
        order = np.argsort(-areas)
        main, second = float(areas[order[0]]), float(areas[order[1]])
        own = cv2.dilate((comp == int(order[0]) + 1).view(np.uint8), NEAR).view(bool)
    m = cv2.moments(np.where(own, shares, np.float32(0.0)))
    if m["m00"] <= 0:
        return Observation(area, main, second, None, (0.0, 0.0))
    a = m["m00"]
    n20, n02, n11 = m["mu20"] / a ** 2, m["mu02"] / a ** 2, m["mu11"] / a ** 2
    shape = (float(n20 + n02), float((n20 - n02) ** 2 + 4 * n11 ** 2))
    return Observation(area, main, second, (float(m["m10"] / a + x0), float(m["m01"] / a + y0)), shape)


class Scanner:
    """Every tan in frame after frame (canonical RGB uint8) of one video, redoing only what changed.

    A tan's :class:`Observation` depends only on the bounding box of its body and the pixels
    in its box (:data:`PAD` around it), and a pixel's unmixing and body only on the quantised
    colours within 2 pixels of it: a tan whose body's box stays put, with no pixel of changed
    colour within 2 pixels of the box, is seen as in the frame before, and is not worked out
    again. On a video where most colours change (noise), every frame is worked out whole.
    """

    DENSE = 0.1  # share of changed pixels from which a frame is worked out whole

    def __init__(self, table: Table) -> None:
        self.table = table
        self.n = table.palette.n_pieces
        self.bits = np.zeros(256, np.uint8)  # body label -> one bit a tan (up to 8 tans)
        self.bits[:min(self.n, 8)] = 1 << np.arange(min(self.n, 8))
        self.frame: np.ndarray | None = None
        self.seen = np.zeros(0, np.uint16)  # the colour index of the last frame _changes saw
        self.index = self.labels = self.body = np.zeros(0, np.uint16)  # of the last frame observed
        self.boxes: list[tuple[int, int, int, int] | None] = []
        self.obs: list[Observation] = []

    def scan(self, frames: np.ndarray) -> list[list[Observation]]:
        """The observations of every tan in each of ``frames`` (one video's, in order)."""
        # First what changed from frame to frame, then the table for every colour met, in one go.
        changes = [self._changes(frame) for frame in frames]
        need = np.zeros(len(GRID), bool)
        for _, colours in changes:
            need[colours] = True
        self.table.fill_needed(need)
        return [self._observe_all(*change) for change in changes]

    def _observe_all(self, moved: np.ndarray | None, colours: np.ndarray) -> list[Observation]:
        """The observations in the next frame: its pixels ``moved`` (flat indices) now show ``colours``
        (moved None: every pixel, ``colours`` is the frame's colour index)."""
        if moved is None:
            self.index = colours
            self.labels = np.take(self.table.labels, colours)
            self.body = bodies(self.labels)
            self.boxes = self._boxes()
            self.obs = [EMPTY if box is None else self._observe(i, box) for i, box in enumerate(self.boxes)]
            return self.obs
        if not len(moved):
            return self.obs
        self.index.reshape(-1)[moved] = colours
        self.labels.reshape(-1)[moved] = self.table.labels[colours]
        h, w = self.body.shape
        ys, xs = np.divmod(moved, w)
        # Bodies change only within 2 pixels of a changed colour: redo them there (with 2 pixels of context).
        y0, y1, x0, x1 = max(int(ys[0]) - 2, 0), min(int(ys[-1]) + 3, h), max(int(xs.min()) - 2, 0), min(int(xs.max()) + 3, w)
        cy0, cx0 = max(y0 - 2, 0), max(x0 - 2, 0)
        region = bodies(self.labels[cy0:min(y1 + 2, h), cx0:min(x1 + 2, w)])[y0 - cy0:y1 - cy0, x0 - cx0:x1 - cx0]
        self.body[y0:y1, x0:x1] = region
        present = self._present(region)  # the tans with body pixels where bodies may have changed
        # Which tans' boxes have a changed colour within 2 pixels (all tans at once).
        boxes = np.array([(-h, -h, -w, -w) if b is None else b for b in self.boxes])
        near = (((ys >= boxes[:, :1] - 2) & (ys < boxes[:, 1:2] + 2)) &
                ((xs >= boxes[:, 2:3] - 2) & (xs < boxes[:, 3:] + 2))).any(axis=1).tolist()
        obs = []
        for i, (old, seen) in enumerate(zip(self.boxes, self.obs)):
            # A tan with no changed colour near its box can have gained body pixels only where
            # bodies were redone; any tan's body lies in its old box and there.
            box = old if not near[i] and i not in present else self._refind(i, old, (y0, y1, x0, x1))
            self.boxes[i] = box
            obs.append(seen if box == old and not near[i] else EMPTY if box is None else self._observe(i, box))
        self.obs = obs
        return obs

    def _refind(self, i: int, old: tuple[int, int, int, int] | None,
                region: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
        """Tan ``i``'s box (:func:`_box`) when its body lies within its ``old`` box and ``region``."""
        y0, y1, x0, x1 = region if old is None else (min(old[0], region[0]), max(old[1], region[1]),
                                                        min(old[2], region[2]), max(old[3], region[3]))
        x, y, w, h = cv2.boundingRect((self.body[y0:y1, x0:x1] == i).view(np.uint8))
        return _box((x + x0, y + y0, w, h), self.body.shape)

    def _observe(self, i: int, box: tuple[int, int, int, int]) -> Observation:
        y0, y1, x0, x1 = box
        body = self.body[y0:y1, x0:x1]
        thin = (self.labels[y0:y1, x0:x1] != 255) & (body == 255)
        index = self.index[y0:y1, x0:x1]
        shares = np.take(self.table.pieces[i], index)
        if thin.any():
            shares[thin] = self.table.alt_pieces[i, index[thin]]
        return _observe(i, box, body, shares)

    def _present(self, body: np.ndarray) -> set[int]:
        """The tans with a body pixel in ``body``."""
        if self.n > 8:
            return set(np.unique(body).tolist()) - {255}
        bits = int(np.bitwise_or.reduce(cv2.LUT(body, self.bits), axis=None))
        return {i for i in range(self.n) if bits >> i & 1}

    def _changes(self, frame: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """What changed from the frame before: the flat indices of the pixels whose quantised colour
        changed, in order, and their new colours (None and the frame's colour index: take it whole)."""
        prev, self.frame = self.frame, frame
        if prev is None or prev.shape != frame.shape:
            self.seen = colour_index(frame)
            return None, self.seen.copy()
        flat, old = frame.reshape(-1), prev.reshape(-1)
        if flat.size % 8 == 0:  # compare 8 bytes at a time: each spans 3 or 4 pixels
            words = np.flatnonzero(flat.view(np.uint64) != old.view(np.uint64))
            changed = ((words[:, None] * 8 + np.arange(8)) // 3).ravel()
        else:
            changed = np.flatnonzero(flat != old) // 3
        if len(changed):
            changed = changed[np.concatenate(([True], changed[1:] != changed[:-1]))]  # sorted: drop repeats
        if len(changed) > self.DENSE * self.seen.size:
            index = colour_index(frame)
            moved = np.flatnonzero(index != self.seen)
            self.seen = index
            if len(moved) > self.DENSE * index.size:
                return None, index.copy()
            return moved, index.reshape(-1)[moved]
        new = colour_index(frame.reshape(-1, 3)[changed])
        differ = new != self.seen.reshape(-1)[changed]
        moved, new = changed[differ], new[differ]
        self.seen.reshape(-1)[moved] = new
        return moved, new

    def _boxes(self) -> list[tuple[int, int, int, int] | None]:
        """The box of every tan's body (:func:`_box`), as ``cv2.boundingRect`` of each body would give it."""
        shape = self.body.shape
        if self.n > 8:
            return [_box(cv2.boundingRect((self.body == i).view(np.uint8)), shape) for i in range(self.n)]
        bits = cv2.LUT(self.body, self.bits)
        rows, cols = np.bitwise_or.reduce(bits, axis=1), np.bitwise_or.reduce(bits, axis=0)
        out = []
        for i in range(self.n):
            r, c = np.flatnonzero(rows & (1 << i)), np.flatnonzero(cols & (1 << i))
            out.append(None if not len(r) else
                       _box((int(c[0]), int(r[0]), int(c[-1] - c[0] + 1), int(r[-1] - r[0] + 1)), shape))
        return out
