from itertools import combinations

import numpy as np
import pytest

from genreason.metrics import format_best_of, format_table, pass_at_k, summarize, wilson_interval
from genreason.selection import best_of_k, oracle_key, selection_score
from genreason.types import Event, SampleRecord, Verdict


def brute_force_pass_at_k(n: int, c: int, k: int) -> float:
    outcomes = [True] * c + [False] * (n - c)
    subsets = list(combinations(range(n), k))
    return sum(any(outcomes[i] for i in subset) for subset in subsets) / len(subsets)


@pytest.mark.parametrize("n", range(1, 8))
def test_pass_at_k_matches_enumeration(n):
    for c in range(n + 1):
        for k in range(1, n + 1):
            assert pass_at_k(n, c, k) == pytest.approx(brute_force_pass_at_k(n, c, k), abs=1e-12)


def test_pass_at_k_is_accurate_for_large_n():
    assert pass_at_k(1000, 1, 1) == pytest.approx(0.001, rel=1e-12)
    assert pass_at_k(500, 0, 100) == 0.0
    assert pass_at_k(500, 1, 100) == pytest.approx(0.2, rel=1e-12)
    assert pass_at_k(500, 450, 100) == 1.0


@pytest.mark.parametrize("args", [(3, 4, 1), (3, 1, 0), (3, 1, 4), (2, -1, 1)])
def test_pass_at_k_rejects_impossible_counts(args):
    with pytest.raises(ValueError):
        pass_at_k(*args)


def test_wilson_interval_known_values():
    assert wilson_interval(5, 10) == pytest.approx((0.236593, 0.763407), abs=1e-6)
    assert wilson_interval(0, 10) == pytest.approx((0.0, 0.277533), abs=1e-6)
    assert wilson_interval(10, 10)[1] == 1.0
    lo, hi = wilson_interval(37, 80)
    assert lo < 37 / 80 < hi
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def record(family, difficulty, puzzle, index, solved=None, metrics=None, unreadable=False):
    """solved=None makes an error record."""
    if solved is None:
        return SampleRecord(sample_id=f"{puzzle}#{index}", puzzle_id=puzzle, family=family, difficulty=difficulty,
                            skin="s", index=index, seed=index, prompt="p", status="error", error="boom")
    verdict = Verdict(verifier="v", verifier_version="1", success=solved, metrics=metrics or {},
                      status="unreadable" if unreadable else "ok", reason="blurred" if unreadable else None)
    return SampleRecord(sample_id=f"{puzzle}#{index}", puzzle_id=puzzle, family=family, difficulty=difficulty,
                        skin="s", index=index, seed=index, prompt="p", verdict=verdict)


def test_summarize_rows_counts_and_pass_at_k():
    records = [
        record("a", "easy", "a/easy/0", 0, True, {"sr": 1.0, "em": 1.0, "sd": 0.2}),
        record("a", "easy", "a/easy/0", 1, False, {"sr": 0.0, "em": 0.0}),
        record("a", "easy", "a/easy/1", 0, None),
        record("a", "easy", "a/easy/1", 1, False, {"sr": 0.0}, unreadable=True),
        record("a", "hard", "a/hard/0", 0, False, {"sr": 1.0, "sd": 0.6}),
        record("a", "hard", "a/hard/0", 1, False, {"sr": 0.0}),
        record("b", "easy", "b/easy/0", 0, True, {"sr": 1.0}),
        record("b", "easy", "b/easy/0", 1, True, {"sr": 1.0}),
    ]
    summary = summarize(records, samples=2)
    easy = next(r for r in summary.difficulties if (r.family, r.difficulty) == ("a", "easy"))
    assert (easy.n_puzzles, easy.n_samples, easy.n_success, easy.n_errors, easy.n_unreadable) == (2, 4, 1, 1, 1)
    assert easy.success == 0.25
    assert easy.success_ci == pytest.approx(wilson_interval(1, 4))
    # pass@1: mean over puzzles of (1/2, 0); pass@2: (1, 0).
    assert easy.pass_at_k == pytest.approx([0.25, 0.5])
    # The error and the unreadable sample count 0 for sr/em; sd is averaged where present only.
    assert easy.metrics["sr"] == pytest.approx(0.25)
    assert easy.metrics["em"] == pytest.approx(0.25)
    assert easy.metrics["sd"] == pytest.approx(0.2)
    assert "pr" not in easy.metrics

    family_a = next(r for r in summary.families if r.family == "a")
    assert family_a.level == "family" and family_a.difficulty is None
    assert (family_a.n_puzzles, family_a.n_samples, family_a.success) == (3, 6, pytest.approx(1 / 6))
    assert family_a.metrics["sd"] == pytest.approx(0.4)

    overall = summary.overall
    assert overall is not None and overall.level == "overall"
    assert overall.success == pytest.approx((1 / 6 + 1.0) / 2)  # mean of family means
    assert overall.n_samples == 8
    assert overall.pass_at_k[0] == pytest.approx((family_a.pass_at_k[0] + 1.0) / 2)


