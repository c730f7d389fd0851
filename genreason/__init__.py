"""genreason: does an image-to-video model reason? Puzzles in, candidate videos out, strict verdicts back."""

__version__ = "0.1.0"
