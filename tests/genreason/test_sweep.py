"""The num_frames sweep: one bench run per value, sweep.json, the curve table, resuming."""

from __future__ import annotations

import json

import pytest
from diffusion_helpers import ONE_MAZE_SUITE

from genreason.cli import main
from genreason.errors import GenreasonError
from genreason.runner import BenchConfig
from genreason.sweep import (
    Sweep,
    SweepCell,
    SweepPoint,
    format_sweep,
    point_folder,
    run_sweep,
)
from genreason.types import ComponentSpec


@pytest.fixture
def tiny(tmp_path):
    path = tmp_path / "tiny.toml"
    path.write_text(ONE_MAZE_SUITE)
    return str(path)


def config(tmp_path, model="oracle", **args):
    return BenchConfig(model=ComponentSpec(name=model, args=args), suite="maze-smoke", limit=1,
                       out=tmp_path / "sweep", jobs=1, quiet=True)


def test_oracle_sweep_writes_one_point_per_value_and_resumes(tmp_path):
    # 9 frames are too few to walk a medium or hard maze without teleporting; 33 are enough.
    sweep = run_sweep(config(tmp_path), [33, 9, 33])
    out = tmp_path / "sweep"
    data = json.loads((out / "sweep.json").read_text())
    assert (data["format"], data["version"], data["parameter"]) == ("genreason.sweep", 1, "num_frames")
    assert data["model"] == {"name": "oracle", "args": {}} and data["samples"] == 1 and data["limit"] == 1
    assert [p["value"] for p in data["points"]] == [33, 9]  # the order given, repeats dropped
    assert [p["run"] for p in data["points"]] == ["num_frames-33", "num_frames-9"]
    full, short = data["points"]
    assert full["overall"]["success"] == 1.0 and full["overall"]["pass_at_k"] == [1.0]
    assert short["overall"]["success"] < 1.0 and short["families"]["maze"]["success"] == short["overall"]["success"]
    assert full["overall"]["n_samples"] == short["overall"]["n_samples"] == 3
    # Each value is its own run, made with that num_frames.
    for value in (33, 9):
        run = json.loads((point_folder(out, value) / "run.json").read_text())
        assert run["sampler"]["args"]["num_frames"] == value
    assert Sweep.model_validate(data) == sweep

    # Rerunning resumes every run: nothing is made twice.
    journals = {v: (point_folder(out, v) / "samples.jsonl").read_text() for v in (33, 9)}
    assert run_sweep(config(tmp_path), [33, 9]) == sweep
    assert {v: (point_folder(out, v) / "samples.jsonl").read_text() for v in (33, 9)} == journals

    table = format_sweep(sweep).splitlines()
    assert table[0].split() == ["num_frames", "success", "pass@1", "errors"]
    assert table[1].split() == ["33", "1.000", "1.000", "0"] and table[2].split()[0] == "9"


def test_command_line_takes_repeated_and_comma_separated_values(tmp_path, capsys, tiny):
    out = tmp_path / "static"
    code = main(["bench", "--model", "static", "--suite", tiny, "--jobs", "1",
                 "--num-frames", "5,9", "--num-frames", "3", "--out", str(out), "--quiet"])
    stdout, stderr = capsys.readouterr()
    assert code == 0, stderr
    assert [p["value"] for p in json.loads((out / "sweep.json").read_text())["points"]] == [5, 9, 3]
    lines = stdout.splitlines()
    assert lines[0].split()[:2] == ["num_frames", "success"]
    assert [line.split()[:2] for line in lines[1:4]] == [["5", "0.000"], ["9", "0.000"], ["3", "0.000"]]
    assert "num_frames=9: success 0.000" in stderr and f"sweep folder: {out}" in stdout
    # Each run's report carries the sweep's curve.
    report = (out / "num_frames-9" / "report.html").read_text()
    assert "success against video length" in report


@pytest.mark.parametrize(("argv", "message"), [
    (["--model", "external", "-a", "videos=."], "the external sampler takes no num_frames argument"),
    (["--model", "oracle", "-a", "num_frames=9"], "given both as -a num_frames=9 and as --num-frames"),
])
def test_a_sampler_without_num_frames_or_a_double_value_is_refused_before_running(tmp_path, capsys, argv, message):
    code = main(["bench", *argv, "--suite", "maze-smoke", "--num-frames", "17", "--out", str(tmp_path / "x")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("bad", ["0", "ten", "9,,17", "-3"])
def test_bad_values_are_usage_errors(tmp_path, capsys, bad):
    code = main(["bench", "--model", "oracle", "--num-frames", bad, "--out", str(tmp_path / "x")])
    assert code == 2 and "--num-frames" in capsys.readouterr().err


def test_no_values_is_an_error(tmp_path):
    with pytest.raises(GenreasonError, match="at least one value"):
        run_sweep(config(tmp_path), [])


def test_the_default_folder_of_a_sweep_is_apart_from_the_plain_run(tmp_path, capsys, monkeypatch, tiny):
    monkeypatch.chdir(tmp_path)
    assert main(["bench", "--model", "static", "--suite", tiny, "--jobs", "1", "--num-frames", "3", "--quiet"]) == 0
    assert (tmp_path / "results" / "tiny-static-n1-seed0-sweep" / "num_frames-3" / "run.json").is_file()
    assert not (tmp_path / "results" / "tiny-static-n1-seed0").exists()


def test_curve_table_has_a_success_column_per_family_when_there_are_several():
    def cell(success, n_errors=0):
        return SweepCell(success=success, pass_at_k=[success, min(1.0, 2 * success)], best_of_k=[success],
                         n_samples=4, n_errors=n_errors)

    sweep = Sweep(model=ComponentSpec(name="m"), suite="s", samples=2, seed=0, limit=None, points=[
        SweepPoint(value=17, run="num_frames-17", overall=cell(0.25, 1),
                   families={"maze": cell(0.5, 1), "trapfield": cell(0.0)}),
        SweepPoint(value=49, run="num_frames-49", overall=cell(0.75), families={"maze": cell(0.75)}),
    ])
    lines = [line.split() for line in format_sweep(sweep).splitlines()]
    assert lines[0] == ["num_frames", "success", "pass@1", "pass@2", "success(maze)", "success(trapfield)", "errors"]
    assert lines[1] == ["17", "0.250", "0.250", "0.500", "0.500", "0.000", "1"]
    assert lines[2] == ["49", "0.750", "0.750", "1.000", "0.750", "-", "0"]  # a family missing at a value
