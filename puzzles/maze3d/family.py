"""The 3D maze family: platforms of stacked cubes joined by ladders, seen in a fixed isometric view.

Worlds are 6x6x5, 8x8x7 and 10x10x9 (x, y, levels) for easy, medium and hard,
as VR-Bench's; the route from start to goal climbs or descends at least 1, 2
or 3 ladders. The first frame is 512 x 512. See :mod:`puzzles.maze3d.layout`
for the rules and the projection, :mod:`puzzles.maze3d.world` for generation.
"""

from __future__ import annotations

from typing import Any

import cv2
import networkx as nx
import numpy as np

from genreason.errors import UnknownName
from genreason.plugins import NotApplicable
from genreason.types import Puzzle
from puzzles.animate import glide
from puzzles.maze3d import draw
from puzzles.maze3d.layout import Cell, Maze3DLayout, isometric, place_labels
from puzzles.maze3d.world import SIZES, World, make_world

FRAME_SIZE = 512
MOTIONS = ("solution", "straight-line", "random-walk")
MIN_VISIBLE = 0.85  # share of every top face that must show (shared edge pixels go to the face drawn later)

PROMPT = ("The {agent} stands on top of {blocks} built at different heights. Walk it across the tops of "
          "the blocks to the block marked with the {goal}. It may step only onto a neighbouring block of "
          "the same height, and it changes height only by climbing up or down a ladder; it never jumps "
          "or falls. Stop on the {goal}.")


def layout_of(world: World, skin: draw.Skin3D) -> Maze3DLayout:
    """The layout of ``world`` drawn with our projection in a 512 x 512 frame."""
    projection, step = isometric(world.size, FRAME_SIZE)
    layout = Maze3DLayout(size=world.size, heights=world.heights, ladders=world.ladders, start=world.start,
                          goal=world.goal, projection=projection, step_px=step,
                          agent_box=(0, 0, 0, 0), goal_box=(0, 0, 0, 0))
    sprite = draw.agent_sprite(skin, layout)
    return layout.model_copy(update={"agent_box": sprite.box(layout.top_centre(world.start)),
                                     "goal_box": sprite.box(layout.top_centre(world.goal))})


def acceptable(layout: Maze3DLayout) -> bool:
    """Every top face shows, and the straight image line from start to goal leaves the walkable faces."""
    labels = place_labels(layout, (FRAME_SIZE, FRAME_SIZE))
    areas = np.bincount(labels.ravel(), minlength=len(layout.places.items) + 1)
    for cell in layout.cells:
        full = np.zeros((FRAME_SIZE, FRAME_SIZE), np.uint8)
        cv2.fillPoly(full, [np.round(layout.top_face(cell) * 16).astype(np.int32).reshape(-1, 1, 2)], 1, shift=4)
        if areas[layout.places.index[cell] + 1] < MIN_VISIBLE * full.sum():
            return False
    walkable = cv2.dilate((labels > 0).astype(np.uint8), np.ones((7, 7), np.uint8))
    (x0, y0), (x1, y1) = layout.top_centre(layout.start), layout.top_centre(layout.goal)
    n = int(np.hypot(x1 - x0, y1 - y0)) + 2
    xs = np.clip(np.round(np.linspace(x0, x1, n)).astype(int), 0, FRAME_SIZE - 1)
    ys = np.clip(np.round(np.linspace(y0, y1, n)).astype(int), 0, FRAME_SIZE - 1)
    return bool((walkable[ys, xs] == 0).any())


def cell_graph(layout: Maze3DLayout) -> nx.Graph:
    """Cells joined by a legal move: same-level neighbours, and the two ends of each ladder."""
    graph = nx.Graph()
    graph.add_nodes_from(layout.cells)
    for x, y in layout.cells:
        for n in ((x + 1, y), (x, y + 1)):
            if layout.height(n) == layout.height((x, y)):
                graph.add_edge((x, y), n)
    for lad in layout.ladders:
        graph.add_edge(lad.low, lad.high)
    return graph


