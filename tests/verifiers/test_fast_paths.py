"""The grid verifiers' fast paths give exactly what the plain computations give.

Each fast function (a saturated difference, a box-filter shrink, a colour
lookup by packed codes, a board check that takes the agent's cells back out)
is checked against the straightforward computation it replaces, on seeded
images with the hard cases in them: ties in rounding, differences past 255,
an agent at the frame's edge, a changed cell under the agent.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from genreason.types import Video
from verifiers import board, canonical, difference, tracking
from verifiers.canonical import CELL

SIZE = 48  # pixels of the images that are not a board of cells (three 16-pixel cells, whatever the raster)


def _frames(seed: int, count: int = 4, size: int = SIZE) -> np.ndarray:
    """Blurred random colour frames, some with blocks of very different colours (differences past 255)."""
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (count, size, size, 3), dtype=np.uint8)
    frames[:, 5:20, 7:30] = (250, 5, 250)
    return np.stack([cv2.blur(f, (3, 3)) for f in frames])


def _appearance(background: np.ndarray, threshold: float = 40.5, agent=(200.0, 10.0, 10.0)) -> tracking.Appearance:
    colours = tracking.dominant_colours(background, coverage=1.0, most=6)
    return tracking.Appearance(background, np.array(agent, np.float32), 30.0, np.array([30.0, 30.0, 30.0], np.float32),
                               None, {"#": np.array([200.0, 200.0, 200.0], np.float32)}, colours, threshold)


@pytest.mark.parametrize("k", [2, 3, 4, 5, 7])
def test_shrink_is_the_area_resize(k):
    rng = np.random.default_rng(k)
    for image in (rng.integers(0, 256, (61, 83, 3), dtype=np.uint8),
                  (rng.integers(0, 4, (61, 83, 3)) * 64 + 8).astype(np.uint8)):  # many exact ties
        h, w = image.shape[0] // k, image.shape[1] // k
        expected = cv2.resize(image[:h * k, :w * k], (w, h), interpolation=cv2.INTER_AREA)
        assert np.array_equal(canonical.shrink(image, k), expected)


@pytest.mark.parametrize("k_scale", [0.6, 0.3, 0.2])
def test_warp_frames_is_the_per_frame_resize_and_warp(k_scale):
    frames = _frames(1, count=3, size=90)
    m = np.array([[k_scale, 0.002, 1.5], [-0.001, k_scale * 1.1, -2.0]])
    k = max(1, int(1 / (np.sqrt(abs(np.linalg.det(m[:, :2]))) * 1.3)))
    small_m = canonical.compose(m, np.array([[k, 0, 0], [0, k, 0]], dtype=np.float64))
    h, w = 90 // k, 90 // k
    for got, frame in zip(canonical.warp_frames(Video(frames, 16.0), m, (40, 36)), frames):
        small = cv2.resize(frame[:h * k, :w * k], (w, h), interpolation=cv2.INTER_AREA)
        expected = cv2.warpAffine(small, small_m, (40, 36), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        assert np.array_equal(got, expected)


def test_difference_thresholds_and_windows_as_the_full_difference():
    smoothed = _frames(2)
    background = smoothed[0].copy()
    background[20:30, 20:30] = (0, 255, 0)
    full = difference.difference(smoothed, background)
    diff = difference.Difference(smoothed, background)
    assert full.max() > 255  # the saturation is exercised
    assert np.array_equal(diff.capped, np.minimum(full, 255))
    for threshold in (25.0, 40.5, 200.0, 254.9, 300.0):
        assert np.array_equal(diff.above(threshold), full > threshold)
    assert np.array_equal(diff[2][3:40, 10:31], full[2, 3:40, 10:31])
    assert diff[2][3:40, 10:31].dtype == full.dtype
    appearance = _appearance(background)
    assert np.array_equal(tracking.foreground(diff, appearance), tracking.foreground(full, appearance))


def test_blobs_read_the_same_from_a_difference_as_from_the_full_array():
    rng = np.random.default_rng(3)
    background = np.full((SIZE, SIZE, 3), 30, np.uint8)
    background[:, 16:20] = 200  # a wall
    frames = np.repeat(background[None], 4, axis=0)
    for t, frame in enumerate(frames):
        frame[6 + 3 * t:12 + 3 * t, 20:26] = (250, 5, 250)  # the agent, moving
        frame[30:40, 30:44] = rng.integers(0, 256, (10, 14, 3))  # something else changing
    smoothed = tracking.smooth(frames)
    appearance = tracking.Appearance(background, np.array([250.0, 5.0, 250.0], np.float32), 36.0,
                                     np.array([30.0, 30.0, 30.0], np.float32), None, {},
                                     tracking.dominant_colours(background), 40.5)
    full = difference.difference(smoothed, background)
    diff = difference.Difference(smoothed, background)
    masks = tracking.foreground(full, appearance)
    for t in range(len(smoothed)):
        expected_pixels, pixels = np.zeros((2, *masks.shape[1:]), dtype=bool)
        expected = tracking.blobs_into(smoothed[t], masks[t], full[t], appearance, expected_pixels)
        found = tracking.blobs_into(smoothed[t], masks[t], diff[t], appearance, pixels)
        assert found == expected and np.array_equal(pixels, expected_pixels)
        assert sum(b.agent_like for b in found) == 1 and len(found) >= 2


def _structure(frames: np.ndarray, appearances: list, zeroed: np.ndarray | None = None) -> np.ndarray:
    """T x H x W: every frame's structure, each copied out of the buffer the next one reuses."""
    return np.stack([values.copy() for values in tracking.structure_frames(frames, appearances, zeroed)])


