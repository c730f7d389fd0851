"""Small pictures for a report's sample cards: first-frame thumbnails and contact sheets.

Every picture becomes a JPEG data URL, so the report is one file that opens
anywhere. Sizes are capped (a thumbnail is at most :data:`FRAME0_WIDTH`
pixels wide, a contact sheet :data:`SHEET_FRAMES` frames of
:data:`THUMB_WIDTH` pixels), so a run of thousands of samples still gives a
report a browser can hold.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import cv2
import numpy as np

from genreason.errors import BadInput
from genreason.types import Puzzle, SampleRecord
from genreason.video import read_video

FRAME0_WIDTH = 320
THUMB_WIDTH = 120
SHEET_FRAMES = 8
SHEET_COLUMNS = 4
JPEG_QUALITY = 70
MAX_EVENT_FRAMES = 2  # frames an event points at, put into the contact sheet in place of evenly spaced ones


def jpeg_data_url(image: np.ndarray, quality: int = JPEG_QUALITY) -> str:
    """An RGB uint8 image as a ``data:image/jpeg;base64,...`` URL."""
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:  # pragma: no cover - OpenCV encodes any uint8 RGB image
        raise ValueError("JPEG encoding failed")
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode("ascii")


def shrink(image: np.ndarray, width: int) -> np.ndarray:
    """Scale ``image`` down (never up) to ``width`` pixels wide, keeping its aspect."""
    h, w = image.shape[:2]
    if w <= width:
        return image
    return cv2.resize(image, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)


def sheet_indices(num_frames: int, event_frames: Sequence[int] = (), count: int = SHEET_FRAMES) -> list[int]:
    """Which frames a contact sheet shows: evenly spaced from first to last, with event frames swapped in.

    Up to :data:`MAX_EVENT_FRAMES` frames that events point at replace the
    evenly spaced frame nearest to them, so the moment a verifier flagged is
    visible; the first and last frames always stay.
    """
    if num_frames <= count:
        return list(range(num_frames))
    chosen = [round(i * (num_frames - 1) / (count - 1)) for i in range(count)]
    for frame in list(dict.fromkeys(f for f in event_frames if 0 <= f < num_frames))[:MAX_EVENT_FRAMES]:
        if frame in chosen:
            continue
        inner = range(1, count - 1)
        nearest = min(inner, key=lambda i: abs(chosen[i] - frame))
        chosen[nearest] = frame
    return sorted(set(chosen))


def contact_sheet(frames: np.ndarray, indices: Sequence[int], labels: Sequence[int] | None = None,
                  marked: Sequence[int] = ()) -> np.ndarray:
    """Tile ``frames[i]`` for ``i`` in ``indices`` (downscaled) in rows of :data:`SHEET_COLUMNS`.

    Each tile is labelled ``f<label>`` (its video frame number; by default
    its index); tiles whose index is in ``marked`` (where events happened)
    get a red label and border.
    """
    tiles = []
    for n, index in enumerate(indices):
        tile = np.ascontiguousarray(shrink(frames[index], THUMB_WIDTH))
        red = index in marked
        colour = (220, 30, 30) if red else (20, 20, 20)
        if red:
            cv2.rectangle(tile, (0, 0), (tile.shape[1] - 1, tile.shape[0] - 1), colour, 2)
        text = f"f{index if labels is None else labels[n]}"
        (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
        cv2.rectangle(tile, (2, 2), (6 + tw, 6 + th + 2), (255, 255, 255), -1)
        cv2.putText(tile, text, (4, 4 + th), cv2.FONT_HERSHEY_SIMPLEX, 0.4, colour, 1, cv2.LINE_AA)
        tiles.append(tile)
    h, w = tiles[0].shape[:2]
    rows = -(-len(tiles) // SHEET_COLUMNS)
    columns = min(SHEET_COLUMNS, len(tiles))
    sheet = np.full((rows * h + (rows - 1) * 2, columns * w + (columns - 1) * 2, 3), 255, dtype=np.uint8)
    for i, tile in enumerate(tiles):
        r, c = divmod(i, SHEET_COLUMNS)
        sheet[r * (h + 2): r * (h + 2) + tile.shape[0], c * (w + 2): c * (w + 2) + tile.shape[1]] = tile
    return sheet


@dataclass(frozen=True)
class Preview:
    """A video's contact sheet (a data URL) and frame count, or why there is none."""

    sheet: str | None = None
    num_frames: int | None = None
    fps: float | None = None
    problem: str | None = None


