"""Samplers that need no model: the oracle and three rule-blind baselines.

They bound every score from both sides and test the verifiers: the oracle
(the reference solution, drawn by the family) must pass; ``static`` (the first
frame held still), ``straight-line`` (the agent glides straight to the goal
through walls) and ``random-walk`` (legal moves that go nowhere in particular)
must fail. The animated ones ask the puzzle's family to draw the motion, so a
family that wants baselines implements :class:`genreason.plugins.Animator`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterator, Sequence
from typing import ClassVar

import numpy as np

from genreason import plugins
from genreason.errors import GenreasonError
from genreason.plugins import Animator, NotApplicable
from genreason.types import ComponentSpec, SampleRequest, Video


class _Baseline:
    """What every baseline shares: one video per request in order, and a spec rebuilt from its arguments.

    Subclasses store each constructor argument under its own name, which is
    what lets :meth:`spec` list them without a second copy of the list.
    """

    name: ClassVar[str]
    max_batch: int = 16
    fps: float

    def spec(self) -> ComponentSpec:
        params = list(inspect.signature(type(self).__init__).parameters)[1:]
        return ComponentSpec(name=self.name, args={p: getattr(self, p) for p in params})

    def generate(self, requests: Sequence[SampleRequest]) -> Iterator[Video]:
        for request in requests:
            yield Video(frames=self._frames(request), fps=self.fps)

    def _frames(self, request: SampleRequest) -> np.ndarray:
        raise NotImplementedError

    def _check(self, ok: bool, problem: str) -> None:
        if not ok:
            raise GenreasonError(f"{self.name} sampler: {problem}")


class StaticSampler(_Baseline):
    """The first frame, unchanged, for ``num_frames`` frames: nothing moves, nothing is solved."""

    name = "static"

    def __init__(self, fps: float = 16.0, num_frames: int = 49) -> None:
        self.fps = fps
        self.num_frames = num_frames
        self._check(fps > 0, f"fps must be positive, got {fps}")
        self._check(num_frames >= 2, f"num_frames must be at least 2, got {num_frames}")

    def _frames(self, request: SampleRequest) -> np.ndarray:
        return np.repeat(request.image[None], self.num_frames, axis=0)


class _AnimatedBaseline(_Baseline):
    """A baseline whose frames are a motion drawn by the puzzle's own family."""

    motion: ClassVar[str]

    def __init__(self, fps: float = 16.0, frames_per_step: int = 6, hold_frames: int = 8,
                 num_frames: int | None = None) -> None:
        self.fps = fps
        self.frames_per_step = frames_per_step
        self.hold_frames = hold_frames
        self.num_frames = num_frames
        self._check(fps > 0, f"fps must be positive, got {fps}")
        self._check(frames_per_step >= 1, f"frames_per_step must be at least 1, got {frames_per_step}")
        self._check(hold_frames >= 0, f"hold_frames must not be negative, got {hold_frames}")
        self._check(num_frames is None or num_frames >= 3,
                    f"num_frames must be at least 3 (start, motion, rest) or none, got {num_frames}")

    def _frames(self, request: SampleRequest) -> np.ndarray:
        family = plugins.load_family(request.puzzle.family)
        if not isinstance(family, Animator):
            raise NotApplicable(f"the {self.name} baseline needs the puzzle family to draw motions, "
                                f"and {request.puzzle.family!r} does not (it has no animate method)")
        return family.animate(request.puzzle, self.motion, seed=request.seed,
                              frames_per_step=self.frames_per_step, hold_frames=self.hold_frames,
                              num_frames=self.num_frames)


class OracleSampler(_AnimatedBaseline):
    """The reference solution, walked one cell at a time: the upper bound every verifier must pass."""

    name = "oracle"
    motion = "solution"


class StraightLineSampler(_AnimatedBaseline):
    """The agent glides straight from start to goal, through walls: reaches the goal, illegally."""

    name = "straight-line"
    motion = "straight-line"


class RandomWalkSampler(_AnimatedBaseline):
    """Legal moves chosen at random by the request's seed, as many as the reference has."""

    name = "random-walk"
    motion = "random-walk"
