"""The diffusers samplers on tiny random-weight pipelines: loading, batching, seeds, a whole bench run.

The pipelines are the real diffusers classes built from tiny configs and
loaded back from disk through each sampler's ``model_path``, so these tests
run the code path real weights take. Their videos are noise: nothing here
judges a model, only that videos are made, reproducible, written and verified.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")

from diffusion_helpers import DIFFUSION_MODELS, ONE_MAZE_SUITE

from genreason.errors import BadInput, GenreasonError
from genreason.plugins import Sampler, build, load_family
from genreason.runner import BenchConfig, run_bench
from genreason.store import RunFolder
from genreason.types import SampleRequest
from samplers.diffusion.tiny import tiny_args

needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Tiny models on a shared machine: a second thread only adds contention (measured 6x more CPU time)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


def maze(seed: int):
    return load_family("maze").generate(seed, "easy", "classic", f"maze/easy/{seed:06d}")


def requests() -> list[SampleRequest]:
    """Two candidates of one puzzle, then one of another: a batch that mixes puzzles."""
    a, b = maze(1), maze(2)
    return [SampleRequest(puzzle=a, prompt=a.prompt, seed=10, index=0),
            SampleRequest(puzzle=a, prompt=a.prompt, seed=11, index=1),
            SampleRequest(puzzle=b, prompt=b.prompt, seed=12, index=0)]


@pytest.mark.parametrize("name", DIFFUSION_MODELS)
def test_batched_candidates_equal_candidates_made_one_by_one(name, tiny_model):
    sampler = build("samplers", name, tiny_args(name, tiny_model(name)) | {"max_batch": 3})
    assert isinstance(sampler, Sampler)
    reqs = requests()
    batched = list(sampler.generate(reqs))
    assert len(batched) == 3
    for request, video in zip(reqs, batched, strict=True):
        (alone,) = sampler.generate([request])
        assert video.frames.dtype == np.uint8 and video.frames.ndim == 4 and video.frames.shape[-1] == 3
        assert video.size == (sampler.width, sampler.height) and video.fps == sampler.fps
        # One uint8 level of float noise between a batch of 3 and a batch of 1.
        np.testing.assert_allclose(video.frames.astype(int), alone.frames.astype(int), atol=1)
        assert video.meta["input_transform"]["fit"] == "letterbox"
    # Different seeds really give different videos (the comparison above could not pass by accident).
    assert np.abs(batched[0].frames.astype(int) - batched[1].frames.astype(int)).max() > 8


@pytest.mark.parametrize("name", DIFFUSION_MODELS)
def test_bench_run_with_two_candidates_writes_verified_videos(name, tiny_model, tmp_path):
    suite = tmp_path / "one-maze.toml"
    suite.write_text(ONE_MAZE_SUITE)
    args = tiny_args(name, tiny_model(name)) | {"max_batch": 2}
    out = tmp_path / "run"
    summary = run_bench(BenchConfig(model={"name": name, "args": args}, suite=str(suite), samples=2,
                                    out=out, jobs=1, quiet=True))
    assert summary.overall.n_samples == 2
    folder = RunFolder(out)
    records = sorted(folder.journal.read(), key=lambda r: r.index)
    assert [r.index for r in records] == [0, 1]
    for record in records:
        assert record.status == "ok", record.error
        assert (out / record.video).is_file()
        assert record.verdict is not None and record.verdict.status in ("ok", "unreadable")
        transform = record.extra["sampler"]["input_transform"]
        assert transform["source_size"] == [512, 512] and transform["video_size"] == [args["width"]] * 2
    manifest = folder.read_manifest()
    assert manifest.sampler.name == name
    assert {k: manifest.sampler.args[k] for k in args} == args  # every given argument, as given
    assert manifest.sampler.args["guidance"] > 0 and manifest.sampler.args["fit"] == "letterbox"


def test_cli_bench_records_typed_arguments_and_resumes_only_the_same_run(tiny_model, tmp_path, capsys):
    from genreason.cli import main

    suite = tmp_path / "one-maze.toml"
    suite.write_text(ONE_MAZE_SUITE)
    args = tiny_args("ltx-video", tiny_model("ltx-video"))
    command = ["bench", "--model", "ltx-video", "--suite", str(suite), "--samples", "2", "--out",
               str(tmp_path / "run"), "--jobs", "1", "--quiet"]
    command += [f"-a{key}={value}" for key, value in args.items()]
    assert main(command) == 0
    manifest = json.loads((tmp_path / "run" / "run.json").read_text())
    assert manifest["sampler"]["args"]["height"] == 32 and manifest["sampler"]["args"]["fps"] == 24.0
    assert main(command) == 0  # the same command again: resumed, nothing left to make
    assert len(RunFolder(tmp_path / "run").journal.read()) == 2
    capsys.readouterr()
    assert main([*command, "-asteps=3"]) == 2
    assert "different sampler" in capsys.readouterr().err


def test_spec_rebuilds_the_same_sampler_and_defaults_are_resolved(tiny_model):
    args = tiny_args("wan2.2-a14b", tiny_model("wan2.2-a14b"))
    spec = build("samplers", "wan2.2-a14b", args).spec()
    assert spec.args["fps"] == 16.0 and spec.args["guidance"] == 3.5 and spec.args["guidance_2"] == 3.5
    assert spec.args["negative_prompt"] and spec.args["max_batch"] == 1
    assert build("samplers", "wan2.2-a14b", spec.args).spec() == spec
    # Strings from the command line (-a key=value) are converted by annotation.
    strings = {k: str(v) for k, v in args.items()} | {"guidance_2": "2.5", "vae_tiling": "true"}
    rebuilt = build("samplers", "wan2.2-a14b", strings).spec().args
    assert rebuilt["height"] == 16 and rebuilt["guidance_2"] == 2.5 and rebuilt["vae_tiling"] is True


def test_resize_fit_stretches_and_is_recorded(tiny_model):
    sampler = build("samplers", "wan2.2", tiny_args("wan2.2", tiny_model("wan2.2")) | {"width": 64, "fit": "resize"})
    (video,) = sampler.generate(requests()[:1])
    assert video.size == (64, 32)
    assert video.meta["input_transform"] == {"fit": "resize", "source_size": [512, 512], "video_size": [64, 32],
                                             "scale": [0.125, 0.0625], "offset": [0, 0]}


def test_wan_keeps_its_vae_in_float32_under_bfloat16(tiny_model):
    sampler = build("samplers", "wan2.2", tiny_args("wan2.2", tiny_model("wan2.2")) | {"dtype": "bfloat16"})
    assert sampler.pipe.transformer.dtype == torch.bfloat16 and sampler.pipe.vae.dtype == torch.float32
    (video,) = sampler.generate(requests()[:1])
    assert video.frames.shape == (5, 32, 32, 3) and video.frames.dtype == np.uint8


def test_native_attention_backend_is_accepted(tiny_model):
    sampler = build("samplers", "ltx-video", tiny_args("ltx-video", tiny_model("ltx-video")) | {"attention": "native"})
    (video,) = sampler.generate(requests()[:1])
    assert video.num_frames == 9


@pytest.mark.parametrize(("change", "message"), [
    ({"height": 40}, "height must be a positive multiple of 32"),
    ({"num_frames": 6}, "num_frames - 1 must be a positive multiple of 4"),
    ({"fit": "crop"}, "fit must be one of letterbox, resize"),
    ({"dtype": "int8"}, "dtype must be one of"),
    ({"offload": "model"}, "needs device=cuda"),
    ({"max_batch": 0}, "max_batch must be at least 1"),
    ({"attention": "warp-drive"}, "unknown attention backend 'warp-drive'"),
    ({"colour": "red"}, "does not take argument"),
])
def test_bad_arguments_fail_with_one_clear_message(change, message, tiny_model):
    with pytest.raises(GenreasonError, match=message):
        build("samplers", "wan2.2", tiny_args("wan2.2", tiny_model("wan2.2")) | change)


@pytest.mark.skipif(__import__("importlib.util").util.find_spec("xformers") is not None,
                    reason="xformers is installed")
def test_xformers_without_the_package_says_so(tiny_model):
    with pytest.raises(GenreasonError, match="needs the xformers package"):
        build("samplers", "wan2.2", tiny_args("wan2.2", tiny_model("wan2.2")) | {"attention": "xformers"})


def test_model_path_must_be_a_pipeline_folder_or_a_hub_id(tmp_path):
    with pytest.raises(BadInput, match="model folder not found"):
        build("samplers", "ltx-video", {"model_path": str(tmp_path / "missing"), "device": "cpu"})
    with pytest.raises(BadInput, match="no model_index.json"):
        build("samplers", "ltx-video", {"model_path": str(tmp_path), "device": "cpu"})
    (tmp_path / "weights.bin").write_bytes(b"0")
    with pytest.raises(BadInput, match="is a file, not a diffusers pipeline folder"):
        build("samplers", "ltx-video", {"model_path": str(tmp_path / "weights.bin"), "device": "cpu"})


def test_hunyuan_prompt_template_must_be_json(tiny_model):
    args = tiny_args("hunyuanvideo-i2v", tiny_model("hunyuanvideo-i2v"))
    with pytest.raises(GenreasonError, match="prompt_template is not valid JSON"):
        build("samplers", "hunyuanvideo-i2v", args | {"prompt_template": "{template"})
    with pytest.raises(GenreasonError, match='"template" key'):
        build("samplers", "hunyuanvideo-i2v", args | {"prompt_template": json.dumps([1])})


@needs_cuda
@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
@pytest.mark.parametrize("offload", ["none", "model"])
def test_half_precision_on_cuda_keeps_seeds_reproducible(dtype, offload, tiny_model):
    args = tiny_args("wan2.2", tiny_model("wan2.2")) | {"device": "cuda", "dtype": dtype, "offload": offload,
                                                         "max_batch": 2}
    sampler = build("samplers", "wan2.2", args)
    reqs = requests()[:2]
    batched = list(sampler.generate(reqs))
    alone = [next(iter(sampler.generate([r]))) for r in reqs]
    for a, b in zip(batched, alone, strict=True):
        assert a.frames.dtype == np.uint8 and a.frames.shape == (5, 32, 32, 3)
        np.testing.assert_allclose(a.frames.astype(int), b.frames.astype(int), atol=3)
