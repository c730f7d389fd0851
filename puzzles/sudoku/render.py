"""The sudoku board: skins, the layout a verifier reads, and frames with digits drawn, fading in.

The frame is 512 x 512. Cells are ``(512 - 32) // n`` pixels (an integer) and
the grid is centred with an integer origin. Box borders and the outer border
are thick lines, the other cell borders thin ones; lines are centred on cell
edges. A digit is ``DIGIT_FRACTION`` of its cell tall, centred. What a
verifier may rely on: :class:`SudokuLayout` (no pixels are needed from the
skin), and that digits stay inside the middle 70% of their cell.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict

from genreason.errors import UnknownName
from puzzles.sudoku.fonts import Font, digit_mask
from puzzles.sudoku.grid import EMPTY

FRAME_SIZE = 512
MIN_MARGIN = 16

RGB = tuple[int, int, int]
Cell = tuple[int, int]


class SudokuLayout(BaseModel):
    """What a verifier needs to read a sudoku video, without the solution.

    Cells are ``[row, col]`` from the top-left; pixels ``[x, y]`` in ``frame0.png``.
    """

    model_config = ConfigDict(extra="forbid")

    size: int  # n: the grid is n x n, digits 1..n
    box: tuple[int, int]  # box rows, box cols
    origin: tuple[int, int]  # [x, y] of the grid's top-left corner
    cell_size: int  # pixels per cell
    grid_box: tuple[int, int, int, int]  # [x0, y0, x1, y1] of the whole grid
    cells: list[tuple[int, int, int, int]]  # [x0, y0, x1, y1] of every cell, row-major
    clues: list[str]  # one string per row: a digit where one is given, "." where the cell is empty

    def cell_box(self, cell: Cell) -> tuple[int, int, int, int]:
        return self.cells[cell[0] * self.size + cell[1]]

    def clue(self, cell: Cell) -> int:
        """The given digit of ``cell``, 0 when it starts empty."""
        ch = self.clues[cell[0]][cell[1]]
        return 0 if ch == EMPTY else int(ch)

    @property
    def empty_cells(self) -> list[Cell]:
        return [(r, c) for r in range(self.size) for c in range(self.size) if self.clues[r][c] == EMPTY]


def make_layout(clues: Sequence[str], box: tuple[int, int]) -> SudokuLayout:
    n = len(clues)
    cell = (FRAME_SIZE - 2 * MIN_MARGIN) // n
    origin = (FRAME_SIZE - n * cell) // 2
    boxes = [(origin + c * cell, origin + r * cell, origin + (c + 1) * cell, origin + (r + 1) * cell)
             for r in range(n) for c in range(n)]
    return SudokuLayout(size=n, box=box, origin=(origin, origin), cell_size=cell,
                        grid_box=(origin, origin, origin + n * cell, origin + n * cell), cells=boxes,
                        clues=list(clues))


@dataclass(frozen=True)
class Skin:
    """Colours, line style and fonts of one look, and the words a prompt uses for the digits.

    Attributes:
        clue_fill: colour of the cells holding a given digit (None: the background).
        thin, thick: line widths in pixels (cell borders; box borders and outline).
        dashed: thin lines drawn as dashes.
        clue_font, pen_font: fonts of the given digits and of the digits written in.
        clue_words, pen_words: prompt words for their colours.
    """

    name: str
    background: RGB
    clue_fill: RGB | None
    line: RGB
    thin: int
    thick: int
    dashed: bool
    clue_font: Font
    clue_colour: RGB
    pen_font: Font
    pen_colour: RGB
    clue_words: str
    pen_words: str


SKINS: dict[str, Skin] = {s.name: s for s in (
    Skin("classic", (255, 255, 255), (226, 226, 226), (0, 0, 0), 1, 4, False,
         Font("pillow", 0.04), (0, 0, 0), Font("pen", 0.09), (30, 70, 200), "black", "blue"),
    Skin("newsprint", (246, 240, 222), None, (70, 52, 40), 2, 3, True,
         Font("pillow", 0.0), (40, 30, 30), Font("pen", 0.07, italic=True), (170, 30, 30), "dark brown", "red"),
    Skin("chalkboard", (34, 62, 48), None, (214, 224, 214), 2, 5, False,
         Font("pen", 0.12), (245, 245, 240), Font("pillow", 0.03), (240, 214, 80), "white", "yellow"),
)}


def get_skin(name: str) -> Skin:
    if name not in SKINS:
        raise UnknownName("sudoku skin", name, list(SKINS))
    return SKINS[name]


def empty_board(layout: SudokuLayout, skin: Skin) -> np.ndarray:
    """The grid without any digit (clue cells filled when the skin fills them)."""
    image = np.empty((FRAME_SIZE, FRAME_SIZE, 3), dtype=np.uint8)
    image[:] = skin.background
    if skin.clue_fill is not None:
        for r, row in enumerate(layout.clues):
            for c, ch in enumerate(row):
                if ch != EMPTY:
                    x0, y0, x1, y1 = layout.cell_box((r, c))
                    image[y0:y1, x0:x1] = skin.clue_fill
    n, (br, bc) = layout.size, layout.box
    lines = [(k, vertical, k % (bc if vertical else br) == 0) for k in range(n + 1) for vertical in (True, False)]
    for k, vertical, thick in sorted(lines, key=lambda line: line[2]):  # thick lines over thin ones
        _line(image, layout, k, vertical, skin.thick if thick else skin.thin, skin.dashed and not thick, skin)
    return image


def _line(image: np.ndarray, layout: SudokuLayout, k: int, vertical: bool, width: int, dashed: bool,
          skin: Skin) -> None:
    """The grid line on cell edge ``k`` (0..n), ``width`` pixels centred on the edge, over the whole grid."""
    ox, oy = layout.origin
    side = layout.size * layout.cell_size
    lo = (ox if vertical else oy) + k * layout.cell_size - width // 2
    start = (oy if vertical else ox) - skin.thick // 2  # run over the corners of the thick outline
    along = np.arange(side + skin.thick)
    keep = (along % 8) < 4 if dashed else np.ones(len(along), dtype=bool)
    if vertical:
        image[start:start + len(along), lo:lo + width][keep] = skin.line
    else:
        image[lo:lo + width, start:start + len(along)][:, keep] = skin.line


def paint_digit(image: np.ndarray, layout: SudokuLayout, cell: Cell, digit: int, font: Font, colour: RGB,
                alpha: float = 1.0) -> None:
    """Composite ``digit`` into ``cell`` of ``image`` (in place), ``alpha`` of the way in."""
    x0, y0, x1, y1 = layout.cell_box(cell)
    mask = digit_mask(str(digit), font, layout.cell_size)[..., None] * np.float32(alpha)
    patch = image[y0:y1, x0:x1].astype(np.float32)
    image[y0:y1, x0:x1] = np.rint(patch * (1 - mask) + np.asarray(colour, np.float32) * mask).astype(np.uint8)


def paint_clues(image: np.ndarray, layout: SudokuLayout, skin: Skin) -> None:
    for r in range(layout.size):
        for c in range(layout.size):
            if layout.clue((r, c)):
                paint_digit(image, layout, (r, c), layout.clue((r, c)), skin.clue_font, skin.clue_colour)


def first_frame(layout: SudokuLayout, skin: Skin) -> np.ndarray:
    """The empty grid with the given digits."""
    image = empty_board(layout, skin)
    paint_clues(image, layout, skin)
    return image
