"""The real maze family, oracle sampler and maze verifier, through the command line."""

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from genreason.cli import main
from genreason.store import RunFolder

pytestmark = pytest.mark.slow

SMALL_SUITE = """\
name = "maze-tiny"
version = "1"
seed = 0

[[entries]]
family = "maze"
difficulties = ["easy"]
count = 3
"""


def test_oracle_bench_on_the_smoke_suite_and_resume(capsys, tmp_path):
    out = tmp_path / "run"
    argv = ["bench", "--model", "oracle", "--suite", "maze-smoke", "--limit", "1", "--out", str(out),
            "--jobs", "1", "--quiet"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert printed.splitlines()[0].split()[:4] == ["family", "difficulty", "puzzles", "success"]
    assert f"run folder: {out}" in printed
    records = RunFolder(out).journal.read()
    assert [r.puzzle_id for r in records] == ["maze/easy/000000", "maze/medium/000000", "maze/hard/000000"]
    assert all(r.status == "ok" and r.verdict is not None and r.verdict.verifier == "maze" for r in records)
    assert all((out / r.video).is_file() for r in records)
    run = json.loads((out / "run.json").read_text())
    assert run["suite"]["name"] == "maze-smoke" and run["sampler"]["name"] == "oracle"

    before = (out / "samples.jsonl").read_bytes()
    assert main(argv) == 0  # the same command again: everything is done, nothing is redone
    assert (out / "samples.jsonl").read_bytes() == before


def live_children(pid: int) -> set[int]:
    """Processes (not zombies) whose parent is ``pid``, from /proc."""
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, ppid = stat.read_text().rsplit(")", 1)[1].split()[:2]
        except (OSError, IndexError):
            continue
        if int(ppid) == pid and state != "Z":
            found.add(int(stat.parent.name))
    return found


def alive(pids: set[int]) -> set[int]:
    return {p for p in pids if Path(f"/proc/{p}/stat").exists()
            and Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"}


def test_kill_9_mid_run_then_rerun_resumes(tmp_path):
    suite = tmp_path / "maze-tiny.toml"
    suite.write_text(SMALL_SUITE)
    out = tmp_path / "run"
    journal = out / "samples.jsonl"
    argv = [sys.executable, "-m", "genreason", "bench", "--model", "oracle", "--suite", str(suite),
            "--samples", "2", "--out", str(out), "--jobs", "2", "--quiet"]

    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if journal.exists() and journal.read_bytes().count(b"\n") >= 2:
            break
        time.sleep(0.02)
    workers = live_children(proc.pid)
    proc.kill()  # SIGKILL: no cleanup of any kind
    proc.wait()
    # Verification workers must not outlive the killed run.
    deadline = time.monotonic() + 10
    while alive(workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not alive(workers)
    before = journal.read_bytes()
    kept = before[: before.rfind(b"\n") + 1]
    assert 2 <= kept.count(b"\n") < 6, "the run finished before it could be killed"

    done = subprocess.run(argv, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    after = journal.read_bytes()
    assert after.startswith(kept)  # finished records are kept as they were, not redone
    ids = [json.loads(line)["sample_id"] for line in after.splitlines()]
    assert sorted(ids) == sorted(f"maze/easy/{i:06d}#{s}" for i in range(3) for s in range(2))
    assert len(list((out / "videos").glob("*.mp4"))) == 6


def test_oracle_solves_one_puzzle_of_every_family_and_difficulty(capsys, tmp_path):
    out = tmp_path / "all"
    assert main(["bench", "--model", "oracle", "--suite", "all", "--limit", "1", "--out", str(out),
                 "--jobs", "2", "--quiet", "--no-report"]) == 0
    records = RunFolder(out).journal.read()
    families = {r.puzzle_id.split("/")[0] for r in records}
    assert families == {"maze", "trapfield", "sokoban", "irregular", "maze3d", "tangram", "sudoku"}
    assert len(records) == 21
    failed = [(r.puzzle_id, r.error or r.verdict.reason) for r in records if not (r.verdict and r.verdict.success)]
    assert failed == []
