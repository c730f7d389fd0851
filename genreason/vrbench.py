"""Read VR-Bench's own puzzle states, so that videos made for VR-Bench can be judged.

VR-Bench (https://github.com/ImYangC7/VR-Bench) writes one state JSON per level,
``<game>/<skin>/<difficulty>/states/<difficulty>_<NNNN>.json``, with the level's
first frame as ``../images/<same stem>.png``. Its schema (``core/schema/``):

- ``version`` (``"1.0"``), ``game_type`` (``maze``, ``trapfield``, ``sokoban``,
  ``pathfinder``, ``maze3d``), ``metadata`` (free-form);
- ``render``: ``cell_size``, ``image_width``, ``image_height`` (pixels);
- ``grid`` (grid games only): ``data`` (row-major: ``height`` lists of ``width``
  ints), ``height``, ``width``. Maze codes 0 empty, 1 wall, 2 player, 3 goal;
  trapfield the same with 1 a trap;
- ``entities``: ``player``, ``goal`` and a list ``boxes``; each has ``pixel_pos``
  ``{x, y}`` (the cell centre), ``bbox`` ``{x, y, width, height}`` (top-left
  corner and size; ``center_x``/``center_y`` are derived) and, in grid games,
  ``grid_pos`` ``{row, col}`` (older files: ``{x, y}`` with x the column).
- sokoban (VR-Bench's ``games/sokoban``): grid codes 0 floor, 1 wall, 2 box,
  3 target, 4 box on target, 5 player, 6 player on target; ``goal`` is the
  first target and ``boxes`` lists every box.

:func:`puzzle_from_vrbench_state` turns a maze, trapfield or sokoban state into a
genreason :class:`~genreason.types.Puzzle` judged by the regular verifiers, and a
pathfinder state into an ``irregular`` puzzle (:mod:`genreason.vrbench_irregular`)
and a maze3d state into a ``maze3d`` puzzle judged in part (:mod:`genreason.vrbench_maze3d`);
other games raise :class:`~genreason.errors.BadInput` (no genreason family yet).
:func:`load_any_puzzle` reads either format. The mapping is documented in
``results/README.md``.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from genreason.errors import BadInput
from genreason.types import Puzzle, read_json

# VR-Bench game_type -> genreason family, and the grid code -> layout character of each.
FAMILIES = {"maze": "maze", "trapfield": "trapfield", "sokoban": "sokoban", "pathfinder": "irregular"}
FAMILIES["maze3d"] = FAMILIES["3d_maze"] = "maze3d"  # no grid: read by genreason.vrbench_maze3d
GRID_CODES = {
    "maze": {0: ".", 1: "#", 2: ".", 3: "."},
    "trapfield": {0: ".", 1: "T", 2: ".", 3: "."},
    "sokoban": {0: ".", 1: "#", 2: ".", 3: ".", 4: ".", 5: ".", 6: "."},
}
PLAYER_CODE, GOAL_CODE = 2, 3
SOKOBAN_PLAYER, SOKOBAN_BOX, SOKOBAN_TARGET = frozenset({5, 6}), frozenset({2, 4}), frozenset({3, 4, 6})
BLOCKED = frozenset("#T")
SOLUTION_SOURCE = "shortest path computed by genreason (VR-Bench states carry none)"
ASPECT_TOLERANCE = 0.02  # relative difference allowed between the x and y scales of image vs render


def is_vrbench_state(data: Any) -> bool:
    """Whether parsed JSON looks like a VR-Bench state (not a genreason document)."""
    return isinstance(data, dict) and "format" not in data and "game_type" in data


def load_any_puzzle(path: str | Path) -> Puzzle:
    """A genreason ``puzzle.json`` (or its folder) or a VR-Bench state file, as a :class:`Puzzle`."""
    path = Path(path)
    if path.is_dir():
        return Puzzle.load(path)
    data = read_json(path, what="puzzle file")
    if is_vrbench_state(data):
        return puzzle_from_state_data(data, path)
    return Puzzle.load(path)


def puzzle_from_vrbench_state(path: str | Path) -> Puzzle:
    """Read a VR-Bench maze or trapfield state and its first frame (``../images/<stem>.png``)."""
    path = Path(path)
    data = read_json(path, what="VR-Bench state file")
    if not is_vrbench_state(data):
        raise BadInput(path, "is not a VR-Bench state (no \"game_type\")")
    return puzzle_from_state_data(data, path)


def state_names(path: Path) -> tuple[str, str]:
    """(skin, difficulty) of a state file from its folders, else from its name, else ``unknown``."""
    if path.parent.name == "states" and len(path.parents) >= 3:
        difficulty_dir = path.parent.parent
        skin = difficulty_dir.parent.name if len(path.parents) >= 4 else ""
        return skin or "unknown", difficulty_dir.name or "unknown"
    prefix, sep, _ = path.stem.partition("_")
    return "unknown", prefix if sep and prefix else "unknown"


def image_path_for(path: Path) -> Path:
    """Where VR-Bench keeps a state's first frame: ``<level folder>/images/<stem>.png``."""
    folder = path.parent.parent if path.parent.name == "states" else path.parent
    return folder / "images" / f"{path.stem}.png"


