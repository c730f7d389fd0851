"""Realistic degradations of a video: what generated videos do to a puzzle's pixels.

Every function takes a :class:`~genreason.types.Video` and returns a new one
(the input is never modified). Random ones take a ``seed`` and give the same
frames for the same seed. They are small and compose with :func:`chain`.

:data:`DEGRADATIONS` names parameter-fixed presets of the video-only ones, for
verifier calibration and robustness tests. Sizes in preset names are
``WxH`` (width x height, as :attr:`Video.size`): ``resize-832x480`` is Wan's
default landscape 480p frame, ``resize-480x832`` its portrait reading.
Amounts given "at 512 px" (blur, shake) scale with the frame's shorter side, so
a preset does the same to a board whatever the video's resolution.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from functools import partial
from pathlib import Path

import cv2
import numpy as np

from genreason.types import Video
from genreason.video import read_video, write_mp4

Degradation = Callable[[Video], Video]

REFERENCE_SIDE = 512  # the frame side at which pixel amounts (blur sigma, shake) are stated
LOW_BITRATE_512 = 150_000  # bits per second for a 512 x 512 frame; scaled with the pixel count


def _scale(video: Video) -> float:
    """How much larger this video's shorter side is than :data:`REFERENCE_SIDE`."""
    return min(video.size) / REFERENCE_SIDE


def _with(video: Video, frames: np.ndarray, fps: float | None = None) -> Video:
    return Video(frames=np.ascontiguousarray(frames, dtype=np.uint8), fps=video.fps if fps is None else fps)


def _per_frame(video: Video, fn: Callable[[np.ndarray], np.ndarray]) -> Video:
    return _with(video, np.stack([fn(frame) for frame in video.frames]))


def _lut(video: Video, table: np.ndarray) -> Video:
    """Apply a 256-entry lookup table (one per channel, 256 x 3) to every pixel."""
    table = np.clip(np.round(table), 0, 255).astype(np.uint8)
    out = np.empty_like(video.frames)
    for ch in range(3):
        out[..., ch] = table[video.frames[..., ch], ch]
    return _with(video, out)


# --- compression -----------------------------------------------------------------------------

def h264(video: Video, *, bitrate: int | None = None, bitrate_512: int | None = None,
         crf: int = 18) -> Video:
    """Encode as H.264 MP4 and decode back (a real codec round trip through a temp file).

    Args:
        video: the input.
        bitrate: bits per second; replaces ``crf`` when given.
        bitrate_512: bits per second for a 512 x 512 frame, scaled by this
            video's pixel count (so every size gets the same bits per pixel).
        crf: constant rate factor, used when neither bitrate is given.
    """
    if bitrate is None and bitrate_512 is not None:
        w, h = video.size
        bitrate = max(1, round(bitrate_512 * w * h / REFERENCE_SIDE ** 2))
    with tempfile.TemporaryDirectory(prefix="genreason-degrade-") as folder:
        path = write_mp4(Path(folder) / "video.mp4", video, crf=crf, bitrate=bitrate)
        decoded = read_video(path)
    w, h = video.size  # write_mp4 pads odd sizes by one pixel: crop back
    return _with(video, decoded.frames[:, :h, :w], fps=video.fps)


# --- geometry --------------------------------------------------------------------------------

def _resize_frame(frame: np.ndarray, width: int, height: int) -> np.ndarray:
    h, w = frame.shape[:2]
    shrinking = width * height < w * h
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def resize(video: Video, width: int, height: int) -> Video:
    """Stretch every frame to ``width`` x ``height`` (the aspect changes when theirs differs)."""
    return _per_frame(video, lambda f: _resize_frame(f, width, height))


def letterbox(video: Video, width: int, height: int) -> Video:
    """Fit every frame into ``width`` x ``height`` keeping its aspect, centred, with black bars."""
    w, h = video.size
    k = min(width / w, height / h)
    nw, nh = max(1, round(w * k)), max(1, round(h * k))
    x0, y0 = (width - nw) // 2, (height - nh) // 2
    out = np.zeros((video.num_frames, height, width, 3), dtype=np.uint8)
    for i, frame in enumerate(video.frames):
        out[i, y0:y0 + nh, x0:x0 + nw] = _resize_frame(frame, nw, nh)
    return _with(video, out)


def shake(video: Video, *, amplitude_512: float = 3.0, seed: int = 0) -> Video:
    """Translate each frame by a seeded integer offset of up to ``amplitude`` pixels, edges replicated.

    Args:
        video: the input.
        amplitude_512: the largest offset (each axis) for a 512 px frame; scaled to this frame's size.
        seed: picks the offsets; every frame, the first included, gets its own.
    """
    amp = max(1, round(amplitude_512 * _scale(video)))
    offsets = np.random.default_rng(seed).integers(-amp, amp + 1, size=(video.num_frames, 2))
    w, h = video.size
    out = np.empty_like(video.frames)
    for i, (frame, (dx, dy)) in enumerate(zip(video.frames, offsets)):
        m = np.array([[1.0, 0.0, float(dx)], [0.0, 1.0, float(dy)]])
        out[i] = cv2.warpAffine(frame, m, (w, h), flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_REPLICATE)
    return _with(video, out)


# --- time ------------------------------------------------------------------------------------

def fps_drop(video: Video, *, keep_every: int = 2) -> Video:
    """Keep one frame in ``keep_every`` (the first included); the frame rate drops by the same factor."""
    if keep_every < 1:
        raise ValueError(f"keep_every must be at least 1, got {keep_every}")
    return _with(video, video.frames[::keep_every], fps=video.fps / keep_every)


