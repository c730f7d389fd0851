"""Labelled videos of a grid-agent puzzle: the reference solution and near-misses that break one rule each.

Every video is drawn the way the family draws its own (its empty board, its
agent sprite, :mod:`puzzles.animate` for motion) and then edited: cells
repainted, frames cut, a sprite drawn twice, the camera moved. Verifier tests
and ``genreason calibrate`` build their hard negatives here.

The rule-breaking cell kind is the family's :attr:`GridAgentFamily.blocked`
code (walls in a maze, traps in a trap field); its colour on the board is the
look's attribute named :attr:`GridAgentFamily.blocked_name` (``wall``, ``trap``).
A negative that cannot be built on a given puzzle (no blocked cell with free
floor on both sides of it next to the path, no straight corridor of three
steps, ...) is left out of :func:`calibration_cases` rather than faked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import TYPE_CHECKING

import cv2
import networkx as nx
import numpy as np

from genreason.types import Puzzle
from puzzles.animate import render_glide, timeline
from puzzles.grid import FLOOR, WALL, Cell, GridLayout
from puzzles.skins import RGB, Look, Sprite, agent_restyled, agent_sprite, goal_sprite

if TYPE_CHECKING:
    from puzzles.grid_agent import GridAgentFamily

FPS = 16.0
HOLD = 6  # frames of rest on the goal at the end of a walk
FRAMES_PER_STEP = {"easy": 3}  # frames per grid step by difficulty; others get DEFAULT_FRAMES_PER_STEP
DEFAULT_FRAMES_PER_STEP = 2
STATIC_FRAMES = 41
VANISH_FRAMES = 10  # at 16 fps: 0.625 s, well over the verifiers' 0.2 s allowance
DUPLICATE_FRAMES = 6
BLOCKED_REST_STEPS = 2  # steps' worth of frames the agent rests on a blocked cell it steps onto

Point = tuple[float, float]


@dataclass(frozen=True)
class Case:
    """One labelled video of a puzzle.

    Attributes:
        name: what the video shows, e.g. ``oracle``, ``wall-glide``, ``camera-pans``.
        frames: T x H x W x 3 uint8 RGB.
        fps: its frame rate.
        legal: the truth: whether the video shows a legal solution.
        single_frame: the violation is visible in one frame (or between two
            consecutive frames) only, so a degradation that drops frames can
            erase it and with it the reason for the label.
    """

    name: str
    frames: np.ndarray
    fps: float
    legal: bool
    single_frame: bool = False


def with_agent_restyle(puzzle: Puzzle, restyle: str | None, draw: Callable[[], list[Case]]) -> list[Case]:
    """The cases ``draw()`` makes, with the agent restyled from the second frame on when ``restyle`` is given.

    ``restyle`` names one of :data:`puzzles.skins.AGENT_RESTYLES`. Frame 0 stays
    the puzzle's own first frame (every case starts on it), as a model is given
    the puzzle and redraws the agent only in the frames it makes. What the case
    shows, and so its label, is unchanged.
    """
    if restyle is None:
        return draw()
    with agent_restyled(restyle):
        cases = draw()
    first = puzzle.frame0()[None]
    return [replace(case, frames=np.concatenate([first, case.frames[1:]])) for case in cases]


@dataclass(frozen=True, eq=False)  # hashed by identity: scenes are read-only and cached by callers
class Scene:
    """A grid-agent puzzle and the pieces its family draws it with.

    Attributes:
        puzzle: the puzzle.
        layout: its grid layout.
        look: its skin.
        board: the empty board (everything but the agent), H x W x 3 uint8.
        sprite: the agent sprite as the family draws it.
        blocked: the cell codes the agent may not enter.
        blocked_colour: the colour a blocked cell is filled with.
        frames_per_step: the pace of walks (frames per grid step).
        hold: frames of rest at the end of a walk.
        fps: the frame rate of the videos.
    """

    puzzle: Puzzle
    layout: GridLayout
    look: Look
    board: np.ndarray
    sprite: Sprite
    blocked: str = WALL
    blocked_colour: RGB = (24, 24, 24)
    frames_per_step: int = DEFAULT_FRAMES_PER_STEP
    hold: int = HOLD
    fps: float = FPS

    @property
    def path(self) -> list[Cell]:
        """The reference (shortest) path from start to goal."""
        return [(int(r), int(c)) for r, c in self.puzzle.solution["path"]]

    @property
    def cell_px(self) -> int:
        return int(self.layout.cell_size)

    def centre(self, cell: Cell) -> Point:
        return self.layout.cell_center(cell)

    def free(self, cell: Cell) -> bool:
        """Inside the grid and not blocked: a cell the agent may stand on."""
        return self.layout.inside(cell) and self.layout.code(cell) not in self.blocked


def make_scene(family: GridAgentFamily, puzzle: Puzzle, *, frames_per_step: int | None = None,
               hold: int = HOLD, fps: float = FPS) -> Scene:
    """The scene of ``puzzle`` as ``family`` draws it (pace by difficulty unless ``frames_per_step`` is given)."""
    layout = GridLayout.model_validate(puzzle.layout)
    look = family.look(puzzle.skin)
    board = family.board(layout, look)
    board.flags.writeable = False
    pace = frames_per_step or FRAMES_PER_STEP.get(puzzle.difficulty, DEFAULT_FRAMES_PER_STEP)
    return Scene(puzzle, layout, look, board, agent_sprite(look, int(layout.cell_size)),
                 blocked=family.blocked, blocked_colour=getattr(look, family.blocked_name),
                 frames_per_step=pace, hold=hold, fps=fps)


# --- motion and drawing ----------------------------------------------------------------------

def walk(sc: Scene, cells: Sequence[Cell], *, hold: int | None = None, frames_per_step: int | None = None,
         stop: Point | None = None) -> np.ndarray:
    """Agent centres (T x 2 pixels) gliding from cell centre to cell centre, as the family animates.

    Args:
        sc: the scene.
        cells: grid cells ``(row, col)`` to visit in order.
        hold: frames of rest at the end; the scene's when None.
        frames_per_step: frames per grid step; the scene's when None.
        stop: where the last move ends (pixels), instead of the last cell's centre.
    """
    points = [sc.centre(cell) for cell in cells]
    if stop is not None:
        points[-1] = stop
    return timeline(points, step_px=sc.layout.cell_size, hold_frames=sc.hold if hold is None else hold,
                    frames_per_step=frames_per_step or sc.frames_per_step)


def render(sc: Scene, positions: np.ndarray, *, sprite: Sprite | None = None,
           board: np.ndarray | None = None) -> np.ndarray:
    """Frames of ``sprite`` (default: the family's agent) at ``positions`` over ``board`` (default: empty board)."""
    return render_glide(sc.board if board is None else board, sprite or sc.sprite, positions)


def splice(before: np.ndarray, after: np.ndarray, start: int) -> np.ndarray:
    """``before`` up to frame ``start``, then ``after`` (same length): a change that happens mid-video."""
    if before.shape != after.shape:
        raise ValueError(f"cannot splice frames of shapes {before.shape} and {after.shape}")
    return np.concatenate([before[:start], after[start:]])


def paint_cells(sc: Scene, image: np.ndarray, cells: Sequence[Cell], colour: tuple[int, int, int]) -> np.ndarray:
    """A copy of ``image`` with whole grid cells filled with ``colour``."""
    out = image.copy()
    for cell in cells:
        x0, y0, x1, y1 = (int(v) for v in sc.layout.cell_box(cell))
        out[y0:y1, x0:x1] = colour
    return out


def moved_goal(sc: Scene, to: Cell) -> np.ndarray:
    """The empty board with the goal erased (floor) and drawn on cell ``to`` instead."""
    out = paint_cells(sc, sc.board, [sc.layout.goal], sc.look.floor)
    goal_sprite(sc.look, sc.cell_px).paste(out, sc.centre(to))
    return out


def paint_out(sc: Scene, frames: np.ndarray, span: range) -> np.ndarray:
    """A copy of ``frames`` where the frames in ``span`` show the empty board (the agent vanished)."""
    out = frames.copy()
    out[span.start:span.stop] = sc.board
    return out


def draw_copy(sc: Scene, frames: np.ndarray, at: Cell, span: range) -> np.ndarray:
    """A copy of ``frames`` with a second agent sprite drawn on cell ``at`` in the frames of ``span``."""
    out = frames.copy()
    for frame in out[span.start:span.stop]:
        sc.sprite.paste(frame, sc.centre(at))
    return out


def camera(frames: np.ndarray, *, shift: Point = (0.0, 0.0), zoom: float = 1.0) -> np.ndarray:
    """Move the camera progressively over the video, reaching ``shift`` and ``zoom`` on the last frame.

    Frame t is scaled about the image centre by ``1 + (zoom - 1) * t/(T-1)``
    and translated by ``shift * t/(T-1)`` pixels (x, y), edges replicated;
    frame 0 is unchanged.
    """
    t_max = max(1, len(frames) - 1)
    h, w = frames.shape[1:3]
    out = np.empty_like(frames)
    for t, frame in enumerate(frames):
        k = t / t_max
        m = cv2.getRotationMatrix2D((w / 2, h / 2), 0.0, 1.0 + (zoom - 1.0) * k)
        m[:, 2] += np.array([shift[0] * k, shift[1] * k])
        out[t] = cv2.warpAffine(frame, m, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return out


# --- grid geometry ---------------------------------------------------------------------------

def free_graph(sc: Scene) -> nx.Graph:
    """The 4-neighbour graph of the free cells."""
    from puzzles.grid_agent import open_graph  # grid_agent imports this module

    return open_graph(sc.layout.cells, blocked=sc.blocked)


def shortest(sc: Scene, a: Cell, b: Cell) -> list[Cell] | None:
    """The shortest legal cell path from ``a`` to ``b``; None when there is none."""
    try:
        return [(int(r), int(c)) for r, c in nx.shortest_path(free_graph(sc), a, b)]
    except (nx.NetworkXNoPath, nx.NodeNotFound):
        return None


@dataclass(frozen=True)
class Crossing:
    """A route that is legal except for one straight hop through a single blocked cell.

    Attributes:
        before: legal cells from the start up to the entry cell (included).
        wall: the blocked cell hopped through.
        after: legal cells from the exit cell (included) to the goal.
    """

    before: list[Cell]
    wall: Cell
    after: list[Cell]

    @property
    def cells(self) -> list[Cell]:
        return [*self.before, self.wall, *self.after]


def shortcut(sc: Scene) -> Crossing | None:
    """The hop over one blocked cell from a reference-path cell that shortens the route the most; None if none."""
    best: Crossing | None = None
    for i, entry in enumerate(sc.path):
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            wall, exit_ = (entry[0] + dr, entry[1] + dc), (entry[0] + 2 * dr, entry[1] + 2 * dc)
            if not (sc.layout.inside(wall) and not sc.free(wall) and sc.free(exit_)):
                continue
            rest = shortest(sc, exit_, sc.layout.goal)
            if rest is None:
                continue
            route = Crossing(sc.path[:i + 1], wall, rest)
            if best is None or len(route.cells) < len(best.cells):
                best = route
    return best


def blocked_beside_path(sc: Scene) -> tuple[int, Cell] | None:
    """The first reference-path cell with a blocked cell beside it inside the grid's border:
    (its index on the path, that cell); None if there is none."""
    layout = sc.layout
    for i, (r, c) in enumerate(sc.path[:-1]):
        for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1)):
            cell = (r + dr, c + dc)
            interior = 0 < cell[0] < layout.rows - 1 and 0 < cell[1] < layout.cols - 1
            if layout.inside(cell) and not sc.free(cell) and (interior or sc.blocked != WALL):
                return i, cell
    return None


