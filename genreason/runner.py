"""The bench loop: plan the missing samples, generate, write, verify, journal, summarize.

For each puzzle of the suite the runner generates the puzzle and saves it, asks
the sampler for the samples the journal does not hold yet (in batches of
``sampler.max_batch``), writes each video, and verifies the file it wrote in
an executor (a process pool overlapping with generation, or inline). Only
this process appends to the journal, one finished sample at a time, so a run
stopped at any moment resumes where it stopped.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from tqdm import tqdm

from genreason.executors import VerifyOutcome, verify_executor, verify_task
from genreason.metrics import Summary, summarize
from genreason.plugins import PuzzleFamily, Sampler, Verifier, load_family, load_sampler, load_verifier
from genreason.seeding import sample_seed
from genreason.store import RunFolder, RunManifest, SuiteRef, digest_ids
from genreason.suites import PuzzleSpec, load_families, load_suite
from genreason.types import ComponentSpec, SampleRecord, SampleRequest, Video, sample_id
from genreason.video import write_mp4


class BenchConfig(BaseModel):
    """The options of one ``genreason bench`` run.

    Attributes:
        model: The sampler's registered name and constructor arguments.
        suite: A built-in suite name or a path to a suite ``.toml`` file.
        samples: N, videos per puzzle; sample ``i`` uses seed ``seed + i``.
        limit: Keep the first ``limit`` puzzles of each family x difficulty.
        seed: Base seed of the samples (puzzle seeds come from the suite).
        out: The run folder; rerunning with the same settings resumes it.
        jobs: Verification processes (default: one per CPU); 1 verifies inline in this process.
        quiet: No progress bar and no per-sample error lines.
    """

    model_config = ConfigDict(extra="forbid")

    model: ComponentSpec
    suite: str = "maze"
    samples: int = Field(default=1, ge=1)
    limit: int | None = Field(default=None, ge=1)
    seed: int = 0
    out: Path
    jobs: int | None = Field(default=None, ge=1)
    quiet: bool = False


def default_out(suite: str, model: str, samples: int, seed: int, limit: int | None = None) -> Path:
    """``results/<suite>-<model>-n<N>-seed<S>[-limit<K>]``: the same command always finds its run again."""
    name = f"{Path(suite).stem}-{model}-n{samples}-seed{seed}" + (f"-limit{limit}" if limit else "")
    return Path("results") / name.replace("/", "_")


@dataclass
class _Produced:
    """A request after generation and writing: the video's path, or why there is none."""

    request: SampleRequest
    video: Path | None = None
    error: str | None = None
    timing: dict[str, float] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)  # the sampler's Video.meta


def run_bench(
    config: BenchConfig,
    *,
    sampler: Sampler | None = None,
    verifier_for: Callable[[str], Verifier] = load_verifier,
    family_for: Callable[[str], PuzzleFamily] = load_family,
    log: Callable[[str], None] | None = None,
) -> Summary:
    """Run (or resume) a benchmark and write its run folder; return the summary.

    Args:
        config: What to run and where.
        sampler: An already built sampler; by default ``config.model`` is loaded from the registry.
        verifier_for: Verifier by name (a family's ``verifier``); by default from the registry.
        family_for: Puzzle family by name; by default from the registry.
        log: Where per-sample error lines go; by default stderr (nothing when ``quiet``).

    Raises:
        RunMismatch: ``config.out`` holds a run made with other settings.
        KeyboardInterrupt: After keeping every finished record; rerunning resumes.
    """
    log = log or (_no_log if config.quiet else _stderr_log)
    suite = load_suite(config.suite)
    families = load_families(suite, family_for)
    specs = suite.puzzles(families, config.limit)
    sampler = sampler or load_sampler(config.model.name, config.model.args)
    verifiers = {f.verifier: verifier_for(f.verifier) for f in families.values()}
    folder = RunFolder(config.out)
    records = folder.start(RunManifest(
        suite=SuiteRef(name=suite.name, version=suite.version, source=suite.source, limit=config.limit,
                       n_puzzles=len(specs), puzzle_ids_sha256=digest_ids(s.id for s in specs)),
        families={name: f.version for name, f in families.items()},
        sampler=sampler.spec(),
        verifiers={name: ComponentSpec(name=f.verifier) for name, f in families.items()},
        samples=config.samples, seed=config.seed,
    ))
    done = {r.sample_id for r in records}
    todo = [(spec, [i for i in range(config.samples) if sample_id(spec.id, i) not in done]) for spec in specs]
    todo = [(spec, missing) for spec, missing in todo if missing]

    total = len(specs) * config.samples
    progress = tqdm(total=total, initial=total - sum(len(m) for _, m in todo), unit="sample", file=sys.stderr,
                    disable=config.quiet or not sys.stderr.isatty(), dynamic_ncols=True)

    def finish(record: SampleRecord) -> None:
        folder.journal.append(record)
        records.append(record)
        progress.update(1)
        if record.status == "error":
            log(f"error: {record.sample_id}: {record.error}")

    jobs = config.jobs or os.cpu_count() or 1
    executor = verify_executor(jobs, verifiers)
    pending: dict[Future[VerifyOutcome], _Produced] = {}
    try:
        for spec, missing in todo:
            family = families[spec.family]
            for produced in _produce(spec, family, missing, sampler, folder, config.seed):
                if produced.video is None:
                    finish(_record(folder, produced))
                    continue
                future = executor.submit(verify_task, family.verifier,
                                         folder.puzzle_dir(spec.id) / "puzzle.json", produced.video)
                pending[future] = produced
                # Bounded so that an interrupted run has little verified-but-unrecorded work.
                _collect(pending, folder, finish, block=len(pending) >= 2 * jobs)
        while pending:
            _collect(pending, folder, finish, block=True)
    except KeyboardInterrupt:
        _collect(pending, folder, finish, block=False)  # keep what is already verified
        raise
    finally:
        progress.close()
        # After an interruption or a failure, do not wait for verifications still running.
        executor.shutdown(wait=not pending, cancel_futures=True)
    summary = summarize(records, config.samples)
    folder.write_summary(summary)
    return summary


