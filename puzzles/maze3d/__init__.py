"""The 3D maze family (platforms of stacked cubes joined by ladders, in isometric view)."""

from puzzles.maze3d.family import Maze3DFamily

__all__ = ["Maze3DFamily"]
