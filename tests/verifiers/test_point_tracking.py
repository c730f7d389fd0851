"""The CoTracker adapter: loading through torch.hub, coordinates, and judging a redrawn agent.

CoTracker's code and weights cannot be fetched here, so the adapter is tested
through ``torch.hub.load(..., source="local")`` on a folder this test writes,
whose ``hubconf.py`` entry replays the agent's true motion (it tracks nothing;
it stands in for the model so that everything around the model is real). The
real model is exercised only where ``$GENREASON_COTRACKER_REPO`` points at a
checkout with its checkpoint in torch's hub cache.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from genreason.errors import GenreasonError
from genreason.plugins import load_family
from genreason.types import Video
from grid_helpers import agent_centre, agent_mask, animate, make
from verifiers import point_tracking
from verifiers.maze import MazeVerifier

torch = pytest.importorskip("torch")

HUBCONF = '''\
"""A stand-in for CoTracker3's hub entry, for tests: moves every query by the motion saved beside it."""
from pathlib import Path

import numpy as np
import torch

dependencies = ["torch", "numpy"]


class Replay(torch.nn.Module):
    def forward(self, video, queries):
        motion = torch.from_numpy(np.load(Path(__file__).parent / "motion.npy")).float()
        assert video.shape[1] == len(motion) and video.shape[2] == 3, video.shape
        points = queries[:, None, :, 1:] + motion[None, :, None, :]
        return points, torch.ones(points.shape[:3])


def cotracker3_offline(**kwargs):
    return Replay()
'''

RECOLOUR = (250, 250, 250)  # far from the classic agent's colour: the classical tracker loses it


def _hub(tmp_path: Path, frames: np.ndarray, puzzle) -> str:
    """A local hub folder whose model replays the agent's motion in ``frames``."""
    start = np.array(agent_centre(frames[0], puzzle))
    motion = np.array([np.array(agent_centre(f, puzzle)) - start for f in frames], dtype=np.float32)
    folder = tmp_path / "hub"
    folder.mkdir()
    (folder / "hubconf.py").write_text(HUBCONF)
    np.save(folder / "motion.npy", motion)
    point_tracking._load.cache_clear()  # each test writes its own model
    return str(folder)


def _redrawn(frames: np.ndarray, puzzle, after: int) -> np.ndarray:
    """The agent repainted in another colour from frame ``after`` on (as a model might redraw it)."""
    out = frames.copy()
    for t in range(after, len(out)):
        out[t][agent_mask(frames[t], puzzle)] = RECOLOUR
    return out


@pytest.fixture(scope="module")
def maze():
    family = load_family("maze")
    return family, make(family, seed=3, difficulty="easy")


def test_redrawn_agent_is_lost_by_the_classical_tracker_and_followed_by_cotracker(tmp_path, maze):
    family, puzzle = maze
    frames = animate(family, puzzle, "solution")
    video = Video(frames=_redrawn(frames, puzzle, after=4), fps=16.0)

    classical = MazeVerifier().verify(puzzle, video)
    assert not classical.success
    assert {e.kind for e in classical.events} & {"lost", "lost_at_end"}

    learned = MazeVerifier(tracker="cotracker", tracker_repo=_hub(tmp_path, frames, puzzle)).verify(puzzle, video)
    assert learned.success, [e.message for e in learned.events]
    assert learned.path[-1] == tuple(puzzle.layout["goal"])


def test_cotracker_still_catches_a_wall_crossing(tmp_path, maze):
    family, puzzle = maze
    frames = animate(family, puzzle, "straight-line")
    video = Video(frames=_redrawn(frames, puzzle, after=2), fps=16.0)
    verdict = MazeVerifier(tracker="cotracker", tracker_repo=_hub(tmp_path, frames, puzzle)).verify(puzzle, video)
    assert not verdict.success
    assert any("wall" in e.kind for e in verdict.events), [e.kind for e in verdict.events]


def test_tracks_are_read_back_in_video_pixels(tmp_path, maze):
    family, puzzle = maze
    frames = animate(family, puzzle, "solution")[:6]
    track = point_tracking.cotracker(_hub(tmp_path, frames, puzzle))
    queries = np.array([[100.0, 50.0], [110.0, 60.0]])
    tracks = track(frames, queries)
    assert tracks.points.shape == (6, 2, 2) and tracks.visible.all()
    expected = np.array(agent_centre(frames[5], puzzle)) - np.array(agent_centre(frames[0], puzzle))
    np.testing.assert_allclose(tracks.points[5] - queries, [expected, expected], atol=1e-4)


def test_agent_track_is_the_median_of_visible_points_and_none_when_most_are_hidden():
    points = np.array([[[0, 0], [2, 2], [100, 100]], [[5, 5], [5, 5], [5, 5]]], dtype=float)
    visible = np.array([[True, True, False], [True, False, False]])
    track = point_tracking.agent_track(point_tracking.Tracks(points, visible))
    assert track == [(1.0, 1.0), None]


def test_query_points_lie_on_the_mask_centre_first():
    mask = np.zeros((20, 20), dtype=bool)
    mask[5:10, 8:13] = True
    points = point_tracking.query_points(mask, count=4)
    assert len(points) == 4
    assert all(mask[int(y), int(x)] for x, y in points)
    assert tuple(points[0]) == (10.0, 7.0)


def test_unknown_tracker_and_missing_checkout_are_clear_errors(tmp_path):
    with pytest.raises(GenreasonError, match="unknown tracker 'optical'.*classical, cotracker"):
        MazeVerifier(tracker="optical")
    point_tracking._load.cache_clear()
    with pytest.raises(GenreasonError, match="does not exist: clone facebookresearch/co-tracker"):
        point_tracking.cotracker(str(tmp_path / "no" / "such" / "checkout"))


@pytest.mark.skipif(not os.environ.get(point_tracking.REPO_ENV),
                    reason=f"real CoTracker3 needs ${point_tracking.REPO_ENV} (a checkout; weights in the hub cache)")
def test_real_cotracker_follows_a_redrawn_agent(maze):
    family, puzzle = maze
    frames = animate(family, puzzle, "solution")
    point_tracking._load.cache_clear()
    verdict = MazeVerifier(tracker="cotracker").verify(puzzle, Video(frames=_redrawn(frames, puzzle, 4), fps=16.0))
    assert verdict.success, [e.message for e in verdict.events]


def test_cli_verify_takes_the_tracker(tmp_path, maze, monkeypatch):
    from genreason.cli import main
    from genreason.plugins import tracker_args
    from genreason.video import write_mp4

    family, puzzle = maze
    frames = animate(family, puzzle, "solution")
    monkeypatch.setenv(point_tracking.REPO_ENV, _hub(tmp_path, frames, puzzle))
    puzzle_path = puzzle.save(tmp_path / "puzzle")
    write_mp4(tmp_path / "redrawn.mp4", Video(frames=_redrawn(frames, puzzle, after=4), fps=16.0))
    args = ["verify", "--puzzle", str(puzzle_path), "--video", str(tmp_path / "redrawn.mp4")]
    assert main(args) == 1  # classical: the redrawn agent is lost
    assert main([*args, "--tracker", "cotracker"]) == 0

    assert tracker_args("maze", "classical") == {}
    assert tracker_args("maze", "cotracker") == {"tracker": "cotracker"}
