"""VideoTPO-style self-refinement: improve a puzzle's prompt from critiques of its candidate videos.

:func:`run_refine` makes W candidates per puzzle and round, verifies them,
has a critic (the verifier's own findings, or a chat model) analyse them and a
rewriter turn the critique into the next round's prompt. See ``loop.py``.
"""

from genreason.refine.loop import RefineConfig, run_refine
from genreason.refine.records import RefineSummary, format_rounds_table

__all__ = ["RefineConfig", "RefineSummary", "format_rounds_table", "run_refine"]
