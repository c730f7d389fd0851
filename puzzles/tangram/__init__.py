"""The tangram family: move the seven tans rigidly into a seeded silhouette."""

from puzzles.tangram.family import TangramFamily

__all__ = ["TangramFamily"]
