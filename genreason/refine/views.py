"""Pictures of candidate videos for a chat model: a few frames, and the tracked path drawn on the first frame.

Images travel as ``data:`` URLs (JPEG), the form every OpenAI-compatible
server accepts in Chat Completions ``image_url`` parts.
"""

from __future__ import annotations

import base64
import itertools
from collections.abc import Sequence

import cv2
import numpy as np

MAX_SIDE = 384  # pixels: enough to see a maze's corridors, small enough to send many
JPEG_QUALITY = 85


def frame_indices(num_frames: int, count: int) -> list[int]:
    """``count`` frame indices spread evenly from the first to the last frame (fewer if the video is short)."""
    if num_frames <= 0 or count <= 0:
        return []
    if count == 1:
        return [num_frames - 1]
    picks = np.linspace(0, num_frames - 1, num=min(count, num_frames))
    return sorted({round(x) for x in picks})


def data_url(image: np.ndarray, max_side: int = MAX_SIDE) -> str:
    """An RGB uint8 image as a ``data:image/jpeg;base64,...`` URL, scaled down to ``max_side``."""
    height, width = image.shape[:2]
    scale = min(1.0, max_side / max(height, width))
    if scale < 1.0:
        image = cv2.resize(image, (max(1, round(width * scale)), max(1, round(height * scale))),
                           interpolation=cv2.INTER_AREA)
    ok, encoded = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                               [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError("could not encode an image as JPEG")
    return "data:image/jpeg;base64," + base64.b64encode(encoded.tobytes()).decode("ascii")


def draw_path(frame0: np.ndarray, trajectory: Sequence[Sequence[float] | None]) -> np.ndarray:
    """``frame0`` with the tracked positions joined in yellow, the first one circled blue, the last magenta.

    Gaps (frames where the agent was not seen) break the line rather than
    being bridged, so a jump shows as a jump.
    """
    canvas = np.ascontiguousarray(frame0.copy())
    thickness = max(2, round(max(canvas.shape[:2]) / 150))
    points = [None if p is None else (round(p[0]), round(p[1])) for p in trajectory]
    for a, b in itertools.pairwise(points):
        if a is not None and b is not None:
            cv2.line(canvas, a, b, (255, 220, 0), thickness, cv2.LINE_AA)
    seen = [p for p in points if p is not None]
    if seen:
        cv2.circle(canvas, seen[0], 3 * thickness, (0, 90, 255), thickness, cv2.LINE_AA)
        cv2.circle(canvas, seen[-1], 3 * thickness, (255, 0, 255), thickness, cv2.LINE_AA)
    return canvas
