"""``genreason leaderboard validate``: re-check every claim of a bundle that may be hostile.

Steps, in order (a failed step that later ones depend on ends the validation):

1. the archive is safe (:mod:`.safezip`: names, types, sizes, ratios, every byte counted);
2. the manifest is a ``genreason.bundle`` of a known version and schema; the members are
   exactly the ones it names; ``samples.jsonl`` and ``summary.json`` match their hashes;
3. the suite is an installed built-in with the same version, families and puzzle-id digest,
   judged by the installed verifiers' names and versions;
4. every puzzle is regenerated from its seed: id, seed, skin, prompt and the SHA-256 of
   ``puzzle.json`` and ``frame0.png`` must match the manifest;
5. every sample belongs to a puzzle, has the seed ``seed + index`` and the puzzle's prompt,
   and every sample of the suite is there;
6. every included video matches its SHA-256 and is re-judged by the installed verifier
   (extracted under names made here), its success and metrics compared with the claim;
7. the summary is recomputed from the claimed samples (it must match) and, when the videos
   were re-judged, from the new verdicts (the scores must reproduce).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

import genreason
from genreason.errors import BadInput
from genreason.executors import verify_executor, verify_task
from genreason.leaderboard.manifest import (
    BUNDLE_FORMAT,
    BUNDLE_VERSION,
    MANIFEST,
    SAMPLES,
    SUMMARY,
    BundleManifest,
    sha256_file,
    video_member,
)
from genreason.leaderboard.report import Check, Mismatch, ValidationReport
from genreason.leaderboard.safezip import SafeZip, UnsafeArchive, ZipLimits
from genreason.metrics import Summary, summarize
from genreason.plugins import PuzzleFamily, Verifier, load_family, load_verifier
from genreason.seeding import sample_seed
from genreason.store import digest_ids
from genreason.suites import PuzzleSpec, builtin_suites, load_families, load_suite
from genreason.types import SampleRecord, sample_id, validation_problem

METRIC_TOLERANCE = 1e-6  # a re-judged metric may differ by float noise, never more


class _Stop(Exception):
    """A failed check that the remaining checks depend on."""


class _Validation:
    """The checks and mismatches found so far."""

    def __init__(self, path: Path) -> None:
        self.report = ValidationReport(bundle=path.name, validator=genreason.__version__, status="valid")

    def check(self, name: str, ok: bool, message: str, *, fatal: bool = False) -> bool:
        self.report.checks.append(Check(name=name, status="pass" if ok else "fail", message=message))
        if not ok and fatal:
            raise _Stop
        return ok

    def skip(self, name: str, message: str) -> None:
        self.report.checks.append(Check(name=name, status="skip", message=message))

    def mismatch(self, sample: str | None, what: str, claimed: Any, found: Any) -> None:
        self.report.mismatches.append(Mismatch(sample_id=sample, what=what, claimed=claimed, found=found))


def validate_bundle(path: str | Path, *, limits: ZipLimits | None = None, jobs: int = 1,
                    family_for: Callable[[str], PuzzleFamily] = load_family,
                    verifier_for: Callable[[str], Verifier] = load_verifier) -> ValidationReport:
    """Validate one bundle; never raises for a bad bundle (the report says what is wrong).

    Args:
        path: The bundle zip.
        limits: What the archive may hold.
        jobs: Verification processes for re-judging videos (1: inline).
        family_for: Puzzle family by name; by default from the registry.
        verifier_for: Verifier by name; by default from the registry.
    """
    path = Path(path)
    v = _Validation(path)
    try:
        v.report.bundle_sha256 = sha256_file(path) if path.is_file() else None
        with SafeZip(path, limits) as archive:
            v.check("archive", True, f"{len(archive.names)} members, {sum(archive.sizes.values())} bytes unpacked; "
                    "names, file types, sizes and compression ratios within limits, every byte read")
            with tempfile.TemporaryDirectory(prefix="genreason-validate-") as tmp:
                _validate(v, archive, Path(tmp), jobs, family_for, verifier_for)
    except BadInput as exc:
        v.report.checks.append(Check(name="read", status="fail", message=str(exc)))
        v.report.status = "unreadable"
        return v.report
    except UnsafeArchive as exc:
        v.check("archive", False, f"refused before extraction: {exc.reason}")
    except _Stop:
        pass
    if any(c.status == "fail" for c in v.report.checks):
        v.report.status = "invalid"
    return v.report


def _validate(v: _Validation, archive: SafeZip, tmp: Path, jobs: int,
              family_for: Callable[[str], PuzzleFamily], verifier_for: Callable[[str], Verifier]) -> None:
    manifest = _read_manifest(v, archive)
    records, claimed = _read_files(v, archive, manifest)
    specs = _check_suite(v, manifest, family_for, verifier_for)
    puzzle_files = _check_puzzles(v, manifest, specs, tmp / "puzzles", family_for)
    _check_samples(v, manifest, records, specs)
    reverified = _reverify(v, archive, manifest, records, puzzle_files, tmp / "videos", jobs, verifier_for)

    own = summarize(records, manifest.samples)
    differences = _compare_summaries(claimed, own, tolerance=1e-9)
    for what, a, b in differences:
        v.mismatch(None, f"summary {what}", a, b)
    v.check("summary", not differences, "summary.json equals the summary recomputed from samples.jsonl"
            if not differences else f"summary.json differs from samples.jsonl in {len(differences)} value(s)")
    if reverified is None:
        v.skip("scores", "NOT re-verified: the bundle carries no videos; scores are taken as claimed")
        v.report.summary = claimed
        return
    found = summarize(reverified, manifest.samples)
    differences = _compare_summaries(claimed, found, tolerance=METRIC_TOLERANCE)
    for what, a, b in differences:
        v.mismatch(None, f"score {what}", a, b)
    v.check("scores", not differences, "every score recomputed from the re-judged videos equals the claim"
            if not differences else f"{len(differences)} score(s) do not reproduce from the re-judged videos")
    v.report.summary = found
    v.report.reverified = True


def _read_manifest(v: _Validation, archive: SafeZip) -> BundleManifest:
    if MANIFEST not in archive.names:
        raise BadInput(archive.path, f"is not a genreason bundle (no {MANIFEST})", "make one with `genreason submit`")
    data = _json(archive, MANIFEST)
    if not isinstance(data, dict) or data.get("format") != BUNDLE_FORMAT:
        raise BadInput(archive.path, f"{MANIFEST} is not a {BUNDLE_FORMAT} manifest")
    if data.get("version") != BUNDLE_VERSION:
        raise BadInput(archive.path, f"bundle version {data.get('version')!r} is not supported (this genreason "
                       f"reads version {BUNDLE_VERSION})", "validate it with the genreason that made it")
    try:
        manifest = BundleManifest.model_validate(data)
    except ValidationError as exc:
        v.check("manifest", False, f"malformed {MANIFEST}: {validation_problem(exc)}", fatal=True)
        raise  # unreachable: a fatal check raises
    v.report.model, v.report.suite, v.report.samples = manifest.model, manifest.suite, manifest.samples
    v.report.partial = manifest.partial
    v.check("manifest", True, f"{BUNDLE_FORMAT} version {BUNDLE_VERSION}, schema valid")
    return manifest


def _json(archive: SafeZip, name: str) -> Any:
    try:
        return json.loads(archive.read(name).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise BadInput(archive.path, f"{name} is not valid JSON ({exc})") from None


def _read_files(v: _Validation, archive: SafeZip, manifest: BundleManifest) -> tuple[list[SampleRecord], Summary]:
    """Members as named by the manifest, the two files' hashes, and their parsed contents."""
    included = [video.member for video in manifest.videos if video.included]
    expected = {MANIFEST, SAMPLES, SUMMARY, *included}
    names = set(archive.names)
    unexpected, missing = sorted(names - expected), sorted(expected - names)
    uniform = all(video.included == manifest.videos_included for video in manifest.videos)
    v.check("members", not unexpected and not missing and uniform,
            f"exactly the {len(expected)} members the manifest names" if not unexpected and not missing and uniform
            else f"unexpected {unexpected[:3]}, missing {missing[:3]}"
            + ("" if uniform else "; some videos included and others not"), fatal=bool(missing))
    bad = [name for name in (SAMPLES, SUMMARY) if manifest.files.get(name) != archive.sha256[name]]
    for name in bad:
        v.mismatch(None, f"sha256 of {name}", manifest.files.get(name), archive.sha256[name])
    v.check("file hashes", not bad, f"{SAMPLES} and {SUMMARY} match the manifest's SHA-256"
            if not bad else f"{', '.join(bad)} do(es) not match the manifest's SHA-256")
    records: list[SampleRecord] = []
    text = archive.read(SAMPLES).decode("utf-8", errors="replace")
    for number, line in enumerate(text.splitlines(), start=1):
        try:
            records.append(SampleRecord.model_validate_json(line))
        except ValidationError as exc:
            v.check("samples", False, f"{SAMPLES} line {number}: {validation_problem(exc)}", fatal=True)
    try:
        claimed = Summary.model_validate(_json(archive, SUMMARY))
    except ValidationError as exc:
        v.check("summary", False, f"malformed {SUMMARY}: {validation_problem(exc)}", fatal=True)
        raise  # unreachable
    return records, claimed


