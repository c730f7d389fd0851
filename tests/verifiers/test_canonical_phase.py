"""Phase correlation against a cached reference spectrum measures what ``cv2.phaseCorrelate`` measures.

:class:`canonical.PhaseCorrelation` redoes OpenCV's steps with the reference's
spectrum computed once; only its division rounds differently, so its shifts
must agree with OpenCV's to far below the tolerances that use them. Checked on
seeded board-like images moved by sub-pixel amounts, with noise, at sizes whose
packed spectra have every layout (even and odd rows and columns), and through
:func:`canonical.stabilize`, which must still leave a real pan in place.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

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


@pytest.mark.parametrize("rows, cols", SIZES)
def test_shifts_are_phase_correlates(rows, cols):
    assert (cv2.getOptimalDFTSize(rows), cv2.getOptimalDFTSize(cols)) == (rows, cols)
    rng = np.random.default_rng(rows * cols)
    window = cv2.createHanningWindow((cols, rows), cv2.CV_32F)
    board = _board(rng, rows, cols)
    reference = board * window
    correlate = canonical.PhaseCorrelation(reference)
    moves = [(0.0, 0.0), (0.37, -0.81), (-1.5, 2.25), (3.1, 0.6), (-0.05, 0.02), (9.4, -7.7)]
    for (dx, dy), noise in zip(moves, [0.0, 2.0, 5.0, 0.5, 20.0, 1.0]):
        image = _moved(board, dx, dy, rng, noise) * window
        expected = cv2.phaseCorrelate(reference, image)[0]
        found = correlate(image)
        assert found == pytest.approx(expected, abs=1e-4)
        if noise < 10 and rows % 2 == 0 and cols % 2 == 0:  # (an odd size puts OpenCV's centre half a pixel off)
            assert found == pytest.approx((dx, dy), abs=0.5)  # and they measure the move itself


@pytest.mark.parametrize("rows, cols", [(81, 81), (37, 53), (160, 160)])
def test_windowed_padding_is_what_phase_correlate_does_to_any_size(rows, cols):
    """Sizes phaseCorrelate pads itself (81 and 37 and 53 are not fast DFT sizes): windowed into the padded
    buffer, the shifts are phaseCorrelate's with a Hanning window, and the images are left as they were."""
    rng = np.random.default_rng(rows + cols)
    board = _board(rng, rows, cols)
    window = cv2.createHanningWindow((cols, rows), cv2.CV_32F)
    windowed = canonical.WindowedPadding(cols, rows)
    correlate = canonical.PhaseCorrelation(windowed(board))
    for dx, dy in [(0.0, 0.0), (0.6, -1.3), (-2.4, 0.9)]:
        image = _moved(board, dx, dy, rng, 1.0)
        kept = image.copy()
        expected = cv2.phaseCorrelate(board.copy(), image.copy(), window)[0]  # it windows its inputs in place
        assert correlate(windowed(image)) == pytest.approx(expected, abs=1e-4)
        assert np.array_equal(image, kept)


def test_an_empty_board_correlates_as_opencv_correlates_it():
    """Nothing to correlate (all zero: every value of the correlation ties): OpenCV's answer, the centre."""
    empty = np.zeros((48, 64), np.float32)
    assert canonical.PhaseCorrelation(empty)(empty) == pytest.approx(cv2.phaseCorrelate(empty, empty)[0])


def test_the_reference_is_never_changed():
    rng = np.random.default_rng(3)
    reference = _board(rng, 48, 48)
    kept = reference.copy()
    correlate = canonical.PhaseCorrelation(reference)
    first = correlate(_moved(reference, 1.2, 0.4, rng, 1.0))
    image = _moved(reference, -2.0, 1.0, rng, 1.0)
    assert correlate(image) == pytest.approx(cv2.phaseCorrelate(reference, image)[0], abs=1e-4)
    assert np.array_equal(reference, kept) and first != correlate(image)


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

    # The same shifts as phaseCorrelate on the same half-resolution images (padding and window its own).
    half = [cv2.pyrDown(s) for s in structure]
    window = cv2.createHanningWindow(half[0].shape[::-1], cv2.CV_32F)
    for shift, image in zip(shifts[1:], half[1:]):
        dx, dy = cv2.phaseCorrelate(half[0], image, window)[0]
        assert shift == pytest.approx((2 * dx, 2 * dy), abs=2e-4)
    assert shifts == pytest.approx(np.array(moves), abs=0.6)

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


def test_a_faint_peak_whose_box_sums_to_nearly_nothing_stays_at_the_peak():
    # The highest value sits among negative ones that nearly cancel it: OpenCV's weighted centroid divides
    # by a sum near zero and lands far outside the 5 x 5 box; the peak's own position is the shift then.
    correlation = np.zeros((72, 72), dtype=np.float32)
    correlation[38:43, 30:35] = -1.0
    correlation[40, 32] = 24.0
    correlation[41, 34], correlation[41, 30] = -0.5, -1.375  # the box sums to 1/8: the centroid at x = 46
    dx, dy = canonical._peak(correlation, (36.0, 36.0))
    assert (dx, dy) == (4.0, -4.0)


def test_a_clear_peak_keeps_its_sub_pixel_centroid():
    correlation = np.zeros((72, 72), dtype=np.float32)
    correlation[40, 32], correlation[40, 33] = 1.0, 0.5  # the centroid a third of the way to the right
    dx, dy = canonical._peak(correlation, (36.0, 36.0))
    assert dx == pytest.approx(36.0 - (32 + 1 / 3)) and dy == pytest.approx(-4.0)
