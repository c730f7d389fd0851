"""``genreason leaderboard build``: validate a folder of bundles and write a static leaderboard.

Writes into the output folder ``leaderboard.json`` (``genreason.leaderboard``,
version 1), ``leaderboard.md`` (Markdown tables), ``index.html`` (one
self-contained page: no script, no network) and ``validations/<bundle
sha256>.json``, the validation report of every bundle, reused on the next
build when the bundle and the genreason version are the same.

Bundles are grouped by suite (name, version and puzzle-id digest): scores of
different puzzle sets are never ranked together. Within a group, valid
entries are ranked overall and per family by pass@1, then by the lower bound
of the Wilson interval; rejected bundles are listed with their reasons.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

import genreason
from genreason.errors import BadInput
from genreason.fsutil import atomic_write_text
from genreason.leaderboard.manifest import BundleSuite, sha256_file
from genreason.leaderboard.report import ValidationReport
from genreason.leaderboard.safezip import ZipLimits
from genreason.leaderboard.validate import validate_bundle
from genreason.metrics import Row
from genreason.plugins import PuzzleFamily, Verifier, load_family, load_verifier
from genreason.types import ComponentSpec

LEADERBOARD_FORMAT = "genreason.leaderboard"
LEADERBOARD_VERSION = 1


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Score(_Model):
    """One entry's numbers over a family (or overall)."""

    n_puzzles: int
    n_samples: int
    success: float
    success_ci: tuple[float, float]
    pass_at_k: list[float]
    rank: int


class Entry(_Model):
    """A valid bundle. ``reverified`` false: its scores are the submitter's claim (no videos)."""

    bundle: str
    bundle_sha256: str
    model: ComponentSpec
    samples: int
    reverified: bool
    overall: Score
    families: dict[str, Score]


class Rejected(_Model):
    bundle: str
    bundle_sha256: str | None
    status: Literal["invalid", "unreadable"]
    reasons: list[str]


class Group(_Model):
    """The entries of one suite version and puzzle set, best first."""

    suite: BundleSuite
    entries: list[Entry] = Field(default_factory=list)
    rejected: list[Rejected] = Field(default_factory=list)


class Leaderboard(_Model):
    format: Literal["genreason.leaderboard"] = LEADERBOARD_FORMAT
    version: int = LEADERBOARD_VERSION
    generated_by: str
    groups: list[Group] = Field(default_factory=list)
    rejected: list[Rejected] = Field(default_factory=list)  # bundles whose suite could not be read


def build_site(bundles_dir: str | Path, out: str | Path, *, limits: ZipLimits | None = None, jobs: int = 1,
               family_for: Callable[[str], PuzzleFamily] = load_family,
               verifier_for: Callable[[str], Verifier] = load_verifier,
               on_bundle: Callable[[Path, ValidationReport], None] | None = None) -> Leaderboard:
    """Validate every ``*.zip`` of ``bundles_dir`` (or reuse cached reports) and write the site into ``out``.

    Raises:
        BadInput: ``bundles_dir`` is not a folder or holds no ``*.zip``.
    """
    bundles_dir, out = Path(bundles_dir), Path(out)
    if not bundles_dir.is_dir():
        raise BadInput(bundles_dir, "is not a folder of bundles")
    paths = sorted(bundles_dir.glob("*.zip"))
    if not paths:
        raise BadInput(bundles_dir, "holds no *.zip bundles", "make them with `genreason submit`")
    reports = []
    for path in paths:
        report = _cached_or_validate(path, out / "validations", limits, jobs, family_for, verifier_for)
        reports.append(report)
        if on_bundle:
            on_bundle(path, report)
    board = rank(reports)
    atomic_write_text(out / "leaderboard.json", board.model_dump_json(indent=2) + "\n")
    atomic_write_text(out / "leaderboard.md", render_markdown(board))
    atomic_write_text(out / "index.html", render_html(board))
    return board