def _check_suite(v: _Validation, manifest: BundleManifest, family_for: Callable[[str], PuzzleFamily],
                 verifier_for: Callable[[str], Verifier]) -> list[PuzzleSpec]:
    """The installed suite of that name must be the bundle's, judged by the same verifiers."""
    claim = manifest.suite
    # Only built-in names: load_suite would read a path, and the name comes from the submitter.
    if claim.name not in builtin_suites():
        v.check("suite", False, f"suite {claim.name!r} is not installed", fatal=True)
    suite = load_suite(claim.name)
    families = load_families(suite, family_for)
    specs = suite.puzzles(families, claim.limit)
    installed = {name: family.version for name, family in families.items()}
    digest = digest_ids(spec.id for spec in specs)
    problems = []
    if suite.version != claim.version:
        problems.append(f"version {claim.version!r} claimed, {suite.version!r} installed")
    if digest != claim.puzzle_ids_sha256 or len(specs) != claim.n_puzzles:
        problems.append(f"puzzle ids differ ({claim.n_puzzles} puzzles, digest {claim.puzzle_ids_sha256[:12]} "
                        f"claimed; {len(specs)}, {digest[:12]} installed)")
    if installed != manifest.families:
        problems.append(f"family versions {manifest.families} claimed, {installed} installed")
    v.check("suite", not problems, f"{suite.name} version {suite.version} installed with the same {len(specs)} "
            f"puzzle ids and family versions" if not problems else "; ".join(problems), fatal=bool(problems))
    problems = []
    for name, family in families.items():
        claimed = manifest.verifiers.get(name)
        verifier = verifier_for(family.verifier)
        if claimed is None or (claimed.name, claimed.version) != (family.verifier, verifier.version):
            problems.append(f"{name}: {claimed.name + ' ' + claimed.version if claimed else 'none'} claimed, "
                            f"{family.verifier} {verifier.version} installed")
    v.check("verifiers", not problems, "same verifier names and versions as installed"
            if not problems else "; ".join(problems), fatal=bool(problems))
    return specs


