from itertools import combinations

import pytest

from genreason.metrics import format_table, pass_at_k, summarize, wilson_interval
from genreason.types import SampleRecord, Verdict


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
