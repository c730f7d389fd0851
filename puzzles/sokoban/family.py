"""The sokoban family: seeded box-pushing levels, drawn in one of several skins, and their motions.

VR-Bench's sokoban boards are 5, 8 and 12 cells with one box. Ours are 6, 8 and
10 cells a side, outer wall ring included (4x4, 6x6 and 8x8 cells of play),
with 2, 5 and 10 interior walls, one box and one target, and an optimal
solution of at least 2, 3 and 5 pushes for easy, medium and hard; the box never
starts in its target's row or column (see :mod:`puzzles.sokoban.level`). The
frame is 512 x 512 with the board centred on whole pixels, like the maze and
the trap field (:func:`puzzles.grid_agent.square_layout`).
"""

from __future__ import annotations

import numpy as np

from genreason.errors import UnknownName
from genreason.types import Puzzle
from puzzles.animate import require_motion, require_own
from puzzles.grid import FLOOR, WALL, Cell
from puzzles.grid_agent import FRAME_SIZE, MOTIONS, GridAgentFamily, square_layout
from puzzles.negatives import Case, with_agent_restyle
from puzzles.skins import agent_sprite, goal_sprite
from puzzles.sokoban import level as lv
from puzzles.sokoban.draw import SKINS, SokobanSkin, box_sprite, compose, get_skin
from puzzles.sokoban.layout import SokobanLayout
from puzzles.sokoban.motion import keyframes, positions

SIDES = {"easy": 6, "medium": 8, "hard": 10}
INTERIOR_WALLS = {"easy": 2, "medium": 5, "hard": 10}
MIN_PUSHES = {"easy": 2, "medium": 3, "hard": 5}

PROMPT = ("The {agent} is the player and the {box} must go onto the {goal}. Move the player across the "
          "{floor} floor one cell up, down, left or right at a time; it cannot enter the {wall} walls or "
          "walk through the box. Walking into the box pushes it one cell ahead, if that cell is free; "
          "the player can only push, never pull. Push the box onto the {goal} and stop there.")


