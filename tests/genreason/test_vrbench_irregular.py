"""VR-Bench pathfinder states: built here in VR-Bench's schema, drawn VR-Bench's way, then judged."""

import json

import numpy as np
import pytest
from irregular_helpers import foreign_level, write_level

from genreason.cli import main
from genreason.types import Video
from genreason.video import write_mp4
from genreason.vrbench import load_any_puzzle
from genreason.vrbench_irregular import ON_ROAD_RULE
from puzzles.irregular import IrregularFamily
from puzzles.irregular.layout import RoadLayout
from verifiers.irregular import IrregularVerifier

FAMILY = IrregularFamily()


@pytest.fixture(scope="module")
def level(tmp_path_factory):
    puzzle = FAMILY.generate(3, "medium", "classic", "irregular/medium/000003")
    state, first, legal, cheat = foreign_level(puzzle, size=1024)
    root = tmp_path_factory.mktemp("vrbench")
    path = write_level(root, state, first)
    videos = {}
    for name, frames in (("legal", legal), ("cheat", cheat)):
        videos[name] = root / f"{name}.mp4"
        write_mp4(videos[name], Video(frames=frames, fps=24.0))
    return puzzle, state, path, videos


def test_the_state_becomes_the_same_network(level):
    puzzle, state, path, _ = level
    read = load_any_puzzle(path)
    ours, theirs = RoadLayout.model_validate(puzzle.layout), RoadLayout.model_validate(read.layout)
    assert read.family == "irregular" and read.id == "vrbench/pathfinder/skin_1/easy/easy_0001"
    assert (read.width, read.height) == (1024, 1024) and theirs.road_width == state["metadata"]["road_width"]
    assert len(theirs.nodes) == len(ours.nodes) and len(theirs.edges) == len(ours.edges)
    for node in (theirs.start, theirs.goal):  # VR-Bench's start and end points, at twice our scale
        assert min(np.hypot(*(np.array(theirs.nodes[node]) - 2 * np.array(p))) for p in ours.nodes) < 2.0
    assert len(read.solution["nodes"]) == len(puzzle.solution["nodes"])
    assert "unchecked" not in read.layout


def test_judged_like_our_own_format(level, capsys):
    puzzle, _, path, videos = level
    assert main(["verify", "--puzzle", str(path), "--video", str(videos["legal"]), "--json"]) == 0
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["success"] and verdict["metrics"]["rules_not_checked"] == 0.0
    assert main(["verify", "--puzzle", str(path), "--video", str(videos["cheat"]), "--json"]) == 1
    verdict = json.loads(capsys.readouterr().out)
    assert "off_road" in {e["kind"] for e in verdict["events"]}
    # Our own rendering of the same network gets the same verdicts.
    verifier = IrregularVerifier()
    for motion, solved in (("solution", True), ("straight-line", False)):
        frames = FAMILY.animate(puzzle, motion, seed=0, frames_per_step=4, hold_frames=4, num_frames=None)
        assert verifier.verify(puzzle, Video(frames=frames, fps=16.0)).success is solved


def test_a_state_without_roads_says_what_it_could_not_check(level, tmp_path, capsys):
    _, state, path, videos = level
    bare = json.loads(json.dumps(state))
    for key in ("segments", "solution_path", "solution_segments"):
        bare["metadata"].pop(key)
    image = (path.parent.parent / "images" / "easy_0001.png").read_bytes()
    new = tmp_path / "pathfinder" / "skin_1" / "easy"
    (new / "states").mkdir(parents=True)
    (new / "images").mkdir(parents=True)
    (new / "images" / "easy_0001.png").write_bytes(image)
    (new / "states" / "easy_0001.json").write_text(json.dumps(bare))
    assert main(["verify", "--puzzle", str(new / "states" / "easy_0001.json"), "--video", str(videos["cheat"]),
                 "--json"]) == 0  # only the goal, speed, copies and board could be judged: all fine
    verdict = json.loads(capsys.readouterr().out)
    assert verdict["metrics"]["rules_not_checked"] == 1.0
    unchecked = [e for e in verdict["events"] if e["kind"] == "rule_not_checked"]
    assert len(unchecked) == 1 and ON_ROAD_RULE in unchecked[0]["message"]


@pytest.mark.parametrize("field,breaks", [
    ("metadata.segments", lambda d: d["metadata"].__setitem__("segments", "roads")),
    ("metadata.segments[0]", lambda d: d["metadata"]["segments"].__setitem__(0, [[1, 2]])),
    ("metadata.end_point", lambda d: d["metadata"].__setitem__("end_point", [1.0, 1.0])),
    ("render.image_width", lambda d: d["render"].pop("image_width")),
])
def test_malformed_states_exit_2_with_one_line(level, tmp_path, capsys, field, breaks):
    _, state, path, videos = level
    broken = json.loads(json.dumps(state))
    breaks(broken)
    bad = path.with_name("easy_0009.json")
    (path.parent.parent / "images" / "easy_0009.png").write_bytes(
        (path.parent.parent / "images" / "easy_0001.png").read_bytes())
    bad.write_text(json.dumps(broken))
    assert main(["verify", "--puzzle", str(bad), "--video", str(videos["legal"])]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: ") and "easy_0009.json" in err[0] and field in err[0], err
