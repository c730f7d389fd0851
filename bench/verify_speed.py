"""How fast is verification, next to merely decoding the same video? (one core)

For every registered puzzle family that can animate its solution, this renders
oracle videos of two puzzles (seeds 0 and 1), resizes them to 480x832 (Wan's
default height x width) with 81 frames, encodes them as H.264, then times in
fresh processes pinned to one core: decoding a file with PyAV, and decoding
plus verifying it. Each process handles the seed-1 video first, then the seed-0
one: the first is a process's *cold* video (imports, codec start-up, a
verifier's one-off tables such as sudoku's digit templates), the second a
*warm* one, which is what every further video costs a worker of a run's
process pool. It prints both ratios verify/decode, frames per second and each
process's peak resident memory. Times are the process's CPU seconds (on its
one core), not wall-clock seconds, which other work on a shared machine
inflates; decoding and verifying are still measured in the same run: compare
ratios, not seconds.

    python bench/verify_speed.py [--repeat 3] [--family maze] [--difficulty hard]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np

WIDTH, HEIGHT, FRAMES = 832, 480, 81


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)


def _measure(task: str, cases: list[tuple[str, str]], queue: mp.Queue) -> None:
    """Time ``task`` on each (puzzle, video) in turn in this fresh process; put the seconds and peak MiB."""
    _pin_one_core()
    from genreason.plugins import load_family, load_verifier
    from genreason.types import Puzzle
    from genreason.video import read_video

    seconds = []
    for puzzle_path, video_path in cases:
        puzzle = Puzzle.load(puzzle_path)
        verifier = load_verifier(load_family(puzzle.family).verifier)
        start = time.process_time()
        video = read_video(video_path)
        if task == "verify":
            verdict = verifier.verify(puzzle, video)
            assert verdict.success, f"oracle video not accepted: {verdict.reason or verdict.events[:3]}"
        seconds.append(time.process_time() - start)
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _run(task: str, cases: list[tuple[Path, Path]]) -> tuple[list[float], float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(task, [(str(p), str(v)) for p, v in cases], queue))
    proc.start()
    result = queue.get(timeout=600)
    proc.join()
    return result


def _make_video(family_name: str, difficulty: str, folder: Path, seed: int = 0) -> tuple[Path, Path]:
    from genreason.plugins import load_family
    from genreason.types import Video
    from genreason.video import write_mp4

    family = load_family(family_name)
    puzzle = family.generate(seed, difficulty, family.skins[0], f"{family_name}/{difficulty}/{seed:06d}")
    frames = family.animate(puzzle, "solution", seed=0, frames_per_step=6, hold_frames=8, num_frames=FRAMES)
    frames = np.stack([cv2.resize(f, (WIDTH, HEIGHT), interpolation=cv2.INTER_AREA) for f in frames])
    puzzle_path = puzzle.save(folder / "puzzle")
    video_path = write_mp4(folder / f"{family_name}.mp4", Video(frames, 16.0))
    return puzzle_path, video_path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--family", action="append", help="family name (default: every family that animates)")
    parser.add_argument("--difficulty", default="hard")
    args = parser.parse_args()

    from genreason.plugins import Animator, available, load_family

    names = args.family or [n for n in available("puzzles") if isinstance(load_family(n), Animator)]
    print(f"{FRAMES} frames at {HEIGHT}x{WIDTH} (h x w), one core, CPU seconds, median of {args.repeat} runs\n")
    print(f"{'family':<12} {'decode s':>9} {'verify s':>9} {'ratio':>6} {'verify fps':>11} "
          f"{'cold ratio':>11} {'decode MiB':>11} {'verify MiB':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            # The cold video first, then the timed warm one (see the module docstring).
            cases = [_make_video(name, args.difficulty, Path(tmp) / f"{name}-{seed}", seed) for seed in (1, 0)]
            decode = [_run("decode", cases) for _ in range(args.repeat)]
            verify = [_run("verify", cases) for _ in range(args.repeat)]
            cold_d, d = (statistics.median(s[i] for s, _ in decode) for i in (0, 1))
            cold_v, v = (statistics.median(s[i] for s, _ in verify) for i in (0, 1))
            print(f"{name:<12} {d:9.3f} {v:9.3f} {v / d:6.2f} {FRAMES / v:11.1f} {cold_v / cold_d:11.2f} "
                  f"{max(m for _, m in decode):11.0f} {max(m for _, m in verify):11.0f}")
    print("\nverify s includes decoding; ratio = verify / decode of a worker's next video (target: at most 2);\n"
          "cold ratio: the same for a fresh process's first video")


if __name__ == "__main__":
    main()
