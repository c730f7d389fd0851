"""The grid verifiers' coarse raster: its shrink, its blur and the tolerances that follow ``CELL``.

The shrink by halvings and the 1-2-1 blur are checked against the plain
computations they stand for; each pixel tolerance the grid families pass to
the shared steps is checked to do what its default does on the old raster,
on both sides of it (what is still left alone, what is still caught).
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from genreason.types import Video
from verifiers import board, canonical, grid_agent, tracking
from verifiers.canonical import CELL


def _frames(seed: int, count: int = 3, h: int = 97, w: int = 131) -> np.ndarray:
    rng = np.random.default_rng(seed)
    frames = rng.integers(0, 256, (count, h, w, 3), dtype=np.uint8)
    frames[:, 10:30, 20:60] = (250, 5, 250)
    frames[:, 50:, :40] = (rng.integers(0, 4, (count, h - 50, 40, 3)) * 64 + 2).astype(np.uint8)  # many ties
    return frames


@pytest.mark.parametrize(("scale", "k"), [(0.9, 1), (0.45, 1), (0.3, 2), (0.2, 3), (0.15, 4), (0.11, 6), (0.07, 10)])
def test_halving_warp_is_whole_halvings_then_the_warp(scale, k):
    frames = _frames(1)
    m = np.array([[scale, 0.002, 1.5], [-0.001, scale * 1.1, -2.0]])
    s = np.sqrt(abs(np.linalg.det(m[:, :2])))
    assert k == max(1, int(1 / (1.3 * s)))  # the default factor
    small_m = canonical.compose(m, np.array([[k, 0, 0], [0, k, 0]], dtype=np.float64))
    for got, frame in zip(canonical.warp_frames(Video(frames, 16.0), m, (40, 36), halving=True), frames):
        small = frame
        for _ in range((k & -k).bit_length() - 1):  # the halvings: as many as twos in k
            h, w = small.shape[0] // 2, small.shape[1] // 2
            small = cv2.resize(small[:2 * h, :2 * w], (w, h), interpolation=cv2.INTER_AREA)
        if k // (k & -k) > 1:  # then the odd factor left, exactly
            small = canonical.shrink(small, k // (k & -k))
        assert small.shape[:2] == (frame.shape[0] // k, frame.shape[1] // k)
        # A rounding per step instead of one: never more than 1 from the exact k x k mean.
        exact = canonical.shrink(frame, k) if k > 1 else frame
        assert np.abs(small.astype(int) - exact).max() <= 1
        expected = cv2.warpAffine(small, small_m, (40, 36), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
        assert np.array_equal(got, expected)


def test_halving_is_off_by_default():
    frames = _frames(2)
    m = np.array([[0.17, 0.0, 0.0], [0.0, 0.17, 0.0]])  # k = 4: one exact mean by default, two halvings else
    default = canonical.warp_frames(Video(frames, 16.0), m, (30, 20))
    small = canonical.shrink(frames[0], 4)
    expected = cv2.warpAffine(small, canonical.compose(m, np.array([[4.0, 0, 0], [0, 4.0, 0]])), (30, 20),
                              flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    assert np.array_equal(default[0], expected)
    assert not np.array_equal(default, canonical.warp_frames(Video(frames, 16.0), m, (30, 20), halving=True))


def test_weighted_smooth_is_the_rounded_1_2_1_mean():
    frames = _frames(3, count=2, h=63, w=71)[:, 40:, 40:]
    weights = np.array([1.0, 2.0, 1.0]) / 4
    for got, frame in zip(tracking.smooth(frames, weighted=True), frames):
        padded = np.pad(frame.astype(np.float64), ((1, 1), (1, 1), (0, 0)), mode="reflect")
        mean = sum(weights[i] * weights[j] * padded[i:i + 23, j:j + 31] for i in range(3) for j in range(3))
        assert np.array_equal(got, np.floor(mean + 0.5))
    assert np.array_equal(tracking.smooth(frames), np.stack([cv2.blur(f, (3, 3)) for f in frames]))


def _appearance(background: np.ndarray, agent=(250.0, 10.0, 10.0), area: float = 30.0) -> tracking.Appearance:
    colours = tracking.dominant_colours(background, coverage=1.0, most=6)
    return tracking.Appearance(background, np.array(agent, np.float32), area, np.array([30.0, 30.0, 30.0], np.float32),
                               None, {"#": np.array([200.0, 200.0, 200.0], np.float32)}, colours, 40.5)


@pytest.mark.parametrize("ring", [1, 2])
def test_structure_paints_out_the_ring_it_is_given_and_no_more(ring):
    background = np.full((40, 40, 3), 30, np.uint8)
    background[:, 20:] = 200
    frames = np.repeat(background[None], 2, axis=0)
    frames[1, 10:14, 10:14] = (250, 10, 10)
    values = np.stack([v.copy() for v in tracking.structure_frames(frames, [_appearance(background)], ring=ring)])
    ys, xs = np.nonzero(values[1] != values[0])
    assert (ys.min(), ys.max(), xs.min(), xs.max()) == (10 - ring, 13 + ring, 10 - ring, 13 + ring)


def test_blobs_smaller_than_min_pixels_are_specks():
    background = np.full((30, 30, 3), 30, np.uint8)
    frame = background.copy()
    frame[5:7, 5:7] = (250, 10, 10)  # four pixels
    mask = np.zeros((30, 30), np.uint8)
    mask[5:7, 5:7] = 1
    appearance = _appearance(background, area=4.0)
    for min_pixels, seen in ((3.0, True), (5.0, False)):
        pixels = np.zeros((30, 30), bool)
        found = tracking.blobs_into(frame, mask, frame.astype(np.uint16).sum(-1), appearance, pixels, min_pixels)
        assert bool(found) == seen and pixels.any() == seen


def test_shake_below_the_rasters_own_minimum_is_left_alone_and_above_it_undone():
    rng = np.random.default_rng(8)
    board_image = cv2.GaussianBlur(rng.random((120, 120)).astype(np.float32) * 300, (0, 0), 2)
    structure = np.stack([board_image[10:106, 10:106], board_image[9:105, 10:106]])  # one pixel of shake
    canon = np.repeat(cv2.cvtColor(structure[0].astype(np.uint8), cv2.COLOR_GRAY2RGB)[None], 2, axis=0)
    out, shifts = canonical.stabilize(canon, structure, limit=4.8, min_shake=1.5)
    assert out is canon and 0.5 < np.hypot(*shifts[1]) < 1.5  # measured, but below this minimum
    out, shifts = canonical.stabilize(canon, structure, limit=4.8, min_shake=0.5)
    assert out is not canon and not np.array_equal(out[1], canon[1])
    assert canonical.shake_corrected(shifts[1], 4.8, 0.5) and not canonical.shake_corrected(shifts[1], 4.8, 1.5)


def test_pixel_tolerances_are_the_same_share_of_a_cell():
    assert canonical.cell_pixels(canonical.REFERENCE_CELL) == CELL
    assert board.INSET == round(3 * CELL / 16)
    assert grid_agent.MIN_SHAKE == pytest.approx(canonical.MIN_SHAKE * CELL / 16)
    assert tracking.MIN_AGENT_PIXELS == pytest.approx(4 * (CELL / 16) ** 2)
    # irregular trims its tiles by the share of a cell the grid's inset was on 16-pixel cells: unchanged.
    assert all(round(board.INSET_SHARE * tile) == round(3 * tile / 16) for tile in range(1, 200))


def test_fine_specks_keep_a_rounded_sprite_four_pixels_wide_and_no_line_or_lone_pixel():
    background = np.full((20, 30, 3), 30, np.uint8)
    diff = np.zeros((1, 20, 30), np.uint16)
    diff[0, 3:7, 3:7] = 300  # a sprite four pixels wide with its corners cut: no 3x3 square fits in it
    diff[0, [3, 3, 6, 6], [3, 6, 3, 6]] = 0
    diff[0, 12, 2:20] = 300  # a line one pixel wide (an edge shifted by a pixel)
    diff[0, 16, 25] = 300  # a lone pixel
    appearance = _appearance(background)
    coarse, fine = tracking.foreground(diff, appearance)[0], tracking.foreground(diff, appearance, tracking.CROSS)[0]
    assert not coarse.any()
    assert np.array_equal(np.argwhere(fine), np.argwhere(diff[0] > 0)[:12])  # exactly the sprite
    assert (grid_agent.SPECKS is tracking.CROSS) == grid_agent.WEIGHTED_SMOOTH == (CELL < canonical.REFERENCE_CELL)


def _centre(frame: np.ndarray, mask: np.ndarray, background: np.ndarray, rim: int) -> tuple[float, float]:
    appearance = _appearance(background, area=float(mask.sum()))
    diff = tracking.distance(frame, background).astype(np.uint16)
    found = tracking.blobs_into(frame, mask.view(np.uint8), diff, appearance, np.zeros(mask.shape, bool), rim=rim)
    assert len(found) == 1
    return found[0].center


def test_the_rim_weighs_a_blurred_sprites_faint_edge_cut_by_the_threshold_on_one_side():
    # A sprite 4 pixels wide blurred one pixel out, centred at x = y = 12 (pixel centres at i + 0.5);
    # left of it the board is a wall a little nearer the sprite's colour than the floor is, so its faint
    # left rim is under the threshold there while the right rim, over the floor, is not.
    background = np.full((24, 24, 3), (150, 40, 40), np.uint8)
    background[:, :10] = (200, 40, 40)
    sprite = np.zeros((24, 24), np.float32)
    sprite[10:14, 10:14] = 1.0
    cover = cv2.blur(sprite, (3, 3), borderType=cv2.BORDER_CONSTANT)
    frame = (background * (1 - cover[..., None]) + np.array([250, 10, 10]) * cover[..., None]).round().astype(np.uint8)
    mask = tracking.distance(frame, background) > 40.5
    assert mask[12, 14] and not mask[12, 9]  # the threshold cut the rim on the wall's side only
    cut = _centre(frame, mask, background, rim=0)
    weighed = _centre(frame, mask, background, rim=1)
    assert cut[0] > 12.1  # pushed away from the wall
    # Halved: what is left is the wall side's lower contrast, by which its rim still weighs less.
    assert abs(weighed[0] - 12.0) < 0.55 * abs(cut[0] - 12.0) and weighed[1] == pytest.approx(12.0)


def test_the_rim_adds_nothing_where_the_board_is_unchanged():
    background = np.full((24, 24, 3), 30, np.uint8)
    background[:, :10] = (200, 40, 40)
    frame = background.copy()
    frame[9:13, 11:15] = (250, 10, 10)  # a crisp sprite: every pixel around it is the board itself
    frame[8, 12] = (250, 10, 10)
    mask = tracking.distance(frame, background) > 40.5
    assert _centre(frame, mask, background, rim=1) == _centre(frame, mask, background, rim=0)
    assert grid_agent.CENTRE_RIM == (1 if CELL < canonical.REFERENCE_CELL else 0)


def _board_with_bleed(layout_cells: list[str]) -> np.ndarray:
    """A canonical board whose floor cells carry their wall neighbours' colour in their outer pixel."""
    rows, cols = len(layout_cells), len(layout_cells[0])
    image = np.zeros(((rows + 2) * CELL, (cols + 2) * CELL, 3), np.uint8)
    for r, row in enumerate(layout_cells):
        for c, code in enumerate(row):
            ys, xs = tracking.cell_slices(r, c)
            image[ys, xs] = (40, 40, 120) if code == "#" else (220, 220, 200)
    walls = np.zeros(image.shape[:2], np.uint8)
    for r, row in enumerate(layout_cells):
        for c, code in enumerate(row):
            if code == "#":
                walls[tracking.cell_slices(r, c)] = 1
    bleed = cv2.dilate(walls, np.ones((3, 3), np.uint8)).astype(bool) & ~walls.astype(bool)
    image[bleed] = (130, 130, 160)
    return image


