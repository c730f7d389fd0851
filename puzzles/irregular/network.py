"""Generate a seeded road network: a planar graph of curved roads with dead ends.

Nodes are a jittered n x n lattice; candidate roads join lattice neighbours
and one diagonal of each square (a planar triangulation, like a Delaunay
graph of the points). Each road is a quadratic Bezier curve with a seeded
bend (straightened if the bend brings it too near another road). Candidates
are taken in a seeded order and kept when they join two unconnected pieces
(a random spanning forest: dead ends) and keep their distance from the roads
already kept; then a few extra roads make loops. The largest connected piece
(at least :data:`MIN_COVER` of the nodes) is the network. So

- roads that share no node stay at least :data:`SEPARATION` road widths apart
  (centre line to centre line) everywhere, and roads that share a node meet at
  an angle of at least :data:`MIN_ANGLE` and part beyond a few widths: so
  "the agent stays on the road" tells a legal route from a shortcut;

and a start and goal are kept only if

- the shortest road route between them visits at least the difficulty's
  number of nodes (VR-Bench: 4, 6, 7) and at most :data:`LONGER` more;
- the straight line from start to goal leaves the roads by more than a road
  width somewhere (so gliding straight there is illegal).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from puzzles.irregular.layout import polyline_length, sample_curve

FRAME = 512
# VR-Bench's road widths at 1024 px (60/50/36), at our 512 px frame.
ROAD_WIDTH = {"easy": 30.0, "medium": 25.0, "hard": 18.0}
LATTICE = {"easy": 4, "medium": 5, "hard": 6}
MIN_NODES = {"easy": 4, "medium": 6, "hard": 7}
EXTRA_ROADS = {"easy": 1, "medium": 2, "hard": 3}
JITTER = 0.2  # of the lattice spacing, each axis
BEND = 0.18  # largest sideways offset of a curve's control point, over the road's length
SEPARATION = 2.5  # road widths between the centre lines of roads that share no node
MIN_ANGLE = 40.0  # degrees between two roads leaving the same node
PART = 3.0  # road widths from a shared node beyond which two roads must be SEPARATION - 0.5 apart
OFF_ROAD = 1.0  # road widths the straight start-goal line must leave the road surface by
CURVE_STEP = 2.0  # pixels between stored curve points
LONGER = 2  # nodes a solution may have beyond the difficulty's minimum
MIN_COVER = 0.6  # share of the lattice's nodes the network must reach
ATTEMPTS = 400


@dataclass(frozen=True)
class Network:
    """A generated network: node positions, roads (node pairs and centre lines), start, goal and route."""

    nodes: list[tuple[float, float]]
    edges: list[tuple[int, int]]
    curves: list[np.ndarray]
    start: int
    goal: int
    route: list[int]
    road_width: float


def make_network(difficulty: str, seed: int) -> Network:
    """The network of ``seed`` at ``difficulty``; the same arguments always give the same network."""
    rng = np.random.default_rng(seed)
    width = ROAD_WIDTH[difficulty]
    for _ in range(ATTEMPTS):
        found = _attempt(rng, LATTICE[difficulty], width, MIN_NODES[difficulty], EXTRA_ROADS[difficulty])
        if found is not None:
            return found
    raise RuntimeError(f"no road network found for seed {seed} ({difficulty}) in {ATTEMPTS} attempts")


def _attempt(rng: np.random.Generator, n: int, width: float, min_nodes: int, extra: int) -> Network | None:
    margin = 1.6 * width + 8
    spacing = (FRAME - 2 * margin) / (n - 1)
    grid = np.stack(np.meshgrid(np.arange(n), np.arange(n)), axis=-1).reshape(-1, 2)  # (col, row)
    nodes = margin + grid * spacing + rng.uniform(-JITTER, JITTER, size=grid.shape) * spacing
    index = {(int(c), int(r)): i for i, (c, r) in enumerate(grid)}
    candidates: list[tuple[int, int]] = []
    for (c, r), i in index.items():
        if c + 1 < n:
            candidates.append((i, index[(c + 1, r)]))
        if r + 1 < n:
            candidates.append((i, index[(c, r + 1)]))
        if c + 1 < n and r + 1 < n:  # one diagonal per square, either way: still planar
            candidates.append((i, index[(c + 1, r + 1)]) if rng.random() < 0.5
                              else (index[(c + 1, r)], index[(c, r + 1)]))

    # Kruskal over shuffled candidates, keeping only roads that keep their distance from those kept:
    # a spanning forest (dead ends), then a few extra roads (loops).
    parent = list(range(len(nodes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    chosen: list[tuple[int, int]] = []
    curves: dict[tuple[int, int], np.ndarray] = {}
    spare: list[tuple[int, int]] = []
    for k in rng.permutation(len(candidates)):
        edge = candidates[int(k)]
        ra, rb = root(edge[0]), root(edge[1])
        if ra == rb:
            spare.append(edge)
            continue
        curve = _fitting_curve(edge, rng, chosen, curves, nodes, width)
        if curve is not None:
            parent[ra] = rb
            chosen.append(edge)
            curves[edge] = curve
    for k in rng.permutation(len(spare)):
        if extra == 0:
            break
        edge = spare[int(k)]
        curve = _fitting_curve(edge, rng, chosen, curves, nodes, width)
        if curve is not None:
            chosen.append(edge)
            curves[edge] = curve
            extra -= 1

    graph = nx.Graph()
    for a, b in chosen:
        graph.add_edge(a, b, length=polyline_length(curves[(a, b)]))
    # The largest connected piece is the network; the start is one of its nodes.
    piece = sorted(max(nx.connected_components(graph), key=len))
    if len(piece) < MIN_COVER * len(nodes):
        return None
    start = int(piece[int(rng.integers(len(piece)))])
    _, routes = nx.single_source_dijkstra(graph, start, weight="length")
    # The goal: a node whose route is long enough but not much longer (videos stay short), by the seed.
    fitting = sorted(g for g, r in routes.items() if min_nodes <= len(r) <= min_nodes + LONGER)
    rng.shuffle(fitting)
    goal = next((int(g) for g in fitting
                 if _straight_leaves_road(nodes[start], nodes[g], chosen, curves, width)), None)
    if goal is None:
        return None
    # Only the start's piece is kept, its nodes renumbered in their lattice order.
    renumber = {old: new for new, old in enumerate(piece)}
    kept = [e for e in chosen if e[0] in renumber]
    return Network(nodes=[(float(nodes[i][0]), float(nodes[i][1])) for i in piece],
                   edges=[(renumber[a], renumber[b]) for a, b in kept], curves=[curves[e] for e in kept],
                   start=renumber[start], goal=renumber[goal],
                   route=[renumber[int(v)] for v in routes[goal]], road_width=width)


def _fitting_curve(edge: tuple[int, int], rng: np.random.Generator, chosen: list[tuple[int, int]],
                   curves: dict[tuple[int, int], np.ndarray], nodes: np.ndarray, width: float) -> np.ndarray | None:
    """A bent curve for ``edge`` that keeps its distance from the roads chosen, else a straight one, else None."""
    for bend in (rng.uniform(-BEND, BEND), 0.0):
        curve = _bezier(nodes[edge[0]], nodes[edge[1]], bend)
        if _fits(edge, curve, chosen, curves, nodes, width):
            return curve
    return None


def _bezier(a: np.ndarray, b: np.ndarray, bend: float) -> np.ndarray:
    """A quadratic Bezier from ``a`` to ``b`` whose control point is ``bend`` lengths off the chord, sampled densely."""
    d = b - a
    length = float(np.hypot(*d))
    normal = np.array([-d[1], d[0]]) / length
    control = (a + b) / 2 + normal * bend * length
    t = np.linspace(0.0, 1.0, max(8, math.ceil(length / CURVE_STEP)) + 1)[:, None]
    points = (1 - t) ** 2 * a + 2 * (1 - t) * t * control + t ** 2 * b
    points[0], points[-1] = a, b
    return np.round(points, 2)


def _fits(edge: tuple[int, int], curve: np.ndarray, chosen: list[tuple[int, int]],
          curves: dict[tuple[int, int], np.ndarray], nodes: np.ndarray, width: float) -> bool:
    """Whether a road keeps its distance from every road already chosen."""
    for other in chosen:
        shared = set(edge) & set(other)
        theirs = curves[other]
        if not shared:
            if _min_distance(curve, theirs) < SEPARATION * width:
                return False
            continue
        node = nodes[shared.pop()]
        if _angle_at(curve, node) is not None and _angle_between(curve, theirs, node) < MIN_ANGLE:
            return False
        far_mine = curve[np.linalg.norm(curve - node, axis=1) > PART * width]
        far_theirs = theirs[np.linalg.norm(theirs - node, axis=1) > PART * width]
        if len(far_mine) and len(far_theirs) and (
                _min_distance(far_mine, theirs) < (SEPARATION - 0.5) * width
                or _min_distance(far_theirs, curve) < (SEPARATION - 0.5) * width):
            return False
    return True


def _min_distance(p: np.ndarray, q: np.ndarray) -> float:
    gap = np.maximum(p.min(0) - q.max(0), q.min(0) - p.max(0)).max()
    if gap > 0:  # boxes apart: a lower bound is enough to pass every separation test
        return float(gap)
    dense_p, dense_q = sample_curve(p, CURVE_STEP), sample_curve(q, CURVE_STEP)
    diff = dense_p[:, None, :] - dense_q[None, :, :]
    return float(np.sqrt((diff ** 2).sum(-1).min()))


def _angle_at(curve: np.ndarray, node: np.ndarray) -> np.ndarray | None:
    """The unit direction in which ``curve`` leaves ``node`` (one of its ends)."""
    pts = curve if np.allclose(curve[0], node) else curve[::-1]
    d = pts[min(4, len(pts) - 1)] - pts[0]
    norm = float(np.hypot(*d))
    return None if norm == 0 else d / norm


def _angle_between(a: np.ndarray, b: np.ndarray, node: np.ndarray) -> float:
    da, db = _angle_at(a, node), _angle_at(b, node)
    if da is None or db is None:
        return 180.0
    return math.degrees(math.acos(float(np.clip(np.dot(da, db), -1.0, 1.0))))


def _straight_leaves_road(a: np.ndarray, b: np.ndarray, edges: list[tuple[int, int]],
                          curves: dict[tuple[int, int], np.ndarray], width: float) -> bool:
    line = sample_curve(np.stack([a, b]), CURVE_STEP)
    dense = np.concatenate([sample_curve(curves[e], CURVE_STEP) for e in edges])
    nearest = np.full(len(line), np.inf)
    for chunk in np.array_split(dense, max(1, len(dense) // 400)):
        d = np.sqrt(((line[:, None, :] - chunk[None, :, :]) ** 2).sum(-1)).min(axis=1)
        nearest = np.minimum(nearest, d)
    return bool(nearest.max() > (0.5 + OFF_ROAD) * width)
