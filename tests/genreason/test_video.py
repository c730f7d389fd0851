"""A video read from a file keeps its decoded frames and converts them to RGB only when asked, with exactly
the pixels a plain PyAV decode gives; warping and verifying it gives what its materialised frames give (exactly,
or within a few levels where its 4:2:0 planes are warped instead)."""

from __future__ import annotations

import hashlib
import pickle

import av
import cv2
import numpy as np
import pytest

from genreason.plugins import load_family, load_verifier
from genreason.types import Video
from genreason.video import RGBA_ROW_MULTIPLE, DecodedFrames, _PlaneStore, read_video, write_mp4, yuv_to_rgb_matrix
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


@pytest.mark.parametrize(("pix_fmt", "colorspace", "color_range"), [
    ("yuv420p", 2, 0), ("yuv420p", 1, 1), ("yuv420p", 1, 2), ("yuv420p", 9, 1), ("yuvj420p", 2, 0)])
def test_a_frame_copied_out_of_the_decoder_converts_as_the_decoded_one(pix_fmt, colorspace, color_range):
    """read_video copies 4:2:0 frames into numpy memory (the decoder's buffers go back to its pool): over every
    even width (those swscale's RGBA output garbles included) and the colour tags other encoders write, the
    copy's RGB, RGBA and planes are exactly the decoded frame's."""
    rng = np.random.default_rng(1)
    widths = [*range(2, 68, 2), 98, 130, 250, 720, 832, 1280]
    sizes = [(w, h) for w in widths for h in (8, 12)] + [(832, 480), (720, 480)]
    for width, height in sizes:
        frame = av.VideoFrame.from_ndarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8), format="rgb24")
        frame = frame.reformat(format=pix_fmt)
        frame.colorspace, frame.color_range = colorspace, color_range
        copy = _PlaneStore(0).keep(frame)
        assert copy is not frame and copy.planes[0].buffer_ptr != frame.planes[0].buffer_ptr
        decoded, copied = DecodedFrames([frame]), DecodedFrames([copy])
        assert np.array_equal(copied.rgb(0), decoded.rgb(0)), (width, height)
        assert np.array_equal(copied.rgba(0), decoded.rgba(0)), (width, height)
        assert all(np.array_equal(a, b) for a, b in zip(copied.yuv420(0), decoded.yuv420(0))), (width, height)
        assert np.array_equal(copied.yuv_to_rgb, decoded.yuv_to_rgb)


def test_frames_the_store_cannot_hold_stay_as_decoded_and_a_wrong_frame_count_only_adds_arrays():
    """Heights that are not a multiple of 4 (PyAV cannot lay a 4:2:0 frame over memory for them) and other
    formats are kept as the decoder gave them; a container that tells too few frames (or none) costs one more
    array per 32 frames, and every frame keeps its own picture."""
    rng = np.random.default_rng(2)
    for height, pix_fmt in ((6, "yuv420p"), (8, "yuv444p"), (8, "nv12")):
        frame = av.VideoFrame.from_ndarray(rng.integers(0, 256, (height, 32, 3), dtype=np.uint8), format="rgb24")
        frame = frame.reformat(format=pix_fmt)
        assert _PlaneStore(0).keep(frame) is frame
    store = _PlaneStore(3)
    frames = [av.VideoFrame.from_ndarray(rng.integers(0, 256, (8, 16, 3), dtype=np.uint8), format="rgb24")
              .reformat(format="yuv420p") for _ in range(40)]
    kept = [store.keep(f) for f in frames]
    assert [len(a) for a in store._arrays] == [3, 32, 32]
    assert all(np.array_equal(k.to_ndarray(format="rgb24"), f.to_ndarray(format="rgb24")) for k, f in zip(kept, frames))


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


