"""Which blob colours the look tracker reads as the agent."""

import numpy as np
import pytest

from verifiers import tracking

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