def _produce(spec: PuzzleSpec, family: PuzzleFamily, missing: Sequence[int], sampler: Sampler,
             folder: RunFolder, base_seed: int) -> Iterator[_Produced]:
    """Generate and save the puzzle, then make and write the missing samples' videos, batch by batch."""
    puzzle = spec.generate(family)
    puzzle.save(folder.puzzle_dir(spec.id))
    requests = [SampleRequest(puzzle=puzzle, prompt=puzzle.prompt, seed=sample_seed(base_seed, i), index=i)
                for i in missing]
    size = max(1, sampler.max_batch)
    for chunk in (requests[i:i + size] for i in range(0, len(requests), size)):
        start = time.perf_counter()
        outcomes = _generate(sampler, chunk)
        per_video = (time.perf_counter() - start) / len(chunk)  # a batch's cost, shared evenly
        for request, outcome in zip(chunk, outcomes, strict=True):
            produced = _Produced(request, timing={"generate_s": per_video})
            if isinstance(outcome, str):
                produced.error = outcome
            else:
                produced.meta = outcome.meta
                start = time.perf_counter()
                produced.video, produced.error = _write(folder.video_path(spec.id, request.index), outcome)
                produced.timing["write_s"] = time.perf_counter() - start
            yield produced


def _generate(sampler: Sampler, chunk: Sequence[SampleRequest]) -> list[Video | str]:
    """One video per request, or an error message for each request the sampler failed on."""
    outcomes: list[Video | str] = []
    failure = "the sampler returned no video for this request"
    try:
        for video in sampler.generate(chunk):
            if len(outcomes) == len(chunk):
                break
            outcomes.append(video if isinstance(video, Video)
                            else f"the sampler returned a {type(video).__name__}, not a Video")
    except Exception as exc:  # one failed batch must not end a long run
        failure = f"sampler {sampler.name!r} failed: {type(exc).__name__}: {exc}"
    return outcomes + [failure] * (len(chunk) - len(outcomes))


def _write(path: Path, video: Video) -> tuple[Path | None, str | None]:
    try:
        write_mp4(path, video)
    except OSError:
        raise  # the disk, not the sample: stop (a rerun resumes)
    except Exception as exc:  # frames the encoder cannot take are the sample's problem
        return None, f"could not encode the video: {type(exc).__name__}: {exc}"
    return path, None


def _collect(pending: dict[Future[VerifyOutcome], _Produced], folder: RunFolder,
             finish: Callable[[SampleRecord], None], block: bool) -> None:
    """Record every finished verification (waiting for at least one if ``block``)."""
    if not pending:
        return
    done, _ = wait(pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
    for future in done:
        produced = pending.pop(future)
        outcome = future.result()  # a verifier bug propagates: fix it and rerun to resume
        produced.timing["verify_s"] = outcome.seconds
        produced.error = outcome.error
        finish(_record(folder, produced, outcome))


def _record(folder: RunFolder, produced: _Produced, outcome: VerifyOutcome | None = None) -> SampleRecord:
    request = produced.request
    puzzle = request.puzzle
    return SampleRecord(
        sample_id=sample_id(puzzle.id, request.index), puzzle_id=puzzle.id, family=puzzle.family,
        difficulty=puzzle.difficulty, skin=puzzle.skin, index=request.index, seed=request.seed,
        prompt=request.prompt,
        video=folder.relative(produced.video) if produced.video else None,
        status="error" if produced.error else "ok", error=produced.error,
        verdict=outcome.verdict if outcome else None, timing=produced.timing,
        extra={"sampler": produced.meta} if produced.meta else {},
    )


def _stderr_log(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


def _no_log(message: str) -> None:
    pass
