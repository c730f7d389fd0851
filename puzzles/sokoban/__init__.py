"""The sokoban family: push the box onto the target; the player walks free cells and only pushes."""

from puzzles.sokoban.family import SokobanFamily

__all__ = ["SokobanFamily"]
