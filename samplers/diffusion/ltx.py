"""LTX-Video (``ltx-video``) through diffusers' ``LTXImageToVideoPipeline``.

That pipeline fails with ``num_videos_per_prompt=N`` plus a list of
generators, so a batch is lists of images and prompts with one generator each.
"""

from __future__ import annotations

from typing import Any

from samplers.diffusion.base import DiffusionSampler, ModelDefaults


class LTXVideoSampler(DiffusionSampler):
    """LTX-Video: 704 x 480, 161 frames at 24 fps, 50 steps, guidance 3 (sizes multiples of 32, frames 8k+1)."""

    name = "ltx-video"
    pipeline_class = "LTXImageToVideoPipeline"
    defaults = ModelDefaults(hub_id="Lightricks/LTX-Video", height=480, width=704, num_frames=161, fps=24.0,
                             steps=50, guidance=3.0,
                             negative_prompt="worst quality, inconsistent motion, blurry, jittery, distorted",
                             size_multiple=32, frame_step=8)

    def _call_kwargs(self) -> dict[str, Any]:
        return {"frame_rate": round(self.fps)}  # LTX conditions its motion on the frame rate
