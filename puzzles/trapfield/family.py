"""The trapfield family: a seeded open grid with traps, drawn in one of several skins, and its motions.

Boards follow VR-Bench's trap field: 5, 7 and 11 cells a side with 20%, 30%
and 35% of the cells traps, for easy, medium and hard. The frame is 512 x 512
with the board centred on whole pixels, as for the maze
(:func:`puzzles.grid_agent.square_layout`). A trap fills its whole cell with
the skin's trap colour and carries a mark (a cross or spikes) in a second
colour, so it reads as a trap and never as plain floor, the agent or the goal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genreason.errors import UnknownName
from genreason.types import Puzzle
from puzzles.grid import FLOOR, GridLayout
from puzzles.grid_agent import GridAgentFamily
from puzzles.skins import (
    RGB,
    Look,
    Sprite,
    sprite_mask,
    sprite_size,
)
from puzzles.trapfield.field import TRAP, make_field

SIDES = {"easy": 5, "medium": 7, "hard": 11}
DENSITIES = {"easy": 0.2, "medium": 0.3, "hard": 0.35}
MARK_FRACTION = 0.7  # trap mark width over cell width

PROMPT = ("The {agent} is the agent. Walk it across the {floor} floor to the {goal}, one cell up, down, "
          "left or right at a time, and never step on a trap: the {traps}. Stop on the {goal}.")


@dataclass(frozen=True)
class TrapSkin(Look):
    """The look of a trap field: floor, agent and goal as any grid skin, plus the traps.

    Attributes:
        trap: the RGB colour that fills a trap cell.
        mark: the RGB colour of the mark drawn on it.
        mark_shape: one of :data:`puzzles.skins.MARK_SHAPES`.
        trap_words: how a prompt describes a trap, e.g. ``black cells marked with a red cross``.
    """

    trap: RGB
    mark: RGB
    mark_shape: str
    trap_words: str


SKINS: dict[str, TrapSkin] = {s.name: s for s in (
    TrapSkin("classic", floor=(255, 255, 255), background=(128, 128, 128), agent=(30, 80, 230),
             goal=(30, 170, 60), agent_shape="disc", goal_shape="square", floor_name="white",
             agent_colour="blue", goal_colour="green", trap=(24, 24, 24), mark=(220, 30, 30),
             mark_shape="cross", trap_words="black cells marked with a red cross"),
    TrapSkin("lava", floor=(236, 226, 200), background=(70, 44, 30), agent=(0, 150, 210),
             goal=(120, 40, 170), agent_shape="diamond", goal_shape="star", floor_name="pale sand",
             agent_colour="sky-blue", goal_colour="purple", trap=(240, 100, 20), mark=(110, 20, 10),
             mark_shape="spikes", trap_words="orange lava cells with dark red spikes"),
    TrapSkin("neon", floor=(16, 16, 48), background=(0, 0, 0), agent=(0, 235, 255),
             goal=(60, 230, 60), agent_shape="triangle", goal_shape="ring", floor_name="dark blue",
             agent_colour="cyan", goal_colour="green", trap=(100, 0, 150), mark=(255, 60, 160),
             mark_shape="cross", trap_words="purple cells marked with a pink cross"),
    TrapSkin("paper", floor=(246, 240, 224), background=(196, 184, 160), agent=(215, 0, 140),
             goal=(0, 150, 136), agent_shape="square", goal_shape="flag", floor_name="cream",
             agent_colour="magenta", goal_colour="teal", trap=(72, 84, 112), mark=(250, 200, 40),
             mark_shape="spikes", trap_words="slate cells with yellow spikes"),
)}


class TrapfieldFamily(GridAgentFamily[TrapSkin]):
    """Open grids with traps: walk the agent from its edge cell to the farthest reachable cell.

    Motions (:meth:`animate`): ``solution``, ``straight-line`` (through traps)
    and ``random-walk`` (never onto a trap).
    """

    name = "trapfield"
    version = "1"
    difficulties = tuple(SIDES)
    skins = tuple(SKINS)
    verifier = "trapfield"
    blocked = TRAP
    blocked_name = "trap"

    def generate(self, seed: int, difficulty: str, skin: str, puzzle_id: str) -> Puzzle:
        """Build the puzzle for ``seed``; the same arguments always give the same bytes on disk.

        Args:
            seed: drives where the traps fall and the choice of start.
            difficulty: ``easy``, ``medium`` or ``hard`` (5, 7 or 11 cells a side;
                20%, 30% or 35% traps).
            skin: one of :attr:`skins`; it changes colours, shapes and prompt words, never the field.
            puzzle_id: stored as the puzzle's ``id``.
        """
        if difficulty not in SIDES:
            raise UnknownName("trapfield difficulty", difficulty, list(SIDES))
        field = make_field(SIDES[difficulty], DENSITIES[difficulty], seed)
        return self.assemble(puzzle_id, difficulty, skin, seed, field.cells, field.start, field.goal, field.path)

    def prompt(self, look: TrapSkin) -> str:
        return prompt_for(look)

    def look(self, skin: str) -> TrapSkin:
        if skin not in SKINS:
            raise UnknownName("trapfield skin", skin, list(SKINS))
        return SKINS[skin]

    def cell_colours(self, look: TrapSkin) -> dict[str, tuple[int, int, int]]:
        return {TRAP: look.trap, FLOOR: look.floor}

    def mark_cells(self, image: np.ndarray, layout: GridLayout, look: TrapSkin) -> None:
        """A cross or spikes over every trap."""
        mark = Sprite(sprite_mask(look.mark_shape, sprite_size(int(layout.cell_size), MARK_FRACTION)), look.mark)
        for r, row in enumerate(layout.cells):
            for c, code in enumerate(row):
                if code == TRAP:
                    mark.paste(image, layout.cell_center((r, c)))


def prompt_for(skin: TrapSkin) -> str:
    """The trapfield prompt in the words of ``skin``."""
    return PROMPT.format(agent=skin.agent_words, goal=skin.goal_words, floor=skin.floor_name,
                         traps=skin.trap_words)