def puzzle_from_state_data(data: dict[str, Any], path: Path) -> Puzzle:
    """Build the puzzle of an already parsed VR-Bench state read from ``path``."""
    from puzzles.grid import GridLayout

    game = data["game_type"]
    if not isinstance(game, str):
        raise BadInput(path, f"field 'game_type' must be a string, got {game!r}")
    if game == "pathfinder":  # roads, no grid: read by its own module
        from genreason.vrbench_irregular import pathfinder_puzzle

        return pathfinder_puzzle(data, path)
    if game in ("maze3d", "3d_maze"):  # no grid: see genreason.vrbench_maze3d
        from genreason.vrbench_maze3d import maze3d_puzzle

        return maze3d_puzzle(data, path)
    if game not in FAMILIES:
        raise BadInput(path, f"VR-Bench {game!r} states are not supported yet",
                       f"genreason judges VR-Bench {' and '.join(FAMILIES)} states")
    version, cell_size, width, height = state_header(data, path)

    grid = _obj(data, "grid", path)
    rows = _int(grid, "height", path, "grid.")
    cols = _int(grid, "width", path, "grid.")
    cells = _cells(grid.get("data"), rows, cols, GRID_CODES[game], path)

    entities = _obj(data, "entities", path)
    player = _obj(entities, "player", path, "entities.")
    goal = _obj(entities, "goal", path, "entities.")
    boxes = entities.get("boxes", [])
    if not isinstance(boxes, list):
        raise BadInput(path, f"field 'entities.boxes' must be a list, got {type(boxes).__name__}")
    if boxes and game != "sokoban":
        raise BadInput(path, f"field 'entities.boxes' lists {len(boxes)} boxes; a VR-Bench {game} has none")
    codes = grid["data"]
    sokoban = game == "sokoban"
    start = _grid_pos(player, "entities.player", path,
                      _find(codes, SOKOBAN_PLAYER if sokoban else frozenset({PLAYER_CODE})))
    end = _grid_pos(goal, "entities.goal", path, _find(codes, SOKOBAN_TARGET if sokoban else frozenset({GOAL_CODE})))
    for name, cell in (("entities.player.grid_pos", start), ("entities.goal.grid_pos", end)):
        r, c = cell
        if not (0 <= r < rows and 0 <= c < cols):
            raise BadInput(path, f"field '{name}' {cell} lies outside the {rows}x{cols} grid")
        if cells[r][c] in BLOCKED:
            raise BadInput(path, f"field '{name}' {cell} is on a blocked cell (grid code {codes[r][c]})")
    player_box = _bbox(player, "entities.player", path)
    goal_box = _bbox(goal, "entities.goal", path)
    for who, entity in (("entities.player", player), ("entities.goal", goal)):
        _pixel_pos(entity, who, path)

    image, scale = first_frame(path, width, height)
    img_h, img_w = image.shape[:2]
    cell = cell_size * scale
    if cols * cell > img_w * (1 + ASPECT_TOLERANCE) or rows * cell > img_h * (1 + ASPECT_TOLERANCE):
        raise BadInput(path, f"a {rows}x{cols} grid of render.cell_size {cell_size:g} does not fit in "
                       f"render.image_width x image_height {width:g}x{height:g}")

    skin, difficulty = state_names(path)
    if sokoban:
        from genreason.vrbench_sokoban import sokoban_puzzle

        return sokoban_puzzle(data, path, cells, start, end, scale, cell, (player_box, goal_box), image,
                              f"vrbench/{game}/{skin}/{difficulty}/{path.stem}", difficulty, skin)
    layout = GridLayout(rows=rows, cols=cols, cell_size=cell, origin=(0.0, 0.0), cells=cells,
                        start=start, goal=end,
                        agent_box=tuple(v * scale for v in player_box),  # type: ignore[arg-type]
                        goal_box=tuple(v * scale for v in goal_box))  # type: ignore[arg-type]
    solution = _shortest_path(layout, path)
    return Puzzle(id=f"vrbench/{game}/{skin}/{difficulty}/{path.stem}", family=FAMILIES[game],
                  family_version=f"vrbench-{version}", difficulty=difficulty, skin=skin, seed=0, prompt="",
                  width=img_w, height=img_h, layout=layout.model_dump(mode="json"),
                  solution={"path": [list(c) for c in solution], "source": SOLUTION_SOURCE},
                  image=image)


