"""Tiny random-weight pipelines of every supported model family, for tests and benchmarks.

Each builder makes the real diffusers pipeline class from small configs (as
diffusers' own fast tests do) with a tokenizer built in memory, so nothing is
downloaded. :func:`save_tiny` writes one with ``save_pretrained``; a sampler
then loads that folder through ``model_path`` exactly as it loads real
weights. The outputs are noise: these pipelines exercise the code, never the
model.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

LETTERS = "abcdefghijklmnopqrstuvwxyz"

# The Llava prompt template the tiny HunyuanVideo text encoder can read: its
# vision tower (224 px, patches of 32) yields 7 x 7 = 49 image tokens.
HUNYUAN_TINY_TEMPLATE = {"template": "{}", "crop_start": 0, "image_emb_len": 49,
                         "image_emb_start": 5, "image_emb_end": 54}


def _t5_parts(umt5: bool = False) -> tuple[Any, Any]:
    """A letters-only T5 tokenizer built in memory, and a 32-wide (U)T5 encoder (Wan uses UMT5)."""
    from transformers import (
        T5Config,
        T5EncoderModel,
        T5Tokenizer,
        UMT5Config,
        UMT5EncoderModel,
    )

    vocab = [("<pad>", 0.0), ("</s>", 0.0), ("<unk>", 0.0), ("\u2581", -2.0)] + [(c, -3.0) for c in LETTERS]
    tokenizer = T5Tokenizer(vocab=vocab, extra_ids=0)
    config, model = (UMT5Config, UMT5EncoderModel) if umt5 else (T5Config, T5EncoderModel)
    encoder = model(config(vocab_size=len(tokenizer), d_model=32, d_kv=8, d_ff=37, num_layers=2, num_heads=4,
                           relative_attention_num_buckets=8))
    return tokenizer, encoder


def tiny_wan_a14b() -> Any:
    """Wan 2.2 I2V A14B layout: two experts switched at ``boundary_ratio``, 16-channel VAE."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        UniPCMultistepScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    experts = []
    for _ in range(2):
        experts.append(WanTransformer3DModel(
            patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=36, out_channels=16,
            text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
            qk_norm="rms_norm_across_heads", rope_max_seq_len=32))
    tokenizer, encoder = _t5_parts(umt5=True)
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    return WanImageToVideoPipeline(tokenizer=tokenizer, text_encoder=encoder, vae=vae, scheduler=scheduler,
                                   transformer=experts[0], transformer_2=experts[1], image_encoder=None,
                                   image_processor=None, boundary_ratio=0.875)


def tiny_wan_ti2v() -> Any:
    """Wan 2.2 TI2V-5B layout: one transformer, 48-channel VAE, ``expand_timesteps``."""
    import torch
    from diffusers import (
        AutoencoderKLWan,
        UniPCMultistepScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=48, in_channels=12, out_channels=12, is_residual=True, patch_size=2,
                           latents_mean=[0.0] * 48, latents_std=[1.0] * 48, dim_mult=[1, 1, 1, 1],
                           num_res_blocks=1, scale_factor_spatial=16, scale_factor_temporal=4,
                           temperal_downsample=[False, True, True])
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=48, out_channels=48,
        text_dim=32, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32)
    tokenizer, encoder = _t5_parts(umt5=True)
    scheduler = UniPCMultistepScheduler(prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0)
    return WanImageToVideoPipeline(tokenizer=tokenizer, text_encoder=encoder, vae=vae, scheduler=scheduler,
                                   transformer=transformer, transformer_2=None, image_encoder=None,
                                   image_processor=None, boundary_ratio=None, expand_timesteps=True)


def tiny_cogvideox() -> Any:
    """CogVideoX I2V layout; its learned positional embeddings fix the size at 32 x 32 pixels, 9 frames.

    226 text tokens, the pipeline's default ``max_sequence_length``, like the real model.
    """
    import torch
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXImageToVideoPipeline,
        CogVideoXTransformer3DModel,
        DDIMScheduler,
    )

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=2, attention_head_dim=16, in_channels=8, out_channels=4, time_embed_dim=2,
        text_embed_dim=32, num_layers=1, sample_width=4, sample_height=4, sample_frames=9, patch_size=2,
        temporal_compression_ratio=4, max_text_seq_length=226, use_rotary_positional_embeddings=True,
        use_learned_positional_embeddings=True)
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3, down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), latent_channels=4,
        layers_per_block=1, norm_num_groups=2, temporal_compression_ratio=4)
    tokenizer, encoder = _t5_parts()
    return CogVideoXImageToVideoPipeline(tokenizer=tokenizer, text_encoder=encoder, vae=vae,
                                         transformer=transformer, scheduler=DDIMScheduler())


def tiny_ltx() -> Any:
    """LTX-Video I2V layout."""
    import torch
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXImageToVideoPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4, attention_head_dim=8,
        cross_attention_dim=32, num_layers=1, caption_channels=32)
    vae = AutoencoderKLLTXVideo(
        in_channels=3, out_channels=3, latent_channels=8, block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8), layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1), spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False), upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1), timestep_conditioning=False, patch_size=1, patch_size_t=1,
        encoder_causal=True, decoder_causal=False)
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    tokenizer, encoder = _t5_parts()
    return LTXImageToVideoPipeline(tokenizer=tokenizer, text_encoder=encoder, vae=vae, transformer=transformer,
                                   scheduler=FlowMatchEulerDiscreteScheduler())


