"""What the families where one agent walks a square grid share (maze, trapfield).

The grid logic (the graph of cells the agent may stand on, the farthest cell,
a seeded random walk), the square 512 x 512 board with its sprites, and the
motions the oracle and baselines ask for. A family says which cell codes block
the agent and how its empty board looks; :class:`GridAgentFamily` does the rest.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

import networkx as nx
import numpy as np

from genreason.types import Puzzle
from puzzles.animate import glide, require_motion, require_own
from puzzles.grid import WALL, Cell, GridLayout
from puzzles.negatives import Case, calibration_cases, with_agent_restyle
from puzzles.skins import Look, agent_sprite, goal_sprite, paint_cells

FRAME_SIZE = 512
MOTIONS = ("solution", "straight-line", "random-walk")

LookT = TypeVar("LookT", bound=Look)


# --- grid logic -------------------------------------------------------------------------

def open_graph(cells: list[str], blocked: str = WALL) -> nx.Graph:
    """The 4-neighbour graph of the cells whose code is not one of ``blocked``."""
    graph = nx.Graph()
    for r, row in enumerate(cells):
        for c, ch in enumerate(row):
            if ch in blocked:
                continue
            graph.add_node((r, c))
            if r > 0 and cells[r - 1][c] not in blocked:
                graph.add_edge((r - 1, c), (r, c))
            if c > 0 and row[c - 1] not in blocked:
                graph.add_edge((r, c - 1), (r, c))
    return graph


def farthest(graph: nx.Graph, start: Cell) -> Cell:
    """The cell farthest from ``start`` by shortest path; ties go to the smallest ``(row, col)``."""
    dist = nx.single_source_shortest_path_length(graph, start)
    most = max(dist.values())
    goal: Cell = min(cell for cell, d in dist.items() if d == most)
    return goal


def random_walk(layout: GridLayout, *, steps: int, seed: int, blocked: str = WALL) -> list[Cell]:
    """``steps`` legal moves from the start, each to a uniformly chosen neighbour not coded ``blocked``."""
    rng = np.random.default_rng(seed)
    cells: list[Cell] = [layout.start]
    for _ in range(steps):
        r, c = cells[-1]
        options = [n for n in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
                   if layout.inside(n) and layout.code(n) not in blocked]
        if not options:  # a start shut in on all sides: nothing legal to do
            break
        cells.append(options[int(rng.integers(len(options)))])
    return cells


# --- the square board -------------------------------------------------------------------

def square_layout(cells: list[str], start: Cell, goal: Cell, look: Look) -> GridLayout:
    """The layout of an n x n grid centred in the frame, with the boxes of the sprites as drawn.

    Cells are ``FRAME_SIZE // n`` pixels (an integer, so every cell edge lies on
    a pixel boundary) and the origin is an integer too.
    """
    n = len(cells)
    cell_size = FRAME_SIZE // n
    offset = (FRAME_SIZE - n * cell_size) // 2
    layout = GridLayout(rows=n, cols=n, cell_size=cell_size, origin=(offset, offset), cells=cells,
                        start=start, goal=goal, agent_box=(0, 0, 0, 0), goal_box=(0, 0, 0, 0))
    # The boxes are those of the sprites as drawn, and placing a sprite needs the layout's geometry.
    return layout.model_copy(update={
        "agent_box": agent_sprite(look, cell_size).box(layout.cell_center(start)),
        "goal_box": goal_sprite(look, cell_size).box(layout.cell_center(goal)),
    })


class GridAgentFamily(Generic[LookT]):
    """Draws and animates one agent on a square grid; subclasses generate boards and say what blocks.

    Subclasses set the :class:`genreason.plugins.PuzzleFamily` attributes, the
    cell codes in :attr:`blocked` and implement :meth:`look` and :meth:`board`.
    """

    name: ClassVar[str]
    version: ClassVar[str]
    blocked: ClassVar[str] = WALL  # cell codes the agent may not enter
    blocked_name: ClassVar[str] = "wall"  # the word for a blocked cell, and the look's attribute with its colour

    def look(self, skin: str) -> LookT:
        """The skin called ``skin``; :class:`genreason.errors.UnknownName` otherwise."""
        raise NotImplementedError

    def cell_colours(self, look: LookT) -> dict[str, tuple[int, int, int]]:
        """The fill colour of each cell code."""
        raise NotImplementedError

    def mark_cells(self, image: np.ndarray, layout: GridLayout, look: LookT) -> None:
        """Draw marks over cells (a trap's cross, say); none by default."""

    def board(self, layout: GridLayout, look: LookT) -> np.ndarray:
        """The empty board (FRAME_SIZE x FRAME_SIZE x 3 uint8): margin, cells, their marks and the goal."""
        cell_size = int(layout.cell_size)
        image = np.empty((FRAME_SIZE, FRAME_SIZE, 3), dtype=np.uint8)
        image[:] = look.background
        origin = (int(layout.origin[0]), int(layout.origin[1]))
        paint_cells(image, layout.cells, origin, cell_size, self.cell_colours(look))
        self.mark_cells(image, layout, look)
        goal_sprite(look, cell_size).paste(image, layout.cell_center(layout.goal))
        return image

    def prompt(self, look: LookT) -> str:
        """The task in words, naming what this skin shows."""
        raise NotImplementedError

    def assemble(self, puzzle_id: str, difficulty: str, skin: str, seed: int, cells: list[str], start: Cell,
                 goal: Cell, path: list[Cell]) -> Puzzle:
        """The puzzle of a generated board: its layout, first frame, prompt and reference path."""
        look = self.look(skin)
        layout = square_layout(cells, start, goal, look)
        return Puzzle(
            id=puzzle_id, family=self.name, family_version=self.version, difficulty=difficulty,
            skin=skin, seed=seed, prompt=self.prompt(look), width=FRAME_SIZE, height=FRAME_SIZE,
            layout=layout.model_dump(mode="json"),
            solution={"path": [[r, c] for r, c in path]}, image=self.first_frame(layout, look))

    def first_frame(self, layout: GridLayout, look: LookT) -> np.ndarray:
        """The empty board with the agent on its start cell."""
        image = self.board(layout, look)
        agent_sprite(look, int(layout.cell_size)).paste(image, layout.cell_center(layout.start))
        return image

    def calibration_cases(self, puzzle: Puzzle, seed: int = 0, restyle: str | None = None) -> list[Case]:
        """Labelled videos of ``puzzle``: the reference solution and every near-miss that applies.

        See :func:`puzzles.negatives.calibration_cases`; used by ``genreason calibrate``.
        ``restyle`` redraws the agent (see :func:`puzzles.negatives.with_agent_restyle`).

        Raises:
            NotApplicable: for a puzzle of another family.
        """
        require_own(self.name, puzzle, "draw cases of")
        return with_agent_restyle(puzzle, restyle, lambda: calibration_cases(self, puzzle, seed))

    def animate(self, puzzle: Puzzle, motion: str, *, seed: int, frames_per_step: int,
                hold_frames: int, num_frames: int | None) -> np.ndarray:
        """Frames (T x H x W x 3 uint8) of the agent moving over the puzzle's board.

        Args:
            puzzle: a puzzle of this family (its layout and skin are used, not its pixels).
            motion: ``solution`` (the reference path, centre to centre),
                ``straight-line`` (start centre to goal centre through anything)
                or ``random-walk`` (legal moves chosen by ``seed``, as many as the
                reference path has).
            seed: seeds the random walk; the other motions ignore it.
            frames_per_step, hold_frames, num_frames: timing, see :func:`puzzles.animate.timeline`.

        Raises:
            NotApplicable: for another motion, or a puzzle of another family.
        """
        require_own(self.name, puzzle)
        require_motion(self.name, motion, MOTIONS)
        layout = GridLayout.model_validate(puzzle.layout)
        look = self.look(puzzle.skin)
        path = [(int(r), int(c)) for r, c in puzzle.solution["path"]]
        if motion == "solution":
            cells = path
        elif motion == "straight-line":
            cells = [layout.start, layout.goal]
        else:
            cells = random_walk(layout, steps=len(path) - 1, seed=seed, blocked=self.blocked)
        return glide(self.board(layout, look), agent_sprite(look, int(layout.cell_size)),
                     [layout.cell_center(cell) for cell in cells], step_px=layout.cell_size,
                     frames_per_step=frames_per_step, hold_frames=hold_frames, num_frames=num_frames)
