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
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, wait
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from tqdm import tqdm

from genreason.executors import VerifyOutcome, verify_task
from genreason.generation import Produced, RayOptions, start_generation
from genreason.metrics import Summary, summarize
from genreason.plugins import PuzzleFamily, Sampler, Verifier, load_family, load_verifier, tracker_args
from genreason.seeding import sample_seed
from genreason.store import RunFolder, RunManifest, SuiteRef, digest_ids
from genreason.suites import PuzzleSpec, Suite, load_families, load_suite
from genreason.types import ComponentSpec, SampleRecord, SampleRequest, sample_id


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
        tracker: How grid verifiers follow the agent: ``classical`` or ``cotracker``.
        executor: ``local`` (this machine) or ``ray`` (actors on a Ray cluster, see
            :mod:`genreason.distributed`).
        ray_address: The cluster to join (default: ``$RAY_ADDRESS``, else a new local instance).
        ray_actors: Generation actors (default: one per GPU, or one without GPUs).
        ray_gpus_per_actor: GPUs each actor holds (default: 1 when the cluster has GPUs, else 0).
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
    tracker: Literal["classical", "cotracker"] = "classical"
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    ray_actors: int | None = Field(default=None, ge=1)
    ray_gpus_per_actor: float | None = Field(default=None, ge=0)


def default_out(suite: str, model: str, samples: int, seed: int, limit: int | None = None) -> Path:
    """``results/<suite>-<model>-n<N>-seed<S>[-limit<K>]``: the same command always finds its run again."""
    name = f"{Path(suite).stem}-{model}-n{samples}-seed{seed}" + (f"-limit{limit}" if limit else "")
    return Path("results") / name.replace("/", "_")


def run_bench(
    config: BenchConfig,
    *,
    sampler: Sampler | None = None,
    verifier_for: Callable[..., Verifier] = load_verifier,
    family_for: Callable[[str], PuzzleFamily] = load_family,
    log: Callable[[str], None] | None = None,
) -> Summary:
    """Run (or resume) a benchmark and write its run folder; return the summary.

    Args:
        config: What to run and where.
        sampler: An already built sampler; by default ``config.model`` is loaded from the registry.
        verifier_for: Verifier by name (a family's ``verifier``) and arguments; by default from the registry.
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
    verifier_args = {f.verifier: tracker_args(f.verifier, config.tracker) for f in families.values()}
    verifiers = {name: verifier_for(name, args) if args else verifier_for(name) for name, args in verifier_args.items()}
    folder = RunFolder(config.out)
    ray = (RayOptions(config.ray_address, config.ray_actors, config.ray_gpus_per_actor)
           if config.executor == "ray" else None)
    generation = start_generation(config.model, sampler, ray)
    try:
        records = folder.start(_manifest(config, suite, families, specs, generation.spec, verifier_args))
    except BaseException:
        generation.close()
        raise
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
    executor = generation.verify_executor(jobs, verifiers)
    pending: dict[Future[VerifyOutcome], Produced] = {}
    try:
        requests = _requests(todo, families, folder, config.seed)
        for produced in generation.make(requests, lambda r: folder.video_path(r.puzzle.id, r.index)):
            if produced.video is None:
                finish(_record(folder, produced))
                continue
            puzzle = produced.request.puzzle
            future = executor.submit(verify_task, families[puzzle.family].verifier,
                                     folder.puzzle_dir(puzzle.id) / "puzzle.json", produced.video)
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
        generation.close()
    summary = summarize(records, config.samples)
    folder.write_summary(summary)
    return summary




def _manifest(config: BenchConfig, suite: Suite, families: Mapping[str, PuzzleFamily], specs: Sequence[PuzzleSpec],
              sampler: ComponentSpec, verifier_args: Mapping[str, dict[str, Any]]) -> RunManifest:
    return RunManifest(
        suite=SuiteRef(name=suite.name, version=suite.version, source=suite.source, limit=config.limit,
                       n_puzzles=len(specs), puzzle_ids_sha256=digest_ids(s.id for s in specs)),
        families={name: f.version for name, f in families.items()},
        sampler=sampler,
        verifiers={name: ComponentSpec(name=f.verifier, args=verifier_args[f.verifier]) for name, f in families.items()},
        samples=config.samples, seed=config.seed,
    )


def _requests(todo: Sequence[tuple[PuzzleSpec, list[int]]], families: Mapping[str, PuzzleFamily],
              folder: RunFolder, base_seed: int) -> Iterator[SampleRequest]:
    """The missing samples' requests, each puzzle generated and saved just before its requests (memory stays flat)."""
    for spec, missing in todo:
        puzzle = spec.generate(families[spec.family])
        puzzle.save(folder.puzzle_dir(spec.id))
        for i in missing:
            yield SampleRequest(puzzle=puzzle, prompt=puzzle.prompt, seed=sample_seed(base_seed, i), index=i)


def _collect(pending: dict[Future[VerifyOutcome], Produced], folder: RunFolder,
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


def _record(folder: RunFolder, produced: Produced, outcome: VerifyOutcome | None = None) -> SampleRecord:
    request = produced.request
    puzzle = request.puzzle
    return SampleRecord(
        sample_id=sample_id(puzzle.id, request.index), puzzle_id=puzzle.id, family=puzzle.family,
        difficulty=puzzle.difficulty, skin=puzzle.skin, index=request.index, seed=request.seed,
        prompt=request.prompt,
        video=folder.relative(produced.video) if produced.video else None,
        status="error" if produced.error else "ok", error=produced.error,
        verdict=outcome.verdict if outcome else None, timing=produced.timing,
        extra={**({"node": produced.node} if produced.node else {}),
               **({"sampler": produced.meta} if produced.meta else {})},
    )


def _stderr_log(message: str) -> None:
    tqdm.write(message, file=sys.stderr)


def _no_log(message: str) -> None:
    pass