def _cached_or_validate(path: Path, cache: Path, limits: ZipLimits | None, jobs: int,
                        family_for: Callable[[str], PuzzleFamily],
                        verifier_for: Callable[[str], Verifier]) -> ValidationReport:
    digest = sha256_file(path)
    cached = cache / f"{digest}.json"
    if cached.is_file():
        try:
            report = ValidationReport.model_validate_json(cached.read_text(encoding="utf-8"))
        except (ValidationError, UnicodeDecodeError):
            report = None  # a damaged cache entry is just redone
        if report is not None and report.bundle_sha256 == digest and report.validator == genreason.__version__:
            return report.model_copy(update={"bundle": path.name})
    report = validate_bundle(path, limits=limits, jobs=jobs, family_for=family_for, verifier_for=verifier_for)
    if report.bundle_sha256 == digest:  # the file did not change while it was read
        atomic_write_text(cached, report.model_dump_json(indent=2) + "\n")
    return report


def rank(reports: list[ValidationReport]) -> Leaderboard:
    """Group reports by suite and rank the valid ones overall and per family."""
    board = Leaderboard(generated_by=genreason.__version__)
    groups: dict[tuple[str, str, str], Group] = {}
    for report in reports:
        suite = report.suite
        group = None
        if suite is not None:
            key = (suite.name, suite.version, suite.puzzle_ids_sha256)
            group = groups.setdefault(key, Group(suite=suite))
        ok = report.status == "valid" and report.summary is not None and report.summary.overall is not None
        if not ok or report.model is None or report.samples is None or report.bundle_sha256 is None:
            rejected = Rejected(bundle=report.bundle, bundle_sha256=report.bundle_sha256,
                                status="unreadable" if report.status == "unreadable" else "invalid",
                                reasons=report.reasons() or ["no scores"])
            (group.rejected if group else board.rejected).append(rejected)
            continue
        assert group is not None and report.summary is not None and report.summary.overall is not None
        group.entries.append(Entry(
            bundle=report.bundle, bundle_sha256=report.bundle_sha256, model=report.model,
            samples=report.samples, reverified=report.reverified, overall=_score(report.summary.overall),
            families={row.family: _score(row) for row in report.summary.families if row.family}))
    for group in groups.values():
        _assign_ranks(group.entries, lambda e: e.overall)
        for family in sorted({f for e in group.entries for f in e.families}):
            _assign_ranks([e for e in group.entries if family in e.families], lambda e, f=family: e.families[f])
        group.entries.sort(key=lambda e: (e.overall.rank, e.model.name, e.bundle))
    board.groups = sorted(groups.values(), key=lambda g: (g.suite.name, g.suite.version, g.suite.puzzle_ids_sha256))
    return board


def _score(row: Row) -> Score:
    return Score(n_puzzles=row.n_puzzles, n_samples=row.n_samples, success=row.success,
                 success_ci=row.success_ci, pass_at_k=row.pass_at_k, rank=0)


def _assign_ranks(entries: list[Entry], score: Callable[[Entry], Score]) -> None:
    """Competition ranking (1, 1, 3) by pass@1, then the interval's lower bound."""
    def key(e: Entry) -> tuple[float, float]:
        s = score(e)
        return (-round(s.pass_at_k[0] if s.pass_at_k else 0.0, 12), -round(s.success_ci[0], 12))
    ordered = sorted(entries, key=key)
    for position, entry in enumerate(ordered):
        previous = ordered[position - 1] if position else None
        tied = previous is not None and key(previous) == key(entry)
        score(entry).rank = score(previous).rank if tied and previous is not None else position + 1


def model_label(model: ComponentSpec) -> str:
    """``name(key=value, ...)``, the way the leaderboard names an entry."""
    args = ", ".join(f"{k}={v}" for k, v in sorted(model.args.items()))
    return f"{model.name}({args})" if args else model.name


def _columns(group: Group) -> int:
    return max((e.samples for e in group.entries), default=1)


def _cells(entry: Entry, score: Score, n_k: int) -> list[str]:
    lo, hi = score.success_ci
    ks = [f"{score.pass_at_k[i]:.3f}" if i < len(score.pass_at_k) else "-" for i in range(n_k)]
    return [str(score.rank), model_label(entry.model), entry.bundle, str(entry.samples), *ks,
            f"{score.success:.3f} [{lo:.2f}, {hi:.2f}]",
            "re-verified" if entry.reverified else "claimed (no videos)"]


