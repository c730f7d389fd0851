"""VR-Bench sokoban states: built here in VR-Bench's schema from our own renders, then judged."""

import json

import numpy as np

from genreason.cli import main
from genreason.images import encode_png
from genreason.types import Video
from genreason.video import write_mp4
from genreason.vrbench import load_any_puzzle
from genreason.vrbench_sokoban import SOLUTION_SOURCE
from puzzles.sokoban import SokobanFamily

FAMILY = SokobanFamily()


def entity(row, col, cell):
    """An entity as VR-Bench's Entity.from_grid_pos writes it."""
    return {"pixel_pos": {"x": col * cell + cell // 2, "y": row * cell + cell // 2},
            "bbox": {"x": col * cell, "y": row * cell, "width": cell, "height": cell},
            "grid_pos": {"row": row, "col": col}}


def sokoban_level(root, seed=2):
    """One of our sokoban puzzles written as a VR-Bench level (grid codes of VR-Bench's games/sokoban)."""
    puzzle = FAMILY.generate(seed, "easy", "classic", f"sokoban/easy/{seed:06d}")
    lay = puzzle.layout
    cell = int(lay["cell_size"])
    ox, oy = (int(v) for v in lay["origin"])
    w, h = lay["cols"] * cell, lay["rows"] * cell

    def crop(frames):
        return np.ascontiguousarray(frames[..., oy:oy + h, ox:ox + w, :])

    data = [[1 if ch == "#" else 0 for ch in row] for row in lay["cells"]]
    (pr, pc), ((br, bc),), ((tr, tc),) = lay["start"], lay["boxes"], lay["targets"]
    data[pr][pc], data[br][bc], data[tr][tc] = 5, 2, 3
    state = {"version": "1.0", "game_type": "sokoban",
             "entities": {"player": entity(pr, pc, cell), "goal": entity(tr, tc, cell),
                          "boxes": [entity(br, bc, cell)]},
             "render": {"cell_size": cell, "image_width": w, "image_height": h},
             "metadata": {}, "grid": {"data": data, "height": lay["rows"], "width": lay["cols"]}}
    level = root / "sokoban" / "skin_1" / "easy"
    (level / "states").mkdir(parents=True, exist_ok=True)
    (level / "images").mkdir(parents=True, exist_ok=True)
    (level / "images" / "easy_0001.png").write_bytes(encode_png(crop(puzzle.frame0())))
    path = level / "states" / "easy_0001.json"
    path.write_text(json.dumps(state))
    return path, crop, puzzle


def test_a_vrbench_sokoban_state_is_read_and_judged(tmp_path, capsys):
    state, crop, puzzle = sokoban_level(tmp_path / "data")
    loaded = load_any_puzzle(state)
    assert loaded.family == "sokoban" and loaded.id == "vrbench/sokoban/skin_1/easy/easy_0001"
    assert loaded.layout["boxes"] == puzzle.layout["boxes"] and loaded.layout["targets"] == puzzle.layout["targets"]
    assert loaded.solution["path"] == puzzle.solution["path"] and loaded.solution["source"] == SOLUTION_SOURCE

    cases = {c.name: c for c in FAMILY.calibration_cases(puzzle)}
    for name, code in (("oracle", 0), ("box-slides-alone", 1)):
        video = write_mp4(tmp_path / f"{name}.mp4", Video(crop(cases[name].frames), 16.0))
        assert main(["verify", "--puzzle", str(state), "--video", str(video), "--json"]) == code, name
        verdict = json.loads(capsys.readouterr().out)
        assert verdict["success"] is (code == 0)


def test_a_malformed_sokoban_state_exits_2(tmp_path, capsys):
    state, crop, puzzle = sokoban_level(tmp_path / "data")
    video = write_mp4(tmp_path / "v.mp4", Video(crop(puzzle.frame0()[None].repeat(4, axis=0)), 16.0))
    good = json.loads(state.read_text())
    for field, breaks in {
        "entities.boxes[0].grid_pos": lambda d: d["entities"]["boxes"][0].__setitem__("grid_pos", {"row": 0, "col": 0}),
        "entities.boxes' is empty": lambda d: d["entities"].__setitem__("boxes", []),
        "2 targets for 1 boxes": lambda d: d["grid"]["data"][0].__setitem__(0, 3),
    }.items():
        broken = json.loads(json.dumps(good))
        breaks(broken)
        state.write_text(json.dumps(broken))
        assert main(["verify", "--puzzle", str(state), "--video", str(video)]) == 2, field
        err = capsys.readouterr().err
        assert err.startswith("error: ") and field in err and "Traceback" not in err, err
