"""Read what a report shows from a run folder: records, summary, manifest, puzzles, optional sweep.

A run folder is what ``genreason bench`` writes (``run.json``,
``samples.jsonl``, ``summary.json``, ``puzzles/``, ``videos/``); the folder
``genreason score`` writes (``samples.jsonl`` and ``summary.json``, puzzles
and videos where the records say) is read too. What is missing or damaged
becomes a note on the page, not a failed report, except the sample journal
itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError

from genreason.errors import BadInput, GenreasonError
from genreason.metrics import Summary, summarize
from genreason.store import Journal, RunFolder, RunManifest
from genreason.types import Puzzle, SampleRecord, read_json, validation_problem


@dataclass
class RunData:
    """A run folder, read."""

    root: Path
    records: list[SampleRecord]
    summary: Summary
    manifest: RunManifest | None
    sweep: object | None = None  # sweep.json as parsed JSON, when the run has one
    notes: list[str] = field(default_factory=list)  # problems with the folder, shown on the page


def load_run(root: str | Path) -> RunData:
    """Read a run folder for a report.

    Raises:
        BadInput: ``root`` is missing, not a folder, or has no ``samples.jsonl``
            (or one that cannot be read).
    """
    root = Path(root)
    if not root.exists():
        raise BadInput(root, "run folder not found")
    if not root.is_dir():
        raise BadInput(root, "is a file, expected a run folder")
    journal = Journal(root / "samples.jsonl")
    if not journal.path.is_file():
        raise BadInput(root, "is not a run folder: it has no samples.jsonl",
                       "pass a folder written by `genreason bench` or `genreason score`")
    records = journal.read()
    notes: list[str] = []
    manifest = None
    if (root / "run.json").exists():
        try:
            manifest = RunFolder(root).read_manifest()
        except GenreasonError as exc:
            notes.append(f"run.json could not be read: {exc}")
    samples = manifest.samples if manifest else max((r.index for r in records), default=0) + 1
    summary = _summary(root / "summary.json", records, samples, notes)
    # Cards follow the tables: family and difficulty in the summary's order (easy before hard), then puzzle, sample.
    order = {(r.family, r.difficulty): i for i, r in enumerate(summary.difficulties)}
    records.sort(key=lambda r: (order.get((r.family, r.difficulty), len(order)), r.puzzle_id, r.index))
    sweep = None
    # A sweep's runs live in num_frames-<N>/ folders beside the sweep's sweep.json.
    for path in (root / "sweep.json", root.parent / "sweep.json"):
        if path.exists():
            try:
                sweep = read_json(path, what="sweep file")
            except BadInput as exc:
                notes.append(f"{path.name} could not be read: {exc}")
            break
    return RunData(root=root, records=records, summary=summary, manifest=manifest, sweep=sweep, notes=notes)


def _summary(path: Path, records: list[SampleRecord], samples: int, notes: list[str]) -> Summary:
    """``summary.json``, or the summary of the records when it is missing or unreadable."""
    if not path.exists():
        notes.append("summary.json is missing: the tables were computed from samples.jsonl")
        return summarize(records, samples)
    try:
        return Summary.model_validate(read_json(path, what="summary file"))
    except BadInput as exc:
        problem = str(exc)
    except ValidationError as exc:
        problem = f"{path}: {validation_problem(exc)}"
    notes.append(f"summary.json could not be read ({problem}): the tables were computed from samples.jsonl")
    return summarize(records, samples)


def puzzle_file(root: Path, record: SampleRecord) -> Path:
    """Where a record's puzzle is: in the run folder's ``puzzles/``, else where ``genreason score`` read it."""
    own = root / "puzzles" / record.puzzle_id / "puzzle.json"
    if own.exists() or "puzzle_file" not in record.extra:
        return own
    return Path(str(record.extra["puzzle_file"]))


def load_puzzle(root: Path, record: SampleRecord) -> tuple[Puzzle | None, str | None]:
    """A record's puzzle (with its first frame), or None and why it could not be read."""
    from genreason.vrbench import load_any_puzzle

    try:
        return load_any_puzzle(puzzle_file(root, record)), None
    except GenreasonError as exc:
        return None, str(exc)


def video_file(root: Path, record: SampleRecord) -> Path | None:
    """A record's video: relative paths are relative to the run folder (or, for ``score``, the working directory)."""
    if record.video is None:
        return None
    path = Path(record.video)
    if path.is_absolute():
        return path
    inside = root / path
    return inside if inside.exists() or not path.exists() else path


__all__ = ["RunData", "load_puzzle", "load_run", "puzzle_file", "video_file"]
