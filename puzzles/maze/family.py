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


from genreason.errors import UnknownName
from genreason.types import Puzzle
from puzzles.grid import FLOOR, WALL
from puzzles.grid_agent import GridAgentFamily
from puzzles.maze.carve import make_maze
from puzzles.skins import SKINS, Skin, get_skin

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

    def cell_colours(self, look: Skin) -> dict[str, tuple[int, int, int]]:
        return {WALL: look.wall, FLOOR: look.floor}


def prompt_for(skin: Skin) -> str:
    """The maze prompt in the words of ``skin``."""
    return PROMPT.format(agent=skin.agent_words, goal=skin.goal_words, floor=skin.floor_name,
                         wall=skin.wall_name)

