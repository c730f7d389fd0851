"""The trap field: an open grid whose trap cells the agent must never enter."""

from __future__ import annotations

import numpy as np

from puzzles.grid import GridLayout
from verifiers.grid_agent import GridAgentVerifier

TRAP = "T"  # the layout code of a trap cell (see puzzles.trapfield)


class TrapfieldVerifier(GridAgentVerifier):
    """Strict judge of a trap field video: never onto a trap, board intact, goal reached and held.

    Walls are blocked too, should a layout have any, so the same judge serves a
    field with walls and traps.
    """

    name = "trapfield"
    version = "1"
    blocked_name = "trap"
    code_names = {**GridAgentVerifier.code_names, TRAP: "a trap"}

    def blocked(self, layout: GridLayout) -> np.ndarray:
        traps = np.array([[ch == TRAP for ch in row] for row in layout.cells], dtype=bool)
        return traps | layout.wall_mask()