def test_the_start_cells_rim_is_taken_from_floor_cells_alike_on_each_side():
    cells = ["#######",
             "#.#.#.#",
             "#.....#",
             "#.#.#.#",
             "#.....#",
             "#######"]
    layout = GridLayoutStub(cells)
    image = _board_with_bleed(cells)
    start = (2, 3)  # walls diagonally on all four corners, floor on all four sides
    empty = image.copy()
    ys, xs = tracking.cell_slices(*start)
    image[ys.start + 3:ys.start + 9, xs.start + 3:xs.start + 9] = (250, 10, 10)  # the agent
    floor = [(r, c) for r in range(6) for c in range(7) if cells[r][c] == "." and (r, c) != start]
    around = grid_agent.surroundings(layout, set())
    assert around.shape == (6, 7, 8) and chr(around[1, 1, 1]) == "#" and chr(around[1, 1, 6]) == "."
    assert around[0, 0, 0] == 0  # outside the grid
    plain = tracking.measure_appearance(image, {".": floor, "#": []}, (4, 5), [start])
    alike = tracking.measure_appearance(image, {".": floor, "#": []}, (4, 5), [start], around)
    assert not isinstance(plain, str) and not isinstance(alike, str)
    # The median floor tile's rim is other cells' bleed (most floor cells have walls beside them); the rim
    # built from floor cells alike on each side is the cell's own.
    assert not np.array_equal(plain.background[ys, xs], empty[ys, xs])
    assert np.array_equal(alike.background[ys, xs], empty[ys, xs])
    outside = np.ones(image.shape[:2], bool)
    outside[ys, xs] = False
    assert np.array_equal(alike.background[outside], image[outside])  # nothing else is touched


