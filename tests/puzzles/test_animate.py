"""Gliding a sprite along waypoints: timing, resampling to a fixed length, compositing."""

from __future__ import annotations

import numpy as np
import pytest

from puzzles.animate import glide, timeline
from puzzles.skins import AGENT_SHAPES, GOAL_SHAPES, Sprite, sprite_mask, sprite_size


def test_unit_steps_land_on_every_waypoint_then_hold():
    points = [(10.0, 10.0), (20.0, 10.0), (20.0, 20.0)]
    pos = timeline(points, step_px=10, frames_per_step=4, hold_frames=3)
    assert len(pos) == 1 + 2 * 4 + 3
    assert pos[0] == pytest.approx(points[0]) and pos[4] == pytest.approx(points[1])
    assert all(p == pytest.approx(points[2]) for p in pos[8:])
    assert np.diff(pos, axis=0)[:8] == pytest.approx(np.array([[2.5, 0]] * 4 + [[0, 2.5]] * 4))


def test_long_segment_takes_time_in_proportion_to_its_length():
    pos = timeline([(0.0, 0.0), (30.0, 40.0)], step_px=10, frames_per_step=2, hold_frames=0)
    assert len(pos) == 1 + 10  # 5 steps long


@pytest.mark.parametrize("num_frames", [3, 4, 11, 100])
def test_num_frames_resamples_but_keeps_start_and_a_final_rest(num_frames):
    points = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (20.0, 10.0)]
    pos = timeline(points, step_px=10, frames_per_step=6, hold_frames=8, num_frames=num_frames)
    assert len(pos) == num_frames
    assert pos[0] == pytest.approx(points[0])
    assert pos[-1] == pytest.approx(points[-1]) and pos[-2] == pytest.approx(points[-1])
    assert not np.allclose(pos[1], points[0])


def test_repeated_or_single_waypoints_just_rest():
    assert np.allclose(timeline([(5.0, 6.0)], step_px=1, frames_per_step=3, hold_frames=2), [(5.0, 6.0)] * 3)
    pos = timeline([(0.0, 0.0), (0.0, 0.0), (10.0, 0.0)], step_px=10, frames_per_step=2, hold_frames=1)
    assert len(pos) == 4 and pos[-1] == pytest.approx((10.0, 0.0))


def test_bad_timing_is_refused():
    with pytest.raises(ValueError, match="num_frames"):
        timeline([(0.0, 0.0), (1.0, 0.0)], step_px=1, frames_per_step=1, hold_frames=0, num_frames=2)
    with pytest.raises(ValueError, match="frames_per_step"):
        timeline([(0.0, 0.0)], step_px=1, frames_per_step=0, hold_frames=0)


def test_glide_composites_the_sprite_over_an_untouched_board():
    board = np.zeros((40, 40, 3), dtype=np.uint8)
    sprite = Sprite(sprite_mask("square", 4), (255, 0, 0))
    frames = glide(board, sprite, [(10.0, 10.0), (30.0, 10.0)], step_px=10, frames_per_step=2, hold_frames=1)
    assert frames.shape == (6, 40, 40, 3) and not board.any()
    assert (frames[0, 8:12, 8:12] == (255, 0, 0)).all() and frames[0].sum() == 16 * 255
    assert (frames[-1, 8:12, 28:32] == (255, 0, 0)).all()


@pytest.mark.parametrize("shape", sorted(set(AGENT_SHAPES + GOAL_SHAPES)))
def test_sprite_masks_fill_their_square_and_are_left_right_symmetric(shape):
    mask = sprite_mask(shape, 31)
    assert mask.shape == (31, 31) and 0.25 < mask.mean() <= 1.0
    if shape != "flag":
        assert np.array_equal(mask, mask[:, ::-1])


@pytest.mark.parametrize("cell", [34, 46, 73])
def test_sprite_size_keeps_the_cell_parity_so_sprites_centre_on_whole_pixels(cell):
    size = sprite_size(cell, 0.6)
    assert (cell - size) % 2 == 0 and 0.5 <= size / cell <= 0.7
