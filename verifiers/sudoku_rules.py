"""The rules of a sudoku video, judged from per-frame digit reads of every cell.

Stability (why a read counts): a cell's reads are its frames' values (a digit,
empty, or unsure). Unsure reads carry no information and are dropped; what
remains is split into runs of one value, and only a run of at least
:func:`stable_frames` reads (0.15 s, never fewer than 2) counts. So a digit
that draws in over a few frames, a frame of compression noise, or a brief
misread changes nothing, while anything that stays for 0.15 s does.

Rules, on the stable runs:

- a given digit (clue) always reads as itself: another digit is ``clue_changed``
  (overwritten), empty too (erased); unsure for a second or more is
  ``clue_obscured`` (covered or scribbled over);
- an empty cell's first stable digit is its written digit; a later stable
  different digit is ``digit_changed``, a later stable empty is ``digit_erased``
  (even if the same digit is written again afterwards);
- the final grid is each cell's last stable value, provided that run lasts
  into the last :func:`stable_frames` frames (otherwise the cell is unreadable
  at the end); it must be complete (``incomplete``), repeat no digit in a row,
  column or box (``repeated_digit``) and equal the solution (``wrong_digit``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from genreason.types import Event
from puzzles.sudoku.grid import units
from verifiers.digits import EMPTY, UNSURE

STABLE_SECONDS = 0.15
OBSCURED_SECONDS = 1.0


def stable_frames(fps: float) -> int:
    """How many reads of one value make it count."""
    return max(2, math.ceil(STABLE_SECONDS * fps))


@dataclass(frozen=True)
class Run:
    value: int
    start: int  # index into the reads (frame of the judged video minus its first good frame)
    end: int  # last index, inclusive
    count: int  # known (not unsure) reads in the run


@dataclass
class Judgement:
    events: list[Event] = field(default_factory=list)
    final: np.ndarray | None = None  # n x n, UNSURE where unreadable at the end
    clue_changes: int = 0
    digits_changed: int = 0
    digits_erased: int = 0
    constraint_violations: int = 0


def stable_runs(reads: np.ndarray, k: int) -> list[Run]:
    """Runs of one value over the known reads of one cell, keeping those of ``k`` reads or more."""
    known = np.nonzero(reads != UNSURE)[0]
    if len(known) == 0:
        return []
    values = reads[known]
    cuts = np.nonzero(values[1:] != values[:-1])[0] + 1
    starts = np.concatenate([[0], cuts])
    ends = np.concatenate([cuts, [len(values)]])  # exclusive
    long = ends - starts >= k
    return [Run(int(values[a]), int(known[a]), int(known[b - 1]), int(b - a))
            for a, b in zip(starts[long].tolist(), ends[long].tolist())]


def longest_unsure(reads: np.ndarray) -> tuple[int, int]:
    """(length, start) of the longest stretch of unsure reads (the first of the longest)."""
    flags = np.concatenate([[False], reads == UNSURE, [False]])
    edges = np.nonzero(flags[1:] != flags[:-1])[0]
    if len(edges) == 0:
        return 0, 0
    starts, ends = edges[::2], edges[1::2]
    longest = int(np.argmax(ends - starts))
    return int(ends[longest] - starts[longest]), int(starts[longest])


def where(cell: tuple[int, int]) -> str:
    return f"row {cell[0] + 1}, column {cell[1] + 1}"


def judge(reads: np.ndarray, clues: Sequence[str], solution: Sequence[str] | None, box: tuple[int, int],
          fps: float, first: int) -> Judgement:
    """Apply the rules to ``reads`` (T x n x n: digit, EMPTY or UNSURE), frames numbered from ``first``."""
    t_count, n = reads.shape[0], reads.shape[1]
    k = stable_frames(fps)
    obscured = max(2 * k, math.ceil(OBSCURED_SECONDS * fps))
    out = Judgement(final=np.full((n, n), UNSURE, dtype=np.int64))
    for r in range(n):
        for c in range(n):
            cell = (r, c)
            series = reads[:, r, c]
            runs = stable_runs(series, k)
            if runs and runs[-1].end >= t_count - k:
                out.final[r, c] = runs[-1].value
            clue = 0 if clues[r][c] == "." else int(clues[r][c])
            if clue:
                _clue_rules(out, cell, clue, runs, series, obscured, first)
            else:
                _written_rules(out, cell, runs, first)
    _final_rules(out, solution, box, first + t_count - 1)
    out.events.sort(key=lambda e: e.frame)
    return out


def _clue_rules(out: Judgement, cell: tuple[int, int], clue: int, runs: list[Run], series: np.ndarray,
                obscured: int, first: int) -> None:
    bad = next((run for run in runs if run.value != clue), None)
    if bad is not None:
        out.clue_changes += 1
        what = "erased" if bad.value == EMPTY else f"overwritten with {bad.value}"
        out.events.append(Event(frame=first + bad.start, kind="clue_changed",
                                message=f"frame {first + bad.start}: the clue {clue} at {where(cell)} was {what}"))
        return
    length, start = longest_unsure(series)
    if length >= obscured:
        out.clue_changes += 1
        out.events.append(Event(frame=first + start, kind="clue_obscured", message=(
            f"frame {first + start}: the clue {clue} at {where(cell)} cannot be read for {length} frames "
            f"(covered or drawn over)")))


def _written_rules(out: Judgement, cell: tuple[int, int], runs: list[Run], first: int) -> None:
    written: Run | None = None
    changed = erased = False
    for run in runs:
        if written is None:
            if run.value != EMPTY:
                written = run
            continue
        frame = first + run.start
        origin = f"the {written.value} written at {where(cell)} (frame {first + written.start})"
        if run.value == EMPTY:
            if not erased:
                out.events.append(Event(frame=frame, kind="digit_erased", message=f"frame {frame}: {origin} was erased"))
            erased = True
        elif run.value != written.value:
            out.events.append(Event(frame=frame, kind="digit_changed",
                                    message=f"frame {frame}: {origin} was changed to {run.value}"))
            changed = True
            written = run
    out.digits_changed += changed
    out.digits_erased += erased


def _final_rules(out: Judgement, solution: Sequence[str] | None, box: tuple[int, int], last: int) -> None:
    final = out.final
    assert final is not None
    n = len(final)
    missing = [(r, c) for r in range(n) for c in range(n) if final[r, c] <= 0]
    if missing:
        listed = "; ".join(where(cell) for cell in missing[:6]) + ("; ..." if len(missing) > 6 else "")
        out.events.append(Event(frame=last, kind="incomplete", message=(
            f"frame {last}: the video ends with {len(missing)} cell(s) empty or unreadable: {listed}")))
    names = ["row"] * n + ["column"] * n + ["box"] * n
    for index, unit in enumerate(units(n, box)):
        values = [int(final[r, c]) for r, c in unit if final[r, c] > 0]
        for digit in sorted(set(values)):
            times = values.count(digit)
            if times > 1:
                out.constraint_violations += 1
                out.events.append(Event(frame=last, kind="repeated_digit", message=(
                    f"frame {last}: the digit {digit} appears {times} times in {names[index]} {index % n + 1}")))
    if solution is not None:
        wrong = [(r, c) for r in range(n) for c in range(n)
                 if final[r, c] > 0 and final[r, c] != int(solution[r][c])]
        for r, c in wrong[:6]:
            out.events.append(Event(frame=last, kind="wrong_digit", message=(
                f"frame {last}: {where((r, c))} ends as {final[r, c]}, the solution has {solution[r][c]}")))
