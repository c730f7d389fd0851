"""Aggregate sample records into the numbers a run reports.

Rows are computed per family x difficulty, per family, and overall. The overall
row is the mean of the family rows, so a family with many puzzles does not
drown out the others. A sample that errored or could not be judged counts as
unsolved. Success intervals are Wilson 95% intervals over samples (treating
samples as independent draws).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from genreason.selection import best_of_k, mean_best_of_k
from genreason.types import SampleRecord

SUMMARY_VERSION = 2  # 2: best_of_k and best_of_k_metrics in every row
Z_95 = 1.959963984540054  # two-sided 95% normal quantile

# The VR-Bench-compatible metrics averaged in a summary. ``sd`` (step deviation)
# is only defined for samples that reached the goal, so it is averaged only where
# present; the others count 0 for a sample without a usable verdict.
MEAN_METRICS = ("sr", "em", "pr", "sd", "mf")
ONLY_WHERE_PRESENT = frozenset({"sd"})


def pass_at_k(n: int, c: int, k: int) -> float:
    """Unbiased pass@k from ``n`` samples of which ``c`` succeeded: ``1 - C(n-c, k) / C(n, k)``.

    Computed with exact integers and one correctly rounded division, so it is
    exact to float precision for any ``n`` (no overflow, no cancellation).

    Raises:
        ValueError: unless ``0 <= c <= n`` and ``1 <= k <= n``.
    """
    if not (0 <= c <= n and 1 <= k <= n):
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n, got n={n} c={c} k={k}")
    total = math.comb(n, k)
    return (total - math.comb(n - c, k)) / total


def wilson_interval(successes: int, n: int, z: float = Z_95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion (95% by default).

    Raises:
        ValueError: unless ``0 <= successes <= n`` and ``n >= 1``.
    """
    if not (0 <= successes <= n and n >= 1):
        raise ValueError(f"Wilson interval needs 0 <= successes <= n and n >= 1, got {successes}/{n}")
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At p = 0 or 1 one bound is exactly 0 or 1; rounding would otherwise give 0.9999999999999999.
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


class Row(BaseModel):
    """One aggregated row: a family x difficulty, a family (``difficulty`` None), or overall (both None).

    ``pass_at_k[i]`` is pass@(i+1), averaged over the puzzles that have at least
    ``i + 1`` samples. ``best_of_k[i]`` is the success of the candidate the
    verifier keeps among i+1 (see :mod:`genreason.selection`);
    ``best_of_k_metrics`` holds, for the ``verifier`` pick and the ``oracle``
    pick, lists of the same shape for ``success``, ``em`` and ``precision``.
    """

    model_config = ConfigDict(extra="forbid")

    level: Literal["difficulty", "family", "overall"]
    family: str | None
    difficulty: str | None
    n_puzzles: int
    n_samples: int
    n_success: int
    n_errors: int
    n_unreadable: int
    success: float
    success_ci: tuple[float, float]
    metrics: dict[str, float] = Field(default_factory=dict)
    pass_at_k: list[float] = Field(default_factory=list)
    best_of_k: list[float] = Field(default_factory=list)
    best_of_k_metrics: dict[str, dict[str, list[float]]] = Field(default_factory=dict)


