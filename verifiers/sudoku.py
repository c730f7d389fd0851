"""The sudoku verifier: read every cell of every frame and judge the writing.

Steps, top to bottom in :meth:`SudokuVerifier.verify`:
1. align the puzzle's first frame onto the video (stretched, letterboxed or
   cropped, refined by ECC; leading garbage frames skipped), as the grid
   verifiers do (:mod:`verifiers.canonical`);
2. warp every frame into a canonical raster of ``CELL`` pixels per cell, in
   chunks (a long video never sits in memory twice);
3. measure each frame's shift against the first (phase correlation of the
   ink: grid lines, given digits); small shake is undone, a shift beyond
   ``MAX_SHIFT`` cells means the grid moved or was redrawn elsewhere; the ink
   along the grid lines falling below 0.65 of its first value means the lines
   were erased;
4. read the first frame, check it shows the given digits, and teach the
   reader those glyphs (its own font, as degraded as the rest of the video);
5. read every cell of every frame (a cell is read again only when its pixels
   changed since its last read; the changed cells of a chunk of frames are
   read together);
6. apply the rules (:mod:`verifiers.sudoku_rules`) and assemble the verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import cv2
import numpy as np
from pydantic import ValidationError

from genreason.errors import BadInput
from genreason.types import Event, Puzzle, Verdict, Video
from puzzles.sudoku.render import SudokuLayout
from verifiers import canonical, sudoku_rules
from verifiers.digits import EMPTY, INSET, UNSURE, DigitReader, Reads, prepare

CELL = 32  # canonical pixels per cell
MARGIN = CELL // 2  # canonical pixels around the grid
MIN_CELL_PIXELS = 12.0  # below this a cell is too small in the video to read a digit
MAX_SHIFT = 0.25  # cells of global shift beyond which the grid moved
CHUNK = 32  # frames warped at a time
CHANGE = 28.0  # block-mean change (levels) since a cell's last read that makes it worth reading again at once
# A smaller change since its last read than SETTLED gets the cell read again too, at most every REREAD frames: a
# thin stroke in light pencil (grey 150 on 230 paper) never moves a block mean by CHANGE, so such digits were never
# read, and what the rest of a fade (and a codec's refining of it) adds after a read part-way can stay under it (a
# serif 1 in grey, H.264: 14 levels), which kept the mid-fade read, empty, to the end. Noise moves them far less.
SETTLED = 6.0
REREAD = 2
# Grid-line ink, relative to the first frame, below which the lines were erased (held for a stable run of
# frames). Over 792 videos (the oracle and the erased grid of seeds 0-5 at every difficulty and of the
# calibration puzzles of seeds 7 and 11, under every degradation) legal videos never held below 0.768
# (camera shake; 0.90 under every other degradation) and erased grids never above 0.542 (a letterboxed
# 4 x 4 grid; 0.31 otherwise): 0.65 sits in the middle.
FADED_LINES = 0.65
UNREADABLE_CLUES = 1 / 3  # share of clues not read as themselves in the first frame beyond which we give up


@dataclass(frozen=True)
class _Raster:
    """Where cells lie in the canonical raster."""

    n: int

    @property
    def size(self) -> tuple[int, int]:
        side = self.n * CELL + 2 * MARGIN
        return side, side

    def cells(self, frame: np.ndarray, which: np.ndarray | None = None) -> np.ndarray:
        """Interiors of every cell (n*n x S x S x 3), row-major, or of the cells ``which`` (indices) only."""
        k = round(CELL * INSET)
        grid = frame[MARGIN:MARGIN + self.n * CELL, MARGIN:MARGIN + self.n * CELL]
        blocks = grid.reshape(self.n, CELL, self.n, CELL, 3).transpose(0, 2, 1, 3, 4)[:, :, k:CELL - k, k:CELL - k]
        if which is not None:
            return blocks[which // self.n, which % self.n]
        return np.ascontiguousarray(blocks).reshape(self.n * self.n, CELL - 2 * k, CELL - 2 * k, 3)

    def line_mask(self, size: tuple[int, int]) -> np.ndarray:
        """Pixels of a ``size`` rescaling of the raster near an inner cell edge: where lines are, never a digit.

        The outline is left out: beyond it lie the frame's margin and, in a
        letterboxed video, its black bars, which no erased line would change.
        """
        w, h = self.size
        mask = np.zeros((h, w), dtype=np.float32)
        band = round(CELL * INSET) - 1
        lo, hi = MARGIN, MARGIN + self.n * CELL
        for k in range(1, self.n):
            p = MARGIN + k * CELL
            mask[lo:hi, p - band:p + band] = 1
            mask[p - band:p + band, lo:hi] = 1
        return cv2.resize(mask, size, interpolation=cv2.INTER_AREA) > 0.5

    def signatures(self, frame: np.ndarray) -> np.ndarray:
        """Every cell as 8 x 8 block means (n*n x 192 uint8): cheap, and steady under pixel noise."""
        side = self.n * CELL
        small = cv2.resize(frame[MARGIN:MARGIN + side, MARGIN:MARGIN + side], (self.n * 8, self.n * 8),
                           interpolation=cv2.INTER_AREA)
        return small.reshape(self.n, 8, self.n, 8, 3).transpose(0, 2, 1, 3, 4).reshape(self.n * self.n, -1)


class _Steadiness:
    """Each canonical frame against the first: its shift (small shake undone) and the ink along the grid lines.

    The ink is how far pixels differ from the paper, at half resolution (four
    times cheaper, still precise to a fraction of a pixel). Written digits add
    to it, but only the grid and the given digits are in every frame, so the
    phase-correlation peak follows them. The line ink is measured on the ink
    itself, never on the Hanning-windowed copy the correlation takes (which
    would weigh the lines by where they lie).
    """

    def __init__(self, raster: _Raster, warp: canonical.Warp) -> None:
        self.raster = raster
        self.warp = warp  # a shaken frame is warped anew from the video, moved back (see canonical.stabilize)
        self.half = (raster.size[0] // 2, raster.size[1] // 2)
        self.windowed = canonical.WindowedPadding(*self.half)
        self.lines = np.flatnonzero(raster.line_mask(self.half))  # indices: a take is cheaper than a boolean mask
        self.paper = 0.0
        self.correlate: canonical.PhaseCorrelation | None = None

    def _ink(self, frame: np.ndarray) -> np.ndarray:
        gray = cv2.resize(cv2.cvtColor(frame, cv2.COLOR_RGB2GRAY), self.half, interpolation=cv2.INTER_AREA)
        if self.correlate is None:
            self.paper = float(np.median(gray))
        return cv2.absdiff(gray.astype(np.float32), self.paper)  # |gray - paper| in float32, as numpy gives it

    def _line_ink(self, ink: np.ndarray) -> float:
        return float(ink.take(self.lines).mean())

    def measure(self, frame: np.ndarray, index: int) -> tuple[np.ndarray, bool, float]:
        """(canonical frame ``index`` with small shake undone, whether the grid moved, the ink along its lines)."""
        ink = self._ink(frame)
        if self.correlate is None:
            self.correlate = canonical.PhaseCorrelation(self.windowed(ink))
            return frame, False, self._line_ink(ink)
        dx, dy = self.correlate(self.windowed(ink))
        dx, dy = 2 * dx, 2 * dy
        if math.hypot(dx, dy) > MAX_SHIFT * CELL:
            return frame, True, self._line_ink(ink)
        if math.hypot(dx, dy) > 0.3:
            frame = self.warp.moved_back(index, np.array([dx, dy]))
            ink = self._ink(frame)
        return frame, False, self._line_ink(ink)


class _CellReads:
    """Reads every cell of each frame, but only the cells whose pixels changed since their last read.

    Each frame's changed cells are noted as the frame comes (:meth:`note`);
    they are read together, a chunk of frames at a time (:meth:`flush`),
    without the cost of reading a cell or two per call.
    """

    def __init__(self, raster: _Raster, reader: DigitReader, frame: np.ndarray, values: np.ndarray) -> None:
        self.raster = raster
        self.reader = reader
        self.signatures = raster.signatures(frame)  # each cell's as of its last read
        self.read_at = np.zeros(len(self.signatures), dtype=np.int64)  # the frame of each cell's last read
        self.values = values.copy()  # each cell's latest read, as of the last flushed frame
        self._changed: list[tuple[int, np.ndarray]] = []  # (frame index, cells to read again), not yet flushed
        self._patches: list[np.ndarray] = []

    def note(self, t: int, frame: np.ndarray) -> None:
        """Check which cells of frame ``t`` changed since their last read (:data:`CHANGE`, :data:`SETTLED`), and
        keep their pixels to read."""
        now = self.raster.signatures(frame)
        change = cv2.absdiff(now, self.signatures).max(axis=1)  # |a - b| of uint8, exact
        todo = np.nonzero((change > CHANGE) | ((change > SETTLED) & (t - self.read_at >= REREAD)))[0]
        if len(todo):
            self._changed.append((t, todo))
            self._patches.append(self.raster.cells(frame, todo))
            self.signatures[todo] = now[todo]
            self.read_at[todo] = t

    def flush(self, reads: np.ndarray, start: int, stop: int) -> None:
        """Read the noted cells and write frames ``start`` to ``stop`` (every one noted) into ``reads`` (T x n*n)."""
        values = np.empty(0, dtype=np.int64)
        if self._patches:
            values = self.reader.read_prepared(prepare(np.concatenate(self._patches))).values
        changed = iter(self._changed)
        done = (stop, np.empty(0, dtype=np.intp))
        t_next, todo = next(changed, done)
        used = 0
        for t in range(start, stop):
            if t == t_next:
                self.values[todo] = values[used:used + len(todo)]
                used += len(todo)
                t_next, todo = next(changed, done)
            reads[t] = self.values
        self._changed, self._patches = [], []


class SudokuVerifier:
    """Judges a video of a sudoku being filled in (see the module docstring and :mod:`verifiers.sudoku_rules`)."""

    name = "sudoku"
    version = "1"

    def verify(self, puzzle: Puzzle, video: Video) -> Verdict:
        layout = self._layout(puzzle)
        raster = _Raster(layout.size)

        # 1. Alignment.
        alignment = canonical.align(puzzle.frame0(), video)
        if alignment is None:
            return self._unreadable("no frame among the first ones shows the puzzle's grid "
                                    "(it may be drawn over, or the video shows something else)")
        cell_px = layout.cell_size * math.sqrt(abs(np.linalg.det(alignment.puzzle_to_video[:, :2])))
        if cell_px < MIN_CELL_PIXELS:
            return self._unreadable(f"a grid cell is only {cell_px:.1f} pixels wide in this video")
        s = CELL / layout.cell_size
        puzzle_to_canonical = np.array([[s, 0.0, MARGIN - layout.origin[0] * s],
                                        [0.0, s, MARGIN - layout.origin[1] * s]])
        to_canonical = canonical.compose(puzzle_to_canonical, canonical.invert(alignment.puzzle_to_video))
        first = alignment.first_frame
        events: list[Event] = []
        if first:
            events.append(Event(frame=0, kind="skipped_frames",
                                message=f"frames 0-{first - 1} do not show the puzzle and were skipped"))

        # 2-5. Canonical frames, their shift and grid lines, the reads of every cell.
        steady = _Steadiness(raster, canonical.Warp(video, to_canonical, raster.size, first))
        cells: _CellReads | None = None
        reads = np.empty((video.num_frames - first, layout.size * layout.size), dtype=np.int64)
        line_ink = np.zeros(len(reads), dtype=np.float32)
        moved_at: int | None = None
        for start in range(first, video.num_frames, CHUNK):
            chunk = canonical.warp_frames(video, to_canonical, raster.size, start=start, stop=start + CHUNK)
            for i, frame in enumerate(chunk):
                t = start + i - first
                frame, moved, line_ink[t] = steady.measure(frame, t)
                if moved and moved_at is None:
                    moved_at = first + t
                if cells is None:
                    patches = raster.cells(frame)
                    reader, values, problem = self._first_frame(DigitReader(9), patches, layout, first, events)
                    if problem:
                        return self._unreadable(problem)
                    cells = _CellReads(raster, reader, frame, values)
                cells.note(t, frame)
            if cells is not None:
                cells.flush(reads, start - first, start - first + len(chunk))
        reads = reads.reshape(-1, layout.size, layout.size)

        # 6. Rules and verdict.
        if moved_at is not None:
            events.append(Event(frame=moved_at, kind="grid_moved", message=(
                f"frame {moved_at}: the grid moved by more than {MAX_SHIFT} cell (shifted, zoomed or redrawn)")))
        faded = _first_run(line_ink < FADED_LINES * line_ink[0], sudoku_rules.stable_frames(video.fps))
        if faded is not None:
            events.append(Event(frame=first + faded, kind="grid_changed", message=(
                f"frame {first + faded}: the grid lines faded or were erased")))
        solution = puzzle.solution.get("grid")
        judged = sudoku_rules.judge(reads, layout.clues, solution, layout.box, video.fps, first)
        events.extend(judged.events)
        events.sort(key=lambda e: e.frame)
        metrics = self._metrics(layout, judged, solution, float((reads == UNSURE).mean()))
        failing = {"board_mismatch", "grid_moved", "grid_changed", "clue_changed", "clue_obscured", "digit_changed",
                   "digit_erased", "incomplete", "repeated_digit", "wrong_digit"}
        success = not any(e.kind in failing for e in events)
        return Verdict(verifier=self.name, verifier_version=self.version, success=success, metrics=metrics,
                       events=events)

    # -- steps ------------------------------------------------------------------------------

    @staticmethod
    def _layout(puzzle: Puzzle) -> SudokuLayout:
        try:
            return SudokuLayout.model_validate(puzzle.layout)
        except ValidationError as exc:
            raise BadInput(puzzle.id, f"layout is not a sudoku layout: {exc.errors()[0]['msg']}") from None

    def _unreadable(self, reason: str) -> Verdict:
        return Verdict(verifier=self.name, verifier_version=self.version, success=False,
                       status="unreadable", reason=reason)

    @staticmethod
    def _first_frame(reader: DigitReader, patches: np.ndarray, layout: SudokuLayout, first: int,
                     events: list[Event]) -> tuple[DigitReader, np.ndarray, str | None]:
        """Read the first frame, check it against the layout, and teach the reader the given digits."""
        clues = np.array([layout.clue((r, c)) for r in range(layout.size) for c in range(layout.size)])
        prepared = prepare(patches)  # glyphs and features once, for all three uses
        base: Reads = reader.read_prepared(prepared)
        given = clues > 0
        # A clue read as another digit, or as empty, may not teach the reader; an unsure one may.
        teach = given & ((base.values == clues) | (base.values == UNSURE))
        if (given & ~teach).sum() > UNREADABLE_CLUES * given.sum():
            return reader, base.values, (f"the given digits cannot be read in the first frame "
                                         f"({int((given & ~teach).sum())} of {int(given.sum())} misread)")
        adapted = reader.with_prepared_examples(prepared, np.where(teach, clues, 0))
        values = adapted.read_prepared(prepared).values
        for index in np.nonzero((given & (values != clues) & (values != UNSURE))
                                | (~given & (values != EMPTY) & (values != UNSURE)))[0]:
            r, c = divmod(int(index), layout.size)
            expected = f"the clue {clues[index]}" if clues[index] else "empty"
            seen = "empty" if values[index] == EMPTY else f"a {values[index]}"
            events.append(Event(frame=first, kind="board_mismatch", message=(
                f"frame {first}: row {r + 1}, column {c + 1} should be {expected} but shows {seen}")))
        return adapted, values, None

    @staticmethod
    def _metrics(layout: SudokuLayout, judged: sudoku_rules.Judgement, solution: list[str] | None,
                 unsure_rate: float) -> dict[str, float]:
        final = judged.final
        assert final is not None
        empty = layout.empty_cells
        filled = sum(1 for r, c in empty if final[r, c] > 0)
        metrics = {
            "clue_changes": float(judged.clue_changes),
            "constraint_violations": float(judged.constraint_violations),
            "digits_changed": float(judged.digits_changed),
            "digits_erased": float(judged.digits_erased),
            "cells_filled": round(filled / max(1, len(empty)), 4),
            "unsure_reads": round(unsure_rate, 4),
        }
        if solution is not None:
            right = sum(1 for r, c in empty if final[r, c] == int(solution[r][c]))
            metrics["cell_accuracy"] = round(right / max(1, len(empty)), 4)
        return metrics


def _first_run(flags: np.ndarray, length: int) -> int | None:
    """Index where ``flags`` first holds for ``length`` consecutive entries, or None."""
    run = 0
    for i, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run == length:
            return i - length + 1
    return None
