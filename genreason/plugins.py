"""The three roles as protocols, and the registry that finds them through entry points.

A plugin is any class registered under one of the entry-point groups below.
The built-ins in ``puzzles/``, ``samplers/`` and ``verifiers/`` register in
``pyproject.toml`` exactly as a third-party package would; this module never
imports them by name. Entry points are loaded lazily, so listing plugins does
not import torch.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Iterator, Sequence
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Protocol, runtime_checkable

import numpy as np

from genreason.errors import GenreasonError, UnknownName
from genreason.types import ComponentSpec, Puzzle, SampleFailure, SampleRequest, Verdict, Video

GROUPS = {
    "puzzles": "genreason.puzzles",
    "samplers": "genreason.samplers",
    "verifiers": "genreason.verifiers",
    "suites": "genreason.suites",
}


@runtime_checkable
class PuzzleFamily(Protocol):
    """Generates puzzles of one kind from a seed. Pure: same seed, same bytes."""

    name: str
    version: str
    difficulties: tuple[str, ...]
    skins: tuple[str, ...]
    verifier: str  # name of the verifier that judges this family

    def generate(self, seed: int, difficulty: str, skin: str, puzzle_id: str) -> Puzzle: ...


@runtime_checkable
class Animator(Protocol):
    """A family that can render motions of its own pieces (used by the oracle and baselines).

    ``motion`` is ``solution`` (the reference), ``straight-line`` (from start to
    goal ignoring every rule) or ``random-walk`` (seeded legal moves). A family
    raises :class:`NotApplicable` for a motion that means nothing for it.
    """

    def animate(self, puzzle: Puzzle, motion: str, *, seed: int, frames_per_step: int,
                hold_frames: int, num_frames: int | None) -> np.ndarray: ...


@runtime_checkable
class Calibratable(Protocol):
    """A family that can draw labelled videos of its own puzzles, for ``genreason calibrate``.

    ``calibration_cases`` returns the reference solution and the hard negatives
    that apply to ``puzzle``, each an object with ``name`` (str), ``frames``
    (T x H x W x 3 uint8), ``fps`` (float), ``legal`` (bool: the truth) and
    ``single_frame`` (bool: the violation shows in one frame or between two
    consecutive ones only, so dropping frames can erase it), like
    :class:`puzzles.negatives.Case`. ``seed`` drives any random choice.

    A family that draws an agent may also take ``restyle``, the name of one of
    :data:`genreason.calibrate.RESTYLE_COLUMNS`' restyles (``hue-shifted``,
    ``shaded``, ``smaller``, ``reshaped``), and then draws the same cases with
    the agent so redrawn from the second frame on; ``calibrate`` skips its
    agent columns for a family whose ``calibration_cases`` takes no ``restyle``.
    """

    def calibration_cases(self, puzzle: Puzzle, seed: int) -> list[Any]: ...


class NotApplicable(GenreasonError):
    """A baseline asked for a motion that a family does not define."""


@runtime_checkable
class Sampler(Protocol):
    """Turns requests (first frame, prompt, seed) into videos, one per request, in order.

    For a request it cannot serve, a sampler yields a :class:`SampleFailure`
    (recorded as that sample's error) rather than raising, which fails the batch.
    """

    name: str
    max_batch: int  # how many requests one ``generate`` call takes at most

    def spec(self) -> ComponentSpec: ...

    def generate(self, requests: Sequence[SampleRequest]) -> Iterator[Video | SampleFailure]: ...


@runtime_checkable
class Verifier(Protocol):
    """Reads a video of a puzzle and judges it. Never imports model code."""

    name: str
    version: str

    def verify(self, puzzle: Puzzle, video: Video) -> Verdict: ...


def _entry_points(group: str) -> dict[str, EntryPoint]:
    return {ep.name: ep for ep in entry_points(group=GROUPS[group])}


def available(group: str) -> dict[str, str]:
    """Names registered in ``group`` (puzzles, samplers, verifiers, suites) and where they point."""
    return {name: ep.value for name, ep in sorted(_entry_points(group).items())}


def load_class(group: str, name: str) -> type:
    eps = _entry_points(group)
    kind = {"puzzles": "puzzle family", "samplers": "model", "verifiers": "verifier",
            "suites": "suite package"}[group]
    if name not in eps:
        raise UnknownName(kind, name, list(eps))
    return eps[name].load()


def build(group: str, name: str, args: dict[str, Any] | None = None) -> Any:
    """Instantiate plugin ``name`` with ``args``, converting strings given on a command line.

    Unknown arguments fail with the list of accepted ones, rather than being
    swallowed by ``**kwargs``.
    """
    cls = load_class(group, name)
    args = dict(args or {})
    params = _init_params(cls)
    unknown = [k for k in args if k not in params]
    if unknown:
        accepted = ", ".join(params) or "none"
        raise GenreasonError(f"{name} does not take argument(s) {', '.join(unknown)}; it accepts: {accepted}")
    missing = [p for p in _required_params(cls) if p not in args]
    if missing:
        raise GenreasonError(f"{name} needs argument(s) {', '.join(missing)} (give each as -a KEY=VALUE)")
    hints = _hints(cls)
    converted = {k: coerce(v, hints.get(k), f"{name} argument {k}") for k, v in args.items()}
    return cls(**converted)


def load_family(name: str) -> PuzzleFamily:
    return build("puzzles", name)


def load_verifier(name: str, args: dict[str, Any] | None = None) -> Verifier:
    return build("verifiers", name, args)


def tracker_args(name: str, tracker: str) -> dict[str, Any]:
    """Verifier ``name``'s arguments for a ``--tracker`` choice.

    Empty for the default (``classical``) and for verifiers that have no
    tracker to choose (they read their pieces by other means), so one option
    applies across a suite that mixes families.
    """
    if tracker == "classical" or "tracker" not in _init_params(load_class("verifiers", name)):
        return {}
    return {"tracker": tracker}


def load_sampler(name: str, args: dict[str, Any] | None = None) -> Sampler:
    return build("samplers", name, args)


def _init_params(cls: type) -> list[str]:
    sig = inspect.signature(cls.__init__)
    return [p.name for p in list(sig.parameters.values())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _required_params(cls: type) -> list[str]:
    sig = inspect.signature(cls.__init__)
    return [p.name for p in list(sig.parameters.values())[1:]
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.default is p.empty]


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls.__init__)
    except Exception:  # unresolvable annotations: fall back to strings
        return {}


def coerce(value: Any, annotation: Any, what: str) -> Any:
    """Convert a command-line string to the parameter's annotated type (int, float, bool, str, optional)."""
    if not isinstance(value, str) or annotation is None:
        return value
    options = typing.get_args(annotation) if _is_union(annotation) else (annotation,)
    if value.lower() in ("none", "null") and type(None) in options:
        return None
    for target in options:
        if target is bool:
            if value.lower() in ("1", "true", "yes", "on"):
                return True
            if value.lower() in ("0", "false", "no", "off"):
                return False
        elif target in (int, float):
            try:
                return target(value)
            except ValueError:
                continue
        elif target is str:
            return value
    raise GenreasonError(f"{what}: cannot read {value!r} as {annotation}")


def _is_union(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (typing.Union, types.UnionType)
