"""The irregular maze family: curved roads joining the nodes of a random planar graph, with dead ends.

Follows VR-Bench's ``pathfinder`` game (roads along a random graph, road width
60/50/36 px at 1024 px, solutions of at least 4/6/7 nodes) on a 512 x 512
frame. The agent starts on one node and must drive along the roads to the goal
node; the reference solution is the shortest road route, and the oracle drives
its centre line at constant speed.
"""

from __future__ import annotations

import numpy as np

from genreason.errors import UnknownName
from genreason.plugins import NotApplicable
from genreason.types import Puzzle
from puzzles.animate import glide
from puzzles.irregular.draw import (
    SKINS,
    RoadSkin,
    agent_sprite,
    board,
    get_skin,
    goal_sprite,
)
from puzzles.irregular.layout import RoadLayout
from puzzles.irregular.network import FRAME, ROAD_WIDTH, make_network
from puzzles.negatives import Case, with_agent_restyle

MOTIONS = ("solution", "straight-line", "random-walk")
STEP_WIDTHS = 2.0  # one animation "step" is this many road widths of travel

PROMPT = ("The {agent} is the agent. Drive it along the {road} roads to the {goal}, keeping to the road "
          "surface and never crossing the {ground} between roads. Stop on the {goal}.")


class IrregularFamily:
    """Irregular mazes: drive the agent along curved roads from its start node to the goal node.

    Motions (:meth:`animate`): ``solution``, ``straight-line`` and ``random-walk``.
    """

    name = "irregular"
    version = "1"
    difficulties = tuple(ROAD_WIDTH)
    skins = tuple(SKINS)
    verifier = "irregular"

    def generate(self, seed: int, difficulty: str, skin: str, puzzle_id: str) -> Puzzle:
        """Build the puzzle for ``seed``; the same arguments always give the same bytes on disk.

        Args:
            seed: drives the network, the start and goal, and the ground's texture.
            difficulty: ``easy``, ``medium`` or ``hard`` (road width 30/25/18 px, routes of 4/6/7+ nodes).
            skin: one of :attr:`skins`; it changes colours, textures and words, never the network.
            puzzle_id: stored as the puzzle's ``id``.
        """
        if difficulty not in ROAD_WIDTH:
            raise UnknownName("irregular maze difficulty", difficulty, list(ROAD_WIDTH))
        look = get_skin(skin)
        net = make_network(difficulty, seed)
        start, goal = net.nodes[net.start], net.nodes[net.goal]
        layout = RoadLayout(road_width=net.road_width, nodes=net.nodes, edges=net.edges,
                            curves=[[(float(x), float(y)) for x, y in c] for c in net.curves],
                            start=net.start, goal=net.goal,
                            agent_box=agent_sprite(look, net.road_width).box(start),
                            goal_box=goal_sprite(look, net.road_width).box(goal))
        image = board(layout, look, (FRAME, FRAME), seed)
        agent_sprite(look, net.road_width).paste(image, start)
        return Puzzle(id=puzzle_id, family=self.name, family_version=self.version, difficulty=difficulty,
                      skin=skin, seed=seed, prompt=prompt_for(look), width=FRAME, height=FRAME,
                      layout=layout.model_dump(mode="json"), solution={"nodes": net.route}, image=image)

    def look(self, skin: str) -> RoadSkin:
        return get_skin(skin)

    def empty_board(self, puzzle: Puzzle) -> np.ndarray:
        """The puzzle's board without the agent (what every animation frame is drawn over)."""
        layout = RoadLayout.model_validate(puzzle.layout)
        return board(layout, self.look(puzzle.skin), (puzzle.width, puzzle.height), puzzle.seed)

    def animate(self, puzzle: Puzzle, motion: str, *, seed: int, frames_per_step: int,
                hold_frames: int, num_frames: int | None) -> np.ndarray:
        """Frames (T x H x W x 3 uint8) of the agent driving over the puzzle's board.

        Args:
            puzzle: a puzzle of this family.
            motion: ``solution`` (the reference route's centre line), ``straight-line``
                (start to goal across anything) or ``random-walk`` (a seeded drive along
                roads, node to node, as many roads as the reference has).
            seed: seeds the random walk; the other motions ignore it.
            frames_per_step, hold_frames, num_frames: timing (see :func:`puzzles.animate.timeline`);
                a step is :data:`STEP_WIDTHS` road widths of travel.

        Raises:
            NotApplicable: for another motion, or a puzzle of another family.
        """
        if puzzle.family != self.name:
            raise NotApplicable(f"the {self.name} family cannot animate a {puzzle.family!r} puzzle ({puzzle.id})")
        if motion not in MOTIONS:
            raise NotApplicable(f"the {self.name} family has no motion {motion!r}; it knows {', '.join(MOTIONS)}")
        layout = RoadLayout.model_validate(puzzle.layout)
        route = [int(v) for v in puzzle.solution["nodes"]]
        if motion == "solution":
            points = layout.route(route)
        elif motion == "straight-line":
            points = np.array([layout.nodes[layout.start], layout.nodes[layout.goal]])
        else:
            points = layout.route(random_drive(layout, steps=len(route) - 1, seed=seed))
        return glide(self.empty_board(puzzle), agent_sprite(self.look(puzzle.skin), layout.road_width),
                     [tuple(p) for p in points], step_px=STEP_WIDTHS * layout.road_width,
                     frames_per_step=frames_per_step, hold_frames=hold_frames, num_frames=num_frames)

    def calibration_cases(self, puzzle: Puzzle, seed: int = 0, restyle: str | None = None) -> list[Case]:
        """Labelled videos of ``puzzle``: the reference and every near-miss that applies (see :mod:`.cases`).

        ``restyle`` redraws the agent (see :func:`puzzles.negatives.with_agent_restyle`).
        """
        from puzzles.irregular.cases import calibration_cases

        if puzzle.family != self.name:
            raise NotApplicable(f"the {self.name} family cannot draw cases of a {puzzle.family!r} puzzle ({puzzle.id})")
        return with_agent_restyle(puzzle, restyle, lambda: calibration_cases(self, puzzle, seed))


def random_drive(layout: RoadLayout, *, steps: int, seed: int) -> list[int]:
    """Nodes of a seeded drive along roads from the start: ``steps`` roads, not turning back unless at a dead end."""
    rng = np.random.default_rng(seed)
    graph = layout.graph()
    nodes = [layout.start]
    for _ in range(steps):
        options = sorted(graph.neighbors(nodes[-1]))
        if len(nodes) > 1 and len(options) > 1:
            options.remove(nodes[-2])
        if not options:
            break
        nodes.append(int(options[int(rng.integers(len(options)))]))
    return nodes


def prompt_for(skin: RoadSkin) -> str:
    """The irregular maze prompt in the words of ``skin``."""
    return PROMPT.format(agent=skin.agent_words, goal=skin.goal_words, road=skin.road_name,
                         ground=skin.ground_name)
