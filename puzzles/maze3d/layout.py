"""The layout of a 3D maze: the contract between its renderer and its verifier.

The world is a grid of ``X x Y`` columns of stacked unit cubes; ``heights[y][x]``
is how many cubes stand on cell ``(x, y)`` (0: no column, a gap). The top face
of a column is where the agent may stand. Cells are addressed ``(x, y)``.

Projection: a fixed isometric view, stored as a 2 x 4 matrix ``M`` so that a
world point ``(x, y, z)`` (x, y in cells, z in cube levels) is drawn at pixel
``(u, v) = M @ (x, y, z, 1)`` of ``frame0.png``. Our own puzzles use
``u = ox + a (x - y)``, ``v = oy + (a/2) (x + y) - a z``: the viewer looks from
the +x +y +z side, so of a column's side faces only the ``+x`` and ``+y`` ones
show, and a column hides only cells behind it (smaller x + y).

Moves (the rules): between 4-adjacent cells whose top faces are at the same
level; between levels only by a ladder. A ladder joins a ``low`` cell to a
4-adjacent ``high`` cell (any number of levels up); it stands on the side face
of the high column that faces the low cell. Our generator only puts ladders on
faces that the camera sees (the high cell is behind the low one).

Places: every column top (a cell) and every ladder is a *place*; the labelled
image :func:`place_labels` says which visible place each pixel shows, drawn
back to front (painter's algorithm) exactly as the renderer draws faces.

:class:`ImageLayout` is the layout of a 3D maze known by its image boxes only
(a VR-Bench state, which stores no projection).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, model_validator

Cell = tuple[int, int]
Box = tuple[float, float, float, float]
Point = tuple[float, float]

LADDER_SPAN = (0.15, 0.85)  # the part of a face's width that counts as the ladder (rails at 0.25 and 0.75)
RAILS = (0.25, 0.75)


class Ladder(BaseModel):
    """A ladder from the top of ``low`` up to the top of the 4-adjacent, taller ``high``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    low: Cell
    high: Cell