def random_route(layout: Maze3DLayout, steps: int, seed: int) -> list[Cell]:
    """``steps`` legal moves from the start, each to a uniformly chosen neighbour."""
    graph = cell_graph(layout)
    rng = np.random.default_rng(seed)
    cells = [layout.start]
    for _ in range(steps):
        options = sorted(graph.neighbors(cells[-1]))
        if not options:
            break
        cells.append(options[int(rng.integers(len(options)))])
    return cells


class Maze3DFamily:
    """3D mazes: walk the agent over block tops and ladders to the goal block.

    Motions (:meth:`animate`): ``solution``, ``straight-line`` and ``random-walk``.
    """

    name = "maze3d"
    version = "1"
    difficulties = tuple(SIZES)
    skins = tuple(draw.SKINS)
    verifier = "maze3d"

    def generate(self, seed: int, difficulty: str, skin: str, puzzle_id: str) -> Puzzle:
        """Build the puzzle for ``seed``; the same arguments always give the same bytes on disk.

        Args:
            seed: drives the world.
            difficulty: ``easy``, ``medium`` or ``hard``.
            skin: one of :attr:`skins` (colours, sprites and prompt words, never the world).
            puzzle_id: stored as the puzzle's ``id``.
        """
        if difficulty not in SIZES:
            raise UnknownName("maze3d difficulty", difficulty, list(SIZES))
        look = draw.get_skin(skin)
        world = make_world(difficulty, seed, lambda w: acceptable(layout_of(w, look)))
        layout = layout_of(world, look)
        image = self.frame(layout, look, layout.top_centre(layout.start))
        solution = {"path": [list(c) for c in world.route],
                    "waypoints": [[round(x, 3), round(y, 3)] for x, y in layout.route_points(world.route)]}
        prompt = PROMPT.format(agent=look.agent_words, goal=look.goal_words, blocks=look.block_words)
        return Puzzle(id=puzzle_id, family=self.name, family_version=self.version, difficulty=difficulty,
                      skin=skin, seed=seed, prompt=prompt, width=FRAME_SIZE, height=FRAME_SIZE,
                      layout=layout.model_dump(mode="json"), solution=solution, image=image)

    def frame(self, layout: Maze3DLayout, look: draw.Skin3D, at: tuple[float, float]) -> np.ndarray:
        return draw.frame_with_agent(draw.board(layout, look, FRAME_SIZE, FRAME_SIZE),
                                     draw.agent_sprite(look, layout), at)

    def animate(self, puzzle: Puzzle, motion: str, *, seed: int, frames_per_step: int, hold_frames: int,
                num_frames: int | None) -> np.ndarray:
        """Frames of ``motion``: the agent glides at constant speed over faces and along ladders.

        Raises:
            NotApplicable: another motion, or a puzzle of another family.
        """
        if puzzle.family != self.name:
            raise NotApplicable(f"the {self.name} family cannot animate a {puzzle.family!r} puzzle ({puzzle.id})")
        if motion not in MOTIONS:
            raise NotApplicable(f"the {self.name} family has no motion {motion!r}; it knows {', '.join(MOTIONS)}")
        layout = Maze3DLayout.model_validate(puzzle.layout)
        look = draw.get_skin(puzzle.skin)
        route = [(int(x), int(y)) for x, y in puzzle.solution["path"]]
        if motion == "solution":
            points = layout.route_points(route)
        elif motion == "straight-line":
            points = [layout.top_centre(layout.start), layout.top_centre(layout.goal)]
        else:
            points = layout.route_points(random_route(layout, len(route) - 1, seed))
        return glide(draw.board(layout, look, puzzle.width, puzzle.height), draw.agent_sprite(look, layout),
                     points, step_px=layout.step_px, frames_per_step=frames_per_step, hold_frames=hold_frames,
                     num_frames=num_frames)

    def calibration_cases(self, puzzle: Puzzle, seed: int, restyle: str | None = None) -> list[Any]:
        """The reference solution and this family's hard negatives (see :mod:`puzzles.maze3d.cases`).

        ``restyle`` redraws the agent (see :func:`puzzles.negatives.with_agent_restyle`).
        """
        from puzzles.maze3d.cases import calibration_cases
        from puzzles.negatives import with_agent_restyle

        return with_agent_restyle(puzzle, restyle, lambda: calibration_cases(puzzle, seed))
