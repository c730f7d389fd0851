"""The external sampler: videos made elsewhere, read from a folder and scored like any model's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from genreason.cli import main
from genreason.errors import BadInput, GenreasonError
from genreason.plugins import Sampler, build
from genreason.runner import BenchConfig, run_bench
from genreason.store import video_name
from genreason.types import ComponentSpec, Puzzle, SampleFailure, SampleRequest, Video, VideoFile
from genreason.video import write_mp4
from samplers.external import DEFAULT_PATTERN, ExternalSampler

# Two easy mazes keep every bench here to a few seconds.
SUITE = """\
name = "tiny"
version = "1"
description = "Two easy mazes."
seed = 0

[[entries]]
family = "maze"
difficulties = ["easy"]
count = 2
"""
IDS = ("maze/easy/000000", "maze/easy/000001")


def oracle_frames(puzzle: Puzzle) -> Video:
    """The reference solution, drawn as the oracle sampler draws it (at 16 fps)."""
    sampler = build("samplers", "oracle")
    return next(iter(sampler.generate([SampleRequest(puzzle=puzzle, prompt=puzzle.prompt, seed=0)])))


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """`genreason generate` of the tiny suite, with an oracle video at every path the manifest asks for.

    Sample 1 of each puzzle is the same video resized to 700x600 at 24 fps, as a
    closed model may return its own size and rate.
    """
    root = tmp_path_factory.mktemp("external")
    (root / "tiny.toml").write_text(SUITE)
    assert main(["generate", "--suite", str(root / "tiny.toml"), "--out", str(root / "export")]) == 0
    rows = [json.loads(line) for line in (root / "export" / "manifest.jsonl").read_text().splitlines()]
    for row in rows:
        video = oracle_frames(Puzzle.load(root / "export" / row["puzzle"]))
        write_mp4(root / "export" / row["video"], video)
        big = np.stack([cv2.resize(f, (700, 600), interpolation=cv2.INTER_LINEAR) for f in video.frames])
        write_mp4(root / "export" / row["video"].replace("__s0.mp4", "__s1.mp4"), Video(frames=big, fps=24.0))
    return root, rows


def bench(root: Path, out: str, videos: Path, **args: str) -> tuple[dict, list[dict]]:
    config = BenchConfig(model=ComponentSpec(name="external", args={"videos": str(videos), **args}),
                         suite=str(root / "tiny.toml"), samples=2, out=root / out, jobs=1, quiet=True)
    summary = run_bench(config)
    records = [json.loads(line) for line in (root / out / "samples.jsonl").read_text().splitlines()]
    return summary.model_dump(), sorted(records, key=lambda r: r["sample_id"])


def test_registered_and_its_spec_rebuilds_it(tmp_path):
    sampler = build("samplers", "external", {"videos": str(tmp_path), "pattern": "{id}/{index}.mp4"})
    assert isinstance(sampler, Sampler) and sampler.name == "external"
    assert build("samplers", "external", sampler.spec().args).spec() == sampler.spec()


def test_default_name_is_the_manifest_and_run_folder_name(exported):
    _, rows = exported
    assert [row["video"] for row in rows] == [f"videos/{video_name(i, 0)}" for i in IDS]
    assert DEFAULT_PATTERN.format(name="maze__easy__000001", index=3) == video_name("maze/easy/000001", 3)


def test_oracle_videos_of_the_export_score_success_one(exported):
    root, _ = exported
    summary, records = bench(root, "all", root / "export" / "videos")
    assert summary["overall"]["success"] == 1.0 and summary["overall"]["n_errors"] == 0
    assert [r["sample_id"] for r in records] == [f"{i}#{k}" for i in IDS for k in (0, 1)]
    assert all(r["status"] == "ok" and r["verdict"]["success"] for r in records)
    # The resized 24 fps videos were judged at their own size and rate, as delivered: byte-for-byte copies.
    run = root / "all"
    assert json.loads((run / "run.json").read_text())["sampler"]["args"]["videos"] == str(root / "export" / "videos")
    for r in records:
        assert (run / r["video"]).read_bytes() == (root / "export" / "videos" / Path(r["video"]).name).read_bytes()


def test_missing_and_corrupt_videos_are_errors_of_their_samples_only(exported, capsys):
    root, _ = exported
    videos = root / "partial"
    shutil.copytree(root / "export" / "videos", videos)
    (videos / video_name(IDS[0], 1)).unlink()
    corrupt = videos / video_name(IDS[1], 0)
    corrupt.write_bytes(corrupt.read_bytes()[:1500])  # a cut-short download
    code = main(["bench", "--model", "external", "-a", f"videos={videos}", "--suite", str(root / "tiny.toml"),
                 "--samples", "2", "--jobs", "1", "--out", str(root / "partial-run")])
    out, err = capsys.readouterr()
    assert code == 0
    records = {json.loads(line)["sample_id"]: json.loads(line)
               for line in (root / "partial-run" / "samples.jsonl").read_text().splitlines()}
    missing, broken = records[f"{IDS[0]}#1"], records[f"{IDS[1]}#0"]
    assert missing["status"] == "error" and str(videos / video_name(IDS[0], 1)) in missing["error"]
    assert "no video" in missing["error"] and missing["video"] is None and missing["verdict"] is None
    assert broken["status"] == "error" and str(corrupt) in broken["error"]
    # The other two were still scored, and solved.
    assert [records[f"{IDS[0]}#0"]["verdict"]["success"], records[f"{IDS[1]}#1"]["verdict"]["success"]] == [True, True]
    summary = json.loads((root / "partial-run" / "summary.json").read_text())
    assert summary["overall"]["n_errors"] == 2 and summary["overall"]["success"] == 0.5
    assert summary["overall"]["pass_at_k"] == [0.5, 1.0]
    assert err.count("error: ") == 2 and "2 sample(s) errored" in out


def test_pattern_with_subfolders_and_puzzle_fields(exported):
    root, _ = exported
    videos = root / "by-folder"
    for puzzle_id in IDS:
        for index in (0, 1):
            target = videos / puzzle_id / f"{index}.mp4"
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(root / "export" / "videos" / video_name(puzzle_id, index), target)
    puzzles = [Puzzle.load(root / "export" / "puzzles" / i) for i in IDS]
    requests = [SampleRequest(puzzle=p, prompt=p.prompt, seed=k, index=k) for p in puzzles for k in (0, 1)]
    made = list(ExternalSampler(str(videos), "{id}/{index}.mp4").generate(requests))
    assert made == [VideoFile(videos / r.puzzle.id / f"{r.index}.mp4") for r in requests]  # the files, as they are
    sampler = ExternalSampler(str(videos), "{family}-{difficulty}-{number:04d}-{skin}-seed{seed}.mp4")
    puzzle = Puzzle.load(root / "export" / "puzzles" / IDS[1])
    path = sampler.path_for(SampleRequest(puzzle=puzzle, prompt="", seed=5, index=1))
    assert path == videos / f"maze-easy-0001-{puzzle.skin}-seed5.mp4"


def test_generate_yields_one_failure_per_unreadable_request_and_goes_on(exported, tmp_path):
    root, _ = exported
    (tmp_path / video_name(IDS[0], 0)).write_bytes(b"")  # empty
    shutil.copy(root / "export" / "videos" / video_name(IDS[1], 0), tmp_path / video_name(IDS[1], 0))
    puzzles = [Puzzle.load(root / "export" / "puzzles" / i) for i in IDS]
    requests = [SampleRequest(puzzle=p, prompt=p.prompt, seed=0) for p in puzzles]
    requests.append(SampleRequest(puzzle=puzzles[0], prompt="", seed=1, index=1))  # no such file
    out = list(ExternalSampler(str(tmp_path)).generate(requests))
    assert isinstance(out[0], SampleFailure) and "empty" in out[0].reason and video_name(IDS[0], 0) in out[0].reason
    assert out[1] == VideoFile(tmp_path / video_name(IDS[1], 0))
    assert isinstance(out[2], SampleFailure) and video_name(IDS[0], 1) in out[2].reason


@pytest.mark.parametrize(("pattern", "problem"), [
    ("{name}_{sample}.mp4", "unknown field {sample}"),
    ("{name}_{}.mp4", "unknown field {}"),
    ("{name.upper}.mp4", "unknown field {name.upper}"),
    ("{name}_{index:q}.mp4", "cannot be filled in"),
    ("{name", "not a valid format string"),
    ("../{name}__s{index}.mp4", "inside the videos folder"),
    ("/tmp/{name}__s{index}.mp4", "inside the videos folder"),
])
def test_bad_patterns_are_refused_with_the_fields_listed(tmp_path, pattern, problem):
    with pytest.raises(GenreasonError, match="may use the fields") as info:
        ExternalSampler(str(tmp_path), pattern)
    assert problem in str(info.value) and "{index}" in str(info.value)


def test_missing_folder_is_bad_input(tmp_path, capsys):
    with pytest.raises(BadInput, match="videos folder not found"):
        ExternalSampler(str(tmp_path / "nowhere"))
    code = main(["bench", "--model", "external", "--suite", "maze-smoke", "--limit", "1",
                 "--out", str(tmp_path / "run")])
    _, err = capsys.readouterr()
    assert code == 2 and err.startswith("error: the external sampler needs -a videos=DIR") and "Traceback" not in err