class SokobanFamily(GridAgentFamily[SokobanSkin]):
    """Box pushing on a walled grid: the player pushes every box onto a target.

    Motions (:meth:`animate`): ``solution`` (the optimal reference, the box
    moving with the player on every push), ``straight-line`` (the player glides
    straight to the box and shoves it straight at the target, through anything)
    and ``random-walk`` (legal steps around the boxes, never pushing one).
    """

    name = "sokoban"
    version = "1"
    difficulties = tuple(SIDES)
    skins = tuple(SKINS)
    verifier = "sokoban"

    def generate(self, seed: int, difficulty: str, skin: str, puzzle_id: str) -> Puzzle:
        """Build the puzzle for ``seed``; the same arguments always give the same bytes on disk.

        Args:
            seed: drives the walls and where the player, box and target start.
            difficulty: ``easy``, ``medium`` or ``hard`` (6, 8 or 10 cells a side).
            skin: one of :attr:`skins`; it changes colours, shapes and prompt words, never the level.
            puzzle_id: stored as the puzzle's ``id``.
        """
        if difficulty not in SIDES:
            raise UnknownName("sokoban difficulty", difficulty, list(SIDES))
        look = self.look(skin)
        level = lv.make_level(SIDES[difficulty], INTERIOR_WALLS[difficulty], MIN_PUSHES[difficulty], seed)
        layout = self.layout_of(level, look)
        return Puzzle(
            id=puzzle_id, family=self.name, family_version=self.version, difficulty=difficulty, skin=skin,
            seed=seed, prompt=self.prompt(look), width=FRAME_SIZE, height=FRAME_SIZE,
            layout=layout.model_dump(mode="json"),
            solution={"path": [[r, c] for r, c in level.path],
                      "pushes": [{"step": p.step, "box": list(p.box), "to": list(p.to)} for p in level.pushes]},
            image=self.first_frame(layout, look))

    @staticmethod
    def layout_of(level: lv.Level, look: SokobanSkin) -> SokobanLayout:
        """The layout of ``level`` drawn in ``look`` (player, boxes and targets with their sprites' boxes)."""
        grid = square_layout(level.cells, level.player, level.targets[0], look)
        cell = int(grid.cell_size)
        return SokobanLayout(
            **grid.model_dump(), boxes=list(level.boxes), targets=list(level.targets),
            box_boxes=[box_sprite(look, cell).box(grid.cell_center(b)) for b in level.boxes],
            target_boxes=[goal_sprite(look, cell).box(grid.cell_center(t)) for t in level.targets])

    def look(self, skin: str) -> SokobanSkin:
        return get_skin(skin)

    def prompt(self, look: SokobanSkin) -> str:
        return prompt_for(look)

    def cell_colours(self, look: SokobanSkin) -> dict[str, tuple[int, int, int]]:
        return {WALL: look.wall, FLOOR: look.floor}

    def mark_cells(self, image: np.ndarray, layout, look: SokobanSkin) -> None:  # type: ignore[override]
        """Every target but the first (the board draws that one as the goal)."""
        for cell in getattr(layout, "targets", [])[1:]:
            goal_sprite(look, int(layout.cell_size)).paste(image, layout.cell_center(cell))

    def first_frame(self, layout, look: SokobanSkin) -> np.ndarray:  # type: ignore[override]
        """The empty board with the boxes and the player on their start cells."""
        players, boxes = keyframes(layout, [layout.start], [layout.boxes])
        return self.draw(layout, look, players, boxes)[0]

    def draw(self, layout: SokobanLayout, look: SokobanSkin, players: np.ndarray, boxes: np.ndarray,
             background: np.ndarray | None = None) -> np.ndarray:
        """Frames of the player at ``players`` (T x 2) and the boxes at ``boxes`` (T x N x 2) over the board."""
        cell = int(layout.cell_size)
        board = self.board(layout, look) if background is None else background
        return compose(board, agent_sprite(look, cell), box_sprite(look, cell), players, boxes)

    def animate(self, puzzle: Puzzle, motion: str, *, seed: int, frames_per_step: int,
                hold_frames: int, num_frames: int | None) -> np.ndarray:
        """Frames (T x H x W x 3 uint8) of the player and boxes moving over the puzzle's board.

        Args:
            puzzle: a puzzle of this family (its layout and skin are used, not its pixels).
            motion: ``solution``, ``straight-line`` or ``random-walk`` (see the class docstring).
            seed: seeds the random walk; the other motions ignore it.
            frames_per_step, hold_frames, num_frames: timing, see :func:`puzzles.animate.timeline`.

        Raises:
            NotApplicable: for another motion, or a puzzle of another family.
        """
        require_own(self.name, puzzle)
        require_motion(self.name, motion, MOTIONS)
        layout = SokobanLayout.model_validate(puzzle.layout)
        look = self.look(puzzle.skin)
        if motion == "solution":
            path = solution_path(puzzle)
            players, boxes = keyframes(layout, path, lv.replay(tuple(layout.boxes), path))
        elif motion == "straight-line":
            players, boxes = straight_shove(layout)
        else:
            path = walk_around(layout, steps=len(solution_path(puzzle)) - 1, seed=seed)
            players, boxes = keyframes(layout, path, [layout.boxes] * len(path))
        p, b = positions(players, boxes, step_px=layout.cell_size, frames_per_step=frames_per_step,
                         hold_frames=hold_frames, num_frames=num_frames)
        return self.draw(layout, look, p, b)

    def calibration_cases(self, puzzle: Puzzle, seed: int = 0, restyle: str | None = None) -> list[Case]:
        """The reference solution and every sokoban near-miss that applies (see :mod:`puzzles.sokoban.cases`).

        ``restyle`` redraws the player (see :func:`puzzles.negatives.with_agent_restyle`).

        Raises:
            NotApplicable: for a puzzle of another family.
        """
        require_own(self.name, puzzle, "draw cases of")
        from puzzles.sokoban.cases import sokoban_cases

        return with_agent_restyle(puzzle, restyle, lambda: sokoban_cases(self, puzzle, seed))


def prompt_for(skin: SokobanSkin) -> str:
    """The sokoban prompt in the words of ``skin``."""
    return PROMPT.format(agent=skin.agent_words, box=skin.box_words, goal=skin.goal_words,
                         floor=skin.floor_name, wall=skin.wall_name)


def solution_path(puzzle: Puzzle) -> list[Cell]:
    return [(int(r), int(c)) for r, c in puzzle.solution["path"]]


def straight_shove(layout: SokobanLayout) -> tuple[np.ndarray, np.ndarray]:
    """Keyframes of the rule-blind shove: the player glides straight to the first box, stopping a cell short
    on the side away from its target, then player and box glide straight on until the box covers the target."""
    start = np.array(layout.cell_center(layout.start))
    box = np.array(layout.cell_center(layout.boxes[0]))
    target = np.array(layout.cell_center(layout.targets[0]))
    d = (target - box) / np.linalg.norm(target - box)
    contact = box - d * layout.cell_size
    rest = [np.array(layout.cell_center(b)) for b in layout.boxes[1:]]
    players = np.stack([start, contact, target - d * layout.cell_size])
    boxes = np.stack([np.stack([box, *rest]), np.stack([box, *rest]), np.stack([target, *rest])])
    return players, boxes


def walk_around(layout: SokobanLayout, *, steps: int, seed: int) -> list[Cell]:
    """``steps`` seeded legal moves of the player that never push a box (boxes block like walls)."""
    rng = np.random.default_rng(seed)
    cells: list[Cell] = [layout.start]
    for _ in range(steps):
        r, c = cells[-1]
        options = [n for n in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1))
                   if layout.is_open(n) and n not in layout.boxes]
        if not options:
            break
        cells.append(options[int(rng.integers(len(options)))])
    return cells
