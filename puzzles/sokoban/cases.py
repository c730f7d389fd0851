"""Labelled sokoban videos: the reference solution and near-misses that each break one rule.

Drawn the way the family draws its own videos (its board, sprites and
:mod:`puzzles.sokoban.motion`), then edited. Moves are given cell by cell as the
player's cell and every box's cell per keyframe, so a near-miss is a legal walk
(found by breadth-first search over the level's states) with one illegal move
spliced in, usually followed by the optimal legal finish from where it left
off: the rule broken is the only thing wrong. A near-miss that cannot be built
on a level (no wall to push the box into, ...) is left out rather than faked.
Used by ``genreason calibrate`` and the verifier tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from genreason.types import Puzzle
from puzzles import negatives as ng
from puzzles.grid import WALL, Cell
from puzzles.negatives import Case
from puzzles.skins import goal_sprite
from puzzles.sokoban import level as lv
from puzzles.sokoban.draw import SokobanSkin
from puzzles.sokoban.layout import SokobanLayout
from puzzles.sokoban.motion import keyframes, positions

if TYPE_CHECKING:
    from puzzles.sokoban.family import SokobanFamily

Boxes = tuple[Cell, ...]
Plan = tuple[list[Cell], list[Boxes]]  # the player's cell and the boxes' cells, per keyframe


@dataclass(frozen=True, eq=False)
class Stage:
    """A sokoban puzzle and what its family draws it with."""

    family: SokobanFamily
    puzzle: Puzzle
    layout: SokobanLayout
    look: SokobanSkin
    board: np.ndarray  # the empty board: walls, floor, targets
    frames_per_step: int
    hold: int = ng.HOLD
    fps: float = ng.FPS

    @property
    def path(self) -> list[Cell]:
        return [(int(r), int(c)) for r, c in self.puzzle.solution["path"]]

    @property
    def boxes(self) -> Boxes:
        return tuple(self.layout.boxes)

    def free(self, cell: Cell, boxes: Boxes = ()) -> bool:
        return self.layout.is_open(cell) and cell not in boxes

    def interior(self, cell: Cell) -> bool:
        return 0 < cell[0] < self.layout.rows - 1 and 0 < cell[1] < self.layout.cols - 1


def make_stage(family: SokobanFamily, puzzle: Puzzle) -> Stage:
    layout = SokobanLayout.model_validate(puzzle.layout)
    look = family.look(puzzle.skin)
    board = family.board(layout, look)
    board.flags.writeable = False
    pace = ng.FRAMES_PER_STEP.get(puzzle.difficulty, ng.DEFAULT_FRAMES_PER_STEP)
    return Stage(family, puzzle, layout, look, board, pace)


# --- plans and drawing ------------------------------------------------------------------------

def walk_plan(boxes: Boxes, path: list[Cell]) -> Plan:
    """A legal walk: boxes pushed wherever the player steps onto them."""
    return path, lv.replay(boxes, path)


def join(*plans: Plan) -> Plan:
    """Plans one after another (each starts where the previous one ended)."""
    players: list[Cell] = []
    boxes: list[Boxes] = []
    for p, b in plans:
        skip = 1 if players else 0
        players += p[skip:]
        boxes += b[skip:]
    return players, boxes


def track(st: Stage, plan: Plan, hold: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    players, boxes = keyframes(st.layout, *plan)
    return positions(players, boxes, step_px=st.layout.cell_size, frames_per_step=st.frames_per_step,
                     hold_frames=st.hold if hold is None else hold)


def draw(st: Stage, players: np.ndarray, boxes: np.ndarray, board: np.ndarray | None = None) -> np.ndarray:
    return st.family.draw(st.layout, st.look, players, boxes, st.board if board is None else board)


def render(st: Stage, plan: Plan) -> np.ndarray:
    return draw(st, *track(st, plan))


def finish(st: Stage, player: Cell, boxes: Boxes) -> Plan:
    """The optimal legal finish from ``(player, boxes)``; staying put when there is none."""
    path = lv.solve(st.layout.cells, player, boxes, tuple(st.layout.targets)) or [player]
    return walk_plan(boxes, path)


def reach(st: Stage, want: Callable[[Cell, Boxes], bool]) -> Plan | None:
    """The shortest legal walk from the start to a state where ``want(player, boxes)``; None if none."""
    path = lv.reach(st.layout.cells, st.layout.start, st.boxes, lambda s: want(s[0], s[1]))
    return None if path is None else walk_plan(st.boxes, path)


def behind(player: Cell, boxes: Boxes) -> list[tuple[Cell, Cell]]:
    """(box, direction) for each box the player stands right behind (one cell away along an axis)."""
    out = []
    for d in lv.MOVES:
        box = lv.add(player, d)
        if box in boxes:
            out.append((box, d))
    return out


# --- the cases ---------------------------------------------------------------------------------

def oracle(st: Stage) -> np.ndarray:
    return render(st, walk_plan(st.boxes, st.path))


def box_slides_alone(st: Stage) -> np.ndarray:
    """The player stands still while the box slides along its reference route onto the target."""
    route = [b for b, prev in zip(lv.replay(st.boxes, st.path), [None, *lv.replay(st.boxes, st.path)]) if b != prev]
    return render(st, ([st.layout.start] * len(route), route))


def box_into_wall(st: Stage) -> np.ndarray | None:
    """A legal walk to behind a box facing a wall, then one push that drives the box into the wall."""
    def facing_wall(p: Cell, bs: Boxes) -> bool:
        return any(not st.layout.is_open(lv.add(box, d)) and st.layout.inside(lv.add(box, d))
                   for box, d in behind(p, bs))
    plan = reach(st, facing_wall)
    if plan is None:
        return None
    p, bs = plan[0][-1], plan[1][-1]
    box, d = next((box, d) for box, d in behind(p, bs) if not st.layout.is_open(lv.add(box, d)))
    shoved = tuple(lv.add(b, d) if b == box else b for b in bs)
    return render(st, join(plan, ([p, box], [bs, shoved])))


def _through(st: Stage, blocked: Callable[[Cell, Boxes], bool]) -> tuple[Plan, Cell, Cell, Boxes] | None:
    """A legal walk to a cell with a blocked cell (``blocked``) ahead and a free cell beyond it:
    (the walk, the blocked cell, the cell beyond, the boxes)."""
    def found(p: Cell, bs: Boxes) -> tuple[Cell, Cell] | None:
        for d in lv.MOVES:
            mid, beyond = lv.add(p, d), lv.add(p, (2 * d[0], 2 * d[1]))
            if st.interior(mid) and blocked(mid, bs) and st.free(beyond, bs):
                return mid, beyond
        return None
    plan = reach(st, lambda p, bs: found(p, bs) is not None)
    if plan is None:
        return None
    bs = plan[1][-1]
    mid, beyond = found(plan[0][-1], bs)  # type: ignore[misc]
    return plan, mid, beyond, bs


def player_through_wall(st: Stage, *, between_frames: bool = False) -> np.ndarray | None:
    """The player crosses a wall cell (glides through it, or jumps it between two frames), then solves."""
    found = _through(st, lambda cell, bs: not st.layout.is_open(cell))
    if found is None:
        return None
    plan, wall, beyond, bs = found
    rest = finish(st, beyond, bs)
    if not between_frames:
        return render(st, join(plan, ([plan[0][-1], wall, beyond], [bs, bs, bs]), rest))
    a, b = track(st, plan, hold=0), track(st, rest)
    return draw(st, np.concatenate([a[0], b[0]]), np.concatenate([a[1], b[1]]))


def player_through_box(st: Stage) -> np.ndarray | None:
    """The player walks straight through a box (which stays put), then solves from the far side."""
    found = _through(st, lambda cell, bs: cell in bs)
    if found is None:
        return None
    plan, box, beyond, bs = found
    return render(st, join(plan, ([plan[0][-1], box, beyond], [bs, bs, bs]), finish(st, beyond, bs)))


def box_pulled(st: Stage) -> np.ndarray | None:
    """The player steps away from a box it faces and the box follows (a pull), then the level is solved."""
    def pullable(p: Cell, bs: Boxes) -> bool:
        return any(st.free(lv.add(p, (-d[0], -d[1])), bs) for _, d in behind(p, bs))
    plan = reach(st, pullable)
    if plan is None:
        return None
    p, bs = plan[0][-1], plan[1][-1]
    box, d = next((box, d) for box, d in behind(p, bs) if st.free(lv.add(p, (-d[0], -d[1])), bs))
    away = lv.add(p, (-d[0], -d[1]))
    pulled = tuple(p if b == box else b for b in bs)
    return render(st, join(plan, ([p, away], [bs, pulled]), finish(st, away, pulled)))


def box_one_short(st: Stage) -> np.ndarray:
    """The reference walk up to its last push: the box stops one cell before the target."""
    last = st.puzzle.solution["pushes"][-1]["step"]
    return render(st, walk_plan(st.boxes, st.path[:last]))


def box_leaves_target(st: Stage) -> np.ndarray | None:
    """The reference walk, then one more push that moves the box off the target again."""
    plan = walk_plan(st.boxes, st.path)
    p, bs = plan[0][-1], plan[1][-1]
    for box, d in behind(p, bs):
        if st.free(lv.add(box, d), bs):
            return render(st, join(plan, walk_plan(bs, [p, box])))
    return None


def _oracle_track(st: Stage) -> tuple[np.ndarray, np.ndarray]:
    return track(st, walk_plan(st.boxes, st.path))


def _far_cell(st: Stage) -> Cell | None:
    """A free cell away from the player's path and the boxes' route (for a copy to appear on)."""
    used = set(st.path) | {b for bs in lv.replay(st.boxes, st.path) for b in bs} | set(st.layout.targets)
    near = used | {lv.add(c, d) for c in used for d in lv.MOVES}
    cells = [(r, c) for r in range(st.layout.rows) for c in range(st.layout.cols)
             if st.layout.is_open((r, c)) and (r, c) not in near]
    return max(cells, key=lambda c: (abs(c[0] - st.path[0][0]) + abs(c[1] - st.path[0][1]), c)) if cells else None


def box_duplicated(st: Stage) -> np.ndarray | None:
    """A second box appears on a far free cell for a few frames."""
    at = _far_cell(st)
    if at is None:
        return None
    players, boxes = _oracle_track(st)
    t = len(players) // 3
    extra = np.full((len(players), 1, 2), np.nan)
    extra[t:t + ng.DUPLICATE_FRAMES, 0] = st.layout.cell_center(at)
    return draw(st, players, np.concatenate([boxes, extra], axis=1))


def box_vanishes(st: Stage) -> np.ndarray:
    """The box is not drawn for a while, half-way through."""
    players, boxes = _oracle_track(st)
    boxes = boxes.copy()
    t = len(players) // 2
    boxes[t:t + ng.VANISH_FRAMES] = np.nan
    return draw(st, players, boxes)


def player_vanishes(st: Stage) -> np.ndarray:
    players, boxes = _oracle_track(st)
    players = players.copy()
    t = len(players) // 3
    players[t:t + ng.VANISH_FRAMES] = np.nan
    return draw(st, players, boxes)


def player_duplicated(st: Stage) -> np.ndarray | None:
    at = _far_cell(st)
    if at is None:
        return None
    frames = oracle(st)
    t = len(frames) // 3
    sprite = st.family.draw(st.layout, st.look, np.array([st.layout.cell_center(at)]),
                            np.full((1, 0, 2), np.nan), np.zeros_like(st.board))[0]
    mask = np.any(sprite != 0, axis=-1)
    frames[t:t + ng.DUPLICATE_FRAMES][:, mask] = sprite[mask]
    return frames


def _board_from_half(st: Stage, board: np.ndarray) -> np.ndarray:
    players, boxes = _oracle_track(st)
    half = len(players) // 2
    return np.concatenate([draw(st, players[:half], boxes[:half]), draw(st, players[half:], boxes[half:], board)])


def _paint(st: Stage, cells: list[Cell], colour: tuple[int, int, int]) -> np.ndarray:
    out = st.board.copy()
    for cell in cells:
        x0, y0, x1, y1 = (int(v) for v in st.layout.cell_box(cell))
        out[y0:y1, x0:x1] = colour
    return out


def wall_erased(st: Stage) -> np.ndarray | None:
    walls = [(r, c) for r in range(1, st.layout.rows - 1) for c in range(1, st.layout.cols - 1)
             if st.layout.code((r, c)) == WALL]
    return None if not walls else _board_from_half(st, _paint(st, walls[:1], st.look.floor))


def floor_redrawn(st: Stage) -> np.ndarray | None:
    at = _far_cell(st)
    return None if at is None else _board_from_half(st, _paint(st, [at], st.look.wall))


def target_moved(st: Stage) -> np.ndarray | None:
    at = _far_cell(st)
    if at is None:
        return None
    board = _paint(st, [st.layout.goal], st.look.floor)
    goal_sprite(st.look, int(st.layout.cell_size)).paste(board, st.layout.cell_center(at))
    return _board_from_half(st, board)


def sokoban_cases(family: SokobanFamily, puzzle: Puzzle, seed: int = 0) -> list[Case]:
    """The reference solution (legal) and every near-miss that can be built on ``puzzle`` (illegal)."""
    st = make_stage(family, puzzle)
    cases = [Case("oracle", oracle(st), st.fps, legal=True)]

    def add(name: str, frames: np.ndarray | None, *, single_frame: bool = False) -> None:
        if frames is not None:
            cases.append(Case(name, frames, st.fps, legal=False, single_frame=single_frame))

    def motion(name: str, walk_seed: int = 0) -> np.ndarray:
        return family.animate(puzzle, name, seed=walk_seed, frames_per_step=st.frames_per_step,
                              hold_frames=st.hold, num_frames=None)

    add("box-slides-alone", box_slides_alone(st))
    add("box-into-wall", box_into_wall(st))
    add("player-through-box", player_through_box(st))
    add("player-through-wall", player_through_wall(st))
    add("player-jumps-wall-between-frames", player_through_wall(st, between_frames=True), single_frame=True)
    add("box-pulled", box_pulled(st))
    add("box-one-short", box_one_short(st))
    add("box-leaves-target", box_leaves_target(st))
    add("box-duplicated", box_duplicated(st))
    add("box-vanishes", box_vanishes(st))
    add("player-vanishes", player_vanishes(st))
    add("player-duplicated", player_duplicated(st))
    add("wall-erased", wall_erased(st))
    add("floor-redrawn-as-wall", floor_redrawn(st))
    add("target-moved", target_moved(st))
    add("static", ng.static(ng.Scene(puzzle, st.layout, st.look, st.board, None)))  # type: ignore[arg-type]
    add("straight-line", motion("straight-line"))
    add("random-walk", motion("random-walk", seed))
    add("camera-pans", ng.camera(oracle(st), shift=(1.5 * st.layout.cell_size, 0.5 * st.layout.cell_size)))
    return cases


__all__ = ["Stage", "make_stage", "sokoban_cases"]
