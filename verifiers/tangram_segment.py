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
SEAM_REACH = 2  # pixels: a pixel this near the bodies of two tans or more is on the seam between them
NEAR = np.ones((7, 7), np.uint8)  # a tan's shares count within 3 pixels of its body


@dataclass(frozen=True)
class Palette:
    """Learned RGB colours: the tans' (in layout order), then the background and the silhouette's fill
    (``empty``: what shows where no tan is), then the silhouette's outline, when it has one."""

    colours: np.ndarray  # K x 3 float32
    n_pieces: int
    empty: tuple[int, ...]  # indices of the background and fill colours

    @property
    def showing(self) -> tuple[int, ...]:
        """What shows where the silhouette is not covered: its fill, where it has one told apart from the
        background; else both. Not the background: inside the silhouette at the end, a mix with the background
        is the edge of a tan stroked darker than it (which a darker scene unmixes as tan and background: 5.5-6%
        of the silhouette read uncovered under a filled figure), and a camera that moved shows itself in the
        tans lying outside the silhouette."""
        if len(self.empty) == 2:
            background, fill = self.empty
            if np.linalg.norm(self.colours[fill] - self.colours[background]) >= MIN_CONTRAST:
                return (fill,)
        return self.empty


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


def moment_shape(moments: dict[str, float]) -> tuple[float, float]:
    """(I1, I2) of ``cv2.moments``: the first two second-moment invariants of the normalised central moments,
    the same for a shape moved, turned, mirrored or scaled."""
    a = moments["m00"]
    n20, n02, n11 = moments["mu20"] / a ** 2, moments["mu02"] / a ** 2, moments["mu11"] / a ** 2
    return float(n20 + n02), float((n20 - n02) ** 2 + 4 * n11 ** 2)


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

    def own(self, k: int) -> np.ndarray:
        """:meth:`shares` of tan ``k`` within :data:`NEAR`'s reach of its body, 0 elsewhere: the tan's own pixels.

        A dark outline stroked round every tan, blurred into a tan's colour, unmixes as that tan mixed
        with a darker one: the darker tan gets shares along the outlines of other tans all over the
        frame. Packed among them at the end, a small tan fitted its own outline with those shares round
        it (seed 2402's plum triangle under blur: IoU 0.77 with them, 0.81 without), and they counted
        as the tan lying outside the silhouette.
        """
        assert self.body is not None
        return self.shares(k) * cv2.dilate((self.body == k).view(np.uint8), NEAR)


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


NO_BODY = 255  # the body (and label) of a pixel that no tan owns


def bodies(labels: np.ndarray) -> np.ndarray:
    """Per pixel, the tan whose *body* it is part of (255: none), from the tan owning each pixel (``labels``).

    A body is where a tan's colour owns the pixel and survives an opening by a 3 x 3 square
    (one pass for all tans: a pixel survives when some 3 x 3 window around it is all one tan's);
    a pixel's body depends on the labels within 2 pixels of it.
    """
    own = labels != NO_BODY
    uniform = cv2.erode(labels, KERNEL) == cv2.dilate(labels, KERNEL)
    body = own & cv2.dilate((uniform & own).view(np.uint8), KERNEL).view(bool)
    return np.where(body, labels, np.uint8(NO_BODY))


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


def with_seams(shares: list[np.ndarray], near: list[np.ndarray]) -> list[np.ndarray]:
    """Each tan's ``shares`` (:meth:`Unmixed.shares`, in order), with the seams between tans given to the tans
    either side (``near``: :func:`near_bodies`, in the same order).

    Where two tans meet, what lies beneath shows through both anti-aliased edges (painted one
    after the other, a pixel half covered by each keeps a quarter of the colour under them): a
    mix of three colours, which no pair explains, or which a pair with the background or an
    outline explains short. Tans packed together at the end would lose that strip along every
    shared edge, and a small tan, mostly edge, would fit its own outline far worse than it did
    alone on the background (seed 400's easy purple triangle: IoU 0.77 against 0.89). Of a pixel
    within :data:`SEAM_REACH` of two tans' bodies or more, what no tan has is shared equally
    among those tans; a pixel near a single tan (its edge on the background, a notch cut into
    it) is left as it is.
    """
    unclaimed = 1.0 - np.minimum(sum(shares), 1.0)
    count = sum(m.astype(np.float32) for m in near)
    given = np.where(count >= 2, unclaimed / np.maximum(count, 1.0), 0.0).astype(np.float32)
    return [s + given * m for s, m in zip(shares, near)]


def near_bodies(body: np.ndarray, n: int) -> list[np.ndarray]:
    """Per tan (``n`` of them), H x W uint8: 1 within :data:`SEAM_REACH` of its body (``body``:
    :attr:`Unmixed.body`)."""
    reach = np.ones((2 * SEAM_REACH + 1, 2 * SEAM_REACH + 1), np.uint8)
    return [cv2.dilate((body == i).view(np.uint8), reach) for i in range(n)]


def junctions(near: list[np.ndarray]) -> list[np.ndarray]:
    """Per tan, H x W bool: the pixels within :data:`SEAM_REACH` of the bodies of two other tans or more (where it
    meets two others), from every tan's :func:`near_bodies`."""
    count = sum(m.astype(np.int16) for m in near)
    return [(count - m) >= 2 for m in near]


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
