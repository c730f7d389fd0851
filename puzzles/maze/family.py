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
from genreason.plugins import NotApplicable
from genreason.types import Puzzle
from puzzles.animate import glide
from puzzles.grid import FLOOR, WALL, Cell, GridLayout
from puzzles.maze.carve import make_maze
from puzzles.skins import SKINS, Skin, agent_sprite, get_skin, goal_sprite, paint_cells

FRAME_SIZE = 512
SIZES = {"easy": 7, "medium": 11, "hard": 15}
MOTIONS = ("solution", "straight-line", "random-walk")

PROMPT = ("The {agent} is the agent. Move it through the {floor} corridors to the {goal}, "
          "one cell at a time, without crossing the {wall} walls. Stop on the {goal}.")


class MazeFamily:
    """Perfect block mazes: walk the agent from its start room to the farthest open cell."""

    name = "maze"
    version = "1"
    difficulties = tuple(SIZES)
    skins = tuple(SKINS)
    verifier = "maze"

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
        look = get_skin(skin, self.skins)
        n = SIZES[difficulty]
        maze = make_maze(n, seed)
        cell_size = FRAME_SIZE // n
        offset = (FRAME_SIZE - n * cell_size) // 2
        agent = agent_sprite(look, cell_size)
        layout = GridLayout(
            rows=n, cols=n, cell_size=cell_size, origin=(offset, offset), cells=maze.cells,
            start=maze.start, goal=maze.goal, agent_box=(0, 0, 0, 0), goal_box=(0, 0, 0, 0))
        # The boxes are those of the sprites as drawn, and placing a sprite needs the layout's geometry.
        layout = layout.model_copy(update={
            "agent_box": agent.box(layout.cell_center(maze.start)),
            "goal_box": goal_sprite(look, cell_size).box(layout.cell_center(maze.goal)),
        })
        image = _board(layout, look)
        agent.paste(image, layout.cell_center(maze.start))
        return Puzzle(
            id=puzzle_id, family=self.name, family_version=self.version, difficulty=difficulty,
            skin=skin, seed=seed, prompt=prompt_for(look), width=FRAME_SIZE, height=FRAME_SIZE,
            layout=layout.model_dump(mode="json"),
            solution={"path": [[r, c] for r, c in maze.path]}, image=image)

    def animate(self, puzzle: Puzzle, motion: str, *, seed: int, frames_per_step: int,
                hold_frames: int, num_frames: int | None) -> np.ndarray:
        """Frames (T x H x W x 3 uint8) of the agent moving over the puzzle's board.

        Args:
            puzzle: a maze puzzle (its layout and skin are used, not its pixels).
            motion: ``solution`` (the reference path, centre to centre),
                ``straight-line`` (start centre to goal centre through anything)
                or ``random-walk`` (legal moves chosen by ``seed``, as many as the
                reference path has).
            seed: seeds the random walk; the other motions ignore it.
            frames_per_step, hold_frames, num_frames: timing, see :func:`puzzles.animate.timeline`.

        Raises:
            NotApplicable: for another motion, or a puzzle of another family.
        """
        if puzzle.family != self.name:
            raise NotApplicable(f"the maze family cannot animate a {puzzle.family!r} puzzle ({puzzle.id})")
        if motion not in MOTIONS:
            raise NotApplicable(f"the maze family has no motion {motion!r}; it knows {', '.join(MOTIONS)}")
        layout = GridLayout.model_validate(puzzle.layout)
        look = get_skin(puzzle.skin, self.skins)
        cell_size = int(layout.cell_size)
        path = [(int(r), int(c)) for r, c in puzzle.solution["path"]]
        if motion == "solution":
            cells = path
        elif motion == "straight-line":
            cells = [layout.start, layout.goal]
        else:
            cells = random_walk(layout, steps=len(path) - 1, seed=seed)
        return glide(_board(layout, look), agent_sprite(look, cell_size),
                     [layout.cell_center(cell) for cell in cells], step_px=layout.cell_size,
                     frames_per_step=frames_per_step, hold_frames=hold_frames, num_frames=num_frames)


def prompt_for(skin: Skin) -> str:
    """The maze prompt in the words of ``skin``."""
    return PROMPT.format(agent=skin.agent_words, goal=skin.goal_words, floor=skin.floor_name,
                         wall=skin.wall_name)


def random_walk(layout: GridLayout, *, steps: int, seed: int) -> list[Cell]:
    """``steps`` legal moves from the start, each to a uniformly chosen open neighbour."""
    rng = np.random.default_rng(seed)
    cells: list[Cell] = [layout.start]
    for _ in range(steps):
        options = layout.neighbours(cells[-1])
        if not options:  # a start walled in on all sides: nothing legal to do
            break
        cells.append(options[int(rng.integers(len(options)))])
    return cells


def _board(layout: GridLayout, skin: Skin) -> np.ndarray:
    """The board without the agent: background margin, floor and walls, and the goal."""
    cell_size = int(layout.cell_size)
    image = np.empty((FRAME_SIZE, FRAME_SIZE, 3), dtype=np.uint8)
    image[:] = skin.background
    origin = (int(layout.origin[0]), int(layout.origin[1]))
    paint_cells(image, layout.cells, origin, cell_size, {WALL: skin.wall, FLOOR: skin.floor})
    goal_sprite(skin, cell_size).paste(image, layout.cell_center(layout.goal))
    return image
