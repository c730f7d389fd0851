"""Generation on a local Ray instance (CPU only) gives the same run as generation in this process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genreason.runner import BenchConfig, run_bench
from genreason.types import ComponentSpec

ray = pytest.importorskip("ray")

TESTS = Path(__file__).resolve().parents[1]
VOLATILE = ("timing", "extra")  # how long things took and which node made them differ between runs


@pytest.fixture(scope="module")
def cluster():
    # Ray's worker processes get this environment: they must import the test doubles too.
    old = os.environ.get("PYTHONPATH")
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (str(TESTS), old) if p)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()
    if old is None:
        del os.environ["PYTHONPATH"]
    else:
        os.environ["PYTHONPATH"] = old


def _records(out: Path) -> list[dict]:
    lines = (out / "samples.jsonl").read_text().splitlines()
    return sorted((json.loads(line) for line in lines), key=lambda r: r["sample_id"])


def _stable(records: list[dict]) -> list[dict]:
    return [{k: v for k, v in r.items() if k not in VOLATILE} for r in records]


def test_a_ray_run_writes_the_same_samples_and_videos_as_a_local_run(tmp_path, cluster):
    runs = {}
    for executor in ("local", "ray"):
        config = BenchConfig(model=ComponentSpec(name="oracle"), suite="maze-smoke", samples=2, limit=1,
                             out=tmp_path / executor, jobs=1, quiet=True, executor=executor)
        summary = run_bench(config)
        assert summary.overall is not None and summary.overall.success == 1.0
        runs[executor] = _records(tmp_path / executor)
    assert len(runs["ray"]) == 6  # 3 difficulties x 1 puzzle x 2 samples
    assert _stable(runs["ray"]) == _stable(runs["local"])
    assert all(r["extra"]["node"] for r in runs["ray"])
    for record in runs["ray"]:
        ray_video = (tmp_path / "ray" / record["video"]).read_bytes()
        assert ray_video == (tmp_path / "local" / record["video"]).read_bytes()


def test_an_actor_that_dies_has_its_batch_retried_and_the_run_completes(tmp_path, cluster):
    from doubles import DiesOnceSampler

    marker = tmp_path / "died"
    config = BenchConfig(model=ComponentSpec(name="dies-once"), suite="maze-smoke", samples=1, limit=1,
                         out=tmp_path / "ray", jobs=1, quiet=True, executor="ray")
    summary = run_bench(config, sampler=DiesOnceSampler(str(marker)))
    assert marker.exists(), "the actor never died: the test proves nothing"
    records = _records(tmp_path / "ray")
    assert [r["status"] for r in records] == ["ok"] * 3
    assert summary.overall is not None and summary.overall.success == 1.0
    run = json.loads((tmp_path / "ray" / "run.json").read_text())
    assert run["sampler"]["name"] == "dies-once"


def test_an_interrupted_ray_run_resumes_without_redoing_samples(tmp_path, cluster):
    out = tmp_path / "ray"
    config = BenchConfig(model=ComponentSpec(name="oracle"), suite="maze-smoke", samples=1, limit=1, out=out,
                         jobs=1, quiet=True, executor="ray")
    run_bench(config)
    journal = out / "samples.jsonl"
    lines = journal.read_text().splitlines()
    journal.write_text(lines[0] + "\n")  # as if stopped after the first sample
    kept = (out / json.loads(lines[0])["video"]).stat().st_mtime_ns
    run_bench(config)
    records = _records(out)
    assert len(records) == 3 and len({r["sample_id"] for r in records}) == 3
    assert journal.read_text().splitlines()[0] == lines[0]
    assert (out / json.loads(lines[0])["video"]).stat().st_mtime_ns == kept  # not made again


def test_the_core_imports_and_runs_locally_without_ray():
    code = ("import sys; import genreason.cli, genreason.runner, genreason.executors; "
            "assert 'ray' not in sys.modules, 'ray imported by the core'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_refine_on_ray_writes_the_same_candidates_as_locally(tmp_path, cluster):
    from genreason.refine import RefineConfig, run_refine

    runs = {}
    for executor in ("local", "ray"):
        config = RefineConfig(model=ComponentSpec(name="straight-line"), suite="maze-smoke", limit=1, rounds=1,
                              width=1, out=tmp_path / executor, jobs=1, quiet=True, executor=executor)
        run_refine(config)
        runs[executor] = _records(tmp_path / executor)
    assert len(runs["ray"]) == 6  # 3 puzzles x 2 rounds x 1 candidate
    assert _stable(runs["ray"]) == _stable(runs["local"])
    assert all(r["extra"]["node"] and r["extra"]["round"] in (0, 1) for r in runs["ray"])


def test_a_tiny_diffusers_model_on_ray_makes_the_same_samples_as_locally(tmp_path, cluster):
    pytest.importorskip("diffusers")
    torch = pytest.importorskip("torch")
    from diffusion_helpers import ONE_MAZE_SUITE

    from samplers.diffusion.tiny import save_tiny, tiny_args

    suite = tmp_path / "one-maze.toml"
    suite.write_text(ONE_MAZE_SUITE)
    args = tiny_args("ltx-video", save_tiny("ltx-video", tmp_path / "tiny-ltx"))
    runs = {}
    # A one-CPU Ray actor runs torch on one thread (Ray sets OMP_NUM_THREADS=1); the local run must too:
    # CPU float sums depend on how many threads split them (and the BLAS may pick that number by load),
    # which changed a pixel, and so the encoded bytes, now and then.
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        for executor in ("local", "ray"):
            config = BenchConfig(model=ComponentSpec(name="ltx-video", args=args), suite=str(suite), samples=2,
                                 out=tmp_path / executor, jobs=1, quiet=True, executor=executor)
            run_bench(config)
            runs[executor] = _records(tmp_path / executor)
    finally:
        torch.set_num_threads(threads)
    assert [r["status"] for r in runs["ray"]] == ["ok", "ok"]
    assert _stable(runs["ray"]) == _stable(runs["local"])
    assert runs["ray"][0]["extra"]["sampler"] == runs["local"][0]["extra"]["sampler"]  # the recorded frame fit
    for record in runs["ray"]:
        assert (tmp_path / "ray" / record["video"]).read_bytes() == (tmp_path / "local" / record["video"]).read_bytes()
