"""H.264 MP4 in and out with PyAV (its wheels carry FFmpeg and libx264).

Reading turns every way a file can be bad (missing, empty, truncated, corrupt,
an image instead of a video) into one :class:`BadInput` naming the file.
"""

from __future__ import annotations

import os
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

import av
import cv2
import numpy as np

from genreason.errors import BadInput
from genreason.fsutil import temp_path_beside
from genreason.types import Video

# Demuxers that read a single still image: such a file is a picture, not a video.
_IMAGE_FORMATS = ("image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "gif", "tiff_pipe",
                  "pgm_pipe", "ppm_pipe", "svg_pipe")
MIN_FRAMES = 2
# swscale's RGBA output of 4:2:0 and 4:2:2 frames garbles the last pixels of every row when the width is 1-4
# past a multiple of 16 (PyAV 18's FFmpeg; tests/genreason/test_video.py sweeps the widths): only rows of whole
# multiples of 16 pixels (832, 1280, 720, 512, ...) take it, other widths are converted to RGB first.
RGBA_ROW_MULTIPLE = 16


def write_mp4(path: str | Path, video: Video, *, crf: int = 18, bitrate: int | None = None,
              preset: str = "medium") -> Path:
    """Encode ``video`` as H.264 (yuv420p) and move it into place atomically.

    Odd widths or heights are padded by one edge pixel (yuv420p needs even
    sizes). ``bitrate`` (bits per second), when given, replaces ``crf``.
    Encoding is single-threaded and fixed in its options, and kept off x264's
    AVX-512 code (:func:`_x264_cpu_option`), so that the same frames give the
    same bytes on every run.
    """
    path = Path(path)
    frames = _even(video.frames)
    tmp = temp_path_beside(path)
    try:
        with av.open(str(tmp), mode="w", format="mp4") as container:
            rate = Fraction(video.fps).limit_denominator(1001)
            stream = container.add_stream("libx264", rate=rate)
            stream.width = frames.shape[2]
            stream.height = frames.shape[1]
            stream.pix_fmt = "yuv420p"
            stream.thread_count = 1
            options = {"preset": preset, "threads": "1", **_x264_cpu_option()}
            if bitrate:
                stream.bit_rate = int(bitrate)
            else:
                options["crf"] = str(crf)
            stream.options = options
            for frame in frames:
                for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                    container.mux(packet)
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


@lru_cache(maxsize=1)
def _x264_cpu_option() -> dict[str, str]:
    """Hold x264 to its AVX2 code on a CPU with AVX-512 (and leave every other CPU alone).

    x264's AVX-512 code does not give the same bytes for the same frames: in one process, re-encoding one
    96x64 clip 300 times gave three different streams (64 of them off the usual one), and two identical
    ``genreason calibrate --family irregular --n 1 --seed 31`` runs wrote 14 of 320 MP4s differently,
    all at sizes whose width in 16-pixel macroblocks is not a multiple of 16 (832, 480, 720 wide; never 512
    or 1280). Its macroblock-tree rate control is where: ``mbtree=0`` also makes it repeatable. The AVX2
    code gave one stream 1000 times of 1000, and every CPU with AVX-512 has AVX2. numpy's CPU detection
    (it also checks that the OS enables the registers) tells which code x264 would pick.
    """
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as features
    except ImportError:  # numpy 1.x
        try:
            from numpy.core._multiarray_umath import __cpu_features__ as features
        except ImportError:
            return {}
    avx512 = all(features.get(flag) for flag in ("AVX512F", "AVX512CD", "AVX512BW", "AVX512DQ", "AVX512VL"))
    return {"x264-params": "asm=AVX2"} if avx512 and features.get("AVX2") else {}


def _even(frames: np.ndarray) -> np.ndarray:
    pad_h = frames.shape[1] % 2
    pad_w = frames.shape[2] % 2
    if pad_h or pad_w:
        frames = np.pad(frames, ((0, 0), (0, pad_h), (0, pad_w), (0, 0)), mode="edge")
    return frames


