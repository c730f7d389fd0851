"""The sudoku verifier: read every cell of every frame and judge the writing.

Steps, top to bottom in :meth:`SudokuVerifier.verify`:
1. align the puzzle's first frame onto the video (stretched, letterboxed or
   cropped, refined by ECC; leading garbage frames skipped), as the grid
   verifiers do (:mod:`verifiers.canonical`);
2. warp every frame into a canonical raster of ``CELL`` pixels per cell (more
   where the given digits are small, :func:`_reading_cell`), in chunks (a
   long video never sits in memory twice);
3. measure each frame's shift against the first (phase correlation of the
   ink: grid lines, given digits); small shake is undone, a shift beyond
   ``MAX_SHIFT`` cells means the grid moved or was redrawn elsewhere; the ink
   along the grid lines falling below 0.65 of its first value means the lines
   were erased;
4. read the first frame, check it shows the given digits, and teach the
   reader those glyphs (its own font, as degraded as the rest of the video);
5. read every cell of every frame (a cell is read again only when its pixels
   changed since its last read, or when it holds still after a read while it
   changed; the changed cells of a chunk of frames are read together);
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
from verifiers.digits import EMPTY, INSET, UNSURE, DigitReader, Prepared, Reads, prepare

CELL = 32  # canonical pixels per cell
# A given digit shorter than this share of a cell at CELL (the median of the first frame's) is read on a finer
# raster (:func:`_reading_cell`); ours are 0.62 of a cell tall (20 pixels), another renderer's set in a font 0.6 of
# a cell 0.38-0.45 (12-14.5 pixels), in one of 0.4 0.25-0.31.
SMALL_GLYPH = 0.5
MAX_CELL = 64
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
# A cell read while it was changing (by more than STEADY levels since the frame before) is read again at the first
# frame it holds still: a thin light 1 fading in read empty part-way, and the last 6 levels of its fade, under
# SETTLED, left it empty to the end (Pillow's font, grey 130 on 230 paper, 9 x 9 at 640 x 480).
STEADY = 2.0
# Grid-line ink, relative to the first frame, below which the lines were erased (held for a stable run of
# frames). Over 792 videos (the oracle and the erased grid of seeds 0-5 at every difficulty and of the
# calibration puzzles of seeds 7 and 11, under every degradation) legal videos never held below 0.768
# (camera shake; 0.90 under every other degradation) and erased grids never above 0.542 (a letterboxed
# 4 x 4 grid; 0.31 otherwise): 0.65 sits in the middle.
FADED_LINES = 0.65
UNREADABLE_CLUES = 1 / 3  # share of clues not read as themselves in the first frame beyond which we give up


@dataclass(frozen=True)
class _Raster:
    """Where cells lie in the canonical raster of ``cell`` pixels per cell (:data:`CELL` unless the digits are
    small, :func:`_reading_cell`)."""

    n: int
    cell: int = CELL

    @property
    def margin(self) -> int:
        return self.cell // 2

    @property
    def size(self) -> tuple[int, int]:
        side = self.n * self.cell + 2 * self.margin
        return side, side

    def to_canonical(self, layout: SudokuLayout, puzzle_to_video: np.ndarray) -> np.ndarray:
        """The video-to-raster transform, from the puzzle-to-video one of its alignment."""
        s = self.cell / layout.cell_size
        puzzle_to_canonical = np.array([[s, 0.0, self.margin - layout.origin[0] * s],
                                        [0.0, s, self.margin - layout.origin[1] * s]])
        return canonical.compose(puzzle_to_canonical, canonical.invert(puzzle_to_video))

    def cells(self, frame: np.ndarray, which: np.ndarray | None = None) -> np.ndarray:
        """Interiors of every cell (n*n x S x S x 3), row-major, or of the cells ``which`` (indices) only."""
        cell, margin = self.cell, self.margin
        k = round(cell * INSET)
        grid = frame[margin:margin + self.n * cell, margin:margin + self.n * cell]
        blocks = grid.reshape(self.n, cell, self.n, cell, 3).transpose(0, 2, 1, 3, 4)[:, :, k:cell - k, k:cell - k]
        if which is not None:
            return blocks[which // self.n, which % self.n]
        return np.ascontiguousarray(blocks).reshape(self.n * self.n, cell - 2 * k, cell - 2 * k, 3)

    def line_mask(self, size: tuple[int, int]) -> np.ndarray:
        """Pixels of a ``size`` rescaling of the raster near an inner cell edge: where lines are, never a digit.

        The outline is left out: beyond it lie the frame's margin and, in a
        letterboxed video, its black bars, which no erased line would change.
        """
        w, h = self.size
        mask = np.zeros((h, w), dtype=np.float32)
        band = round(self.cell * INSET) - 1
        lo, hi = self.margin, self.margin + self.n * self.cell
        for k in range(1, self.n):
            p = self.margin + k * self.cell
            mask[lo:hi, p - band:p + band] = 1
            mask[p - band:p + band, lo:hi] = 1
        return cv2.resize(mask, size, interpolation=cv2.INTER_AREA) > 0.5

    def signatures(self, frame: np.ndarray) -> np.ndarray:
        """Every cell as 8 x 8 block means (n*n x 192 uint8): cheap, and steady under pixel noise."""
        lo, hi = self.margin, self.margin + self.n * self.cell
        small = cv2.resize(frame[lo:hi, lo:hi], (self.n * 8, self.n * 8), interpolation=cv2.INTER_AREA)
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
        if math.hypot(dx, dy) > MAX_SHIFT * self.raster.cell:
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
        self.previous = self.signatures.copy()  # each cell's in the frame before
        self.read_at = np.zeros(len(self.signatures), dtype=np.int64)  # the frame of each cell's last read
        self.unsettled = np.zeros(len(self.signatures), dtype=bool)  # last read while it was changing
        self.values = values.copy()  # each cell's latest read, as of the last flushed frame
        self._changed: list[tuple[int, np.ndarray]] = []  # (frame index, cells to read again), not yet flushed
        self._patches: list[np.ndarray] = []

    def note(self, t: int, frame: np.ndarray) -> None:
        """Check which cells of frame ``t`` changed since their last read (:data:`CHANGE`, :data:`SETTLED`) or hold
        still after a read while changing (:data:`STEADY`), and keep their pixels to read."""
        now = self.raster.signatures(frame)
        change = cv2.absdiff(now, self.signatures).max(axis=1)  # |a - b| of uint8, exact
        moving = cv2.absdiff(now, self.previous).max(axis=1) > STEADY
        todo = np.nonzero((change > CHANGE) | ((change > SETTLED) & (t - self.read_at >= REREAD))
                          | (self.unsettled & ~moving))[0]
        if len(todo):
            self._changed.append((t, todo))
            self._patches.append(self.raster.cells(frame, todo))
            self.signatures[todo] = now[todo]
            self.read_at[todo] = t
            self.unsettled[todo] = moving[todo]
        self.previous = now

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

        # 1. Alignment, and the raster's cell size, from the given digits of the first frame read at CELL.
        alignment = canonical.align(puzzle.frame0(), video)
        if alignment is None:
            return self._unreadable("no frame among the first ones shows the puzzle's grid "
                                    "(it may be drawn over, or the video shows something else)")
        cell_px = layout.cell_size * math.sqrt(abs(np.linalg.det(alignment.puzzle_to_video[:, :2])))
        if cell_px < MIN_CELL_PIXELS:
            return self._unreadable(f"a grid cell is only {cell_px:.1f} pixels wide in this video")
        first = alignment.first_frame
        raster = _Raster(layout.size)
        to_canonical = raster.to_canonical(layout, alignment.puzzle_to_video)
        start_frame = canonical.warp_frames(video, to_canonical, raster.size, start=first, stop=first + 1)[0]
        first_cells: Prepared | None = prepare(raster.cells(start_frame))
        cell = _reading_cell(first_cells, layout, cell_px)
        if cell != raster.cell:
            raster = _Raster(layout.size, cell)
            to_canonical = raster.to_canonical(layout, alignment.puzzle_to_video)
            first_cells = None  # read again on the finer raster
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
                    prepared = first_cells if first_cells is not None else prepare(raster.cells(frame))
                    reader, values, problem = self._first_frame(DigitReader(9), prepared, layout, first, events)
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
    def _first_frame(reader: DigitReader, prepared: Prepared, layout: SudokuLayout, first: int,
                     events: list[Event]) -> tuple[DigitReader, np.ndarray, str | None]:
        """Read the first frame's prepared cells (read three times: prepared once), check them against the
        layout, and teach the reader the given digits."""
        clues = _clues(layout)
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


def _clues(layout: SudokuLayout) -> np.ndarray:
    """Each cell's given digit, row-major (0 where none)."""
    return np.array([layout.clue((r, c)) for r in range(layout.size) for c in range(layout.size)])


