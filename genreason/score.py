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

import multiprocessing
import re
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from genreason.errors import BadInput, UnknownName
from genreason.fsutil import atomic_write_text
from genreason.metrics import Summary, summarize
from genreason.types import SampleRecord, Verdict, read_json, sample_id
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

_VERIFIER_CACHE: dict[str, object] = {}


def judge_pair(puzzle_path: Path, video_path: Path) -> tuple[str | None, str | None, float]:
    """(verdict JSON, error, seconds) for one video; runs in a worker process."""
    from genreason.judge import judge_file
    from genreason.plugins import load_family, load_verifier

    start = time.perf_counter()
    try:
        puzzle = load_any_puzzle(puzzle_path)
        try:
            name = load_family(puzzle.family).verifier
        except UnknownName as exc:
            raise BadInput(puzzle_path, str(exc)) from None
        if name not in _VERIFIER_CACHE:
            _VERIFIER_CACHE[name] = load_verifier(name)
        verdict = judge_file(puzzle, video_path, _VERIFIER_CACHE[name])  # type: ignore[arg-type]
    except BadInput as exc:
        return None, str(exc), time.perf_counter() - start
    return verdict.model_dump_json(), None, time.perf_counter() - start


def _describe(puzzle_path: Path) -> tuple[str, str, str, str, str, str | None]:
    """(puzzle id, family, difficulty, skin, prompt, error) of a puzzle file, without failing."""
    try:
        p = load_any_puzzle(puzzle_path)
        return p.id, p.family, p.difficulty, p.skin, p.prompt, None
    except BadInput as exc:
        skin, difficulty = state_names(puzzle_path)
        game = puzzle_path.parent.parent.parent.parent.name if puzzle_path.parent.name == "states" else "unknown"
        return f"unreadable/{puzzle_path.stem}", game or "unknown", difficulty, skin, "", str(exc)


def score(puzzles: Path, videos: Path, out: Path, jobs: int = 1,
          on_record: Callable[[SampleRecord], None] | None = None) -> ScoreResult:
    """Judge every video found for the puzzles; write ``samples.jsonl`` and ``summary.json`` into ``out``."""
    pairs, skipped = find_pairs(puzzles, videos)
    records: list[SampleRecord] = []
    tasks: list[tuple[tuple, Path, Path, int]] = []
    for pair in pairs:
        puzzle_id, family, difficulty, skin, prompt, error = _describe(pair.puzzle_path)
        head = (puzzle_id, family, difficulty, skin, prompt)
        if error or not pair.videos:
            records.append(_record(head, 0, None, error or f"no video found (looked for {pair.looked_for})",
                                   None, 0.0, pair.puzzle_path))
            continue
        for index, video in sorted(pair.videos.items()):
            tasks.append((head, pair.puzzle_path, video, index))
    for (head, puzzle_path, video, index), (verdict, error, seconds) in zip(tasks, _run(tasks, jobs)):
        records.append(_record(head, index, video, error, verdict, seconds, puzzle_path))
        if on_record:
            on_record(records[-1])
    records.sort(key=lambda r: (r.puzzle_id, r.index))
    samples = max((r.index for r in records), default=0) + 1
    summary = summarize(records, samples)
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "samples.jsonl", "".join(r.model_dump_json() + "\n" for r in records))
    atomic_write_text(out / "summary.json", summary.model_dump_json(indent=2) + "\n")
    return ScoreResult(records, summary, skipped)


def _run(tasks: list, jobs: int) -> Iterator[tuple[str | None, str | None, float]]:
    if jobs <= 1 or len(tasks) <= 1:
        for _, puzzle_path, video, _ in tasks:
            yield judge_pair(puzzle_path, video)
        return
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(judge_pair, [t[1] for t in tasks], [t[2] for t in tasks])


def _record(head: tuple, index: int, video: Path | None, error: str | None, verdict: str | None,
            seconds: float, puzzle_path: Path) -> SampleRecord:
    puzzle_id, family, difficulty, skin, prompt = head
    return SampleRecord(sample_id=sample_id(puzzle_id, index), puzzle_id=puzzle_id, family=family,
                        difficulty=difficulty, skin=skin, index=index, seed=0, prompt=prompt,
                        video=str(video) if video else None, status="error" if error else "ok", error=error,
                        verdict=Verdict.model_validate_json(verdict) if verdict else None,
                        timing={"verify_s": round(seconds, 3)}, extra={"puzzle_file": str(puzzle_path)})


__all__ = ["Pair", "ScoreResult", "find_pairs", "judge_pair", "score"]