class Maze3DLayout(BaseModel):
    """Everything a verifier needs to judge a 3D maze video without the reference solution.

    Attributes:
        size: ``(X, Y, H)``: cells along x and y, and the most cube levels a column may have.
        heights: ``Y`` rows of ``X`` column heights (0: no column).
        ladders: the ladders.
        start, goal: cells ``(x, y)``.
        projection: 2 x 4 matrix from world ``(x, y, z, 1)`` to ``frame0.png`` pixels.
        step_px: image length of one move between neighbouring same-level cells (speeds are measured in it).
        agent_box, goal_box: boxes ``(x0, y0, x1, y1)`` of the agent as drawn at the start and of
            the agent as it stands on the goal (VR-Bench's goal box), in pixels.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "voxel"
    size: tuple[int, int, int]
    heights: list[list[int]]
    ladders: list[Ladder]
    start: Cell
    goal: Cell
    projection: list[list[float]]
    step_px: float
    agent_box: Box
    goal_box: Box

    @model_validator(mode="after")
    def _consistent(self) -> Maze3DLayout:
        nx_, ny, nh = self.size
        if len(self.heights) != ny or any(len(row) != nx_ for row in self.heights):
            raise ValueError(f"heights must be {ny} rows of {nx_} numbers")
        if any(not 0 <= h <= nh for row in self.heights for h in row):
            raise ValueError(f"heights must lie in 0..{nh}")
        if len(self.projection) != 2 or any(len(r) != 4 for r in self.projection):
            raise ValueError("projection must be a 2 x 4 matrix")
        for name, cell in (("start", self.start), ("goal", self.goal)):
            if self.height(cell) < 1:
                raise ValueError(f"{name} {cell} has no column to stand on")
        for lad in self.ladders:
            if abs(lad.low[0] - lad.high[0]) + abs(lad.low[1] - lad.high[1]) != 1:
                raise ValueError(f"ladder {lad.low}->{lad.high} does not join 4-adjacent cells")
            if not 1 <= self.height(lad.low) < self.height(lad.high):
                raise ValueError(f"ladder {lad.low}->{lad.high} does not lead up from a column to a taller one")
        return self

    # -- the world ----------------------------------------------------------------------------

    def inside(self, cell: Cell) -> bool:
        return 0 <= cell[0] < self.size[0] and 0 <= cell[1] < self.size[1]

    def height(self, cell: Cell) -> int:
        """Cube levels on ``cell``; 0 outside the grid."""
        return self.heights[cell[1]][cell[0]] if self.inside(cell) else 0

    @cached_property
    def cells(self) -> list[Cell]:
        """Every cell with a column, back to front (the order faces are drawn in)."""
        nx_, ny, _ = self.size
        found = [(x, y) for y in range(ny) for x in range(nx_) if self.heights[y][x] > 0]
        return sorted(found, key=lambda c: (c[0] + c[1], c[0]))

    # -- the projection -----------------------------------------------------------------------

    def project(self, x: float, y: float, z: float) -> Point:
        m = self.projection
        return (m[0][0] * x + m[0][1] * y + m[0][2] * z + m[0][3],
                m[1][0] * x + m[1][1] * y + m[1][2] * z + m[1][3])

    def top_centre(self, cell: Cell) -> Point:
        """Where the centre of ``cell``'s top face is drawn."""
        return self.project(cell[0] + 0.5, cell[1] + 0.5, self.height(cell))

    def top_face(self, cell: Cell) -> np.ndarray:
        x, y = cell
        z = self.height(cell)
        return np.array([self.project(*p, z) for p in ((x, y), (x + 1, y), (x + 1, y + 1), (x, y + 1))])

    def side_faces(self, cell: Cell) -> list[tuple[str, np.ndarray]]:
        """The column's two faces toward the camera: ``+x`` and ``+y``, ground to top."""
        x, y = cell
        h = self.height(cell)
        px = [(x + 1, y, 0), (x + 1, y + 1, 0), (x + 1, y + 1, h), (x + 1, y, h)]
        py = [(x, y + 1, 0), (x + 1, y + 1, 0), (x + 1, y + 1, h), (x, y + 1, h)]
        return [("+x", np.array([self.project(*p) for p in px])), ("+y", np.array([self.project(*p) for p in py]))]

    def ladder_frame(self, lad: Ladder) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ladder's face: ``(a, b, up)``: the face's bottom edge from a to b at the low level, and
        the vector from the low level to the high one (pixels)."""
        (lx, ly), (hx, hy) = lad.low, lad.high
        zl, zh = self.height(lad.low), self.height(lad.high)
        if lx != hx:  # the face x = max(lx, hx), spanning y .. y + 1
            fx = max(lx, hx)
            a, b = np.array(self.project(fx, ly, zl)), np.array(self.project(fx, ly + 1, zl))
        else:
            fy = max(ly, hy)
            a, b = np.array(self.project(lx, fy, zl)), np.array(self.project(lx + 1, fy, zl))
        up = np.array(self.project(0, 0, zh)) - np.array(self.project(0, 0, zl))
        return a, b, up

    def ladder_quad(self, lad: Ladder, span: tuple[float, float] = LADDER_SPAN) -> np.ndarray:
        a, b, up = self.ladder_frame(lad)
        p0, p1 = a + span[0] * (b - a), a + span[1] * (b - a)
        return np.array([p0, p1, p1 + up, p0 + up])

    def ladder_ends(self, lad: Ladder) -> tuple[Point, Point]:
        """Where the agent steps on (foot, at the low level) and off (top) the ladder: the face's mid-line."""
        a, b, up = self.ladder_frame(lad)
        mid = (a + b) / 2
        return (float(mid[0]), float(mid[1])), (float(mid[0] + up[0]), float(mid[1] + up[1]))

    # -- places and moves ---------------------------------------------------------------------

    @cached_property
    def places(self) -> Places:
        return Places.build(self)

    def route_points(self, cells: list[Cell]) -> list[Point]:
        """Image waypoints of a walk through ``cells``: top-face centres, and each ladder's foot and top.

        Consecutive cells must be same-level neighbours or joined by a ladder.
        """
        ladders = {frozenset((lad.low, lad.high)): lad for lad in self.ladders}
        points = [self.top_centre(cells[0])]
        for a, b in itertools.pairwise(cells):
            lad = ladders.get(frozenset((a, b)))
            if lad is not None and self.height(a) != self.height(b):
                foot, top = self.ladder_ends(lad)
                points.extend([foot, top] if a == lad.low else [top, foot])
            points.append(self.top_centre(b))
        return points


