"""Bounds on a tan's look: they mean the same on any canvas (the outline's band follows the canvas's side); a tan
hidden under others is not changed."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from verifiers.tangram_rules import AT_END, DURING, EDGE_BLEND, Reference, drawn_inset, hidden_by_others, problem
from verifiers.tangram_segment import NO_BODY, Observation

# A small right triangle of a 512 px puzzle (legs of 36 puzzle pixels), seen on canvases of two sizes.
LEG = 36.0


def reference(side: float) -> Reference:
    s = side / 512
    leg = LEG * s
    area, perimeter = leg * leg / 2, leg * (2 + math.sqrt(2))
    shape = (0.2, 0.01)  # any second moments: the shape is not what these tests change
    obs = Observation(area, area, 0.0, (100.0, 100.0), shape)
    return Reference(obs, perimeter, lambda: 1.0, side, area)


@pytest.mark.parametrize("tol", [DURING, AT_END])
def test_the_slack_of_a_tan_is_the_same_share_of_it_on_every_canvas(tol):
    shares = []
    for side in (256.0, 248.0, 192.0):
        ref = reference(side)
        shares.append(tol.slack(ref.perimeter, ref.area, ref.side))
    assert shares[0] > tol.shrink  # a small tan: the band along its outline sets its slack
    assert shares[1] == pytest.approx(shares[0], rel=1e-12) and shares[2] == pytest.approx(shares[0], rel=1e-12)


@pytest.mark.parametrize("side", [256.0, 248.0])
def test_a_tan_that_grew_or_shrank_past_its_bounds_is_named_on_every_canvas(side):
    ref = reference(side)
    slack = AT_END.slack(ref.perimeter, ref.area, ref.side)

    def seen(factor: float) -> Observation:
        o = ref.obs
        return Observation(o.area * factor, o.main * factor, 0.0, o.centroid, o.shape)

    assert slack > 0.15  # a small tan: mostly edge
    assert problem(seen(1.0), ref, AT_END) is None
    assert problem(seen(1 - 0.9 * slack), ref, AT_END) is None
    assert problem(seen(1 - 1.1 * slack), ref, AT_END)[0] == "shrank"  # what must still be rejected
    # Growing at the end has no band: 10% of the tan, the same on every canvas (calibrate --n 1 --seed 800's
    # small triangle grew by 13-15%, within its band, and was accepted).
    assert problem(seen(1.09), ref, AT_END) is None and problem(seen(1.11), ref, AT_END)[0] == "grew"
    assert problem(seen(1 + 0.9 * slack), ref, AT_END)[0] == "grew"
    # While it moves a tan may measure up to 20% larger (half a pixel of band, less here): 30% larger is grown then
    # too (a pixel of band let a small tan grow by a third while it moved on top, then hide under others).
    during = DURING.grow_slack(ref.perimeter, ref.area, ref.side)
    assert during == pytest.approx(0.2) and 0.5 * side / 256 * ref.perimeter / ref.area < 0.2
    assert problem(seen(1 + 0.9 * during), ref, DURING) is None
    assert problem(seen(1.3), ref, AT_END)[0] == "grew" and problem(seen(1.3), ref, DURING)[0] == "grew"


def test_a_tan_shrank_only_past_both_its_first_frame_and_its_drawn_area():
    """A stretched first frame can over-measure a tan (calibrate --n 4 --seed 2000's hard plum triangle at 480x832:
    1.02 of its drawn area, 0.78 at the end): shrinking counts from the smaller of the two, with that one's slack."""
    drawn = reference(256.0)
    first = Reference(Observation(drawn.area * 1.25, drawn.area * 1.25, 0.0, (100.0, 100.0), drawn.obs.shape),
                      drawn.perimeter, lambda: 1.0, drawn.side, drawn.area)
    slack = AT_END.slack(drawn.perimeter, drawn.area, drawn.side)

    def seen(share_of_drawn: float) -> Observation:
        return Observation(drawn.area * share_of_drawn, drawn.area * share_of_drawn, 0.0, (100.0, 100.0),
                           drawn.obs.shape)

    assert problem(seen(1 - 0.9 * slack), drawn, AT_END) is None  # within the drawn area's bound ...
    assert problem(seen(1 - 0.9 * slack), first, AT_END) is None  # ... though 0.60 of the first frame's (0.77 allowed)
    assert problem(seen(1 - 1.1 * slack), first, AT_END)[0] == "shrank"  # past both: still rejected
    # A first frame that under-measures stays the reference: the tan shrank past it.
    under = Reference(seen(0.9), drawn.perimeter, lambda: 1.0, drawn.side, drawn.area)
    assert problem(seen(0.9 * (1 - 1.1 * AT_END.slack(drawn.perimeter, drawn.area * 0.9, drawn.side))), under,
                   AT_END)[0] == "shrank"
    # Where the drawn area is not known (0), the first frame alone counts.
    unknown = Reference(first.obs, drawn.perimeter, lambda: 1.0, drawn.side)
    assert problem(seen(1 - 0.9 * slack), unknown, AT_END)[0] == "shrank"


