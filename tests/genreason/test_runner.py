import json

import pytest
from doubles import ToySampler, family_for, verifier_for, write_suite

from genreason.errors import RunMismatch
from genreason.runner import BenchConfig, run_bench
from genreason.store import RunFolder
from genreason.types import ComponentSpec, SampleFailure, Video


def config(tmp_path, **changes) -> BenchConfig:
    fields = dict(model=ComponentSpec(name="toy"), suite=str(write_suite(tmp_path)), samples=2,
                  out=tmp_path / "run", jobs=1, quiet=True)
    return BenchConfig(**(fields | changes))


def bench(cfg, sampler):
    return run_bench(cfg, sampler=sampler, verifier_for=verifier_for, family_for=family_for)


def journal_lines(cfg) -> list[dict]:
    return [json.loads(line) for line in (cfg.out / "samples.jsonl").read_text().splitlines()]


def test_bench_writes_the_run_folder(tmp_path):
    cfg = config(tmp_path)
    sampler = ToySampler(max_batch=1)
    summary = bench(cfg, sampler)

    records = RunFolder(cfg.out).journal.read()
    assert len(records) == 12 and len({r.sample_id for r in records}) == 12
    assert sorted({r.seed for r in records}) == [0, 1]  # sample i has seed base + i
    first = records[0]
    assert first.prompt == "solve toy/easy/000000" and first.status == "ok"
    assert (cfg.out / first.video).is_file()
    assert (cfg.out / "puzzles/toy/easy/000000/puzzle.json").is_file()
    assert (cfg.out / "puzzles/toy/easy/000000/frame0.png").is_file()
    assert set(first.timing) == {"generate_s", "write_s", "verify_s"}
    run = json.loads((cfg.out / "run.json").read_text())
    assert run["format"] == "genreason.run" and run["sampler"] == {"name": "toy", "args": {"fail_seeds": []}}
    assert run["verifiers"] == {"toy": {"name": "toy", "args": {}}}
    assert json.loads((cfg.out / "summary.json").read_text()) == summary.model_dump(mode="json")
    # Even seeds solve: sample 0 of every puzzle, so success 0.5, pass@1 0.5, pass@2 1.
    assert summary.overall.success == 0.5
    assert summary.overall.pass_at_k == [0.5, 1.0]


def test_requests_are_batched_by_max_batch(tmp_path):
    sampler = ToySampler(max_batch=2)
    bench(config(tmp_path, samples=3), sampler)
    assert [len(call) for call in sampler.calls] == [2, 1] * 6


def test_resume_after_a_crash_redoes_nothing_and_duplicates_nothing(tmp_path):
    cfg = config(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        bench(cfg, ToySampler(max_batch=1, interrupt_after=6))
    assert len(journal_lines(cfg)) == 6
    with open(cfg.out / "samples.jsonl", "a") as fh:  # what kill -9 during an append leaves
        fh.write('{"format": "genreason.sample", "version": 1, "sample_id": "toy/ha')

    sampler = ToySampler(max_batch=1)
    bench(cfg, sampler)
    assert len(sampler.requested) == 6  # only the missing half
    ids = [line["sample_id"] for line in journal_lines(cfg)]
    assert len(ids) == len(set(ids)) == 12

    again = ToySampler(max_batch=1)
    summary = bench(cfg, again)
    assert again.calls == [] and summary.overall.n_samples == 12


def test_other_settings_in_the_same_folder_are_refused(tmp_path):
    bench(config(tmp_path), ToySampler())
    with pytest.raises(RunMismatch, match="different samples"):
        bench(config(tmp_path, samples=3), ToySampler())
    with pytest.raises(RunMismatch, match="different suite"):
        bench(config(tmp_path, limit=1), ToySampler())


def test_a_failing_sample_is_recorded_and_the_run_goes_on(tmp_path):
    cfg = config(tmp_path)
    summary = bench(cfg, ToySampler(max_batch=2, fail_seeds=[1]))
    records = RunFolder(cfg.out).journal.read()
    failed = [r for r in records if r.status == "error"]
    assert len(records) == 12 and len(failed) == 6
    assert all(r.index == 1 and "out of memory on seed 1" in r.error and r.video is None for r in failed)
    assert summary.overall.n_errors == 6
    assert summary.overall.success == 0.5  # errors count as unsolved


class FailFirstSampler(ToySampler):
    """Reports sample 0 of every puzzle as failed, and still makes sample 1 of the same batch."""

    def generate(self, requests):
        for request, video in zip(requests, super().generate(requests)):
            yield SampleFailure(f"no file for {request.puzzle.id}") if request.index == 0 else video


def test_a_sample_failure_is_that_samples_error_and_the_rest_of_its_batch_is_kept(tmp_path):
    cfg = config(tmp_path)
    summary = bench(cfg, FailFirstSampler(max_batch=2))
    records = RunFolder(cfg.out).journal.read()
    assert sorted((r.index, r.status) for r in records) == [(0, "error")] * 6 + [(1, "ok")] * 6
    assert all(r.error == f"no file for {r.puzzle_id}" and r.video is None for r in records if r.index == 0)
    assert summary.overall.n_errors == 6 and summary.overall.success == 0.0  # seed 1 never solves


class OneFrameSampler(ToySampler):
    def generate(self, requests):
        for request in requests:
            yield Video(frames=request.image[None].copy(), fps=8.0)


def test_an_unreadable_video_is_recorded_as_an_error(tmp_path):
    cfg = config(tmp_path, samples=1, limit=1)
    bench(cfg, OneFrameSampler())
    records = RunFolder(cfg.out).journal.read()
    assert [r.status for r in records] == ["error", "error"]
    assert "decodes to a single frame" in records[0].error and records[0].video is not None


def test_verification_in_worker_processes_matches_inline(tmp_path):
    inline = config(tmp_path, limit=1, out=tmp_path / "inline")
    pooled = config(tmp_path, limit=1, jobs=2, out=tmp_path / "pooled")
    bench(inline, ToySampler())
    bench(pooled, ToySampler())

    def verdicts(cfg):
        return {r.sample_id: r.verdict.model_dump() for r in RunFolder(cfg.out).journal.read()}
    assert len(verdicts(pooled)) == 4
    assert verdicts(inline) == verdicts(pooled)


class BrokenVerifier:
    """Crashes on its third video: a bug, not a bad sample."""

    name = "toy"
    version = "1"

    def __init__(self):
        self.calls = 0

    def verify(self, puzzle, video):
        self.calls += 1
        if self.calls == 3:
            raise ZeroDivisionError("bug in the verifier")
        return verifier_for("toy").verify(puzzle, video)


def test_a_verifier_bug_stops_the_run_and_keeps_what_was_finished(tmp_path):
    cfg = config(tmp_path)
    broken = BrokenVerifier()
    with pytest.raises(ZeroDivisionError):
        run_bench(cfg, sampler=ToySampler(), verifier_for=lambda name: broken, family_for=family_for)
    assert len(journal_lines(cfg)) == 2
    sampler = ToySampler()
    bench(cfg, sampler)
    assert len(sampler.requested) == 10
