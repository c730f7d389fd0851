"""The irregular maze family: curved roads over open ground, an agent to drive from start to goal."""

from puzzles.irregular.family import IrregularFamily

__all__ = ["IrregularFamily"]
