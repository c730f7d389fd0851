"""Video degradations: every preset returns a valid video of the expected shape, deterministically."""

from __future__ import annotations

import numpy as np
import pytest

from genreason import degrade
from genreason.degrade import DEGRADATIONS
from genreason.types import Video

T, H, W = 12, 128, 192

# Expected (width, height, frames) of each preset's output for the T x H x W clip below.
EXPECTED = {
    "h264-low": (W, H, T),
    "resize-512x512": (512, 512, T),
    "resize-832x480": (832, 480, T),
    "resize-480x832": (480, 832, T),
    "resize-1280x720": (1280, 720, T),
    "resize-720x1280": (720, 1280, T),
    "letterbox-832x480": (832, 480, T),
    "fps-drop": (W, H, (T + 1) // 2),
    "fps-jitter": (W, H, None),
    "blur": (W, H, T),
    "noise": (W, H, T),
    "gamma-0.7": (W, H, T),
    "gamma-1.4": (W, H, T),
    "color-shift": (W, H, T),
    "hue-shift": (W, H, T),
    "shake": (W, H, T),
    "garbage-start": (W, H, T + 3),
}


def clip(t: int = T, h: int = H, w: int = W) -> Video:
    """A small moving test pattern: a coloured square sliding over a two-tone board.

    Args:
        t, h, w: frames, height and width.
    """
    frames = np.zeros((t, h, w, 3), dtype=np.uint8)
    frames[:] = (230, 225, 210)
    frames[:, :, : w // 3] = (40, 60, 90)
    for i in range(t):
        x = 4 + i * (w - 20) // max(1, t - 1)
        frames[i, h // 3: h // 3 + 12, x: x + 12] = (210, 30, 40)
    return Video(frames=frames, fps=16.0)


def test_every_preset_has_an_expected_shape():
    assert set(DEGRADATIONS) == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(DEGRADATIONS))
def test_preset_returns_a_valid_video_of_the_expected_size(name):
    source = clip()
    before = source.frames.copy()
    out = DEGRADATIONS[name](source)
    width, height, frames = EXPECTED[name]
    assert isinstance(out, Video) and out.frames.dtype == np.uint8
    assert out.size == (width, height)
    if frames is not None:
        assert out.num_frames == frames
    assert out.num_frames >= 2 and out.fps > 0
    assert np.array_equal(source.frames, before), "the input video was modified"


@pytest.mark.parametrize("name", sorted(DEGRADATIONS))
def test_preset_is_deterministic(name):
    a, b = DEGRADATIONS[name](clip()), DEGRADATIONS[name](clip())
    assert a.fps == b.fps and np.array_equal(a.frames, b.frames)


@pytest.mark.parametrize("name", sorted(set(DEGRADATIONS) - {"resize-512x512"}))
def test_preset_changes_the_video(name):
    source = clip()
    out = DEGRADATIONS[name](source)
    same = out.frames.shape == source.frames.shape and np.array_equal(out.frames, source.frames)
    assert not same or out.fps != source.fps


@pytest.mark.parametrize("fn", [degrade.noise, degrade.shake, degrade.fps_jitter, degrade.garbage_start],
                         ids=lambda f: f.__name__)
def test_seeded_degradations_depend_on_the_seed(fn):
    source = clip(t=40, h=64, w=96)
    assert np.array_equal(fn(source, seed=3).frames, fn(source, seed=3).frames)
    a, b = fn(source, seed=3).frames, fn(source, seed=4).frames
    assert a.shape != b.shape or not np.array_equal(a, b)


def test_fps_drop_halves_the_rate_and_keeps_every_other_frame():
    source = clip()
    out = degrade.fps_drop(source)
    assert out.fps == source.fps / 2 and np.array_equal(out.frames, source.frames[::2])


def test_fps_jitter_keeps_the_first_and_last_frames_and_roughly_the_length():
    source = clip(t=200)
    out = degrade.fps_jitter(source, seed=1)
    assert np.array_equal(out.frames[0], source.frames[0]) and np.array_equal(out.frames[-1], source.frames[-1])
    assert 0.8 * 200 < out.num_frames < 1.0 * 200 and out.fps == source.fps


def test_garbage_start_prepends_noise_black_and_grey():
    source = clip()
    out = degrade.garbage_start(source)
    assert out.frames[1].max() == 0 and np.all(out.frames[2] == 128) and out.frames[0].std() > 50
    assert np.array_equal(out.frames[3:], source.frames)


def test_letterbox_keeps_the_aspect_with_black_bars():
    out = degrade.letterbox(clip(h=64, w=64), 832, 480)
    assert out.size == (832, 480)
    assert out.frames[:, :, :100].max() == 0 and out.frames[:, :, -100:].max() == 0
    assert out.frames[:, :, 416].max() > 0


def test_shake_moves_each_frame_by_a_bounded_whole_pixel_offset():
    source = clip(t=20, h=512, w=512)
    out = degrade.shake(source, amplitude_512=3, seed=0)
    for a, b in zip(source.frames, out.frames):
        matches = [(dx, dy) for dx in range(-3, 4) for dy in range(-3, 4)
                   if np.array_equal(np.roll(a, (dy, dx), axis=(0, 1))[8:-8, 8:-8], b[8:-8, 8:-8])]
        assert matches
    assert any(not np.array_equal(a, b) for a, b in zip(source.frames, out.frames))


def test_pixel_amounts_scale_with_the_frame_size():
    small, big = clip(h=256, w=256), clip(h=1024, w=1024)
    assert degrade._scale(small) == 0.5 and degrade._scale(big) == 2.0


def test_gamma_and_colour_shift_are_the_stated_curves():
    source = clip()
    flat = Video(frames=np.full((2, 4, 4, 3), 100, dtype=np.uint8), fps=8.0)
    assert np.all(degrade.gamma(flat, 1.0).frames == 100)
    assert np.all(degrade.gamma(flat, 0.7).frames > 100) and np.all(degrade.gamma(flat, 1.4).frames < 100)
    shifted = degrade.color_shift(flat).frames[0, 0, 0]
    assert tuple(shifted) == (100, 100, 102)  # 100*0.9+10, 100, 100*1.1-8
    assert degrade.color_shift(source).frames.max() <= 255


def test_hue_shift_is_small_and_keeps_greys():
    source = clip()
    out = degrade.hue_shift(source).frames.astype(int)
    grey = Video(frames=np.full((2, 4, 4, 3), 77, dtype=np.uint8), fps=8.0)
    assert np.array_equal(degrade.hue_shift(grey).frames, grey.frames)
    assert 0 < np.abs(out - source.frames).max() < 80


def test_h264_bitrate_scales_with_pixels_and_low_bitrate_loses_detail():
    source = degrade.noise(clip(t=8, h=128, w=128), sigma=40, seed=0)
    low = degrade.h264(source, bitrate_512=150_000)
    high = degrade.h264(source, crf=10)
    def error(video: Video) -> float:
        return float(np.abs(video.frames.astype(int) - source.frames).mean())

    assert error(low) > error(high)


def test_h264_keeps_odd_sizes():
    out = degrade.h264(clip(h=33, w=47))
    assert out.size == (47, 33)


def test_chain_applies_steps_in_order():
    steps = degrade.chain(degrade.fps_drop, degrade.DEGRADATIONS["resize-832x480"])
    out = steps(clip())
    assert out.size == (832, 480) and out.num_frames == (T + 1) // 2
