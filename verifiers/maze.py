"""The regular maze: walls are whole grid cells; the agent walks open cells to the goal."""

from __future__ import annotations

from verifiers.grid_agent import GridAgentVerifier


class MazeVerifier(GridAgentVerifier):
    """Strict judge of a regular maze video: legal moves only, board intact, goal reached and held."""

    name = "maze"
    version = "1"
    blocked_name = "wall"
