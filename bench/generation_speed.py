"""Is best-of-N generation faster batched? N candidates in one pipeline call against N calls of one.

For a diffusers sampler (``--model``, with ``-a key=value`` arguments as on
the ``genreason bench`` command line) this makes N candidate videos of one
maze, seeds 0..N-1, twice, each in a fresh process: once batched (one
``generate`` call with ``max_batch=N``) and once sequentially (N calls of one
request). Each process first loads the model and makes one warm-up video
(not timed), then times its phase ``--repeat`` times and keeps the fastest.
It prints seconds per phase and per video, the batched / sequential time
ratio, each process's peak memory (CUDA max allocated on a GPU, else the
peak resident set size, model included), and the largest difference between
the two phases' frames (they must match: same seeds).

    python bench/generation_speed.py --model wan2.2 --tiny --samples 4
    python bench/generation_speed.py --model wan2.2 --samples 4 -a model_path=/models/wan -a dtype=bfloat16

``--tiny`` saves the model's tiny random-weight pipeline (the one the tests
use) to a temporary folder and runs it on CPU: numbers for the code path,
not for the real model.
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import tempfile
import time
from queue import Empty
from typing import Any

import numpy as np

MAX_COMPARED_BYTES = 256 * 2**20  # frames sent back for the comparison; real-size videos are skipped


def _phase(mode: str, model: str, args: dict[str, Any], samples: int, repeat: int, threads: int | None,
           queue: mp.Queue) -> None:
    import torch

    from genreason.plugins import build, load_family
    from genreason.types import SampleRequest

    if threads:
        torch.set_num_threads(threads)
    sampler = build("samplers", model, args | {"max_batch": samples})
    puzzle = load_family("maze").generate(0, "easy", "classic", "maze/easy/000000")
    requests = [SampleRequest(puzzle=puzzle, prompt=puzzle.prompt, seed=i, index=i) for i in range(samples)]
    list(sampler.generate(requests[:1]))  # warm-up: first-call costs are not generation
    cuda = sampler.torch_device.startswith("cuda")
    if cuda:
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        if mode == "batched":
            videos = list(sampler.generate(requests))
        else:
            videos = [video for request in requests for video in sampler.generate([request])]
        if cuda:
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    if cuda:
        memory = f"CUDA max allocated {torch.cuda.max_memory_allocated() / 2**30:.2f} GiB"
    else:
        memory = f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB"
    frames = [v.frames for v in videos]
    queue.put((best, memory, frames if sum(f.nbytes for f in frames) <= MAX_COMPARED_BYTES else None,
               sampler.torch_device))


def _run(mode: str, *args: Any) -> tuple[float, str, list[np.ndarray] | None, str]:
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    proc = ctx.Process(target=_phase, args=(mode, *args, queue))
    proc.start()
    while True:  # poll, so that a child that died (its traceback is on stderr) does not hang us
        try:
            result = queue.get(timeout=5)
            break
        except Empty:
            if not proc.is_alive():
                raise SystemExit(f"the {mode} process failed (exit code {proc.exitcode})") from None
    proc.join()
    return result


def _key_values(items: list[str]) -> dict[str, str]:
    pairs = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"-a takes KEY=VALUE, got {item!r}")
        pairs[key] = value
    return pairs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", required=True, help="a diffusers sampler, e.g. wan2.2")
    parser.add_argument("-a", dest="args", action="append", default=[], metavar="KEY=VALUE",
                        help="a sampler argument (repeatable)")
    parser.add_argument("--samples", type=int, default=4, help="N, candidates per puzzle (default 4)")
    parser.add_argument("--repeat", type=int, default=1, help="time each phase this many times, keep the best")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default torch's)")
    parser.add_argument("--tiny", action="store_true", help="run the tiny random-weight pipeline on CPU")
    opts = parser.parse_args()
    args: dict[str, Any] = _key_values(opts.args)
    with tempfile.TemporaryDirectory(prefix="genreason-tiny-") as folder:
        if opts.tiny:
            from samplers.diffusion.tiny import save_tiny, tiny_args

            args = tiny_args(opts.model, save_tiny(opts.model, folder)) | args
        common = (opts.model, args, opts.samples, opts.repeat, opts.threads)
        batched = _run("batched", *common)
        sequential = _run("sequential", *common)
    n = opts.samples
    print(f"{opts.model}{' (tiny random weights)' if opts.tiny else ''}: N={n} candidates, device "
          f"{batched[3]}, best of {opts.repeat}")
    print(f"{'':12}{'seconds':>9}{'per video':>11}  memory")
    for name, (seconds, memory, _, _) in (("batched", batched), ("sequential", sequential)):
        print(f"{name:12}{seconds:9.2f}{seconds / n:11.3f}  {memory}")
    print(f"batched / sequential time: {batched[0] / sequential[0]:.2f}")
    if batched[2] is not None and sequential[2] is not None:
        diff = max(int(np.abs(a.astype(int) - b.astype(int)).max()) for a, b in zip(batched[2], sequential[2],
                                                                                   strict=True))
        print(f"largest frame difference, batched vs sequential: {diff} (uint8 levels)")


if __name__ == "__main__":
    main()
