import json

import numpy as np
import pytest

from genreason.cli import main
from genreason.plugins import load_family
from genreason.types import Puzzle, Video
from genreason.video import write_mp4


@pytest.fixture(scope="module")
def maze_files(tmp_path_factory):
    """A real maze puzzle on disk, and a short valid video of it (its first frame, held)."""
    folder = tmp_path_factory.mktemp("maze")
    puzzle = load_family("maze").generate(3, "easy", load_family("maze").skins[0], "maze/easy/000003")
    puzzle_json = puzzle.save(folder / "puzzle")
    video = folder / "still.mp4"
    write_mp4(video, Video(frames=np.repeat(puzzle.frame0()[None], 8, axis=0), fps=8.0))
    return puzzle_json, video


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(err: str, *names: str) -> None:
    assert "Traceback" not in err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for name in names:
        assert name in lines[0]


def test_plugins_lists_every_group(capsys):
    code, out, _ = run(capsys, "plugins")
    assert code == 0
    assert "samplers (genreason.samplers)" in out and "oracle" in out and "samplers.baselines:OracleSampler" in out
    assert "suites (genreason.suites)" in out


def test_unknown_plugin_name_suggests_one(capsys):
    code, _, err = run(capsys, "plugins", "oracel")
    assert code == 2
    assert_one_line_error(err, "did you mean 'oracle'")


def test_suites_lists_the_builtin_suites(capsys):
    code, out, _ = run(capsys, "suites")
    assert code == 0 and "maze-smoke" in out and "6 puzzles" in out


def test_bench_with_an_unknown_model_fails_with_a_suggestion(capsys, tmp_path):
    code, _, err = run(capsys, "bench", "--model", "oracel", "--out", str(tmp_path / "run"))
    assert code == 2
    assert_one_line_error(err, "unknown model 'oracel'", "did you mean 'oracle'")


def test_bench_model_args_must_be_key_value(capsys, tmp_path):
    code, _, err = run(capsys, "bench", "--model", "oracle", "-a", "fps", "--out", str(tmp_path))
    assert code == 2 and "is not KEY=VALUE" in err and "Traceback" not in err


def test_a_missing_required_sampler_argument_is_one_clear_line(capsys, tmp_path, monkeypatch):
    from genreason import plugins

    class NeedsPath:
        def __init__(self, model_path: str, fps: float = 16.0) -> None:
            pass

    real = plugins.load_class
    monkeypatch.setattr(plugins, "load_class",
                        lambda group, name: NeedsPath if group == "samplers" else real(group, name))
    code, _, err = run(capsys, "bench", "--model", "needs-path", "--out", str(tmp_path / "run"))
    assert code == 2
    assert_one_line_error(err, "needs-path needs argument(s) model_path", "-a KEY=VALUE")


def test_bench_interrupted_says_how_to_resume(capsys, tmp_path, monkeypatch):
    import genreason.runner

    def interrupted(config):
        raise KeyboardInterrupt
    monkeypatch.setattr(genreason.runner, "run_bench", interrupted)
    code, _, err = run(capsys, "bench", "--model", "oracle", "--out", str(tmp_path))
    assert code == 130 and "interrupted: rerun the same command to resume" in err


def truncated(path, good):
    data = good.read_bytes()
    path.write_bytes(data[: len(data) // 2])


@pytest.mark.parametrize(("make", "problem"), [
    (lambda path, good: None, "video not found"),
    (lambda path, good: path.write_bytes(b""), "empty"),
    (truncated, "cannot be opened as a video"),
    (lambda path, good: path.write_bytes(b"\x00garbage" * 100), "cannot be opened as a video"),
])
def test_verify_bad_video_is_one_line_and_exit_2(capsys, tmp_path, maze_files, make, problem):
    puzzle_json, good = maze_files
    video = tmp_path / "v.mp4"
    make(video, good)
    code, out, err = run(capsys, "verify", "--puzzle", str(puzzle_json), "--video", str(video), "--json")
    assert code == 2 and out == ""
    assert_one_line_error(err, str(video), problem)


def test_verify_an_image_instead_of_a_video(capsys, maze_files):
    puzzle_json, _ = maze_files
    image = puzzle_json.parent / "frame0.png"
    code, _, err = run(capsys, "verify", "--puzzle", str(puzzle_json), "--video", str(image))
    assert code == 2
    assert_one_line_error(err, str(image), "is an image")


@pytest.mark.parametrize(("change", "problem"), [
    ({"version": 99}, "version 99 is not supported"),
    ({"family": "mazee"}, "unknown puzzle family 'mazee'; did you mean 'maze'"),
    ({"format": "other"}, "not a genreason puzzle file"),
])
def test_verify_bad_puzzle_file_is_one_line_and_exit_2(capsys, tmp_path, maze_files, change, problem):
    puzzle_json, video = maze_files
    bad = tmp_path / "puzzle.json"
    bad.write_text(json.dumps(json.loads(puzzle_json.read_text()) | change))
    (tmp_path / "frame0.png").write_bytes((puzzle_json.parent / "frame0.png").read_bytes())
    code, _, err = run(capsys, "verify", "--puzzle", str(bad), "--video", str(video))
    assert code == 2
    assert_one_line_error(err, str(bad), problem)


def test_verify_json_prints_exactly_the_verdict(capsys, maze_files):
    puzzle_json, video = maze_files
    code, out, _ = run(capsys, "verify", "--puzzle", str(puzzle_json), "--video", str(video), "--json")
    verdict = json.loads(out)  # one object, nothing else on stdout
    assert verdict["format"] == "genreason.verdict"
    assert isinstance(verdict["success"], bool) and isinstance(verdict["events"], list)
    assert code == {True: 0, False: 1}[verdict["success"]] if verdict["status"] == "ok" else code == 2


def test_verify_human_output_lists_the_events(capsys, maze_files):
    puzzle_json, video = maze_files
    code, out, _ = run(capsys, "verify", "--puzzle", str(puzzle_json), "--video", str(video))
    assert code == 1  # a still frame never reaches the goal
    lines = out.splitlines()
    assert lines[0].startswith("maze/easy/000003: not solved (verifier maze")
    assert any(line.startswith("frame ") for line in lines[1:])


def test_generate_exports_puzzles_and_manifests(capsys, tmp_path):
    code, out, _ = run(capsys, "generate", "--suite", "maze-smoke", "--limit", "1", "--out", str(tmp_path))
    assert code == 0 and "wrote 3 puzzles" in out
    rows = [json.loads(line) for line in (tmp_path / "manifest.jsonl").read_text().splitlines()]
    assert [r["id"] for r in rows] == ["maze/easy/000000", "maze/medium/000000", "maze/hard/000000"]
    assert (tmp_path / rows[0]["image"]).is_file()
    puzzle = Puzzle.load(tmp_path / rows[0]["puzzle"])
    assert (puzzle.seed, puzzle.prompt) == (rows[0]["seed"], rows[0]["prompt"])
    csv_lines = (tmp_path / "manifest.csv").read_text().splitlines()
    assert csv_lines[0] == "id,family,difficulty,skin,seed,prompt,image,puzzle,video" and len(csv_lines) == 4
    # Where the video made elsewhere goes: the name `genreason score` and the external sampler look for.
    assert rows[0]["video"] == "videos/maze__easy__000000__s0.mp4"
