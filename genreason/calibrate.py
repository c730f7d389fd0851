"""Calibrate the verifiers: how often they accept what is legal and reject what is not, per degradation.

For every registered family that can draw labelled videos of its own puzzles
(:class:`genreason.plugins.Calibratable`), ``n`` puzzles are generated (spread
over the family's difficulties and skins, seeded), each drawn as the reference
solution (legal) and as every hard negative that applies (illegal, see
:mod:`puzzles.negatives` for the built-in families). Every case is passed
through ``clean`` (no change) and every preset of
:data:`genreason.degrade.DEGRADATIONS`, written as an H.264 MP4 and judged from
that file by the family's verifier, exactly as ``genreason verify`` would.

Two more columns redraw the case itself rather than its frames: in
``agent-recoloured`` and ``agent-reshaped`` (:data:`RESTYLE_COLUMNS`) the
family draws every case again with its agent slightly recoloured or reshaped
from the second frame on, as a model redraws a sprite it was shown. Each
puzzle gets one variant per column, in turn (the variant is in its rows).
Families whose ``calibration_cases`` takes no ``restyle`` (no agent: tangram,
sudoku) count these columns as ``skipped``.

A column may also combine several, joined by ``+`` and applied left to right
(:func:`parse_column`): ``resize-480x832+h264-low`` resizes, then compresses;
``agent-reshaped+blur`` blurs the reshaped agent's video. At most one part may
be a restyle column; a combination with a part that drops frames skips what
that part skips. Generated videos are rarely degraded one way only.

Written under ``out``:

- ``puzzles/<puzzle id>/{puzzle.json,frame0.png}``
- ``videos/<puzzle id>/<case>__<degradation>.mp4`` (``<puzzle id>`` starts with the family)
- ``verdicts.jsonl``: one row per case x degradation (:class:`Row`)
- ``confusion.json`` and ``confusion.md``: per family x degradation, true and
  false accepts, true and false rejects, unreadable and skipped videos.

Labels stay true to what the degraded video shows: a case whose violation lives
in a single frame (or between two consecutive frames: a wall crossed between
frame t and t+1, a 3-cell teleport, which at half the frame rate is within the
speed of a fast glide) is not built under the degradations that drop frames
(:data:`FRAME_DROPPING`), since the dropped frame may be the only evidence;
such combinations are counted as ``skipped``, never as accepts or rejects.
A video the verifier cannot judge (status ``unreadable``, or a file it cannot
read) is counted as ``unreadable`` with its reason, apart from the four cells of
the confusion matrix.

Degrading, encoding and judging run in the worker processes of
:func:`genreason.executors.verify_executor`, one task per video; a worker
draws the cases of a puzzle once and keeps them while tasks of that puzzle come.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from genreason.degrade import DEGRADATIONS, chain
from genreason.errors import GenreasonError, UnknownName
from genreason.executors import verify_executor, verify_task
from genreason.fsutil import atomic_write_text
from genreason.plugins import Calibratable, available, load_family, load_verifier
from genreason.types import Puzzle, Video
from genreason.video import write_mp4

CLEAN = "clean"
FRAME_DROPPING = frozenset({"fps-drop", "fps-jitter"})
"""Degradations that drop frames: they skip the cases whose violation lives in a single frame."""
ENCODE_PRESET = "veryfast"  # x264 preset of the written videos (crf 18): same artefacts, half the time
COUNTS = ("true_accept", "false_accept", "true_reject", "false_reject", "unreadable", "skipped")
RESTYLE_COLUMNS = {"agent-recoloured": ("hue-shifted", "shaded"), "agent-reshaped": ("smaller", "reshaped")}
"""Columns that redraw the agent, and the restyles (``calibration_cases(..., restyle=)``) each uses in turn."""
COMBINE = "+"  # joins the parts of a combined column


@dataclass(frozen=True)
class Column:
    """What a column does (:func:`parse_column`): redraw the agent (a :data:`RESTYLE_COLUMNS` key, or None), then
    apply ``steps`` (keys of DEGRADATIONS) to the video in order."""

    restyle: str | None
    steps: tuple[str, ...]

    @property
    def drops_frames(self) -> bool:
        return any(step in FRAME_DROPPING for step in self.steps)

    def degrade(self, video: Video) -> Video:
        return chain(*(DEGRADATIONS[step] for step in self.steps))(video)


def parse_column(name: str) -> Column:
    """``clean``, a preset, a restyle column, or several of them joined by ``+`` (at most one restyle).

    Raises:
        UnknownName: a part is none of those.
        GenreasonError: two restyle columns in one name.
    """
    known = [CLEAN, *DEGRADATIONS, *RESTYLE_COLUMNS]
    parts = name.split(COMBINE)
    for part in parts:
        if part not in known:
            raise UnknownName("degradation", part, known)
    restyles = [p for p in parts if p in RESTYLE_COLUMNS]
    if len(restyles) > 1:
        raise GenreasonError(f"column {name!r} restyles the agent twice ({' and '.join(restyles)}): "
                             f"combine at most one of {', '.join(RESTYLE_COLUMNS)} with degradation presets")
    return Column(restyles[0] if restyles else None, tuple(p for p in parts if p in DEGRADATIONS))


@dataclass(frozen=True)
class CalibrationConfig:
    """What to calibrate.

    Attributes:
        out: folder to write everything to.
        families: family names to run; None: every registered Calibratable family.
        n: puzzles per family.
        jobs: worker processes (None: all cores; 1: inline).
        degradations: columns to run (:func:`parse_column`: ``clean``, keys of DEGRADATIONS and
            RESTYLE_COLUMNS, or several joined by ``+``); None: ``clean``, every preset and restyle column.
        seed: base puzzle seed (puzzle i gets seed + i; it also seeds the cases).
    """

    out: Path
    families: Sequence[str] | None = None
    n: int = 2
    jobs: int | None = None
    degradations: Sequence[str] | None = None
    seed: int = 0


@dataclass(frozen=True)
class Row:
    """One case x degradation: its truth and what the verifier said (one line of ``verdicts.jsonl``)."""

    family: str
    puzzle: str
    difficulty: str
    skin: str
    case: str
    degradation: str
    legal: bool
    accepted: bool | None  # None when skipped or unreadable
    status: str  # ok, unreadable or skipped
    reason: str | None
    events: list[str]
    video: str | None
    variant: str | None = None  # the agent restyle of an agent-* column

    @property
    def outcome(self) -> str:
        """Which count of the confusion matrix this row adds to (one of :data:`COUNTS`)."""
        if self.status == "skipped":
            return "skipped"
        if self.status != "ok":
            return "unreadable"
        return f"{'true' if self.accepted == self.legal else 'false'}_{'accept' if self.accepted else 'reject'}"


@dataclass
class Calibration:
    """The result: every row, and the counts per family and degradation."""

    rows: list[Row]
    confusion: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)

    @property
    def totals(self) -> dict[str, float]:
        counts = {k: sum(cell[k] for fam in self.confusion.values() for cell in fam.values()) for k in COUNTS}
        positives = counts["true_accept"] + counts["false_reject"]
        negatives = counts["true_reject"] + counts["false_accept"]
        return {**counts,
                "false_reject_rate": counts["false_reject"] / positives if positives else 0.0,
                "false_accept_rate": counts["false_accept"] / negatives if negatives else 0.0}

    def wrong(self) -> list[Row]:
        """Every wrong verdict: false accepts first, then false rejects."""
        order = {"false_accept": 0, "false_reject": 1}
        return sorted((r for r in self.rows if r.outcome in order), key=lambda r: order[r.outcome])

    def unreadable(self) -> list[Row]:
        return [r for r in self.rows if r.outcome == "unreadable"]


def degradation_names(selected: Sequence[str] | None = None) -> list[str]:
    """``clean`` and every preset and restyle column, or the ``selected`` ones checked (:func:`parse_column`)."""
    if selected is None:
        return [CLEAN, *DEGRADATIONS, *RESTYLE_COLUMNS]
    for name in selected:
        parse_column(name)
    return list(dict.fromkeys(selected))


def calibratable_families(selected: Sequence[str] | None = None) -> list[str]:
    """Registered families that can draw labelled cases (all, or the ``selected`` ones, checked)."""
    registered = list(available("puzzles"))
    if selected is None:
        return [name for name in registered if isinstance(load_family(name), Calibratable)]
    for name in selected:
        if name not in registered:
            raise UnknownName("puzzle family", name, registered)
        if not isinstance(load_family(name), Calibratable):
            raise GenreasonError(f"the {name} family cannot draw calibration cases (no calibration_cases method)")
    return list(dict.fromkeys(selected))


def calibration_puzzles(family_name: str, n: int, seed: int = 0) -> list[Puzzle]:
    """``n`` puzzles of a family: difficulties and skins in turn, seeds ``seed``, ``seed + 1``, ..."""
    family = load_family(family_name)
    puzzles = []
    for i in range(n):
        difficulty = family.difficulties[i % len(family.difficulties)]
        skin = family.skins[i % len(family.skins)]
        puzzle_seed = seed + i
        puzzles.append(family.generate(puzzle_seed, difficulty, skin, f"{family.name}/{difficulty}/{puzzle_seed:06d}"))
    return puzzles


@dataclass(frozen=True)
class _Task:
    family: str
    puzzle_path: Path
    seed: int
    case: str
    degradation: str
    video_path: Path
    variant: str | None = None


def draws_agent(family: object) -> bool:
    """Whether a family can redraw its cases with the agent restyled (``calibration_cases`` takes ``restyle``)."""
    return "restyle" in inspect.signature(family.calibration_cases).parameters  # type: ignore[attr-defined]


def _draw_cases(family: Any, puzzle: Puzzle, seed: int, variant: str | None) -> list[Any]:
    if variant is None:
        return family.calibration_cases(puzzle, seed)
    return family.calibration_cases(puzzle, seed, restyle=variant)


@lru_cache(maxsize=1)  # tasks come puzzle by puzzle, variant by variant: keep the current ones only
def _cases(family_name: str, puzzle_path: Path, seed: int, variant: str | None) -> dict[str, Any]:
    cases = _draw_cases(load_family(family_name), Puzzle.load(puzzle_path), seed, variant)
    return {case.name: case for case in cases}


def _run_task(task: _Task, verifier: str) -> tuple[bool | None, str, str | None, list[str]]:
    """Degrade, write and judge one video (in a worker): (accepted, status, reason, event kinds)."""
    case = _cases(task.family, task.puzzle_path, task.seed, task.variant)[task.case]
    video = parse_column(task.degradation).degrade(Video(frames=case.frames, fps=float(case.fps)))
    task.video_path.parent.mkdir(parents=True, exist_ok=True)
    write_mp4(task.video_path, video, preset=ENCODE_PRESET)
    outcome = verify_task(verifier, task.puzzle_path, task.video_path)
    if outcome.verdict is None:
        return None, "unreadable", outcome.error, []
    verdict = outcome.verdict
    if verdict.status != "ok":
        return None, verdict.status, verdict.reason, [e.kind for e in verdict.events]
    return verdict.success, "ok", verdict.reason, sorted({e.kind for e in verdict.events})


def run_calibration(config: CalibrationConfig, *, on_total: Callable[[int], None] | None = None,
                    on_video: Callable[[Row], None] | None = None) -> Calibration:
    """Build, degrade, write and judge every case; write the verdicts and the confusion matrix.

    Args:
        config: what to run.
        on_total: called once with the number of videos to judge, before the first.
        on_video: called with each row as its verdict arrives.
    """
    if config.n < 1:
        raise GenreasonError(f"n must be at least 1, got {config.n}")
    degradations = degradation_names(config.degradations)
    columns_of = {d: parse_column(d) for d in degradations}
    families = calibratable_families(config.families)
    out = Path(config.out)

    # Draw each puzzle's cases once here too, to know their names and labels (the workers redraw them).
    plan: list[tuple[_Task, Row]] = []
    skipped: list[Row] = []
    verifiers = {}
    verifier_of: dict[str, str] = {}
    for family_name in families:
        family = load_family(family_name)
        verifiers[family.verifier] = load_verifier(family.verifier)
        verifier_of[family_name] = family.verifier
        restylable = draws_agent(family)
        for index, puzzle in enumerate(calibration_puzzles(family_name, config.n, config.seed)):
            puzzle_path = puzzle.save(out / "puzzles" / puzzle.id)
            cases = family.calibration_cases(puzzle, config.seed)  # type: ignore[attr-defined]
            # The plain cases under every video degradation, then one pass per restyle column (alone or
            # combined), so a worker's case cache meets each variant once.
            passes = [(None, [d for d in degradations if columns_of[d].restyle is None])]
            for restyle in dict.fromkeys(c.restyle for c in columns_of.values() if c.restyle is not None):
                variants = RESTYLE_COLUMNS[restyle]
                passes.append((variants[index % len(variants)],
                               [d for d in degradations if columns_of[d].restyle == restyle]))
            for variant, columns in passes:
                for case in cases:
                    for degradation in columns:
                        base = {"family": family_name, "puzzle": puzzle.id, "difficulty": puzzle.difficulty,
                                "skin": puzzle.skin, "case": case.name, "degradation": degradation,
                                "legal": bool(case.legal)}
                        skip = None
                        if variant is not None and not restylable:
                            skip = "the family draws no agent to restyle"
                        elif getattr(case, "single_frame", False) and columns_of[degradation].drops_frames:
                            skip = "the violation lives in one frame, which this degradation may drop"
                        if skip:
                            skipped.append(Row(**base, accepted=None, status="skipped", events=[], video=None,
                                               reason=skip))
                            continue
                        video_path = out / "videos" / puzzle.id / f"{case.name}__{degradation}.mp4"
                        plan.append((_Task(family_name, puzzle_path, config.seed, case.name, degradation,
                                           video_path, variant),
                                     Row(**base, accepted=None, status="", reason=None, events=[],
                                         video=str(video_path), variant=variant)))
    if on_total is not None:
        on_total(len(plan))

    rows: list[Row] = list(skipped)
    executor = verify_executor(config.jobs or os.cpu_count() or 1, verifiers)
    try:
        futures = [(executor.submit(_run_task, task, verifier_of[task.family]), row) for task, row in plan]
        for future, row in futures:
            accepted, status, reason, events = future.result()
            done = Row(**{**asdict(row), "accepted": accepted, "status": status, "reason": reason, "events": events})
            rows.append(done)
            if on_video is not None:
                on_video(done)
    finally:
        executor.shutdown(wait=True, cancel_futures=True)

    rows.sort(key=lambda r: (families.index(r.family), r.puzzle, r.case, degradations.index(r.degradation)))
    result = Calibration(rows, confusion(rows, families, degradations))
    write_results(result, out)
    return result


def confusion(rows: Sequence[Row], families: Sequence[str], degradations: Sequence[str]) -> dict:
    """Counts (:data:`COUNTS`) per family and degradation."""
    table = {f: {d: dict.fromkeys(COUNTS, 0) for d in degradations} for f in families}
    for row in rows:
        table[row.family][row.degradation][row.outcome] += 1
    return table


def format_table(result: Calibration) -> str:
    """The confusion matrix as a Markdown table, one line per family x degradation, and a totals line."""
    head = ["family", "degradation", "true acc", "false acc", "true rej", "false rej", "unreadable", "skipped"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for family, cells in result.confusion.items():
        for degradation, cell in cells.items():
            lines.append("| " + " | ".join([family, degradation, *(str(cell[k]) for k in COUNTS)]) + " |")
    t = result.totals
    lines.append("| " + " | ".join(["**all**", "", *(f"**{int(t[k])}**" for k in COUNTS)]) + " |")
    return "\n".join(lines)


def format_report(result: Calibration) -> str:
    """The table, every wrong verdict (false accepts first) and every unreadable video, with paths, and totals."""
    lines = [format_table(result), ""]
    wrong = result.wrong()
    lines.append(f"wrong verdicts: {len(wrong)}")
    for r in wrong:
        what = "FALSE ACCEPT" if r.outcome == "false_accept" else "false reject"
        lines.append(f"  {what}: {r.puzzle} {r.case} under {r.degradation} (events: {', '.join(r.events) or 'none'})"
                     f" -> {r.video}")
    unreadable = result.unreadable()
    lines.append(f"unreadable: {len(unreadable)}")
    for r in unreadable:
        lines.append(f"  {r.puzzle} {r.case} ({'legal' if r.legal else 'illegal'}) under {r.degradation}: "
                     f"{r.reason} -> {r.video}")
    t = result.totals
    verdict = "OK" if t["false_accept"] == 0 else "FAIL: must be 0"
    lines.append(f"totals: false accepts {int(t['false_accept'])} ({verdict}); false reject rate "
                 f"{t['false_reject_rate']:.3f} ({int(t['false_reject'])} of "
                 f"{int(t['true_accept'] + t['false_reject'])} readable legal videos); unreadable "
                 f"{int(t['unreadable'])}; skipped {int(t['skipped'])}")
    return "\n".join(lines)


def write_results(result: Calibration, out: Path) -> None:
    """``verdicts.jsonl``, ``confusion.json`` and ``confusion.md`` under ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "verdicts.jsonl", "".join(json.dumps(asdict(r)) + "\n" for r in result.rows))
    atomic_write_text(out / "confusion.json", json.dumps(
        {"families": result.confusion, "totals": result.totals,
         "frame_dropping": sorted(FRAME_DROPPING)}, indent=2) + "\n")
    atomic_write_text(out / "confusion.md", format_table(result) + "\n")