def _colour_index(frame: np.ndarray) -> np.ndarray:
    """The reference: each pixel's bin in the 32x32x32 colour cube (5 bits a channel, red highest)."""
    q = (frame >> 3).astype(np.intp)
    return (q[..., 0] << 10) | (q[..., 1] << 5) | q[..., 2]


def test_structure_is_the_colour_table_looked_up_pixel_by_pixel():
    frames = _frames(4)
    background = frames[0].copy()
    player = _appearance(background, agent=(250.0, 5.0, 250.0))
    box = _appearance(background, agent=(5.0, 250.0, 5.0))
    frames[1, 30:36, 30:36] = (5, 250, 5)
    to_floor, is_agent = tracking._colour_tables(player)
    expected = to_floor[_colour_index(frames)].copy()
    agent = np.stack([cv2.dilate(a.astype(np.uint8), np.ones((5, 5), np.uint8)) for a in is_agent[
        _colour_index(frames)]]).astype(bool)
    expected[agent] = 0.0
    assert np.array_equal(_structure(frames, [player]), expected)
    both = np.minimum(_structure(frames, [player]), _structure(frames, [box]))
    assert np.array_equal(_structure(frames, [player, box]), both)
    assert (both[1, 30:36, 30:36] == 0).all()


def test_only_colours_near_the_agent_are_painted_out():
    """The neon 3D maze: a cyan agent, purple faces (its dominant colours), pale lavender cube edges in no
    dominant colour. The edges are nearer the agent than any face is, yet far from the agent: board."""
    background = np.zeros((24, 24, 3), np.uint8)
    background[:, :12] = (10, 10, 30)
    background[:, 12:] = (150, 90, 200)
    neon = _appearance(background, agent=(35.0, 199.0, 242.0))
    _, is_agent = tracking._colour_tables(neon)
    frame = np.array([[[230, 230, 255], [35, 199, 242], [60, 180, 235], [150, 90, 200]]], np.uint8)
    assert is_agent[_colour_index(frame)].tolist() == [[0, 1, 1, 0]]
    edge, agent = frame[0, 0].astype(float), np.array([35.0, 199.0, 242.0])
    assert np.abs(edge - agent).sum() < np.abs(neon.board_colours - edge).sum(axis=1).min()  # the hard case


