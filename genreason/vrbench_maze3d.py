"""VR-Bench 3D maze states as genreason puzzles (the part of :mod:`genreason.vrbench` only ``maze3d`` needs).

VR-Bench's ``games/maze3d`` writes ``game_type`` ``maze3d`` with no ``grid``;
``entities.player`` and ``entities.goal`` are the ball's ``pixel_pos`` and
``bbox`` at the start and on the goal cube (extracted from renders of the ball
alone), ``render.cell_size`` is the larger side of the player's bbox, and
``metadata`` carries the world: ``grid_size`` ``[X, Y, Z]``, ``cubes`` (a list
of ``[x, y, z]`` unit cubes), ``start_pos`` and ``goal_pos`` (cubes),
``ladders`` (``base_pos``, ``direction``, ``height``), ``path`` (segments
``start``, ``end``, ``type`` ``walk``/``ladder``) and ``qa_data``.

What it does not carry is the camera: VR-Bench draws with matplotlib's 3D
perspective (``view_init(elev=20, azim=45)``) and crops the figure tightly,
so world positions cannot be mapped to pixels exactly. Such a puzzle gets an
image-only layout (:class:`puzzles.maze3d.layout.ImageLayout`): the verifier
judges what the image allows and says in every verdict which rules it could
not check (see :mod:`verifiers.maze3d_image`). The world is kept in the
layout, unused, for the record.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from genreason.errors import BadInput
from genreason.types import Puzzle

GAMES = frozenset({"maze3d", "3d_maze"})


def maze3d_puzzle(data: dict[str, Any], path: Path) -> Puzzle:
    """The puzzle of a parsed VR-Bench 3D maze state read from ``path``, with its first frame."""
    from genreason.vrbench import (
        _bbox,
        _obj,
        _pixel_pos,
        first_frame,
        state_header,
        state_names,
    )
    from puzzles.maze3d.layout import ImageLayout

    version, cell_size, width, height = state_header(data, path)
    entities = _obj(data, "entities", path)
    player = _obj(entities, "player", path, "entities.")
    goal = _obj(entities, "goal", path, "entities.")
    start_px = _pixel_pos(player, "entities.player", path)
    _pixel_pos(goal, "entities.goal", path)
    player_box = _bbox(player, "entities.player", path)
    goal_box = _bbox(goal, "entities.goal", path)
    world = _world(data.get("metadata"), path)

    image, scale = first_frame(path, width, height)
    img_h, img_w = image.shape[:2]
    for name, box in (("entities.player", player_box), ("entities.goal", goal_box)):
        if box[2] * scale > img_w * 1.01 or box[3] * scale > img_h * 1.01 or min(box) < 0:
            raise BadInput(path, f"field '{name}.bbox' lies outside the {width:g}x{height:g} image")

    layout = ImageLayout(start_px=(start_px[0] * scale, start_px[1] * scale),
                         agent_box=_scaled(player_box, scale), goal_box=_scaled(goal_box, scale),
                         step_px=cell_size * scale, world=world)
    skin, difficulty = state_names(path)
    return Puzzle(id=f"vrbench/maze3d/{skin}/{difficulty}/{path.stem}", family="maze3d",
                  family_version=f"vrbench-{version}", difficulty=difficulty, skin=skin, seed=0, prompt="",
                  width=img_w, height=img_h, layout=layout.model_dump(mode="json"),
                  solution={"path": [], "waypoints": [],
                            "source": "VR-Bench states give the route in world cubes only (metadata.path)"},
                  image=image)


def _triple(value: Any, name: str, path: Path) -> list[int]:
    if (not isinstance(value, list | tuple) or len(value) != 3
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        raise BadInput(path, f"field '{name}' must be three integers [x, y, z], got {value!r}")
    return [int(v) for v in value]


def _world(metadata: Any, path: Path) -> dict[str, Any]:
    """The world in ``metadata``, checked for shape (it is kept, not used to judge)."""
    if not isinstance(metadata, dict):
        raise BadInput(path, "field 'metadata' must be an object holding the 3D maze's world")
    size = _triple(metadata.get("grid_size"), "metadata.grid_size", path)
    cubes = metadata.get("cubes")
    if not isinstance(cubes, list) or not cubes:
        raise BadInput(path, "field 'metadata.cubes' must be a non-empty list of [x, y, z] cubes")
    cubes = [_triple(c, f"metadata.cubes[{i}]", path) for i, c in enumerate(cubes)]
    start = _triple(metadata.get("start_pos"), "metadata.start_pos", path)
    goal = _triple(metadata.get("goal_pos"), "metadata.goal_pos", path)
    known = {tuple(c) for c in cubes}
    for name, cube in (("metadata.start_pos", start), ("metadata.goal_pos", goal)):
        if tuple(cube) not in known:
            raise BadInput(path, f"field '{name}' {cube} is not one of metadata.cubes")
    ladders = metadata.get("ladders", [])
    route = metadata.get("path", [])
    if not isinstance(ladders, list) or not isinstance(route, list):
        raise BadInput(path, "fields 'metadata.ladders' and 'metadata.path' must be lists")
    return {"grid_size": size, "cubes": cubes, "start_pos": start, "goal_pos": goal, "ladders": ladders,
            "path": route}


def _scaled(box: tuple[float, float, float, float], scale: float) -> tuple[float, float, float, float]:
    return (box[0] * scale, box[1] * scale, box[2] * scale, box[3] * scale)
