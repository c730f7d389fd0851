"""Fitting a puzzle's first frame to a model's resolution, and recording how, so it can be undone.

A model renders at its own size (e.g. 1280 x 704); a puzzle's ``frame0.png``
is usually square. ``letterbox`` (the default) scales the frame to fit and
centres it between black bars, so the board keeps its aspect; ``resize``
stretches it to the model's size. The geometry is that of
:func:`genreason.degrade.letterbox` and :func:`genreason.degrade.resize`
(the same functions draw the pixels), which the verifiers' alignment already
expects. The :class:`FrameTransform` goes with every sample into
``samples.jsonl`` (``extra.sampler.input_transform``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from genreason import degrade
from genreason.types import Video

FIT_MODES = ("letterbox", "resize")


@dataclass(frozen=True)
class FrameTransform:
    """How a ``source_size`` image was placed into a ``video_size`` frame.

    A pixel ``(x, y)`` of the source lands at
    ``(x * scale[0] + offset[0], y * scale[1] + offset[1])`` in the frame; the
    inverse maps a video pixel back to ``frame0.png``. Sizes are ``[width, height]``.
    """

    fit: Literal["letterbox", "resize"]
    source_size: tuple[int, int]
    video_size: tuple[int, int]
    scale: tuple[float, float]
    offset: tuple[int, int]

    def to_video(self, x: float, y: float) -> tuple[float, float]:
        """A source pixel position in the fitted frame."""
        return x * self.scale[0] + self.offset[0], y * self.scale[1] + self.offset[1]

    def to_source(self, x: float, y: float) -> tuple[float, float]:
        """A fitted-frame pixel position in the source image (the inverse of :meth:`to_video`)."""
        return (x - self.offset[0]) / self.scale[0], (y - self.offset[1]) / self.scale[1]

    def as_dict(self) -> dict[str, Any]:
        return {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(self).items()}


def fit_frame(image: np.ndarray, width: int, height: int, fit: str = "letterbox") -> tuple[np.ndarray, FrameTransform]:
    """Fit an H x W x 3 uint8 image into ``width`` x ``height``; return the frame and its transform."""
    if fit not in FIT_MODES:
        raise ValueError(f"fit must be one of {', '.join(FIT_MODES)}, got {fit!r}")
    h, w = image.shape[:2]
    one = Video(frames=np.ascontiguousarray(image[None]), fps=1.0)
    if fit == "resize":
        frame = degrade.resize(one, width, height).frames[0]
        return frame, FrameTransform("resize", (w, h), (width, height), (width / w, height / h), (0, 0))
    # The same arithmetic as degrade.letterbox, which draws the pixels.
    k = min(width / w, height / h)
    nw, nh = max(1, round(w * k)), max(1, round(h * k))
    frame = degrade.letterbox(one, width, height).frames[0]
    return frame, FrameTransform("letterbox", (w, h), (width, height), (nw / w, nh / h),
                                 ((width - nw) // 2, (height - nh) // 2))
