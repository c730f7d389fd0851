"""What a refine run writes: its manifest, one record per puzzle and round, and the per-round summary.

Layout of a refine run folder (documented for users in ``results/README.md``)::

    refine.json      RefineManifest: every setting, to resume or re-run (never the API key)
    samples.jsonl    one SampleRecord per candidate video (``extra.round`` says which round)
    rounds.jsonl     one RoundRecord per puzzle and round: prompt, candidates, critique, next prompt
    summary.json     RefineSummary: success per round and the final pick per puzzle
    puzzles/...      as in a bench run
    videos/<puzzle id with / as __>__r<round>__s<index>.mp4
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from genreason.environment import Environment, current_environment
from genreason.errors import RunMismatch
from genreason.fsutil import atomic_write_text
from genreason.store import Journal, RunFolder, SuiteRef
from genreason.types import ComponentSpec, SampleRecord, read_versioned

REFINE_VERSION = 1
ROUND_VERSION = 1
REFINE_SUMMARY_VERSION = 1

# Event kinds that say nothing against a video (the verifier merely noted them).
NEUTRAL_EVENTS = frozenset({"skipped_frames"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Critique(_Model):
    """What a critic concluded about one round's candidates.

    ``text`` is the analysis in plain language; ``avoid`` and ``ensure`` are
    short, concrete instructions a rewriter can put into the next prompt.
    """

    critic: str
    text: str
    avoid: list[str] = Field(default_factory=list)
    ensure: list[str] = Field(default_factory=list)


class CandidateRef(_Model):
    """One candidate of a round, as its round record lists it (the full verdict is in ``samples.jsonl``)."""

    sample_id: str
    index: int
    seed: int
    video: str | None
    status: Literal["ok", "error"]
    success: bool
    events: list[str] = Field(default_factory=list)  # the kinds of the verdict's events, in order


class RoundRecord(_Model):
    """One line of ``rounds.jsonl``: one puzzle's round, from its prompt to the next one.

    ``status`` is ``failed`` when no critique or rewrite could be made (``error``
    says why); the next round then uses this round's prompt again.
    ``next_prompt`` is None in the last round (nothing would use it) and when failed.
    """

    format: Literal["genreason.refine-round"] = "genreason.refine-round"
    version: int = ROUND_VERSION
    puzzle_id: str
    round: int
    prompt: str
    candidates: list[CandidateRef]
    status: Literal["ok", "failed"] = "ok"
    error: str | None = None
    critique: Critique | None = None
    next_prompt: str | None = None
    timing: dict[str, float] = Field(default_factory=dict)

    @property
    def prompt_after(self) -> str:
        """The prompt the next round uses: the rewrite, or this one's when there is none."""
        return self.next_prompt if self.next_prompt is not None else self.prompt


class RefineManifest(_Model):
    """``refine.json``: the settings of a refine run. Only :meth:`identity` decides whether it can be resumed."""

    format: Literal["genreason.refine"] = "genreason.refine"
    version: int = REFINE_VERSION
    suite: SuiteRef
    families: dict[str, str]
    sampler: ComponentSpec
    verifiers: dict[str, ComponentSpec]
    rounds: int
    width: int
    seed: int
    reuse_seeds: bool
    max_words: int
    critic: ComponentSpec
    rewriter: ComponentSpec
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    environment: Environment = Field(default_factory=current_environment)

    def identity(self) -> dict[str, Any]:
        data = self.model_dump(mode="json", exclude={"created", "environment"})
        data["suite"] = (self.suite.name, self.suite.version, self.suite.puzzle_ids_sha256)
        return data


class RefineFolder(RunFolder):
    """A run folder with ``refine.json`` as its manifest and a second journal, ``rounds.jsonl``."""

    def __init__(self, root: str | Path) -> None:
        super().__init__(root)
        self.manifest_path = self.root / "refine.json"
        self.rounds = Journal(self.root / "rounds.jsonl", RoundRecord)

    def candidate_video(self, puzzle_id: str, round_: int, index: int) -> Path:
        return self.root / "videos" / f"{puzzle_id.replace('/', '__')}__r{round_}__s{index}.mp4"

    def start_refine(self, manifest: RefineManifest) -> tuple[list[SampleRecord], list[RoundRecord]]:
        """Create the run or resume the same one; return the candidate and round records so far.

        Raises:
            RunMismatch: The folder holds a refine run with other settings, or journals without a manifest.
        """
        if self.manifest_path.exists():
            old = self.read_refine_manifest().identity()
            changed = [key for key, value in manifest.identity().items() if old.get(key) != value]
            if changed:
                raise RunMismatch(f"{self.root} already holds a refine run with different {', '.join(changed)}; "
                                  "pass another --out (or delete that folder) to start a new run")
            self._remove_partial_writes()
            return self.journal.recover(), self.rounds.recover()
        if self.journal.path.exists() or self.rounds.path.exists() or (self.root / "run.json").exists():
            raise RunMismatch(f"{self.root} holds another run but no refine.json; pass another --out")
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.manifest_path, manifest.model_dump_json(indent=2) + "\n")
        return [], []

    def read_refine_manifest(self) -> RefineManifest:
        return read_versioned(self.manifest_path, RefineManifest, fmt="genreason.refine", version=REFINE_VERSION,
                              what="refine manifest", fix="pass another --out")