# -- field readers: every problem is a BadInput naming the file and the field ----------------


def first_frame(path: Path, width: float, height: float) -> tuple[np.ndarray, float]:
    """The state's first frame (``../images/<stem>.png``) and its scale over the state's render size.

    Raises:
        BadInput: the image is missing, or its shape is not the render's (beyond :data:`ASPECT_TOLERANCE`).
    """
    from genreason.images import read_png

    image_path = image_path_for(path)
    if not image_path.exists():
        raise BadInput(path, f"its first frame {image_path} is missing",
                       "VR-Bench keeps it in the images/ folder beside states/, same name, .png")
    image = read_png(image_path)
    img_h, img_w = image.shape[:2]
    sx, sy = img_w / width, img_h / height
    if abs(sx - sy) > ASPECT_TOLERANCE * max(sx, sy):
        raise BadInput(path, f"render.image_width x image_height {width:g}x{height:g} does not have the "
                       f"shape of its image {image_path.name} ({img_w}x{img_h})")
    return image, (sx + sy) / 2


def state_header(data: dict[str, Any], path: Path) -> tuple[str | int | float, float, float, float]:
    """A state's ``version`` and its ``render`` block: (version, cell size, image width, image height)."""
    version = data.get("version")
    if not isinstance(version, str | int | float) or isinstance(version, bool):
        raise BadInput(path, f"field 'version' must be a string, got {version!r}")
    render = _obj(data, "render", path)
    cell_size = _number(render, "cell_size", path, "render.", positive=True)
    width = _number(render, "image_width", path, "render.", positive=True)
    height = _number(render, "image_height", path, "render.", positive=True)
    return version, cell_size, width, height


def _obj(parent: dict[str, Any], key: str, path: Path, prefix: str = "") -> dict[str, Any]:
    value = parent.get(key)
    if not isinstance(value, dict):
        found = "missing" if key not in parent else f"a {type(value).__name__}"
        raise BadInput(path, f"field '{prefix}{key}' must be an object, it is {found}")
    return value


def _number(parent: dict[str, Any], key: str, path: Path, prefix: str = "", positive: bool = False) -> float:
    value = parent.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise BadInput(path, f"field '{prefix}{key}' must be a number, got {value!r}")
    if positive and value <= 0:
        raise BadInput(path, f"field '{prefix}{key}' must be positive, got {value!r}")
    return float(value)


def _int(parent: dict[str, Any], key: str, path: Path, prefix: str = "") -> int:
    value = parent.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadInput(path, f"field '{prefix}{key}' must be a positive integer, got {value!r}")
    return value


