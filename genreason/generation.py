"""Turning sample requests into video files in a run folder: batches, the sampler call, the write.

``bench`` and ``refine`` both hand a stream of requests to a generation
backend and get back, per request, the written video or why there is none.
The local backend (here) calls the sampler in this process; the Ray backend
(:mod:`genreason.distributed`) does the same on a cluster's actors. Either
way only the calling process writes into the run folder.
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from genreason.executors import verify_executor
from genreason.fsutil import temp_path_beside
from genreason.plugins import Sampler, Verifier, load_sampler
from genreason.types import ComponentSpec, SampleFailure, SampleRequest, Video, VideoFile
from genreason.video import write_mp4

#: Where a request's video goes in the run folder.
PathFor = Callable[[SampleRequest], Path]


@dataclass
class Produced:
    """A request after generation and writing: the video's path, or why there is none."""

    request: SampleRequest
    video: Path | None = None
    error: str | None = None
    timing: dict[str, float] = field(default_factory=dict)
    node: str | None = None  # the machine that made the video, on a cluster
    meta: dict[str, Any] = field(default_factory=dict)  # the sampler's Video.meta (e.g. how frame0 was fitted)


class Generation(Protocol):
    """A generation backend: the sampler's spec, a stream of written videos, and where to verify them."""

    spec: ComponentSpec

    def make(self, requests: Iterable[SampleRequest], path_for: PathFor) -> Iterator[Produced]: ...

    def verify_executor(self, jobs: int, verifiers: Mapping[str, Verifier]) -> Executor: ...

    def close(self) -> None: ...


def batches(requests: Iterable[SampleRequest], size: int) -> Iterator[list[SampleRequest]]:
    """Consecutive requests of one puzzle, at most ``size`` at a time (a batch never mixes puzzles)."""
    batch: list[SampleRequest] = []
    for request in requests:
        if batch and (len(batch) == size or batch[0].puzzle.id != request.puzzle.id):
            yield batch
            batch = []
        batch.append(request)
    if batch:
        yield batch


def generate_batch(sampler: Sampler, chunk: Sequence[SampleRequest]) -> list[Video | VideoFile | str]:
    """One video per request, or an error message for each request the sampler failed on.

    A sampler reports one failed request by yielding a :class:`SampleFailure`.
    """
    outcomes: list[Video | VideoFile | str] = []
    failure = "the sampler returned no video for this request"
    try:
        for video in sampler.generate(chunk):
            if len(outcomes) == len(chunk):
                break
            outcomes.append(video if isinstance(video, Video | VideoFile)
                            else video.reason if isinstance(video, SampleFailure)
                            else f"the sampler returned a {type(video).__name__}, not a Video")
    except Exception as exc:  # one failed batch must not end a long run
        failure = f"sampler {sampler.name!r} failed: {type(exc).__name__}: {exc}"
    return outcomes + [failure] * (len(chunk) - len(outcomes))


def write_video(path: Path, video: Video | VideoFile) -> tuple[Path | None, str | None]:
    """Encode (or, for a file made elsewhere, copy byte for byte) a video into place, atomically."""
    if isinstance(video, VideoFile):
        if not video.path.is_file():
            return None, f"{video.path}: no such video file"
        tmp = temp_path_beside(path)
        try:
            shutil.copyfile(video.path, tmp)
            tmp.replace(path)
        finally:
            tmp.unlink(missing_ok=True)
        return path, None
    try:
        write_mp4(path, video)
    except OSError:
        raise  # the disk, not the sample: stop (a rerun resumes)
    except Exception as exc:  # frames the encoder cannot take are the sample's problem
        return None, f"could not encode the video: {type(exc).__name__}: {exc}"
    return path, None


class LocalGeneration:
    """Generation in this process: the sampler is called batch by batch, puzzle by puzzle."""

    def __init__(self, sampler: Sampler) -> None:
        self.sampler = sampler
        self.spec = sampler.spec()

    def make(self, requests: Iterable[SampleRequest], path_for: PathFor) -> Iterator[Produced]:
        for chunk in batches(requests, max(1, self.sampler.max_batch)):
            start = time.perf_counter()
            outcomes = generate_batch(self.sampler, chunk)
            per_video = (time.perf_counter() - start) / len(chunk)  # a batch's cost, shared evenly
            for request, outcome in zip(chunk, outcomes, strict=True):
                produced = Produced(request, timing={"generate_s": per_video})
                if isinstance(outcome, str):
                    produced.error = outcome
                else:
                    produced.meta = outcome.meta if isinstance(outcome, Video) else {}
                    start = time.perf_counter()
                    produced.video, produced.error = write_video(path_for(request), outcome)
                    produced.timing["write_s"] = time.perf_counter() - start
                yield produced

    def verify_executor(self, jobs: int, verifiers: Mapping[str, Verifier]) -> Executor:
        return verify_executor(jobs, verifiers)

    def close(self) -> None:
        pass


@dataclass(frozen=True)
class RayOptions:
    """Where and how wide generation runs on Ray (see :mod:`genreason.distributed`)."""

    address: str | None = None
    actors: int | None = None
    gpus_per_actor: float | None = None


def start_generation(model: ComponentSpec, sampler: Sampler | None = None,
                     ray: RayOptions | None = None) -> Generation:
    """The local backend, or the Ray one when ``ray`` options are given.

    Args:
        model: The sampler to build (by name and arguments) where generation runs.
        sampler: An already built sampler to use instead (tests, embedding).
        ray: Generate on a Ray cluster with these options.
    """
    if ray is not None:
        from genreason.distributed import RayGeneration

        return RayGeneration(model, sampler, ray)
    return LocalGeneration(sampler or load_sampler(model.name, model.args))