def _tables(group: Group) -> list[tuple[str, list[str], list[list[str]]]]:
    """(title, header, rows) for the overall table and one per family."""
    n_k = _columns(group)
    header = ["rank", "model", "bundle", "N", *[f"pass@{k}" for k in range(1, n_k + 1)],
              "success [95% CI]", "scores"]
    tables = [("overall (mean of families)", header, [_cells(e, e.overall, n_k) for e in group.entries])]
    for family in sorted({f for e in group.entries for f in e.families}):
        members = sorted((e for e in group.entries if family in e.families),
                         key=lambda e, f=family: (e.families[f].rank, e.model.name, e.bundle))
        tables.append((f"family {family}", header, [_cells(e, e.families[family], n_k) for e in members]))
    return tables


def _group_title(group: Group) -> str:
    s = group.suite
    limit = f", limit {s.limit}" if s.limit else ""
    return f"suite {s.name} version {s.version} ({s.n_puzzles} puzzles{limit}, ids {s.puzzle_ids_sha256[:12]})"


def _rejected_lines(rejected: list[Rejected]) -> list[str]:
    return [f"{r.bundle} ({r.status}): {'; '.join(r.reasons)}" for r in rejected]


def render_markdown(board: Leaderboard) -> str:
    """The leaderboard as Markdown tables (one section per suite)."""
    def md(text: str) -> str:
        return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").replace("<", "&lt;")

    lines = ["# genreason leaderboard", ""]
    for group in board.groups:
        lines += [f"## {md(_group_title(group))}", ""]
        for title, header, rows in _tables(group):
            lines += [f"### {title}", "", "| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
            lines += ["| " + " | ".join(md(c) for c in row) + " |" for row in rows] or ["(no valid entries)"]
            lines.append("")
        if group.rejected:
            lines += ["### rejected", ""] + [f"- {md(line)}" for line in _rejected_lines(group.rejected)] + [""]
    if board.rejected:
        lines += ["## rejected (unreadable)", ""] + [f"- {md(line)}" for line in _rejected_lines(board.rejected)]
        lines.append("")
    return "\n".join(lines)


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:0.5em 0 1.5em}th,td{border:1px solid #ccc;padding:4px 8px;text-align:right}
td:nth-child(2),td:nth-child(3),th:nth-child(2),th:nth-child(3){text-align:left}
th{background:#f3f3f3}.claimed{color:#a60}.verified{color:#070}.rejected{color:#b00}code{font-size:90%}"""


def render_html(board: Leaderboard) -> str:
    """One self-contained page; every string from a bundle is escaped."""
    e = html.escape
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           "<title>genreason leaderboard</title>", f"<style>{_CSS}</style></head><body>",
           "<h1>genreason leaderboard</h1>",
           ("<p>Entries marked <span class=\"verified\">re-verified</span> had every video re-judged by "
            "the installed verifiers; <span class=\"claimed\">claimed</span> entries carried no videos "
            "and their scores are the submitter's.</p>")]
    for group in board.groups:
        out.append(f"<h2>{e(_group_title(group))}</h2>")
        for title, header, rows in _tables(group):
            out.append(f"<h3>{e(title)}</h3><table><tr>" + "".join(f"<th>{e(h)}</th>" for h in header) + "</tr>")
            for row in rows:
                css = "verified" if row[-1] == "re-verified" else "claimed"
                cells = "".join(f"<td>{e(c)}</td>" for c in row[:-1]) + f"<td class=\"{css}\">{e(row[-1])}</td>"
                out.append(f"<tr>{cells}</tr>")
            out.append("</table>")
        if group.rejected:
            out.append("<h3>rejected</h3><ul>" + "".join(f"<li class=\"rejected\">{e(line)}</li>"
                                                          for line in _rejected_lines(group.rejected)) + "</ul>")
    if board.rejected:
        out.append("<h2>rejected (unreadable)</h2><ul>" + "".join(
            f"<li class=\"rejected\">{e(line)}</li>" for line in _rejected_lines(board.rejected)) + "</ul>")
    out.append(f"<p><small>generated by genreason {e(board.generated_by)}</small></p></body></html>")
    return "\n".join(out) + "\n"
