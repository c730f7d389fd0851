"""The ``genreason`` command line: a thin layer over the library.

:func:`main` is callable with an argument list (no subprocess needed) and
returns the exit code: 0 success, 1 a video judged not solved, 2 bad input or a
usage error (one line on stderr, never a traceback), 130 interrupted.
Commands import what they need when they run, so ``genreason verify`` loads
no more than judging one video takes.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from typing import TYPE_CHECKING

import click

import genreason
from genreason.errors import BadInput, GenreasonError, UnknownName
from genreason.plugins import GROUPS, available, load_family, load_verifier, tracker_args
from genreason.types import ComponentSpec, Puzzle, Verdict

if TYPE_CHECKING:  # imported when a command runs, not at start-up
    from genreason.runner import BenchConfig

EXIT_SOLVED, EXIT_NOT_SOLVED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

def EXECUTOR_OPTIONS(command: Callable[..., Any]) -> Callable[..., Any]:  # noqa: N802 (used as a decorator)
    """``--executor`` and the Ray options, shared by ``bench`` and ``refine``."""
    for option in reversed([
        click.option("--executor", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="Where videos are generated: this machine, or actors on a Ray cluster (one per GPU)."),
        click.option("--ray-address", help="Ray cluster to join [default: $RAY_ADDRESS, else a new local instance]."),
        click.option("--ray-actors", type=click.IntRange(min=1), help="Generation actors [default: one per GPU]."),
        click.option("--ray-gpus-per-actor", type=click.FloatRange(min=0),
                     help="GPUs each actor holds [default: 1 with GPUs, else 0]."),
    ]):
        command = option(command)
    return command


TRACKER_OPTION = click.option(
    "--tracker", type=click.Choice(["classical", "cotracker"]), default="classical", show_default=True,
    help="How grid verifiers follow the agent: colour and shape (no weights), or CoTracker3 point "
         "tracks for an agent the model redraws (needs torch and a CoTracker checkout; CC-BY-NC).")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(genreason.__version__, prog_name="genreason")
def cli() -> None:
    """Measure whether image-to-video models can reason: puzzles, videos, strict verdicts."""


@cli.command()
@click.argument("name", required=False)
def plugins(name: str | None) -> int:
    """List the registered plugins.

    With NAME, show only the entries of that name, in every group.
    """
    groups = {group: available(group) for group in GROUPS}
    if name is not None:
        groups = {group: {n: t for n, t in found.items() if n == name} for group, found in groups.items()}
        if not any(groups.values()):
            raise UnknownName("plugin", name, sorted({n for g in GROUPS for n in available(g)}))
    for group, found in groups.items():
        if not found:
            continue
        click.echo(f"{group} ({GROUPS[group]})")
        width = max(len(n) for n in found)
        for plugin, target in found.items():
            click.echo(f"  {plugin.ljust(width)}  {target}")
    return 0


@cli.command()
def suites() -> int:
    """List the built-in suites with their version and size."""
    from genreason.suites import builtin_suites, read_suite

    found = builtin_suites()
    width = max((len(n) for n in found), default=0)
    for name, path in found.items():
        try:
            suite = read_suite(path)
            click.echo(f"{name.ljust(width)}  version {suite.version}  {suite.size} puzzles  {suite.description}")
        except GenreasonError as exc:
            click.echo(f"{name.ljust(width)}  unreadable: {exc}")
    return 0


@cli.command()
@click.option("--suite", default="maze", show_default=True, help="Built-in suite name or path to a .toml file.")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Folder to write the puzzles to.")
@click.option("--limit", type=click.IntRange(min=1), help="Keep the first K puzzles of each family x difficulty.")
def generate(suite: str, out: Path, limit: int | None) -> int:
    """Export a suite's puzzles to render elsewhere.

    Writes puzzles/<id>/{puzzle.json,frame0.png} and an index of them in
    manifest.jsonl and manifest.csv (see results/README.md).
    """
    from tqdm import tqdm

    from genreason.export import export_suite

    with tqdm(unit="puzzle", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        rows = export_suite(suite, out, limit, on_puzzle=lambda _: bar.update(1))
    click.echo(f"wrote {len(rows)} puzzles to {out} (index: {out / 'manifest.jsonl'}, {out / 'manifest.csv'})")
    return 0


def _key_values(ctx: click.Context, param: click.Parameter, pairs: tuple[str, ...]) -> dict[str, str]:
    args = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", ctx=ctx, param=param)
        args[key] = value
    return args


def _int_list(ctx: click.Context, param: click.Parameter, items: tuple[str, ...]) -> list[int]:
    values = []
    for item in (part.strip() for text in items for part in text.split(",")):
        if not item.isdigit() or int(item) < 1:
            raise click.BadParameter(f"{item!r} is not a positive whole number", ctx=ctx, param=param)
        values.append(int(item))
    return values


@cli.command()
@click.option("--model", required=True, help="Sampler name (see `genreason plugins`).")
@click.option("-a", "--model-arg", "model_args", multiple=True, metavar="KEY=VALUE", callback=_key_values,
              help="Sampler argument; repeatable.")
@click.option("--suite", default="maze", show_default=True, help="Built-in suite name or path to a .toml file.")
@click.option("--samples", default=1, show_default=True, type=click.IntRange(min=1), help="Videos per puzzle (N).")
@click.option("--limit", type=click.IntRange(min=1), help="Keep the first K puzzles of each family x difficulty.")
@click.option("--seed", default=0, show_default=True, type=int, help="Base seed: sample i uses seed+i.")
@click.option("--out", type=click.Path(path_type=Path),
              help="Run folder [default: results/<suite>-<model>-n<N>-seed<S>[-limit<K>]].")
@click.option("--jobs", type=click.IntRange(min=1), help="Verification processes [default: CPU count].")
@click.option("--quiet", is_flag=True, help="No progress bar or per-sample error lines.")
@TRACKER_OPTION
@EXECUTOR_OPTIONS
@click.option("--num-frames", "num_frames", multiple=True, callback=_int_list, metavar="N[,N...]",
              help="Sweep the video length: one run per value (repeatable or a comma list), "
                   "in <out>/num_frames-<N>/, and sweep.json.")
@click.option("--no-report", is_flag=True, help="Do not write report.html into the run folder.")
def bench(model: str, model_args: dict[str, str], suite: str, samples: int, limit: int | None, seed: int,
          out: Path | None, jobs: int | None, quiet: bool, tracker: str, executor: str, ray_address: str | None,
          ray_actors: int | None, ray_gpus_per_actor: float | None, num_frames: list[int],
          no_report: bool) -> int:
    """Sample videos for a suite, verify, summarize.

    Generates the suite's puzzles, asks the model for N videos per puzzle
    (sample i with seed SEED+i), verifies each written video and prints a
    summary table. Rerunning the same command resumes an interrupted run.
    With --num-frames, runs once per value and prints success against it.
    """
    from genreason.metrics import format_best_of, format_table
    from genreason.runner import BenchConfig, default_out, run_bench

    default = default_out(suite, model, samples, seed, limit)
    out = out or (default.with_name(default.name + "-sweep") if num_frames else default)
    config = BenchConfig(model=ComponentSpec(name=model, args=model_args), suite=suite, samples=samples,
                         limit=limit, seed=seed, out=out, jobs=jobs, quiet=quiet, tracker=tracker,
                         executor=executor, ray_address=ray_address, ray_actors=ray_actors,
                         ray_gpus_per_actor=ray_gpus_per_actor)
    if num_frames:
        return _sweep(config, num_frames, no_report)
    try:
        summary = run_bench(config)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: rerun the same command to resume", err=True)
        return EXIT_INTERRUPTED
    click.echo(format_table(summary))
    if summary.samples > 1:
        click.echo(format_best_of(summary))
    click.echo(f"run folder: {out}")
    if not no_report:
        _write_report(out, progress=not quiet)
    return 0


def _sweep(config: BenchConfig, values: list[int], no_report: bool) -> int:
    from genreason.sweep import format_sweep, run_sweep

    try:
        sweep = run_sweep(config, values, on_point=lambda point, _: click.echo(
            f"num_frames={point.value}: success {point.overall.success:.3f} ({config.out / point.run})", err=True))
    except KeyboardInterrupt:
        click.echo("\ninterrupted: rerun the same command to resume", err=True)
        return EXIT_INTERRUPTED
    click.echo(format_sweep(sweep))
    if not no_report:  # each run's report shows the sweep's curve beside its own tables
        for point in sweep.points:
            _write_report(config.out / point.run, progress=not config.quiet)
    click.echo(f"sweep folder: {config.out} (sweep.json)")
    return 0


@cli.command()
@click.option("--model", required=True, help="Sampler name (see `genreason plugins`).")
@click.option("-a", "--model-arg", "model_args", multiple=True, metavar="KEY=VALUE", callback=_key_values,
              help="Sampler argument; repeatable.")
@click.option("--suite", default="maze", show_default=True, help="Built-in suite name or path to a .toml file.")
@click.option("--limit", type=click.IntRange(min=1), help="Keep the first K puzzles of each family x difficulty.")
@click.option("--rounds", default=2, show_default=True, type=click.IntRange(min=0),
              help="Prompt rewrites R; R+1 rounds of candidates (round 0: the plain prompt).")
@click.option("--width", default=2, show_default=True, type=click.IntRange(min=1),
              help="Candidates per puzzle and round (W).")
@click.option("--critic", type=click.Choice(["verifier", "llm"]), default="verifier", show_default=True,
              help="Who analyses the candidates: the verdicts' events (offline) or a chat model.")
@click.option("--rewriter", type=click.Choice(["template", "llm"]), default="template", show_default=True,
              help="Who writes the next prompt: Avoid/Make sure template (offline) or a chat model.")
@click.option("--llm-model", help="Chat model name for the llm critic or rewriter (key: OPENAI_API_KEY).")
@click.option("--llm-base-url", help="OpenAI-compatible server URL [default: OPENAI_BASE_URL, else OpenAI].")
@click.option("--llm-frames", default=4, show_default=True, type=click.IntRange(min=1),
              help="Frames per candidate shown to the llm critic.")
@click.option("--llm-timeout", default=60.0, show_default=True, type=click.FloatRange(min=0, min_open=True),
              help="Seconds per chat request.")
@click.option("--llm-attempts", default=4, show_default=True, type=click.IntRange(min=1),
              help="Tries per chat request (rate limits, server errors and timeouts are retried).")
@click.option("--llm-backoff", default=2.0, show_default=True, type=click.FloatRange(min=0),
              help="Seconds before the first retry; doubles with each retry (a longer Retry-After from the server wins).")
@click.option("--max-words", default=220, show_default=True, type=click.IntRange(min=10),
              help="Longest rewritten prompt, in words (~300 tokens).")
@click.option("--seed", default=0, show_default=True, type=int, help="Base seed of the candidates.")
@click.option("--reuse-seeds", is_flag=True, help="Every round uses round 0's seeds (only the prompt changes).")
@click.option("--out", type=click.Path(path_type=Path),
              help="Run folder [default: results/refine-<suite>-<model>-r<R>-w<W>-<critic>-seed<S>[-limit<K>]].")
@click.option("--jobs", type=click.IntRange(min=1), help="Verification processes [default: CPU count].")
@click.option("--quiet", is_flag=True, help="No progress bar or per-candidate error lines.")
@EXECUTOR_OPTIONS
def refine(model: str, model_args: dict[str, str], suite: str, limit: int | None, rounds: int, width: int,
           critic: str, rewriter: str, llm_model: str | None, llm_base_url: str | None, llm_frames: int,
           llm_timeout: float, llm_attempts: int, llm_backoff: float, max_words: int, seed: int, reuse_seeds: bool,
           out: Path | None, jobs: int | None, quiet: bool, executor: str, ray_address: str | None,
           ray_actors: int | None, ray_gpus_per_actor: float | None) -> int:
    """Refine each puzzle's prompt from critiques of its candidates (VideoTPO-style).

    Round 0 makes W candidates per puzzle from the plain prompt; each later
    round rewrites the prompt from a critique of the previous round's
    verified candidates. Prints success per round; rerunning resumes.
    """
    from genreason.refine import RefineConfig, format_rounds_table, run_refine
    from genreason.refine.llm import LLMSettings
    from genreason.refine.loop import default_refine_out

    llm = None
    if critic == "llm" or rewriter == "llm":
        llm = LLMSettings.from_env(llm_model, llm_base_url, timeout_s=llm_timeout, max_attempts=llm_attempts,
                                   backoff_s=llm_backoff)
    out = out or default_refine_out(suite, model, rounds, width, critic, seed, limit)
    config = RefineConfig(model=ComponentSpec(name=model, args=model_args), suite=suite, limit=limit,
                          rounds=rounds, width=width, critic=critic, rewriter=rewriter, llm=llm,
                          llm_frames=llm_frames, max_words=max_words, seed=seed, reuse_seeds=reuse_seeds,
                          out=out, jobs=jobs, quiet=quiet, executor=executor, ray_address=ray_address,
                          ray_actors=ray_actors, ray_gpus_per_actor=ray_gpus_per_actor)
    try:
        summary = run_refine(config)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: rerun the same command to resume", err=True)
        return EXIT_INTERRUPTED
    click.echo(format_rounds_table(summary))
    click.echo(f"run folder: {out} (prompts and critiques: {out / 'rounds.jsonl'})")
    return 0


def _write_report(folder: Path, progress: bool, to_stderr: bool = False) -> None:
    """Write ``report.html`` into a finished run's folder; a failure only warns (the results are already saved)."""
    from genreason.report import build_report

    try:
        result = build_report(folder, progress=progress)
    except Exception as exc:  # whatever breaks the report, the run itself is complete and saved
        click.echo(f"warning: could not write the report ({type(exc).__name__}: {exc}); "
                   f"try `genreason report {folder}`", err=True)
        return
    click.echo(f"report: {result.path}", err=to_stderr)


