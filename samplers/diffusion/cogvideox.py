"""CogVideoX-5B I2V (``cogvideox-i2v``) through diffusers' ``CogVideoXImageToVideoPipeline``.

The pipeline ignores ``num_videos_per_prompt``, so a batch is lists of images
and prompts with one generator each (which also lets one call mix puzzles).
Its transformer learned positional embeddings for 720 x 480 only: keep that size.
"""

from __future__ import annotations

from typing import Any

from samplers.diffusion.base import DiffusionSampler, ModelDefaults


class CogVideoXI2VSampler(DiffusionSampler):
    """CogVideoX-5b-I2V: 720 x 480, 49 frames at 8 fps, 50 steps, guidance 6 with dynamic CFG."""

    name = "cogvideox-i2v"
    pipeline_class = "CogVideoXImageToVideoPipeline"
    defaults = ModelDefaults(hub_id="THUDM/CogVideoX-5b-I2V", height=480, width=720, num_frames=49, fps=8.0,
                             steps=50, guidance=6.0)

    def _call_kwargs(self) -> dict[str, Any]:
        return {"use_dynamic_cfg": True}  # as in the model card's example
