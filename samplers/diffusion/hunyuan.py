"""HunyuanVideo-I2V (``hunyuanvideo-i2v``) through diffusers' ``HunyuanVideoImageToVideoPipeline``.

Its Llava text encoder reads the prompt inside a chat template together with
the image; a batch is lists of images and prompts with one generator each.
"""

from __future__ import annotations

import json
from typing import Any

from samplers.diffusion.base import DiffusionSampler, ModelDefaults


class HunyuanVideoI2VSampler(DiffusionSampler):
    """HunyuanVideo-I2V: 1280 x 720, 129 frames at 24 fps, 50 steps, embedded guidance 6.

    Args:
        prompt_template: JSON of the Llava prompt template (``template``,
            ``crop_start``, ``image_emb_start``, ``image_emb_end``,
            ``image_emb_len``); default the pipeline's, which fits the released
            text encoder. Only a differently built text encoder needs another.
        (the others as :class:`~samplers.diffusion.base.DiffusionSampler`)
    """

    name = "hunyuanvideo-i2v"
    pipeline_class = "HunyuanVideoImageToVideoPipeline"
    defaults = ModelDefaults(hub_id="hunyuanvideo-community/HunyuanVideo-I2V", height=720, width=1280,
                             num_frames=129, fps=24.0, steps=50, guidance=6.0)

    def __init__(self, model_path: str | None = None, device: str = "auto", dtype: str = "auto",
                 offload: str = "none", vae_tiling: bool = False, attention: str | None = None,
                 height: int | None = None, width: int | None = None, num_frames: int | None = None,
                 fps: float | None = None, steps: int | None = None, guidance: float | None = None,
                 negative_prompt: str | None = None, fit: str = "letterbox", max_batch: int = 1,
                 prompt_template: str | None = None) -> None:
        self._setup(locals())

    def _resolve_extra(self) -> None:
        self._template = None
        if self.prompt_template is not None:
            try:
                self._template = json.loads(self.prompt_template)
            except json.JSONDecodeError as exc:
                self._check(False, f"prompt_template is not valid JSON: {exc.msg}")
            self._check(isinstance(self._template, dict) and "template" in self._template,
                        'prompt_template must be a JSON object with a "template" key')

    def _call_kwargs(self) -> dict[str, Any]:
        return {"prompt_template": self._template} if self._template is not None else {}
