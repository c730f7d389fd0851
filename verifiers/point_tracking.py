"""Learned point tracking (CoTracker3) for agents that a video model redraws with another look.

The classical tracker finds the agent by its colour and size in every frame,
which is exact and free, but loses an agent that the model recolours,
reshapes or textures part-way. A point tracker follows the agent's pixels
instead. CoTracker3 is not on PyPI: it is loaded through ``torch.hub`` from a
local checkout of https://github.com/facebookresearch/co-tracker or from
torch's hub cache (``~/.cache/torch/hub``), with its checkpoint from the same
cache. Its code and weights are licensed CC-BY-NC 4.0 (non-commercial use only).

torch is imported only when a tracker is built, so the default classical path
never needs it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from genreason.errors import GenreasonError

HUB_REPO = "facebookresearch/co-tracker"
HUB_ENTRY = "cotracker3_offline"
REPO_ENV = "GENREASON_COTRACKER_REPO"  # a local checkout, used when no repo is given


@dataclass(frozen=True)
class Tracks:
    """Where each query point is in every frame: positions (T x N x 2, video pixels) and visibility (T x N)."""

    points: np.ndarray
    visible: np.ndarray


#: Frames (T x H x W x 3 uint8) and query points (N x 2, (x, y) in frame 0) -> tracks.
PointTracker = Callable[[np.ndarray, np.ndarray], Tracks]


def cotracker(repo: str | None = None, device: str | None = None) -> PointTracker:
    """A CoTracker3 (offline) point tracker.

    Args:
        repo: A local checkout of the CoTracker repository (a folder with
            ``hubconf.py``), or ``facebookresearch/co-tracker`` to use torch's hub
            cache. Default: ``$GENREASON_COTRACKER_REPO`` if set, else the hub name.
        device: torch device to run on (``cpu``, ``cuda``, ``cuda:1``); default: CUDA when available.

    Raises:
        GenreasonError: torch is not installed, or the model cannot be loaded
            (no checkout, not in the cache and no network), with what to do.
    """
    repo = repo or os.environ.get(REPO_ENV) or HUB_REPO
    device = device or _default_device()
    model = _load(repo, device)

    def track(frames: np.ndarray, queries: np.ndarray) -> Tracks:
        import torch

        video = torch.from_numpy(np.ascontiguousarray(frames)).permute(0, 3, 1, 2)[None].float().to(device)
        q = np.concatenate([np.zeros((len(queries), 1)), queries], axis=1)  # (t, x, y), all from frame 0
        q_tensor = torch.from_numpy(q).float()[None].to(device)
        with torch.inference_mode():
            points, visible = model(video, queries=q_tensor)
        return Tracks(points=points[0].float().cpu().numpy(), visible=visible[0].cpu().numpy() > 0.5)

    return track


def _default_device() -> str:
    try:
        import torch
    except ImportError:
        return "cpu"  # _load says what to install
    return "cuda" if torch.cuda.is_available() else "cpu"


@lru_cache(maxsize=2)  # one model per process (a verification worker keeps it for every video)
def _load(repo: str, device: str) -> Any:
    try:
        import torch
    except ImportError:
        raise GenreasonError("the cotracker tracker needs torch: pip install torch "
                             "(or pip install 'genreason[diffusers]')") from None
    local = Path(repo).expanduser()
    source = "local" if repo.startswith(("/", ".", "~")) or local.exists() else "github"  # else owner/name
    if source == "local" and not local.is_dir():
        raise GenreasonError(f"CoTracker checkout {repo} does not exist: clone {HUB_REPO} there "
                             f"(or set {REPO_ENV} to a checkout)")
    try:
        model = torch.hub.load(str(local) if source == "local" else repo, HUB_ENTRY, source=source,
                               trust_repo=True, verbose=False)
    except Exception as exc:  # hub errors come in many types: all mean "not available here"
        raise GenreasonError(
            f"could not load CoTracker3 ({HUB_ENTRY}) from {repo}: {type(exc).__name__}: {exc}. "
            f"Clone {HUB_REPO} and pass its folder (tracker_repo=DIR or ${REPO_ENV}); the checkpoint "
            f"is read from torch's hub cache, so download it once on a machine with network. "
            f"CoTracker's code and weights are CC-BY-NC 4.0.") from None
    return model.to(device).eval()


def agent_track(tracks: Tracks, min_visible: float = 0.5) -> list[tuple[float, float] | None]:
    """One position per frame: the median of the visible points, or None when most points are hidden."""
    out: list[tuple[float, float] | None] = []
    n = tracks.points.shape[1]
    for points, visible in zip(tracks.points, tracks.visible, strict=True):
        if visible.sum() < max(1, min_visible * n):
            out.append(None)
            continue
        x, y = np.median(points[visible], axis=0)
        out.append((float(x), float(y)))
    return out


def query_points(mask: np.ndarray, count: int = 9) -> np.ndarray:
    """Up to ``count`` points spread over a mask's pixels (N x 2, (x, y)), nearest the centre first.

    Points near the centre of the agent stay on it when the model redraws its
    outline; a few more spread over it make the median robust to one lost point.
    """
    ys, xs = np.nonzero(mask)
    if len(xs) == 0:
        return np.zeros((0, 2))
    pixels = np.stack([xs, ys], axis=1).astype(float)
    centre = pixels.mean(axis=0)
    order = np.argsort(np.hypot(*(pixels - centre).T), kind="stable")
    step = max(1, len(order) // count)
    return pixels[order[::step][:count]]
