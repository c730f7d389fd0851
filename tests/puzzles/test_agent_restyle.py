"""The agent slightly recoloured or reshaped: sprite restyles and the cases every agent family redraws with them."""

from __future__ import annotations

import colorsys

import numpy as np
import pytest

from genreason.errors import UnknownName
from genreason.plugins import load_family
from puzzles.skins import AGENT_RESTYLES, Sprite, agent_restyled, as_drawn, sprite_mask

AGENT_FAMILIES = ["maze", "trapfield", "irregular", "maze3d", "sokoban"]


def _hue(colour):
    return colorsys.rgb_to_hsv(*(c / 255 for c in colour))[0] * 360


def test_recolours_shift_hue_or_brightness_only():
    red = Sprite(sprite_mask("disc", 21), (220, 30, 30))
    shifted = AGENT_RESTYLES["hue-shifted"](red)
    assert abs(_hue(shifted.colour) - _hue(red.colour) - 15) < 2 and shifted.mask is red.mask
    assert AGENT_RESTYLES["shaded"](red).colour == (187, 26, 26)  # 15% darker
    assert max(AGENT_RESTYLES["shaded"](Sprite(red.mask, (60, 20, 90))).colour) > 90  # a dark agent gets lighter


@pytest.mark.parametrize("size", [20, 21])
def test_smaller_keeps_the_centre_and_reshaped_changes_the_outline(size):
    disc = Sprite(sprite_mask("disc", size), (0, 235, 255))
    small = AGENT_RESTYLES["smaller"](disc)
    assert (size - small.size) % 2 == 0 and small.size == pytest.approx(0.8 * size, abs=1.5)
    assert small.top_left((50.0, 50.0))[0] - disc.top_left((50.0, 50.0))[0] == (size - small.size) // 2
    assert AGENT_RESTYLES["reshaped"](disc).mask.all()  # a disc becomes its bounding square
    square = Sprite(np.ones((size, size), bool), disc.colour)
    assert np.array_equal(AGENT_RESTYLES["reshaped"](square).mask, sprite_mask("disc", size))


def test_restyle_applies_inside_the_block_only():
    sprite = Sprite(sprite_mask("diamond", 15), (30, 80, 230))
    with agent_restyled("shaded"):
        assert as_drawn(sprite).colour != sprite.colour
    assert as_drawn(sprite) is sprite
    with pytest.raises(UnknownName), agent_restyled("sepia"):
        pass


@pytest.mark.parametrize("k, name", list(enumerate(AGENT_FAMILIES)))
def test_every_agent_family_redraws_its_cases_with_the_agent_restyled(k, name):
    family = load_family(name)
    puzzle = family.generate(3, family.difficulties[0], family.skins[1], f"{name}/{family.difficulties[0]}/000003")
    plain = family.calibration_cases(puzzle, 0)
    changed = {}
    # A recolour and a reshape per family, in turn (every restyle is drawn by two or three families).
    for restyle in (["hue-shifted", "shaded"][k % 2], ["smaller", "reshaped"][k // 2 % 2]):
        cases = family.calibration_cases(puzzle, 0, restyle=restyle)
        assert [(c.name, c.legal, c.single_frame, len(c.frames)) for c in cases] == \
            [(c.name, c.legal, c.single_frame, len(c.frames)) for c in plain]
        oracle, plain_oracle = cases[0], plain[0]
        assert np.array_equal(oracle.frames[0], puzzle.frame0())  # the model is given the puzzle as it is
        moved = np.any(oracle.frames[-1] != plain_oracle.frames[-1], axis=-1)
        changed[restyle] = int(moved.sum())
        # Only the agent changes: every changed pixel lies within a few agent widths of where it ends.
        ys, xs = np.nonzero(moved)
        assert ys.size and max(ys.max() - ys.min(), xs.max() - xs.min()) < puzzle.width / 8
    assert min(changed.values()) > 20, changed
    assert np.array_equal(family.calibration_cases(puzzle, 0)[0].frames, plain[0].frames)  # nothing leaks out
