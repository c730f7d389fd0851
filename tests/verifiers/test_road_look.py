"""The irregular verifier's cheap steps give what the plain definitions give, wherever it is looked at."""

import cv2
import numpy as np
import pytest

from puzzles.irregular import IrregularFamily
from puzzles.irregular.layout import RoadLayout
from verifiers import board, difference, tracking
from verifiers.canonical import CELL, to_pixels
from verifiers.irregular import _hidden, changed_tiles, goal_changed
from verifiers.road_look import FIELD_ZOOM, ROAD_PX, RoadCanvas, differences
from verifiers.roadpath import RoadField, progress


def _board_and_frames(seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A blurred two-colour board with a goal whose colours bracket the agent's, and noisy frames over it."""
    rng = np.random.default_rng(seed)
    background = np.full((60, 90, 3), (90, 90, 90), np.uint8)
    background[20:36, :] = (200, 200, 200)  # a road
    background[24:32, 60:70] = (250, 205, 30)  # a yellow goal: red lies channel by channel between it and grey
    background = cv2.blur(background, (3, 3))
    frames = np.repeat(background[None], 6, axis=0).astype(np.int16)
    frames += rng.integers(-6, 7, frames.shape, dtype=np.int16)  # codec noise everywhere
    frames = np.clip(frames, 0, 255).astype(np.uint8)
    for t in range(6):
        x = 8 + 10 * t
        frames[t, 24:31, x:x + 7] = (235, 40, 40)  # the agent drives along the road, over the goal
    frames[3:, 36:44, 10:30] = (200, 200, 200)  # a road drawn across the ground from frame 3 on
    frames[5, 2:4, 80:82] = (90, 160, 90)  # a faint speck: below both thresholds
    return background, frames


def _plain_agent_difference(frames: np.ndarray, background: np.ndarray) -> np.ndarray:
    """The definition: each pixel's L1 distance to the nearest colour of the board's 3x3 neighbourhood."""
    h, w = background.shape[:2]
    padded = cv2.copyMakeBorder(background, 1, 1, 1, 1, cv2.BORDER_REPLICATE).astype(np.int32)
    out = np.full(frames.shape[:3], np.iinfo(np.int32).max)
    for dy in range(3):
        for dx in range(3):
            d = np.abs(frames.astype(np.int32) - padded[None, dy:dy + h, dx:dx + w]).sum(-1)
            out = np.minimum(out, d)
    return out


def test_differences_equal_the_definitions_wherever_they_are_thresholded():
    background, frames = _board_and_frames()
    plain = _plain_agent_difference(frames, background)
    envelope = difference.difference(frames, background)
    for threshold, board_threshold in ((40.0, 30.0), (30.0, 45.5), (120.0, 25.0)):
        diffs = differences(frames, background, threshold, board_threshold)
        above = plain > threshold
        assert above.any() and (~above).any()
        np.testing.assert_array_equal(diffs.agent[above], plain[above])
        assert (diffs.agent[~above] <= threshold).all()  # never mistaken for foreground
        np.testing.assert_array_equal(diffs.board, envelope > board_threshold)
        assert diffs.board[3:, 37:43, 11:29].all() and not diffs.board[:3, 36:44, 10:30].any()
    # The agent over the goal stands out by whole colour though the per-channel envelope forgives it.
    over_goal = differences(frames, background, 40.0, 30.0).agent[5, 24:31, 60:65]
    assert (over_goal > 40).mean() > 0.5


def test_tiles_of_a_grid_cell_judge_as_the_grid_board_check():
    background, frames = _board_and_frames(1)
    diff = difference.difference(frames, background)
    agent = np.zeros(frames.shape[:3], bool)
    for t in range(len(frames)):
        agent[t, 24:31, 8 + 10 * t:15 + 10 * t] = True  # where the agent drives
    agent[2, 40:60, 0:30] = True  # the agent hides part of the new road in one frame
    in_view = np.ones(frames.shape[1:3], bool)
    in_view[:, :6] = False
    appearance = tracking.Appearance(background, np.array([235, 40, 40], np.float32), 49.0,
                                     np.array([200, 200, 200], np.float32), None,
                                     {"ground": np.array([90, 90, 90], np.float32)}, np.zeros((0, 3), np.float32), 40.0)
    threshold = board.board_threshold(appearance)
    ring = np.ones((2 * board.HIDDEN_RING + 1,) * 2, np.uint8)  # the grid's hidden ring, on the grid's cells
    hidden = np.stack([cv2.dilate(m.view(np.uint8), ring) for m in agent]).view(bool)
    tiles = changed_tiles(diff > threshold, hidden, in_view, CELL)
    np.testing.assert_array_equal(tiles, board.changed_cells(diff, agent, appearance, in_view))
    assert tiles[3:].any() and not tiles[:2].any()


def test_a_road_wide_change_is_caught_on_the_coarse_canvas():
    """At ROAD_PX a tile is one road wide: a road-wide patch drawn over ground changes a tile, a speck none."""
    changed = np.zeros((4, 6 * ROAD_PX, 6 * ROAD_PX), bool)
    changed[1:, 2 * ROAD_PX:3 * ROAD_PX, :] = True  # a road one road wide, drawn from frame 1 on
    changed[2, 5 * ROAD_PX + 2, 1] = True  # a speck
    nothing = np.zeros_like(changed)
    everywhere = np.ones(changed.shape[1:], bool)
    tiles = changed_tiles(changed, nothing, everywhere, ROAD_PX)
    assert tiles[1:, 2, :].all() and not tiles[0].any() and tiles.sum() == 3 * 6
    assert board.persistent_changes(tiles)[0].frame == 1


def test_goal_check_ignores_the_agent_on_it():
    family = IrregularFamily()
    puzzle = family.generate(0, "hard", family.skins[0], "irregular/hard/000000")
    layout = RoadLayout.model_validate(puzzle.layout)
    canvas = RoadCanvas.of(layout, puzzle.width, puzzle.height)
    t, (h, w) = 5, (canvas.size[1], canvas.size[0])
    x0, y0, x1, y1 = (round(v * canvas.scale) for v in layout.goal_box)
    changed = np.zeros((t, h, w), bool)
    changed[:, y0:y1, x0:x1] = True  # the goal's box differs in every frame...
    hidden = np.zeros((t, h, w), bool)
    hidden[:3, y0:y1, x0:x1] = True  # ...under the agent for three frames, then uncovered: erased
    everywhere = np.ones((h, w), bool)
    assert goal_changed(changed, hidden, everywhere, layout, canvas) == 3
    hidden[:] = True
    assert goal_changed(changed, hidden, everywhere, layout, canvas) is None


def test_the_trajectory_is_judged_on_a_field_as_fine_as_sixteen_pixels_a_road():
    family = IrregularFamily()
    puzzle = family.generate(2, "medium", family.skins[1], "irregular/medium/000002")
    layout = RoadLayout.model_validate(puzzle.layout)
    canvas = RoadCanvas.of(layout, puzzle.width, puzzle.height)
    coarse, fine = canvas.field(layout), canvas.fine_field(layout)
    assert canvas.width_px == ROAD_PX and fine.zoom == FIELD_ZOOM and ROAD_PX * FIELD_ZOOM == 16
    assert fine.off.shape == (coarse.off.shape[0] * FIELD_ZOOM, coarse.off.shape[1] * FIELD_ZOOM)
    rng = np.random.default_rng(0)
    points = rng.uniform(0, canvas.size[0], (4000, 2))
    # Exact distances to the centre lines, in road widths beyond the edge (canonical points -> puzzle pixels).
    exact = np.full(len(points), np.inf)
    for curve in layout.curves:
        c = np.asarray(curve, float) * canvas.scale
        a, ab = c[:-1], np.diff(c, axis=0)
        u = np.clip(((points[:, None] - a) * ab).sum(-1) / np.maximum((ab * ab).sum(-1), 1e-9), 0, 1)
        exact = np.minimum(exact, np.linalg.norm(points[:, None] - (a + u[..., None] * ab), axis=-1).min(1))
    exact = exact / canvas.width_px - 0.5
    near = np.abs(exact - 0.25) < 0.5  # around the tolerance's edge, where precision decides a verdict
    assert np.abs(fine.at(points) - exact)[near].max() < 0.11
    assert np.abs(fine.at(points) - exact)[near].max() < np.abs(coarse.at(points) - exact)[near].max()
    outside = np.array([[-1.0, 5.0], [canvas.size[0] + 0.5, 5.0]])
    assert (fine.at(outside) > fine.off.max()).all()


def test_a_field_without_zoom_reads_its_own_pixels():
    off = np.arange(12, dtype=np.float32).reshape(3, 4)
    field = RoadField(off, 8.0)
    np.testing.assert_array_equal(field.at(np.array([[0.2, 0.9], [3.99, 2.5], [1.5, 1.0]])), [0.0, 11.0, 5.0])
    zoomed = RoadField(off, 8.0, zoom=2)
    np.testing.assert_array_equal(zoomed.at(np.array([[0.2, 0.9], [1.99, 1.49], [1.0, 1.4], [1.0, 1.6]])), [4.0, 11.0, 10.0, 12.0])


def test_progress_judges_every_sighting_across_blocks():
    """Sightings are judged in blocks of 64: the furthest near one counts wherever it falls, far ones never."""
    line = np.stack([np.linspace(0, 100, 201), np.zeros(201)], axis=1)
    far = [(x, 30.0) for x in np.linspace(0, 99, 150)]  # 30 pixels off the line: never within reach
    assert progress(far, line, 8.0, 0.75) == 0.0
    near = list(far)
    near[130] = (60.0, 2.0)  # one near sighting in the third block
    near[5] = None
    assert progress(near, line, 8.0, 0.75) == pytest.approx(0.6)
    near[140] = (99.0, 1.0)  # within half a road of the line's end: the goal, complete
    assert progress(near, line, 8.0, 0.75) == 1.0
    assert progress([None] * 70, line, 8.0, 0.75) == 0.0


def test_pads_follow_the_raster_in_road_widths():
    """The agent's hidden ring and the sprite pads are road widths, not pixels: two pixels at 8 a road."""
    assert to_pixels(8.0, 0.25) == 2 and to_pixels(16.0, 0.25) == 4 and to_pixels(8.0, 0.125) == 1 and to_pixels(2.0, 0.1) == 1
    agent = np.zeros((1, 20, 20), bool)
    agent[0, 10, 10] = True
    ring = _hidden(agent, to_pixels(8.0, 0.25))
    assert ring[0, 8:13, 8:13].all() and ring.sum() == 25  # a 2-pixel ring, nothing beyond


def test_hidden_is_the_whole_frame_dilation_spread_over_the_echo_frames():
    """Dilating within the agent's box gives the whole frame's dilation, at the frame's edges and with no agent;
    each frame's is hidden in the ``echo`` frames either side too (the encoder's ghosts of a moving agent)."""
    rng = np.random.default_rng(4)
    masks = np.zeros((7, 30, 40), bool)
    masks[0, 0:3, 37:40] = True  # in a corner
    masks[1, 12:18, 5:9] = True
    masks[1, 25, 30] = True  # a second, far part: one box around both
    masks[2] = rng.random((30, 40)) < 0.02
    masks[4, 29, 0] = True  # frames 3, 5 and 6 stay empty
    for ring in (1, 2, 3):
        kernel = np.ones((2 * ring + 1, 2 * ring + 1), np.uint8)
        dilated = np.stack([cv2.dilate(m.view(np.uint8), kernel) for m in masks]).view(bool)
        got = _hidden(masks, ring, echo=0)
        assert np.array_equal(got, dilated)
        assert not got[3].any() and got[0, 0, 39] and got[0, 2 + ring, 39] and not got[0, 3 + ring, 39]
        for echo in (1, 2):
            spread = np.stack([dilated[max(0, t - echo):t + echo + 1].any(axis=0) for t in range(len(masks))])
            assert np.array_equal(_hidden(masks, ring, echo=echo), spread)
        assert np.array_equal(_hidden(masks, ring)[6], dilated[4])  # two frames on by default, no more


def test_differences_find_pixels_just_beyond_the_cut():
    """A pixel beyond the cut by one, its distance spread evenly over the channels (none far beyond a third
    of it), and one at the cut exactly (never foreground): the cheap box search must not miss the first."""
    background = np.full((20, 30, 3), 100, np.uint8)
    frames = np.repeat(background[None], 3, axis=0)
    frames[0, 5, 7] = (114, 113, 113)  # L1 40 = cut + 1 with the cut at 39: channels 14, 13, 13 (a third is 13)
    frames[0, 15, 25] = (113, 113, 113)  # L1 39: at the cut, not beyond
    frames[1, 10, 10] = (100, 100, 140)  # all in one channel
    # frame 2: the board alone
    plain = _plain_agent_difference(frames, background)
    envelope = difference.difference(frames, background)
    for threshold, board_threshold in ((39.0, 39.5), (39.9, 60.0), (45.0, 39.0)):
        diffs = differences(frames, background, threshold, board_threshold)
        above = plain > threshold
        np.testing.assert_array_equal(diffs.agent > threshold, above)
        np.testing.assert_array_equal(diffs.agent[above], plain[above])
        np.testing.assert_array_equal(diffs.board, envelope > board_threshold)
    diffs = differences(frames, background, 39.0, 39.5)
    assert diffs.agent[0, 5, 7] == 40 and diffs.board[0, 5, 7] and not diffs.board[0, 15, 25]
    assert diffs.agent[1, 10, 10] == 40 and not diffs.agent[2].any() and not diffs.board[2].any()
