"""Judge one video file against one puzzle: shared by ``genreason verify`` and the bench runner.

The runner verifies the MP4 it wrote, read back from disk, so a verdict is
always about exactly the file that is kept, compression included.
"""

from __future__ import annotations

from pathlib import Path

from genreason.plugins import Verifier
from genreason.types import Puzzle, Verdict
from genreason.video import read_video


def judge_file(puzzle: Puzzle, video_path: str | Path, verifier: Verifier) -> Verdict:
    """Read ``video_path`` and let ``verifier`` judge it against ``puzzle``.

    Raises:
        BadInput: The video is missing, empty, truncated, corrupt or an image.
    """
    return verifier.verify(puzzle, read_video(video_path))
