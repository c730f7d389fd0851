"""Names and a one-puzzle suite shared by the diffusion sampler tests and the generation benchmark."""

from __future__ import annotations

DIFFUSION_MODELS = ("wan2.2", "wan2.2-a14b", "cogvideox-i2v", "ltx-video", "hunyuanvideo-i2v")

ONE_MAZE_SUITE = """\
name = "one-maze"
version = "1"
description = "One easy maze."
seed = 0

[[entries]]
family = "maze"
difficulties = ["easy"]
count = 1
"""
