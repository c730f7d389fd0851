"""Tiny random-weight diffusers pipelines, saved once per test session and shared by the diffusion tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory) -> Callable[[str], Path]:
    """``tiny_model(name)``: the folder of the tiny pipeline of sampler ``name``, saved on first use."""
    folders: dict[str, Path] = {}

    def get(name: str) -> Path:
        if name not in folders:
            from samplers.diffusion.tiny import save_tiny

            folders[name] = save_tiny(name, tmp_path_factory.mktemp(name.replace(".", "_")))
        return folders[name]

    return get
