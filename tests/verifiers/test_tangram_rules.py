"""Bounds on a tan's look: they mean the same on any canvas (the outline's band follows the canvas's side)."""

from __future__ import annotations

import math

import pytest

from verifiers.tangram_rules import AT_END, DURING, Reference, problem
from verifiers.tangram_segment import Observation

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
    assert shares[0] > tol.area  # a small tan: the band along its outline sets its slack
    assert shares[1] == pytest.approx(shares[0], rel=1e-12) and shares[2] == pytest.approx(shares[0], rel=1e-12)


@pytest.mark.parametrize("side", [256.0, 248.0])
def test_a_tan_that_grew_or_shrank_past_its_slack_is_named_on_every_canvas(side):
    ref = reference(side)
    slack = AT_END.slack(ref.perimeter, ref.area, ref.side)

    def seen(factor: float) -> Observation:
        o = ref.obs
        return Observation(o.area * factor, o.main * factor, 0.0, o.centroid, o.shape)

    assert problem(seen(1.0), ref, AT_END) is None
    assert problem(seen(1 + 0.9 * slack), ref, AT_END) is None and problem(seen(1 - 0.9 * slack), ref, AT_END) is None
    assert problem(seen(1 + 1.1 * slack), ref, AT_END)[0] == "grew"  # what must still be rejected
    assert problem(seen(1 - 1.1 * slack), ref, AT_END)[0] == "shrank"
    assert problem(seen(1.3), ref, AT_END)[0] == "grew" and problem(seen(1.3), ref, DURING) is None  # 30% larger:
    # beyond the end's slack, within the slack a tan passing over another is given while it moves
