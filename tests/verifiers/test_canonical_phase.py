"""Phase correlation against a cached reference spectrum measures the shift itself, at any size.

:class:`canonical.PhaseCorrelation` computes ``cv2.phaseCorrelate``'s
correlation with the reference's spectrum computed once, and reads its peak at
the right whole pixel for odd sizes too (OpenCV's is half a pixel off there)
and to a fraction of a pixel from the peak and both its neighbours. Checked on seeded
board-like images moved by known sub-pixel amounts, with noise, at sizes whose
packed spectra have every layout (even and odd rows and columns); on a rendered
3D maze board shaken by whole video pixels at its canonical scale; and through
:func:`canonical.stabilize`, which must still leave a real pan in place.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from genreason.types import Video
from verifiers import canonical


def _board(rng: np.random.Generator, rows: int, cols: int) -> np.ndarray:
    """A float32 'structure': walls of a random grid (as the distance from the floor colour), blurred."""
    cells = (rng.random((rows // 8 + 1, cols // 8 + 1)) < 0.35).astype(np.float32) * 300
    walls = cv2.resize(cells, None, fx=8, fy=8, interpolation=cv2.INTER_NEAREST)[:rows, :cols]
    return cv2.GaussianBlur(walls, (0, 0), 1.0)


def _moved(image: np.ndarray, dx: float, dy: float, rng: np.random.Generator, noise: float) -> np.ndarray:
    m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
    out = cv2.warpAffine(image, m, image.shape[::-1], flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)
    return (out + rng.normal(0, noise, out.shape)).astype(np.float32)


# (rows, cols): sizes getOptimalDFTSize keeps, so phaseCorrelate neither pads nor windows them itself:
# even x even (a Nyquist row and column), odd rows, odd columns, odd x odd.
SIZES = [(48, 48), (45, 64), (64, 75), (45, 75), (144, 144)]


MOVES = [(0.0, 0.0), (0.37, -0.81), (-1.5, 2.25), (3.1, 0.6), (9.4, -7.7), (0.5, 0.5), (-0.25, 0.75)]


@pytest.mark.parametrize("rows, cols", SIZES)
def test_shifts_are_the_moves_at_every_size(rows, cols):
    assert (cv2.getOptimalDFTSize(rows), cv2.getOptimalDFTSize(cols)) == (rows, cols)
    rng = np.random.default_rng(rows * cols)
    window = cv2.createHanningWindow((cols, rows), cv2.CV_32F)
    board = _board(rng, rows, cols)
    reference = board * window
    correlate = canonical.PhaseCorrelation(reference)
    for (dx, dy), noise in zip(MOVES, [0.0, 2.0, 5.0, 0.5, 1.0, 1.0, 1.0]):
        image = _moved(board, dx, dy, rng, noise) * window
        assert correlate(image) == pytest.approx((dx, dy), abs=0.3)
    # Heavy noise: still near the move.
    assert correlate(_moved(board, -0.05, 0.02, rng, 20.0) * window) == pytest.approx((-0.05, 0.02), abs=0.6)


@pytest.mark.parametrize("rows, cols", [(45, 64), (64, 75), (45, 75)])
def test_an_odd_size_is_not_read_half_a_pixel_off(rows, cols):
    """OpenCV puts the zero shift of an odd size at its middle (n / 2), where the quadrant swap puts it at n // 2:
    an image that did not move reads as moved by half a pixel there, twice that at half resolution."""
    rng = np.random.default_rng(rows + cols)
    board = _board(rng, rows, cols) * cv2.createHanningWindow((cols, rows), cv2.CV_32F)
    opencv = np.array(cv2.phaseCorrelate(board, board.copy())[0])
    assert np.abs(opencv).max() == pytest.approx(0.5)
    assert canonical.PhaseCorrelation(board)(board.copy()) == pytest.approx((0.0, 0.0), abs=0.01)


@pytest.mark.parametrize("rows, cols", [(81, 81), (37, 53), (160, 160)])
def test_windowed_padding_windows_into_a_zero_padded_buffer(rows, cols):
    """Sizes that are not fast DFT sizes (81, 37 and 53): the image is windowed into the corner of a buffer
    of a fast size, the rest zero, the image itself left as it was, and the shifts are the moves."""
    rng = np.random.default_rng(rows + cols)
    board = _board(rng, rows, cols)
    window = cv2.createHanningWindow((cols, rows), cv2.CV_32F)
    windowed = canonical.WindowedPadding(cols, rows)
    padded = windowed(board)
    assert padded.shape == (cv2.getOptimalDFTSize(rows), cv2.getOptimalDFTSize(cols))
    assert np.array_equal(padded[:rows, :cols], board * window)
    assert not padded[rows:].any() and not padded[:, cols:].any()
    correlate = canonical.PhaseCorrelation(padded.copy())
    for dx, dy in [(0.0, 0.0), (0.6, -1.3), (-2.4, 0.9)]:
        image = _moved(board, dx, dy, rng, 1.0)
        kept = image.copy()
        assert correlate(windowed(image)) == pytest.approx((dx, dy), abs=0.3)
        assert np.array_equal(image, kept)


def test_a_rendered_3d_maze_board_shaken_by_whole_video_pixels():
    """A small canonical raster (an easy 3D maze: 162 pixels, 81 at half resolution, an odd DFT size) of a
    512-pixel frame moved by whole pixels, as the shake degradation moves it: measured at half resolution
    as :func:`canonical.stabilize` measures it, within a third of a canonical pixel of the move (the
    5 x 5 centroid with OpenCV's centre was 1.3 pixels off, median)."""
    from genreason.plugins import load_family

    family = load_family("maze3d")
    puzzle = family.generate(43, "easy", family.skins[1], "maze3d/easy/000043")
    gray = cv2.cvtColor(puzzle.frame0(), cv2.COLOR_RGB2GRAY).astype(np.float32)
    side = 162
    scale = side / gray.shape[1]

    def canonical_board(dx: int, dy: int) -> np.ndarray:
        m = np.array([[1.0, 0.0, dx], [0.0, 1.0, dy]])
        moved = cv2.warpAffine(gray, m, gray.shape[::-1], flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
        return cv2.resize(moved, (side, side), interpolation=cv2.INTER_AREA)

    rng = np.random.default_rng(0)
    moves = [(0, 0)] + [tuple(int(v) for v in rng.integers(-3, 4, 2)) for _ in range(20)]
    structure = np.stack([canonical_board(dx, dy) for dx, dy in moves])
    canon = np.zeros((len(moves), side, side, 3), np.uint8)
    _, shifts = canonical.stabilize(canon, structure, limit=6.0)
    errors = np.abs(shifts - np.array(moves) * scale).max(axis=1)
    assert np.median(errors) < 0.2 and errors.max() < 0.34


def test_an_empty_board_reads_as_a_shift_past_any_limit_and_the_reference_is_never_changed():
    empty = np.zeros((48, 64), np.float32)
    # Every value of the correlation ties: the first, in the corner, is half the image away.
    assert canonical.PhaseCorrelation(empty)(empty) == (32.0, 24.0)
    rng = np.random.default_rng(3)
    reference = _board(rng, 48, 48)
    kept = reference.copy()
    correlate = canonical.PhaseCorrelation(reference)
    first = correlate(_moved(reference, 1.2, 0.4, rng, 1.0))
    second = correlate(_moved(reference, -2.0, 1.0, rng, 1.0))
    assert np.array_equal(reference, kept) and first != second


def _shaken(rng: np.random.Generator, moves: list[tuple[float, float]], size: int = 112) -> np.ndarray:
    board = _board(rng, size + 40, size + 40)
    return np.stack([_moved(board, dx, dy, rng, 1.0)[20:20 + size, 20:20 + size] for dx, dy in moves])


def test_stabilize_undoes_shake_and_reports_a_pan_beyond_the_limit():
    rng = np.random.default_rng(11)
    # Still, shake below MIN_SHAKE, shake of a pixel or two, a pan far past the limit (4.8 pixels), shake again.
    moves = [(0.0, 0.0), (0.1, -0.1), (-2.0, 1.5), (2.5, 2.0), (14.0, 3.0), (1.5, -1.0)]
    structure = _shaken(rng, moves)
    canon = np.stack([cv2.cvtColor(np.clip(s, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2RGB) for s in structure])
    out, shifts = canonical.stabilize(canon, structure, limit=4.8)

    assert shifts == pytest.approx(np.array(moves), abs=0.3)  # the pan measured too

    assert [canonical.shake_corrected(s, 4.8) for s in shifts] == [False, False, True, True, False, True]
    # The pan is reported (a shift past the limit) and its frame left as it was; shaken frames are moved back.
    assert np.hypot(*shifts[4]) > 4.8 and np.array_equal(out[4], canon[4])
    assert np.array_equal(out[1], canon[1])
    for t in (2, 3, 5):  # moved back by exactly the warp of the frame by its shift
        m = np.array([[1.0, 0.0, -shifts[t][0]], [0.0, 1.0, -shifts[t][1]]])
        assert np.array_equal(out[t], cv2.warpAffine(canon[t], m, (112, 112), flags=cv2.INTER_LINEAR,
                                                     borderMode=cv2.BORDER_REPLICATE))
    inner = (slice(12, -12), slice(12, -12))
    for t in (2, 3, 5):
        assert np.abs(out[t][inner].astype(int) - canon[0][inner]).mean() < 0.5 * np.abs(
            canon[t][inner].astype(int) - canon[0][inner]).mean()


def test_stabilize_leaves_a_still_video_alone():
    rng = np.random.default_rng(12)
    structure = _shaken(rng, [(0.0, 0.0)] * 4)
    canon = np.zeros((4, 112, 112, 3), np.uint8)
    out, shifts = canonical.stabilize(canon, structure, limit=4.8)
    assert out is canon and np.abs(shifts).max() < canonical.MIN_SHAKE


def test_a_shaken_frame_is_warped_anew_from_the_video_not_resampled_twice():
    # Thin bright lines (4 video pixels: 1 canonical pixel) on a dark board, the video shaken by sub-pixel
    # amounts of a canonical pixel. Moving a shaken canonical frame back resamples it a second time, which
    # blurs the lines as no still frame is blurred; warping the video's frame anew, moved back, does not.
    rng = np.random.default_rng(13)
    board = np.full((480, 480, 3), 40, np.uint8)
    for x in rng.choice(np.arange(20, 460, 4), 14, replace=False):
        board[rng.integers(0, 200):rng.integers(280, 480), x:x + 4] = 230
    for y in rng.choice(np.arange(20, 460, 4), 14, replace=False):
        board[y:y + 4, rng.integers(0, 200):rng.integers(280, 480)] = 230
    moves = [(0.0, 0.0), (2.6, -1.8), (-1.6, 3.4), (1.8, 1.0)]  # video pixels: a quarter of that canonical
    frames = np.stack([cv2.warpAffine(board, np.float32([[1, 0, dx], [0, 1, dy]]), (480, 480),
                                      flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT) for dx, dy in moves])
    warp = canonical.Warp(Video(frames, 16.0), np.array([[0.25, 0.0, 0.0], [0.0, 0.25, 0.0]]), (120, 120))
    canon = warp.frames()
    structure = canon.mean(axis=-1).astype(np.float32)
    resampled, shifts = canonical.stabilize(canon, structure, limit=4.8)
    anew, same = canonical.stabilize(canon, structure, limit=4.8, source=warp)

    assert np.array_equal(shifts, same) and shifts[1:] == pytest.approx(np.array(moves[1:]) / 4, abs=0.15)
    inner = (slice(10, -10), slice(10, -10))
    errors = []
    for t in (1, 2, 3):
        assert canonical.shake_corrected(shifts[t], 4.8)
        assert np.array_equal(anew[t], warp.moved_back(t, shifts[t]))
        errors.append([np.abs(out[t][inner].astype(int) - canon[0][inner]).mean() for out in (anew, resampled)])
    errors = np.array(errors)
    assert (errors[:, 0] < errors[:, 1]).all() and errors[:, 0].sum() < 0.8 * errors[:, 1].sum(), errors


def test_a_faint_peak_whose_box_sums_to_nearly_nothing_stays_at_the_peak():
    # The highest value sits among negative ones that nearly cancel it: OpenCV's weighted centroid divides
    # by a sum near zero and lands far outside the 5 x 5 box; the peak's own position is the shift then.
    correlation = np.zeros((72, 72), dtype=np.float32)
    correlation[38:43, 30:35] = -1.0
    correlation[40, 32] = 24.0
    correlation[41, 34], correlation[41, 30] = -0.5, -1.375  # the box sums to 1/8: the centroid at x = 46
    dx, dy = canonical._peak(correlation, (36.0, 36.0))
    assert (dx, dy) == (4.0, -4.0)


def test_a_sampled_sinc_peak_is_read_to_its_sub_pixel_place():
    # A whitened correlation of a shift a third of a pixel to the right: sinc(x - 1/3) at x = -1, 0, 1.
    correlation = np.zeros((72, 72), dtype=np.float32)
    correlation[40, 31:34] = np.sinc(np.array([-1.0, 0.0, 1.0]) - 1 / 3)
    dx, dy = canonical._peak(correlation, (36.0, 36.0))
    assert dx == pytest.approx(36.0 - (32 + 1 / 3), abs=1e-6) and dy == pytest.approx(-4.0)


def test_a_level_around_the_peak_is_no_shift():
    # Images that differ by more than a shift (a digit written on a still sudoku) add a level around the
    # peak on both sides. The ratio of the peak to its larger neighbour alone read 0.05 / 1.05 px here.
    correlation = np.zeros((72, 72), dtype=np.float32)
    correlation[39:42, 31:34] = 0.05
    correlation[40, 32] = 1.0
    correlation[40, 33] = 0.051  # a hair larger on the right: still next to no shift
    dx, dy = canonical._peak(correlation, (36.0, 36.0))
    assert abs(dx - 4.0) < 0.001 and dy == pytest.approx(-4.0)
