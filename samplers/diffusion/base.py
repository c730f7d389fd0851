"""What every diffusers image-to-video sampler shares: loading, memory options, fitting, batching.

A model family is a subclass that names its diffusers pipeline class, its hub
id and its recommended settings (:class:`ModelDefaults`), and says how its
pipeline batches. torch and diffusers are imported only when a sampler is
built, so ``import genreason`` and ``genreason plugins`` work without them.

Batches: the N candidates of a puzzle are made in one pipeline call with one
``torch.Generator`` per sample, seeded with that sample's seed, so sample
``i`` is the same video whether it is made alone or in a batch.
"""

from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from genreason.errors import BadInput, GenreasonError
from genreason.types import ComponentSpec, SampleRequest, Video
from samplers.diffusion.framing import FIT_MODES, fit_frame

INSTALL_HINT = "pip install 'genreason[diffusers]'"
DTYPES = ("auto", "float32", "float16", "bfloat16")
OFFLOAD = ("none", "model", "sequential")


@dataclass(frozen=True)
class ModelDefaults:
    """A model's published recommended settings, and the shape rules of its pipeline.

    ``size_multiple``: height and width must be multiples of it;
    ``frame_step``: ``num_frames - 1`` must be a multiple of it.
    """

    hub_id: str
    height: int
    width: int
    num_frames: int
    fps: float
    steps: int
    guidance: float
    negative_prompt: str = ""
    size_multiple: int = 16
    frame_step: int = 4


def require_torch(sampler: str) -> None:
    """Raise a :class:`GenreasonError` naming the extra to install when torch or diffusers is missing."""
    for module in ("torch", "diffusers", "transformers"):
        try:
            __import__(module)
        except ImportError as exc:
            if getattr(exc, "name", None) != module:  # installed, but it fails to import
                raise GenreasonError(f"the {sampler} sampler could not import {module} ({exc}): "
                                     f"{INSTALL_HINT}") from None
            raise GenreasonError(f"the {sampler} sampler needs {module}, which is not installed: "
                                 f"{INSTALL_HINT}") from None