@cli.command()
@click.option("--family", "families", multiple=True,
              help="Family to calibrate; repeatable [default: every family that can draw labelled cases].")
@click.option("--n", default=2, show_default=True, type=click.IntRange(min=1), help="Puzzles per family.")
@click.option("--out", default=Path("results/calibration"), show_default=True, type=click.Path(path_type=Path),
              help="Folder to write videos, verdicts and the confusion matrix to.")
@click.option("--jobs", type=click.IntRange(min=1), help="Worker processes [default: CPU count].")
@click.option("--seed", default=0, show_default=True, type=int, help="Base puzzle seed.")
@click.option("--degradation", "degradations", multiple=True,
              help="Column to run (clean, a degradation preset, agent-recoloured, agent-reshaped, or several "
                   "joined by '+', applied in order: resize-480x832+h264-low); repeatable [default: each alone].")
def calibrate(families: tuple[str, ...], n: int, out: Path, jobs: int | None, seed: int,
              degradations: tuple[str, ...]) -> int:
    """Measure the verifiers on labelled videos under every degradation.

    Draws the reference solution and hard negatives of N puzzles per family,
    passes each through every degradation preset (and none), draws each again
    with the agent slightly recoloured and reshaped, writes the MP4s, judges
    them and prints the confusion matrix per family x degradation, then every
    wrong verdict with its video path. Exit code 0 unless the input is bad.
    """
    from tqdm import tqdm

    from genreason.calibrate import CalibrationConfig, format_report, run_calibration

    config = CalibrationConfig(out=out, families=families or None, n=n, jobs=jobs, seed=seed,
                               degradations=degradations or None)
    with tqdm(unit="video", file=sys.stderr, disable=not sys.stderr.isatty()) as bar:
        result = run_calibration(config, on_total=lambda total: setattr(bar, "total", total) or bar.refresh(),
                                 on_video=lambda _: bar.update(1))
    click.echo(format_report(result))
    click.echo(f"written: {out / 'verdicts.jsonl'}, {out / 'confusion.json'}, {out / 'confusion.md'}")
    return 0