def _seven(short_by: list[float], pixel: float) -> list[Reference]:
    """Seven tans of ``reference(256)``'s size whose first frame falls short of the drawn area by a band of
    ``short_by`` puzzle pixels each along the outline (``pixel`` canonical pixels a puzzle pixel)."""
    drawn = reference(256.0)
    out = []
    for band in short_by:
        area = drawn.area - band * pixel * drawn.perimeter
        out.append(Reference(Observation(area, area, 0.0, (100.0, 100.0), drawn.obs.shape), drawn.perimeter,
                             lambda: 1.0, drawn.side, drawn.area))
    return out


def test_a_renderer_that_draws_every_tan_inside_its_polygon_bounds_growth_by_what_it_draws():
    """A 2 px outline stroked inside every tan shows each smaller in every frame: growth is bounded by the drawn
    area less that band (the median over the tans), not by the whole drawn area, which let a tan grown by a third
    pass. Blur (under 1.5 px, one tan blended more than the rest) leaves the drawn area the bound."""
    pixel = 0.5
    blurred = _seven([0.9, 0.8, 1.0, 0.9, 2.5, 0.7, 1.1], pixel)  # the fifth blends into the background
    assert drawn_inset(blurred, pixel) == 0.0
    assert EDGE_BLEND * pixel < drawn_inset(_seven([2.0] * 6 + [3.5], pixel), pixel) == pytest.approx(2.0 * pixel)
    outlined = [replace(r, inset=drawn_inset(refs, pixel)) for refs in [_seven([2.0] * 7, pixel)] for r in refs]
    ref = outlined[0]
    shown = ref.drawn - 2.0 * pixel * ref.perimeter
    assert ref.grown_past == pytest.approx(shown) and ref.area == pytest.approx(shown)

    def seen(area: float) -> Observation:
        return Observation(area, area, 0.0, (100.0, 100.0), ref.obs.shape)

    assert problem(seen(ref.drawn), replace(ref, inset=0.0), AT_END) is None  # within the whole drawn area ...
    assert problem(seen(ref.drawn), ref, AT_END)[0] == "grew"  # ... but past what this renderer draws
    assert problem(seen(shown * 1.05), ref, AT_END) is None
    blurred_ref = replace(blurred[4], inset=drawn_inset(blurred, pixel))
    assert problem(seen(blurred_ref.drawn * 1.05), blurred_ref, AT_END) is None  # whole at the end: not grown


def _with_elongation(ecc: float, i1: float = 0.2) -> tuple[float, float]:
    """(I1, I2) of a shape of first moment ``i1`` and elongation sqrt(I2) / I1 = ``ecc``."""
    return i1, (ecc * i1) ** 2


