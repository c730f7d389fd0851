"""The layout of an irregular maze: roads (curves between nodes) drawn over open ground.

The contract between road renderers and the road verifier. Positions are
``(x, y)`` pixels of the puzzle's ``frame0.png``. ``curves[k]`` is the centre
line of the road joining ``nodes[edges[k][0]]`` to ``nodes[edges[k][1]]``,
sampled densely enough (a few pixels apart) to be drawn or measured as a
polyline. Every road is ``road_width`` pixels wide, centred on its curve; the
agent must keep to that surface. The verifier rebuilds the road mask from this
geometry, never from colours.
"""

from __future__ import annotations

import itertools
import math
from typing import Literal

import cv2
import networkx as nx
import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

Point = tuple[float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in frame0 pixels

ENDPOINT_SLACK = 0.25  # road widths a curve's end may lie from its node


class RoadLayout(BaseModel):
    """Nodes, the roads joining them, and where the agent starts and must go."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["roads"] = "roads"
    road_width: float
    nodes: list[Point]
    edges: list[tuple[int, int]]
    curves: list[list[Point]]
    start: int
    goal: int
    agent_box: Box
    goal_box: Box

    @model_validator(mode="after")
    def _consistent(self) -> RoadLayout:
        n = len(self.nodes)
        if self.road_width <= 0:
            raise ValueError(f"road_width must be positive, got {self.road_width}")
        if len(self.curves) != len(self.edges):
            raise ValueError(f"{len(self.edges)} edges but {len(self.curves)} curves")
        for k, ((a, b), curve) in enumerate(zip(self.edges, self.curves)):
            if not (0 <= a < n and 0 <= b < n) or a == b:
                raise ValueError(f"edge {k} ({a}, {b}) does not join two of the {n} nodes")
            if len(curve) < 2:
                raise ValueError(f"curve {k} has fewer than 2 points")
            for end, node in ((curve[0], a), (curve[-1], b)):
                if math.dist(end, self.nodes[node]) > ENDPOINT_SLACK * self.road_width + 1.0:
                    raise ValueError(f"curve {k} does not end on its node {node}")
        for name, node in (("start", self.start), ("goal", self.goal)):
            if not 0 <= node < n:
                raise ValueError(f"{name} {node} is not one of the {n} nodes")
        return self

    def graph(self) -> nx.Graph:
        """The road network: nodes by index, each edge with its ``length`` (pixels) and curve ``index``."""
        graph = nx.Graph()
        graph.add_nodes_from(range(len(self.nodes)))
        for k, (a, b) in enumerate(self.edges):
            length = polyline_length(np.asarray(self.curves[k], dtype=float))
            if not graph.has_edge(a, b) or graph[a][b]["length"] > length:
                graph.add_edge(a, b, length=length, index=k)
        return graph

    def curve(self, a: int, b: int) -> np.ndarray:
        """The centre line from node ``a`` to node ``b`` (N x 2), the shortest road joining them."""
        data = self.graph().get_edge_data(a, b)
        if data is None:
            raise ValueError(f"no road joins nodes {a} and {b}")
        points = np.asarray(self.curves[data["index"]], dtype=float)
        return points if self.edges[data["index"]][0] == a else points[::-1]

    def route(self, nodes: list[int]) -> np.ndarray:
        """The centre line along a sequence of nodes joined by roads (N x 2 pixels)."""
        if len(nodes) == 1:
            return np.asarray([self.nodes[nodes[0]]], dtype=float)
        graph = self.graph()
        parts = []
        for a, b in itertools.pairwise(nodes):
            data = graph.get_edge_data(a, b)
            if data is None:
                raise ValueError(f"no road joins nodes {a} and {b}")
            points = np.asarray(self.curves[data["index"]], dtype=float)
            points = points if self.edges[data["index"]][0] == a else points[::-1]
            parts.append(points if not parts else points[1:])
        return np.concatenate(parts)

    def shortest_route(self, a: int, b: int) -> list[int] | None:
        """The nodes of the shortest road route from ``a`` to ``b`` by length; None when none exists."""
        try:
            return [int(v) for v in nx.shortest_path(self.graph(), a, b, weight="length")]
        except nx.NetworkXNoPath:
            return None


def polyline_length(points: np.ndarray) -> float:
    """Length of a polyline (N x 2)."""
    return float(np.linalg.norm(np.diff(points, axis=0), axis=1).sum()) if len(points) > 1 else 0.0


def centre_distance(curves: list[list[Point]], size: tuple[int, int], scale: float) -> np.ndarray:
    """Distance (in pixels of the raster) from every pixel of a ``size`` (w, h) raster to the nearest centre line.

    Curves are given in puzzle pixels and drawn at ``scale`` raster pixels per
    puzzle pixel, at sub-pixel precision.
    """
    w, h = size
    lines = np.full((h, w), 255, np.uint8)
    shift = 4  # fixed-point bits: sub-pixel centre lines
    for curve in curves:
        pts = np.round((np.asarray(curve, dtype=float) * scale - 0.5) * (1 << shift)).astype(np.int32)
        cv2.polylines(lines, [pts.reshape(-1, 1, 2)], False, 0, 1, cv2.LINE_8, shift)
    dist: np.ndarray = cv2.distanceTransform(lines, cv2.DIST_L2, 5)
    return dist


def sample_curve(curve: list[Point] | np.ndarray, step: float) -> np.ndarray:
    """Points along a polyline no more than ``step`` apart (its own points kept).

    Segment ``a``-``b`` gets ``n = max(1, ceil(|b - a| / step))`` points ``a + (k / n) (b - a)``,
    k = 1..n, all segments at once: the same arithmetic element by element as segment by segment.
    """
    points = np.asarray(curve, dtype=float)
    if len(points) < 2:
        return np.concatenate([points[:1]])
    d = points[1:] - points[:-1]
    ratio = np.linalg.norm(d, axis=1) / step
    n = np.maximum(1, np.ceil(ratio)).astype(np.int64)
    # The lengths summed here and by the 2-vector norm of one segment may differ in their last bit:
    # a segment within a hair of a whole number of steps gets its count the segment-by-segment way.
    near = np.abs(ratio - np.round(ratio)) <= 1e-9 * np.maximum(1.0, ratio)
    for i in np.flatnonzero(near).tolist():
        n[i] = max(1, math.ceil(float(np.linalg.norm(d[i])) / step))
    ends = np.cumsum(n)
    segment = np.repeat(np.arange(len(n)), n)
    k = np.arange(1, int(ends[-1]) + 1) - np.repeat(ends - n, n)  # 1..n within each segment
    t = (k / n[segment])[:, None]
    return np.concatenate([points[:1], points[:-1][segment] + t * d[segment]])


__all__ = ["RoadLayout", "centre_distance", "polyline_length", "sample_curve"]