@cli.command()
@click.option("--puzzle", "puzzle_path", required=True, type=click.Path(path_type=Path),
              help="puzzle.json (or its folder), or a VR-Bench state .json.")
@click.option("--video", "video_path", required=True, type=click.Path(path_type=Path), help="The video to judge.")
@click.option("--json", "as_json", is_flag=True, help="Print the verdict as one JSON object.")
@TRACKER_OPTION
def verify(puzzle_path: Path, video_path: Path, as_json: bool, tracker: str) -> int:
    """Judge one video against one puzzle.

    Prints the verdict, its metrics and every event. Exit code: 0 solved,
    1 not solved, 2 bad input or a video that cannot be judged.
    """
    from genreason.judge import judge_file
    from genreason.vrbench import load_any_puzzle

    puzzle = load_any_puzzle(puzzle_path)
    try:
        family = load_family(puzzle.family)
    except UnknownName as exc:
        raise BadInput(puzzle_path, str(exc)) from None
    verdict = judge_file(puzzle, video_path, load_verifier(family.verifier, tracker_args(family.verifier, tracker)))
    click.echo(verdict.model_dump_json() if as_json else _describe(puzzle, verdict))
    if verdict.status != "ok":
        return EXIT_BAD_INPUT
    return EXIT_SOLVED if verdict.success else EXIT_NOT_SOLVED