def straight_run(path: Sequence[Cell], steps: int) -> int | None:
    """Index ``k`` of the first stretch ``path[k..k+steps]`` that is one straight line; None if none."""
    for k in range(len(path) - steps):
        dirs = {(b[0] - a[0], b[1] - a[1]) for a, b in pairwise(path[k:k + steps + 1])}
        if len(dirs) == 1:
            return k
    return None


def off_path_cell(sc: Scene, *, code: str = FLOOR, far_from: Cell | None = None) -> Cell | None:
    """A cell with ``code`` that is not on the reference path, not the start or goal, nor next to the path.

    Only cells inside the grid's outer ring are candidates; the one farthest
    from ``far_from`` (default: the start) wins. None when there is none.
    """
    layout, path = sc.layout, set(sc.path)
    near = path | {(r + dr, c + dc) for r, c in path for dr, dc in ((-1, 0), (1, 0), (0, -1), (0, 1))}
    near |= {layout.start, layout.goal}
    candidates = [(r, c) for r in range(1, layout.rows - 1) for c in range(1, layout.cols - 1)
                  if layout.code((r, c)) == code and (r, c) not in near]
    if not candidates:
        return None
    anchor = far_from or layout.start
    return max(candidates, key=lambda cell: (abs(cell[0] - anchor[0]) + abs(cell[1] - anchor[1]), cell))


