"""Sweep the video-length budget: one bench run per ``num_frames`` value, and the curve they make.

"Thinking in Frames" scales test-time compute with the length of the video:
more frames give the model more room to walk the solution. ``genreason bench
--num-frames 17 --num-frames 33 ...`` runs the same bench once per value, with
the sampler's ``num_frames`` argument set to it, each in its own run folder
``<out>/num_frames-<value>/`` (so each resumes on its own), and writes
``<out>/sweep.json``: success and pass@k per value, overall and per family.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from genreason.errors import GenreasonError
from genreason.fsutil import atomic_write_text
from genreason.metrics import Row, Summary
from genreason.plugins import load_class
from genreason.runner import BenchConfig, run_bench
from genreason.types import ComponentSpec

SWEEP_VERSION = 1
PARAMETER = "num_frames"


class SweepCell(BaseModel):
    """The headline numbers of one summary row at one value."""

    model_config = ConfigDict(extra="forbid")

    success: float
    pass_at_k: list[float] = Field(default_factory=list)
    best_of_k: list[float] = Field(default_factory=list)
    n_samples: int
    n_errors: int

    @classmethod
    def of(cls, row: Row) -> SweepCell:
        return cls(success=row.success, pass_at_k=row.pass_at_k, best_of_k=row.best_of_k,
                   n_samples=row.n_samples, n_errors=row.n_errors)


class SweepPoint(BaseModel):
    """One value of the swept parameter: where its run is and what it scored."""

    model_config = ConfigDict(extra="forbid")

    value: int
    run: str  # the run folder, relative to the sweep folder
    overall: SweepCell  # the summary's overall row (the mean of the family rows)
    families: dict[str, SweepCell]


class Sweep(BaseModel):
    """``sweep.json``: the bench settings shared by every point, and one point per value, in the order given."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["genreason.sweep"] = "genreason.sweep"
    version: int = SWEEP_VERSION
    parameter: Literal["num_frames"] = PARAMETER
    model: ComponentSpec  # the sampler and its other arguments
    suite: str
    samples: int
    seed: int
    limit: int | None
    points: list[SweepPoint] = Field(default_factory=list)


def point_folder(out: Path, value: int) -> Path:
    """The run folder of one value: ``<out>/num_frames-<value>``."""
    return out / f"{PARAMETER}-{value}"


def run_sweep(config: BenchConfig, values: Sequence[int],
              on_point: Callable[[SweepPoint, Summary], None] | None = None) -> Sweep:
    """Run (or resume) ``config``'s bench once per ``num_frames`` value under ``config.out``.

    ``sweep.json`` is rewritten after each value, so an interrupted sweep keeps
    the finished points; rerunning the same command resumes every run.

    Args:
        config: The bench settings; ``config.out`` is the sweep folder.
        values: The ``num_frames`` values, run in this order (repeats are dropped).
        on_point: Called after each value's run, e.g. to print progress.

    Raises:
        GenreasonError: The sampler takes no ``num_frames``, it is also given as a sampler
            argument, or no value is given.
    """
    values = list(dict.fromkeys(values))
    _check(config.model, values)
    sweep = Sweep(model=config.model, suite=config.suite, samples=config.samples, seed=config.seed,
                  limit=config.limit)
    for value in values:
        folder = point_folder(config.out, value)
        model = ComponentSpec(name=config.model.name, args={**config.model.args, PARAMETER: value})
        summary = run_bench(config.model_copy(update={"model": model, "out": folder}))
        if summary.overall is None:  # a suite always has puzzles; kept for the type checker
            raise GenreasonError(f"{folder}: the run produced no samples")
        point = SweepPoint(value=value, run=folder.relative_to(config.out).as_posix(),
                           overall=SweepCell.of(summary.overall),
                           families={row.family or "": SweepCell.of(row) for row in summary.families})
        sweep.points.append(point)
        atomic_write_text(config.out / "sweep.json", sweep.model_dump_json(indent=2) + "\n")
        if on_point:
            on_point(point, summary)
    return sweep


def _check(model: ComponentSpec, values: Sequence[int]) -> None:
    if not values:
        raise GenreasonError("a num_frames sweep needs at least one value")
    if PARAMETER in model.args:
        raise GenreasonError(f"num_frames is given both as -a num_frames={model.args[PARAMETER]} and as "
                             "--num-frames: give it once")
    params = list(inspect.signature(load_class("samplers", model.name).__init__).parameters)[1:]
    if PARAMETER not in params:
        raise GenreasonError(f"the {model.name} sampler takes no num_frames argument, so --num-frames cannot "
                             f"sweep it (it accepts: {', '.join(params) or 'none'})")


def format_sweep(sweep: Sweep) -> str:
    """The curve as a plain-text table: one line per value, success and pass@k, then success per family."""
    ks = range(1, sweep.samples + 1)
    families = list(dict.fromkeys(f for p in sweep.points for f in p.families))
    per_family = families if len(families) > 1 else []
    header = [PARAMETER, "success", *[f"pass@{k}" for k in ks], *[f"success({f})" for f in per_family], "errors"]
    lines = [header]
    for p in sweep.points:
        cells = [str(p.value), f"{p.overall.success:.3f}",
                 *[f"{p.overall.pass_at_k[k - 1]:.3f}" if k <= len(p.overall.pass_at_k) else "-" for k in ks],
                 *[f"{p.families[f].success:.3f}" if f in p.families else "-" for f in per_family],
                 str(p.overall.n_errors)]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.rjust(w) for cell, w in zip(line, widths, strict=True)) for line in lines)


__all__ = ["Sweep", "SweepCell", "SweepPoint", "format_sweep", "point_folder", "run_sweep"]