def _check_puzzles(v: _Validation, manifest: BundleManifest, specs: list[PuzzleSpec], folder: Path,
                   family_for: Callable[[str], PuzzleFamily]) -> dict[str, Path]:
    """Regenerate every puzzle from its seed; return each puzzle.json written (for re-judging)."""
    families = {name: family_for(name) for name in {spec.family for spec in specs}}
    files: dict[str, Path] = {}
    bad: list[str] = []
    if [p.id for p in manifest.puzzles] != [s.id for s in specs]:
        v.check("puzzles", False, "the manifest's puzzle list is not the suite's", fatal=True)
    for n, (spec, claim) in enumerate(zip(specs, manifest.puzzles, strict=True)):
        puzzle = spec.generate(families[spec.family])
        path = puzzle.save(folder / f"p{n}")  # names made here, never taken from the bundle
        files[spec.id] = path
        found = {"family": puzzle.family, "difficulty": puzzle.difficulty, "skin": puzzle.skin,
                 "seed": puzzle.seed, "prompt": puzzle.prompt, "puzzle_sha256": sha256_file(path),
                 "frame0_sha256": sha256_file(path.parent / "frame0.png")}
        wrong = [(key, value) for key, value in found.items() if getattr(claim, key) != value]
        for key, value in wrong:
            v.mismatch(None, f"puzzle {spec.id} {key}", getattr(claim, key), value)
        if wrong:
            bad.append(f"{spec.id}: {', '.join(key for key, _ in wrong)}")
    v.check("puzzles", not bad, f"{len(specs)} regenerated from their seeds: seeds, skins, prompts, puzzle.json "
            "and frame0.png identical" if not bad
            else f"{len(bad)} of {len(specs)} do not match their regeneration ({'; '.join(bad[:3])})")
    return files


