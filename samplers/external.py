"""Videos made elsewhere (closed models: Veo, Kling, Seedance, Sora), read from a folder instead of generated.

``genreason bench --model external -a videos=DIR`` scores them like any
model: the runner asks for sample ``index`` of each puzzle, and this sampler
reads the file that ``pattern`` names under ``DIR``. By default that is the
name ``genreason generate`` writes into its manifest's ``video`` column (and a
run folder's ``videos/`` uses): ``<id with / as __>__s<index>.mp4``.

A missing or unreadable file is a :class:`SampleFailure` for that sample
alone: the run goes on and the summary counts it as unsolved. Videos of any
size and frame rate are passed on as they are (a :class:`VideoFile`: the run
folder keeps a byte-for-byte copy, judged as delivered, never re-encoded);
the verifiers map the puzzle onto them.
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from genreason.errors import BadInput, GenreasonError
from genreason.types import ComponentSpec, SampleFailure, SampleRequest, VideoFile
from genreason.video import read_video

#: The default file name: the same as ``genreason.store.video_name`` gives.
DEFAULT_PATTERN = "{name}__s{index}.mp4"

#: The fields a pattern may use, each with what it holds.
FIELDS = {
    "id": "the puzzle id, e.g. maze/easy/000042 (its / make subfolders)",
    "name": "the puzzle id with / replaced by __, e.g. maze__easy__000042",
    "family": "the puzzle family, e.g. maze",
    "difficulty": "the difficulty, e.g. easy",
    "skin": "the puzzle's skin, e.g. classic",
    "number": "the puzzle's number within its family and difficulty, an integer (42; {number:06d} gives 000042)",
    "index": "the sample index, 0..N-1",
    "seed": "the sample's seed (the run's --seed plus index)",
}


def pattern_fields(request: SampleRequest) -> dict[str, Any]:
    """The values of :data:`FIELDS` for one request."""
    puzzle = request.puzzle
    last = puzzle.id.rsplit("/", 1)[-1]
    return {"id": puzzle.id, "name": puzzle.id.replace("/", "__"), "family": puzzle.family,
            "difficulty": puzzle.difficulty, "skin": puzzle.skin,
            "number": int(last) if last.isdigit() else last, "index": request.index, "seed": request.seed}


class ExternalSampler:
    """Reads one video per request from a folder, named by a pattern; generates nothing.

    Args:
        videos: The folder holding the videos.
        pattern: The video's path under ``videos``, a :meth:`str.format` template over
            :data:`FIELDS`, e.g. ``"{id}/{index}.mp4"`` or ``"{family}_{number:04d}_{index}.mp4"``.
            Without ``{index}`` every sample of a puzzle reads the same file (fine with ``--samples 1``).
    """

    name = "external"
    max_batch = 16  # files are checked, not decoded: a batch holds no frames

    def __init__(self, videos: str = "", pattern: str = DEFAULT_PATTERN) -> None:
        self.videos = videos
        self.pattern = pattern
        if not videos:  # a default rather than a required argument, so that a missing one gets this message
            raise GenreasonError("the external sampler needs -a videos=DIR, the folder holding the videos")
        if not Path(videos).is_dir():
            raise BadInput(videos, "videos folder not found", "pass -a videos=DIR, the folder holding the videos")
        self._check_pattern()

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name, args={"videos": self.videos, "pattern": self.pattern})

    def path_for(self, request: SampleRequest) -> Path:
        """Where the video for ``request`` is expected."""
        return Path(self.videos) / self.pattern.format(**pattern_fields(request))

    def generate(self, requests: Sequence[SampleRequest]) -> Iterator[VideoFile | SampleFailure]:
        for request in requests:
            path = self.path_for(request)
            if not path.is_file():
                yield SampleFailure(f"{path}: no video for sample {request.index} of {request.puzzle.id} "
                                    f"(pattern {self.pattern!r} in {self.videos})")
                continue
            try:
                read_video(path, max_frames=2)  # opens and decodes two frames: a broken file fails here, named
            except BadInput as exc:  # corrupt, truncated, an image, ...
                yield SampleFailure(str(exc))
                continue
            yield VideoFile(path)

    def _check_pattern(self) -> None:
        def bad(problem: str) -> GenreasonError:
            return GenreasonError(f"external sampler: pattern {self.pattern!r} {problem}; "
                                  f"it may use the fields {', '.join('{' + f + '}' for f in FIELDS)}")

        try:
            used = [field for _, field, _, _ in string.Formatter().parse(self.pattern) if field is not None]
        except ValueError as exc:
            raise bad(f"is not a valid format string ({exc})") from None
        unknown = [f for f in used if f not in FIELDS]
        if unknown or "" in used:
            raise bad(f"uses unknown field {{{(unknown or [''])[0]}}}")
        example = {"id": "maze/easy/000000", "name": "maze__easy__000000", "family": "maze",
                   "difficulty": "easy", "skin": "classic", "number": 0, "index": 0, "seed": 0}
        try:
            path = self.pattern.format(**example)
        except (ValueError, TypeError, IndexError, KeyError) as exc:
            raise bad(f"cannot be filled in ({exc})") from None
        if Path(path).is_absolute() or ".." in Path(path).parts:
            raise bad("must be a path inside the videos folder")