def _cells(data: Any, rows: int, cols: int, codes: dict[int, str], path: Path) -> list[str]:
    if not isinstance(data, list) or len(data) != rows:
        raise BadInput(path, f"field 'grid.data' must be a list of grid.height={rows} rows")
    cells = []
    for r, row in enumerate(data):
        if not isinstance(row, list) or len(row) != cols:
            raise BadInput(path, f"field 'grid.data' row {r} must be a list of grid.width={cols} codes")
        line = []
        for c, code in enumerate(row):
            if isinstance(code, bool) or code not in codes:
                raise BadInput(path, f"field 'grid.data' has code {code!r} at row {r}, col {c} "
                               f"(known: {', '.join(map(str, codes))})")
            line.append(codes[code])
        cells.append("".join(line))
    return cells


def _find(data: list[list[int]], codes: frozenset[int]) -> tuple[int, int] | None:
    found = [(r, c) for r, row in enumerate(data) for c, v in enumerate(row) if v in codes]
    return found[0] if len(found) == 1 else None


def _grid_pos(entity: dict[str, Any], name: str, path: Path, fallback: tuple[int, int] | None) -> tuple[int, int]:
    pos = entity.get("grid_pos")
    if pos is None:
        if fallback is None:
            raise BadInput(path, f"field '{name}.grid_pos' is missing and the grid does not mark it once")
        return fallback
    if isinstance(pos, dict) and "row" in pos:
        r, c = pos.get("row"), pos.get("col")
    elif isinstance(pos, dict) and "y" in pos:  # VR-Bench's older form: x is the column, y the row
        r, c = pos.get("y"), pos.get("x")
    else:
        raise BadInput(path, f"field '{name}.grid_pos' must be {{\"row\": R, \"col\": C}}, got {pos!r}")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (r, c)):
        raise BadInput(path, f"field '{name}.grid_pos' must hold integers, got {pos!r}")
    return r, c


def _bbox(entity: dict[str, Any], name: str, path: Path) -> tuple[float, float, float, float]:
    box = _obj(entity, "bbox", path, f"{name}.")
    x = _number(box, "x", path, f"{name}.bbox.")
    y = _number(box, "y", path, f"{name}.bbox.")
    w = _number(box, "width", path, f"{name}.bbox.", positive=True)
    h = _number(box, "height", path, f"{name}.bbox.", positive=True)
    return x, y, x + w, y + h


def _pixel_pos(entity: dict[str, Any], name: str, path: Path) -> tuple[float, float]:
    pos = _obj(entity, "pixel_pos", path, f"{name}.")
    return _number(pos, "x", path, f"{name}.pixel_pos."), _number(pos, "y", path, f"{name}.pixel_pos.")


def _shortest_path(layout: Any, path: Path) -> list[tuple[int, int]]:
    import networkx as nx

    graph = nx.Graph()
    graph.add_node(layout.start)
    for r in range(layout.rows):
        for c in range(layout.cols):
            if layout.code((r, c)) in BLOCKED:
                continue
            for n in ((r + 1, c), (r, c + 1)):
                if layout.inside(n) and layout.code(n) not in BLOCKED:
                    graph.add_edge((r, c), n)
    graph.add_node(layout.goal)
    to_goal = nx.single_source_shortest_path_length(graph, layout.goal)
    if layout.start not in to_goal:
        raise BadInput(path, f"the goal {layout.goal} cannot be reached from the player {layout.start} "
                       "without crossing a blocked cell")
    # Among equally short paths, always step to the smallest (row, col), as genreason's own families do.
    cells = [layout.start]
    while cells[-1] != layout.goal:
        here = to_goal[cells[-1]]
        cells.append(min(n for n in graph.neighbors(cells[-1]) if to_goal.get(n) == here - 1))
    return cells


__all__ = ["FAMILIES", "GRID_CODES", "SOLUTION_SOURCE", "first_frame", "image_path_for", "is_vrbench_state", "load_any_puzzle",
           "puzzle_from_state_data", "puzzle_from_vrbench_state", "state_names"]