class RoundRow(_Model):
    """Success in one round, over all puzzles of the run.

    ``pass_at_width``: share of puzzles with at least one solved candidate in
    this round; ``mean_success``: share of this round's candidates solved;
    ``best_so_far``: share of puzzles solved in this round or an earlier one.
    """

    round: int
    n_puzzles: int
    n_candidates: int
    n_success: int
    n_errors: int
    n_failed_rounds: int
    pass_at_width: float
    mean_success: float
    best_so_far: float


class FinalPick(_Model):
    """A puzzle's answer: its best verified candidate over all rounds (see :func:`pick_key`)."""

    puzzle_id: str
    sample_id: str | None
    round: int | None
    seed: int | None
    video: str | None
    prompt: str | None
    success: bool


class RefineSummary(_Model):
    """``summary.json`` of a refine run."""

    format: Literal["genreason.refine-summary"] = "genreason.refine-summary"
    version: int = REFINE_SUMMARY_VERSION
    rounds: int
    width: int
    n_puzzles: int
    rows: list[RoundRow]
    final_success: float
    final: list[FinalPick]


def candidate_round(record: SampleRecord) -> int:
    return int(record.extra["round"])


def illegal_events(record: SampleRecord) -> int:
    """How many events count against a candidate (all but the neutral ones)."""
    if record.verdict is None:
        return 0
    return sum(event.kind not in NEUTRAL_EVENTS for event in record.verdict.events)


def end_distance(record: SampleRecord, goal: Sequence[int] | None) -> float:
    """Rows plus columns from the last visited cell to the goal; infinite when either is unknown."""
    if record.verdict is None or not record.verdict.path or goal is None:
        return float("inf")
    row, col = record.verdict.path[-1]
    return float(abs(row - goal[0]) + abs(col - goal[1]))


def pick_key(record: SampleRecord, goal: Sequence[int] | None) -> tuple[Any, ...]:
    """Sort key of a candidate, best first; reference-free, so a run without solutions could use it too.

    Solved first; then judged before errors and unreadable videos; then fewer
    events against it; then ending nearer the goal (rows + columns, from the
    layout); then more frames with the agent tracked; then the earlier round and index.
    """
    judged = record.status == "ok" and record.verdict is not None and record.verdict.status == "ok"
    tracked = record.verdict.metrics.get("tracked_fraction", 0.0) if record.verdict else 0.0
    return (not record.success, not judged, illegal_events(record), end_distance(record, goal), -tracked,
            candidate_round(record), record.index)


def summarize_refine(puzzle_ids: Sequence[str], rounds: int, width: int, samples: Iterable[SampleRecord],
                     round_records: Iterable[RoundRecord], goals: Mapping[str, Sequence[int] | None]
                     ) -> RefineSummary:
    """Per-round success, cumulative best-so-far, and each puzzle's final pick."""
    by_puzzle: dict[str, list[SampleRecord]] = {pid: [] for pid in puzzle_ids}
    for record in samples:
        by_puzzle.setdefault(record.puzzle_id, []).append(record)
    failed: dict[int, int] = {}
    for rr in round_records:
        failed[rr.round] = failed.get(rr.round, 0) + (rr.status == "failed")
    n = max(1, len(puzzle_ids))
    rows, solved_by = [], set()
    for r in range(rounds + 1):
        in_round = {pid: [s for s in recs if candidate_round(s) == r] for pid, recs in by_puzzle.items()}
        cands = [s for recs in in_round.values() for s in recs]
        solved_now = {pid for pid, recs in in_round.items() if any(s.success for s in recs)}
        solved_by |= solved_now
        rows.append(RoundRow(
            round=r, n_puzzles=sum(bool(recs) for recs in in_round.values()), n_candidates=len(cands),
            n_success=sum(s.success for s in cands), n_errors=sum(s.status == "error" for s in cands),
            n_failed_rounds=failed.get(r, 0), pass_at_width=len(solved_now) / n,
            mean_success=sum(s.success for s in cands) / len(cands) if cands else 0.0,
            best_so_far=len(solved_by) / n))
    final = []
    for pid in puzzle_ids:
        recs = sorted(by_puzzle[pid], key=lambda s: pick_key(s, goals.get(pid)))
        if not recs:
            final.append(FinalPick(puzzle_id=pid, sample_id=None, round=None, seed=None, video=None,
                                   prompt=None, success=False))
            continue
        best = recs[0]
        final.append(FinalPick(puzzle_id=pid, sample_id=best.sample_id, round=candidate_round(best),
                               seed=best.seed, video=best.video, prompt=best.prompt, success=best.success))
    return RefineSummary(rounds=rounds, width=width, n_puzzles=len(puzzle_ids), rows=rows,
                         final_success=sum(f.success for f in final) / n, final=final)


def format_rounds_table(summary: RefineSummary) -> str:
    """The per-round success table printed at the end of a refine run."""
    header = ("round", "puzzles", "candidates", f"pass@{summary.width}", "mean success", "best so far",
              "failed rounds")
    lines = ["  ".join(header)]
    for row in summary.rows:
        cells = (str(row.round), str(row.n_puzzles), str(row.n_candidates), f"{row.pass_at_width:.3f}",
                 f"{row.mean_success:.3f}", f"{row.best_so_far:.3f}", str(row.n_failed_rounds))
        lines.append("  ".join(cell.rjust(len(title)) for cell, title in zip(cells, header, strict=True)))
    lines.append(f"final pick (best verified candidate per puzzle): success {summary.final_success:.3f} "
                 f"over {summary.n_puzzles} puzzles")
    return "\n".join(lines)