class ImageLayout(BaseModel):
    """A 3D maze known only by its image boxes (and its world, kept for the record, not used to judge).

    Attributes:
        kind: ``image``.
        start_px: where the agent's centre is at the start (``frame0.png`` pixels).
        agent_box, goal_box: the agent's box at the start and the goal's box.
        step_px: the length of one step in pixels (speeds are measured in it).
        world: the state's own world description (grid size, cubes, ladders, route), unchanged.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = "image"
    start_px: tuple[float, float]
    agent_box: Box
    goal_box: Box
    step_px: float
    world: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class Place:
    """A cell's top face or a ladder: ``kind`` ``cell`` or ``ladder``; ``cell`` the cell (the ladder's high cell)."""

    kind: str
    cell: Cell
    level: int  # top level of the cell; a ladder's high level
    low_level: int  # the same for a cell; a ladder's low level
    ladder: Ladder | None = None

    def describe(self) -> str:
        if self.ladder is None:
            return f"cell {self.cell} (level {self.level})"
        return f"the ladder from {self.ladder.low} up to {self.ladder.high}"


@dataclass(frozen=True)
class Places:
    """Every place of a layout, which places join which (legal moves), and the cell graph."""

    items: list[Place]
    index: dict[Cell, int]  # cell -> its place
    neighbours: list[frozenset[int]]

    @staticmethod
    def build(layout: Maze3DLayout) -> Places:
        items = [Place("cell", c, layout.height(c), layout.height(c)) for c in layout.cells]
        index = {p.cell: i for i, p in enumerate(items)}
        links: list[set[int]] = [set() for _ in items]
        for i, p in enumerate(items):
            x, y = p.cell
            for n in ((x + 1, y), (x, y + 1)):
                j = index.get(n)
                if j is not None and items[j].level == p.level:
                    links[i].add(j)
                    links[j].add(i)
        for lad in layout.ladders:
            k = len(items)
            items.append(Place("ladder", lad.high, layout.height(lad.high), layout.height(lad.low), lad))
            links.append({index[lad.low], index[lad.high]})
            links[index[lad.low]].add(k)
            links[index[lad.high]].add(k)
        return Places(items, index, [frozenset(s) for s in links])

    def cell_graph_distances(self, goal: Cell) -> dict[Cell, int]:
        """Fewest cell-to-cell moves (a ladder climb is one move) from every cell to ``goal``."""
        start = self.index[goal]
        dist = {start: 0}
        frontier = [start]
        while frontier:
            nxt = []
            for i in frontier:
                for j in self.neighbours[i]:
                    for k in ([j] if self.items[j].kind == "cell" else self.neighbours[j]):
                        if k not in dist:
                            dist[k] = dist[i] + 1
                            nxt.append(k)
            frontier = nxt
        return {self.items[i].cell: d for i, d in dist.items() if self.items[i].kind == "cell"}


def isometric(size: tuple[int, int, int], frame: int) -> tuple[list[list[float]], float]:
    """Our projection for a world of ``size`` in a ``frame`` x ``frame`` image, and the step length.

    ``a`` (half a top face's width) is even and as large as fits with a margin;
    the grid is centred for the tallest possible columns.
    """
    nx_, ny, nh = size
    usable = frame - 40
    a = int(min(usable / (nx_ + ny), usable / ((nx_ + ny) / 2 + nh))) // 2 * 2
    b, c = a / 2, float(a)
    ox = frame / 2 - a * (nx_ - ny) / 2
    oy = frame / 2 - ((nx_ + ny) * b - nh * c) / 2
    return [[a, -a, 0.0, ox], [b, b, -c, oy]], float(np.hypot(a, b))


def place_labels(layout: Maze3DLayout, shape: tuple[int, int], scale: float = 1.0) -> np.ndarray:
    """H x W int32: at each pixel, 1 + the index of the visible place there (0: none: a side face or gap).

    Faces are filled back to front as the renderer paints them, so a face hidden
    behind a taller column does not show; a ladder shows over its face.
    Coordinates are ``scale`` times ``frame0.png`` pixels.
    """
    labels = np.zeros(shape, dtype=np.int32)
    places = layout.places
    ladders_on: dict[Cell, list[int]] = {}
    for k, p in enumerate(places.items):
        if p.ladder is not None:
            ladders_on.setdefault(p.cell, []).append(k)
    for cell in layout.cells:
        for _, face in layout.side_faces(cell):
            _fill(labels, face * scale, 0)
        for k in ladders_on.get(cell, []):
            ladder = places.items[k].ladder
            assert ladder is not None
            _fill(labels, layout.ladder_quad(ladder) * scale, k + 1)
        _fill(labels, layout.top_face(cell) * scale, places.index[cell] + 1)
    return labels


def _fill(image: np.ndarray, polygon: np.ndarray, value: int) -> None:
    # Sub-pixel vertices (4 bits) so that the label edges sit where the faces' edges are.
    pts = np.round(polygon * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(image, [pts], int(value), lineType=cv2.LINE_8, shift=4)