def test_structure_paints_out_agent_colours_anywhere_in_the_frame():
    """The ring is dilated only in the agent-coloured pixels' box: the hard cases are boxes cut by the
    frame's edges, two far-apart groups (a box as large as the frame), no agent colour at all, and one
    small group inside the frame (its whole ring inside the widened box)."""
    frames = _frames(6, count=5)
    player = _appearance(frames[0].copy(), agent=(5.0, 250.0, 5.0))
    frames[1] = player.board_colours[0].round().astype(np.uint8)  # a board colour only: nothing painted out
    frames[2, :1, :2] = frames[2, -2:, -1:] = (5, 250, 5)  # in two corners
    frames[3, 20:22, -1:] = frames[3, -1:, 9:11] = (5, 250, 5)  # at the right edge and the bottom edge
    frames[4, 30:32, 12:13] = (5, 250, 5)
    to_floor, is_agent = tracking._colour_tables(player)
    coloured = is_agent[_colour_index(frames)]
    assert not coloured[1].any() and coloured[2, 0, 0] and coloured[2, -1, -1]
    expected = to_floor[_colour_index(frames)].copy()
    expected[np.stack([cv2.dilate(a.astype(np.uint8), np.ones((5, 5), np.uint8)) for a in coloured]).astype(bool)] = 0
    found = _structure(frames, [player])
    assert np.array_equal(found, expected)
    assert (found[1] > 0).all() and (found[2, :3, :4] == 0).all() and (found[2, -4:, -3:] == 0).all()
    assert (found[4, 28:34, 10:15] == 0).all() and found[4][expected[4] != 0].size == 48 * 48 - 6 * 5


def test_median_is_numpys():
    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 8, 101):
        values = rng.integers(0, 700, n).astype(np.uint16)
        colours = rng.integers(0, 256, (n, 3), dtype=np.uint8)
        assert tracking._median(values) == np.median(values)
        assert np.array_equal(tracking._median(colours), np.median(colours, axis=0))


def test_dominant_colours_are_the_per_bin_means():
    image = _frames(6, count=1)[0]
    image[:20] = (17, 130, 250)
    pixels = image.reshape(-1, 3)
    q = (pixels >> 4).astype(np.int32)
    bins = (q[:, 0] << 8) | (q[:, 1] << 4) | q[:, 2]
    colours = tracking.dominant_colours(image, coverage=0.5, most=5)
    assert len(colours) >= 1
    for colour in colours:
        b = bins[np.argmin(np.abs(pixels.astype(np.float32) - colour).sum(-1))]
        assert np.array_equal(colour, pixels[bins == b].mean(axis=0).astype(np.float32))


def _changed_plainly(diff, agent_masks, appearance, in_view):
    """The board check as first written: every frame's whole agent mask dilated."""
    h, w = diff.shape[1:3]
    rows, cols = h // CELL, w // CELL
    differs = diff > board.board_threshold(appearance)
    kernel = np.ones((2 * board.HIDDEN_RING + 1,) * 2, np.uint8)
    hidden = np.stack([cv2.dilate(m.astype(np.uint8), kernel) for m in agent_masks]).astype(bool)
    visible = ~hidden & in_view

    def inner(mask):
        cells = mask[:, :rows * CELL, :cols * CELL].reshape(len(mask), rows, CELL, cols, CELL)
        return cells[:, :, board.INSET:CELL - board.INSET, :, board.INSET:CELL - board.INSET].sum(axis=(2, 4))

    vis, hit = inner(visible), inner(differs & visible)
    judged = vis >= board.MIN_VISIBLE * (CELL - 2 * board.INSET) ** 2
    return judged & (hit > board.CHANGED_FRACTION * np.maximum(vis, 1))


def test_board_check_takes_the_agent_back_out_exactly():
    rng = np.random.default_rng(7)
    t, size = 6, 5 * CELL + 7  # not a whole number of cells: the leftover strip is never judged
    background = np.full((size, size, 3), 30, np.uint8)
    smoothed = np.repeat(background[None], t, axis=0)
    smoothed[:, 2 * CELL:3 * CELL, 2 * CELL:3 * CELL] = 200  # a cell changed in every frame
    smoothed[:, CELL:2 * CELL, 3 * CELL:4 * CELL] = 200  # changed, but covered by the agent below
    appearance = _appearance(background)
    agent_masks = np.zeros((t, size, size), bool)
    agent_masks[:, CELL - 2:2 * CELL + 2, 3 * CELL - 2:4 * CELL + 2] = True
    agent_masks[1] = False  # a frame without the agent
    agent_masks[2, -4:, -3:] = True  # the agent at the frame's corner, in the leftover strip
    agent_masks[3, :2, :2] = True
    agent_masks[4] |= rng.random((size, size)) > 0.995  # specks anywhere
    in_view = np.ones((size, size), bool)
    in_view[:, :5] = False
    full = difference.difference(smoothed, background)
    expected = _changed_plainly(full, agent_masks, appearance, in_view)
    assert expected[0, 2, 2] and not expected[0, 1, 3] and expected[1, 1, 3]  # the hard cases are in it
    for diff in (full, difference.Difference(smoothed, background)):
        assert np.array_equal(board.changed_cells(diff, agent_masks, appearance, in_view), expected)


