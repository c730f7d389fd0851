"""Judge a tangram video: every tan moved rigidly, none lost, split, stretched or added,
and at the end the tans fill the silhouette without overlapping or sticking out.

Steps, top to bottom in :meth:`TangramVerifier.verify`:
1. read the layout and align the puzzle's first frame onto the video
   (:func:`verifiers.canonical.align`: stretched, letterboxed or cropped,
   garbage frames at the start skipped);
2. warp every frame into a canonical raster of :data:`CANVAS` pixels along the puzzle's longer
   side (lengths and areas in pixels are stated for a 256 px raster and follow it);
3. learn the colours of the tans, the background and the silhouette from the
   video's own first frame, and find every tan by colour in every frame
   (:mod:`verifiers.tangram_segment`, frame after frame by :mod:`verifiers.tangram_scan`);
4. judge each tan over time: its visible area and shape must stay those of
   the first frame (it grew only past both that area and its drawn one, which
   a blurred first frame can under-measure: :class:`~verifiers.tangram_rules.Reference`); a departure
   shorter than ``max_glitch_seconds`` is forgiven (a tan passing over
   another hides part of it for a moment), a longer one is a violation, and
   growth, which no hiding explains, is forgiven for ``max_growth_frames``
   frames only; a jump faster than ``max_speed`` is a teleport;
5. judge the last frame: every tan whole, unhidden and rigid (its own outline
   fits it in some pose, and no wedge of it sticks out of that pose), the union
   of the tans covering the silhouette (IoU after the best shift of a few pixels, which
   absorbs camera shake) and every tan inside it;
6. metrics, events and the verdict.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace

import cv2
import numpy as np
from pydantic import BaseModel, ConfigDict, ValidationError

from genreason.errors import BadInput
from genreason.types import Event, Puzzle, Verdict, Video
from puzzles.tangram.pieces import polygon_area
from verifiers import canonical
from verifiers.tangram_fit import best_pose, protrusion, rigid_fit
from verifiers.tangram_rules import AT_END, DURING, Reference, drawn_inset, hidden_by_others, problem
from verifiers.tangram_scan import Scanner
from verifiers.tangram_segment import (
    Observation,
    Palette,
    Table,
    Unmixed,
    junctions,
    learn_palette,
    lookup,
    moment_shape,
    near_bodies,
    unmix,
    with_seams,
)

CANVAS = 224  # canonical pixels along the puzzle's longer side (7/16 of a 512 px puzzle's pixels a side)
# Lengths and areas below are stated for a 256 px canvas and follow CANVAS.
MIN_PIECE_SHARE = 40.0 / 256 ** 2  # a tan covering less of the canvas (CANVAS squared) cannot be judged
SHIFT_SEARCH = round(3 * CANVAS / 256)  # canonical pixels of shift tried when matching the final union to the silhouette
PATCH = round(3 * CANVAS / 256) | 1  # canonical pixels a side of the square over which a tan's protrusion is averaged


class _Piece(BaseModel):
    model_config = ConfigDict(extra="ignore")
    name: str
    kind: str
    colour_name: str
    polygon: list[tuple[float, float]]


class TangramLayout(BaseModel):
    """What the verifier reads from a tangram puzzle's ``layout``."""

    model_config = ConfigDict(extra="ignore")
    width: int
    height: int
    silhouette: list[list[tuple[float, float]]]
    pieces: list[_Piece]


SCREEN_TOLERANCE = 1e-4  # far above the rounding of float32 sums of a canvas (about 1e-6 of them)