def tiny_hunyuan() -> Any:
    """HunyuanVideo I2V layout: a Llava text encoder that also sees the image, and a CLIP text encoder.

    Needs :data:`HUNYUAN_TINY_TEMPLATE` as the prompt template (the real one
    assumes 576 image tokens and a real Llama chat template).
    """
    import torch
    from diffusers import (
        AutoencoderKLHunyuanVideo,
        FlowMatchEulerDiscreteScheduler,
        HunyuanVideoImageToVideoPipeline,
        HunyuanVideoTransformer3DModel,
    )
    from transformers import (
        CLIPImageProcessor,
        CLIPTextConfig,
        CLIPTextModel,
        CLIPTokenizer,
        CLIPVisionConfig,
        LlamaConfig,
        LlamaTokenizer,
        LlavaConfig,
        LlavaForConditionalGeneration,
    )

    torch.manual_seed(0)
    transformer = HunyuanVideoTransformer3DModel(
        in_channels=2 * 4 + 1, out_channels=4, num_attention_heads=2, attention_head_dim=10, num_layers=1,
        num_single_layers=1, num_refiner_layers=1, patch_size=1, patch_size_t=1, guidance_embeds=False,
        text_embed_dim=16, pooled_projection_dim=8, rope_axes_dim=(2, 4, 4), image_condition_type="latent_concat")
    vae = AutoencoderKLHunyuanVideo(
        in_channels=3, out_channels=3, latent_channels=4, down_block_types=("HunyuanVideoDownBlock3D",) * 4,
        up_block_types=("HunyuanVideoUpBlock3D",) * 4, block_out_channels=(8, 8, 8, 8), layers_per_block=1,
        act_fn="silu", norm_num_groups=4, scaling_factor=0.476986, spatial_compression_ratio=8,
        temporal_compression_ratio=4, mid_block_add_attention=True)
    text_config = LlamaConfig(bos_token_id=0, eos_token_id=2, hidden_size=16, intermediate_size=37,
                              num_attention_heads=4, num_hidden_layers=2, pad_token_id=100, vocab_size=1000,
                              hidden_act="gelu")
    vision_config = CLIPVisionConfig(hidden_size=8, intermediate_size=37, projection_dim=32, num_attention_heads=4,
                                     num_hidden_layers=2, image_size=224)
    text_encoder = LlavaForConditionalGeneration(LlavaConfig(vision_config=vision_config, text_config=text_config,
                                                             pad_token_id=100, image_token_index=101))
    llama_vocab = {"<unk>": 0, "<s>": 1, "</s>": 2, "\u2581": 3} | {c: 4 + i for i, c in enumerate(LETTERS)}
    tokenizer = LlamaTokenizer(vocab=llama_vocab, merges=[])
    tokenizer.pad_token = "<unk>"
    text_encoder_2 = CLIPTextModel(CLIPTextConfig(bos_token_id=0, eos_token_id=2, hidden_size=8, intermediate_size=37,
                                                  num_attention_heads=4, num_hidden_layers=2, pad_token_id=1,
                                                  vocab_size=1000, hidden_act="gelu", projection_dim=32))
    clip_vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1} | {c + "</w>": 2 + i for i, c in enumerate(LETTERS)} \
        | {c: 28 + i for i, c in enumerate(LETTERS)}
    tokenizer_2 = CLIPTokenizer(vocab=clip_vocab, merges=[])
    image_processor = CLIPImageProcessor(crop_size=224, do_center_crop=True, do_normalize=True, do_resize=True,
                                         image_mean=[0.48145466, 0.4578275, 0.40821073],
                                         image_std=[0.26862954, 0.26130258, 0.27577711], resample=3, size=224)
    return HunyuanVideoImageToVideoPipeline(
        text_encoder=text_encoder, tokenizer=tokenizer, transformer=transformer, vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=7.0), text_encoder_2=text_encoder_2,
        tokenizer_2=tokenizer_2, image_processor=image_processor)


TINY: dict[str, Callable[[], Any]] = {
    "wan2.2": tiny_wan_ti2v,
    "wan2.2-a14b": tiny_wan_a14b,
    "cogvideox-i2v": tiny_cogvideox,
    "ltx-video": tiny_ltx,
    "hunyuanvideo-i2v": tiny_hunyuan,
}


def save_tiny(model: str, folder: str | Path) -> Path:
    """Build the tiny pipeline of sampler ``model`` and ``save_pretrained`` it into ``folder``."""
    folder = Path(folder)
    TINY[model]().save_pretrained(folder)
    return folder


def tiny_args(model: str, folder: str | Path) -> dict[str, Any]:
    """Sampler arguments that run the tiny pipeline of ``model`` saved in ``folder``, on CPU, in float32.

    The sizes are the smallest each tiny model accepts (CogVideoX's learned
    positional embeddings fix 32 x 32 and 9 frames; LTX needs 8k+1 frames;
    HunyuanVideo drops 4 frames of the 9, keeping 5).
    """
    import json

    size, frames = {"wan2.2": (32, 5), "wan2.2-a14b": (16, 5), "cogvideox-i2v": (32, 9),
                    "ltx-video": (32, 9), "hunyuanvideo-i2v": (16, 9)}[model]
    args: dict[str, Any] = {"model_path": str(folder), "device": "cpu", "dtype": "float32", "height": size,
                            "width": size, "num_frames": frames, "steps": 2}
    if model == "hunyuanvideo-i2v":
        args["prompt_template"] = json.dumps(HUNYUAN_TINY_TEMPLATE)
    return args