def segment_crosses_blocked(sc: Scene, a: Cell, b: Cell) -> bool:
    """Whether the straight line between the centres of ``a`` and ``b`` passes over a blocked cell."""
    points = np.linspace((a[0] + 0.5, a[1] + 0.5), (b[0] + 0.5, b[1] + 0.5), 200)
    return any(not sc.free((int(r), int(c))) for r, c in np.floor(points))


# --- the cases -------------------------------------------------------------------------------

def oracle(sc: Scene) -> np.ndarray:
    """The reference solution, centre to centre at the scene's pace (what the ``oracle`` sampler draws)."""
    return render(sc, walk(sc, sc.path))


def static(sc: Scene, num_frames: int = STATIC_FRAMES) -> np.ndarray:
    """The first frame repeated (what the ``static`` sampler draws)."""
    return np.repeat(sc.puzzle.frame0()[None], num_frames, axis=0)


def _family_motion(family: GridAgentFamily, sc: Scene, motion: str, seed: int = 0) -> np.ndarray:
    return family.animate(sc.puzzle, motion, seed=seed, frames_per_step=sc.frames_per_step,
                          hold_frames=sc.hold, num_frames=None)


Builder = Callable[[Scene], "np.ndarray | None"]


def wall_glide(sc: Scene) -> np.ndarray | None:
    """The agent glides from a free cell through a blocked cell into the free cell beyond, then to the goal."""
    route = shortcut(sc)
    return None if route is None else render(sc, walk(sc, route.cells))