def test_pass_at_k_skips_puzzles_with_too_few_samples():
    records = [record("a", "easy", "p1", 0, True), record("a", "easy", "p1", 1, False),
               record("a", "easy", "p2", 0, False)]  # p2 was interrupted after one sample
    row = summarize(records, samples=2).difficulties[0]
    assert row.pass_at_k == pytest.approx([0.25, 1.0])


def test_format_table_has_one_line_per_row_and_pass_at_k_columns():
    records = [record("a", d, f"a/{d}/0", i, i == 0, {"sr": 1.0}) for d in ("easy", "hard") for i in range(3)]
    records.append(record("a", "easy", "a/easy/1", 0, None))
    text = format_table(summarize(records, samples=3))
    lines = text.splitlines()
    assert lines[0].split() == ["family", "difficulty", "puzzles", "success", "sr", "em",
                                "pass@1", "pass@2", "pass@3"]
    assert lines[1].split()[:3] == ["a", "easy", "2"]
    assert lines[3].split()[:2] == ["a", "all"]  # family row; no overall row with a single family
    assert len(lines) == 5 and "1 sample(s) errored" in lines[4]


def test_format_table_groups_rows_by_family_and_ends_with_the_overall_row():
    records = [record(f, d, f"{f}/{d}/0", 0, True) for f in ("a", "b") for d in ("easy", "hard")]
    names = [line.split()[:2] for line in format_table(summarize(records, samples=1)).splitlines()[1:]]
    assert names == [["a", "easy"], ["a", "hard"], ["a", "all"], ["b", "easy"], ["b", "hard"], ["b", "all"],
                     ["all", "all"]]


# -- best-of-k: the verifier's pick against the oracle's -------------------------------------------

def candidate(puzzle, index, solved=None, em=0.0, precision=0.0, violations=0, goal_distance=None,
              family="a", unreadable=False):
    """A judged candidate with VR-Bench em, precision, `violations` wall crossings and a goal distance."""
    metrics = {"em": em, "precision": precision}
    if goal_distance is not None:
        metrics["goal_distance"] = goal_distance
    r = record(family, "easy", puzzle, index, solved, metrics, unreadable)
    if r.verdict is not None:
        r.verdict.events = ([Event(frame=1, kind="skipped_frames", message="m")]
                            + [Event(frame=2 + i, kind="wall_crossed", message="m") for i in range(violations)]
                            + ([] if solved else [Event(frame=9, kind="goal_not_reached", message="m")]))
    return r


def brute_force_pick(candidates, key, k, value):
    """The mean `value` of the candidate `key` ranks first (ties: lowest index) over every k-subset."""
    picks = [min(subset, key=lambda r: (tuple(-x for x in key(r)) if isinstance(key(r), tuple) else -key(r),
                                       r.index))
             for subset in combinations(candidates, k)]
    return sum(value(r) for r in picks) / len(picks)


