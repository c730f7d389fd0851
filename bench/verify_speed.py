"""How fast is verification, next to merely decoding the same video? (one core)

For every registered puzzle family that can animate its solution, this renders
an oracle video, resizes it to 480x832 (Wan's default height x width) with 81
frames, encodes it as H.264, then times in fresh processes pinned to one core:
decoding the file with PyAV, and decoding plus verifying it. It prints the
ratio verify/decode, frames per second and each process's peak resident
memory. Both are measured in the same run, because machines here are noisy:
compare ratios, not seconds.

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
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
    cv2.setNumThreads(1)


def _measure(task: str, puzzle_path: str, video_path: str, queue: mp.Queue) -> None:
    _pin_one_core()
    from genreason.plugins import load_family, load_verifier
    from genreason.types import Puzzle
    from genreason.video import read_video

    puzzle = Puzzle.load(puzzle_path)
    verifier = load_verifier(load_family(puzzle.family).verifier)
    start = time.perf_counter()
    video = read_video(video_path)
    if task == "verify":
        verdict = verifier.verify(puzzle, video)
        assert verdict.success, f"oracle video not accepted: {verdict.reason or verdict.events[:3]}"
    seconds = time.perf_counter() - start
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def _run(task: str, puzzle_path: Path, video_path: Path) -> tuple[float, float]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=(task, str(puzzle_path), str(video_path), queue))
    proc.start()
    result = queue.get(timeout=600)
    proc.join()
    return result


def _make_video(family_name: str, difficulty: str, folder: Path) -> tuple[Path, Path]:
    from genreason.plugins import load_family
    from genreason.types import Video
    from genreason.video import write_mp4

    family = load_family(family_name)
    puzzle = family.generate(0, difficulty, family.skins[0], f"{family_name}/{difficulty}/000000")
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
    print(f"{FRAMES} frames at {HEIGHT}x{WIDTH} (h x w), one core, median of {args.repeat} runs\n")
    print(f"{'family':<12} {'decode s':>9} {'verify s':>9} {'ratio':>6} {'verify fps':>11} "
          f"{'decode MiB':>11} {'verify MiB':>11}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            puzzle_path, video_path = _make_video(name, args.difficulty, Path(tmp) / name)
            decode = [_run("decode", puzzle_path, video_path) for _ in range(args.repeat)]
            verify = [_run("verify", puzzle_path, video_path) for _ in range(args.repeat)]
            d = statistics.median(s for s, _ in decode)
            v = statistics.median(s for s, _ in verify)
            print(f"{name:<12} {d:9.3f} {v:9.3f} {v / d:6.2f} {FRAMES / v:11.1f} "
                  f"{max(m for _, m in decode):11.0f} {max(m for _, m in verify):11.0f}")
    print("\nverify s includes decoding; ratio = verify / decode (target: at most 2)")


if __name__ == "__main__":
    main()