@pytest.mark.parametrize(("scale", "halving"), [(0.9, False), (0.2, True), (0.2, False)])
def test_warping_a_read_video_by_an_odd_factor_is_warping_its_pixels(clip, scale, halving):
    """Shrinking by 1 or 3 (odd: 4:2:0 chroma cannot be shrunk by half of it) converts each frame to RGB first:
    exactly what warping the decoded pixels as an array gives."""
    video = read_video(clip)
    m = np.array([[scale, 0.01, 0.5], [-0.01, scale, 1.0]])
    got = canonical.warp_frames(video, m, (40, 30), start=2, stop=6, halving=halving)
    assert np.array_equal(got, canonical.warp_frames(Video(_pyav_rgb(clip), 12.0), m, (40, 30), start=2, stop=6,
                                                     halving=halving))
    assert got.shape == (4, 30, 40, 3)


@pytest.mark.parametrize(("scale", "halving"), [(0.3, False), (0.3, True), (0.17, False), (0.17, True)])
def test_warping_a_read_video_by_an_even_factor_warps_its_planes(clip, scale, halving, monkeypatch):
    """Shrinking by 2 or 4 shrinks and warps the Y, U and V planes and converts only the small raster: within a
    few levels of converting first, even on colour noise (chroma at half resolution is all 4:2:0 holds)."""
    expected = canonical.warp_frames(Video(_pyav_rgb(clip), 12.0), np.array([[scale, 0.01, 0.5], [-0.01, scale, 1.0]]),
                                     (40, 30), start=2, stop=6, halving=halving).astype(int)
    video = read_video(clip)
    monkeypatch.setattr(DecodedFrames, "rgb", lambda self, i: pytest.fail("converted a whole frame to RGB"))
    monkeypatch.setattr(DecodedFrames, "rgba", lambda self, i: pytest.fail("converted a whole frame to RGBA"))
    got = canonical.warp_frames(video, np.array([[scale, 0.01, 0.5], [-0.01, scale, 1.0]]), (40, 30), start=2,
                                stop=6, halving=halving)
    assert got.shape == (4, 30, 40, 3)
    difference = np.abs(got - expected)
    assert difference.max() <= 5 and difference.mean() < 1.2


@pytest.mark.parametrize(("pix_fmt", "colorspace", "color_range"), [("yuvj420p", 2, 0), ("yuv420p", 1, 1),
                                                                  ("yuv420p", 1, 2), ("yuv420p", 9, 1)])
def test_planes_of_other_tags_warp_as_their_pixels_do(clip, pix_fmt, colorspace, color_range):
    """Full range, BT.709 and BT.2020 frames (as other encoders tag them) take the plane warp with their own
    matrix: within a few levels of converting each frame first, as for untagged BT.601."""
    frames = []
    for frame in read_video(clip)._source._frames:
        frame = frame.reformat(format=pix_fmt)
        frame.colorspace, frame.color_range = colorspace, color_range
        frames.append(frame)
    video = Video(DecodedFrames(frames), 12.0)
    assert video.yuv_to_rgb is not None
    m = np.array([[0.3, 0.01, 0.5], [-0.01, 0.3, 1.0]])
    expected = canonical.warp_frames(Video(video.frames.copy(), 12.0), m, (40, 30)).astype(int)
    difference = np.abs(canonical.warp_frames(Video(DecodedFrames(frames), 12.0), m, (40, 30)) - expected)
    assert difference.max() <= 5 and difference.mean() < 1.2


@pytest.mark.parametrize(("pix_fmt", "colorspace", "color_range"), [
    ("yuv420p", 2, 0), ("yuv420p", 6, 1), ("yuv420p", 1, 1), ("yuv420p", 1, 2), ("yuv420p", 9, 1),
    ("yuvj420p", 2, 0)])