def read_video(path: str | Path, *, max_frames: int | None = None) -> Video:
    """Decode every frame of a video file; RGB on demand (see :class:`~genreason.types.FrameSource`).

    Raises :class:`BadInput` for a missing, empty, truncated or corrupt file, or
    for a still image. A file whose tail is damaged but whose first frames decode
    is returned with the frames that could be read.
    """
    path = Path(path)
    _check_file(path)
    try:
        container = av.open(str(path), mode="r")
    except (av.error.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise BadInput(path, f"cannot be opened as a video ({_short(exc)})",
                       "is it a complete MP4/WebM/AVI file?") from None
    with container:
        if container.format.name in _IMAGE_FORMATS:
            raise BadInput(path, f"is an image ({container.format.name}), not a video",
                           "pass the generated video file")
        if not container.streams.video:
            raise BadInput(path, "has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        frames: list[av.VideoFrame] = []
        store = _PlaneStore(stream.frames if max_frames is None else min(max_frames, stream.frames or max_frames))
        try:
            for frame in container.decode(stream):
                frames.append(store.keep(frame))
                if max_frames is not None and len(frames) >= max_frames:
                    break
        except (av.error.FFmpegError, OSError) as exc:
            if len(frames) < MIN_FRAMES:
                raise BadInput(path, f"is corrupt or truncated ({_short(exc)})") from None
        fps = _fps(stream)
    if len(frames) < MIN_FRAMES:
        what = "no frames" if not frames else "a single frame"
        raise BadInput(path, f"decodes to {what}", "a video needs at least two frames")
    # a resolution change mid-stream: keep the first size throughout
    first = (frames[0].width, frames[0].height)
    return Video(DecodedFrames([f for f in frames if (f.width, f.height) == first]), fps=fps)


class _PlaneStore:
    """Copies of decoded 8-bit 4:2:0 frames in numpy memory, handed back as frames over that memory.

    A decoded frame holds its buffer from the decoder's pool: keeping every frame makes the decoder
    take fresh memory for each (about 11,000 page faults for 81 frames of 480x832, a third of the
    decode's own time), and that memory is never given 2 MB pages. Copied out (about a millisecond for
    such a video) each frame's buffer goes back to the pool, and the copies lie in large numpy arrays,
    which the kernel may back with 2 MB pages as it does the decode-to-RGB baseline's
    (``bench/verify_speed.py``). A frame over the copy converts to exactly what the decoder's frame did
    (same format and colour tags; a test compares them). Other formats and sizes are kept as decoded.
    """

    CHUNK = 32  # frames per array after the first, whose size is the container's frame count when it tells one
    MOST_FIRST = 256  # a header may claim any count: the first array holds at most this many (more come in CHUNKs)

    def __init__(self, expected: int):
        self._expected = min(expected, self.MOST_FIRST) if expected > 0 else self.CHUNK
        self._arrays: list[np.ndarray] = []
        self._used = 0

    def keep(self, frame: av.VideoFrame) -> av.VideoFrame:
        """A frame holding the same picture as ``frame`` in this store's memory (``frame`` itself where it cannot)."""
        width, height = frame.width, frame.height
        # PyAV builds a 4:2:0 frame over memory only for heights that are multiples of 4 (it reads the
        # height back from the array's rows, 3/2 of it, rounded down to a multiple of 6).
        if frame.format.name not in ("yuv420p", "yuvj420p") or width % 2 or height % 4:
            return frame
        layout = (height * 3 // 2, width)  # I420: Y rows, then U's and V's rows two to a row
        if not self._arrays or self._used == len(self._arrays[-1]) or self._arrays[-1].shape[1:] != layout:
            count = self._expected if not self._arrays else self.CHUNK
            self._arrays.append(np.empty((count, *layout), np.uint8))
            self._used = 0
        image = self._arrays[-1][self._used]
        self._used += 1
        y, u, v = frame.planes
        quarter = (height // 2) * (width // 2)
        chroma = image[height:].reshape(-1)
        for plane, dst in ((y, image[:height]), (u, chroma[:quarter].reshape(height // 2, width // 2)),
                           (v, chroma[quarter:].reshape(height // 2, width // 2))):
            np.copyto(dst, np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width])
        copy = av.VideoFrame.from_numpy_buffer(image, format=frame.format.name)
        copy.colorspace, copy.color_range = frame.colorspace, frame.color_range
        return copy


class DecodedFrames:
    """A file's frames as its decoder gave them (YUV 4:2:0: half of RGB's memory; 8-bit 4:2:0 ones copied out of the
    decoder's buffers, :class:`_PlaneStore`), converted by PyAV when asked.

    :meth:`rgb` gives exactly what ``frame.to_ndarray(format="rgb24")`` does, and
    :meth:`rgba` the same values with an alpha channel of 255.
    """

    def __init__(self, frames: list[av.VideoFrame]):
        self._frames = frames

    def __len__(self) -> int:
        return len(self._frames)

    @property
    def size(self) -> tuple[int, int]:
        return self._frames[0].width, self._frames[0].height

    def rgb(self, index: int) -> np.ndarray:
        return self._frames[index].to_ndarray(format="rgb24")

    def rgba(self, index: int) -> np.ndarray:
        frame = self._frames[index]
        if frame.width % RGBA_ROW_MULTIPLE:
            return cv2.cvtColor(frame.to_ndarray(format="rgb24"), cv2.COLOR_RGB2RGBA)
        return frame.to_ndarray(format="rgba")  # swscale's 32-bit output is vectorised: no dearer than RGB

    @property
    def yuv_to_rgb(self) -> np.ndarray | None:
        """The 3 x 4 matrix taking (Y, U, V, 1) of these frames to the RGB that :meth:`rgb` gives, where every
        frame is 8-bit 4:2:0 in a colour space this knows; otherwise None (convert with :meth:`rgb`)."""
        first = self._frames[0]
        if any(f.format.name != first.format.name or f.colorspace != first.colorspace
               or f.color_range != first.color_range for f in self._frames):
            return None
        return yuv_to_rgb_matrix(first.format.name, first.colorspace, first.color_range)

    def yuv420(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Frame ``index``'s planes as the decoder left them: Y (H x W), U and V (H/2 x W/2, rounded up); views,
        no copy. Only for frames that :attr:`yuv_to_rgb` says are 4:2:0."""
        frame = self._frames[index]
        return tuple(np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)[:, :plane.width]
                     for plane in frame.planes)


# Luma weights (red, blue) of the colour spaces FFmpeg tags: BT.601 (what swscale assumes when untagged), BT.709
# and BT.2020 (non-constant luminance). Keys: AVColorSpace values.
_LUMA_WEIGHTS = {2: (0.299, 0.114), 5: (0.299, 0.114), 6: (0.299, 0.114), 1: (0.2126, 0.0722),
                 9: (0.2627, 0.0593)}
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG; 0 (unspecified) and 1 (MPEG) are limited: Y 16-235, U and V 16-240


def yuv_to_rgb_matrix(pix_fmt: str, colorspace: int, color_range: int) -> np.ndarray | None:
    """(Y, U, V, 1) -> RGB as PyAV's ``to_ndarray(format="rgb24")`` converts frames of this format and tags, for
    8-bit 4:2:0; None for anything else (other chroma layouts, deeper samples, colour spaces not listed)."""
    if pix_fmt not in ("yuv420p", "yuvj420p") or colorspace not in _LUMA_WEIGHTS:
        return None
    kr, kb = _LUMA_WEIGHTS[colorspace]
    kg = 1.0 - kr - kb
    full = pix_fmt == "yuvj420p" or color_range == _FULL_RANGE
    y_gain, c_gain, y_zero = (1.0, 1.0, 0.0) if full else (255 / 219, 255 / 224, 16.0)
    # R = Y' + 2(1-kr) V', B = Y' + 2(1-kb) U', G from the luma equation; Y' = (Y - y_zero) y_gain, U' = (U - 128) c_gain
    chroma = np.array([[0.0, 2 * (1 - kr)],
                       [-2 * (1 - kb) * kb / kg, -2 * (1 - kr) * kr / kg],
                       [2 * (1 - kb), 0.0]]) * c_gain
    matrix = np.zeros((3, 4))
    matrix[:, 0] = y_gain
    matrix[:, 1:3] = chroma
    # swscale truncates where rounding would round up: a grey of limited range comes out as the floor of its
    # value (of full range, exact), and its chroma terms lower coloured pixels by another 1-2 levels, by an
    # amount that depends on the colour (not modelled). OpenCV's 8-bit transform holds the matrix in fixed point
    # (10 bits), so a grey whose value lies near a whole number may still come out one level off.
    matrix[:, 3] = -y_zero * y_gain - 128 * chroma.sum(axis=1) - (0.0 if full else 0.5)
    return matrix


def _check_file(path: Path) -> None:
    if not path.exists():
        raise BadInput(path, "video not found")
    if path.is_dir():
        raise BadInput(path, "is a folder, expected a video file")
    if path.stat().st_size == 0:
        raise BadInput(path, "video file is empty (0 bytes)")


def _fps(stream: av.video.stream.VideoStream) -> float:
    for rate in (stream.average_rate, stream.guessed_rate, stream.base_rate):
        if rate:
            value = float(rate)
            if 0 < value < 1000:
                return value
    return 16.0


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else exc.__class__.__name__
    return text[:160]
