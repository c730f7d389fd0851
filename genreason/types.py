"""The data that crosses role boundaries: puzzles, videos, verdicts, sample records.

Everything written to disk is a pydantic model with a ``format`` tag and an
integer ``version``, so a reader can refuse a file it does not understand
instead of misreading it. Pixels never go into JSON: a puzzle's first frame is
``frame0.png`` beside ``puzzle.json``; a video is an MP4.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from genreason.errors import BadInput
from genreason.fsutil import atomic_write_bytes, atomic_write_text

PUZZLE_VERSION = 1
VERDICT_VERSION = 1
SAMPLE_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Puzzle(_Model):
    """One generated puzzle. ``layout`` and ``solution`` are family-specific.

    ``layout`` is everything a verifier needs to judge a video without the
    reference (grid, cell size, entity boxes in pixels of ``frame0.png``);
    ``solution`` is the reference, used only by the oracle and by
    reference-based metrics.
    """

    format: Literal["genreason.puzzle"] = "genreason.puzzle"
    version: int = PUZZLE_VERSION
    id: str
    family: str
    family_version: str
    difficulty: str
    skin: str
    seed: int
    prompt: str
    width: int
    height: int
    layout: dict[str, Any]
    solution: dict[str, Any]

    # The first frame, H x W x 3 uint8 RGB. Not serialised: it lives in frame0.png.
    image: np.ndarray | None = Field(default=None, exclude=True, repr=False)

    model_config = ConfigDict(extra="forbid", arbitrary_types_allowed=True)

    def frame0(self) -> np.ndarray:
        if self.image is None:
            raise ValueError(f"puzzle {self.id} has no image loaded")
        return self.image

    def save(self, folder: str | Path) -> Path:
        """Write ``puzzle.json`` and ``frame0.png`` into ``folder`` (atomically)."""
        from genreason.images import encode_png

        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(folder / "frame0.png", encode_png(self.frame0()))
        atomic_write_text(folder / "puzzle.json", self.model_dump_json(indent=2) + "\n")
        return folder / "puzzle.json"

    @classmethod
    def load(cls, path: str | Path) -> "Puzzle":
        """Read a puzzle from ``puzzle.json`` (or its folder) and its ``frame0.png``."""
        from genreason.images import read_png

        path = Path(path)
        if path.is_dir():
            path = path / "puzzle.json"
        data = read_json(path, what="puzzle file")
        if not isinstance(data, dict) or data.get("format") != "genreason.puzzle":
            raise BadInput(path, "is not a genreason puzzle file (no \"format\": \"genreason.puzzle\")",
                           "pass a puzzle.json written by `genreason generate`")
        if data.get("version") != PUZZLE_VERSION:
            raise BadInput(path, f"puzzle format version {data.get('version')!r} is not supported "
                           f"(this genreason reads version {PUZZLE_VERSION})",
                           "regenerate it with this version or upgrade genreason")
        try:
            puzzle = cls.model_validate(data)
        except ValidationError as exc:
            raise BadInput(path, f"malformed puzzle: {validation_problem(exc)}") from None
        puzzle.image = read_png(path.parent / "frame0.png")
        return puzzle


class FrameSource(Protocol):
    """Frames kept as a decoder gave them, turned into RGB one at a time on request.

    :func:`genreason.video.read_video` returns a :class:`Video` over one: a whole
    480x832 video in RGB is ~100 MB of fresh memory, which costs about as much to
    fault in as decoding the file does, and a verifier needs each frame only once,
    shrunk. A source may also offer the decoder's planes themselves (``yuv_to_rgb``
    and ``yuv420``, as :class:`genreason.video.DecodedFrames` does; see :class:`Video`).
    """

    def __len__(self) -> int: ...

    @property
    def size(self) -> tuple[int, int]: ...  # (width, height)

    def rgb(self, index: int) -> np.ndarray: ...  # H x W x 3 uint8

    def rgba(self, index: int) -> np.ndarray: ...  # the same values, and 255 in a fourth channel


class Video:
    """Frames (T x H x W x 3, uint8 RGB) and their rate.

    ``frames`` is given either as the array or as a :class:`FrameSource`; for a
    source, :attr:`frames` converts every frame on first use (and keeps them),
    while :meth:`frame` and :meth:`rgba` convert only the frame asked for, with
    the same values. ``meta`` is what a sampler wants kept with the sample
    (JSON-serialisable, e.g. how the first frame was fitted to the model's size);
    the runner stores it in the sample record's ``extra["sampler"]``.
    """

    __slots__ = ("_frames", "_source", "fps", "meta")

    def __init__(self, frames: np.ndarray | FrameSource, fps: float, meta: dict[str, Any] | None = None) -> None:
        self.fps = fps
        self.meta = {} if meta is None else meta
        if isinstance(frames, np.ndarray):
            if frames.ndim != 4 or frames.shape[-1] != 3 or frames.dtype != np.uint8:
                raise ValueError(f"frames must be T x H x W x 3 uint8, got {frames.shape} {frames.dtype}")
            self._frames: np.ndarray | None = frames
            self._source: FrameSource | None = None
        else:
            self._frames, self._source = None, frames

    @property
    def frames(self) -> np.ndarray:
        if self._frames is None:
            assert self._source is not None
            width, height = self._source.size
            self._frames = np.empty((len(self._source), height, width, 3), dtype=np.uint8)
            for i in range(len(self._source)):
                self._frames[i] = self._source.rgb(i)
        return self._frames

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` in RGB (H x W x 3), without converting the others."""
        return self._frames[index] if self._frames is not None else self._source.rgb(index)

    def rgba(self, index: int) -> np.ndarray:
        """Frame ``index`` as RGBA (H x W x 4, alpha 255): what OpenCV warps fastest."""
        if self._frames is not None:
            return cv2.cvtColor(self._frames[index], cv2.COLOR_RGB2RGBA)
        return self._source.rgba(index)

    @property
    def yuv_to_rgb(self) -> np.ndarray | None:
        """Where the frames are still the decoder's 8-bit 4:2:0 planes: the 3 x 4 matrix taking (Y, U, V, 1) to
        what :meth:`frame` gives (within 1-2 levels); else None. A verifier that shrinks frames a lot can shrink
        and warp the planes (:meth:`yuv420`) and convert only its small raster."""
        return getattr(self._source, "yuv_to_rgb", None)

    def yuv420(self, index: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Frame ``index``'s Y (H x W), U and V (H/2 x W/2) planes, where :attr:`yuv_to_rgb` is not None."""
        assert self._source is not None
        return self._source.yuv420(index)  # type: ignore[attr-defined]

    @property
    def num_frames(self) -> int:
        return len(self._source) if self._frames is None else int(self._frames.shape[0])

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) in pixels."""
        return self._source.size if self._frames is None else (int(self._frames.shape[2]), int(self._frames.shape[1]))

    def __reduce__(self) -> tuple:  # a source holds decoder frames, which do not pickle: send the pixels
        return (Video, (self.frames, self.fps, self.meta))


class Event(_Model):
    """Something a verifier saw, anchored to a frame of the video."""

    frame: int
    kind: str
    message: str


class Verdict(_Model):
    """What a verifier concluded about one video.

    ``status`` is ``ok`` when the video was read and judged, ``unreadable`` when
    it could not be judged (``reason`` says why; never counted as a success).
    ``trajectory`` holds the agent's position per frame in the pixel
    coordinates of the puzzle's ``frame0.png`` (None where it was not seen), so a
    report can draw it over the first frame.
    """

    format: Literal["genreason.verdict"] = "genreason.verdict"
    version: int = VERDICT_VERSION
    verifier: str
    verifier_version: str
    success: bool
    status: Literal["ok", "unreadable"] = "ok"
    reason: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    trajectory: list[tuple[float, float] | None] = Field(default_factory=list)
    path: list[tuple[int, int]] = Field(default_factory=list)
    events: list[Event] = Field(default_factory=list)

    def summary_line(self) -> str:
        if self.status != "ok":
            return f"unreadable: {self.reason}"
        return "SOLVED" if self.success else "not solved"


class ComponentSpec(_Model):
    """A registered component and the arguments it was built with: enough to rebuild it."""

    name: str
    args: dict[str, Any] = Field(default_factory=dict)


@dataclass(frozen=True)
class SampleRequest:
    """One video to make: the puzzle (its first frame and prompt), a seed, its index among N."""

    puzzle: Puzzle
    prompt: str
    seed: int
    index: int = 0

    @property
    def image(self) -> np.ndarray:
        return self.puzzle.frame0()


@dataclass(frozen=True)
class SampleFailure:
    """What a sampler yields, in place of a :class:`Video`, for one request it could not serve.

    The runner records ``reason`` as that sample's error and goes on with the
    others (an exception would fail the whole batch). For example the
    ``external`` sampler yields one for a missing or corrupt video file.
    """

    reason: str


@dataclass(frozen=True)
class VideoFile:
    """What a sampler yields, in place of a :class:`Video`, for a video file it did not make itself.

    The run folder keeps a byte-for-byte copy and that copy is judged, so a
    video made elsewhere is verified as it was delivered, not after a re-encode.
    """

    path: Path


class SampleRecord(_Model):
    """One line of ``samples.jsonl``: a video made for a puzzle, and its verdict."""

    format: Literal["genreason.sample"] = "genreason.sample"
    version: int = SAMPLE_VERSION
    sample_id: str
    puzzle_id: str
    family: str
    difficulty: str
    skin: str
    index: int
    seed: int
    prompt: str
    video: str | None = None
    status: Literal["ok", "error"] = "ok"
    error: str | None = None
    verdict: Verdict | None = None
    timing: dict[str, float] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.status == "ok" and self.verdict is not None and self.verdict.success


def sample_id(puzzle_id: str, index: int) -> str:
    return f"{puzzle_id}#{index}"


def read_json(path: str | Path, what: str = "JSON file") -> Any:
    """Read a JSON file, turning every way it can be bad into one clear :class:`BadInput`."""
    path = Path(path)
    if not path.exists():
        raise BadInput(path, f"{what} not found")
    if path.is_dir():
        raise BadInput(path, f"is a folder, expected a {what}")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(path, f"is not a text {what}") from None
    if not text.strip():
        raise BadInput(path, f"{what} is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(path, f"is not valid JSON (line {exc.lineno}: {exc.msg})") from None


ModelT = TypeVar("ModelT", bound=BaseModel)


def read_versioned(path: str | Path, cls: type[ModelT], *, fmt: str, version: int, what: str, fix: str) -> ModelT:
    """Read a versioned JSON file into ``cls``, refusing another format or version with one clear message.

    Args:
        path: The file.
        cls: The pydantic model it holds.
        fmt: The ``format`` tag it must carry; ``version`` the version this genreason reads.
        what: What the file is, for messages ("run manifest").
        fix: What the user can do about a file that is not one (ends each message).
    """
    data = read_json(path, what=what)
    if not isinstance(data, dict) or data.get("format") != fmt:
        raise BadInput(path, f"is not a genreason {what}", fix)
    if data.get("version") != version:
        raise BadInput(path, f"{what} format version {data.get('version')!r} is not supported "
                       f"(this genreason reads version {version})", fix)
    try:
        return cls.model_validate(data)
    except ValidationError as exc:
        raise BadInput(path, f"malformed {what}: {validation_problem(exc)}") from None


def validation_problem(exc: ValidationError) -> str:
    """The first problem pydantic found, as ``field.sub: message``, for one-line error messages."""
    err = exc.errors()[0]
    where = ".".join(str(p) for p in err.get("loc", ()))
    return f"{where}: {err.get('msg')}" if where else str(err.get("msg"))


__all__ = [
    "ComponentSpec", "Event", "FrameSource", "Puzzle", "SampleFailure", "SampleRecord", "SampleRequest", "Verdict", "Video", "VideoFile",
    "read_json", "sample_id", "validation_problem",
]
