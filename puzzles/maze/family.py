"""The maze family: generate a seeded block maze, draw it, and animate motions over it.

Boards follow VR-Bench's "block" maze, where walls are whole cells: 7, 11 and
15 cells a side (walls included) for easy, medium and hard. The first frame is
512 x 512; cells are ``512 // n`` pixels (an integer, so every cell edge lies on
a pixel boundary) and the board is centred with an integer origin. The few
pixels of margin left around the board are drawn in the skin's *background*
colour, distinct from its wall colour, so the board's outline stays findable.

The goal sprite is part of the board; the agent sprite is drawn over it (and
over the goal when they overlap), so an animation is the empty board with the
agent composited at each frame's position.
"""

from __future__ import annotations

import numpy as np

from genreason.errors import UnknownName
from genreason.types import Puzzle
from puzzles.grid import FLOOR, WALL, GridLayout
from puzzles.grid_agent import FRAME_SIZE, GridAgentFamily
from puzzles.maze.carve import make_maze
from puzzles.skins import SKINS, Skin, get_skin, goal_sprite, paint_cells

SIZES = {"easy": 7, "medium": 11, "hard": 15}

PROMPT = ("The {agent} is the agent. Move it through the {floor} corridors to the {goal}, "
          "one cell at a time, without crossing the {wall} walls. Stop on the {goal}.")


class MazeFamily(GridAgentFamily[Skin]):
    """Perfect block mazes: walk the agent from its start room to the farthest open cell.

    Motions (:meth:`animate`): ``solution``, ``straight-line`` and ``random-walk``.
    """

    name = "maze"
    version = "1"
    difficulties = tuple(SIZES)
    skins = tuple(SKINS)
    verifier = "maze"
    blocked = WALL

    def generate(self, seed: int, difficulty: str, skin: str, puzzle_id: str) -> Puzzle:
        """Build the puzzle for ``seed``; the same arguments always give the same bytes on disk.

        Args:
            seed: drives the carving and the choice of start.
            difficulty: ``easy``, ``medium`` or ``hard`` (7, 11 or 15 cells a side).
            skin: one of :attr:`skins`; it changes colours, shapes and prompt words, never the maze.
            puzzle_id: stored as the puzzle's ``id``.
        """
        if difficulty not in SIZES:
            raise UnknownName("maze difficulty", difficulty, list(SIZES))
        maze = make_maze(SIZES[difficulty], seed)
        return self.assemble(puzzle_id, difficulty, skin, seed, maze.cells, maze.start, maze.goal, maze.path)

    def look(self, skin: str) -> Skin:
        return get_skin(skin, self.skins)

    def prompt(self, look: Skin) -> str:
        return prompt_for(look)

    def board(self, layout: GridLayout, look: Skin) -> np.ndarray:
        """The board without the agent: background margin, floor and walls, and the goal."""
        cell_size = int(layout.cell_size)
        image = np.empty((FRAME_SIZE, FRAME_SIZE, 3), dtype=np.uint8)
        image[:] = look.background
        origin = (int(layout.origin[0]), int(layout.origin[1]))
        paint_cells(image, layout.cells, origin, cell_size, {WALL: look.wall, FLOOR: look.floor})
        goal_sprite(look, cell_size).paste(image, layout.cell_center(layout.goal))
        return image


def prompt_for(skin: Skin) -> str:
    """The maze prompt in the words of ``skin``."""
    return PROMPT.format(agent=skin.agent_words, goal=skin.goal_words, floor=skin.floor_name,
                         wall=skin.wall_name)

