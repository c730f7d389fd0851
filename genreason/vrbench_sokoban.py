"""VR-Bench sokoban states as genreason puzzles (the part of :mod:`genreason.vrbench` only sokoban needs).

VR-Bench's sokoban (``games/sokoban``) writes the grid with codes 0 floor,
1 wall, 2 box, 3 target, 4 box on target, 5 player, 6 player on target, the
first target as the ``goal`` entity and every box in ``entities.boxes``. The
reference solution is computed here (the states carry none): the fewest player
steps, by the same search as genreason's own sokoban levels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from genreason.errors import BadInput
from genreason.types import Puzzle, validation_problem
from genreason.vrbench import SOKOBAN_BOX, SOKOBAN_TARGET, _bbox, _grid_pos, _pixel_pos

SOLUTION_SOURCE = "fewest-steps solution computed by genreason (VR-Bench states carry none)"

Cell = tuple[int, int]
Box = tuple[float, float, float, float]


def sokoban_puzzle(data: dict[str, Any], path: Path, cells: list[str], start: Cell, goal: Cell, scale: float,
                   cell: float, boxes_px: tuple[Box, Box], image: np.ndarray, puzzle_id: str, difficulty: str,
                   skin: str) -> Puzzle:
    """The puzzle of a VR-Bench sokoban state whose common fields :mod:`genreason.vrbench` has read.

    Args:
        data: the parsed state.
        path: where it was read from (for messages).
        cells: the grid as layout rows (``#`` and ``.``).
        start, goal: the player's and the goal entity's cells.
        scale: PNG pixels per VR-Bench render pixel.
        cell: the cell size in PNG pixels.
        boxes_px: the player's and the goal's bbox in render pixels.
        image: the first frame.
        puzzle_id, difficulty, skin: as for the other games.
    """
    from puzzles.sokoban.layout import SokobanLayout
    from puzzles.sokoban.level import pushes_of, solve

    codes = data["grid"]["data"]
    entities = data["entities"]["boxes"]
    if not entities:
        raise BadInput(path, "field 'entities.boxes' is empty; a VR-Bench sokoban level has at least one box")
    boxes: list[Cell] = []
    box_boxes: list[Box] = []
    for i, entity in enumerate(entities):
        name = f"entities.boxes[{i}]"
        if not isinstance(entity, dict):
            raise BadInput(path, f"field '{name}' must be an object, got {entity!r}")
        r, c = _grid_pos(entity, name, path, None)
        if not (0 <= r < len(codes) and 0 <= c < len(codes[0])) or codes[r][c] not in SOKOBAN_BOX:
            raise BadInput(path, f"field '{name}.grid_pos' {(r, c)} does not hold a box in grid.data")
        _pixel_pos(entity, name, path)
        boxes.append((r, c))
        box_boxes.append(_scaled(_bbox(entity, name, path), scale))
    targets = [(r, c) for r, row in enumerate(codes) for c, v in enumerate(row) if v in SOKOBAN_TARGET]
    if goal not in targets:
        raise BadInput(path, f"field 'entities.goal.grid_pos' {goal} is not a target in grid.data (codes 3, 4, 6)")
    targets = [goal, *[t for t in targets if t != goal]]
    if len(targets) != len(boxes):
        raise BadInput(path, f"grid.data has {len(targets)} targets for {len(boxes)} boxes")
    target_boxes = [_scaled(boxes_px[1], scale),
                    *[(c * cell, r * cell, (c + 1) * cell, (r + 1) * cell) for r, c in targets[1:]]]
    try:
        layout = SokobanLayout(rows=len(cells), cols=len(cells[0]), cell_size=cell, origin=(0.0, 0.0), cells=cells,
                               start=start, goal=goal, agent_box=_scaled(boxes_px[0], scale),
                               goal_box=target_boxes[0], boxes=boxes, targets=targets, box_boxes=box_boxes,
                               target_boxes=target_boxes)
    except ValidationError as exc:
        raise BadInput(path, f"not a sokoban level genreason can judge: {validation_problem(exc)}") from None
    solution = solve(cells, start, tuple(boxes), tuple(targets))
    if solution is None:
        raise BadInput(path, "this sokoban level cannot be solved (no legal pushes bring every box onto a target)")
    pushes = pushes_of(tuple(boxes), solution)
    return Puzzle(id=puzzle_id, family="sokoban", family_version=f"vrbench-{data['version']}", difficulty=difficulty,
                  skin=skin, seed=0, prompt="", width=image.shape[1], height=image.shape[0],
                  layout=layout.model_dump(mode="json"),
                  solution={"path": [list(c) for c in solution],
                            "pushes": [{"step": p.step, "box": list(p.box), "to": list(p.to)} for p in pushes],
                            "source": SOLUTION_SOURCE},
                  image=image)


def _scaled(box: Box, scale: float) -> Box:
    x0, y0, x1, y1 = box
    return (x0 * scale, y0 * scale, x1 * scale, y1 * scale)
