"""Best-of-N: which of k candidate videos to keep, picked by the verifier or by an oracle.

Test-time scaling draws N videos per puzzle and keeps one. pass@k says how
often *some* candidate among k solves the puzzle; best-of-k says how good the
one a selector *keeps* is. Two selectors are compared:

- the **verifier pick**, by the reference-free :func:`selection_score` (the
  rules and the goal, never the reference path), which is what a deployed
  system could do;
- the **oracle pick**, by the reference-based :func:`oracle_key` (agreement
  with the reference path), which no deployed system could do.

For each k the result is averaged exactly over every choice of k of a puzzle's
n candidates (as the unbiased pass@k is), rather than taken from the first k
only, which is one draw of the same quantity; ties go to the lower sample index.
Since the verifier ranks every success first, its pick's success equals pass@k;
what it shows is the reference metrics of the video kept, against the oracle's.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from genreason.types import SampleRecord

# Event kinds that are not violations: a note, and "did not get there", which
# ``goal_distance`` measures instead.
INFORMATIONAL_EVENTS = frozenset({"skipped_frames", "goal_not_reached"})

# The reference-based metrics reported for both picks (when the verifier reports them).
REFERENCE_METRICS = ("em", "precision")

PICKS = ("verifier", "oracle")


def _verdict_metrics(record: SampleRecord) -> dict[str, float] | None:
    """The metrics of a usable verdict, or None (an error, an unreadable video)."""
    verdict = record.verdict
    if record.status != "ok" or verdict is None or verdict.status != "ok":
        return None
    return verdict.metrics


def selection_score(record: SampleRecord) -> float:
    """The verifier's reference-free judgement of one candidate, in [0, 1]; higher is better.

    1 for a success; 0 without a usable verdict (an error, an unreadable video);
    otherwise ``(1 + progress / 2) / 2 ** (violations + 1)``, where
    ``violations`` counts the verdict's events other than
    :data:`INFORMATIONAL_EVENTS` (a wall crossed, a teleport, the board changed,
    ...) and ``progress`` is ``1 - goal_distance`` (0 when the verifier does not
    report ``goal_distance``). So a success beats every failure, a failure with
    no violation beats every one with a violation, fewer violations beat more,
    and among equals the candidate that ended closer to the goal wins.
    """
    metrics = _verdict_metrics(record)
    if metrics is None:
        return 0.0
    assert record.verdict is not None
    if record.verdict.success:
        return 1.0
    violations = sum(e.kind not in INFORMATIONAL_EVENTS for e in record.verdict.events)
    progress = 1.0 - min(1.0, max(0.0, float(metrics.get("goal_distance", 1.0))))
    return (1.0 + progress / 2.0) / 2.0 ** (violations + 1)


def oracle_key(record: SampleRecord) -> tuple[float, float, float]:
    """The reference-based ranking of one candidate: ``em``, then ``precision``, then success; higher is better."""
    metrics = _verdict_metrics(record) or {}
    return (float(metrics.get("em", 0.0)), float(metrics.get("precision", 0.0)), float(record.success))


def _value(record: SampleRecord, name: str) -> float:
    if name == "success":
        return float(record.success)
    return float((_verdict_metrics(record) or {}).get(name, 0.0))


def _expected_pick(candidates: Sequence[SampleRecord], key: Callable[[SampleRecord], Any],
                   k: int, names: Sequence[str]) -> dict[str, float]:
    """Each value of the candidate a selector keeps among k drawn at random, in expectation.

    Ranked best first (ties: lower index first), the candidate at rank ``j`` is
    kept exactly when it is drawn and none ranked above it is:
    ``C(n - 1 - j, k - 1) / C(n, k)`` of the k-subsets.
    """
    n = len(candidates)
    ranked = sorted(candidates, key=lambda r: (_negate(key(r)), r.index))
    total = math.comb(n, k)
    weights = [math.comb(n - 1 - j, k - 1) / total for j in range(n)]
    return {name: sum(w * _value(r, name) for w, r in zip(weights, ranked, strict=True)) for name in names}


def _negate(key: Any) -> Any:
    return tuple(-x for x in key) if isinstance(key, tuple) else -key


def best_of_k(records: Sequence[SampleRecord], samples: int) -> dict[str, dict[str, list[float]]]:
    """Best-of-k for k = 1..``samples``, per pick: ``{"verifier": {name: [k=1, k=2, ...]}, "oracle": ...}``.

    Each pick reports ``success`` and the :data:`REFERENCE_METRICS` that some
    record reports; a value at k is averaged over the puzzles with at least k
    candidates (a candidate without a usable verdict counts 0).
    """
    by_puzzle: dict[str, list[SampleRecord]] = {}
    for r in records:
        by_puzzle.setdefault(r.puzzle_id, []).append(r)
    reported = {name for r in records for name in (_verdict_metrics(r) or {})}
    names = ["success", *[m for m in REFERENCE_METRICS if m in reported]]
    keys: dict[str, Callable[[SampleRecord], Any]] = {"verifier": selection_score, "oracle": oracle_key}
    out: dict[str, dict[str, list[float]]] = {pick: {name: [] for name in names} for pick in PICKS}
    for k in range(1, samples + 1):
        groups = [group for group in by_puzzle.values() if len(group) >= k]
        if not groups:
            break
        for pick in PICKS:
            values = [_expected_pick(group, keys[pick], k, names) for group in groups]
            for name in names:
                out[pick][name].append(sum(v[name] for v in values) / len(values))
    return out


def mean_best_of_k(rows: Sequence[dict[str, dict[str, list[float]]]]) -> dict[str, dict[str, list[float]]]:
    """The mean of several rows' best-of-k, per pick, metric and k (over the rows that have it)."""
    out: dict[str, dict[str, list[float]]] = {}
    for pick in PICKS:
        names = dict.fromkeys(name for row in rows for name in row.get(pick, {}))
        out[pick] = {}
        for name in names:
            series = [row[pick][name] for row in rows if name in row.get(pick, {})]
            depth = min(len(s) for s in series)
            out[pick][name] = [sum(s[i] for s in series) / len(series) for i in range(depth)]
    return out


__all__ = ["INFORMATIONAL_EVENTS", "REFERENCE_METRICS", "best_of_k", "mean_best_of_k", "oracle_key",
           "selection_score"]
