"""The regular maze family: a perfect maze of wall cells, an agent to walk from start to goal."""

from puzzles.maze.family import MazeFamily

__all__ = ["MazeFamily"]
