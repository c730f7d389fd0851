"""Wan 2.2 image-to-video: TI2V-5B (``wan2.2``) and the two-expert I2V-A14B (``wan2.2-a14b``).

Both use diffusers' ``WanImageToVideoPipeline``, which makes N videos of one
image and prompt with ``num_videos_per_prompt=N`` and a list of N generators
(sample ``i`` matches a single run with seed ``i``).
"""

from __future__ import annotations

from typing import Any

from samplers.diffusion.base import DiffusionSampler, ModelDefaults

# The negative prompt of diffusers' Wan examples (the English form of the model card's).
WAN_NEGATIVE = ("Bright tones, overexposed, static, blurred details, subtitles, style, works, paintings, images, "
                "static, overall gray, worst quality, low quality, JPEG compression residue, ugly, incomplete, "
                "extra fingers, poorly drawn hands, poorly drawn faces, deformed, disfigured, misshapen limbs, "
                "fused fingers, still picture, messy background, three legs, many people in the background, "
                "walking backwards")


class _Wan(DiffusionSampler):
    pipeline_class = "WanImageToVideoPipeline"
    per_prompt_batching = True

    def _load_kwargs(self, source: str) -> dict[str, Any]:
        # Wan's examples keep the VAE in float32 whatever the transformer's dtype: bf16 decoding bands.
        if self.dtype == "float32":
            return {}
        import torch
        from diffusers import AutoencoderKLWan

        return {"vae": AutoencoderKLWan.from_pretrained(source, subfolder="vae", dtype=torch.float32)}


class Wan22Sampler(_Wan):
    """Wan2.2-TI2V-5B: 1280 x 704, 121 frames at 24 fps (its VAE compresses 16 x 16 pixels, so sizes are multiples of 32)."""

    name = "wan2.2"
    defaults = ModelDefaults(hub_id="Wan-AI/Wan2.2-TI2V-5B-Diffusers", height=704, width=1280, num_frames=121,
                             fps=24.0, steps=50, guidance=5.0, negative_prompt=WAN_NEGATIVE, size_multiple=32)


class Wan22A14BSampler(_Wan):
    """Wan2.2-I2V-A14B: a high-noise and a low-noise expert; 832 x 480, 81 frames at 16 fps.

    Args:
        guidance_2: Guidance of the low-noise expert (``transformer_2``); default ``guidance``.
        (the others as :class:`~samplers.diffusion.base.DiffusionSampler`)
    """

    name = "wan2.2-a14b"
    defaults = ModelDefaults(hub_id="Wan-AI/Wan2.2-I2V-A14B-Diffusers", height=480, width=832, num_frames=81,
                             fps=16.0, steps=40, guidance=3.5, negative_prompt=WAN_NEGATIVE)

    def __init__(self, model_path: str | None = None, device: str = "auto", dtype: str = "auto",
                 offload: str = "none", vae_tiling: bool = False, attention: str | None = None,
                 height: int | None = None, width: int | None = None, num_frames: int | None = None,
                 fps: float | None = None, steps: int | None = None, guidance: float | None = None,
                 negative_prompt: str | None = None, fit: str = "letterbox", max_batch: int = 1,
                 guidance_2: float | None = None) -> None:
        self._setup(locals())

    def _resolve_extra(self) -> None:
        self.guidance_2 = float(self.guidance if self.guidance_2 is None else self.guidance_2)

    def _call_kwargs(self) -> dict[str, Any]:
        return {"guidance_scale_2": self.guidance_2}
