"""What may change about a tan while it moves and what must hold at the end: bounds on its area,
parts and shape, measured against how the first frame shows it."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import cv2
import numpy as np

from verifiers.tangram_segment import NO_BODY, Observation


@dataclass(frozen=True)
class Tolerances:
    """Bounds on a tan's look relative to the first frame (canonical-pixel measurements).

    A tan may shrink by ``shrink`` of its area or by a band along its outline ``band``
    of the canvas's side wide, whichever is more (edges are where renderers, blur and
    compression disagree, and a small tan is mostly edge); it may grow past both
    references by ``grow`` of its area or a band ``grow_band`` wide.
    """

    shrink: float
    band: float
    grow: float
    grow_band: float  # 0: the share ``grow`` alone
    split: float  # a second part larger than this share of the tan is a split
    shape_i1: float  # relative change of the first moment invariant
    shape_ecc: float  # absolute change of the eccentricity sqrt(I2) / I1

    def slack(self, perimeter: float, area: float, side: float) -> float:
        """The share of ``area`` the tan may shrink by (``perimeter``, ``area`` and the canvas's ``side`` in
        pixels)."""
        return max(self.shrink, self.band * side * perimeter / area)

    def grow_slack(self, perimeter: float, area: float, side: float) -> float:
        """The share of ``area`` the tan may grow by past both references."""
        return max(self.grow, self.grow_band * side * perimeter / area)


# Bands of 1 and 3/4 pixel of a 256 px canvas. At the end a tan grew only past 10% of the larger of its first
# frame's and its drawn area, with no band: over the 576 legal tangram calibration videos no tan measured more
# than 6.8% past it, while the band let a small triangle (mostly edge: 17% of slack) grow by 13% unseen
# (calibrate --n 1 --seed 800). Shrinking keeps a band, and more than growing: a tan boxed in at the end loses
# its seams with the tans around it, the more the blurrier the video (calibrate --family tangram --n 4 --seed 1400:
# a small triangle lost 19% under blur, past the 16% that half a pixel and 10% allowed, and a medium tan 9.5%).
# Over the 1,008 legal and 504 pieces-overlap videos of every tangram calibration corpus, 3/4 of a pixel and 15%
# left every legal tan at least 0.048 of its area inside its bound, and every overlapped tan at least 0.107
# outside it (0.195 where nothing else gave the overlap away).
# While tans move, growth keeps half a pixel of band (under the 20% for every tan of our canvases): a whole pixel
# let the small and medium triangles grow by 31-32% unseen, and a tan grown by a third that moved on top and ended
# partly under others passed (a renderer's 1 px outlines: 1.26-1.31 of its first frame for seven frames, 1.09 at the
# end). Over the 192 legal videos of `calibrate --family tangram --n 4 --seed 2000` and `--n 4 --seed 4600` no tan
# measured more than 1.124 of the larger of its first frame's and its drawn area in any frame.
DURING = Tolerances(shrink=0.2, band=1.0 / 256, grow=0.2, grow_band=0.5 / 256, split=0.15, shape_i1=0.12,
                    shape_ecc=0.1)
AT_END = Tolerances(shrink=0.15, band=0.75 / 256, grow=0.1, grow_band=0.0, split=0.08, shape_i1=0.1, shape_ecc=0.08)


# How far inside its polygons (puzzle pixels along the outline) a renderer may seem to draw every tan in the first
# frame and still be taken as drawing them whole: a blurred edge unmixed with a third colour loses that much. Blurred,
# a large triangle of a 512 px puzzle lost 0.9 px (639 px² of a 224 px canvas against a drawn 689). The median over a
# video's tans reached 1.27-1.33 px in our calibrations (the paper skin's 1 px outline under h264-low); a renderer that
# strokes 1 px of black inside every tan measured 0.34-1.06 px, one that strokes 2 px 1.72-2.51.
EDGE_BLEND = 1.5


@dataclass(frozen=True)
class Reference:
    """A tan as the first frame shows it, its outline's length, the canvas's longer side and its drawn
    area (canonical pixels).

    ``drawn`` is the area of the tan's polygon in the layout, ``drawn_i1`` its first moment
    invariant (how spread out it is). In the first frame a tan lies on the background, and a
    blurred edge there can mix into a colour nearer a third one (green and the background
    blend to near the silhouette's grey): the edge is unmixed with that colour and the tan
    can measure smaller and less spread out than it is (seed 21's parallelogram, letterboxed:
    I1 0.235 against its outline's 0.250), while at the end, edged by other tans, it
    measures whole. A tan grew, or spread, only when it measures larger than both what the
    first frame shows and its drawn polygon (less :attr:`inset`, for a renderer that draws every
    tan smaller than its polygon: :meth:`grown_past`). The first frame can over-measure too: stretched
    or blurred, the dark outline stroked round a tan, next to the background, unmixes partly
    as the darkest tan (seed 2002's plum triangle, resized to 480x832: 1.02 of its drawn area
    in the first frame, 0.78 at the end, boxed in by other tans), so a tan shrank only when it
    measures smaller than both. ``drawn_shape`` is the drawn polygon's (I1, I2)
    (:func:`~verifiers.tangram_segment.moment_shape`); None where it is not known.
    """

    obs: Observation
    perimeter: float
    first_fit: Callable[[], float]  # works out :attr:`fit`
    side: float
    drawn: float = 0.0
    drawn_shape: tuple[float, float] | None = None
    inset: float = 0.0  # how far inside its polygon the renderer draws every tan, canonical pixels (drawn_inset)

    @property
    def area(self) -> float:
        return self.obs.area

    @property
    def drawn_i1(self) -> float:
        """How spread out the drawn polygon is (0 where not known: the first frame alone counts)."""
        return 0.0 if self.drawn_shape is None else self.drawn_shape[0]

    @cached_property
    def drawn_ecc(self) -> float | None:
        """The drawn polygon's :func:`elongation`, or None where not known."""
        return None if self.drawn_shape is None else elongation(self.drawn_shape)

    @property
    def grown_past(self) -> float:
        """The area past which the tan grew: the larger of the first frame's and the drawn one less the band
        :attr:`inset` wide along its outline (the whole drawn area for a renderer that draws tans whole)."""
        return max(self.area, self.drawn - self.inset * self.perimeter)

    @cached_property
    def fit(self) -> float:
        """How well the tan's own outline fits it in the first frame (renderers differ at edges).

        Only a tan that fits its outline badly at the end needs it: worked out then, once.
        """
        return self.first_fit()


def drawn_inset(refs: list[Reference], pixel: float) -> float:
    """How far inside its polygon a video's renderer draws every tan, in canonical pixels (``pixel`` a puzzle pixel).

    The median over the tans of how far short of its drawn area the first frame measures each, as a band along its
    outline; 0 where that is no more than a blurred edge loses (:data:`EDGE_BLEND`). A renderer that strokes an
    outline inside every tan (2 px of black: 14-16% of a large triangle of a 720 x 540 puzzle) shows each tan that
    much smaller in every frame, and the drawn area as the bound on growth let such a tan grow by 19-35% unseen. The
    median over all seven, not each tan's own shortfall: a tan whose first frame blends into the background loses
    more than its neighbours there, and measures whole at the end, edged by them.
    """
    widths = [(r.drawn - r.area) / r.perimeter for r in refs if r.drawn > 0 and r.perimeter > 0]
    width = float(np.median(widths)) if widths else 0.0
    return width if width > EDGE_BLEND * pixel else 0.0


def elongation(shape: tuple[float, float]) -> float:
    """sqrt(I2) / I1 of :func:`~verifiers.tangram_segment.moment_shape`: 0 for a square, more for a longer shape."""
    return math.sqrt(max(shape[1], 0.0)) / shape[0] if shape[0] > 0 else 0.0


# How far the first frame's elongation of a tan may lie from its drawn polygon's and still be its reference alone.
# Legal small triangles measured up to 0.084 less elongated in the first frame than drawn (corners lost to blends
# with the background) and then up to 0.113 more at the end, where other tans edge them: past this, an
# elongation change counts only past both (as area and spread do). A sheared negative's first frame lay 0.031 off.
FIRST_ECC_DOUBT = 0.04


def problem(obs: Observation, ref: Reference, tol: Tolerances) -> tuple[str, str] | None:
    """What is wrong with a tan seen as ``obs`` (kind, description), or None when it looks as in ``ref``."""
    r = obs.area / ref.area
    if r < 0.25:
        return "vanished", f"is gone (area {r:.2f} of the first frame)"
    if obs.second >= 0.5 * ref.area and obs.main >= 0.5 * ref.area:
        return "duplicated", f"appears twice (a second part of {obs.second / ref.area:.2f} of its area)"
    if obs.second >= tol.split * ref.area:
        return "split", f"split into parts ({obs.main / ref.area:.2f} and {obs.second / ref.area:.2f} of its area)"
    size = ref.grown_past  # the first frame may under-measure a blurred tan (see Reference)
    if obs.area > size * (1 + tol.grow_slack(ref.perimeter, size, ref.side)):
        return "grew", f"grew (area {obs.area / size:.2f} of the first frame or of its drawn size)"
    least = min(ref.area, ref.drawn) if ref.drawn > 0 else ref.area  # the first frame may over-measure it too
    if obs.area < least * (1 - tol.slack(ref.perimeter, least, ref.side)):
        return "shrank", f"shrank or is hidden (area {obs.area / least:.2f} of the first frame or of its drawn size)"
    # I1 is how spread out the tan is: as for the area, more spread counts only past both the first
    # frame's and the drawn outline's.
    spread = obs.shape[0] / ref.obs.shape[0] - 1
    di1 = max(0.0, obs.shape[0] / max(ref.obs.shape[0], ref.drawn_i1) - 1) if spread > 0 else -spread
    de = abs(elongation(obs.shape) - elongation(ref.obs.shape))
    if ref.drawn_ecc is not None and abs(elongation(ref.obs.shape) - ref.drawn_ecc) > FIRST_ECC_DOUBT:
        de = min(de, abs(elongation(obs.shape) - ref.drawn_ecc))
    if di1 > tol.shape_i1 or de > tol.shape_ecc:
        return "deformed", f"changed shape (moment change {di1:.2f}, elongation change {de:.2f})"
    return None


# A tan that only looks wrong because other tans lie over it, where it lay, is hidden, not changed. The glitch
# allowance (0.75 s) was meant for a tan passing over another; one carried slowly (2.5 s a move: 40 frames at 16
# fps) hid the tans it passed over for longer, and 39 of 120 legal slow renderings were rejected. Hidden, a tan
# cannot change unseen for long: what shows of it is judged again as soon as it is uncovered, and at the end.
HIDEABLE = ("shrank", "vanished", "deformed", "split")
COVERED = 0.75  # share of a tan's lost pixels that must lie under other tans
STAYED = 0.9  # share of what shows of the tan that must lie where it was
REACH = 2  # pixels: a body's anti-aliased rim, which belongs to no body


def hidden_by_others(issues: list[list[tuple[str, str] | None]], bodies: list[np.ndarray]
                     ) -> list[list[tuple[str, str] | None]]:
    """``issues`` (:func:`problem`'s, a row a frame) with those of a tan hidden by others dropped.

    ``bodies`` are each frame's (:func:`~verifiers.tangram_segment.bodies`). A tan is hidden in a frame where,
    against the last frame it looked right in, it has not moved (at least :data:`STAYED` of what shows of it
    lies on or beside its body then, or under other tans then: it may have been partly hidden already) and at
    least :data:`COVERED` of that body's pixels it lost lie on or beside other tans' bodies now: a tan on top of
    it, not the background or the silhouette showing where it was (a tan that vanished or shrank).
    """
    last_good = [0] * (len(issues[0]) if issues else 0)
    reach = np.ones((2 * REACH + 1, 2 * REACH + 1), np.uint8)

    def beside(mask: np.ndarray) -> np.ndarray:
        return cv2.dilate(mask.view(np.uint8), reach).view(bool)

    then: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}  # (tan, frame): its body, where it may show
    out = []
    for t, row in enumerate(issues):
        kept = list(row)
        for i, found in enumerate(row):
            if found is None:
                last_good[i] = t
                continue
            if found[0] not in HIDEABLE:
                continue
            g = last_good[i]
            if (i, g) not in then:
                was = bodies[g] == i
                then[(i, g)] = was, beside(was | ((bodies[g] != i) & (bodies[g] != NO_BODY)))
            was, allowed = then[(i, g)]
            shows = bodies[t] == i
            lost = was & ~shows
            n_lost = np.count_nonzero(lost)
            if not n_lost:
                continue
            under_others = beside((bodies[t] != i) & (bodies[t] != NO_BODY))
            if np.count_nonzero(lost & under_others) < COVERED * n_lost:
                continue
            if np.count_nonzero(shows & ~allowed) > (1 - STAYED) * np.count_nonzero(shows):
                continue  # it moved: where it lay says nothing about it now
            kept[i] = None
        out.append(kept)
    return out
