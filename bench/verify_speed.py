"""How fast is verification, next to merely decoding the same video? (one core)

For every registered puzzle family that can animate its solution, this renders
oracle videos of two puzzles (seeds 0 and 1), resizes them to 480x832 (Wan's
default height x width) with 81 frames, encodes them as H.264, then times in
fresh processes pinned to one core:

- *decode*: decoding the file with PyAV into one RGB array, every frame
  ``to_ndarray(format="rgb24")`` (:func:`decode_rgb`), what any reader that
  wants the pixels does;
- *verify*: verifying the file as ``genreason score`` does: ``read_video``
  keeps the decoded frames and the verifier converts each to RGB (or RGBA) one
  at a time while it warps it, so no full-size RGB copy of the video is made.

Each process first verifies the seed-1 video, its *cold* video (imports, codec
start-up, a verifier's one-off tables such as sudoku's digit templates), then
decodes it; then it alternates verifying and decoding the seed-0 video (*warm*:
what every further video costs a worker of a run's process pool). Alternating
in one process puts both sides of a ratio under the same load. It prints both
ratios verify/decode, frames per second and the process's peak resident
memory. Times are CPU seconds (on the one core), not wall-clock seconds, which
other work on a shared machine inflates: compare ratios, not seconds.

Part of a decode is the kernel's: its ~97 MB of RGB frames land on fresh pages
every time. Where the kernel hands them out as 2 MB huge pages (numpy asks for
them; whether it gets them depends on the machine and its memory at the time)
a decode takes a few hundred page faults instead of ~12,000-24,000 and costs a
third less CPU or more (on our 2-core machine 0.08-0.11 against 0.13-0.16 s),
and every ratio is larger for it. The ``decode faults`` column (thousands,
median) says which case a row measured: compare ratios measured with similar
fault counts.

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

import av
import cv2
import numpy as np

WIDTH, HEIGHT, FRAMES = 832, 480, 81


def _pin_one_core() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    cv2.setNumThreads(1)


def _measure(cases: list[tuple[str, str]], rounds: int, queue: mp.Queue) -> None:
    """In this fresh process: the cold video's (verify, decode) seconds, then ``rounds`` warm pairs; put them
    and the peak MiB."""
    _pin_one_core()
    from genreason.plugins import load_family, load_verifier
    from genreason.types import Puzzle
    from genreason.video import read_video

    def seconds(task: str, puzzle_path: str, video_path: str) -> tuple[float, int]:
        """CPU seconds of the task, and its page faults."""
        puzzle = Puzzle.load(puzzle_path)
        verifier = load_verifier(load_family(puzzle.family).verifier)
        faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
        start = time.process_time()
        if task == "verify":  # what `genreason score` does with a file (genreason.judge)
            verdict = verifier.verify(puzzle, read_video(video_path))
            assert verdict.success, f"oracle video not accepted: {verdict.reason or verdict.events[:3]}"
        else:
            decode_rgb(video_path)
        return time.process_time() - start, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults

    (cold_puzzle, cold_video), (puzzle, video) = cases
    cold = (seconds("verify", cold_puzzle, cold_video)[0], seconds("decode", cold_puzzle, cold_video)[0])
    warm = []
    for _ in range(rounds):
        (v, _), (d, faults) = seconds("verify", puzzle, video), seconds("decode", puzzle, video)
        warm.append((v, d, faults))
    queue.put((cold, warm, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def decode_rgb(path: str) -> np.ndarray:
    """Only decoding: every frame to one RGB array with PyAV, the usual way to read a video's pixels."""
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        return np.stack([frame.to_ndarray(format="rgb24") for frame in container.decode(stream)])


def _run(cases: list[tuple[Path, Path]], rounds: int) -> tuple:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_measure, args=([(str(p), str(v)) for p, v in cases], rounds, queue))
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
    parser.add_argument("--repeat", type=int, default=3, help="fresh processes per family")
    parser.add_argument("--rounds", type=int, default=3, help="warm (verify, decode) pairs per process")
    parser.add_argument("--family", action="append", help="family name (default: every family that animates)")
    parser.add_argument("--difficulty", default="hard")
    args = parser.parse_args()

    from genreason.plugins import Animator, available, load_family

    names = args.family or [n for n in available("puzzles") if isinstance(load_family(n), Animator)]
    print(f"{FRAMES} frames at {HEIGHT}x{WIDTH} (h x w), one core, CPU seconds, median of {args.repeat} processes "
          f"x {args.rounds} rounds\n")
    print(f"{'family':<12} {'decode s':>9} {'verify s':>9} {'ratio':>6} {'verify fps':>11} "
          f"{'cold ratio':>11} {'peak MiB':>9} {'decode faults':>14}")
    with tempfile.TemporaryDirectory() as tmp:
        for name in names:
            # The cold video first, then the timed warm one (see the module docstring).
            cases = [_make_video(name, args.difficulty, Path(tmp) / f"{name}-{seed}", seed) for seed in (1, 0)]
            runs = [_run(cases, args.rounds) for _ in range(args.repeat)]
            cold_v, cold_d = (statistics.median(cold[i] for cold, _, _ in runs) for i in (0, 1))
            warm = [pair for _, pairs, _ in runs for pair in pairs]
            v, d = (statistics.median(pair[i] for pair in warm) for i in (0, 1))
            ratio = statistics.median(pair[0] / pair[1] for pair in warm)
            faults = statistics.median(pair[2] for pair in warm) / 1000
            print(f"{name:<12} {d:9.3f} {v:9.3f} {ratio:6.2f} {FRAMES / v:11.1f} {cold_v / cold_d:11.2f} "
                  f"{max(m for _, _, m in runs):9.0f} {faults:13.1f}k")
    print("\nverify s includes reading the file; ratio: the median of verify / decode over a worker's next videos, each\n"
          "pair measured back to back (target: at most 2);\n"
          "cold ratio: the same for a fresh process's first video;\n"
          "decode faults: page faults of one decode (a few hundred where the kernel gave huge pages: see the docstring)")


if __name__ == "__main__":
    main()
