"""The run folder: a manifest, a journal of sample records, a summary, puzzles and videos.

Layout (documented for users in ``results/README.md``)::

    run.json                      RunManifest: how the run was made
    samples.jsonl                 one SampleRecord per line, appended as samples finish
    summary.json                  metrics.Summary, rewritten at the end of each run
    puzzles/<family>/<difficulty>/<index>/puzzle.json, frame0.png
    videos/<family>__<difficulty>__<index>__s<sample index>.mp4

Every write is atomic (a rename) or a single durable append, so a crash at
any moment leaves a folder that the next run can resume: at worst the last
journal line is cut short, and it is dropped.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from genreason.environment import Environment, current_environment
from genreason.errors import BadInput, RunMismatch
from genreason.fsutil import append_line, atomic_write_text
from genreason.metrics import Summary
from genreason.types import ComponentSpec, SampleRecord, read_versioned, validation_problem

RUN_VERSION = 1


class SuiteRef(BaseModel):
    """Which puzzles a run covers: the suite, where it was read from, the limit and the ids' digest."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    source: str
    limit: int | None = None
    n_puzzles: int
    puzzle_ids_sha256: str


class RunManifest(BaseModel):
    """``run.json``: everything needed to re-run, plus the environment it ran in.

    Only :meth:`identity` decides whether a folder can be resumed; the creation
    time, the suite file's location and the environment are informative.
    """

    model_config = ConfigDict(extra="forbid")

    format: Literal["genreason.run"] = "genreason.run"
    version: int = RUN_VERSION
    suite: SuiteRef
    families: dict[str, str]  # family name -> family version (it decides the puzzles' pixels)
    sampler: ComponentSpec
    verifiers: dict[str, ComponentSpec]  # family name -> the verifier that judges it
    samples: int
    seed: int
    created: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))
    environment: Environment = Field(default_factory=current_environment)

    def identity(self) -> dict[str, Any]:
        """The fields two runs must share for one to continue the other."""
        return {
            "suite": (self.suite.name, self.suite.version, self.suite.puzzle_ids_sha256),
            "families": self.families,
            "sampler": self.sampler.model_dump(mode="json"),
            "verifiers": {k: v.model_dump(mode="json") for k, v in self.verifiers.items()},
            "samples": self.samples,
            "seed": self.seed,
        }


def puzzle_dir(root: Path, puzzle_id: str) -> Path:
    """Where a puzzle's ``puzzle.json`` and ``frame0.png`` go under ``root`` (run or export folder)."""
    return root / "puzzles" / puzzle_id


def video_name(puzzle_id: str, index: int) -> str:
    """A sample's video file name: the puzzle id with ``/`` as ``__``, then ``__s<index>.mp4``.

    Used in a run folder's ``videos/``, in the export manifest's ``video``
    column, and by ``genreason score``, so one name works everywhere.
    """
    return f"{puzzle_id.replace('/', '__')}__s{index}.mp4"


def digest_ids(ids: Iterable[str]) -> str:
    """A sha256 of an ordered list of ids (one per line)."""
    return hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()


class Journal:
    """``samples.jsonl``: sample records appended one durable line at a time.

    ``record_type`` lets another versioned record (a refine round, say) share
    the same append and crash recovery; its ``version`` field's default is the
    version this journal reads.
    """

    def __init__(self, path: Path, record_type: type[Any] = SampleRecord) -> None:
        self.path = path
        self.record_type = record_type
        self._version = record_type.model_fields["version"].default
        self._what = "sample" if record_type is SampleRecord else record_type.__name__

    def read(self) -> list[Any]:
        """All records, skipping a cut-short last line (what a crash mid-append leaves).

        Raises:
            BadInput: An invalid line that is not the last, or a record of another format version.
        """
        return self._parse()[0]

    def recover(self) -> list[Any]:
        """Read the records and, if the file ends badly, rewrite it (atomically) without the bad tail.

        Called before appending again, so a new line never lands after half a line.
        """
        records, clean = self._parse()
        if not clean:
            atomic_write_text(self.path, "".join(r.model_dump_json() + "\n" for r in records))
        return records

    def append(self, record: Any) -> None:
        append_line(self.path, record.model_dump_json())

    def _parse(self) -> tuple[list[Any], bool]:
        if not self.path.exists():
            return [], True
        data = self.path.read_bytes()
        lines = data.split(b"\n")
        clean = data == b"" or data.endswith(b"\n")
        if lines and not lines[-1]:
            lines.pop()
        records: list[Any] = []
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                record = self.record_type.model_validate_json(raw)
            except ValidationError as exc:
                if number == len(lines):  # a crash cut the last append short: drop it
                    return records, False
                raise BadInput(self.path, f"line {number} is not a valid {self._what} record "
                               f"({validation_problem(exc)})", "fix or delete that line") from None
            if record.version != self._version:
                raise BadInput(self.path, f"line {number} has {self._what} format version {record.version} "
                               f"(this genreason reads version {self._version})", "use another --out")
            records.append(record)
        return records, clean


class RunFolder:
    """Paths inside a run folder, and starting or resuming a run in it."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.manifest_path = self.root / "run.json"
        self.summary_path = self.root / "summary.json"
        self.journal = Journal(self.root / "samples.jsonl")

    def puzzle_dir(self, puzzle_id: str) -> Path:
        return puzzle_dir(self.root, puzzle_id)

    def video_path(self, puzzle_id: str, index: int) -> Path:
        return self.root / "videos" / video_name(puzzle_id, index)

    def relative(self, path: Path) -> str:
        """``path`` relative to the run folder, with forward slashes (how records refer to files)."""
        return path.relative_to(self.root).as_posix()

    def start(self, manifest: RunManifest) -> list[SampleRecord]:
        """Create the run, or resume it if the folder holds the same run; return the records so far.

        Raises:
            RunMismatch: The folder holds a run made with other settings.
        """
        if self.manifest_path.exists():
            old = self.read_manifest().identity()
            changed = [key for key, value in manifest.identity().items() if old[key] != value]
            if changed:
                raise RunMismatch(f"{self.root} already holds a run with different {', '.join(changed)}; "
                                  "pass another --out (or delete that folder) to start a new run")
            self._remove_partial_writes()
            return self.journal.recover()
        if self.journal.path.exists():
            raise RunMismatch(f"{self.root} has samples.jsonl but no run.json; pass another --out")
        self.root.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.manifest_path, manifest.model_dump_json(indent=2) + "\n")
        return []

    def _remove_partial_writes(self) -> None:
        # A run killed mid-write leaves the hidden temporary files of
        # genreason.fsutil's atomic writers (".<name>.<random>.tmp", and
        # ".<stem>.<random>.mp4" for videos); nothing else is hidden here.
        for pattern in ("videos/.*.mp4", "puzzles/**/.*.tmp", ".*.tmp"):
            for path in self.root.glob(pattern):
                path.unlink(missing_ok=True)

    def read_manifest(self) -> RunManifest:
        return read_versioned(self.manifest_path, RunManifest, fmt="genreason.run", version=RUN_VERSION,
                              what="run manifest", fix="pass another --out")

    def write_summary(self, summary: Summary) -> None:
        atomic_write_text(self.summary_path, summary.model_dump_json(indent=2) + "\n")