class DiffusionSampler:
    """A diffusers image-to-video pipeline as a genreason sampler.

    Every constructor argument is stored under its own name with defaults
    resolved (``None`` becomes the model's recommended value), so
    :meth:`spec` records exactly what ran and rebuilds the same sampler.

    Args:
        model_path: A local folder written by ``save_pretrained`` (or a hub
            snapshot), or a hub id; default the model's hub id. Both go through
            the same ``from_pretrained``.
        device: ``auto`` (CUDA when available, else CPU), ``cpu``, ``cuda``, ``cuda:1``...
        dtype: ``auto`` (bfloat16 on CUDA, float32 on CPU), ``float32``, ``float16``, ``bfloat16``.
        offload: ``none``, ``model`` (whole models moved to the GPU when used) or
            ``sequential`` (layer by layer: least memory, slowest). CUDA only.
        vae_tiling: Decode the video in tiles (less memory at high resolution).
        attention: A diffusers attention backend for the transformer(s)
            (``native``, ``flash``, ``sage``, ``xformers``, ...); default the pipeline's own.
        height, width: Output size in pixels; default the model's recommended one.
        num_frames, fps, steps, guidance: Frames, playback rate, denoising steps,
            classifier-free guidance scale; default the model's recommended ones.
        negative_prompt: Default the model's recommended one.
        fit: How the puzzle's first frame is fitted to ``width`` x ``height``:
            ``letterbox`` (keeps the board's aspect) or ``resize`` (stretches).
        max_batch: Videos per pipeline call. Default 1: at the recommended sizes
            one video already fills most of an 80 GB GPU; raise it when memory allows.
    """

    name: ClassVar[str]
    pipeline_class: ClassVar[str]
    defaults: ClassVar[ModelDefaults]
    # True: batch with num_videos_per_prompt (one image and prompt per call);
    # False: batch with lists of images and prompts (any mix of puzzles).
    per_prompt_batching: ClassVar[bool] = False

    def __init__(self, model_path: str | None = None, device: str = "auto", dtype: str = "auto",
                 offload: str = "none", vae_tiling: bool = False, attention: str | None = None,
                 height: int | None = None, width: int | None = None, num_frames: int | None = None,
                 fps: float | None = None, steps: int | None = None, guidance: float | None = None,
                 negative_prompt: str | None = None, fit: str = "letterbox", max_batch: int = 1) -> None:
        self._setup(locals())

    # --- building -------------------------------------------------------------------------------

    def _setup(self, given: dict[str, Any]) -> None:
        """Store the constructor arguments (defaults resolved), check them, then load the pipeline."""
        d = self.defaults
        for param in self._params():
            setattr(self, param, given[param])
        self.model_path = self.model_path or d.hub_id
        self.height = self.height or d.height
        self.width = self.width or d.width
        self.num_frames = self.num_frames or d.num_frames
        self.fps = float(self.fps or d.fps)
        self.steps = self.steps or d.steps
        self.guidance = float(d.guidance if self.guidance is None else self.guidance)
        self.negative_prompt = d.negative_prompt if self.negative_prompt is None else self.negative_prompt
        self._resolve_extra()
        self._check_args()
        require_torch(self.name)
        import torch

        # The device the pipeline runs on; ``device`` keeps what was asked (e.g. "auto") for the spec.
        self.torch_device = self.device if self.device != "auto" else "cuda" if torch.cuda.is_available() else "cpu"
        if self.dtype == "auto":
            self.dtype = "bfloat16" if self.torch_device.startswith("cuda") else "float32"
        self._check(self.offload == "none" or self.torch_device.startswith("cuda"),
                    f"offload={self.offload} moves models to and from a GPU; it needs device=cuda")
        self.pipe = self._load()

    def _resolve_extra(self) -> None:
        """Resolve the defaults of a subclass's own arguments."""

    def _params(self) -> list[str]:
        return list(inspect.signature(type(self).__init__).parameters)[1:]

    def _check(self, ok: bool, problem: str) -> None:
        if not ok:
            raise GenreasonError(f"{self.name} sampler: {problem}")

    def _check_args(self) -> None:
        d = self.defaults
        self._check(self.dtype in DTYPES, f"dtype must be one of {', '.join(DTYPES)}, got {self.dtype!r}")
        self._check(self.offload in OFFLOAD, f"offload must be one of {', '.join(OFFLOAD)}, got {self.offload!r}")
        self._check(self.fit in FIT_MODES, f"fit must be one of {', '.join(FIT_MODES)}, got {self.fit!r}")
        for side in ("height", "width"):
            value = getattr(self, side)
            self._check(value > 0 and value % d.size_multiple == 0,
                        f"{side} must be a positive multiple of {d.size_multiple}, got {value}")
        self._check(self.num_frames > 1 and (self.num_frames - 1) % d.frame_step == 0,
                    f"num_frames - 1 must be a positive multiple of {d.frame_step} (e.g. {d.num_frames}), "
                    f"got {self.num_frames}")
        self._check(self.fps > 0, f"fps must be positive, got {self.fps}")
        self._check(self.steps >= 1, f"steps must be at least 1, got {self.steps}")
        self._check(self.max_batch >= 1, f"max_batch must be at least 1, got {self.max_batch}")

    def _load(self) -> Any:
        import diffusers
        import torch

        source = self._source()
        dtype = getattr(torch, self.dtype)
        pipeline_class = getattr(diffusers, self.pipeline_class)
        try:
            pipe = pipeline_class.from_pretrained(source, dtype=dtype, **self._load_kwargs(source))
        except (OSError, ValueError) as exc:
            raise GenreasonError(f"{self.name} sampler: could not load {source} as a {self.pipeline_class}: "
                                 f"{exc}; pass -a model_path=<local folder> for weights on disk") from None
        pipe.set_progress_bar_config(disable=True)
        if self.vae_tiling:
            pipe.vae.enable_tiling()
        self._set_attention(pipe)
        if self.offload == "model":
            pipe.enable_model_cpu_offload(device=self.torch_device)
        elif self.offload == "sequential":
            pipe.enable_sequential_cpu_offload(device=self.torch_device)
        else:
            pipe.to(self.torch_device)
        return pipe

    def _source(self) -> str:
        """The local folder when ``model_path`` is one, else the hub id."""
        path = Path(self.model_path).expanduser()
        if path.is_dir():
            if not (path / "model_index.json").is_file():
                raise BadInput(path, "has no model_index.json, so it is not a diffusers pipeline folder",
                               "pass the folder that save_pretrained wrote, or a hub snapshot")
            return str(path)
        if path.exists():
            raise BadInput(path, "is a file, not a diffusers pipeline folder",
                           "pass the folder that holds model_index.json")
        if self.model_path.startswith(("/", ".", "~")) or self.model_path.count("/") != 1:
            raise BadInput(path, "model folder not found (and it is not a hub id of the form owner/name)",
                           f"pass -a model_path=<folder> or a hub id such as {self.defaults.hub_id}")
        return self.model_path

    def _load_kwargs(self, source: str) -> dict[str, Any]:
        """Extra ``from_pretrained`` arguments of a family (e.g. a component kept in float32)."""
        return {}

    def _set_attention(self, pipe: Any) -> None:
        if self.attention is None:
            return
        from diffusers.models.attention_dispatch import AttentionBackendName

        known = [b.value for b in AttentionBackendName]
        self._check(self.attention in known, f"unknown attention backend {self.attention!r}; "
                    f"diffusers knows: {', '.join(known)}")
        if self.attention.startswith("xformers"):
            self._check(importlib.util.find_spec("xformers") is not None,
                        "attention=xformers needs the xformers package, which is not installed "
                        "(pip install xformers, a build matching your torch)")
        for transformer in (pipe.transformer, getattr(pipe, "transformer_2", None)):
            if transformer is None:
                continue
            try:
                transformer.set_attention_backend(self.attention)
            except (ImportError, RuntimeError, ValueError) as exc:
                raise GenreasonError(f"{self.name} sampler: attention backend {self.attention!r} "
                                     f"cannot be used here: {exc}") from None

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name, args={p: getattr(self, p) for p in self._params()})

    # --- generating -----------------------------------------------------------------------------

    def generate(self, requests: Sequence[SampleRequest]) -> Iterator[Video]:
        """One video per request, in order; each batch is one pipeline call."""
        for batch in self._batches(requests):
            yield from self._generate_batch(batch)

    def _batches(self, requests: Sequence[SampleRequest]) -> Iterator[list[SampleRequest]]:
        batch: list[SampleRequest] = []
        for request in requests:
            if batch and (len(batch) == self.max_batch
                          or (self.per_prompt_batching and not _same_input(batch[0], request))):
                yield batch
                batch = []
            batch.append(request)
        if batch:
            yield batch

    def _generate_batch(self, batch: list[SampleRequest]) -> Iterator[Video]:
        import torch
        from PIL import Image

        fitted = [fit_frame(r.image, self.width, self.height, self.fit) for r in batch]
        images = [Image.fromarray(frame) for frame, _ in fitted]
        prompts = [r.prompt for r in batch]
        # CPU generators: the same seed gives the same starting noise on every device.
        generators = [torch.Generator(device="cpu").manual_seed(r.seed) for r in batch]
        kwargs = dict(height=self.height, width=self.width, num_frames=self.num_frames,
                      num_inference_steps=self.steps, guidance_scale=self.guidance,
                      negative_prompt=self.negative_prompt, generator=generators, output_type="np",
                      **self._call_kwargs())
        if self.per_prompt_batching:
            out = self.pipe(image=images[0], prompt=prompts[0], num_videos_per_prompt=len(batch), **kwargs)
        else:
            out = self.pipe(image=images, prompt=prompts, **kwargs)
        videos = np.asarray(out.frames)
        if videos.shape[0] != len(batch):
            raise GenreasonError(f"{self.name} sampler: the pipeline returned {videos.shape[0]} videos "
                                 f"for {len(batch)} requests")
        for frames, (_, transform) in zip(videos, fitted, strict=True):
            yield Video(frames=to_uint8(frames), fps=self.fps,
                        meta={"model": self.name, "input_transform": transform.as_dict()})

    def _call_kwargs(self) -> dict[str, Any]:
        """Pipeline arguments of a family beyond the common ones."""
        return {}


def _same_input(a: SampleRequest, b: SampleRequest) -> bool:
    return a.puzzle.id == b.puzzle.id and a.prompt == b.prompt


def to_uint8(frames: np.ndarray) -> np.ndarray:
    """Pipeline output (F x H x W x 3 floats in [0, 1]) as uint8 frames."""
    return np.ascontiguousarray(np.clip(np.round(np.asarray(frames, dtype=np.float32) * 255.0), 0, 255)
                                .astype(np.uint8))
