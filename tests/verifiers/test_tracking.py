"""Which blob colours the look tracker reads as the agent, and where it looks again for a faint one."""

import numpy as np
import pytest

from verifiers import difference, tracking

RED = np.array([228.0, 37.0, 36.0], np.float32)  # the classic irregular skin's agent, as measured
WHITE = np.array([253.3, 254.2, 253.3], np.float32)
GREEN = np.array([44.0, 191.0, 58.5], np.float32)
# The classic irregular board: a white road, black ground, anti-aliased greys between, a green goal.
BOARD = np.array([[0.2, 0.2, 0.2], WHITE, [39.6, 39.6, 39.6], [71.2, 71.3, 71.3], [119.3, 119.6, 119.4],
                  [151.8, 152.1, 151.8], [199.1, 199.7, 199.2], GREEN], np.float32)
AREA = 21.0


def looks_like_agent(colour, area: float = AREA) -> bool:
    appearance = tracking.Appearance(np.zeros((8, 8, 3), np.uint8), RED, AREA, WHITE, GREEN, {}, BOARD, 40.0)
    return tracking._looks_like_agent(np.asarray(colour, np.float64), area, appearance)


def blend(a, b, share_of_b: float) -> np.ndarray:
    return (1 - share_of_b) * np.asarray(a, np.float64) + share_of_b * np.asarray(b, np.float64)


@pytest.mark.parametrize("share", [0.0, 0.1, 0.31, 0.45])
def test_the_agent_washed_into_the_road_is_the_agent(share):
    """``calibrate --n 6 --seed 3700``, agent-reshaped: a copy of the red agent drawn 80% as wide, blurred into
    the white road, read (236, 105, 106), 31% road. That is nearer the board's grey (119, 119, 119) than the
    agent's red, and passed as no agent: the copy was accepted."""
    assert looks_like_agent(blend(RED, WHITE, share))
    assert looks_like_agent(blend(RED, GREEN, share))


def test_the_copy_as_measured_is_the_agent():
    assert looks_like_agent([236.5, 105.0, 106.0])


@pytest.mark.parametrize("share", [0.6, 0.8, 1.0])
def test_more_board_than_agent_is_the_board(share):
    assert not looks_like_agent(blend(RED, WHITE, share))


@pytest.mark.parametrize("colour", [BOARD[4], blend(GREEN, WHITE, 0.5), blend(GREEN, BOARD[0], 0.4),
                                    blend(WHITE, BOARD[0], 0.3)])
def test_board_colours_and_their_blends_are_not_the_agent(colour):
    """A shifted edge between two board colours (the goal and the road, a road's rim) is the board's."""
    assert not looks_like_agent(colour)


def test_a_blob_far_from_the_agents_size_is_not_the_agent():
    assert looks_like_agent(RED, AREA)
    assert not looks_like_agent(RED, tracking.MIN_AREA_RATIO * AREA * 0.9)
    assert not looks_like_agent(RED, tracking.MAX_AREA_RATIO * AREA * 1.1)


MAGENTA = np.array([250.0, 5.0, 250.0], np.float32)
GREY = 30
STEP = 2  # pixels the agent walks a frame


def _faint_walk(faint_frames: range, mark: tuple[int, int] | None = None, faint: float | None = 0.6):
    """An agent (a 6 x 6 magenta square) walking right on a grey board; in ``faint_frames`` it is drawn 55%
    magenta, under the threshold, or, with ``mark``, gone and drawn so faintly at ``mark`` (row, column)."""
    background = np.full((40, 64, 3), GREY, np.uint8)
    frames = np.repeat(background[None], 10, axis=0)
    faint_colour = np.round(GREY + 0.55 * (MAGENTA - GREY)).astype(np.uint8)
    for t, frame in enumerate(frames):
        row, col = (10, 6 + STEP * t) if mark is None or t not in faint_frames else mark
        frame[row:row + 6, col:col + 6] = faint_colour if t in faint_frames else MAGENTA
    smoothed = tracking.smooth(frames)
    # A threshold over the faint agent's difference from the board (256) and under 1/0.6 of it.
    look = tracking.Appearance(background, MAGENTA, 36.0, np.full(3, GREY, np.float32), None, {},
                               tracking.dominant_colours(background), 300.0)
    return tracking.follow_agent(smoothed, difference.Difference(smoothed, background), look, (9.0, 13.0), 8.0,
                                 faint=faint)[0]


def test_a_faint_agent_is_found_near_its_last_sighting():
    """calibrate --seed 3400, agent-reshaped+h264-low: a small agent washed into its block at low bitrate,
    under the threshold for whole runs of frames, was lost and a 3D maze oracle rejected."""
    faint_frames = range(3, 7)
    got = _faint_walk(faint_frames)
    assert all(p is not None for p in got)
    assert [round(p[0]) - STEP * t for t, p in enumerate(got)] == [9] * len(got)  # where it walked
    unsearched = _faint_walk(faint_frames, faint=None)
    assert [t for t, p in enumerate(unsearched) if p is None] == list(faint_frames)


def test_a_faint_mark_away_from_the_agent_is_not_the_agent():
    """A faint agent-coloured mark farther from the last sighting than the agent can walk is no sighting:
    found, it would hide the agent vanishing or jumping."""
    got = _faint_walk(range(3, 6), mark=(28, 50))
    assert [t for t, p in enumerate(got) if p is None] == [3, 4, 5]
    assert all(p is not None for t, p in enumerate(got) if t not in (3, 4, 5))


def _walk_past(copy_at: tuple[int, int] | None, rung: bool = False):
    """An agent (6 x 6 magenta) walking right on a grey board past ``copy_at`` (row, column of a second one, or
    None); with ``rung``, a grey line a pixel wide cuts the agent in two halves in every frame."""
    background = np.full((40, 64, 3), GREY, np.uint8)
    frames = np.repeat(background[None], 8, axis=0)
    for t, frame in enumerate(frames):
        col = 6 + 3 * t
        frame[10:16, col:col + 6] = MAGENTA
        if rung:
            frame[12, col:col + 6] = GREY
        if copy_at is not None and 2 <= t <= 4:
            frame[copy_at[0]:copy_at[0] + 6, copy_at[1]:copy_at[1] + 6] = MAGENTA
    smoothed = tracking.smooth(frames)
    look = tracking.Appearance(background, MAGENTA, 36.0, np.full(3, GREY, np.float32), None, {},
                               tracking.dominant_colours(background), 300.0)
    return tracking.follow_agent(smoothed, difference.Difference(smoothed, background), look, (9.0, 13.0), 12.0)


def test_a_copy_that_stays_within_the_copy_distance_is_still_a_copy():
    """calibrate --n 1 --seed 5200, easy 3D maze, fps-drop: a copy drawn on the agent's way showed only beside the
    agent (each a whole agent, 8 px apart, the copy distance 12) or merged with it, and was accepted. Two whole
    agents side by side are two; one agent cut in two by a ladder's rung is one."""
    positions, duplicated, _ = _walk_past((18, 18))  # under the agent's path, 8 px below it
    assert all(p is not None for p in positions)
    assert duplicated == [False, False, True, True, True, False, False, False]
    assert _walk_past((18, 50))[1][2:5] == [True] * 3  # farther than the copy distance, as before
    positions, duplicated, _ = _walk_past(None, rung=True)
    assert all(p is not None for p in positions) and not any(duplicated)
