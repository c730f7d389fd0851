"""The sudoku family: seeded puzzles with a unique solution, drawn on a 512 x 512 frame, and their videos.

Difficulties (size, given digits, cells to fill):

- ``easy``: 4 x 4 with 2 x 2 boxes, 7 givens, 9 to fill;
- ``medium``: 9 x 9 with 3 x 3 boxes, 40 givens, 41 to fill;
- ``hard``: 9 x 9 with 3 x 3 boxes, 28 givens, 53 to fill.

Every puzzle has exactly one solution (proved by counting solutions up to
two). Skins change colours, fonts and line styles, never the grid.
"""

from __future__ import annotations

import numpy as np

from genreason.errors import UnknownName
from genreason.types import Puzzle
from puzzles.animate import require_motion, require_own
from puzzles.sudoku import animate
from puzzles.sudoku.grid import generate
from puzzles.sudoku.negatives import Case, calibration_cases
from puzzles.sudoku.render import (
    FRAME_SIZE,
    SKINS,
    SudokuLayout,
    first_frame,
    get_skin,
    make_layout,
)

DIFFICULTIES = {"easy": (4, 7), "medium": (9, 40), "hard": (9, 28)}  # name -> (side, givens)
MOTIONS = ("solution", "random-walk")

PROMPT = ("A {n} by {n} sudoku grid. The {clue} digits are given. Fill every empty cell with one digit "
          "from 1 to {n}, writing them in {pen} one at a time, so that each row, each column and each "
          "{br} by {bc} box holds every digit from 1 to {n} exactly once. Leave the {clue} digits as they are.")


class SudokuFamily:
    """Sudoku puzzles (4 x 4 and 9 x 9) and their videos: the oracle writes the missing digits one by one.

    Motions (:meth:`animate`): ``solution`` and ``random-walk`` (seeded random
    digits in every empty cell: it must fail); ``straight-line`` has no meaning here.
    """

    name = "sudoku"
    version = "1"
    difficulties = tuple(DIFFICULTIES)
    skins = tuple(SKINS)
    verifier = "sudoku"

    def generate(self, seed: int, difficulty: str, skin: str, puzzle_id: str) -> Puzzle:
        """Build the puzzle for ``seed``; the same arguments always give the same bytes on disk.

        Args:
            seed: drives the solution grid and which digits are given.
            difficulty: ``easy``, ``medium`` or ``hard`` (see the module docstring).
            skin: one of :attr:`skins`; it changes colours, fonts and lines, never the grid.
            puzzle_id: stored as the puzzle's ``id``.
        """
        if difficulty not in DIFFICULTIES:
            raise UnknownName("sudoku difficulty", difficulty, list(DIFFICULTIES))
        look = get_skin(skin)
        side, givens = DIFFICULTIES[difficulty]
        sudoku = generate(side, givens, seed)
        layout = make_layout(sudoku.clues, sudoku.box)
        prompt = PROMPT.format(n=side, clue=look.clue_words, pen=look.pen_words, br=sudoku.box[0], bc=sudoku.box[1])
        return Puzzle(id=puzzle_id, family=self.name, family_version=self.version, difficulty=difficulty,
                      skin=skin, seed=seed, prompt=prompt, width=FRAME_SIZE, height=FRAME_SIZE,
                      layout=layout.model_dump(mode="json"), solution={"grid": sudoku.solution},
                      image=first_frame(layout, look))

    def animate(self, puzzle: Puzzle, motion: str, *, seed: int, frames_per_step: int,
                hold_frames: int, num_frames: int | None) -> np.ndarray:
        """Frames (T x H x W x 3 uint8) of digits written into the puzzle's empty cells.

        Args:
            puzzle: a puzzle of this family.
            motion: ``solution`` (the reference digits, one cell at a time in
                reading order, each fading in over up to 3 frames) or
                ``random-walk`` (digits drawn at random by ``seed``, at least one wrong).
            seed: seeds the random digits.
            frames_per_step: frames per digit written.
            hold_frames: frames the finished grid is held.
            num_frames: if given, the video's exact length (digits are spread over it).

        Raises:
            NotApplicable: for another motion, or a puzzle of another family.
        """
        layout = self._layout(puzzle)
        require_motion(self.name, motion, MOTIONS)
        digits = None
        if motion == "random-walk":
            rng = np.random.default_rng(seed)
            digits = {cell: int(rng.integers(1, layout.size + 1)) for cell in layout.empty_cells}
            first = layout.empty_cells[0]
            if all(digits[cell] == int(puzzle.solution["grid"][cell[0]][cell[1]]) for cell in digits):
                digits[first] = digits[first] % layout.size + 1  # never the solution by chance
        skin = get_skin(puzzle.skin)
        strokes, total = animate.solution_strokes(layout, skin, puzzle.solution["grid"],
                                                  frames_per_step=frames_per_step, hold_frames=hold_frames,
                                                  num_frames=num_frames, digits=digits)
        return animate.render(layout, skin, strokes, total)

    def calibration_cases(self, puzzle: Puzzle, seed: int = 0) -> list[Case]:
        """Labelled videos of ``puzzle``: the oracle and every hard negative that applies.

        See :func:`puzzles.sudoku.negatives.calibration_cases`; used by ``genreason calibrate``.
        """
        layout = self._layout(puzzle)
        return calibration_cases(puzzle, layout, get_skin(puzzle.skin), seed)

    def _layout(self, puzzle: Puzzle) -> SudokuLayout:
        require_own(self.name, puzzle, "draw")
        return SudokuLayout.model_validate(puzzle.layout)