def wall_jump(sc: Scene) -> np.ndarray | None:
    """A crossing between two frames: before the blocked cell in frame t, beyond it in frame t+1."""
    route = shortcut(sc)
    if route is None:
        return None
    before, after = walk(sc, route.before, hold=0), walk(sc, route.after)
    return render(sc, np.concatenate([before, after]))


def step_on_and_back(sc: Scene) -> np.ndarray | None:
    """The reference path with a detour onto a blocked cell beside it, a rest there, and straight back.

    The agent rests :data:`BLOCKED_REST_STEPS` steps' worth of frames on the
    blocked cell: without the rest, at 2 frames a step, a single frame shows it
    deeper than the cell's edge, and dropping that frame leaves a legal video.
    """
    found = blocked_beside_path(sc)
    if found is None:
        return None
    i, cell = found
    there = walk(sc, [*sc.path[:i + 1], cell], hold=BLOCKED_REST_STEPS * sc.frames_per_step)
    back = walk(sc, [cell, *sc.path[i:]])
    return render(sc, np.concatenate([there, back[1:]]))


def teleport(sc: Scene) -> np.ndarray | None:
    """Frames cut from the reference walk so the agent jumps three cells along a straight free corridor."""
    steps = 3
    k = straight_run(sc.path, steps)
    if k is None:
        return None
    pace = sc.frames_per_step
    return np.delete(oracle(sc), np.arange(k * pace + 1, (k + steps) * pace), axis=0)


def vanish_mid(sc: Scene) -> np.ndarray:
    """The agent disappears for :data:`VANISH_FRAMES` frames a third of the way through."""
    frames = oracle(sc)
    t = len(frames) // 3
    return paint_out(sc, frames, range(t, t + VANISH_FRAMES))


def vanish_end(sc: Scene) -> np.ndarray:
    """The agent disappears for good in the last 8 frames, after reaching the goal."""
    frames = oracle(sc)
    return paint_out(sc, frames, range(len(frames) - 8, len(frames)))