def test_selection_score_orders_success_then_legality_then_progress():
    ranked = [
        candidate("p", 0, True, violations=0, goal_distance=0.0),
        candidate("p", 1, False, violations=0, goal_distance=0.2),   # legal, stopped near the goal
        candidate("p", 2, False, violations=0, goal_distance=0.9),   # legal, barely moved
        candidate("p", 3, False, violations=1, goal_distance=0.0),   # reached the goal through a wall
        candidate("p", 4, False, violations=2, goal_distance=0.0),
        candidate("p", 5, False, violations=2),                      # no goal_distance: no progress credit
    ]
    scores = [selection_score(r) for r in ranked]
    assert scores[0] == 1.0 and scores == sorted(scores, reverse=True) and len(set(scores)) == len(scores)
    assert all(0.0 < s < 1.0 for s in scores[1:])
    # Without a usable verdict: 0, below every judged candidate.
    assert selection_score(candidate("p", 6, None)) == 0.0
    assert selection_score(candidate("p", 7, False, unreadable=True)) == 0.0
    # Informational events (skipped frames, goal not reached) are not violations.
    assert selection_score(ranked[1]) == pytest.approx((1 + 0.8 / 2) / 2)


def test_best_of_k_verifier_pick_against_oracle_pick_on_hard_cases():
    # A: solved, but far from the reference (low em); B: unsolved (a wall crossed) yet VR-Bench em 1; C: an error.
    a = candidate("p", 0, True, em=0.0, precision=0.3, goal_distance=0.0)
    b = candidate("p", 1, False, em=1.0, precision=1.0, violations=1, goal_distance=0.0)
    c = candidate("p", 2, None)
    best = best_of_k([c, b, a], samples=3)  # any order in
    v, o = best["verifier"], best["oracle"]
    # k=1 is the mean of each value, whoever picks.
    assert v["success"][0] == o["success"][0] == pytest.approx(1 / 3)
    assert v["em"][0] == o["em"][0] == pytest.approx(1 / 3)
    # k=2: of {A,B}, {A,C}, {B,C} the verifier keeps A, A, B and the oracle B, A, B.
    assert v["success"][1] == pytest.approx(2 / 3) and o["success"][1] == pytest.approx(1 / 3)
    assert v["em"][1] == pytest.approx(1 / 3) and o["em"][1] == pytest.approx(2 / 3)
    # k=3: all three: the verifier keeps the solved A, the oracle the reference-like B.
    assert (v["success"][2], v["em"][2], v["precision"][2]) == pytest.approx((1.0, 0.0, 0.3))
    assert (o["success"][2], o["em"][2], o["precision"][2]) == pytest.approx((0.0, 1.0, 1.0))


def test_best_of_k_ties_go_to_the_lower_index():
    # Both solved (a tie for the verifier) with different em; equal em and precision tie for the oracle.
    cands = [candidate("p", 0, True, em=0.0, precision=0.5), candidate("p", 1, True, em=1.0, precision=1.0),
             candidate("p", 2, False, em=1.0, precision=1.0)]
    best = best_of_k(cands, samples=3)
    assert best["verifier"]["em"][2] == 0.0  # index 0 kept among the solved
    assert best["oracle"]["success"][2] == 1.0  # em and precision tie: success breaks it, then index
    # Equal selection scores (unsolved, one violation, as close to the goal): index 0 is kept,
    # whatever its reference metrics; the oracle keeps the better precision.
    tied = [candidate("q", 0, False, em=0.0, precision=0.1, violations=1, goal_distance=0.5),
            candidate("q", 1, False, em=0.0, precision=0.9, violations=1, goal_distance=0.5)]
    assert selection_score(tied[0]) == selection_score(tied[1])
    best = best_of_k(tied, samples=2)
    assert best["verifier"]["precision"][1] == 0.1 and best["oracle"]["precision"][1] == 0.9
    assert best_of_k(tied[::-1], samples=2) == best  # by index, not by the order records arrive in


