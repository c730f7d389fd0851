"""Alignment of the puzzle's first frame onto a video (:func:`verifiers.canonical.align`)."""

from __future__ import annotations

import numpy as np
import pytest

from genreason.calibrate import ENCODE_PRESET
from genreason.degrade import DEGRADATIONS, garbage_start, letterbox, resize
from genreason.plugins import load_family
from genreason.types import Video
from genreason.video import read_video, write_mp4
from verifiers import canonical


def _corners_off(puzzle_image: np.ndarray, video: Video, fit: str) -> float:
    """How far (video pixels) the aligned puzzle's corners lie from where the fit ``fit`` puts them."""
    ph, pw = puzzle_image.shape[:2]
    alignment = canonical.align(puzzle_image, video)
    assert alignment is not None
    truth = canonical._hypotheses(pw, ph, *video.size)[fit]
    corners = np.array([[0, 0, 1], [pw, 0, 1], [0, ph, 1], [pw, ph, 1]], np.float64)
    return float(np.abs(corners @ alignment.puzzle_to_video.T - corners @ truth.T).max())


@pytest.mark.parametrize("family", ["tangram", "maze3d", "sudoku"])
@pytest.mark.parametrize("size", [(832, 480), (480, 832), (1280, 720)])
def test_a_stretched_or_letterboxed_puzzle_is_aligned_to_a_fraction_of_a_pixel(family, size):
    """A dark tangram board, a 3D maze, a sudoku, stretched or letterboxed. Letterboxed, the shrunk frame mixes
    the board's border with the bars, and ECC, matching that border too, put the tangram's corners 6-9 video
    pixels (1.3-1.5% of the board's side) off, the others' 2-7. Stretched, a template of one size for every fit
    (up to 1.7 times the frame's resolution along one axis) and one scale for both axes of the shrunk frame
    (832x480 shrinks to 192x111, not 192x110.8) put them 1-4 pixels off. Now within half a pixel."""
    maker = load_family(family)
    frame = maker.generate(1000, "easy", maker.skins[0], f"{family}/easy/001000").frame0()
    width, height = size
    boxed = letterbox(Video(np.stack([frame, frame]), 16.0), width, height)
    assert _corners_off(frame, boxed, "letterbox") < 0.5
    stretched = resize(Video(np.stack([frame, frame]), 16.0), width, height)
    assert _corners_off(frame, stretched, "resize") < 0.5


def test_only_an_edge_beside_a_bar_loses_its_rim():
    rim = canonical.BAR_RIM
    # a square puzzle 100 px high letterboxed into a 192 x 100 image: bars left and right
    mask = canonical._beside_bars((100, 100), (100, 192), np.array([[1.0, 0, 46], [0, 1.0, 0]]))
    assert mask is not None and mask.shape == (100, 192)
    cols = np.flatnonzero(mask.any(axis=0))
    assert (cols[0], cols[-1]) == (46 + rim, 146 - rim - 1)
    assert mask[:, cols[0]].all()  # top and bottom, at the image's own edges, keep every row
    # stretched over the whole image, or cropped past it (or nearly so): no bars, no mask
    assert canonical._beside_bars((100, 100), (100, 192), np.array([[1.92, 0, 0], [0, 1.0, 0]])) is None
    assert canonical._beside_bars((100, 100), (100, 192), np.array([[2.0, 0, -4], [0, 2.0, -50]])) is None


@pytest.mark.parametrize("offset", [0.2, -0.2])
def test_an_edge_within_half_a_pixel_of_the_image_edge_is_no_bar(offset):
    init = np.array([[1.92, 0, offset], [0, 1.0, 0]])
    assert canonical._beside_bars((100, 100), (100, 192), init) is None


@pytest.mark.parametrize(("family", "difficulty", "seed"), [("irregular", "easy", 4500), ("tangram", "medium", 4501)])
def test_a_blank_frame_with_a_faint_trace_of_the_puzzle_is_not_its_first_frame(tmp_path, family, difficulty, seed):
    """Garbage frames, then the puzzle, stretched to 1280x720, through low-bitrate H.264 and written as calibrate
    writes it: the mid-grey frame came back holding two grey levels (std 0.0008 once shrunk) along the puzzle's
    outlines, ECC's normalised correlation took it for the puzzle, and the colours learned from it made 65
    calibration videos of five families unreadable (calibrate --seed 4500)."""
    maker = load_family(family)
    puzzle = maker.generate(seed, difficulty, maker.skins[0], f"{family}/{difficulty}/{seed:06d}")
    frames = maker.animate(puzzle, "solution", seed=0, frames_per_step=6, hold_frames=8, num_frames=40)[:6]
    degraded = DEGRADATIONS["h264-low"](resize(garbage_start(Video(np.stack(frames), 16.0)), 1280, 720))
    video = read_video(write_mp4(tmp_path / "garbage.mp4", degraded, preset=ENCODE_PRESET))
    alignment = canonical.align(puzzle.frame0(), video)
    assert alignment is not None and alignment.first_frame == 3
    assert _corners_off(puzzle.frame0(), video, "resize") < 0.5
