"""``goal_distance``: the grid verifiers' reference-free measure of how close to the goal a video ended."""

from __future__ import annotations

import pytest
from maze_cases import encode, oracle, render, sample, scene, verify, walk

from genreason.plugins import load_verifier


def reference(sc):
    return [tuple(c) for c in sc.puzzle.solution["path"]]


def test_zero_on_the_goal_one_at_the_start():
    sc = scene("easy")
    assert verify(sc, oracle(sc)).metrics["goal_distance"] == 0.0
    assert verify(sc, sample(sc, "static")).metrics["goal_distance"] == 1.0


@pytest.mark.parametrize("stop", [1, 3])
def test_a_walk_cut_short_is_the_share_of_legal_steps_still_to_go(stop):
    sc = scene("easy")
    path = reference(sc)
    steps = len(path) - 1
    cells = path[:steps - stop + 1]  # the reference path, `stop` cells short of the goal
    verdict = verify(sc, render(sc, walk(sc, cells)))
    assert not verdict.success and verdict.path[-1] == cells[-1], verdict.path
    # In a perfect maze the only legal route from there is the rest of the reference path.
    assert verdict.metrics["goal_distance"] == pytest.approx(round(stop / steps, 4))


def test_measured_from_the_layout_not_the_reference():
    sc = scene("easy")
    # The reference path is not used: the same video scores the same with another "reference".
    video = encode(render(sc, walk(sc, reference(sc)[:3])))
    other = sc.puzzle.model_copy(update={"solution": {"path": reference(sc)[:2]}})
    other.image = sc.puzzle.image
    verifier = load_verifier("maze")
    assert (verifier.verify(other, video).metrics["goal_distance"]
            == verifier.verify(sc.puzzle, video).metrics["goal_distance"] > 0)