@pytest.mark.parametrize(("first", "end", "deformed"), [
    (0.429, 0.542, False),  # calibrate --n 1 --seed 700's small triangle: the first frame lost its corners (-0.071)
    (0.443, 0.527, False),  # the same, shaken
    (0.469, 0.573, True),  # a sheared tan whose first frame lay near its drawing (-0.031): judged on it
    (0.500, 0.589, True),  # sheared, first frame as drawn
    (0.420, 0.590, True),  # past both the first frame's and the drawn elongation
    (0.560, 0.400, True),  # less elongated than both, by more than 0.08
])
def test_an_elongation_change_counts_past_both_references_where_the_first_frame_strays_from_the_drawing(
        first, end, deformed):
    """The drawn small triangle's elongation is 0.5. Where the first frame measures it more than 0.04 off, a change
    at the end counts only past both what the first frame showed and the drawing (as area and spread do)."""
    ref = reference(224.0)
    ref = Reference(Observation(ref.area, ref.area, 0.0, (100.0, 100.0), _with_elongation(first)), ref.perimeter,
                    lambda: 1.0, ref.side, ref.area, _with_elongation(0.5))
    seen = Observation(ref.area, ref.area, 0.0, (100.0, 100.0), _with_elongation(end))
    found = problem(seen, ref, AT_END)
    assert (found is not None and found[0] == "deformed") == deformed, found
    without_drawing = Reference(ref.obs, ref.perimeter, lambda: 1.0, ref.side, ref.area)
    assert problem(seen, without_drawing, AT_END) is not None  # judged on the first frame alone: every case differs


def _bodies(frames: list[list[tuple[int, tuple[slice, slice]]]]) -> list[np.ndarray]:
    """Body maps of 40 x 40 frames, each a list of (tan, its rows and columns) painted in order (the last on top)."""
    out = []
    for tans in frames:
        body = np.full((40, 40), NO_BODY, np.uint8)
        for i, where in tans:
            body[where] = i
        out.append(body)
    return out


SQUARE = (slice(10, 20), slice(10, 20))  # tan 0, where it lies
OVER = (slice(8, 22), slice(5, 15))  # tan 1 on top of its left half (and beyond)
SHRANK = ("shrank", "shrank or is hidden")


def test_a_tan_under_another_is_hidden_not_changed():
    bodies = _bodies([[(0, SQUARE)], [(0, SQUARE), (1, OVER)], [(0, SQUARE), (1, OVER)], [(0, SQUARE)]])
    issues = [[None], [SHRANK], [SHRANK], [None]]
    assert hidden_by_others(issues, bodies) == [[None]] * 4


def test_a_tan_gone_from_where_it_lay_or_moved_while_covered_stays_wrong():
    beside = (slice(10, 20), slice(0, 10))  # tan 1 only touching its left edge: the square is simply gone
    gone = _bodies([[(0, SQUARE)], [(1, beside)], [(1, beside)]])
    assert hidden_by_others([[None], [SHRANK], [SHRANK]], gone) == [[None], [SHRANK], [SHRANK]]
    half = (slice(10, 20), slice(15, 20))  # half of it shows: the other half is background, not a tan
    shrunk = _bodies([[(0, SQUARE)], [(0, half)]])
    assert hidden_by_others([[None], [SHRANK]], shrunk) == [[None], [SHRANK]]
    moved = (slice(10, 20), slice(22, 32))  # partly covered, but what shows of it lies elsewhere
    elsewhere = _bodies([[(0, SQUARE)], [(0, moved), (1, OVER), (1, SQUARE)]])
    assert hidden_by_others([[None], [SHRANK]], elsewhere) == [[None], [SHRANK]]
    grew = ("grew", "grew")  # only what hiding explains is forgiven
    assert hidden_by_others([[None], [grew]], _bodies([[(0, SQUARE)], [(0, SQUARE), (1, OVER)]])) == [[None], [grew]]