def _check_samples(v: _Validation, manifest: BundleManifest, records: list[SampleRecord],
                   specs: list[PuzzleSpec]) -> None:
    """Each record belongs to a puzzle, with the run's seed and the puzzle's prompt; none is missing."""
    by_id = {spec.id: spec for spec in specs}
    prompts = {p.id: p.prompt for p in manifest.puzzles}
    seen: set[str] = set()
    problems: list[str] = []
    for r in records:
        spec = by_id.get(r.puzzle_id)
        if spec is None or not 0 <= r.index < manifest.samples or r.sample_id != sample_id(r.puzzle_id, r.index):
            problems.append(f"{r.sample_id}: no such sample in the suite")
            continue
        if r.sample_id in seen:
            problems.append(f"{r.sample_id}: recorded twice")
        seen.add(r.sample_id)
        expected = {"family": spec.family, "difficulty": spec.difficulty, "skin": spec.skin,
                    "seed": sample_seed(manifest.seed, r.index), "prompt": prompts[spec.id],
                    "video": video_member(spec.id, r.index) if r.video is not None else None}
        for key, value in expected.items():
            if getattr(r, key) != value:
                v.mismatch(r.sample_id, key, getattr(r, key), value)
                problems.append(f"{r.sample_id}: {key}")
        verifier = manifest.verifiers.get(r.family)
        if r.verdict is not None and (verifier is None or (r.verdict.verifier, r.verdict.verifier_version)
                                      != (verifier.name, verifier.version)):
            problems.append(f"{r.sample_id}: judged by {r.verdict.verifier} {r.verdict.verifier_version}")
        if r.status == "ok" and r.verdict is None:
            problems.append(f"{r.sample_id}: status ok without a verdict")
    if len(records) != manifest.n_records:
        problems.append(f"{len(records)} records, the manifest says {manifest.n_records}")
    v.check("samples", not problems, f"{len(records)} records: each of a suite puzzle, seed {manifest.seed} + "
            "index, the puzzle's prompt, judged by the manifest's verifier"
            if not problems else f"{len(problems)} problem(s): {'; '.join(problems[:5])}")
    total = len(specs) * manifest.samples
    missing = total - len(seen)
    v.check("complete", missing == 0 and not manifest.partial, f"all {total} samples ({len(specs)} puzzles x "
            f"{manifest.samples})" if missing == 0 and not manifest.partial
            else f"partial: {missing} of {total} samples missing; a leaderboard needs every sample")


