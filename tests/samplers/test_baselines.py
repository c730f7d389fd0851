"""The oracle and baseline samplers: registration, rebuildable specs, and the videos they make."""

from __future__ import annotations

import numpy as np
import pytest

from genreason import plugins
from genreason.errors import GenreasonError
from genreason.plugins import NotApplicable, Sampler, build, load_family
from genreason.types import Puzzle, SampleRequest, Video
from puzzles.grid import GridLayout
from puzzles.skins import SKINS

NAMES = ("oracle", "static", "straight-line", "random-walk")


def maze(seed: int = 0, difficulty: str = "easy", skin: str = "classic") -> Puzzle:
    return load_family("maze").generate(seed, difficulty, skin, f"maze/{difficulty}/{seed:06d}")


def request(puzzle: Puzzle, seed: int = 0, index: int = 0) -> SampleRequest:
    return SampleRequest(puzzle=puzzle, prompt=puzzle.prompt, seed=seed, index=index)


def agent_centre(frame: np.ndarray, puzzle: Puzzle) -> tuple[float, float]:
    r, g, b = SKINS[puzzle.skin].agent
    ys, xs = np.nonzero((frame[..., 0] == r) & (frame[..., 1] == g) & (frame[..., 2] == b))
    return (xs.min() + xs.max() + 1) / 2, (ys.min() + ys.max() + 1) / 2


@pytest.mark.parametrize("name", NAMES)
def test_registered_and_spec_rebuilds_the_same_sampler(name):
    sampler = build("samplers", name, {"fps": 8.0})
    assert isinstance(sampler, Sampler) and sampler.name == name and sampler.max_batch >= 1
    spec = sampler.spec()
    assert spec.name == name and spec.args["fps"] == 8.0
    assert build("samplers", name, spec.args).spec() == spec


def test_command_line_strings_are_converted_by_annotation():
    spec = build("samplers", "oracle", {"fps": "24", "frames_per_step": "3", "num_frames": "33"}).spec()
    assert spec.args == {"fps": 24.0, "frames_per_step": 3, "hold_frames": 8, "num_frames": 33}
    assert build("samplers", "random-walk", {"num_frames": "none"}).spec().args["num_frames"] is None
    assert build("samplers", "static", {"num_frames": "17"}).spec().args == {"fps": 16.0, "num_frames": 17}


@pytest.mark.parametrize(("name", "args"), [
    ("oracle", {"frames_per_step": 0}), ("oracle", {"num_frames": 2}), ("random-walk", {"fps": 0}),
    ("straight-line", {"hold_frames": -1}), ("static", {"num_frames": 1}),
])
def test_bad_arguments_fail_early_with_the_sampler_named(name, args):
    with pytest.raises(GenreasonError, match=name):
        build("samplers", name, args)


@pytest.mark.parametrize("name", NAMES)
def test_one_video_per_request_in_order_starting_on_frame0(name):
    puzzles = [maze(seed, skin=skin) for seed, skin in ((1, "classic"), (2, "neon"), (3, "paper"))]
    sampler = build("samplers", name, {"fps": 12.0, "num_frames": 17})
    videos = list(sampler.generate([request(p, seed=i, index=i) for i, p in enumerate(puzzles)]))
    assert len(videos) == len(puzzles)
    for video, puzzle in zip(videos, puzzles, strict=True):
        assert isinstance(video, Video) and video.fps == 12.0 and video.num_frames == 17
        assert video.size == (puzzle.width, puzzle.height)
        assert np.array_equal(video.frames[0], puzzle.frame0())


def test_static_holds_the_first_frame():
    puzzle = maze(4)
    (video,) = build("samplers", "static", {}).generate([request(puzzle)])
    assert video.num_frames == 49
    assert all(np.array_equal(frame, puzzle.frame0()) for frame in video.frames)


def test_oracle_ends_resting_on_the_goal():
    puzzle = maze(5, "medium", "forest")
    layout = GridLayout.model_validate(puzzle.layout)
    (video,) = build("samplers", "oracle", {"frames_per_step": 2, "hold_frames": 3}).generate([request(puzzle)])
    assert video.num_frames == 1 + 2 * (len(puzzle.solution["path"]) - 1) + 3
    for frame in video.frames[-4:]:
        assert agent_centre(frame, puzzle) == pytest.approx(layout.cell_center(layout.goal), abs=1)


def test_random_walk_follows_the_request_seed():
    puzzle = maze(6, "medium")
    sampler = build("samplers", "random-walk", {"frames_per_step": 1, "hold_frames": 1})
    first, again, *others = sampler.generate([request(puzzle, seed=s) for s in (0, 0, 1, 2, 3)])
    assert np.array_equal(first.frames, again.frames)
    assert any(not np.array_equal(first.frames, o.frames) for o in others)


@pytest.mark.parametrize("name", ["oracle", "straight-line", "random-walk"])
def test_family_without_motions_is_not_applicable(name, monkeypatch):
    class StillFamily:  # a family with no animate method: nothing to draw a motion with
        name = "still"

    monkeypatch.setattr(plugins, "load_family", lambda family: StillFamily())
    puzzle = maze(0).model_copy(update={"family": "still"})
    with pytest.raises(NotApplicable, match="'still'"):
        list(build("samplers", name, {}).generate([request(puzzle)]))
