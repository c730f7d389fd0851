"""Generation spread over a Ray cluster (``--executor ray``): one actor per GPU, verification as CPU tasks.

Each actor builds the sampler once (a loaded pipeline stays in GPU memory for
the whole run) and takes batches of requests from the driver; it returns each
video already encoded as MP4 bytes, with the node that made it. The driver,
the only process that writes to the run folder, saves the bytes, submits
verification as Ray CPU tasks and journals every finished sample exactly as a
local run does, so a Ray run and a local run of the same settings write the
same samples. Verification tasks read the puzzle and video files by path: on
a multi-node cluster the run folder must be on a file system every node mounts.

Faults: actors are restarted by Ray and their unfinished batch is retried
(``max_restarts`` / ``max_task_retries``); a batch that still fails becomes an
error record per sample, and the run goes on. An interrupted run resumes from
its journal like a local one.

Ray is imported only here and only when this executor is chosen.
"""

from __future__ import annotations

import socket
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor, Future
from pathlib import Path
from typing import Any

from genreason.errors import GenreasonError
from genreason.fsutil import atomic_write_bytes
from genreason.generation import PathFor, Produced, RayOptions, batches, generate_batch, write_video
from genreason.plugins import Sampler, Verifier, load_sampler
from genreason.types import ComponentSpec, SampleRequest, Video, VideoFile

#: What an actor returns per request: MP4 bytes or None, error or None, seconds, node, the video's meta.
Made = tuple[bytes | None, str | None, float, str, dict[str, Any]]

MAX_RESTARTS = 3  # times Ray restarts a dead actor (and retries its batch) before the batch fails
BATCHES_PER_ACTOR = 2  # in flight per actor: one running, one queued, so no GPU waits for the driver


class GenerationWorker:
    """The body of one Ray actor: a sampler built once, turning batches of requests into MP4 bytes."""

    def __init__(self, sampler: ComponentSpec | Sampler) -> None:
        self.sampler = load_sampler(sampler.name, sampler.args) if isinstance(sampler, ComponentSpec) else sampler

    def describe(self) -> tuple[ComponentSpec, int]:
        return self.sampler.spec(), max(1, self.sampler.max_batch)

    def generate(self, requests: Sequence[SampleRequest]) -> list[Made]:
        """Per request: (MP4 bytes or None, error or None, generation seconds, node, the video's meta)."""
        node = _node_name()
        start = time.perf_counter()
        outcomes = generate_batch(self.sampler, requests)
        per_video = (time.perf_counter() - start) / max(1, len(requests))
        results: list[Made] = []
        for outcome in outcomes:
            if isinstance(outcome, str):
                results.append((None, outcome, per_video, node, {}))
            else:
                data, error = _encode(outcome)
                results.append((data, error, per_video, node, outcome.meta if isinstance(outcome, Video) else {}))
        return results


def _node_name() -> str:
    import ray

    return f"{socket.gethostname()} ({ray.get_runtime_context().get_node_id()[:12]})"


def _encode(video: Video | VideoFile) -> tuple[bytes | None, str | None]:
    """The bytes a local run would write for this video (so a Ray run's files equal a local run's)."""
    with tempfile.TemporaryDirectory() as tmp:
        path, error = write_video(Path(tmp) / "video.mp4", video)
        return (path.read_bytes(), None) if path else (None, error)


def _call_with_verifiers(verifiers: Mapping[str, Verifier], fn: Callable[..., Any], *args: Any) -> Any:
    from genreason.executors import _install

    _install(verifiers, in_worker=False)
    return fn(*args)


class RayVerifyExecutor(Executor):
    """Runs each verification as a one-CPU Ray task, with the run's verifiers shipped once."""

    def __init__(self, verifiers: Mapping[str, Verifier]) -> None:
        import ray

        self._verifiers = ray.put(dict(verifiers))
        self._remote = ray.remote(num_cpus=1)(_call_with_verifiers)
        self._refs: list[Any] = []

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        ref = self._remote.remote(self._verifiers, fn, *args, **kwargs)
        self._refs.append(ref)
        return ref.future()

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        import ray

        if cancel_futures:
            for ref in self._refs:
                ray.cancel(ref)
        self._refs.clear()


class RayGeneration:
    """The generation side of a bench run on Ray: actors, batches in flight, files written by the driver."""

    def __init__(self, model: ComponentSpec, sampler: Sampler | None, options: RayOptions) -> None:
        try:
            import ray
        except ImportError:
            raise GenreasonError("--executor ray needs Ray: pip install 'genreason[ray]'") from None
        self._started_ray = not ray.is_initialized()
        if self._started_ray:
            try:
                ray.init(address=options.address, include_dashboard=False, log_to_driver=False)
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise GenreasonError(f"could not connect to Ray at {options.address or 'a new local instance'}: "
                                     f"{exc}") from None
        gpus = int(ray.cluster_resources().get("GPU", 0))
        per_actor = options.gpus_per_actor if options.gpus_per_actor is not None else (1.0 if gpus else 0.0)
        count = options.actors or (max(1, int(gpus // per_actor)) if per_actor else 1)
        actor_class = ray.remote(num_cpus=1, num_gpus=per_actor, max_restarts=MAX_RESTARTS,
                                 max_task_retries=MAX_RESTARTS)(GenerationWorker)
        self._actors = [actor_class.remote(sampler or model) for _ in range(count)]
        self.spec, self.max_batch = ray.get(self._actors[0].describe.remote())

    def verify_executor(self, jobs: int, verifiers: Mapping[str, Verifier]) -> Executor:
        return RayVerifyExecutor(verifiers)

    def make(self, requests: Iterable[SampleRequest], path_for: PathFor) -> Iterator[Produced]:
        """Every request's video, written where ``path_for`` says, in the order the cluster finishes them."""
        import ray
        from ray.exceptions import RayError

        work = batches(requests, self.max_batch)
        in_flight: dict[Any, tuple[int, list[SampleRequest]]] = {}
        load = [0] * len(self._actors)
        exhausted = False
        while True:
            while not exhausted and len(in_flight) < BATCHES_PER_ACTOR * len(self._actors):
                chunk = next(work, None)
                if chunk is None:
                    exhausted = True
                    break
                actor = min(range(len(self._actors)), key=load.__getitem__)
                in_flight[self._actors[actor].generate.remote(chunk)] = (actor, chunk)
                load[actor] += 1
            if not in_flight:
                return
            ready, _ = ray.wait(list(in_flight), num_returns=1)
            actor, chunk = in_flight.pop(ready[0])
            load[actor] -= 1
            try:
                results = ray.get(ready[0])
            except RayError as exc:  # the actor died more often than Ray restarts it
                reason = f"generation failed on the cluster: {type(exc).__name__}: {str(exc).splitlines()[0]}"
                results = [(None, reason, 0.0, "", {})] * len(chunk)
            yield from self._save(chunk, results, path_for)

    def close(self) -> None:
        import ray

        for actor in self._actors:
            ray.kill(actor)
        if self._started_ray:
            ray.shutdown()

    @staticmethod
    def _save(chunk: Sequence[SampleRequest], results: Sequence[Made], path_for: PathFor) -> Iterator[Produced]:
        for request, (data, error, seconds, node, meta) in zip(chunk, results, strict=True):
            produced = Produced(request, error=error, timing={"generate_s": seconds}, node=node or None, meta=meta)
            if data is not None:
                start = time.perf_counter()
                path = path_for(request)
                atomic_write_bytes(path, data)
                produced.video = path
                produced.timing["write_s"] = time.perf_counter() - start
            yield produced
