"""VR-Bench states: built here in VR-Bench's schema from our own renders, then judged."""

import json

import pytest

from genreason.cli import main
from genreason.images import encode_png
from genreason.plugins import load_family
from genreason.types import Video
from genreason.video import write_mp4
from genreason.vrbench import SOLUTION_SOURCE, is_vrbench_state, load_any_puzzle

CODES = {"maze": {"#": 1, ".": 0}, "trapfield": {"T": 1, ".": 0}}


def entity(row, col, cell):
    """An entity as VR-Bench's Entity.from_grid_pos writes it."""
    return {"pixel_pos": {"x": col * cell + cell // 2, "y": row * cell + cell // 2},
            "bbox": {"x": col * cell, "y": row * cell, "width": cell, "height": cell,
                     "center_x": col * cell + cell // 2, "center_y": row * cell + cell // 2},
            "grid_pos": {"row": row, "col": col}}


def vrbench_level(root, game, seed=3, stem="easy_0001", skin="skin_1", difficulty="easy"):
    """Render one of our puzzles, write it as a VR-Bench level; return (state path, crop, puzzle, family)."""
    family = load_family(game)
    puzzle = family.generate(seed, "easy", family.skins[0], f"{game}/easy/{seed:06d}")
    lay = puzzle.layout
    cell = int(lay["cell_size"])
    ox, oy = (int(v) for v in lay["origin"])
    w, h = lay["cols"] * cell, lay["rows"] * cell

    def crop(frames):
        return frames[..., oy:oy + h, ox:ox + w, :]

    data = [[CODES[game][ch] for ch in row] for row in lay["cells"]]
    (sr, sc), (gr, gc) = lay["start"], lay["goal"]
    data[sr][sc], data[gr][gc] = 2, 3
    state = {"version": "1.0", "game_type": game,
             "entities": {"player": entity(sr, sc, cell), "goal": entity(gr, gc, cell), "boxes": []},
             "render": {"cell_size": cell, "image_width": w, "image_height": h},
             "metadata": {}, "grid": {"data": data, "height": lay["rows"], "width": lay["cols"]}}
    level = root / game / skin / difficulty
    (level / "states").mkdir(parents=True, exist_ok=True)
    (level / "images").mkdir(parents=True, exist_ok=True)
    (level / "images" / f"{stem}.png").write_bytes(encode_png(crop(puzzle.frame0()).copy()))
    path = level / "states" / f"{stem}.json"
    path.write_text(json.dumps(state, indent=2))
    return path, crop, puzzle, family


def write_motion(path, crop, puzzle, family, motion):
    frames = family.animate(puzzle, motion, seed=0, frames_per_step=4, hold_frames=6, num_frames=None)
    write_mp4(path, Video(frames=crop(frames).copy(), fps=16.0))
    return path


@pytest.mark.parametrize("game", ["maze", "trapfield"])
def test_verify_judges_a_vrbench_state(tmp_path, capsys, game):
    state, crop, puzzle, family = vrbench_level(tmp_path / "data", game)
    loaded = load_any_puzzle(state)
    assert loaded.family == game and loaded.id == f"vrbench/{game}/skin_1/easy/easy_0001"
    assert loaded.layout["cells"] == puzzle.layout["cells"]
    assert loaded.solution["source"] == SOLUTION_SOURCE
    assert loaded.solution["path"] == puzzle.solution["path"]  # same shortest path, same tie-break

    good = write_motion(tmp_path / "good.mp4", crop, puzzle, family, "solution")
    assert main(["verify", "--puzzle", str(state), "--video", str(good), "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["success"] is True

    bad = write_motion(tmp_path / "bad.mp4", crop, puzzle, family, "straight-line")
    assert main(["verify", "--puzzle", str(state), "--video", str(bad), "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["success"] is False
    assert any(e["kind"] in ("wall_crossed", "trap_crossed") for e in verdict["events"])


def one_line_error(capsys, *words):
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for word in words:
        assert word in lines[0], lines[0]


def test_unsupported_and_malformed_states_exit_2(tmp_path, capsys):
    state, crop, puzzle, family = vrbench_level(tmp_path / "data", "maze")
    video = write_motion(tmp_path / "v.mp4", crop, puzzle, family, "solution")
    data = json.loads(state.read_text())
    assert is_vrbench_state(data)

    other = state.with_name("easy_0002.json")
    other.write_text(json.dumps({**data, "game_type": "tetris"}))  # a game genreason does not know
    assert main(["verify", "--puzzle", str(other), "--video", str(video)]) == 2
    one_line_error(capsys, "easy_0002.json", "tetris", "not supported")

    cases = {
        "render.cell_size": lambda d: d["render"].pop("cell_size"),
        "grid.data": lambda d: d["grid"]["data"][0].append(0),
        "entities.player.bbox.width": lambda d: d["entities"]["player"]["bbox"].__setitem__("width", "x"),
        "entities.goal.grid_pos": lambda d: d["entities"]["goal"].__setitem__("grid_pos", [1, 2]),
        "'entities'": lambda d: d.pop("entities"),
        "game_type": lambda d: d.__setitem__("game_type", ["maze"]),
    }
    for field, breaks in cases.items():
        broken = json.loads(state.read_text())
        breaks(broken)
        bad = state.with_name("easy_0003.json")
        bad.write_text(json.dumps(broken))
        assert main(["verify", "--puzzle", str(bad), "--video", str(video)]) == 2, field
        one_line_error(capsys, "easy_0003.json", field)


def test_score_a_vrbench_folder_with_a_missing_video(tmp_path, capsys):
    data, videos = tmp_path / "data", tmp_path / "videos"
    for stem, game in (("easy_0001", "maze"), ("easy_0002", "maze"), ("easy_0001", "trapfield")):
        state, crop, puzzle, family = vrbench_level(data, game, stem=stem)
        if (game, stem) == ("maze", "easy_0002"):
            continue  # no video for this one
        folder = videos / game / "skin_1" / "easy"
        folder.mkdir(parents=True, exist_ok=True)
        write_motion(folder / f"{stem}_0.mp4", crop, puzzle, family, "solution")
        if game == "trapfield":
            write_motion(folder / f"{stem}_1.mp4", crop, puzzle, family, "straight-line")
    other = data / "tetris" / "skin_1" / "easy" / "states"
    other.mkdir(parents=True)
    (other / "easy_0001.json").write_text(json.dumps({**json.loads(state.read_text()), "game_type": "tetris"}))

    out = tmp_path / "out"
    code = main(["score", "--puzzles", str(data), "--videos", str(videos), "--out", str(out), "--jobs", "1"])
    assert code == 0
    captured = capsys.readouterr()
    assert "skipped 1 VR-Bench tetris" in captured.err and "no video found" in captured.err
    records = {(r["puzzle_id"], r["index"]): r
               for r in map(json.loads, (out / "samples.jsonl").read_text().splitlines())}
    assert set(records) == {("vrbench/maze/skin_1/easy/easy_0001", 0), ("vrbench/maze/skin_1/easy/easy_0002", 0),
                            ("vrbench/trapfield/skin_1/easy/easy_0001", 0),
                            ("vrbench/trapfield/skin_1/easy/easy_0001", 1)}
    missing = records[("vrbench/maze/skin_1/easy/easy_0002", 0)]
    assert missing["status"] == "error" and "no video found" in missing["error"]
    assert records[("vrbench/maze/skin_1/easy/easy_0001", 0)]["verdict"]["success"] is True
    assert records[("vrbench/trapfield/skin_1/easy/easy_0001", 0)]["verdict"]["success"] is True
    assert records[("vrbench/trapfield/skin_1/easy/easy_0001", 1)]["verdict"]["success"] is False
    summary = json.loads((out / "summary.json").read_text())
    assert summary["format"] == "genreason.summary" and summary["overall"]["n_errors"] == 1
    assert "maze" in captured.out and "trapfield" in captured.out


def test_score_a_generate_export(tmp_path, capsys):
    export = tmp_path / "export"
    assert main(["generate", "--suite", "maze-smoke", "--out", str(export), "--limit", "1"]) == 0
    rows = [json.loads(line) for line in (export / "manifest.jsonl").read_text().splitlines()]
    videos = tmp_path / "videos"
    videos.mkdir()
    first = load_any_puzzle(export / rows[0]["puzzle"])
    family = load_family(first.family)
    frames = family.animate(first, "solution", seed=0, frames_per_step=4, hold_frames=6, num_frames=None)
    write_mp4(videos / (first.id.replace("/", "__") + "__s0.mp4"), Video(frames=frames, fps=16.0))
    capsys.readouterr()
    out = tmp_path / "out"
    assert main(["score", "--puzzles", str(export), "--videos", str(videos), "--out", str(out), "--jobs", "1"]) == 0
    records = [json.loads(line) for line in (out / "samples.jsonl").read_text().splitlines()]
    assert len(records) == len(rows)
    by_id = {r["puzzle_id"]: r for r in records}
    assert by_id[first.id]["verdict"]["success"] is True
    assert sum(r["status"] == "error" for r in records) == len(rows) - 1