def _reading_cell(first: Prepared, layout: SudokuLayout, cell_px: float) -> int:
    """The raster's cell size (pixels) at which the digits are read: :data:`CELL`, or more where the given digits
    of the first frame (``first``, its cells read at :data:`CELL`) are small.

    A digit set in a small font (a font size of 0.4 of a cell draws glyphs 0.3 of a cell tall, 9 pixels at
    :data:`CELL`, where ours are 20) is read on a raster fine enough to make the median given digit
    :data:`SMALL_GLYPH` of a cell tall: shrunk to a few pixels, its strokes merge and it reads as unsure or
    as another digit. Never much finer than the video's own cells (``cell_px``): enlarged beyond them a thin
    stroke gains no detail and covers less of its cell than a digit must (:data:`~verifiers.digits.MIN_INK`:
    a light 1 read as empty at 64 pixels from a video's 47), nor than :data:`MAX_CELL`. The size is a multiple
    of 8, so that each of a cell's 8 x 8 block means (:meth:`_Raster.signatures`) averages whole pixels.
    """
    heights = first.heights[(_clues(layout) > 0) & (first.heights > 0)]
    if not len(heights):
        return CELL
    height = float(np.median(heights))
    if height >= SMALL_GLYPH * CELL:
        return CELL
    wanted = SMALL_GLYPH * CELL * CELL / height
    return max(CELL, min(MAX_CELL, 8 * math.ceil(min(wanted, cell_px) / 8)))


def _first_run(flags: np.ndarray, length: int) -> int | None:
    """Index where ``flags`` first holds for ``length`` consecutive entries, or None."""
    run = 0
    for i, flag in enumerate(flags):
        run = run + 1 if flag else 0
        if run == length:
            return i - length + 1
    return None
