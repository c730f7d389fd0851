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
    alt: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None  # the best mix without ``first`` (a lookup table's)
    body: np.ndarray | None = None  # H x W uint8: the tan whose body each pixel is part of, 255 for none

    def shares(self, k: int) -> np.ndarray:
        """H x W float32: how much of each pixel belongs to class ``k``."""
        return np.where(self.first == k, self.share, 0.0) + np.where(self.second == k, 1.0 - self.share, 0.0)


def learn_palette(frame: np.ndarray, piece_masks: list[np.ndarray], silhouette: np.ndarray) -> Palette | str:
    """Colours from the first canonical frame (RGB uint8); a reason string when two cannot be told apart."""
    erode = np.ones((5, 5), np.uint8)
    rgb = frame.astype(np.float32)
    colours = []
    any_piece = np.zeros(silhouette.shape, bool)
    for mask in piece_masks:
        core = cv2.erode(mask.astype(np.uint8), erode).astype(bool)
        colours.append(np.median(rgb[core if core.sum() >= 8 else mask], axis=0))
        any_piece |= mask
    grow = np.ones((9, 9), np.uint8)
    outside = ~cv2.dilate((any_piece | silhouette).astype(np.uint8), grow).astype(bool)
    if outside.sum() < 50:
        return "the frame shows no background around the silhouette"
    colours.append(np.median(rgb[outside], axis=0))
    away = ~cv2.dilate(any_piece.astype(np.uint8), grow).astype(bool)
    inside = cv2.erode(silhouette.astype(np.uint8), erode).astype(bool) & away
    if inside.sum() > 30:
        colours.append(np.median(rgb[inside], axis=0))
    empty = tuple(range(n_pieces := len(piece_masks), len(colours)))
    line = _outline_colour(rgb, silhouette, away, np.asarray(colours[n_pieces:], np.float32))
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


def _outline_colour(rgb: np.ndarray, silhouette: np.ndarray, away: np.ndarray,
                    empty: np.ndarray) -> np.ndarray | None:
    """The colour of the silhouette's outline, if one is drawn: what on its edge no mix of the empty colours explains."""
    sil = silhouette.astype(np.uint8)
    ring = (cv2.dilate(sil, np.ones((5, 5), np.uint8)) > cv2.erode(sil, np.ones((5, 5), np.uint8))) & away
    if ring.sum() < 20:
        return None
    table = unmix_pixels(rgb[ring], Palette(empty, 0, tuple(range(len(empty)))))
    odd = rgb[ring][table.first < 0]
    if len(odd) < 10:
        return None
    d = np.min(np.linalg.norm(odd[:, None, :] - empty[None], axis=-1), axis=1)
    return np.median(odd[d >= np.percentile(d, 75)], axis=0)


def lookup(palette: Palette) -> Unmixed:
    """:func:`unmix_pixels` of every colour quantised to :data:`BITS` bits a channel (flat tables)."""
    levels = 1 << BITS
    step = 256 // levels
    axis = np.arange(levels, dtype=np.float32) * step + (step - 1) / 2
    grid = np.stack(np.meshgrid(axis, axis, axis, indexing="ij"), axis=-1).reshape(-1, 3)
    best = unmix_pixels(grid, palette)
    alt = unmix_pixels(grid, palette, exclude=best.first, everything=True)
    return Unmixed(best.first, best.second, best.share, (alt.first, alt.second, alt.share))


def unmix(frame: np.ndarray, table: Unmixed, n_pieces: int) -> Unmixed:
    """Every pixel of ``frame`` (H x W x 3 uint8) unmixed through a :func:`lookup` table.

    A tan's *body* is where its colour owns the pixel and survives an opening
    by a 3 x 3 square (one pass for all tans: a pixel survives when some 3 x 3
    window around it is all one tan's). The edge between two tans can look like
    a third tan's colour (red against yellow makes orange): pixels of a tan's
    colour outside every body take the table's best mix without that colour.
    """
    # Shift in uint8 and widen each channel straight to intp: numpy gathers with native-width
    # indices several times faster than with int32 ones (three gathers a frame).
    q = frame >> (8 - BITS)
    index = (q[..., 0].astype(np.intp) << (2 * BITS)) | (q[..., 1].astype(np.intp) << BITS) | q[..., 2]
    first, second, share = table.first[index], table.second[index], table.share[index]
    own = (first >= 0) & (first < n_pieces) & (share >= 0.5)
    labels = np.where(own, first, 255).astype(np.uint8)
    uniform = cv2.erode(labels, KERNEL) == cv2.dilate(labels, KERNEL)
    body = own & cv2.dilate((uniform & own).astype(np.uint8), KERNEL).astype(bool)
    thin = own & ~body
    if thin.any() and table.alt is not None:
        a1, a2, ash = (t[index[thin]] for t in table.alt)
        first, second, share = first.copy(), second.copy(), share.copy()
        first[thin], second[thin], share[thin] = a1, a2, ash
    return Unmixed(first, second, share, body=np.where(body, labels, 255).astype(np.uint8))


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
        seg = c[qa][:, None, :] - c[None]  # M x K x 3: from each colour b to the nearest colour a
        length2 = np.maximum((seg ** 2).sum(-1), 1e-6)
        rel = q[:, None, :] - c[None]
        alpha = np.clip((rel * seg).sum(-1) / length2, 0.0, 1.0)
        resid = ((rel - alpha[..., None] * seg) ** 2).sum(-1)
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
    body = (mix.body == i).astype(np.uint8)
    x, y, w, h = cv2.boundingRect(body)
    if w == 0 or h == 0:
        return Observation(0.0, 0.0, 0.0, None, (0.0, 0.0))
    pad = 4
    x0, y0 = max(0, x - pad), max(0, y - pad)
    x1, y1 = min(body.shape[1], x + w + pad), min(body.shape[0], y + h + pad)
    crop = body[y0:y1, x0:x1]
    _, comp, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    order = np.argsort(-areas)
    k = int(order[0]) + 1
    second = float(areas[order[1]]) if len(order) > 1 else 0.0
    f, sec, sh = mix.first[y0:y1, x0:x1], mix.second[y0:y1, x0:x1], mix.share[y0:y1, x0:x1]
    shares = np.where(f == i, sh, 0.0) + np.where(sec == i, 1.0 - sh, 0.0)
    area = float(shares[cv2.dilate(crop, NEAR).astype(bool)].sum())
    own = cv2.dilate((comp == k).astype(np.uint8), NEAR).astype(bool)
    m = cv2.moments(np.where(own, shares, 0.0).astype(np.float32))
    if m["m00"] <= 0:
        return Observation(area, float(areas[order[0]]), second, None, (0.0, 0.0))
    a = m["m00"]
    n20, n02, n11 = m["mu20"] / a ** 2, m["mu02"] / a ** 2, m["mu11"] / a ** 2
    shape = (float(n20 + n02), float((n20 - n02) ** 2 + 4 * n11 ** 2))
    return Observation(area, float(areas[order[0]]), second,
                       (float(m["m10"] / a + x0), float(m["m01"] / a + y0)), shape)
