"""The static parts of a report page: run header, summary tables and charts, as HTML strings."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from numbers import Real

from pydantic import ValidationError

from genreason.metrics import Row, Summary
from genreason.report.charts import Series, line_chart
from genreason.store import RunManifest

METRIC_COLUMNS = ("sr", "em", "pr", "sd", "mf")


def header_html(title: str, manifest: RunManifest | None, summary: Summary, notes: Sequence[str]) -> str:
    """The run's name, how it was made, its overall score, and any problems found reading it."""
    facts: list[tuple[str, str]] = []
    if manifest is not None:
        args = ", ".join(f"{k}={v}" for k, v in manifest.sampler.args.items())
        facts += [("suite", f"{manifest.suite.name} (version {manifest.suite.version}"
                            + (f", limit {manifest.suite.limit}" if manifest.suite.limit else "") + ")"),
                  ("sampler", manifest.sampler.name + (f" ({args})" if args else "")),
                  ("samples per puzzle", str(manifest.samples)), ("seed", str(manifest.seed)),
                  ("created", manifest.created),
                  ("genreason", manifest.environment.genreason
                   + (f" (git {manifest.environment.git_commit[:10]})" if manifest.environment.git_commit else ""))]
    if summary.overall is not None:
        o = summary.overall
        facts.append(("overall success", (f"{o.success:.3f} [{o.success_ci[0]:.2f}, {o.success_ci[1]:.2f}] "
                                         f"({o.n_success} of {o.n_samples} samples, {o.n_puzzles} puzzles)")))
    rows = "".join(f"<tr><th>{escape(k)}</th><td>{escape(v)}</td></tr>" for k, v in facts)
    warnings = "".join(f'<p class="note">{escape(n)}</p>' for n in notes)
    return f"<h1>{escape(title)}</h1><table class=\"facts\">{rows}</table>{warnings}"


def _ks(samples: int) -> list[int]:
    """Which pass@k columns to show: all up to 8, else powers of two and N."""
    if samples <= 8:
        return list(range(1, samples + 1))
    return sorted({2 ** i for i in range(samples.bit_length()) if 2 ** i <= samples} | {samples})


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f}"


def _success_cell(row: Row) -> str:
    lo, hi = row.success_ci
    # A bar for the rate and a whisker for its interval, drawn with CSS so it needs no script.
    return (f'<td class="success"><span class="ci" title="Wilson 95% interval">'
            f'<span class="ci-range" style="left:{lo * 100:.1f}%;width:{(hi - lo) * 100:.1f}%"></span>'
            f'<span class="ci-value" style="left:{row.success * 100:.1f}%"></span></span>'
            f"{row.success:.3f} [{lo:.2f}, {hi:.2f}]</td>")


def summary_table(summary: Summary) -> str:
    """Per family x difficulty rows, then the family row (when it has several) and overall (several families)."""
    ks = _ks(summary.samples)
    metrics = [m for m in METRIC_COLUMNS
               if any(m in r.metrics for r in [*summary.difficulties, *summary.families])]
    head = ["family", "difficulty", "puzzles", "samples", "success [95% CI]", *metrics, "errors", "unreadable",
            *[f"pass@{k}" for k in ks]]
    rows = summary.table_rows()
    body = []
    for row in rows:
        cells = [f"<td>{escape(row.family or 'all')}</td><td>{escape(row.difficulty or 'all')}</td>",
                 f'<td class="n">{row.n_puzzles}</td><td class="n">{row.n_samples}</td>', _success_cell(row)]
        cells += [f'<td class="n">{_num(row.metrics.get(m))}</td>' for m in metrics]
        cells += [f'<td class="n">{row.n_errors}</td><td class="n">{row.n_unreadable}</td>']
        cells += [f'<td class="n">{_num(row.pass_at_k[k - 1] if k <= len(row.pass_at_k) else None)}</td>'
                  for k in ks]
        body.append(f'<tr class="level-{row.level}">{"".join(cells)}</tr>')
    if not body:
        return '<p class="note">No samples in this run yet.</p>'
    header = "".join(f"<th>{escape(h)}</th>" for h in head)
    return (f'<div class="table-wrap"><table class="summary"><thead><tr>{header}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table></div>')


def _curve(summary: Summary, field: str) -> list[Series]:
    """One series per family x difficulty (and a dashed one per family) from a per-row list of rates.

    ``field`` names a :class:`Row` attribute holding values for x = 1, 2, ...;
    rows without it give no series.
    """
    def points(row: Row) -> list[tuple[float, float]]:
        values = getattr(row, field, None) or []
        return [(i + 1, float(v)) for i, v in enumerate(values) if isinstance(v, Real)]

    out = []
    for family_row in summary.families:
        own = [r for r in summary.difficulties if r.family == family_row.family]
        out += [Series(f"{r.family}/{r.difficulty}", points(r)) for r in own]
        if len(own) > 1:
            out.append(Series(f"{family_row.family} (all)", points(family_row), dashed=True))
    return out


def sweep_series(sweep: object) -> list[Series]:
    """Success against video length from ``sweep.json`` (:class:`genreason.sweep.Sweep`): overall and per family.

    Anything that does not parse as a sweep gives no series.
    """
    from genreason.sweep import Sweep

    try:
        parsed = Sweep.model_validate(sweep)
    except ValidationError:
        return []
    by_name: dict[str, list[tuple[float, float]]] = {}
    for point in parsed.points:
        by_name.setdefault("all", []).append((point.value, point.overall.success))
        if len(point.families) > 1:
            for family, cell in point.families.items():
                by_name.setdefault(family, []).append((point.value, cell.success))
    return [Series(name, pts, dashed=name != "all") for name, pts in by_name.items()]


def best_of_series(summary: Summary) -> list[Series]:
    """The overall row's best-of-k: reference agreement of the verifier's pick against the oracle's.

    The verifier pick's success equals pass@k by construction (it ranks every
    success first), so the informative curves are ``em``/``precision`` of both
    picks and the oracle pick's success.
    """
    row = summary.overall
    if row is None or len(row.best_of_k) < 2:
        return []
    out = []
    for pick, metrics in row.best_of_k_metrics.items():
        for name, values in metrics.items():
            if pick == "verifier" and name == "success":
                continue
            out.append(Series(f"{pick} pick: {name}", [(i + 1, float(v)) for i, v in enumerate(values)],
                              dashed=pick == "oracle"))
    return out


def charts_html(summary: Summary, sweep: object | None) -> str:
    """Every chart the run has data for: pass@k always, best-of-N and the frame sweep where present."""
    charts = [line_chart(_curve(summary, "pass_at_k"), title="pass@k against k", x_label="k",
                         y_label="pass@k", integer_x=True)]
    best = best_of_series(summary)
    if any(s.points for s in best):
        charts.append(line_chart(best, title="best-of-k: the verifier's pick against the oracle's", x_label="k",
                                 y_label="mean over puzzles", integer_x=True))
    if sweep is not None and sweep_series(sweep):
        charts.append(line_chart(sweep_series(sweep), title="success against video length",
                                 x_label="frames", y_label="success", integer_x=True))
    figures = "".join(f'<figure class="plot">{c}</figure>' for c in charts)
    if summary.samples == 1:
        figures += ('<p class="hint">One sample per puzzle: pass@k has a single point. '
                    "Run with <code>--samples N</code> for the curve over k = 1..N.</p>")
    return figures


__all__ = ["best_of_series", "charts_html", "header_html", "summary_table", "sweep_series"]
