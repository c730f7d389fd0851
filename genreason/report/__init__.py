"""``genreason report``: one self-contained HTML page showing a run and why each sample failed.

The page holds the summary tables and charts as static HTML and SVG, and one
card per sample built by a small script from a JSON blob (so a large run
renders one page of cards at a time): the first frame with the tracked
trajectory and the reference path drawn over it, a contact sheet of the
video, the verdict and its frame-indexed events, the prompt, seed and a link
to the video. Images are JPEG data URLs; nothing is fetched from a network.
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from dataclasses import dataclass
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tqdm import tqdm

from genreason.fsutil import atomic_write_text
from genreason.report.charts import Series, line_chart
from genreason.report.page import charts_html, header_html, summary_table
from genreason.report.previews import (
    FRAME0_WIDTH,
    jpeg_data_url,
    outcome,
    reference_path,
    shrink,
    video_preview,
)
from genreason.report.run_data import RunData, load_puzzle, load_run, video_file
from genreason.types import SampleRecord

REPORT_NAME = "report.html"
PAGE_SIZE = 50


@dataclass(frozen=True)
class ReportResult:
    """Where the report went, its size in bytes, the samples it shows and how long it took."""

    path: Path
    bytes: int
    samples: int
    seconds: float


def build_report(run: str | Path, out: str | Path | None = None, *, progress: bool = False) -> ReportResult:
    """Write a report of a run folder.

    Args:
        run: A run folder (``genreason bench``) or a ``genreason score`` output folder.
        out: The HTML file to write [default: ``report.html`` in the run folder].
        progress: Show a progress bar on stderr (when it is a terminal).

    Raises:
        BadInput: ``run`` is not a run folder.
    """
    start = time.perf_counter()
    data = load_run(run)
    out = Path(out) if out is not None else data.root / REPORT_NAME
    puzzles: dict[str, dict[str, Any]] = {}
    cards = []
    bar = tqdm(data.records, unit="sample", desc="report", file=sys.stderr,
               disable=not progress or not sys.stderr.isatty(), dynamic_ncols=True)
    for record in bar:
        if record.puzzle_id not in puzzles:
            puzzles[record.puzzle_id] = _puzzle_entry(data, record)
        cards.append(_card(data, record, out))
    bar.close()
    title = _title(data)
    html = _page(title, data, {"title": title, "page_size": PAGE_SIZE, "puzzles": puzzles, "cards": cards})
    atomic_write_text(out, html)
    return ReportResult(path=out, bytes=len(html.encode("utf-8")), samples=len(cards),
                        seconds=time.perf_counter() - start)


def _title(data: RunData) -> str:
    if data.manifest is None:
        return f"genreason report: {data.root.resolve().name}"
    return f"genreason report: {data.manifest.suite.name} / {data.manifest.sampler.name}"


def _puzzle_entry(data: RunData, record: SampleRecord) -> dict[str, Any]:
    """A puzzle's thumbnail (as drawn under trajectories) and reference path, shared by its samples' cards."""
    puzzle, problem = load_puzzle(data.root, record)
    if puzzle is None:
        return {"image": None, "width": None, "height": None, "reference": None, "problem": problem}
    image = puzzle.frame0()
    return {"image": jpeg_data_url(shrink(image, FRAME0_WIDTH)), "width": image.shape[1], "height": image.shape[0],
            "reference": reference_path(puzzle), "problem": None}


def _card(data: RunData, record: SampleRecord, out: Path) -> dict[str, Any]:
    verdict = record.verdict
    kind, reason = outcome(record)
    events = verdict.events if verdict is not None else []
    card: dict[str, Any] = {
        "id": record.sample_id, "puzzle": record.puzzle_id, "family": record.family,
        "difficulty": record.difficulty, "skin": record.skin, "index": record.index, "seed": record.seed,
        "prompt": record.prompt, "outcome": kind, "reason": reason,
        "events": [[e.frame, e.kind, e.message] for e in events],
        "metrics": {k: round(v, 4) for k, v in verdict.metrics.items()} if verdict else {},
        "trajectory": [None if p is None else [round(p[0], 1), round(p[1], 1)] for p in verdict.trajectory]
        if verdict else [],
        "verifier": f"{verdict.verifier} {verdict.verifier_version}" if verdict else None,
        "video": None, "sheet": None, "frames": None, "fps": None, "video_problem": None,
    }
    path = video_file(data.root, record)
    if path is None:
        card["video_problem"] = "no video was made for this sample"
        return card
    card["video"] = quote(Path(os.path.relpath(path.resolve(), out.resolve().parent)).as_posix())
    preview = video_preview(path, [e.frame for e in events])
    card.update(sheet=preview.sheet, frames=preview.num_frames, fps=preview.fps, video_problem=preview.problem)
    return card


def _asset(name: str) -> str:
    return resources.files("genreason.report").joinpath(name).read_text(encoding="utf-8")


def _page(title: str, data: RunData, blob: dict[str, Any]) -> str:
    # "<" is escaped so that no string in the data (a prompt, an error) can close the script element.
    payload = json.dumps(blob, separators=(",", ":"), allow_nan=False).replace("<", "\\u003c")
    parts = {
        "title": escape(title),
        "css": _asset("report.css"),
        "header": header_html(title, data.manifest, data.summary, data.notes),
        "tables": summary_table(data.summary),
        "charts": charts_html(data.summary, data.sweep),
        "data": payload,
        "js": _asset("report.js"),
    }
    # One pass, so that text inside the parts (a prompt saying "{{js}}") is never taken for a placeholder.
    return re.sub(r"\{\{(\w+)\}\}", lambda m: parts[m.group(1)], _asset("template.html"))


__all__ = ["PAGE_SIZE", "REPORT_NAME", "ReportResult", "Series", "build_report", "line_chart"]