def test_stabilize_measures_the_moves():
    rng = np.random.default_rng(8)
    board_image = cv2.GaussianBlur(rng.random((120, 120)).astype(np.float32) * 300, (0, 0), 2)
    moves = [(0, 0), (1, 0), (0, -1), (2, 1), (12, 0)]  # still, shake, and a pan past the limit
    structure = np.stack([np.roll(board_image, (dy, dx), (0, 1))[10:106, 10:106] for dx, dy in moves])
    canon = np.repeat(cv2.cvtColor(structure[0].astype(np.uint8), cv2.COLOR_GRAY2RGB)[None], len(moves), axis=0)
    _, shifts = canonical.stabilize(canon, structure, limit=4.8)
    assert np.allclose(shifts[:4], moves[:4], atol=0.35)
    assert [canonical.shake_corrected(s, 4.8) for s in shifts] == [False, True, True, True, False]


def test_structure_frame_by_frame_is_the_structure_and_stabilizes_alike():
    # structure_frames hands each frame's structure in one reused buffer, for stabilize to read at once:
    # the same shifts as from a stack of copies (a consumer that kept the buffers would see only the
    # last frame, so stabilize must read each before asking for the next).
    rng = np.random.default_rng(9)
    background = cv2.blur(rng.integers(0, 255, (96, 96, 3), dtype=np.uint8), (5, 5))
    frames = np.stack([np.roll(background, (dy, dx), (0, 1)) for dx, dy in [(0, 0), (1, 0), (0, 2), (-1, 1)]])
    frames[1, 40:48, 40:48] = (250, 10, 10)  # agent-coloured pixels, painted out with their ring
    appearance = _appearance(background, agent=(250.0, 10.0, 10.0))
    zeroed = np.zeros((96, 96), bool)
    zeroed[:16, :16] = True
    stack = _structure(frames, [appearance], zeroed)
    assert (stack[:, :16, :16] == 0).all() and (stack[1, 38:50, 38:50] == 0).all() and stack.max() > 0
    for t, values in enumerate(tracking.structure_frames(frames, [appearance], zeroed=zeroed)):
        assert np.array_equal(values, stack[t])
    out_stack, shifts_stack = canonical.stabilize(frames, stack, limit=4.8)
    out_frames, shifts_frames = canonical.stabilize(frames, tracking.structure_frames(frames, [appearance], zeroed),
                                                    limit=4.8)
    assert np.array_equal(shifts_stack, shifts_frames) and np.array_equal(out_stack, out_frames)
    assert np.abs(shifts_frames[1:]).max() > 0.5  # the shifts were measured, not all zero


def test_foreground_opened_in_its_box_is_the_whole_frame_opening():
    rng = np.random.default_rng(11)
    diff = np.zeros((7, 30, 40), np.uint16)
    diff[0, 10:16, 12:18] = 300  # a sprite
    diff[1, 0:4, 36:40] = 300  # a sprite in the corner: the frame's own border
    diff[1, 20, 5] = 300  # and a lone pixel far from it
    diff[2] = rng.integers(0, 2, (30, 40)) * 300  # speckle everywhere
    diff[3, 5:25, 0:3] = 300  # a bar along the left edge
    diff[4, 8:11, 8:11] = 300  # exactly a 3 x 3 square
    diff[4, 8, 9], diff[4, 10, 9] = 0, 0
    # frames 5 and 6: empty
    appearance = _appearance(np.zeros((30, 40, 3), np.uint8))
    for kernel in (tracking.SPECK, tracking.CROSS):
        whole = (diff > appearance.threshold).view(np.uint8)
        for o in whole:
            cv2.morphologyEx(o, cv2.MORPH_OPEN, kernel, dst=o)
        opened = tracking.foreground(diff, appearance, kernel)
        assert np.array_equal(opened, whole)
        assert opened[0].sum() > 0 and not opened[5:].any()