def video_preview(path: Path, event_frames: Sequence[int] = ()) -> Preview:
    """Decode ``path`` and make its contact sheet; a missing or corrupt video gives a :class:`Preview` with ``problem``.

    The file is checked by :func:`genreason.video.read_video` (same messages
    as everywhere else); then only the frames the sheet shows are converted to
    RGB, which is most of the cost of decoding. The frame count comes from the
    container; where the decoded count differs, a second pass uses the true one.
    """
    try:
        fps = read_video(path, max_frames=2).fps
    except BadInput as exc:
        return Preview(problem=str(exc))
    kept, count, declared = _decode_at(path, lambda n: sheet_indices(n, event_frames) if n else [])
    if count != declared:
        kept, count, _ = _decode_at(path, lambda _: sheet_indices(count, event_frames))
    if not kept:
        return Preview(num_frames=count, fps=round(fps, 3), problem=f"{path}: no frame could be decoded")
    indices = sorted(kept)
    sheet = contact_sheet(np.stack([kept[i] for i in indices]), range(len(indices)),
                          labels=indices, marked=[i for i, f in enumerate(indices) if f in event_frames])
    return Preview(sheet=jpeg_data_url(sheet), num_frames=count, fps=round(fps, 3))


def _decode_at(path: Path, choose: Callable[[int], Sequence[int]]) -> tuple[dict[int, np.ndarray], int, int]:
    """Decode every frame, keeping RGB copies (shrunk) of those ``choose(declared count)`` picks.

    Returns the kept frames by index, the number of frames decoded and the
    number the container declared (0 when it does not say). A damaged tail
    ends decoding early, as in :func:`genreason.video.read_video`.
    """
    kept: dict[int, np.ndarray] = {}
    count = 0
    with av.open(str(path), mode="r") as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        declared = int(stream.frames or 0)
        wanted = set(choose(declared))
        try:
            for count, frame in enumerate(container.decode(stream), start=1):
                if count - 1 in wanted:
                    kept[count - 1] = shrink(frame.to_ndarray(format="rgb24"), THUMB_WIDTH)
        except (av.error.FFmpegError, OSError):
            pass
    return kept, count, declared


def reference_path(puzzle: Puzzle) -> list[tuple[float, float]] | None:
    """The reference solution as ``frame0.png`` pixel points, for families whose solution is a cell path.

    Grid families (see ``results/README.md``) give ``layout.cell_size``,
    ``layout.origin`` and ``solution.path`` as ``[row, col]`` cells; the points
    are the cells' centres. Any other family gets None (no path to draw).
    """
    layout, path = puzzle.layout, puzzle.solution.get("path")
    try:
        size = float(layout["cell_size"])
        ox, oy = (float(v) for v in layout["origin"])
        cells = [(int(r), int(c)) for r, c in path]  # type: ignore[union-attr]
    except (KeyError, TypeError, ValueError):
        return None
    return [(round(ox + (c + 0.5) * size, 1), round(oy + (r + 0.5) * size, 1)) for r, c in cells] or None


def outcome(record: SampleRecord) -> tuple[str, str | None]:
    """A sample's outcome for a card: ``success``, ``not solved``, ``unreadable`` or ``error``, and why."""
    verdict = record.verdict
    if record.status == "error" or verdict is None:
        return "error", record.error or "no verdict was recorded"
    if verdict.status != "ok":
        return "unreadable", verdict.reason
    if verdict.success:
        return "success", None
    return "not solved", verdict.events[0].message if verdict.events else None


__all__ = ["Preview", "contact_sheet", "jpeg_data_url", "outcome", "reference_path", "sheet_indices",
           "shrink", "video_preview"]
