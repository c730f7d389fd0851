"""``genreason submit``: pack a finished run folder into a deterministic submission zip.

The same run always gives the same bytes: members are sorted, every
timestamp is 1980-01-01, permissions are fixed, records are written in suite
order and the manifest's time is the run's own creation time.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import genreason
from genreason.errors import BadInput, GenreasonError
from genreason.fsutil import temp_path_beside
from genreason.leaderboard.manifest import (
    MANIFEST,
    SAMPLES,
    SUMMARY,
    BundleManifest,
    BundlePuzzle,
    BundleSuite,
    BundleVideo,
    VerifierRef,
    sha256_bytes,
    sha256_file,
    video_member,
)
from genreason.metrics import summarize
from genreason.plugins import PuzzleFamily, Verifier, load_family, load_verifier
from genreason.store import RunFolder, RunManifest, digest_ids
from genreason.suites import PuzzleSpec, Suite, load_families, load_suite
from genreason.types import Puzzle, SampleRecord, read_json, sample_id

ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # the earliest time a zip can hold


@dataclass(frozen=True)
class SubmitResult:
    manifest: BundleManifest
    path: Path
    missing: int  # samples of the suite not in the run (only with allow_partial)


def make_bundle(run: str | Path, out: str | Path, *, with_videos: bool = False, allow_partial: bool = False,
                family_for: Callable[[str], PuzzleFamily] = load_family,
                verifier_for: Callable[[str], Verifier] = load_verifier) -> SubmitResult:
    """Write ``out`` (a zip) from the run folder ``run``.

    Args:
        run: A ``genreason bench`` run folder.
        out: The bundle to write (atomically).
        with_videos: Put the videos in the zip (their hashes are always in the manifest).
        allow_partial: Pack a run with missing samples (validation will call it partial).
        family_for: Puzzle family by name; by default from the registry.
        verifier_for: Verifier by name, to learn its version where no verdict records it.

    Raises:
        BadInput: Not a run folder, an unfinished run (without ``allow_partial``), a missing video.
    """
    folder = RunFolder(run)
    if not folder.manifest_path.is_file():
        raise BadInput(folder.root, "is not a run folder (no run.json)", "pass a folder written by `genreason bench`")
    run_manifest = folder.read_manifest()
    records = folder.journal.read()
    specs, families = _suite_specs(run_manifest, family_for)
    order = {spec.id: n for n, spec in enumerate(specs)}
    expected = {sample_id(spec.id, i) for spec in specs for i in range(run_manifest.samples)}
    for record in records:
        if record.sample_id not in expected:
            raise BadInput(folder.journal.path, f"sample {record.sample_id} belongs to no puzzle of the run's suite")
    missing = len(expected) - len({r.sample_id for r in records})
    if missing and not allow_partial:
        raise BadInput(folder.root, f"the run is unfinished: {missing} of {len(expected)} samples are missing",
                       "rerun the same bench command to finish it, or pass --allow-partial")
    records.sort(key=lambda r: (order[r.puzzle_id], r.index))

    videos = [_video_entry(folder, record, with_videos) for record in records if record.video is not None]
    samples_bytes = "".join(r.model_dump_json() + "\n" for r in records).encode("utf-8")
    # Recomputed rather than copied: summary.json of an interrupted run can be stale.
    summary_bytes = (summarize(records, run_manifest.samples).model_dump_json(indent=2) + "\n").encode("utf-8")
    manifest = BundleManifest(
        created=run_manifest.created, genreason=run_manifest.environment.genreason,
        bundled_with=genreason.__version__, model=run_manifest.sampler,
        suite=BundleSuite(name=run_manifest.suite.name, version=run_manifest.suite.version,
                          limit=run_manifest.suite.limit, n_puzzles=run_manifest.suite.n_puzzles,
                          puzzle_ids_sha256=run_manifest.suite.puzzle_ids_sha256),
        families=run_manifest.families,
        verifiers=_verifier_versions(run_manifest, records, verifier_for),
        samples=run_manifest.samples, seed=run_manifest.seed, partial=bool(missing), n_records=len(records),
        videos_included=with_videos,
        files={SAMPLES: sha256_bytes(samples_bytes), SUMMARY: sha256_bytes(summary_bytes)},
        environment=run_manifest.environment,
        puzzles=[_puzzle_entry(folder, spec, families[spec.family]) for spec in specs],
        videos=videos,
    )
    members: dict[str, bytes | Path] = {
        MANIFEST: (manifest.model_dump_json(indent=2) + "\n").encode("utf-8"),
        SAMPLES: samples_bytes, SUMMARY: summary_bytes,
    }
    if with_videos:
        members.update({v.member: folder.root / v.member for v in videos})
    out = Path(out)
    write_zip(out, members)
    return SubmitResult(manifest=manifest, path=out, missing=missing)


def write_zip(out: Path, members: dict[str, bytes | Path]) -> None:
    """Write a deterministic zip (atomically): sorted names, fixed times and modes.

    Videos are stored (H.264 does not deflate); everything else is deflated.
    """
    tmp = temp_path_beside(out)
    try:
        with zipfile.ZipFile(tmp, "w") as zf:
            for name in sorted(members):
                info = zipfile.ZipInfo(name, date_time=ZIP_EPOCH)
                info.create_system = 3  # Unix, so that external_attr holds the mode below
                info.external_attr = 0o100644 << 16  # a regular file, rw-r--r--
                info.compress_type = zipfile.ZIP_STORED if name.endswith(".mp4") else zipfile.ZIP_DEFLATED
                content = members[name]
                if isinstance(content, bytes):
                    zf.writestr(info, content, compresslevel=6)
                else:
                    info.file_size = content.stat().st_size
                    with open(content, "rb") as src, zf.open(info, "w") as dst:
                        shutil.copyfileobj(src, dst, 1 << 20)
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _suite_specs(run: RunManifest, family_for: Callable[[str], PuzzleFamily]
                 ) -> tuple[list[PuzzleSpec], dict[str, PuzzleFamily]]:
    """The run's puzzles, from its suite file (or the installed suite of that name)."""
    source = Path(run.suite.source)
    suite: Suite = load_suite(str(source) if source.is_file() else run.suite.name)
    families = load_families(suite, family_for)
    specs = suite.puzzles(families, run.suite.limit)
    if suite.version != run.suite.version or digest_ids(s.id for s in specs) != run.suite.puzzle_ids_sha256:
        raise GenreasonError(f"suite {run.suite.name!r} changed since the run (version {run.suite.version} then, "
                             f"{suite.version} now, or other puzzle ids); submit with the genreason that made it")
    return specs, families