@cli.command()
@click.option("--puzzles", "puzzles_dir", required=True, type=click.Path(path_type=Path),
              help="A `genreason generate` folder, or a VR-Bench dataset (<game>/<skin>/<difficulty>/states/).")
@click.option("--videos", "videos_dir", required=True, type=click.Path(path_type=Path),
              help="The videos to judge (names: see results/README.md).")
@click.option("--out", type=click.Path(path_type=Path), help="Output folder [default: results/score-<videos folder name>].")
@click.option("--jobs", type=click.IntRange(min=1), help="Verification processes [default: CPU count].")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON instead of a table.")
@TRACKER_OPTION
@click.option("--no-report", is_flag=True, help="Do not write report.html into OUT.")
def score(puzzles_dir: Path, videos_dir: Path, out: Path | None, jobs: int | None, as_json: bool,
          tracker: str, no_report: bool) -> int:
    """Judge videos made elsewhere against a folder of puzzles.

    Pairs every puzzle with its videos, verifies each, writes samples.jsonl and
    summary.json into OUT and prints the summary. A puzzle without a video is
    an error (counted unsolved). Exit code 0 unless the input is bad.
    """
    import os

    from genreason.metrics import format_best_of, format_table
    from genreason.score import score as run_score

    out = out or Path("results") / f"score-{videos_dir.resolve().name}"
    result = run_score(puzzles_dir, videos_dir, out, jobs or os.cpu_count() or 1, tracker=tracker)
    for game, count in result.skipped.items():
        click.echo(f"skipped {count} VR-Bench {game} state(s): not supported yet", err=True)
    for record in result.records:
        if record.status == "error":
            click.echo(f"error: {record.sample_id}: {record.error}", err=True)
    click.echo(result.summary.model_dump_json(indent=2) if as_json else format_table(result.summary))
    if not as_json and result.summary.samples > 1:
        click.echo(format_best_of(result.summary))
    if not as_json:
        click.echo(f"written: {out / 'samples.jsonl'}, {out / 'summary.json'}")
    if not no_report:  # with --json, stdout holds only the summary
        _write_report(out, progress=True, to_stderr=as_json)
    return 0