class Summary(BaseModel):
    """What ``summary.json`` holds: rows at three levels for a run with ``samples`` samples per puzzle."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["genreason.summary"] = "genreason.summary"
    version: int = SUMMARY_VERSION
    samples: int
    difficulties: list[Row] = Field(default_factory=list)
    families: list[Row] = Field(default_factory=list)
    overall: Row | None = None

    def table_rows(self) -> list[Row]:
        """Rows in table order: each family's difficulties, then the family (when it has several), then
        overall (when there are several families; otherwise it repeats the family row)."""
        rows: list[Row] = []
        for family_row in self.families:
            own = [r for r in self.difficulties if r.family == family_row.family]
            rows += own + ([family_row] if len(own) > 1 else [])
        if self.overall is not None and len(self.families) > 1:
            rows.append(self.overall)
        return rows


def summarize(records: Iterable[SampleRecord], samples: int) -> Summary:
    """Aggregate records (any order) into a :class:`Summary`.

    Args:
        records: One record per sample; errors and unreadable verdicts count as unsolved.
        samples: N, the number of samples asked per puzzle (sets how many pass@k are reported).
    """
    by_group: dict[tuple[str, str], list[SampleRecord]] = defaultdict(list)
    for record in records:
        by_group[(record.family, record.difficulty)].append(record)
    difficulties = [_row("difficulty", family, difficulty, group, samples)
                    for (family, difficulty), group in by_group.items()]
    families = []
    for family in dict.fromkeys(family for family, _ in by_group):
        group = [r for (f, _), rs in by_group.items() if f == family for r in rs]
        families.append(_row("family", family, None, group, samples))
    return Summary(samples=samples, difficulties=difficulties, families=families,
                   overall=_mean_of_rows(families) if families else None)


def _row(level: Literal["difficulty", "family"], family: str, difficulty: str | None,
         records: Sequence[SampleRecord], samples: int) -> Row:
    n = len(records)
    wins = sum(r.success for r in records)
    by_puzzle: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        by_puzzle[r.puzzle_id].append(r.success)
    pass_at = []
    for k in range(1, samples + 1):
        values = [pass_at_k(len(s), sum(s), k) for s in by_puzzle.values() if len(s) >= k]
        if not values:
            break
        pass_at.append(sum(values) / len(values))
    best = best_of_k(records, samples)
    return Row(
        level=level, family=family, difficulty=difficulty,
        n_puzzles=len(by_puzzle), n_samples=n, n_success=wins,
        n_errors=sum(r.status == "error" for r in records),
        n_unreadable=sum(r.verdict is not None and r.verdict.status == "unreadable" for r in records),
        success=wins / n, success_ci=wilson_interval(wins, n),
        metrics=_metric_means(records), pass_at_k=pass_at,
        best_of_k=best["verifier"]["success"], best_of_k_metrics=best,
    )


def _metric_means(records: Sequence[SampleRecord]) -> dict[str, float]:
    """Means of the metrics the verifier reports; a sample without a usable verdict scores 0 (except sd)."""
    judged = [r.verdict.metrics for r in records
              if r.status == "ok" and r.verdict is not None and r.verdict.status == "ok"]
    unjudged = len(records) - len(judged)
    means = {}
    for name in MEAN_METRICS:
        values = [float(m[name]) for m in judged if name in m]
        if not values:  # the verifier does not report it: leave it out rather than print 0
            continue
        zeros = 0 if name in ONLY_WHERE_PRESENT else unjudged
        means[name] = sum(values) / (len(values) + zeros)
    return means


def _mean_of_rows(rows: Sequence[Row]) -> Row:
    """The overall row: the mean of the family rows (counts are summed).

    Its interval is the mean of the family intervals' bounds, which is at least
    as wide as a proper interval for a mean of independent proportions.
    """
    def mean(xs: Sequence[float]) -> float:
        return sum(xs) / len(xs)

    metrics = {name: mean([r.metrics[name] for r in rows if name in r.metrics])
               for name in MEAN_METRICS if any(name in r.metrics for r in rows)}
    depth = min(len(r.pass_at_k) for r in rows)
    return Row(
        level="overall", family=None, difficulty=None,
        n_puzzles=sum(r.n_puzzles for r in rows), n_samples=sum(r.n_samples for r in rows),
        n_success=sum(r.n_success for r in rows), n_errors=sum(r.n_errors for r in rows),
        n_unreadable=sum(r.n_unreadable for r in rows),
        success=mean([r.success for r in rows]),
        success_ci=(mean([r.success_ci[0] for r in rows]), mean([r.success_ci[1] for r in rows])),
        metrics=metrics,
        pass_at_k=[mean([r.pass_at_k[i] for r in rows]) for i in range(depth)],
        best_of_k=[mean([r.best_of_k[i] for r in rows]) for i in range(min(len(r.best_of_k) for r in rows))],
        best_of_k_metrics=mean_best_of_k([r.best_of_k_metrics for r in rows]),
    )


def format_table(summary: Summary) -> str:
    """A plain-text table for the terminal: one line per family x difficulty, then family and overall rows.

    The overall row is shown only when there is more than one family (otherwise
    it repeats the family row).
    """
    ks = range(1, summary.samples + 1)
    header = ["family", "difficulty", "puzzles", "success", "sr", "em", *[f"pass@{k}" for k in ks]]
    rows = summary.table_rows()
    lines = [header] + [_cells(row, len(ks)) for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]

    def render(line: list[str]) -> str:  # names to the left, numbers to the right
        return "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(line, widths, strict=True)))
    text = [render(line) for line in lines]
    errors = sum(r.n_errors for r in summary.families)
    unreadable = sum(r.n_unreadable for r in summary.families)
    if errors or unreadable:
        text.append(f"{errors} sample(s) errored and {unreadable} could not be judged; "
                    "both count as unsolved (see samples.jsonl)")
    return "\n".join(text)


def _cells(row: Row, n_k: int) -> list[str]:
    lo, hi = row.success_ci
    def num(x: float | None) -> str:
        return "-" if x is None else f"{x:.3f}"
    return [row.family or "all", row.difficulty or "all", str(row.n_puzzles),
            f"{row.success:.3f} [{lo:.2f}, {hi:.2f}]", num(row.metrics.get("sr")), num(row.metrics.get("em")),
            *[num(row.pass_at_k[i]) if i < len(row.pass_at_k) else "-" for i in range(n_k)]]


def format_best_of(summary: Summary) -> str:
    """A plain-text best-of-k table: per family (and overall), per k, pass@k beside what each pick keeps.

    ``verifier`` is the candidate the reference-free selection score keeps,
    ``oracle`` the one closest to the reference path (:mod:`genreason.selection`).
    Empty when there is one sample per puzzle (nothing to choose from).
    """
    if summary.samples < 2:
        return ""
    rows = list(summary.families)
    if summary.overall is not None and len(rows) > 1:
        rows.append(summary.overall)
    names = [n for n in ("success", "em", "precision")
             if any(n in r.best_of_k_metrics.get("verifier", {}) for r in rows)]
    header = ["family", "k", "pass@k", *[f"{n}({pick})" for n in names for pick in ("verifier", "oracle")]]
    lines = [header]
    for row in rows:
        for i in range(len(row.best_of_k)):
            cells = [row.family or "all", str(i + 1),
                     f"{row.pass_at_k[i]:.3f}" if i < len(row.pass_at_k) else "-"]
            for name in names:
                for pick in ("verifier", "oracle"):
                    series = row.best_of_k_metrics.get(pick, {}).get(name, [])
                    cells.append(f"{series[i]:.3f}" if i < len(series) else "-")
            lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    title = ("best-of-k: the candidate kept among k by the verifier (reference-free selection score) "
             "and by the oracle (closest to the reference path)")
    return "\n".join([title] + ["  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                                          for i, (cell, w) in enumerate(zip(line, widths, strict=True)))
                                for line in lines])
