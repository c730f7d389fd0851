"""Small stand-ins for a puzzle family, a sampler and a verifier, for runner and CLI tests.

They live in an importable module (not a test file) so that verification
worker processes, which start with ``spawn``, can unpickle them.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from genreason.errors import UnknownName
from genreason.types import ComponentSpec, Event, Puzzle, SampleRequest, Verdict, Video

BRIGHT, DARK = 220, 30

SUITE_TOML = """\
name = "toy"
version = "1"
description = "Toy puzzles for tests."
seed = 7

[[entries]]
family = "toy"
difficulties = ["easy", "hard"]
count = 3
"""


def write_suite(folder: Path, text: str = SUITE_TOML) -> Path:
    path = folder / "toy.toml"
    path.write_text(text)
    return path


class ToyFamily:
    name = "toy"
    version = "1"
    difficulties = ("easy", "hard")
    skins = ("plain", "dark")
    verifier = "toy"

    def generate(self, seed: int, difficulty: str, skin: str, puzzle_id: str) -> Puzzle:
        image = np.full((32, 48, 3), seed % 200, dtype=np.uint8)
        return Puzzle(id=puzzle_id, family=self.name, family_version=self.version, difficulty=difficulty,
                      skin=skin, seed=seed, prompt=f"solve {puzzle_id}", width=48, height=32,
                      layout={}, solution={}, image=image)


class ToySampler:
    """Even seeds make a 'solved' video (bright last frame), odd seeds an unsolved one.

    ``fail_seeds`` raise inside ``generate``; ``interrupt_after`` raises
    KeyboardInterrupt once that many videos have been made (a simulated crash).
    ``calls`` records the seeds of every ``generate`` call.
    """

    name = "toy"

    def __init__(self, max_batch: int = 2, fail_seeds: Sequence[int] = (), interrupt_after: int | None = None):
        self.max_batch = max_batch
        self.fail_seeds = tuple(fail_seeds)
        self.interrupt_after = interrupt_after
        self.calls: list[list[int]] = []
        self.made = 0

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name, args={"fail_seeds": list(self.fail_seeds)})

    @property
    def requested(self) -> list[int]:
        return [seed for call in self.calls for seed in call]

    def generate(self, requests: Sequence[SampleRequest]) -> Iterator[Video]:
        self.calls.append([r.seed for r in requests])
        for request in requests:
            if self.interrupt_after is not None and self.made >= self.interrupt_after:
                raise KeyboardInterrupt
            if request.seed in self.fail_seeds:
                raise RuntimeError(f"out of memory on seed {request.seed}")
            frames = np.repeat(request.image[None], 4, axis=0).copy()
            frames[-1] = BRIGHT if request.seed % 2 == 0 else DARK
            self.made += 1
            yield Video(frames=frames, fps=8.0)


class ToyVerifier:
    name = "toy"
    version = "1"

    def verify(self, puzzle: Puzzle, video: Video) -> Verdict:
        solved = bool(video.frames[-1].mean() > 128)
        return Verdict(verifier=self.name, verifier_version=self.version, success=solved,
                       metrics={"sr": float(solved), "em": float(solved)},
                       events=[Event(frame=video.num_frames - 1, kind="end",
                                     message="goal reached" if solved else "goal not reached")])


def family_for(name: str) -> ToyFamily:
    if name != "toy":
        raise UnknownName("puzzle family", name, ["toy"])
    return ToyFamily()


def verifier_for(name: str) -> ToyVerifier:
    if name != "toy":
        raise UnknownName("verifier", name, ["toy"])
    return ToyVerifier()


class DiesOnceSampler:
    """The oracle, except that the first process to generate with it dies mid-batch (an actor lost to OOM).

    The marker file, written just before dying, tells the restarted process to go on.
    """

    name = "dies-once"
    max_batch = 1

    def __init__(self, marker: str) -> None:
        from samplers.baselines import OracleSampler

        self.marker = marker
        self.inner = OracleSampler()

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name, args={"marker": self.marker})

    def generate(self, requests: Sequence[SampleRequest]) -> Iterator[Video]:
        import os

        if not Path(self.marker).exists():
            Path(self.marker).touch()
            os._exit(1)
        yield from self.inner.generate(requests)