@cli.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(path_type=Path), help="HTML file to write [default: RUN/report.html].")
def report(run: Path, out: Path | None) -> int:
    """Write a self-contained HTML report of a run folder.

    Summary tables with confidence intervals, pass@k charts, and one card per
    sample: the first frame with the tracked and the reference path, frames
    of the video, the verdict and its events. Opens offline in any browser.
    """
    from genreason.report import build_report

    result = build_report(run, out, progress=True)
    click.echo(f"wrote {result.path} ({result.samples} samples, {result.bytes:,} bytes, {result.seconds:.1f} s)")
    return 0


def _describe(puzzle: Puzzle, verdict: Verdict) -> str:
    lines = [f"{puzzle.id}: {verdict.summary_line()} (verifier {verdict.verifier} {verdict.verifier_version})"]
    if verdict.metrics:
        lines.append("metrics: " + " ".join(f"{k}={v:.3f}" for k, v in verdict.metrics.items()))
    for event in verdict.events:  # verifiers usually start messages with "frame N:" already
        prefix = f"frame {event.frame}:"
        lines.append(event.message if event.message.startswith(prefix) else f"{prefix} {event.message}")
    return "\n".join(lines)


# Leaderboard submissions (genreason/leaderboard/): `submit` and `leaderboard validate|build`.
from genreason.leaderboard.commands import leaderboard, submit

cli.add_command(submit)
cli.add_command(leaderboard)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI on ``argv`` (default: ``sys.argv[1:]``) and return the exit code."""
    try:
        result = cli.main(args=list(argv) if argv is not None else None, prog_name="genreason",
                          standalone_mode=False)
    except GenreasonError as exc:
        click.echo(f"error: {exc}", err=True)
        return EXIT_BAD_INPUT
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except OSError as exc:  # a path the user gave cannot be written or read: not a bug
        click.echo(f"error: {exc}", err=True)
        return EXIT_BAD_INPUT
    except (click.Abort, KeyboardInterrupt):
        click.echo("interrupted", err=True)
        return EXIT_INTERRUPTED
    return result if isinstance(result, int) else 0
