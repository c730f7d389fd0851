"""What of the diffusers samplers works without torch: registration, the install hint, first-frame fitting,
and the runner keeping a sampler's per-video metadata."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from diffusion_helpers import DIFFUSION_MODELS

from genreason.errors import GenreasonError
from genreason.plugins import available, build, load_family
from genreason.runner import BenchConfig, run_bench
from genreason.store import RunFolder
from genreason.types import ComponentSpec, Video
from samplers.diffusion.framing import fit_frame

NO_TORCH = """
import sys
for name in ("torch", "diffusers", "transformers"):
    sys.modules[name] = None  # any import of them now fails
from genreason.cli import main
from genreason.errors import GenreasonError
from genreason.plugins import build
try:
    main(["plugins"])
except SystemExit as exc:
    assert not exc.code, exc.code
try:
    build("samplers", "wan2.2", {})
except GenreasonError as exc:
    print("ERROR:", exc)
"""


def test_listed_and_explained_without_torch():
    done = subprocess.run([sys.executable, "-c", NO_TORCH], capture_output=True, text=True, timeout=120, check=True)
    for name in DIFFUSION_MODELS:
        assert name in done.stdout
    assert "ERROR: the wan2.2 sampler needs torch, which is not installed: pip install 'genreason[diffusers]'" \
        in done.stdout


def test_registered_under_the_documented_names():
    assert set(DIFFUSION_MODELS) <= set(available("samplers"))


def test_bad_arguments_are_refused_before_torch_is_needed(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(GenreasonError, match="num_frames - 1 must be a positive multiple of 8"):
        build("samplers", "ltx-video", {"num_frames": 48})
    with pytest.raises(GenreasonError, match=r"pip install 'genreason\[diffusers\]'"):
        build("samplers", "ltx-video", {})


def test_letterbox_keeps_the_aspect_and_maps_the_agent_box():
    puzzle = load_family("maze").generate(3, "easy", "classic", "maze/easy/000003")
    frame, t = fit_frame(puzzle.frame0(), 832, 480)
    assert frame.shape == (480, 832, 3)
    assert t.fit == "letterbox" and t.scale == (480 / 512, 480 / 512) and t.offset == ((832 - 480) // 2, 0)
    assert not frame[:, :t.offset[0]].any() and not frame[:, t.offset[0] + 480:].any()  # black bars
    x0, y0, x1, y1 = puzzle.layout["agent_box"]
    cx, cy = t.to_video((x0 + x1) / 2, (y0 + y1) / 2)
    source_rgb = puzzle.frame0()[round((y0 + y1) / 2), round((x0 + x1) / 2)]
    np.testing.assert_allclose(frame[round(cy), round(cx)], source_rgb, atol=12)
    assert t.to_source(*t.to_video(100.0, 37.5)) == pytest.approx((100.0, 37.5))


def test_letterbox_of_a_wide_image_bars_top_and_bottom():
    image = np.full((100, 400, 3), 200, dtype=np.uint8)
    frame, t = fit_frame(image, 64, 64)
    assert t.scale == (64 / 400, 16 / 100) and t.offset == (0, 24)
    assert frame[24:40].min() > 150 and not frame[:24].any() and not frame[40:].any()


def test_unknown_fit_is_refused():
    with pytest.raises(ValueError, match="fit must be one of"):
        fit_frame(np.zeros((8, 8, 3), np.uint8), 16, 16, "crop")


class _MetaSampler:
    """Static frames whose Video carries metadata, like the diffusion samplers."""

    name = "meta"
    max_batch = 4

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name)

    def generate(self, requests):
        for r in requests:
            yield Video(frames=np.repeat(r.image[None], 9, axis=0), fps=8.0, meta={"seed_seen": r.seed})


def test_runner_keeps_video_meta_in_the_sample_record(tmp_path):
    from diffusion_helpers import ONE_MAZE_SUITE

    suite = tmp_path / "one.toml"
    suite.write_text(ONE_MAZE_SUITE)
    run_bench(BenchConfig(model=ComponentSpec(name="meta"), suite=str(suite), samples=2, out=tmp_path / "run",
                          jobs=1, quiet=True), sampler=_MetaSampler())
    records = RunFolder(tmp_path / "run").journal.read()
    assert sorted(r.extra["sampler"]["seed_seen"] for r in records) == sorted(r.seed for r in records)
