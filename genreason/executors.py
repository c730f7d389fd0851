"""Where verification runs: inline (``--jobs 1``) or in a pool of worker processes.

Both are :class:`concurrent.futures.Executor` objects running :func:`verify_task`,
so the runner has one code path and another executor (a cluster, say) can be
dropped in. The verifiers are handed to each worker once, when it starts,
rather than with every task.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import os
import signal
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future, ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from genreason.errors import BadInput
from genreason.judge import judge_file
from genreason.plugins import Verifier
from genreason.types import Verdict
from genreason.vrbench import load_any_puzzle

T = TypeVar("T")

# The verifiers of this process, by name: set once per worker by ``_install``.
_VERIFIERS: dict[str, Verifier] = {}


@dataclass(frozen=True)
class VerifyOutcome:
    """A verdict, or why the video could not be read (as text: it crosses a process boundary)."""

    verdict: Verdict | None
    error: str | None
    seconds: float


def verify_task(verifier_name: str, puzzle_path: Path, video_path: Path) -> VerifyOutcome:
    """Judge one written video against a saved puzzle (ours or a VR-Bench state) with the named verifier.

    Both are read from disk, so the verdict is exactly what ``genreason verify``
    says about the kept files, and a task carries paths rather than pixels.
    A :class:`BadInput` (a file cannot be read) becomes an outcome with an
    error; any other exception is a bug in the verifier and propagates.
    """
    start = time.perf_counter()
    try:
        verdict = judge_file(load_any_puzzle(puzzle_path), video_path, _VERIFIERS[verifier_name])
    except BadInput as exc:
        return VerifyOutcome(None, str(exc), time.perf_counter() - start)
    return VerifyOutcome(verdict, None, time.perf_counter() - start)


def _install(verifiers: Mapping[str, Verifier], in_worker: bool) -> None:
    if in_worker:
        # Ctrl-C reaches the whole process group; only the main process should
        # react (keep its records, print how to resume), not every worker.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        parent = multiprocessing.parent_process()
        if parent is not None:
            threading.Thread(target=_exit_with, args=(parent.sentinel,), daemon=True).start()
    _VERIFIERS.clear()
    _VERIFIERS.update(verifiers)


def _exit_with(parent_sentinel: int) -> None:
    # A worker holds both ends of its task queue, so it never sees end-of-file
    # when the main process is killed (kill -9): without this it would wait forever.
    multiprocessing.connection.wait([parent_sentinel])
    os._exit(1)


class InlineExecutor(Executor):
    """Runs each task when it is submitted, in this process: no pool, plain tracebacks."""

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        future: Future[T] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # surfaced by future.result(), as a pool would
            future.set_exception(exc)
        return future


def verify_executor(jobs: int, verifiers: Mapping[str, Verifier]) -> Executor:
    """An executor for :func:`verify_task` with ``verifiers`` installed: inline for one job, else a pool.

    The pool starts workers with ``spawn``: forking a process that may hold
    CUDA contexts or torch thread pools (a diffusers sampler) is unsafe.
    Verifiers must therefore be picklable.
    """
    if jobs <= 1:
        _install(verifiers, in_worker=False)
        return InlineExecutor()
    return ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_install, initargs=(dict(verifiers), True))
