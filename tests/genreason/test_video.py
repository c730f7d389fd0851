"""A video read from a file keeps its decoded frames and converts them to RGB only when asked, with exactly
the pixels a plain PyAV decode gives; warping and verifying it gives what its materialised frames give."""

from __future__ import annotations

import hashlib
import pickle

import av
import cv2
import numpy as np
import pytest

from genreason.plugins import load_family, load_verifier
from genreason.types import Video
from genreason.video import RGBA_ROW_MULTIPLE, DecodedFrames, read_video, write_mp4
from verifiers import canonical


def _pyav_rgb(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.stack([f.to_ndarray(format="rgb24") for f in container.decode(container.streams.video[0])])


@pytest.fixture(scope="module", params=[(61, 97), (48, 112)], ids=["width-98", "width-112"])
def clip(request, tmp_path_factory):
    """A short H.264 file of blurred colour noise: one width that takes swscale's RGBA output and one that
    must not (98 is 2 past a multiple of 16; 97 is padded to it by the writer)."""
    rng = np.random.default_rng(3)
    frames = np.stack([cv2.GaussianBlur(rng.integers(0, 256, (*request.param, 3), dtype=np.uint8), (5, 5), 1.5)
                       for _ in range(7)])
    return write_mp4(tmp_path_factory.mktemp("video") / "clip.mp4", Video(frames, 12.0), crf=30)


def test_frames_are_exactly_pyav_rgb_and_converted_on_demand(clip):
    expected = _pyav_rgb(clip)
    video = read_video(clip)
    assert video.num_frames == len(expected) == 7
    assert video.size == (expected.shape[2], expected.shape[1])
    assert video._frames is None  # nothing converted yet
    for i in (0, 3, -1):
        assert np.array_equal(video.frame(i), expected[i])
        rgba = video.rgba(i)
        assert rgba.shape == (*expected.shape[1:3], 4)
        assert np.array_equal(rgba[..., :3], expected[i]) and (rgba[..., 3] == 255).all()
    assert video._frames is None  # single frames did not convert the whole video
    assert np.array_equal(video.frames, expected)
    assert video.frames is video.frames  # converted once, then kept


@pytest.mark.parametrize("pix_fmt", ["yuv420p", "yuvj420p", "yuv422p", "yuv444p", "nv12", "yuv420p10le"])
def test_swscale_rgba_is_its_rgb_where_read_video_takes_it(pix_fmt):
    """The widths where swscale's RGBA output garbles the row ends (1-4 past a multiple of 16) are the ones
    :data:`RGBA_ROW_MULTIPLE` keeps from it: if an FFmpeg update moves them, this fails."""
    rng = np.random.default_rng(0)
    for width in [*range(2, 260, 2), 720, 832, 1280]:
        frame = av.VideoFrame.from_ndarray(rng.integers(0, 256, (6, width, 3), dtype=np.uint8), format="rgb24")
        frame = frame.reformat(format=pix_fmt)
        if width % RGBA_ROW_MULTIPLE == 0:
            assert np.array_equal(frame.to_ndarray(format="rgba")[..., :3], frame.to_ndarray(format="rgb24")), width
        assert np.array_equal(DecodedFrames([frame]).rgba(0)[..., :3], frame.to_ndarray(format="rgb24")), width


def test_an_array_video_answers_the_same_calls(clip):
    expected = _pyav_rgb(clip)
    video = Video(expected, 12.0)
    assert (video.num_frames, video.size) == (7, (expected.shape[2], expected.shape[1]))
    assert np.array_equal(video.frame(2), expected[2])
    assert np.array_equal(video.rgba(2), cv2.cvtColor(expected[2], cv2.COLOR_RGB2RGBA))
    with pytest.raises(ValueError, match="T x H x W x 3 uint8"):
        Video(expected[..., 0], 12.0)


def test_a_read_video_pickles_as_its_pixels(clip):
    video = read_video(clip)
    back = pickle.loads(pickle.dumps(video))
    assert back.fps == video.fps and np.array_equal(back.frames, _pyav_rgb(clip))


@pytest.mark.parametrize(("scale", "halving"), [(0.9, False), (0.3, False), (0.2, True)])
def test_warping_a_read_video_is_warping_its_pixels(clip, scale, halving):
    video = read_video(clip)
    m = np.array([[scale, 0.01, 0.5], [-0.01, scale, 1.0]])
    got = canonical.warp_frames(video, m, (40, 30), start=2, stop=6, halving=halving)
    assert np.array_equal(got, canonical.warp_frames(Video(_pyav_rgb(clip), 12.0), m, (40, 30), start=2, stop=6,
                                                     halving=halving))
    assert got.shape == (4, 30, 40, 3)


@pytest.mark.parametrize("family", ["maze", "maze3d"])
def test_verifying_a_file_is_verifying_its_decoded_pixels(family, tmp_path):
    """The verdict on a read video (frames converted one at a time, RGBA for a full-size warp) is the verdict
    on the same pixels as an array, to the byte."""
    fam = load_family(family)
    puzzle = fam.generate(0, "easy", fam.skins[0], f"{family}/easy/000000")
    frames = fam.animate(puzzle, "solution", seed=0, frames_per_step=3, hold_frames=4, num_frames=33)
    path = write_mp4(tmp_path / "oracle.mp4", Video(frames, 16.0))
    verifier = load_verifier(fam.verifier)
    lazy = verifier.verify(puzzle, read_video(path))
    assert lazy.success
    assert lazy.model_dump_json() == verifier.verify(puzzle, Video(_pyav_rgb(path), 16.0)).model_dump_json()


def test_writing_the_same_frames_gives_the_same_bytes_every_time(tmp_path):
    """Re-encoding one clip gives one byte stream, whatever the heap held before. x264's AVX-512 code gave
    another stream for about one encode in two of this clip (6 macroblocks wide) after the heap was filled
    with noise and freed, so on a CPU with AVX-512 this fails unless write_mp4 holds x264 to its AVX2 code;
    on other CPUs it checks that nothing else in the writer varies."""
    yy, xx = np.mgrid[:64, :96]
    frames = np.stack([((np.sin((xx + 2 * t) / 5) + np.cos(yy / 7)) * 60 + 128).astype(np.uint8) for t in range(40)])
    frames = np.repeat(frames[..., None], 3, axis=-1)
    frames[:, 10:20, 10:20] = (230, 20, 20)
    rng = np.random.default_rng(0)
    digests = set()
    for _ in range(30):
        noise = [rng.integers(0, 256, 1 << bits, dtype=np.uint8) for bits in range(8, 17, 2) for _ in range(4)]
        del noise  # freed: the encoder's next allocations may land on it
        digests.add(hashlib.sha256(write_mp4(tmp_path / "clip.mp4", Video(frames, 16.0)).read_bytes()).hexdigest())
    assert len(digests) == 1
