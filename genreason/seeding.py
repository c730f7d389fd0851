"""Seeds: stable puzzle seeds derived from names, and sample seeds that are just offsets.

Puzzle seeds are hashed from their parts (suite seed, family, difficulty,
index) so adding an entry to a suite never shifts the seeds of the others.
Sample seeds are ``base_seed + index`` so sample ``i`` of a run can be
reproduced on its own by asking a sampler for seed ``i`` (with base seed 0).
"""

from __future__ import annotations

import hashlib
import json

SEED_LIMIT = 2**31  # fits every generator we feed: numpy, torch, 32-bit signed C ints


def derive_seed(*parts: object) -> int:
    """A seed in ``[0, 2**31)`` that depends only on ``parts``, stable across runs and machines.

    Parts are joined through JSON (as strings) rather than concatenated, so
    ``("a", "bc")`` and ``("ab", "c")`` give different seeds. Python's ``hash``
    is salted per process and is therefore not used.

    Args:
        *parts: Values whose ``str`` identifies the seed, e.g. suite seed, family, difficulty, index.

    Returns:
        An int ``0 <= seed < 2**31``.
    """
    text = json.dumps([str(p) for p in parts], ensure_ascii=True)
    digest = hashlib.sha256(text.encode("ascii")).digest()
    return int.from_bytes(digest[:8], "big") % SEED_LIMIT


def sample_seed(base_seed: int, index: int) -> int:
    """The seed of sample ``index`` (0-based) of a puzzle: ``base_seed + index``."""
    return base_seed + index