def _reverify(v: _Validation, archive: SafeZip, manifest: BundleManifest, records: list[SampleRecord],
              puzzle_files: dict[str, Path], folder: Path, jobs: int,
              verifier_for: Callable[[str], Verifier]) -> list[SampleRecord] | None:
    """Check every video's hash and re-judge the included ones; the records with the new verdicts."""
    entries = {video.sample_id: video for video in manifest.videos}
    with_video = [r for r in records if r.video is not None]
    problems = [f"{r.sample_id}: no hash in the manifest" for r in with_video if r.sample_id not in entries]
    problems += [f"{r.sample_id}: video {r.video!r} is not {video_member(r.puzzle_id, r.index)!r}"
                 for r in with_video if r.video != video_member(r.puzzle_id, r.index)]
    problems += [f"{s}: a video entry for no recorded video" for s in set(entries) - {r.sample_id for r in with_video}]
    if not manifest.videos_included:
        v.check("video hashes", not problems, f"{len(entries)} recorded (videos not included)"
                if not problems else "; ".join(problems[:5]))
        v.skip("re-verification", "the bundle carries no videos (submit --with-videos to have scores re-verified)")
        return None
    folder.mkdir(parents=True)
    verifier_names = {f: ref.name for f, ref in manifest.verifiers.items()}
    extracted: dict[str, Path] = {}
    for n, record in enumerate(with_video):
        entry = entries.get(record.sample_id)
        if (entry is None or entry.member != record.video or not entry.included or entry.member not in archive.names
                or record.puzzle_id not in puzzle_files or record.family not in verifier_names):
            problems.append(f"{record.sample_id}: its video is not the manifest's member for it")
            continue
        path = folder / f"v{n}.mp4"  # a name made here, never the member's
        digest = archive.extract(entry.member, path)
        if digest != entry.sha256:
            v.mismatch(record.sample_id, "video sha256", entry.sha256, digest)
            problems.append(f"{record.sample_id}: video does not match its SHA-256")
            continue
        extracted[record.sample_id] = path
    v.check("video hashes", not problems, f"{len(extracted)} of {len(with_video)} videos match their SHA-256"
            if not problems else f"{len(problems)} problem(s): {'; '.join(problems[:5])}")

    executor = verify_executor(jobs, {name: verifier_for(name) for name in set(verifier_names.values())})
    try:
        futures = {sid: executor.submit(verify_task, verifier_names[r.family], puzzle_files[r.puzzle_id],
                                        extracted[sid])
                   for r in records if (sid := r.sample_id) in extracted}
        outcomes = {sid: future.result() for sid, future in futures.items()}
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
    redone: list[SampleRecord] = []
    wrong = 0
    for r in records:
        if r.sample_id in outcomes:
            outcome = outcomes[r.sample_id]
            new = r.model_copy(update={"verdict": outcome.verdict, "status": "error" if outcome.error else "ok",
                                       "error": outcome.error})
            wrong += _compare_verdicts(v, r, new)
        elif r.video is not None:  # its video failed the hash: nothing trustworthy to judge
            new = r.model_copy(update={"verdict": None, "status": "error", "error": "video does not match its hash"})
            wrong += r.success
        else:
            new = r
        redone.append(new)
    v.check("re-verification", wrong == 0, f"{len(outcomes)} videos re-judged by the installed verifiers; every "
            "verdict reproduces" if wrong == 0 else f"{wrong} of {len(outcomes)} re-judged verdicts differ "
            "from the claim")
    return redone


def _compare_verdicts(v: _Validation, claimed: SampleRecord, found: SampleRecord) -> bool:
    """Record how a re-judged sample differs from its claim; True if it does."""
    differs = False
    if claimed.success != found.success:
        v.mismatch(claimed.sample_id, "success", claimed.success, found.success)
        differs = True
    a = claimed.verdict.metrics if claimed.verdict else {}
    b = found.verdict.metrics if found.verdict else {}
    for name in sorted(set(a) | set(b)):
        if name not in a or name not in b or abs(a[name] - b[name]) > METRIC_TOLERANCE:
            v.mismatch(claimed.sample_id, f"metric {name}", a.get(name), b.get(name))
            differs = True
    return differs


def _compare_summaries(claimed: Summary, found: Summary, tolerance: float) -> list[tuple[str, Any, Any]]:
    """Every value that differs, as (where, claimed, found); rows are matched by level, family, difficulty."""
    a, b = _flatten(claimed), _flatten(found)
    out = []
    for key in sorted(set(a) | set(b)):
        x, y = a.get(key), b.get(key)
        same = (isinstance(x, float | int) and isinstance(y, float | int) and abs(x - y) <= tolerance) or x == y
        if not same:
            out.append((key, x, y))
    return out


def _flatten(summary: Summary) -> dict[str, Any]:
    rows = [*summary.difficulties, *summary.families, *([summary.overall] if summary.overall else [])]
    flat: dict[str, Any] = {"samples": summary.samples}
    for row in rows:
        name = "/".join(x for x in (row.family, row.difficulty) if x) or "overall"
        for key, value in _leaves(row.model_dump(mode="json", exclude={"level", "family", "difficulty"})):
            flat[f"{name}.{key}"] = value
    return flat


def _leaves(value: Any, prefix: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _leaves(item, f"{prefix}[{i}]")
    else:
        yield prefix, value
