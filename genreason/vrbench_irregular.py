"""VR-Bench ``pathfinder`` states (its irregular maze) as genreason ``irregular`` puzzles.

VR-Bench's pathfinder (``games/pathfinder``) writes no grid. Its state carries
``render`` (``cell_size`` = the road width, ``image_width``/``image_height``),
``entities.player``/``entities.goal`` (``pixel_pos`` and a road-width square
``bbox`` around the start and end points) and, in ``metadata``, the roads
themselves: ``segments`` (one list of Bezier control points ``[x, y]`` per
road, of any degree; VR-Bench draws each as 401 points truncated to whole
pixels, joined by a polyline ``road_width`` wide), ``start_point``,
``end_point``, ``solution_path`` (the node positions of its solution),
``solution_segments`` and ``road_width``.

With ``metadata.segments`` the road network is rebuilt exactly (the segment
ends are the nodes) and every rule is judged. A state without them carries
only the player and the goal: then the on-road rule cannot be checked, and the
puzzle says so in ``layout["unchecked"]`` (the verifier reports it as a
``rule_not_checked`` event and ``rules_not_checked``); the goal, speed, copies,
vanishing and board are still judged.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import ValidationError

from genreason.errors import BadInput
from genreason.types import Puzzle, validation_problem
from genreason.vrbench import (
    _bbox,
    _number,
    _obj,
    _pixel_pos,
    first_frame,
    state_names,
)

CURVE_SEGMENTS = 400  # VR-Bench evaluates every Bezier road at this many steps
KEEP_EVERY = 4  # of those points, keep one in this many (about 2-3 pixels apart) in the layout
NODE_MERGE = 0.25  # road widths within which segment ends are one node
NODE_MATCH = 0.5  # road widths within which a start, end or solution point names a node
ON_ROAD_RULE = "the agent stays on the road (the state carries no road geometry: metadata.segments)"
SOLUTION_SOURCE = "VR-Bench's solution_path"
SHORTEST_SOURCE = "shortest road route computed by genreason (the state's solution_path does not follow its roads)"


def pathfinder_puzzle(data: dict[str, Any], path: Path) -> Puzzle:
    """The ``irregular`` puzzle of a parsed VR-Bench pathfinder state read from ``path``."""
    from puzzles.irregular.layout import RoadLayout

    render = _obj(data, "render", path)
    width = _number(render, "image_width", path, "render.", positive=True)
    height = _number(render, "image_height", path, "render.", positive=True)
    meta = data.get("metadata", {})
    if not isinstance(meta, dict):
        raise BadInput(path, f"field 'metadata' must be an object, got {type(meta).__name__}")
    road_width = (_number(meta, "road_width", path, "metadata.", positive=True) if "road_width" in meta
                  else _number(render, "cell_size", path, "render.", positive=True))
    entities = _obj(data, "entities", path)
    player = _obj(entities, "player", path, "entities.")
    goal = _obj(entities, "goal", path, "entities.")
    start_px = _point(meta, "start_point", path) if "start_point" in meta else _pixel_pos(player, "entities.player", path)
    end_px = _point(meta, "end_point", path) if "end_point" in meta else _pixel_pos(goal, "entities.goal", path)
    boxes = [_bbox(player, "entities.player", path), _bbox(goal, "entities.goal", path)]

    image, scale = first_frame(path, width, height)
    img_h, img_w = image.shape[:2]

    def px(p: tuple[float, float]) -> tuple[float, float]:
        # VR-Bench draws at whole pixels (int(x)); pixel i's centre is at i + 0.5 in our coordinates.
        return ((math.floor(p[0]) + 0.5) * scale, (math.floor(p[1]) + 0.5) * scale)

    w = road_width * scale
    segments = meta.get("segments")
    unchecked: list[str] = []
    if segments is None:
        nodes, edges, curves = [px(start_px), px(end_px)], [], []
        unchecked.append(ON_ROAD_RULE)
    else:
        nodes, edges, curves = _network(segments, path, scale, w)
    start = _node_at(nodes, px(start_px), w, path, "metadata.start_point", create=not edges)
    end = _node_at(nodes, px(end_px), w, path, "metadata.end_point", create=not edges)
    agent_box, goal_box = (tuple(v * scale for v in box) for box in boxes)
    try:
        layout = RoadLayout(road_width=w, nodes=nodes, edges=edges, curves=curves, start=start, goal=end,
                            agent_box=agent_box, goal_box=goal_box)
    except ValidationError as exc:
        raise BadInput(path, f"not a road network genreason can judge: {validation_problem(exc)}") from None
    solution = _solution(meta, layout, path, px, w) if edges else {
        "nodes": [start, end], "source": "none (the state carries no roads)"}
    skin, difficulty = state_names(path)
    stored = layout.model_dump(mode="json")
    if unchecked:
        stored["unchecked"] = unchecked
    return Puzzle(id=f"vrbench/pathfinder/{skin}/{difficulty}/{path.stem}", family="irregular",
                  family_version=f"vrbench-{data.get('version')}", difficulty=difficulty, skin=skin, seed=0,
                  prompt="", width=img_w, height=img_h, layout=stored, solution=solution, image=image)


def bezier(control: np.ndarray, steps: int = CURVE_SEGMENTS) -> np.ndarray:
    """A Bezier curve of any degree through its control points (N x 2), at ``steps + 1`` points."""
    n = len(control) - 1
    t = np.linspace(0.0, 1.0, steps + 1)[:, None]
    weights = np.stack([math.comb(n, j) * t[:, 0] ** j * (1 - t[:, 0]) ** (n - j) for j in range(n + 1)], axis=1)
    out: np.ndarray = weights @ control
    return out


def _point(meta: dict[str, Any], key: str, path: Path) -> tuple[float, float]:
    value = meta.get(key)
    if (not isinstance(value, list) or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in value)):
        raise BadInput(path, f"field 'metadata.{key}' must be [x, y], got {value!r}")
    return float(value[0]), float(value[1])


def _network(segments: Any, path: Path, scale: float, w: float
             ) -> tuple[list[tuple[float, float]], list[tuple[int, int]], list[list[tuple[float, float]]]]:
    if not isinstance(segments, list) or not segments:
        raise BadInput(path, "field 'metadata.segments' must be a non-empty list of roads (lists of [x, y])")
    nodes: list[tuple[float, float]] = []
    edges: list[tuple[int, int]] = []
    curves: list[list[tuple[float, float]]] = []
    for k, seg in enumerate(segments):
        if (not isinstance(seg, list) or len(seg) < 2
                or not all(isinstance(p, list) and len(p) == 2 and all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in p)
                    for p in seg)):
            raise BadInput(path, f"field 'metadata.segments[{k}]' must be a list of at least two [x, y] points")
        # As VR-Bench draws it: evaluated, truncated to whole pixels, pixel centres at +0.5.
        drawn = (np.floor(bezier(np.asarray(seg, dtype=float))) + 0.5) * scale
        kept = np.concatenate([drawn[:-1:KEEP_EVERY], drawn[-1:]])
        ends = [_merge(nodes, tuple(map(float, kept[i])), w) for i in (0, -1)]
        if ends[0] == ends[1]:
            continue  # a road that starts and ends on one node leads nowhere
        kept[0], kept[-1] = nodes[ends[0]], nodes[ends[1]]
        edges.append((ends[0], ends[1]))
        curves.append([(round(float(x), 3), round(float(y), 3)) for x, y in kept])
    if not edges:
        raise BadInput(path, "field 'metadata.segments' holds no road that joins two different points")
    return nodes, edges, curves


def _merge(nodes: list[tuple[float, float]], p: tuple[float, float], w: float) -> int:
    for i, q in enumerate(nodes):
        if math.dist(p, q) <= NODE_MERGE * w:
            return i
    nodes.append(p)
    return len(nodes) - 1


def _node_at(nodes: list[tuple[float, float]], p: tuple[float, float], w: float, path: Path, field: str,
             create: bool) -> int:
    best = min(range(len(nodes)), key=lambda i: math.dist(nodes[i], p))
    if math.dist(nodes[best], p) <= NODE_MATCH * w:
        return best
    if create:
        nodes.append(p)
        return len(nodes) - 1
    raise BadInput(path, f"field '{field}' {p} is not at the end of any road in metadata.segments")


def _solution(meta: dict[str, Any], layout: Any, path: Path, px: Any, w: float) -> dict[str, Any]:
    """VR-Bench's solution_path as node indices when it follows the roads, else the shortest road route."""
    points = meta.get("solution_path")
    if isinstance(points, list) and len(points) >= 2:
        try:
            nodes = [_node_at(layout.nodes, px(_point({"p": p}, "p", path)), w, path, "metadata.solution_path",
                              create=False) for p in points]
            layout.route(nodes)
            if nodes[0] == layout.start and nodes[-1] == layout.goal:
                return {"nodes": nodes, "source": SOLUTION_SOURCE}
        except (BadInput, ValueError):
            pass
    route = layout.shortest_route(layout.start, layout.goal)
    if route is None:
        raise BadInput(path, "the end point cannot be reached from the start point along metadata.segments")
    return {"nodes": route, "source": SHORTEST_SOURCE}


__all__ = ["ON_ROAD_RULE", "bezier", "pathfinder_puzzle"]
