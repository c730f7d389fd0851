"""PNG in and out, byte-identical for identical pixels."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from genreason.errors import BadInput


def encode_png(image: np.ndarray) -> bytes:
    """Encode an H x W x 3 uint8 RGB array as PNG with fixed settings (no timestamps)."""
    if image.ndim != 3 or image.shape[2] != 3 or image.dtype != np.uint8:
        raise ValueError(f"expected H x W x 3 uint8, got {image.shape} {image.dtype}")
    buf = io.BytesIO()
    Image.fromarray(image, mode="RGB").save(buf, format="PNG", compress_level=6, optimize=False)
    return buf.getvalue()


def read_png(path: str | Path) -> np.ndarray:
    """Read an image file as H x W x 3 uint8 RGB, with a clear error when it cannot be read."""
    path = Path(path)
    if not path.exists():
        raise BadInput(path, "image not found", "a puzzle.json needs its frame0.png beside it")
    try:
        with Image.open(path) as im:
            return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()
    except (UnidentifiedImageError, OSError) as exc:
        raise BadInput(path, f"is not a readable image ({exc.__class__.__name__})") from None