def fps_jitter(video: Video, *, drop: float = 0.2, duplicate: float = 0.1, seed: int = 0) -> Video:
    """Irregular timing at the same nominal rate: seeded dropped and repeated frames.

    Each frame except the first and the last (always kept once, so the video
    still starts on the puzzle and ends where it ended) is dropped with
    probability ``drop``, shown twice with probability ``duplicate``, or kept.
    """
    if drop < 0 or duplicate < 0 or drop + duplicate > 1:
        raise ValueError(f"need drop, duplicate >= 0 with drop + duplicate <= 1, got {drop}, {duplicate}")
    draws = np.random.default_rng(seed).random(video.num_frames)
    counts = np.where(draws < drop, 0, np.where(draws < drop + duplicate, 2, 1))
    counts[0] = counts[-1] = 1
    return _with(video, np.repeat(video.frames, counts, axis=0))


def garbage_start(video: Video, *, seed: int = 0) -> Video:
    """Prepend three frames that are not the puzzle: seeded colour noise, black, mid grey."""
    _, h, w, _ = video.frames.shape
    noise = np.random.default_rng(seed).integers(0, 256, size=(1, h, w, 3), dtype=np.uint8)
    black = np.zeros((1, h, w, 3), dtype=np.uint8)
    grey = np.full((1, h, w, 3), 128, dtype=np.uint8)
    return _with(video, np.concatenate([noise, black, grey, video.frames]))


# --- pixels ----------------------------------------------------------------------------------

def blur(video: Video, *, sigma_512: float = 1.5) -> Video:
    """Gaussian blur of ``sigma_512`` pixels at 512 px, scaled to this frame's size."""
    sigma = sigma_512 * _scale(video)
    return _per_frame(video, lambda f: cv2.GaussianBlur(f, (0, 0), sigmaX=sigma, sigmaY=sigma))


def noise(video: Video, *, sigma: float = 8.0, seed: int = 0) -> Video:
    """Add seeded Gaussian pixel noise (independent per pixel, channel and frame), clipped."""
    rng = np.random.default_rng(seed)
    out = np.empty_like(video.frames)
    for i, frame in enumerate(video.frames):  # frame by frame: no T x H x W x 3 float array
        grain = rng.standard_normal(frame.shape, dtype=np.float32) * np.float32(sigma)
        out[i] = np.clip(np.rint(frame + grain), 0, 255)
    return _with(video, out)


def gamma(video: Video, value: float) -> Video:
    """``255 * (x / 255) ** value`` on every channel: below 1 brightens, above 1 darkens."""
    x = np.arange(256, dtype=np.float64) / 255.0
    return _lut(video, np.repeat((255.0 * x ** value)[:, None], 3, axis=1))


def color_shift(video: Video, *, gain: tuple[float, float, float] = (0.9, 1.0, 1.1),
                offset: tuple[float, float, float] = (10.0, 0.0, -8.0)) -> Video:
    """Per-channel gain and offset (RGB order), clipped to 0..255."""
    x = np.arange(256, dtype=np.float64)[:, None]
    return _lut(video, x * np.asarray(gain) + np.asarray(offset))


def hue_shift(video: Video, *, degrees: float = 10.0) -> Video:
    """Rotate every pixel's hue by ``degrees`` (saturation and value kept)."""
    step = round(degrees / 2.0)  # OpenCV's 8-bit hue runs 0..179 in 2-degree steps

    def shift(frame: np.ndarray) -> np.ndarray:
        hsv = cv2.cvtColor(frame, cv2.COLOR_RGB2HSV)
        hsv[..., 0] = ((hsv[..., 0].astype(np.int16) + step) % 180).astype(np.uint8)
        return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)

    return _per_frame(video, shift)


# --- composition and presets -----------------------------------------------------------------

def chain(*steps: Degradation) -> Degradation:
    """One degradation that applies ``steps`` in order."""
    def apply(video: Video) -> Video:
        for step in steps:
            video = step(video)
        return video
    return apply


DEGRADATIONS: dict[str, Degradation] = {
    "h264-low": partial(h264, bitrate_512=LOW_BITRATE_512),
    "resize-512x512": partial(resize, width=512, height=512),
    "resize-832x480": partial(resize, width=832, height=480),
    "resize-480x832": partial(resize, width=480, height=832),
    "resize-1280x720": partial(resize, width=1280, height=720),
    "resize-720x1280": partial(resize, width=720, height=1280),
    "letterbox-832x480": partial(letterbox, width=832, height=480),
    "fps-drop": fps_drop,
    "fps-jitter": partial(fps_jitter, seed=0),
    "blur": blur,
    "noise": partial(noise, seed=0),
    "gamma-0.7": partial(gamma, value=0.7),
    "gamma-1.4": partial(gamma, value=1.4),
    "color-shift": color_shift,
    "hue-shift": hue_shift,
    "shake": partial(shake, seed=0),
    "garbage-start": partial(garbage_start, seed=0),
}
"""Named, parameter-fixed, video-only presets (see the module docstring for the size convention)."""

__all__ = [
    "DEGRADATIONS", "Degradation", "blur", "chain", "color_shift", "fps_drop", "fps_jitter", "gamma",
    "garbage_start", "h264", "hue_shift", "letterbox", "noise", "resize", "shake",
]