def _likely_shifts(silhouette: np.ndarray, empty: np.ndarray, total: np.ndarray) -> list[tuple[int, int]]:
    """The shifts of the silhouette (in the order they are tried) whose IoU with the tans may be the best.

    Each shift's IoU is first worked out in float64 on the silhouette's box only (the sums of
    products with the shifted silhouette are dot products with shifted windows); the float32
    sums over the whole canvas, the ones that count, differ from those by rounding only, far
    less than :data:`SCREEN_TOLERANCE`: a shift further below the best than that cannot be the
    best, and only the others are worked out as before. Every shift, when the silhouette comes
    within a few pixels of the canvas's edge (where a shift wraps it round).
    """
    shifts = [(dy, dx) for dy in range(-SHIFT_SEARCH, SHIFT_SEARCH + 1) for dx in range(-SHIFT_SEARCH, SHIFT_SEARCH + 1)]
    ys, xs = np.nonzero(silhouette)
    h, w = silhouette.shape
    margin = SHIFT_SEARCH + 2
    if not len(ys) or min(ys.min(), xs.min()) < margin or ys.max() >= h - margin or xs.max() >= w - margin:
        return shifts
    y0, y1, x0, x1 = int(ys.min()) - 1, int(ys.max()) + 2, int(xs.min()) - 1, int(xs.max()) + 2  # (dilated by 1)
    sil = silhouette[y0:y1, x0:x1].astype(np.float64)
    grown = cv2.dilate(silhouette, np.ones((3, 3), np.uint8))[y0:y1, x0:x1].astype(np.float64)
    empty64, total64 = empty.astype(np.float64), total.astype(np.float64)
    area, tans = float(sil.sum()), float(total64.sum())
    scores = []
    for dy, dx in shifts:  # np.roll(a, d)[p] = a[p - d]: sum of roll(a, d) * b = sum of a[q] * b[q + d]
        shown = float(np.vdot(sil, empty64[y0 + dy:y1 + dy, x0 + dx:x1 + dx]))
        out = tans - float(np.vdot(grown, total64[y0 + dy:y1 + dy, x0 + dx:x1 + dx]))
        scores.append((area - shown) / (area + out))
    best = max(scores)
    return [shift for shift, score in zip(shifts, scores) if score >= best - SCREEN_TOLERANCE]


def _perimeter(polygon: list[tuple[float, float]]) -> float:
    pts = np.asarray(polygon, np.float64)
    return float(np.linalg.norm(pts - np.concatenate((pts[-1:], pts[:-1])), axis=1).sum())  # np.roll(pts, 1, axis=0)


def _violation(run: list[tuple[int, tuple[str, str]]], grew: int, glitch: int, growth: int) -> tuple[str, int] | None:
    """What a run of wrong frames of one tan breaks, as (kind, frames): a run of ``glitch`` frames or more, named by
    its most common kind; else ``growth`` frames or more grown in a row (``grew``); else None (forgiven)."""
    if len(run) >= glitch:
        kinds = [k for _, (k, _) in run]
        return max(set(kinds), key=lambda k: (kinds.count(k), k)), len(run)
    if grew >= growth:
        return "grew", grew
    return None


# What a tan that looks wrong in a frame may look like and still show where it is, for the speed check: another
# shape of about its area (``deformed``), or part of it hidden or blurred away (``shrank``: its centroid is off by
# less than half the tan, far below a teleport). Not gone, grown or in parts: those pixels may be another tan's or
# a copy's. Leaving such frames out let a jump hide in the gap: a small triangle jumped half the frame in one frame
# and then read ``deformed`` for six (boxed in by its neighbours after low-bitrate H.264, a glitch forgiven), so
# the move was taken as spread over seven frames.
_SEEN_WHERE_IT_IS = ("deformed", "shrank")


def _where_it_is(issue: tuple[str, str] | None) -> bool:
    """Whether a tan with ``issue`` (:func:`~verifiers.tangram_rules.problem`'s) still marks where it is."""
    return issue is None or issue[0] in _SEEN_WHERE_IT_IS


