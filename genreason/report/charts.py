"""Line charts as inline SVG, so a report needs no plotting library and no network to view.

A chart is drawn from named series of ``(x, y)`` points; adding a curve to a
report is adding one :class:`Series`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

# Colour-blind-safe palette (Okabe and Ito), cycled when there are more series.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")


@dataclass(frozen=True)
class Series:
    """One named curve: ``points`` are ``(x, y)`` pairs, drawn in x order; ``dashed`` draws an aggregate."""

    name: str
    points: Sequence[tuple[float, float]]
    dashed: bool = False


def nice_ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    """About ``target`` round tick values (steps of 1, 2 or 5 times a power of ten) covering ``[lo, hi]``."""
    if hi < lo:
        lo, hi = hi, lo
    if hi == lo:
        return [lo]
    raw = (hi - lo) / max(1, target)
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def _label(value: float) -> str:
    return f"{value:g}"


def line_chart(series: Sequence[Series], *, title: str, x_label: str, y_label: str,
               y_range: tuple[float, float] | None = (0.0, 1.0), integer_x: bool = False,
               width: int = 460, height: int = 280) -> str:
    """An SVG line chart with axes, ticks, a legend and a marker on every point.

    Args:
        series: The curves; empty series are left out, and with none at all the
            chart says "no data".
        title: Drawn above the plot.
        x_label: The x axis' name.
        y_label: The y axis' name.
        y_range: Fixed y limits (rates go from 0 to 1); None fits the data.
        integer_x: Ticks only at whole numbers (k, N, frame counts).
        width: Width in pixels (the SVG scales with its container).
        height: Height in pixels.

    Returns:
        One ``<svg>`` element as a string.
    """
    series = [s for s in series if s.points]
    left, right, top, bottom = 52, 150, 28, 44
    plot_w, plot_h = width - left - right, height - top - bottom
    out = [(f'<svg class="chart" viewBox="0 0 {width} {height}" '
           f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">'),
           f'<text x="{left}" y="16" class="chart-title">{escape(title)}</text>']
    if not series:
        out.append(f'<text x="{left + plot_w / 2}" y="{top + plot_h / 2}" text-anchor="middle">no data</text></svg>')
        return "".join(out)
    xs = [float(x) for s in series for x, _ in s.points]
    ys = [float(y) for s in series for _, y in s.points]
    x_lo, x_hi = min(xs), max(xs)
    if x_lo == x_hi:  # one x value: centre it
        x_lo, x_hi = x_lo - 1, x_hi + 1
    y_lo, y_hi = y_range if y_range is not None else (min(ys), max(ys))
    if y_lo == y_hi:
        y_lo, y_hi = y_lo - 0.5, y_hi + 0.5

    def px(x: float) -> float:
        return left + (x - x_lo) / (x_hi - x_lo) * plot_w

    def py(y: float) -> float:
        return top + plot_h - (min(max(y, y_lo), y_hi) - y_lo) / (y_hi - y_lo) * plot_h

    x_ticks = nice_ticks(x_lo, x_hi)
    if integer_x:  # whole numbers only, and always the data's first and last x
        ends = {min(xs), max(xs)}
        near_end = (x_hi - x_lo) / 12
        x_ticks = sorted(ends | {t for t in x_ticks if t == round(t) and min(abs(t - e) for e in ends) > near_end})
        if len(ends) == 1:  # one x value (N = 1): a lone tick, not the padding around it
            x_ticks = sorted(ends)
    for t in nice_ticks(y_lo, y_hi):
        y = py(t)
        out.append(f'<line x1="{left}" x2="{left + plot_w}" y1="{y:.1f}" y2="{y:.1f}" class="grid"/>'
                   f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{_label(t)}</text>')
    for t in x_ticks:
        if not x_lo <= t <= x_hi:
            continue
        x = px(t)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{top + plot_h}" y2="{top + plot_h + 4}" class="axis"/>'
                   f'<text x="{x:.1f}" y="{top + plot_h + 16}" text-anchor="middle" class="tick">{_label(t)}</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{plot_w}" height="{plot_h}" class="frame"/>'
               f'<text x="{left + plot_w / 2}" y="{height - 6}" text-anchor="middle" class="axis-label">'
               f'{escape(x_label)}</text>'
               f'<text transform="translate(14 {top + plot_h / 2}) rotate(-90)" text-anchor="middle" '
               f'class="axis-label">{escape(y_label)}</text>')
    for i, s in enumerate(series):
        colour = PALETTE[i % len(PALETTE)]
        points = sorted((float(x), float(y)) for x, y in s.points)
        coords = " ".join(f"{px(x):.1f},{py(y):.1f}" for x, y in points)
        dash = ' stroke-dasharray="5 3"' if s.dashed else ""
        out.append(f'<g class="series" data-name="{escape(s.name)}">'
                   f'<polyline points="{coords}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        for x, y in points:
            out.append(f'<circle cx="{px(x):.1f}" cy="{py(y):.1f}" r="3" fill="{colour}">'
                       f'<title>{escape(s.name)}: {_label(x)}, {y:.3f}</title></circle>')
        ly = top + 8 + i * 16
        lx = left + plot_w + 12
        out.append(f'<line x1="{lx}" x2="{lx + 18}" y1="{ly}" y2="{ly}" stroke="{colour}" stroke-width="2"{dash}/>'
                   f'<text x="{lx + 24}" y="{ly + 4}" class="legend">{escape(s.name)}</text></g>')
    out.append("</svg>")
    return "".join(out)


__all__ = ["PALETTE", "Series", "line_chart", "nice_ticks"]
