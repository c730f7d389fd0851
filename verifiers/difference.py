"""How far every pixel of every frame lies outside what the empty board shows around it.

Computed once per video and read by tracking (where the agent differs from the
board) and by the board checks (where the board itself changed).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np


def difference(smoothed: np.ndarray, background: np.ndarray) -> np.ndarray:
    """T x H x W uint16: how far every pixel lies outside what the empty board shows around it.

    Each pixel is compared with the range of the board's colours in its 3x3
    neighbourhood (an envelope), not with the single pixel behind it, so the
    sub-pixel misregistration left after undoing shake does not light up every
    edge. Computed once and used by tracking and by the board check.
    """
    kernel = np.ones((3, 3), np.uint8)
    low, high = cv2.erode(background, kernel), cv2.dilate(background, kernel)
    out = np.empty(smoothed.shape[:3], dtype=np.uint16)
    for t, frame in enumerate(smoothed):
        outside = cv2.add(cv2.subtract(frame, high), cv2.subtract(low, frame)).astype(np.uint16)  # one is 0
        np.add(outside[..., 0], outside[..., 1], out=out[t])
        out[t] += outside[..., 2]
    return out


class Difference:
    """:func:`difference` for every frame, held saturated at 255, with exact values where asked.

    Every threshold the verifiers put on it lies below 255 (they are clipped to
    at most 200), and a sum above 255 is above them all: the saturated values
    (``capped``, T x H x W uint8) threshold exactly as the full ones, for a third
    of the work (no 16-bit copy of the frames). The exact values, which blob
    centres and colours are weighed by, are computed in the windows that need
    them: ``diff[t][ys, xs]`` is ``difference(...)[t, ys, xs]``.
    """

    def __init__(self, smoothed: np.ndarray, background: np.ndarray) -> None:
        kernel = np.ones((3, 3), np.uint8)
        self.smoothed = smoothed
        self.low, self.high = cv2.erode(background, kernel), cv2.dilate(background, kernel)
        t, h, w = smoothed.shape[:3]
        self.capped = np.empty((t, h, w), dtype=np.uint8)
        outside = np.empty((h, w, 3), dtype=np.uint8)
        below = np.empty_like(outside)
        sums = np.empty((h, 3 * w - 2), dtype=np.uint8)
        flat = outside.reshape(h, 3 * w)
        for frame, out in zip(smoothed, self.capped):
            cv2.subtract(frame, self.high, dst=outside)
            cv2.subtract(self.low, frame, dst=below)
            cv2.add(outside, below, dst=outside)  # one of the two is 0
            # The three channels summed with saturating adds of the interleaved row shifted by one
            # and two: column 3x holds pixel x's sum (capped at 255), read off every third column.
            cv2.add(flat[:, :-2], flat[:, 1:-1], dst=sums)
            cv2.add(sums, flat[:, 2:], dst=sums)
            out[...] = sums[:, ::3]

    @property
    def shape(self) -> tuple[int, ...]:
        return self.capped.shape

    def __len__(self) -> int:
        return len(self.capped)

    def __getitem__(self, t: int) -> FrameDifference:
        return FrameDifference(self, t)

    def above(self, threshold: float) -> np.ndarray:
        """T x H x W bool: ``difference > threshold``, read off the saturated values below 255."""
        if threshold >= 255:  # no verifier asks this; exact, frame by frame, should one ever do
            return np.stack([self.window(t, slice(None), slice(None)) > threshold for t in range(len(self))])
        return self.capped > math.floor(threshold)  # integers: > t exactly when > floor(t)

    def window(self, t: int, ys: slice, xs: slice) -> np.ndarray:
        """Exact uint16 values of frame ``t`` in the window (ys, xs)."""
        frame = self.smoothed[t, ys, xs].astype(np.int16)
        outside = np.maximum(frame - self.high[ys, xs], 0) + np.maximum(self.low[ys, xs] - frame, 0)
        return outside.sum(axis=-1, dtype=np.uint16)


@dataclass(frozen=True)
class FrameDifference:
    """One frame of a :class:`Difference`: sliced like an H x W array, computed in the slice only."""

    source: Difference
    t: int

    def __getitem__(self, window: tuple[slice, slice]) -> np.ndarray:
        return self.source.window(self.t, *window)