def duplicate(sc: Scene) -> np.ndarray | None:
    """A second agent appears on a far free cell for :data:`DUPLICATE_FRAMES` frames."""
    frames = oracle(sc)
    t = len(frames) // 3
    at = off_path_cell(sc, far_from=sc.path[min(t // sc.frames_per_step, len(sc.path) - 1)])
    return None if at is None else draw_copy(sc, frames, at, range(t, t + DUPLICATE_FRAMES))


def board_from_half(sc: Scene, board: np.ndarray) -> np.ndarray:
    """The reference walk over the usual board, then over ``board`` from the middle frame on."""
    positions = walk(sc, sc.path)
    return splice(render(sc, positions), render(sc, positions, board=board), len(positions) // 2)


def wall_erased(sc: Scene) -> np.ndarray | None:
    """The blocked cell of the best shortcut (or one beside the path) is painted as floor half-way through."""
    route = shortcut(sc)
    found = blocked_beside_path(sc)
    cell = route.wall if route is not None else (found[1] if found is not None else None)
    return None if cell is None else board_from_half(sc, paint_cells(sc, sc.board, [cell], sc.look.floor))


def floor_blocked(sc: Scene) -> np.ndarray | None:
    """A floor cell away from the path is painted as a blocked cell half-way through."""
    cell = off_path_cell(sc)
    return None if cell is None else board_from_half(sc, paint_cells(sc, sc.board, [cell], sc.blocked_colour))


def goal_moved(sc: Scene) -> np.ndarray | None:
    """Half-way through the goal is erased and drawn on another cell; the agent still walks to the old one."""
    to = off_path_cell(sc, far_from=sc.layout.goal)
    return None if to is None else board_from_half(sc, moved_goal(sc, to))


def one_short(sc: Scene) -> np.ndarray:
    """The reference path without its last step: the agent stops next to the goal."""
    return render(sc, walk(sc, sc.path[:-1]))


def leaves_goal(sc: Scene) -> np.ndarray:
    """The reference path, then one step back off the goal."""
    return render(sc, walk(sc, [*sc.path, sc.path[-2]]))


def pan(sc: Scene) -> np.ndarray:
    """The camera pans progressively, by 1.5 cells right and half a cell down at the end."""
    return camera(oracle(sc), shift=(1.5 * sc.cell_px, 0.5 * sc.cell_px))


def zoom(sc: Scene) -> np.ndarray:
    """The camera zooms in progressively, to 120% at the end."""
    return camera(oracle(sc), zoom=1.2)


def calibration_cases(family: GridAgentFamily, puzzle: Puzzle, seed: int = 0) -> list[Case]:
    """The reference solution (legal) and every near-miss that can be built on ``puzzle`` (illegal).

    Names use the family's word for its blocked cells (``wall-glide`` in a
    maze, ``trap-glide`` in a trap field). ``seed`` picks the random walk.
    """
    from puzzles.grid_agent import random_walk  # grid_agent imports this module

    sc = make_scene(family, puzzle)
    b = family.blocked_name
    cases = [Case("oracle", oracle(sc), sc.fps, legal=True)]

    def add(name: str, frames: np.ndarray | None, *, single_frame: bool = False) -> None:
        if frames is not None:
            cases.append(Case(name, frames, sc.fps, legal=False, single_frame=single_frame))

    add(f"{b}-glide", wall_glide(sc))
    add(f"{b}-jump-between-frames", wall_jump(sc), single_frame=True)
    add(f"steps-on-{b}-and-back", step_on_and_back(sc))
    # A teleport lives between two frames: at half the frame rate a 3-cell jump is within a fast glide's speed.
    add("teleport-along-corridor", teleport(sc), single_frame=True)
    add("vanish-mid-path", vanish_mid(sc))
    add("vanish-at-end", vanish_end(sc))
    add("duplicated", duplicate(sc))
    add(f"{b}-erased", wall_erased(sc))
    add(f"floor-redrawn-as-{b}", floor_blocked(sc))
    add("goal-moved", goal_moved(sc))
    add("stops-one-short", one_short(sc))
    add("leaves-the-goal", leaves_goal(sc))
    add("static", static(sc))
    if segment_crosses_blocked(sc, sc.layout.start, sc.layout.goal):
        add("straight-line", _family_motion(family, sc, "straight-line"))
    walk_seed = next((s for s in range(seed, seed + 100)
                      if random_walk(sc.layout, steps=len(sc.path) - 1, seed=s,
                                     blocked=sc.blocked)[-1] != sc.layout.goal), None)
    if walk_seed is not None:
        add("random-walk", _family_motion(family, sc, "random-walk", walk_seed))
    add("camera-pans", pan(sc))
    add("camera-zooms", zoom(sc))
    return cases
