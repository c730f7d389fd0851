"""The layout of a puzzle drawn on a regular grid: the contract between grid renderers and verifiers.

Cells are addressed ``(row, col)`` from the top-left. Positions in pixels are
``(x, y)`` in the puzzle's ``frame0.png``. Cell ``(r, c)`` covers
``[origin_x + c*cell_size, origin_x + (c+1)*cell_size)`` horizontally and
likewise vertically. ``cells`` holds one string per row with one character per
cell: ``#`` wall, ``.`` floor (families add their own codes, e.g. ``T`` a trap).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

WALL = "#"
FLOOR = "."

Cell = tuple[int, int]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in frame0 pixels


class GridLayout(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    rows: int
    cols: int
    cell_size: float
    origin: tuple[float, float]
    cells: list[str]
    start: Cell
    goal: Cell
    agent_box: Box
    goal_box: Box

    @model_validator(mode="after")
    def _consistent(self) -> "GridLayout":
        if len(self.cells) != self.rows or any(len(row) != self.cols for row in self.cells):
            raise ValueError(f"cells must be {self.rows} strings of {self.cols} characters")
        for name, (r, c) in (("start", self.start), ("goal", self.goal)):
            if not (0 <= r < self.rows and 0 <= c < self.cols):
                raise ValueError(f"{name} {r, c} lies outside the {self.rows}x{self.cols} grid")
        return self

    def code(self, cell: Cell) -> str:
        r, c = cell
        return self.cells[r][c]

    def inside(self, cell: Cell) -> bool:
        return 0 <= cell[0] < self.rows and 0 <= cell[1] < self.cols

    def is_open(self, cell: Cell) -> bool:
        """A cell the agent may stand on (inside the grid and not a wall)."""
        return self.inside(cell) and self.code(cell) != WALL

    def neighbours(self, cell: Cell) -> list[Cell]:
        r, c = cell
        return [n for n in ((r - 1, c), (r + 1, c), (r, c - 1), (r, c + 1)) if self.is_open(n)]

    def cell_center(self, cell: Cell) -> tuple[float, float]:
        r, c = cell
        return (self.origin[0] + (c + 0.5) * self.cell_size, self.origin[1] + (r + 0.5) * self.cell_size)

    def cell_box(self, cell: Cell) -> Box:
        r, c = cell
        x0 = self.origin[0] + c * self.cell_size
        y0 = self.origin[1] + r * self.cell_size
        return (x0, y0, x0 + self.cell_size, y0 + self.cell_size)

    def to_grid(self, x: float, y: float) -> tuple[float, float]:
        """Pixel ``(x, y)`` to continuous grid coordinates ``(row, col)``; cell centres are at +0.5."""
        return ((y - self.origin[1]) / self.cell_size, (x - self.origin[0]) / self.cell_size)

    def board_box(self) -> Box:
        return (self.origin[0], self.origin[1],
                self.origin[0] + self.cols * self.cell_size, self.origin[1] + self.rows * self.cell_size)

    def wall_mask(self) -> np.ndarray:
        """rows x cols boolean array, True on walls."""
        return np.array([[ch == WALL for ch in row] for row in self.cells], dtype=bool)
