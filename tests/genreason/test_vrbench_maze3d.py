"""VR-Bench 3D maze states, built here in VR-Bench's schema from a foreign rendering, then judged.

Such a state carries the world in cubes but no camera: the verifier judges what
the image allows (start, goal box, no teleport, no vanishing) and names the
rules it could not check. On what both can judge, the verdicts agree with our
own puzzle of the same world.
"""

import json

import numpy as np
from maze3d_helpers import foreign_puzzle, positions, render, route_points, top_centre

from genreason.cli import main
from genreason.images import encode_png
from genreason.types import Video
from genreason.video import write_mp4
from genreason.vrbench import load_any_puzzle
from puzzles.maze3d import Maze3DFamily
from puzzles.maze3d import cases as C
from verifiers.maze3d import Maze3DVerifier
from verifiers.maze3d_image import UNCHECKED


def entity(box):
    x0, y0, x1, y1 = box
    return {"pixel_pos": {"x": round((x0 + x1) / 2), "y": round((y0 + y1) / 2)},
            "bbox": {"x": round(x0), "y": round(y0), "width": round(x1 - x0), "height": round(y1 - y0),
                     "center_x": round((x0 + x1) / 2), "center_y": round((y0 + y1) / 2)}}


def vrbench_level(root, puzzle):
    """Write ``puzzle`` (foreign-rendered) as a VR-Bench maze3d level; return the state's path."""
    lay = puzzle.layout
    heights = lay["heights"]
    cubes = [[x, y, z] for y, row in enumerate(heights) for x, h in enumerate(row) for z in range(h)]
    (sx, sy), (gx, gy) = lay["start"], lay["goal"]
    player, goal = entity(lay["agent_box"]), entity(lay["goal_box"])
    state = {"version": "1.0", "game_type": "maze3d",
             "entities": {"player": player, "goal": goal, "boxes": []},
             "render": {"cell_size": max(player["bbox"]["width"], player["bbox"]["height"]),
                        "image_width": 512, "image_height": 512},
             "metadata": {"qa_data": {}, "grid_size": list(lay["size"]), "cubes": cubes,
                          "start_pos": [sx, sy, heights[sy][sx] - 1], "goal_pos": [gx, gy, heights[gy][gx] - 1],
                          "ladders": [{"base_pos": [*lad["low"], 0], "direction": "+x", "height": 1}
                                      for lad in lay["ladders"]],
                          "path": []}}
    level = root / "maze3d" / "skin_1" / "easy"
    (level / "states").mkdir(parents=True)
    (level / "images").mkdir(parents=True)
    (level / "images" / "easy_0001.png").write_bytes(encode_png(puzzle.frame0()))
    path = level / "states" / "easy_0001.json"
    path.write_text(json.dumps(state, indent=2))
    return path


def verdict_of(capsys, state, video_path):
    code = main(["verify", "--puzzle", str(state), "--video", str(video_path), "--json"])
    verdict = json.loads(capsys.readouterr().out)
    assert code == (0 if verdict["success"] else 1)
    return verdict


def test_vrbench_maze3d_state_is_judged_as_far_as_it_allows(tmp_path, capsys):
    ours = foreign_puzzle(Maze3DFamily().generate(1, "medium", "stone", "maze3d/medium/1"))
    state = vrbench_level(tmp_path / "data", ours)
    loaded = load_any_puzzle(state)
    assert loaded.family == "maze3d" and loaded.layout["kind"] == "image"
    assert loaded.id == "vrbench/maze3d/skin_1/easy/easy_0001"
    assert loaded.layout["world"]["grid_size"] == list(ours.layout["size"])

    lay = ours.layout
    route = [tuple(c) for c in ours.solution["path"]]
    walk = positions(route_points(lay, route), 9.0)
    sc = C.make_scene(ours)
    i, pillar = C.cliff(sc)
    cliff = np.concatenate([positions([*route_points(lay, route[:i + 1]), top_centre(lay, pillar)], 9.0),
                            positions([top_centre(lay, pillar), *route_points(lay, route[i:])], 9.0)])
    videos = {"legal": walk, "teleport": np.concatenate([walk[:5], walk[30:]]), "cliff": cliff}
    ours_verifier = Maze3DVerifier()
    for name, where in videos.items():
        frames = render(lay, where)
        path = tmp_path / f"{name}.mp4"
        write_mp4(path, Video(frames, 16.0))
        verdict = verdict_of(capsys, state, path)
        unchecked = [e for e in verdict["events"] if e["kind"] == "rule_not_checked"]
        assert len(unchecked) == len(UNCHECKED) and verdict["metrics"]["rules_not_checked"] == len(UNCHECKED)
        own = ours_verifier.verify(ours, Video(frames, 16.0))
        if name == "cliff":  # only the geometry shows this one: the state cannot, and says so
            assert verdict["success"] is True and own.success is False
        else:
            assert verdict["success"] is own.success is (name == "legal"), (name, verdict["events"])
        if name == "teleport":
            assert any(e["kind"] == "teleport" for e in verdict["events"])
        if name == "legal":
            videos = tmp_path / "videos" / "maze3d" / "skin_1" / "easy"
            videos.mkdir(parents=True)
            (videos / "easy_0001.mp4").write_bytes(path.read_bytes())

    # `genreason score` over the VR-Bench folder judges it too.
    assert main(["score", "--puzzles", str(tmp_path / "data"), "--videos", str(tmp_path / "videos"),
                 "--out", str(tmp_path / "scored"), "--jobs", "1", "--no-report"]) == 0
    capsys.readouterr()
    (record,) = [json.loads(line) for line in (tmp_path / "scored" / "samples.jsonl").read_text().splitlines()]
    assert record["family"] == "maze3d" and record["verdict"]["success"] is True


def test_malformed_maze3d_states_exit_2(tmp_path, capsys):
    ours = foreign_puzzle(Maze3DFamily().generate(2, "easy", "stone", "maze3d/easy/2"))
    state = vrbench_level(tmp_path / "data", ours)
    video = tmp_path / "v.mp4"
    write_mp4(video, Video(np.repeat(ours.frame0()[None], 4, axis=0), 16.0))
    breaks = {
        "metadata.cubes": lambda d: d["metadata"].pop("cubes"),
        "metadata.goal_pos": lambda d: d["metadata"].__setitem__("goal_pos", [99, 0, 0]),
        "entities.player.bbox": lambda d: d["entities"]["player"].pop("bbox"),
        "render.image_width": lambda d: d["render"].__setitem__("image_width", -3),
    }
    for field, broken in breaks.items():
        data = json.loads(state.read_text())
        broken(data)
        bad = state.with_name("easy_0002.json")
        bad.write_text(json.dumps(data))
        (state.parent.parent / "images" / "easy_0002.png").write_bytes(encode_png(ours.frame0()))
        assert main(["verify", "--puzzle", str(bad), "--video", str(video)]) == 2, field
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "easy_0002.json" in err[0] and field in err[0], err