def test_a_rim_part_without_a_like_floor_cell_keeps_the_median_tile():
    cells = ["#####",
             "#...#",
             "#...#",
             "#####"]
    image = _board_with_bleed(cells)
    start = (1, 2)  # a wall above: no other floor cell has one above and floor on both sides below
    empty = image.copy()
    ys, xs = tracking.cell_slices(*start)
    image[ys.start + 3:ys.start + 9, xs.start + 3:xs.start + 9] = (250, 10, 10)  # the agent
    floor = [(r, c) for r in range(4) for c in range(5) if cells[r][c] == "." and (r, c) != start]
    layout = GridLayoutStub(cells)
    plain = tracking.measure_appearance(image, {".": floor}, (2, 3), [start])
    alike = tracking.measure_appearance(image, {".": floor}, (2, 3), [start], grid_agent.surroundings(layout, {(2, 3)}))
    assert not isinstance(plain, str) and not isinstance(alike, str)
    zone = tracking.RIM_ZONE
    # The goal (2, 3) is drawn: the bottom-right corner has no floor cell alike and keeps the median tile.
    corner = (slice(ys.stop - zone, ys.stop), slice(xs.stop - zone, xs.stop))
    assert np.array_equal(alike.background[corner], plain.background[corner])
    # The top side has like cells (walls above them too): it is the cell's own, the median tile's is not.
    top = (slice(ys.start, ys.start + zone), slice(xs.start + zone, xs.stop - zone))
    assert np.array_equal(alike.background[top], empty[top]) and not np.array_equal(plain.background[top], empty[top])


class GridLayoutStub:
    """The little of a grid layout :func:`verifiers.grid_agent.surroundings` reads."""

    def __init__(self, cells: list[str]) -> None:
        self.cells, self.rows, self.cols = cells, len(cells), len(cells[0])

    def inside(self, cell: tuple[int, int]) -> bool:
        return 0 <= cell[0] < self.rows and 0 <= cell[1] < self.cols