def _puzzle_entry(folder: RunFolder, spec: PuzzleSpec, family: PuzzleFamily) -> BundlePuzzle:
    """The puzzle as the run saved it; regenerated if the run never reached it (partial runs)."""
    where = folder.puzzle_dir(spec.id)
    if not (where / "puzzle.json").is_file():
        with tempfile.TemporaryDirectory() as tmp:  # the run folder is read, never written
            scratch = RunFolder(tmp)
            spec.generate(family).save(scratch.puzzle_dir(spec.id))
            return _puzzle_entry(scratch, spec, family)
    puzzle = Puzzle.model_validate(read_json(where / "puzzle.json", what="puzzle file"))
    return BundlePuzzle(id=puzzle.id, family=puzzle.family, difficulty=puzzle.difficulty, skin=puzzle.skin,
                        seed=puzzle.seed, prompt=puzzle.prompt,
                        puzzle_sha256=sha256_file(where / "puzzle.json"),
                        frame0_sha256=sha256_file(where / "frame0.png"))


def _video_entry(folder: RunFolder, record: SampleRecord, included: bool) -> BundleVideo:
    member = video_member(record.puzzle_id, record.index)
    path = folder.root / member
    if record.video != member:
        raise BadInput(folder.journal.path, f"sample {record.sample_id} names video {record.video!r}, "
                       f"not {member!r}", "only run folders written by `genreason bench` can be submitted")
    if not path.is_file():
        raise BadInput(path, f"video of sample {record.sample_id} is missing", "rerun the bench command")
    return BundleVideo(sample_id=record.sample_id, member=member, sha256=sha256_file(path),
                       bytes=path.stat().st_size, included=included)


def _verifier_versions(run: RunManifest, records: list[SampleRecord],
                       verifier_for: Callable[[str], Verifier]) -> dict[str, VerifierRef]:
    """Each family's verifier and the version its verdicts carry (the installed one if none judged yet)."""
    refs = {}
    for family, spec in run.verifiers.items():
        seen = {r.verdict.verifier_version for r in records
                if r.family == family and r.verdict is not None and r.verdict.verifier == spec.name}
        if len(seen) > 1:
            raise GenreasonError(f"the run's {family} verdicts come from verifier versions {sorted(seen)}; "
                                 "a run must be judged by one version")
        version = seen.pop() if seen else verifier_for(spec.name).version
        refs[family] = VerifierRef(name=spec.name, version=version)
    return refs
