"""The command-line face of submissions: ``genreason submit`` and ``genreason leaderboard validate|build``.

Kept apart from :mod:`genreason.cli` so the core CLI only registers them;
the work is imported when a command runs.
"""

from __future__ import annotations

from pathlib import Path

import click


@click.command()
@click.argument("run", type=click.Path(path_type=Path))
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path), help="The bundle (.zip) to write.")
@click.option("--with-videos", is_flag=True, help="Include the videos, so a validator can re-judge every score.")
@click.option("--allow-partial", is_flag=True, help="Pack an unfinished run (a leaderboard will reject it).")
def submit(run: Path, out: Path, with_videos: bool, allow_partial: bool) -> int:
    """Pack a run folder into a leaderboard submission bundle.

    The zip holds manifest.json (model, suite and its puzzle-id digest, seeds,
    N, verifier versions, the hash of every puzzle and every video),
    samples.jsonl and summary.json, and with --with-videos the videos. The
    same run always gives the same bytes. Refuses unfinished runs unless
    --allow-partial.
    """
    from genreason.leaderboard.submit import make_bundle

    result = make_bundle(run, out, with_videos=with_videos, allow_partial=allow_partial)
    m = result.manifest
    videos = f"{len(m.videos)} videos" if with_videos else f"hashes of {len(m.videos)} videos (no videos)"
    partial = f", PARTIAL: {result.missing} samples missing" if result.missing else ""
    click.echo(f"wrote {out}: {m.model.name} on {m.suite.name} version {m.suite.version}, "
               f"{m.n_records} samples, {videos}{partial}")
    return 0


@click.group()
def leaderboard() -> None:
    """Validate submission bundles and build a static leaderboard from them."""


@leaderboard.command()
@click.argument("bundle", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the validation report as one JSON object.")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(min=1),
              help="Verification processes for re-judging videos.")
def validate(bundle: Path, as_json: bool, jobs: int) -> int:
    """Check a bundle without trusting its submitter.

    Refuses unsafe archives before extracting anything, regenerates every
    puzzle from its seed, checks every video's hash, re-judges the included
    videos and recomputes the scores. Exit code: 0 valid, 1 invalid (tampered,
    unsafe or not reproducing), 2 unreadable.
    """
    from genreason.leaderboard.report import format_report
    from genreason.leaderboard.validate import validate_bundle

    report = validate_bundle(bundle, jobs=jobs)
    click.echo(report.model_dump_json(indent=2) if as_json else format_report(report))
    return report.exit_code


@leaderboard.command()
@click.argument("bundles_dir", type=click.Path(path_type=Path))
@click.option("-o", "--out", required=True, type=click.Path(path_type=Path), help="Folder to write the site to.")
@click.option("--jobs", default=1, show_default=True, type=click.IntRange(min=1),
              help="Verification processes for re-judging videos.")
def build(bundles_dir: Path, out: Path, jobs: int) -> int:
    """Validate every *.zip in BUNDLES_DIR and write index.html, leaderboard.json and leaderboard.md.

    Validation reports are cached in OUT/validations/ by bundle hash.
    """
    from genreason.leaderboard.site import build_site

    def progress(path: Path, report: object) -> None:
        status = getattr(report, "status", "?")
        click.echo(f"{path.name}: {status}", err=True)

    board = build_site(bundles_dir, out, jobs=jobs, on_bundle=progress)
    entries = sum(len(g.entries) for g in board.groups)
    rejected = sum(len(g.rejected) for g in board.groups) + len(board.rejected)
    click.echo(f"wrote {out / 'index.html'}, {out / 'leaderboard.json'}, {out / 'leaderboard.md'}: "
               f"{len(board.groups)} suite group(s), {entries} entries, {rejected} rejected")
    return 0
