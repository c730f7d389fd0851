"""The refine loop: generate W candidates per puzzle, verify, critique, rewrite the prompt; repeat.

Round 0 uses each puzzle's own prompt. Rounds go breadth-first (every puzzle's
round r before any round r+1), so an interrupted run has whole rounds behind
it. Each candidate is
journaled in ``samples.jsonl`` as soon as it is verified, each finished round
in ``rounds.jsonl``; a rerun skips both, so nothing finished is made twice.
Video making and writing go through the same generation backends as
``bench`` (:mod:`genreason.generation`: in this process, or on Ray actors), and
verification through the same executors.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, wait
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from tqdm import tqdm

from genreason.executors import VerifyOutcome, verify_task
from genreason.fsutil import atomic_write_text
from genreason.generation import Generation, RayOptions, start_generation
from genreason.plugins import PuzzleFamily, Sampler, Verifier, load_family, load_verifier
from genreason.refine.critics import Critic, LLMCritic, RoundContext, VerifierCritic
from genreason.refine.llm import ChatClient, LLMError, LLMSettings
from genreason.refine.records import (
    CandidateRef,
    RefineFolder,
    RefineManifest,
    RefineSummary,
    RoundRecord,
    summarize_refine,
)
from genreason.refine.rewriters import MAX_PROMPT_WORDS, LLMRewriter, Rewriter, TemplateRewriter, bound_words
from genreason.seeding import derive_seed, sample_seed
from genreason.store import SuiteRef, digest_ids
from genreason.suites import PuzzleSpec, Suite, load_families, load_suite
from genreason.types import ComponentSpec, Puzzle, SampleRecord, SampleRequest


class RefineConfig(BaseModel):
    """The options of one ``genreason refine`` run.

    Attributes:
        model: The sampler's registered name and arguments.
        suite: A built-in suite name or a suite file.
        limit: Keep the first ``limit`` puzzles of each family x difficulty.
        rounds: Rewrites; the run makes ``rounds + 1`` rounds of candidates (round 0: the plain prompt).
        width: Candidates per puzzle and round (W).
        critic: ``verifier`` (offline) or ``llm``.
        rewriter: ``template`` (offline) or ``llm``.
        llm: The chat model, when the critic or the rewriter is ``llm``.
        llm_frames: Frames per candidate shown to the llm critic.
        max_words: The longest prompt a rewrite may produce, in words.
        seed: Base seed. Round 0's candidate i uses ``seed + i`` (as ``bench`` does); later rounds
            ``derive_seed(seed, "refine", round, i)``, unless ``reuse_seeds``.
        reuse_seeds: Every round uses round 0's seeds (as VideoTPO does), so rounds differ only in the prompt.
        out: The run folder; rerunning with the same settings resumes it.
        jobs: Verification processes (default: CPU count); 1 verifies inline.
        quiet: No progress bar and no per-candidate error lines.
        executor: ``local`` or ``ray``; ``ray_*`` as for ``bench`` (:class:`genreason.runner.BenchConfig`).
    """

    model_config = ConfigDict(extra="forbid")

    model: ComponentSpec
    suite: str = "maze"
    limit: int | None = Field(default=None, ge=1)
    rounds: int = Field(default=2, ge=0)
    width: int = Field(default=2, ge=1)
    critic: Literal["verifier", "llm"] = "verifier"
    rewriter: Literal["template", "llm"] = "template"
    llm: LLMSettings | None = None
    llm_frames: int = Field(default=4, ge=1)
    max_words: int = Field(default=MAX_PROMPT_WORDS, ge=10)
    seed: int = 0
    reuse_seeds: bool = False
    out: Path
    jobs: int | None = Field(default=None, ge=1)
    quiet: bool = False
    executor: Literal["local", "ray"] = "local"
    ray_address: str | None = None
    ray_actors: int | None = Field(default=None, ge=1)
    ray_gpus_per_actor: float | None = Field(default=None, ge=0)


def default_refine_out(config_suite: str, model: str, rounds: int, width: int, critic: str, seed: int,
                       limit: int | None = None) -> Path:
    """``results/refine-<suite>-<model>-r<R>-w<W>-<critic>-seed<S>[-limit<K>]``."""
    name = (f"refine-{Path(config_suite).stem}-{model}-r{rounds}-w{width}-{critic}-seed{seed}"
            + (f"-limit{limit}" if limit else ""))
    return Path("results") / name.replace("/", "_")


def candidate_seed(base: int, round_: int, index: int, reuse: bool) -> int:
    """The seed of candidate ``index`` in round ``round_``: distinct per round unless ``reuse``."""
    if round_ == 0 or reuse:
        return sample_seed(base, index)
    return derive_seed(base, "refine", round_, index)


def candidate_id(puzzle_id: str, round_: int, index: int) -> str:
    return f"{puzzle_id}#r{round_}s{index}"


def build_critic(config: RefineConfig, client: ChatClient | None) -> Critic:
    if config.critic == "llm":
        assert client is not None
        return LLMCritic(client, frames=config.llm_frames)
    return VerifierCritic()


def build_rewriter(config: RefineConfig, client: ChatClient | None) -> Rewriter:
    if config.rewriter == "llm":
        assert client is not None
        return LLMRewriter(client)
    return TemplateRewriter()


def run_refine(
    config: RefineConfig,
    *,
    sampler: Sampler | None = None,
    verifier_for: Callable[[str], Verifier] = load_verifier,
    family_for: Callable[[str], PuzzleFamily] = load_family,
    sleep: Callable[[float], None] = time.sleep,
    log: Callable[[str], None] | None = None,
) -> RefineSummary:
    """Run (or resume) a refine loop and write its run folder; return the per-round summary.

    Args:
        config: What to run and where.
        sampler: An already built sampler; by default ``config.model`` from the registry.
        verifier_for: Verifier by name; by default from the registry.
        family_for: Puzzle family by name; by default from the registry.
        sleep: How the chat client waits between retries (tests pass a no-op).
        log: Where per-candidate errors and failed rounds go; by default stderr (nothing when ``quiet``).

    Raises:
        RunMismatch: ``config.out`` holds a run made with other settings.
        GenreasonError: An llm critic or rewriter without a model or key.
        KeyboardInterrupt: After keeping every finished candidate and round; rerunning resumes.
    """
    log = log or ((lambda _: None) if config.quiet else (lambda m: tqdm.write(m, file=sys.stderr)))
    needs_llm = config.critic == "llm" or config.rewriter == "llm"
    if needs_llm and config.llm is None:
        raise LLMError("an llm critic or rewriter needs --llm-model and OPENAI_API_KEY")
    client = ChatClient(config.llm, sleep=sleep) if needs_llm and config.llm else None
    try:
        return _run(config, sampler, verifier_for, family_for, build_critic(config, client),
                    build_rewriter(config, client), log)
    finally:
        if client is not None:
            client.close()


def _run(config: RefineConfig, sampler: Sampler | None, verifier_for: Callable[[str], Verifier],
         family_for: Callable[[str], PuzzleFamily], critic: Critic, rewriter: Rewriter,
         log: Callable[[str], None]) -> RefineSummary:
    # 1. What to run: puzzles, sampler, verifiers.
    suite = load_suite(config.suite)
    families = load_families(suite, family_for)
    specs = suite.puzzles(families, config.limit)
    verifiers = {f.verifier: verifier_for(f.verifier) for f in families.values()}
    ray = (RayOptions(config.ray_address, config.ray_actors, config.ray_gpus_per_actor)
           if config.executor == "ray" else None)
    generation = start_generation(config.model, sampler, ray)
    try:
        return _run_with(config, generation, verifiers, suite, families, specs, critic, rewriter, log)
    finally:
        generation.close()


def _run_with(config: RefineConfig, generation: Generation, verifiers: dict[str, Verifier], suite: Suite,
              families: dict[str, PuzzleFamily], specs: Sequence[PuzzleSpec], critic: Critic, rewriter: Rewriter,
              log: Callable[[str], None]) -> RefineSummary:
    # 2. The run folder: start it, or resume it with what it already holds.
    folder = RefineFolder(config.out)
    samples, round_records = folder.start_refine(RefineManifest(
        suite=SuiteRef(name=suite.name, version=suite.version, source=suite.source, limit=config.limit,
                       n_puzzles=len(specs), puzzle_ids_sha256=digest_ids(s.id for s in specs)),
        families={name: f.version for name, f in families.items()}, sampler=generation.spec,
        verifiers={name: ComponentSpec(name=f.verifier) for name, f in families.items()},
        rounds=config.rounds, width=config.width, seed=config.seed, reuse_seeds=config.reuse_seeds,
        max_words=config.max_words, critic=critic.spec(), rewriter=rewriter.spec(),
    ))
    puzzles: list[Puzzle] = []
    for spec in specs:
        puzzle = spec.generate(families[spec.family])
        puzzle.save(folder.puzzle_dir(puzzle.id))
        puzzles.append(puzzle)

    # 3. The rounds, breadth-first; then the summary.
    loop = _Loop(config, folder, generation, critic, rewriter, families, samples, round_records, log)
    jobs = config.jobs or os.cpu_count() or 1
    executor = generation.verify_executor(jobs, verifiers)
    try:
        for round_ in range(config.rounds + 1):
            loop.run_round(puzzles, round_, executor, jobs)
    finally:
        executor.shutdown(wait=not loop.pending, cancel_futures=True)
    goals = {p.id: p.layout.get("goal") for p in puzzles}
    summary = summarize_refine([p.id for p in puzzles], config.rounds, config.width, loop.samples,
                               loop.round_records, goals)
    atomic_write_text(folder.summary_path, summary.model_dump_json(indent=2) + "\n")
    return summary


class _Loop:
    """The state of a run between rounds: journals, what is done, and verifications in flight."""

    def __init__(self, config: RefineConfig, folder: RefineFolder, generation: Generation, critic: Critic,
                 rewriter: Rewriter, families: dict[str, PuzzleFamily], samples: list[SampleRecord],
                 round_records: list[RoundRecord], log: Callable[[str], None]) -> None:
        self.config, self.folder, self.generation = config, folder, generation
        self.critic, self.rewriter, self.families, self.log = critic, rewriter, families, log
        self.samples, self.round_records = samples, round_records
        self.pending: dict[Future[VerifyOutcome], tuple[SampleRequest, int, Path, dict[str, float], str | None]] = {}

    def run_round(self, puzzles: Sequence[Puzzle], round_: int, executor: Executor, jobs: int) -> None:
        """Make and verify the missing candidates of ``round_`` for every puzzle, then close each puzzle's round."""
        done_rounds = {(r.puzzle_id, r.round) for r in self.round_records}
        open_puzzles = [p for p in puzzles if (p.id, round_) not in done_rounds]
        if not open_puzzles:
            return
        have = {s.sample_id for s in self.samples}
        prompts = {p.id: self._prompt(p, round_) for p in open_puzzles}
        requests = [SampleRequest(puzzle=p, prompt=prompts[p.id], index=i,
                                  seed=candidate_seed(self.config.seed, round_, i, self.config.reuse_seeds))
                    for p in open_puzzles for i in range(self.config.width)
                    if candidate_id(p.id, round_, i) not in have]
        progress = tqdm(total=len(requests), unit="video", desc=f"round {round_}", file=sys.stderr,
                        disable=self.config.quiet or not sys.stderr.isatty(), dynamic_ncols=True)
        try:
            path_for = lambda r: self.folder.candidate_video(r.puzzle.id, round_, r.index)  # noqa: E731
            for produced in self.generation.make(requests, path_for):
                request = produced.request
                if produced.video is None:
                    self._finish(request, round_, None, produced.error, produced.timing, None)
                    progress.update(1)
                    continue
                verifier = self.families[request.puzzle.family].verifier
                future = executor.submit(verify_task, verifier,
                                         self.folder.puzzle_dir(request.puzzle.id) / "puzzle.json", produced.video)
                self.pending[future] = (request, round_, produced.video, produced.timing, produced.node)
                # Bounded so that an interrupted run has little verified-but-unrecorded work.
                progress.update(self._collect(block=len(self.pending) >= 2 * jobs))
            while self.pending:
                progress.update(self._collect(block=True))
        except KeyboardInterrupt:
            self._collect(block=False)  # keep what is already verified
            raise
        finally:
            progress.close()
        by_id = {s.sample_id: s for s in self.samples}
        for puzzle in open_puzzles:
            cands = [by_id[candidate_id(puzzle.id, round_, i)] for i in range(self.config.width)]
            record = self._close(puzzle, round_, prompts[puzzle.id], cands)
            self.folder.rounds.append(record)
            self.round_records.append(record)
            if record.status == "failed":
                self.log(f"round {round_} of {puzzle.id} failed: {record.error}")

    def _prompt(self, puzzle: Puzzle, round_: int) -> str:
        """Round 0: the puzzle's prompt; later: the previous round's rewrite, or its prompt if it failed."""
        if round_ == 0:
            return puzzle.prompt
        previous = next(r for r in reversed(self.round_records) if r.puzzle_id == puzzle.id and r.round == round_ - 1)
        return previous.prompt_after

    def _collect(self, block: bool) -> int:
        if not self.pending:
            return 0
        done, _ = wait(self.pending, timeout=None if block else 0, return_when=FIRST_COMPLETED)
        for future in done:
            request, round_, video, timing, node = self.pending.pop(future)
            outcome = future.result()  # a verifier bug propagates: fix it and rerun to resume
            timing["verify_s"] = outcome.seconds
            self._finish(request, round_, video, outcome.error, timing, outcome, node)
        return len(done)

    def _finish(self, request: SampleRequest, round_: int, video: Path | None, error: str | None,
                timing: dict[str, float], outcome: VerifyOutcome | None, node: str | None = None) -> None:
        puzzle = request.puzzle
        record = SampleRecord(
            sample_id=candidate_id(puzzle.id, round_, request.index), puzzle_id=puzzle.id, family=puzzle.family,
            difficulty=puzzle.difficulty, skin=puzzle.skin, index=request.index, seed=request.seed,
            prompt=request.prompt, video=self.folder.relative(video) if video else None,
            status="error" if error else "ok", error=error, verdict=outcome.verdict if outcome else None,
            timing=timing, extra={"round": round_, **({"node": node} if node else {})},
        )
        self.folder.journal.append(record)
        self.samples.append(record)
        if error:
            self.log(f"error: {record.sample_id}: {error}")

    def _close(self, puzzle: Puzzle, round_: int, prompt: str, cands: list[SampleRecord]) -> RoundRecord:
        """The round's record: its candidates, and (before the last round) the critique and the next prompt."""
        refs = [CandidateRef(sample_id=c.sample_id, index=c.index, seed=c.seed, video=c.video, status=c.status,
                             success=c.success, events=[e.kind for e in c.verdict.events] if c.verdict else [])
                for c in cands]
        record = RoundRecord(puzzle_id=puzzle.id, round=round_, prompt=prompt, candidates=refs)
        if round_ == self.config.rounds:
            return record  # nothing would use a critique of the last round
        if all(c.success for c in cands):
            # Nothing to fix, and rewriting a prompt that works can only lose what made it work.
            return record.model_copy(update={"next_prompt": prompt})
        if not any(c.verdict is not None for c in cands):
            return record.model_copy(update={"status": "failed",
                                             "error": "no candidate of this round could be judged"})
        context = RoundContext(puzzle=puzzle, round=round_, prompt=prompt, candidates=cands,
                               videos=[self.folder.root / c.video if c.video else None for c in cands])
        start = time.perf_counter()
        try:
            critique = self.critic.critique(context)
        except LLMError as exc:
            return record.model_copy(update={"status": "failed", "error": f"critique: {exc}"})
        timing = {"critique_s": time.perf_counter() - start}
        record = record.model_copy(update={"critique": critique, "timing": timing})
        start = time.perf_counter()
        try:
            rewrite = self.rewriter.rewrite(puzzle.prompt, prompt, critique, self.config.max_words)
        except LLMError as exc:
            return record.model_copy(update={"status": "failed", "error": f"rewrite: {exc}"})
        timing["rewrite_s"] = time.perf_counter() - start
        return record.model_copy(update={"next_prompt": bound_words(rewrite, self.config.max_words)})