def test_best_of_k_matches_enumeration_on_random_candidates():
    rng = np.random.default_rng(0)
    for trial in range(20):
        n = int(rng.integers(1, 6))
        cands = []
        for i in range(n):
            kind = rng.integers(0, 4)
            cands.append(candidate("p", i, None) if kind == 0 else candidate(
                "p", i, bool(kind == 1), em=float(rng.integers(0, 2)), precision=round(float(rng.random()), 1),
                violations=int(rng.integers(0, 3)), goal_distance=round(float(rng.random()), 1)))
        best = best_of_k(cands, samples=n)
        for k in range(1, n + 1):
            for name in ("success", "em", "precision"):
                def value(r, name=name):
                    if name == "success":
                        return float(r.success)
                    return r.verdict.metrics[name] if r.status == "ok" else 0.0
                assert best["verifier"][name][k - 1] == pytest.approx(
                    brute_force_pick(cands, selection_score, k, value)), (trial, k, name)
                assert best["oracle"][name][k - 1] == pytest.approx(
                    brute_force_pick(cands, oracle_key, k, value)), (trial, k, name)
        # The verifier ranks every success first, so its pick succeeds exactly when one of the k does;
        # the oracle's pick can do no better.
        pass_at = [pass_at_k(n, sum(r.success for r in cands), k) for k in range(1, n + 1)]
        assert best["verifier"]["success"] == pytest.approx(pass_at)
        assert all(o <= p + 1e-12 for o, p in zip(best["oracle"]["success"], pass_at, strict=True))


def test_summary_rows_carry_best_of_k_and_the_overall_row_averages_families():
    records = [candidate("a/easy/0", 0, False, em=1.0, precision=1.0, violations=1),
               candidate("a/easy/0", 1, True, em=0.0, precision=0.2),
               candidate("b/easy/0", 0, True, em=1.0, precision=1.0, family="b"),
               candidate("b/easy/0", 1, None, family="b")]
    summary = summarize(records, samples=2)
    assert summary.version == 2
    a, b = summary.families
    assert a.best_of_k == pytest.approx([0.5, 1.0]) and a.best_of_k[0] == a.pass_at_k[0]
    assert a.best_of_k_metrics["verifier"]["em"] == pytest.approx([0.5, 0.0])
    assert a.best_of_k_metrics["oracle"]["em"] == pytest.approx([0.5, 1.0])
    assert a.best_of_k_metrics["oracle"]["success"] == pytest.approx([0.5, 0.0])
    assert b.best_of_k == pytest.approx([0.5, 1.0])
    overall = summary.overall
    assert overall.best_of_k == pytest.approx([0.5, 1.0])
    assert overall.best_of_k_metrics["oracle"]["em"] == pytest.approx([(0.5 + 0.5) / 2, (1.0 + 1.0) / 2])
    assert overall.best_of_k_metrics["verifier"]["precision"] == pytest.approx([(0.6 + 0.5) / 2, (0.2 + 1.0) / 2])
    # Round trip through summary.json's schema.
    assert type(summary).model_validate_json(summary.model_dump_json()) == summary


def test_best_of_k_reports_only_the_reference_metrics_the_verifier_has():
    records = [record("a", "easy", "p", i, i == 1, {"sr": 1.0}) for i in range(2)]
    best = summarize(records, samples=2).families[0].best_of_k_metrics
    assert set(best) == {"verifier", "oracle"} and set(best["verifier"]) == {"success"}


def test_format_best_of_prints_each_k_for_each_family_and_nothing_for_one_sample():
    records = [candidate(f"{f}/easy/0", i, i == 1, em=float(i == 0), family=f) for f in "ab" for i in range(3)]
    lines = format_best_of(summarize(records, samples=3)).splitlines()
    assert lines[1].split() == ["family", "k", "pass@k", "success(verifier)", "success(oracle)", "em(verifier)",
                                "em(oracle)", "precision(verifier)", "precision(oracle)"]
    assert [line.split()[:2] for line in lines[2:]] == [[f, str(k)] for f in ("a", "b", "all") for k in (1, 2, 3)]
    assert lines[4].split()[2:5] == ["1.000", "1.000", "0.000"]  # a, k=3: pass, verifier keeps the solved one
    assert format_best_of(summarize(records, samples=1)) == ""