def test_the_plane_conversion_is_swscales(pix_fmt, colorspace, color_range):
    """Flat blocks of every kind of colour: (Y, U, V, 1) times the matrix, as OpenCV's 8-bit transform applies
    it, lies within 2 levels of what PyAV's ``to_ndarray(format="rgb24")`` gives for these tags (swscale
    truncates chroma terms), and greys within 1."""
    rng = np.random.default_rng(0)
    height, width = 128, 256
    luma = np.kron(rng.integers(0, 256, (height // 8, width // 8)), np.ones((8, 8))).astype(np.uint8)
    chroma = [np.kron(rng.integers(0, 256, (height // 16, width // 16)), np.ones((8, 8))).astype(np.uint8)
              for _ in range(2)]
    grey = np.full((height // 2, width // 2), 128, np.uint8)
    ramp = np.resize(np.arange(256, dtype=np.uint8), (height, width))
    matrix = yuv_to_rgb_matrix(pix_fmt, colorspace, color_range)
    for planes, tolerance in (((luma, *chroma), 2), ((ramp, grey, grey), 1)):
        frame = av.VideoFrame(width, height, pix_fmt)
        for plane, values in zip(frame.planes, planes):
            np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width] = values
        frame.colorspace, frame.color_range = colorspace, color_range
        expected = frame.to_ndarray(format="rgb24").astype(int)
        y, u, v = (cv2.resize(p, (width, height), interpolation=cv2.INTER_NEAREST) for p in planes)
        converted = cv2.transform(np.dstack([y, u, v]), matrix).astype(int)
        # Away from the chroma blocks' edges, where swscale interpolates chroma and the nearest copy does not.
        inner = np.zeros((height, width), bool)
        inner[3::8, 3::8] = inner[4::8, 4::8] = True
        inner &= (np.arange(width) % 16 >= 3)[None] & (np.arange(width) % 16 <= 12)[None]
        inner &= (np.arange(height) % 16 >= 3)[:, None] & (np.arange(height) % 16 <= 12)[:, None]
        difference = np.abs(converted - expected)[inner if tolerance == 2 else slice(None)]
        assert difference.max() <= tolerance, (pix_fmt, colorspace, color_range, tolerance)


def test_only_8_bit_420_in_a_known_colour_space_is_read_as_planes(clip):
    assert read_video(clip).yuv_to_rgb is not None  # what write_mp4 and most generated videos hold
    for pix_fmt in ("yuv444p", "yuv422p", "nv12", "yuv420p10le", "gray"):
        assert yuv_to_rgb_matrix(pix_fmt, 2, 0) is None, pix_fmt
    assert yuv_to_rgb_matrix("yuv420p", 4, 0) is None  # FCC: a colour space this does not know
    frame = av.VideoFrame.from_ndarray(np.zeros((16, 32, 3), np.uint8), format="rgb24")
    mixed = DecodedFrames([frame.reformat(format="yuv420p"), frame.reformat(format="yuvj420p")])
    assert mixed.yuv_to_rgb is None  # frames whose format changes midway: converted one by one
    assert Video(np.zeros((2, 16, 32, 3), np.uint8), 12.0).yuv_to_rgb is None


@pytest.mark.parametrize("family", ["maze", "maze3d"])
def test_verifying_a_file_is_verifying_its_decoded_pixels(family, tmp_path):
    """The verdict on a read video (its 4:2:0 planes warped where the raster is a half or less of the video,
    else frames converted one at a time) is the verdict on its decoded pixels as an array, and the trajectory
    lies within a hundredth of the puzzle's width of it."""
    fam = load_family(family)
    puzzle = fam.generate(0, "easy", fam.skins[0], f"{family}/easy/000000")
    frames = fam.animate(puzzle, "solution", seed=0, frames_per_step=3, hold_frames=4, num_frames=33)
    path = write_mp4(tmp_path / "oracle.mp4", Video(frames, 16.0))
    verifier = load_verifier(fam.verifier)
    lazy = verifier.verify(puzzle, read_video(path))
    pixels = verifier.verify(puzzle, Video(_pyav_rgb(path), 16.0))
    assert lazy.success and pixels.success
    assert [(e.frame, e.kind) for e in lazy.events] == [(e.frame, e.kind) for e in pixels.events]
    assert [p is None for p in lazy.trajectory] == [p is None for p in pixels.trajectory]
    gaps = [np.hypot(a[0] - b[0], a[1] - b[1]) for a, b in zip(lazy.trajectory, pixels.trajectory) if a]
    assert max(gaps) < 0.01 * puzzle.frame0().shape[1]


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