class TangramVerifier:
    """Strict judge of a tangram video: rigid tans only, silhouette filled and held at the end."""

    name = "tangram"
    version = "1"

    def __init__(self, max_uncovered: float = 0.05, max_outside: float = 0.05, min_inside: float = 0.9,
                 min_fit: float = 0.85, fit_margin: float = 0.12, max_protrusion: float = 0.45,
                 max_glitch_seconds: float = 0.75, max_growth_frames: int = 2, max_speed: float = 4.0) -> None:
        """Thresholds.

        Args:
            max_uncovered: share of the silhouette whose fill may still show at the end
                (:attr:`~verifiers.tangram_segment.Palette.showing`).
            max_outside: share of the tans' area that may lie outside the silhouette at the end.
            min_inside: share of each tan that must lie inside the silhouette at the end.
            min_fit, fit_margin: at the end each tan's own outline, turned (and mirrored)
                at will, must fit it with a soft IoU of ``min_fit``, or at most ``fit_margin``
                below how well it fits the tan in the first frame (a renderer's edges, blur
                and small size lower both alike; :func:`verifiers.tangram_fit.rigid_fit`).
                A tan is its shares near its body (:meth:`~verifiers.tangram_segment.Unmixed.own`), and the
                seams where tans meet count for the tans either side
                (:func:`verifiers.tangram_segment.with_seams`).
            max_protrusion: at the end, the largest share of a square of :data:`PATCH` pixels a side
                that a tan may cover beyond its own outline at its best pose
                (:func:`~verifiers.tangram_fit.protrusion`). In 681 legal videos that pass the other
                checks (the puzzles of seeds 0, 100, 1300, 2000-2003, 2400-2405 and 3000-3003, under
                every degradation) it was at most 0.37 (0.42 under letterbox-832x480+blur+noise combined, seed
                2405's reversed oracle); in the sheared ones that pass them, 0.55 or more,
                but for seed 100's, whose wedges lie under its neighbours (0.14-0.23: the fit catches
                it). A hard puzzle's small tans are a few pixels across: the square is a small one. Where
                a tan meets two others (:func:`~verifiers.tangram_segment.junctions`) what it shows is not
                weighed: there the paper skin's dark tan outlines, blurred, unmixed as seed 4602's crimson
                triangle (0.45-0.63); without them the 192 legal videos of ``--n 4 --seed 2000`` and ``--n 4
                --seed 4600`` reach 0.34, and of their 96 sheared tans one measures less (0.41 to 0.32).
            max_glitch_seconds: how long a tan may look wrong (hidden, blurred, cut by
                another passing over it) before it counts as changed (never less than 2 frames).
            max_growth_frames: how many frames in a row a tan may measure grown. A tan passing
                over another hides it, never makes it larger: growth is forgiven only as an
                artefact of a frame or two (one frame, repeated by a frame-rate change). In
                648 legal calibration videos no tan measured grown in a single frame (at most
                1.15 of its size, where growth starts past 1.2), while a tan grown under the tans
                painted over it at the end measured grown for 3-6 frames of its move.
            max_speed: frame widths a second beyond which a tan's move between two
                sightings is a teleport.
        """
        self.max_uncovered = max_uncovered
        self.max_outside = max_outside
        self.min_inside = min_inside
        self.min_fit = min_fit
        self.fit_margin = fit_margin
        self.max_protrusion = max_protrusion
        self.max_glitch_seconds = max_glitch_seconds
        self.max_growth_frames = max_growth_frames
        self.max_speed = max_speed

    def layout(self, puzzle: Puzzle) -> TangramLayout:
        try:
            layout = TangramLayout.model_validate(puzzle.layout)
        except ValidationError as exc:
            raise BadInput(puzzle.id, f"layout is not a tangram layout: {exc.errors()[0]['msg']}") from None
        if not layout.pieces or not layout.silhouette:
            raise BadInput(puzzle.id, "tangram layout has no pieces or no silhouette")
        return layout

    def verify(self, puzzle: Puzzle, video: Video) -> Verdict:
        layout = self.layout(puzzle)
        names = [f"the {p.colour_name} {p.kind}" for p in layout.pieces]

        # 1. Alignment.
        alignment = canonical.align(puzzle.frame0(), video)
        if alignment is None:
            return self._unreadable("no frame among the first ones shows the puzzle "
                                    "(it may be drawn over, or the video shows something else)")

        # 2. Canonical space: the puzzle scaled to CANVAS pixels on its longer side.
        s = CANVAS / max(layout.width, layout.height)
        size = (round(layout.width * s), round(layout.height * s))
        scale = np.array([[s, 0, 0], [0, s, 0]], np.float64)
        to_canonical = canonical.compose(scale, canonical.invert(alignment.puzzle_to_video))
        first = alignment.first_frame
        canon = canonical.warp_frames(video, to_canonical, size, start=first)

        # 3. Colours from the first good frame, tans in every frame.
        def raster(polys: list[list[tuple[float, float]]], k: int = 1) -> np.ndarray:
            mask = np.zeros((size[1] * k, size[0] * k), np.uint8)
            for poly in polys:
                # +0.5: pixel centres of the canonical raster sit at half-integers of the puzzle's scale
                pts = np.round((np.asarray(poly, np.float64) * s * k + (k - 1) / 2) * 16).astype(np.int32)
                cv2.fillPoly(mask, [pts], 1, cv2.LINE_8, shift=4)
            return mask.astype(bool)

        silhouette = raster(layout.silhouette)
        soft_silhouette = cv2.resize(raster(layout.silhouette, 4).astype(np.float32), size,
                                     interpolation=cv2.INTER_AREA)
        drawn = [raster([p.polygon]) for p in layout.pieces]
        if min(m.sum() for m in drawn) < MIN_PIECE_SHARE * CANVAS ** 2:
            return self._unreadable("the tans are too small in this puzzle to judge")
        palette = learn_palette(canon[0], drawn, silhouette)
        if isinstance(palette, str):
            return self._unreadable(palette)
        table = lookup(palette)  # every colour unmixed once (filled in as the frames show colours)
        obs, last, bodies = self._observe(canon, table)
        polygons = [np.asarray(p.polygon, np.float64) * s for p in layout.pieces]
        mirrors = [p.kind == "parallelogram" for p in layout.pieces]  # the only tan its mirror image does not fit
        first_shares: list[list[np.ndarray]] = []  # the first frame's, seams included, worked out once if needed

        def first_fit(i: int, o: Observation) -> Callable[[], float]:
            def fit() -> float:
                if o.centroid is None:
                    return 0.0
                if not first_shares:
                    mix = unmix(canon[0], table)
                    n = palette.n_pieces
                    first_shares.append(with_seams([mix.own(k) for k in range(n)], near_bodies(mix.body, n)))
                return rigid_fit(first_shares[0][i], o.centroid, polygons[i], mirrors[i])
            return fit

        refs = [Reference(o, s * _perimeter(p.polygon), first_fit(i, o), CANVAS,
                          s * s * polygon_area(np.asarray(p.polygon, np.float64)),
                          moment_shape(cv2.moments(np.asarray(p.polygon, np.float32))))
                for i, (o, p) in enumerate(zip(obs[0], layout.pieces))]
        inset = drawn_inset(refs, s)
        refs = [replace(r, inset=inset) for r in refs]
        for i, (ref, mask) in enumerate(zip(refs, drawn)):
            if ref.area < 0.5 * mask.sum() or ref.obs.second > 0.2 * ref.area:
                return self._unreadable(f"{names[i]} is not where the layout puts it in the first frame")

        # 4. Every tan over time.
        events: list[Event] = []
        if first:
            events.append(Event(frame=0, kind="skipped_frames",
                                message=f"frames 0-{first - 1} do not show the puzzle and were skipped"))
        glitch = max(2, round(self.max_glitch_seconds * video.fps))
        issues = self._issues(obs, refs)
        # A tan hidden under others is not changed; its frames still do not say where it is (the speed check).
        ok = self._judge_pieces(hidden_by_others(issues, bodies), names, first, glitch, self.max_growth_frames + 1,
                                events)
        ok &= self._judge_speed(obs, issues, names, first, video.fps, size, events)

        # 5. The last frame.
        final = self._judge_end(last, palette, obs[-1], refs, polygons, mirrors, soft_silhouette, names,
                                video.num_frames - 1, events)
        success = ok and final["solved"]

        # 6. Metrics and verdict.
        normal = [found is None for row in issues for found in row]
        metrics = {
            "final_iou": round(final["iou"], 4),
            "uncovered": round(final["uncovered"], 4),
            "outside": round(final["outside"], 4),
            "pieces_placed": float(final["placed"]),
            "shape_preservation": round(final["fit"], 4),
            "normal_fraction": round(float(np.mean(normal)), 4),
            "pieces": float(len(layout.pieces)),
        }
        return Verdict(verifier=self.name, verifier_version=self.version, success=success, metrics=metrics,
                       trajectory=self._trajectory(obs, refs, s, first, video.num_frames), events=events)

    # --- steps ---------------------------------------------------------------------------------

    @staticmethod
    def _observe(canon: np.ndarray, table: Table) -> tuple[list[list[Observation]], Unmixed, list[np.ndarray]]:
        """Every tan in every frame, the last frame unmixed (through ``table``, :func:`lookup`'s), and every frame's
        bodies (:func:`~verifiers.tangram_segment.bodies`)."""
        scanner = Scanner(table)
        return scanner.scan(canon), unmix(canon[-1], table), scanner.bodies

    @staticmethod
    def _issues(obs: list[list[Observation]], refs: list[Reference]) -> list[list[tuple[str, str] | None]]:
        """:func:`problem` (``DURING``) of every tan in every frame, once an observation (a tan
        that did not change from one frame to the next keeps the same one)."""
        memo: dict[tuple[int, int], tuple[str, str] | None] = {}
        out = []
        for row in obs:
            found = []
            for i, o in enumerate(row):
                key = (i, id(o))  # the observations stay alive in ``obs``: ids are not reused
                if key not in memo:
                    memo[key] = problem(o, refs[i], DURING)
                found.append(memo[key])
            out.append(found)
        return out

    @staticmethod
    def _judge_pieces(issues: list[list[tuple[str, str] | None]], names: list[str], first: int,
                      glitch: int, growth: int, events: list[Event]) -> bool:
        """A tan that looks wrong for ``glitch`` frames or more in a row, or grown for ``growth``
        frames in a row, is a violation (one event a run of wrong frames)."""
        ok = True
        for i in range(len(names)):
            run: list[tuple[int, tuple[str, str]]] = []
            streak = grew = 0  # frames grown in a row: now, and the most in this run
            for t, row in enumerate([*issues, None]):
                found = None if row is None else row[i]
                if found is not None:
                    run.append((t, found))
                    streak = streak + 1 if found[0] == "grew" else 0
                    grew = max(grew, streak)
                    continue
                violation = _violation(run, grew, glitch, growth)
                if violation is not None:
                    ok = False
                    kind, frames = violation
                    t0, (_, what) = next((t, f) for t, f in run if f[0] == kind)
                    frame = t0 + first
                    events.append(Event(frame=frame, kind=f"piece_{kind}",
                                        message=f"frame {frame}: {names[i]} {what}, for {frames} frames"))
                run, streak, grew = [], 0, 0
        return ok

    def _judge_speed(self, obs: list[list[Observation]], issues: list[list[tuple[str, str] | None]],
                     names: list[str], first: int, fps: float, size: tuple[int, int], events: list[Event]) -> bool:
        ok = True
        limit = self.max_speed * max(size) / fps  # canonical pixels a frame
        for i in range(len(names)):
            last: tuple[int, tuple[float, float]] | None = None
            for t, row in enumerate(obs):
                o = row[i]
                if o.centroid is None or not _where_it_is(issues[t][i]):
                    continue
                if last is not None:
                    dist = math.dist(o.centroid, last[1])
                    if dist > limit * (t - last[0]) and dist > 0.08 * max(size):
                        ok = False
                        events.append(Event(frame=t + first, kind="teleport", message=(
                            f"frame {t + first}: {names[i]} jumped {dist / max(size):.2f} of the frame's width "
                            f"in {t - last[0]} frame(s)")))
                last = (t, o.centroid)
        return ok

    def _judge_end(self, mix: Unmixed, palette: Palette, obs: list[Observation], refs: list[Reference],
                   polygons: list[np.ndarray], mirrors: list[bool], silhouette: np.ndarray, names: list[str],
                   frame: int, events: list[Event]) -> dict:
        """The last frame: tans whole and unhidden, the silhouette covered, nothing sticking out.

        ``silhouette`` is fractional (the share of each canonical pixel inside
        it). Coverage is measured on shares, so outlines and edge lines drawn
        by any renderer count as neither background nor tan.
        """
        solved = True
        fits = []
        n = palette.n_pieces
        pieces = [mix.own(i) for i in range(n)]
        near = near_bodies(mix.body, n)
        outlined = with_seams(pieces, near)  # what each tan's outline is fitted to
        meets = junctions(near)
        for i, (o, r) in enumerate(zip(obs, refs)):
            found = problem(o, r, AT_END)
            pose = None if o.centroid is None else best_pose(outlined[i], o.centroid, polygons[i], mirrors[i])
            fit = 0.0 if pose is None else pose.iou
            fits.append(fit)
            if found is None and fit < self.min_fit and fit < r.fit - self.fit_margin:  # r.fit only if needed
                found = ("deformed", f"does not match its own outline in any pose (best rigid fit IoU {fit:.2f})")
            # Where a tan meets two others, their edges (a skin's dark tan outlines, blurred) can unmix as it: what it
            # shows there is not weighed (seed 4602's paper crimson triangle under blur: 0.45-0.63 there, 0.25 else).
            out = 0.0
            if found is None and pose is not None:
                out = protrusion(pose, np.where(meets[i], 0, pieces[i]), PATCH)
            if out > self.max_protrusion:
                found = ("deformed", f"sticks out of its own outline in its best pose ({out:.2f} of a {PATCH} x "
                                     f"{PATCH} px square beyond it; at most {self.max_protrusion:.2f})")
            if found is not None:
                solved = False
                events.append(Event(frame=frame, kind=f"end_piece_{found[0]}",
                                    message=f"frame {frame}: at the end {names[i]} {found[1]}"))
        empty = sum(mix.shares(k) for k in palette.showing)  # the silhouette's fill showing
        total = np.minimum(sum(pieces), 1.0)
        best = None
        for dy, dx in _likely_shifts(silhouette, empty, total):
            sil = np.roll(silhouette, (dy, dx), axis=(0, 1))
            area = float(sil.sum())
            shown = float((sil * empty).sum())
            # A tan's anti-aliased edge may reach a pixel past the outline in another renderer.
            out = float(((1 - cv2.dilate(sil, np.ones((3, 3), np.uint8))) * total).sum())
            iou = (area - shown) / (area + out)
            if best is None or iou > best[0]:
                best = (iou, shown / area, out / max(1.0, float(total.sum())), sil)
        assert best is not None
        iou, uncovered, outside, sil = best
        grown = cv2.dilate(sil, np.ones((5, 5), np.uint8))
        placed = 0
        for i, share in enumerate(pieces):
            if obs[i].centroid is None:
                continue  # no body: vanished (``problem`` says so), not outside
            inside = float((share * grown).sum()) / max(1e-6, float(share.sum()))
            if inside < self.min_inside:
                solved = False
                events.append(Event(frame=frame, kind="outside_silhouette", message=(
                    f"frame {frame}: {names[i]} ends outside the silhouette ({inside:.2f} of it inside)")))
            elif problem(obs[i], refs[i], AT_END) is None:
                placed += 1
        if uncovered > self.max_uncovered or outside > self.max_outside:
            solved = False
            events.append(Event(frame=frame, kind="silhouette_not_filled", message=(
                f"frame {frame}: the tans do not fill the silhouette ({uncovered:.1%} of it uncovered, "
                f"{outside:.1%} of the tans outside it; at most {self.max_uncovered:.0%} and "
                f"{self.max_outside:.0%} allowed)")))
        return {"solved": solved, "iou": iou, "uncovered": uncovered, "outside": outside, "placed": placed,
                "fit": min(fits)}

    @staticmethod
    def _trajectory(obs: list[list[Observation]], refs: list[Reference], s: float, first: int,
                    total: int) -> list[tuple[float, float] | None]:
        """Per frame, the centroid of the tan whose move ended last, in ``frame0.png`` pixels.

        A tan counts as moving while its centroid is farther from where it ends
        than a quarter of its size; a tan that barely moved overall (a placed
        one, partly hidden by another for a while) does not count.
        """
        def moved_until(i: int) -> int:
            end = obs[-1][i].centroid
            begin = obs[0][i].centroid
            if end is None or begin is None:
                return -1
            size = math.sqrt(refs[i].area)
            if math.dist(begin, end) < 0.5 * size:
                return -1
            far = [t for t, row in enumerate(obs) if row[i].centroid is None
                   or math.dist(row[i].centroid, end) > 0.25 * size]
            return max(far, default=-1)

        last = max(range(len(obs[0])), key=lambda i: (moved_until(i), -i))
        out: list[tuple[float, float] | None] = [None] * first
        for row in obs:
            c = row[last].centroid
            out.append(None if c is None else (round(c[0] / s, 2), round(c[1] / s, 2)))
        return out + [None] * (total - len(out))

    def _unreadable(self, reason: str) -> Verdict:
        return Verdict(verifier=self.name, verifier_version=self.version, success=False, status="unreadable",
                       reason=reason)
