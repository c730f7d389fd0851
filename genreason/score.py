"""Judge videos made elsewhere against a folder of puzzles (``genreason score``).

Two puzzle layouts are understood:

- a ``genreason generate`` export: ``DIR/puzzles/<id>/puzzle.json``; the videos
  are named ``<id with / replaced by __>.mp4`` (sample 0) or ``...__s<i>.mp4``
  (sample i), as in a run folder's ``videos/``;
- VR-Bench: ``DIR/<game>/<skin>/<difficulty>/states/<stem>.json``; the videos
  are ``<stem>.mp4`` (sample 0) or ``<stem>_<i>.mp4`` (sample i), either under
  the same ``<game>/<skin>/<difficulty>/`` path of the videos folder or
  directly in it (flat, only where one state claims the name).

Every puzzle without any video is an error record (counted unsolved), as is a
puzzle file that cannot be read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from genreason.errors import BadInput, UnknownName
from genreason.executors import VerifyOutcome, verify_executor, verify_task
from genreason.fsutil import atomic_write_text
from genreason.metrics import Summary, summarize
from genreason.types import SampleRecord, read_json, sample_id
from genreason.vrbench import FAMILIES, is_vrbench_state, load_any_puzzle, state_names


@dataclass
class Pair:
    """One puzzle file and the videos found for it (index -> path)."""

    puzzle_path: Path
    videos: dict[int, Path] = field(default_factory=dict)
    looked_for: str = ""


@dataclass
class ScoreResult:
    records: list[SampleRecord]
    summary: Summary
    skipped: dict[str, int]  # unsupported VR-Bench game -> states skipped


def find_pairs(puzzles: Path, videos: Path) -> tuple[list[Pair], dict[str, int]]:
    """Pair puzzle files with videos; also the unsupported VR-Bench states skipped, by game."""
    if not puzzles.is_dir():
        raise BadInput(puzzles, "puzzles folder not found")
    if not videos.is_dir():
        raise BadInput(videos, "videos folder not found")
    ours = sorted(puzzles.glob("puzzles/**/puzzle.json"))
    if ours:
        return [_our_pair(p, puzzles, videos) for p in ours], {}
    states = sorted(puzzles.rglob("states/*.json"))
    if not states:
        raise BadInput(puzzles, "holds no puzzles: neither puzzles/<id>/puzzle.json (genreason generate) "
                       "nor <game>/<skin>/<difficulty>/states/*.json (VR-Bench)")
    pairs, skipped = [], {}
    for state in states:
        game = _game_type(state)
        if game is not None and game not in FAMILIES:
            skipped[game] = skipped.get(game, 0) + 1
            continue
        pairs.append(_vrbench_pair(state, puzzles, videos))
    # A flat video may only belong to one state.
    claims: dict[Path, int] = {}
    for pair in pairs:
        for video in pair.videos.values():
            claims[video] = claims.get(video, 0) + 1
    for pair in pairs:
        shared = [v for v in pair.videos.values() if claims[v] > 1]
        if shared:
            pair.videos = {}
            pair.looked_for = (f"{shared[0]} matches more than one state: put the videos under "
                               "<game>/<skin>/<difficulty>/ as the states are")
    return pairs, skipped


def _game_type(state: Path) -> str | None:
    try:
        data = read_json(state, what="VR-Bench state file")
    except BadInput:
        return None  # reported when the pair is judged
    game = data["game_type"] if is_vrbench_state(data) else None
    return game if isinstance(game, str) else None


def _our_pair(puzzle_json: Path, puzzles: Path, videos: Path) -> Pair:
    puzzle_id = puzzle_json.parent.relative_to(puzzles / "puzzles").as_posix()
    stem = puzzle_id.replace("/", "__")
    found = {0: videos / f"{stem}.mp4"} if (videos / f"{stem}.mp4").is_file() else {}
    found.update(_indexed(videos, stem, re.compile(re.escape(stem) + r"__s(\d+)\.mp4")))
    return Pair(puzzle_json, found, f"{videos / stem}.mp4 or {stem}__s<i>.mp4")


def _vrbench_pair(state: Path, puzzles: Path, videos: Path) -> Pair:
    level = state.parent.parent.relative_to(puzzles)
    pattern = re.compile(re.escape(state.stem) + r"_(\d+)\.mp4")
    for folder in dict.fromkeys((videos / level, videos)):
        found = {0: folder / f"{state.stem}.mp4"} if (folder / f"{state.stem}.mp4").is_file() else {}
        found.update(_indexed(folder, state.stem, pattern))
        if found:
            return Pair(state, found)
    return Pair(state, {}, f"{videos / level / state.stem}.mp4, {state.stem}_<i>.mp4, or the same in {videos}")


def _indexed(folder: Path, stem: str, pattern: re.Pattern[str]) -> dict[int, Path]:
    found = {}
    if folder.is_dir():
        for video in folder.glob(f"{stem}*.mp4"):
            match = pattern.fullmatch(video.name)
            if match:
                found[int(match.group(1))] = video
    return found


# -- judging ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Head:
    """What a record needs to know of its puzzle, read without failing."""

    puzzle_id: str
    family: str
    difficulty: str
    skin: str
    prompt: str
    verifier: str | None  # None when the puzzle cannot be judged (``error`` says why)
    error: str | None


def _describe(puzzle_path: Path) -> _Head:
    from genreason.plugins import load_family

    try:
        p = load_any_puzzle(puzzle_path)
        try:
            verifier = load_family(p.family).verifier
        except UnknownName as exc:
            raise BadInput(puzzle_path, str(exc)) from None
        return _Head(p.id, p.family, p.difficulty, p.skin, p.prompt, verifier, None)
    except BadInput as exc:
        skin, difficulty = state_names(puzzle_path)
        game = puzzle_path.parent.parent.parent.parent.name if puzzle_path.parent.name == "states" else "unknown"
        return _Head(f"unreadable/{puzzle_path.stem}", game or "unknown", difficulty, skin, "", None, str(exc))


def score(puzzles: Path, videos: Path, out: Path, jobs: int = 1,
          on_record: Callable[[SampleRecord], None] | None = None, tracker: str = "classical") -> ScoreResult:
    """Judge every video found for the puzzles; write ``samples.jsonl`` and ``summary.json`` into ``out``.

    Videos are judged by :func:`genreason.executors.verify_task` in the same
    executor as a bench run (a process pool for more than one job). ``tracker``
    picks how grid verifiers follow the agent (:func:`genreason.plugins.tracker_args`).
    """
    from genreason.plugins import load_verifier, tracker_args

    pairs, skipped = find_pairs(puzzles, videos)
    records: list[SampleRecord] = []
    tasks: list[tuple[_Head, Path, Path, int]] = []
    for pair in pairs:
        head = _describe(pair.puzzle_path)
        if head.error or not pair.videos:
            records.append(_record(head, 0, None, pair.puzzle_path,
                                   error=head.error or f"no video found (looked for {pair.looked_for})"))
            continue
        for index, video in sorted(pair.videos.items()):
            tasks.append((head, pair.puzzle_path, video, index))
    verifiers = {name: load_verifier(name, tracker_args(name, tracker)) for name in {head.verifier for head, *_ in tasks if head.verifier}}
    executor = verify_executor(jobs if len(tasks) > 1 else 1, verifiers)
    try:
        futures = [executor.submit(verify_task, head.verifier, puzzle_path, video)
                   for head, puzzle_path, video, _ in tasks]
        for (head, puzzle_path, video, index), future in zip(tasks, futures):
            outcome = future.result()
            records.append(_record(head, index, video, puzzle_path, outcome))
            if on_record:
                on_record(records[-1])
    finally:
        executor.shutdown(cancel_futures=True)
    records.sort(key=lambda r: (r.puzzle_id, r.index))
    samples = max((r.index for r in records), default=0) + 1
    summary = summarize(records, samples)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "samples.jsonl", "".join(r.model_dump_json() + "\n" for r in records))
    atomic_write_text(out / "summary.json", summary.model_dump_json(indent=2) + "\n")
    return ScoreResult(records, summary, skipped)


def _record(head: _Head, index: int, video: Path | None, puzzle_path: Path,
            outcome: VerifyOutcome | None = None, error: str | None = None) -> SampleRecord:
    error = error or (outcome.error if outcome else None)
    return SampleRecord(sample_id=sample_id(head.puzzle_id, index), puzzle_id=head.puzzle_id, family=head.family,
                        difficulty=head.difficulty, skin=head.skin, index=index, seed=0, prompt=head.prompt,
                        video=str(video) if video else None, status="error" if error else "ok", error=error,
                        verdict=outcome.verdict if outcome and not error else None,
                        timing={"verify_s": round(outcome.seconds, 3)} if outcome else {},
                        extra={"puzzle_file": str(puzzle_path)})


__all__ = ["Pair", "ScoreResult", "find_pairs", "score"]
