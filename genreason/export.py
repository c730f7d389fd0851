"""Export a suite's puzzles for people who render videos elsewhere (``genreason generate``).

The folder holds ``puzzles/<id>/{puzzle.json,frame0.png}`` (the same layout as
a run folder) and an index of them in two forms: ``manifest.jsonl`` and
``manifest.csv``, one row per puzzle, paths relative to the folder, including
where the puzzle's video is expected (``video``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from genreason.fsutil import atomic_write_text
from genreason.plugins import PuzzleFamily, load_family
from genreason.store import puzzle_dir, video_name
from genreason.suites import load_families, load_suite

# Where the manifest asks for the videos rendered elsewhere: ``OUT/videos/``, so that
# ``genreason score --puzzles OUT --videos OUT/videos`` and the ``external`` sampler
# (``-a videos=OUT/videos``) find them under their default names.
VIDEOS = "videos"


class ExportRow(BaseModel):
    """One puzzle in the export manifest."""

    model_config = ConfigDict(extra="forbid")

    id: str
    family: str
    difficulty: str
    skin: str
    seed: int
    prompt: str
    image: str   # frame0.png, relative to the export folder
    puzzle: str  # puzzle.json, relative to the export folder
    video: str   # where its sample-0 video is expected (sample i: ``__s<i>``), relative to the export folder


def export_suite(suite_name: str, out: str | Path, limit: int | None = None,
                 family_for: Callable[[str], PuzzleFamily] = load_family,
                 on_puzzle: Callable[[ExportRow], None] | None = None) -> list[ExportRow]:
    """Generate every puzzle of a suite into ``out`` and write the manifests.

    Args:
        suite_name: A built-in suite name or a suite ``.toml`` path.
        out: The export folder (created if needed; existing puzzles are rewritten byte-identically).
        limit: Keep the first ``limit`` puzzles of each family x difficulty.
        family_for: Puzzle family by name; by default from the registry.
        on_puzzle: Called after each puzzle is written (for a progress bar).
    """
    out = Path(out)
    suite = load_suite(suite_name)
    families = load_families(suite, family_for)
    rows = []
    for spec in suite.puzzles(families, limit):
        folder = puzzle_dir(out, spec.id)
        puzzle = spec.generate(families[spec.family])
        puzzle.save(folder)
        rows.append(ExportRow(id=puzzle.id, family=puzzle.family, difficulty=puzzle.difficulty,
                              skin=puzzle.skin, seed=puzzle.seed, prompt=puzzle.prompt,
                              image=(folder / "frame0.png").relative_to(out).as_posix(),
                              puzzle=(folder / "puzzle.json").relative_to(out).as_posix(),
                              video=f"{VIDEOS}/{video_name(puzzle.id, 0)}"))
        if on_puzzle:
            on_puzzle(rows[-1])
    atomic_write_text(out / "manifest.jsonl", "".join(row.model_dump_json() + "\n" for row in rows))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(ExportRow.model_fields), lineterminator="\n")
    writer.writeheader()
    writer.writerows(row.model_dump() for row in rows)
    atomic_write_text(out / "manifest.csv", buffer.getvalue())
    return rows
