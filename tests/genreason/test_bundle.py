"""`genreason submit`: a real run packed into a deterministic bundle."""

import json
import shutil
import zipfile

import pytest
from bundle_helpers import bench_run, members

from genreason.cli import main
from genreason.errors import BadInput
from genreason.leaderboard.manifest import sha256_file
from genreason.leaderboard.submit import make_bundle
from genreason.leaderboard.validate import validate_bundle


@pytest.fixture(scope="module")
def oracle_run(tmp_path_factory):
    return bench_run(tmp_path_factory, "oracle")


def test_the_bundle_holds_the_run_and_every_hash(oracle_run, tmp_path):
    result = make_bundle(oracle_run, tmp_path / "b.zip")
    content = members(tmp_path / "b.zip")
    assert sorted(content) == ["manifest.json", "samples.jsonl", "summary.json"]  # no videos by default
    manifest = json.loads(content["manifest.json"])
    run = json.loads((oracle_run / "run.json").read_text())
    assert manifest["format"] == "genreason.bundle" and manifest["version"] == 1
    assert manifest["model"] == run["sampler"] and manifest["samples"] == 1 and manifest["seed"] == 0
    assert manifest["suite"]["puzzle_ids_sha256"] == run["suite"]["puzzle_ids_sha256"]
    assert manifest["suite"]["version"] == "1" and manifest["created"] == run["created"]
    assert manifest["verifiers"] == {"maze": {"name": "maze", "version": "1"}}
    assert not manifest["partial"] and not manifest["videos_included"]
    puzzle = manifest["puzzles"][0]
    folder = oracle_run / "puzzles" / puzzle["id"]
    assert puzzle["puzzle_sha256"] == sha256_file(folder / "puzzle.json")
    assert puzzle["frame0_sha256"] == sha256_file(folder / "frame0.png")
    assert [p["id"] for p in manifest["puzzles"]] == ["maze/easy/000000", "maze/medium/000000", "maze/hard/000000"]
    # Every video's hash is recorded even though no video is included.
    assert {v["sample_id"]: v["sha256"] for v in manifest["videos"]} == {
        f"{p['id']}#0": sha256_file(oracle_run / "videos" / f"{p['id'].replace('/', '__')}__s0.mp4")
        for p in manifest["puzzles"]}
    records = [json.loads(line) for line in content["samples.jsonl"].decode().splitlines()]
    assert [r["puzzle_id"] for r in records] == [p["id"] for p in manifest["puzzles"]]  # suite order
    assert json.loads(content["summary.json"]) == json.loads((oracle_run / "summary.json").read_text())
    assert result.missing == 0


def test_the_same_run_gives_the_same_bytes(oracle_run, tmp_path):
    make_bundle(oracle_run, tmp_path / "a.zip", with_videos=True)
    make_bundle(oracle_run, tmp_path / "b.zip", with_videos=True)
    assert (tmp_path / "a.zip").read_bytes() == (tmp_path / "b.zip").read_bytes()
    with zipfile.ZipFile(tmp_path / "a.zip") as zf:
        infos = zf.infolist()
    names = [i.filename for i in infos]
    assert names == sorted(names) and sum(n.startswith("videos/") for n in names) == 3
    assert {i.date_time for i in infos} == {(1980, 1, 1, 0, 0, 0)}
    assert {i.external_attr >> 16 for i in infos} == {0o100644}


def test_an_unfinished_run_is_refused_unless_allowed_and_then_fails_validation(oracle_run, tmp_path):
    run = tmp_path / "run"
    shutil.copytree(oracle_run, run)
    lines = (run / "samples.jsonl").read_text().splitlines(keepends=True)
    (run / "samples.jsonl").write_text("".join(lines[:2]))
    with pytest.raises(BadInput, match="unfinished: 1 of 3 samples are missing"):
        make_bundle(run, tmp_path / "p.zip")
    result = make_bundle(run, tmp_path / "p.zip", allow_partial=True)
    assert result.missing == 1 and result.manifest.partial and result.manifest.n_records == 2
    report = validate_bundle(tmp_path / "p.zip")
    assert report.status == "invalid" and report.partial
    assert [c.message for c in report.checks if c.status == "fail"] == [
        "partial: 1 of 3 samples missing; a leaderboard needs every sample"]


def test_a_folder_that_is_not_a_run_is_refused(tmp_path):
    with pytest.raises(BadInput, match="not a run folder"):
        make_bundle(tmp_path, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_submit_command(oracle_run, tmp_path, capsys):
    out = tmp_path / "sub.zip"
    assert main(["submit", str(oracle_run), "-o", str(out), "--with-videos"]) == 0
    assert "oracle on maze-smoke version 1, 3 samples, 3 videos" in capsys.readouterr().out
    assert main(["submit", str(tmp_path / "nothing"), "-o", str(out)]) == 2
    assert "not a run folder" in capsys.readouterr().err
