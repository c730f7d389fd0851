"""The sudoku family: 4 x 4 and 9 x 9 puzzles with a unique solution; the oracle writes the missing digits."""

from puzzles.sudoku.family import SudokuFamily

__all__ = ["SudokuFamily"]
