"""Every tan's :class:`~verifiers.tangram_segment.Observation` in frame after frame, redoing only what changed.

A tan's numbers come from the box around its body (:func:`observe`, the plain
way, on one whole unmixed frame); :class:`Scanner` gives the same numbers for
a whole video while working out again only the tans near pixels whose
quantised colour changed from the frame before.
"""

from __future__ import annotations

import cv2
import numpy as np

from verifiers.tangram_segment import (
    BITS,
    GRID,
    NEAR,
    Observation,
    Table,
    Unmixed,
    bodies,
    colour_index,
    moment_shape,
)

# A pixel as a 32-bit word of its R, G, B bytes (and alpha): the bits of each colour that colour_index keeps.
QUANTISED = np.array([256 - (1 << (8 - BITS))] * 3 + [0], np.uint8).view(np.uint32)[0]


def observe(mix: Unmixed, i: int) -> Observation:
    """The numbers of tan ``i`` in one unmixed frame (worked out in the box around its body)."""
    assert mix.body is not None
    box = _box(cv2.boundingRect((mix.body == i).view(np.uint8)), mix.body.shape)
    if box is None:
        return EMPTY
    y0, y1, x0, x1 = box
    return _observe(i, box, mix.body[y0:y1, x0:x1], mix.shares(i)[y0:y1, x0:x1])


EMPTY = Observation(0.0, 0.0, 0.0, None, (0.0, 0.0))
PAD = 4  # pixels around a tan's body in its box (the reach of NEAR, and one more)


def _box(rect: tuple[int, int, int, int], shape: tuple[int, ...]) -> tuple[int, int, int, int] | None:
    """A body's bounding rectangle (x, y, w, h) grown by PAD and cut to the frame: (y0, y1, x0, x1)."""
    x, y, w, h = rect
    if w == 0 or h == 0:
        return None
    return max(0, y - PAD), min(shape[0], y + h + PAD), max(0, x - PAD), min(shape[1], x + w + PAD)


def _observe(i: int, box: tuple[int, int, int, int], body: np.ndarray, shares: np.ndarray) -> Observation:
    """Tan ``i``'s numbers from its box (``body``: the bodies there; ``shares``: the tan's share of each pixel)."""
    y0, _, x0, _ = box
    crop = (body == i).view(np.uint8)
    # 16-bit labels: a box has far fewer parts, and OpenCV labels them in half the time.
    parts, comp, stats, _ = cv2.connectedComponentsWithStats(crop, connectivity=8, ltype=cv2.CV_16U)
    areas = stats[1:, cv2.CC_STAT_AREA]
    near = cv2.dilate(crop, NEAR)
    area = float(shares[near.view(bool)].sum())
    if parts == 2:  # one part: it is the whole crop, and its surroundings are the crop's
        main, second, own = float(areas[0]), 0.0, near
    else:
        order = np.argsort(-areas)
        main, second = float(areas[order[0]]), float(areas[order[1]])
        own = cv2.dilate((comp == int(order[0]) + 1).view(np.uint8), NEAR)
    m = cv2.moments(shares * own)  # (own is 0 or 1: the shares there, 0 elsewhere)
    if m["m00"] <= 0:
        return Observation(area, main, second, None, (0.0, 0.0))
    a = m["m00"]
    return Observation(area, main, second, (float(m["m10"] / a + x0), float(m["m01"] / a + y0)), moment_shape(m))


class Scanner:
    """Every tan in frame after frame (canonical RGB uint8) of one video, redoing only what changed.

    A tan's :class:`Observation` depends only on the bounding box of its body and the pixels
    in its box (:data:`PAD` around it), and a pixel's unmixing and body only on the quantised
    colours within 2 pixels of it: a tan whose body's box stays put, with no pixel of changed
    colour within 2 pixels of the box, is seen as in the frame before, and is not worked out
    again. On a video where most colours change (noise), every frame is worked out whole.
    """

    DENSE = 0.1  # share of changed pixels from which a frame is worked out whole

    def __init__(self, table: Table) -> None:
        self.table = table
        self.n = table.palette.n_pieces
        self.bits = np.zeros(256, np.uint8)  # body label -> one bit a tan (up to 8 tans)
        self.bits[:min(self.n, 8)] = 1 << np.arange(min(self.n, 8))
        # _changes's scratch: the last two frames' pixels quantised (:meth:`_quantise`), the newer one second
        self.four = np.zeros((0, 0, 4), np.uint8)
        self.quantised = np.zeros((2, 0), np.uint32)
        self.index = np.zeros(0, np.intp)  # of the last frame observed: colour index, labels, bodies
        self.labels = self.body = np.zeros(0, np.uint8)
        self.boxes: list[tuple[int, int, int, int] | None] = []
        self.obs: list[Observation] = []
        self.bodies: list[np.ndarray] = []  # every scanned frame's bodies (a tan's index, 255 for none)

    def scan(self, frames: np.ndarray) -> list[list[Observation]]:
        """The observations of every tan in each of ``frames`` (one video's, in order); each frame's bodies are kept
        in :attr:`bodies`."""
        # First what changed from frame to frame, then the table for every colour met, in one go.
        changes = [self._changes(frame) for frame in frames]
        need = np.zeros(len(GRID), bool)
        for _, colours in changes:
            need[colours] = True
        self.table.fill_needed(need)
        seen = []
        for change in changes:
            seen.append(self._observe_all(*change))
            self.bodies.append(self.body.copy())
        return seen

    def _observe_all(self, moved: np.ndarray | None, colours: np.ndarray) -> list[Observation]:
        """The observations in the next frame: its pixels ``moved`` (flat indices) now show ``colours``
        (moved None: every pixel, ``colours`` is the frame's colour index)."""
        if moved is None:
            self.index = colours.astype(np.intp)  # (indexing a table with machine integers is fastest)
            self.labels = np.take(self.table.labels, colours)
            self.body = bodies(self.labels)
            self.boxes = self._boxes()
            self.obs = [EMPTY if box is None else self._observe(i, box) for i, box in enumerate(self.boxes)]
            return self.obs
        if not len(moved):
            return self.obs
        self.index.reshape(-1)[moved] = colours
        self.labels.reshape(-1)[moved] = self.table.labels[colours]
        h, w = self.body.shape
        ys, xs = np.divmod(moved, w)
        # Bodies change only within 2 pixels of a changed colour: redo them there (with 2 pixels of context).
        y0, y1, x0, x1 = max(int(ys[0]) - 2, 0), min(int(ys[-1]) + 3, h), max(int(xs.min()) - 2, 0), min(int(xs.max()) + 3, w)
        cy0, cx0 = max(y0 - 2, 0), max(x0 - 2, 0)
        region = bodies(self.labels[cy0:min(y1 + 2, h), cx0:min(x1 + 2, w)])[y0 - cy0:y1 - cy0, x0 - cx0:x1 - cx0]
        self.body[y0:y1, x0:x1] = region
        present = self._present(region)  # the tans with body pixels where bodies may have changed
        # Which tans' boxes have a changed colour within 2 pixels (all tans at once).
        boxes = np.array([(-h, -h, -w, -w) if b is None else b for b in self.boxes])
        near = (((ys >= boxes[:, :1] - 2) & (ys < boxes[:, 1:2] + 2)) &
                ((xs >= boxes[:, 2:3] - 2) & (xs < boxes[:, 3:] + 2))).any(axis=1).tolist()
        obs = []
        for i, (old, seen) in enumerate(zip(self.boxes, self.obs)):
            # A tan with no changed colour near its box can have gained body pixels only where
            # bodies were redone; any tan's body lies in its old box and there.
            box = old if not near[i] and i not in present else self._refind(i, old, (y0, y1, x0, x1))
            self.boxes[i] = box
            obs.append(seen if box == old and not near[i] else EMPTY if box is None else self._observe(i, box))
        self.obs = obs
        return obs

    def _refind(self, i: int, old: tuple[int, int, int, int] | None,
                region: tuple[int, int, int, int]) -> tuple[int, int, int, int] | None:
        """Tan ``i``'s box (:func:`_box`) when its body lies within its ``old`` box and ``region``."""
        y0, y1, x0, x1 = region if old is None else (min(old[0], region[0]), max(old[1], region[1]),
                                                        min(old[2], region[2]), max(old[3], region[3]))
        x, y, w, h = cv2.boundingRect((self.body[y0:y1, x0:x1] == i).view(np.uint8))
        return _box((x + x0, y + y0, w, h), self.body.shape)

    def _observe(self, i: int, box: tuple[int, int, int, int]) -> Observation:
        y0, y1, x0, x1 = box
        body = self.body[y0:y1, x0:x1]
        # Thin: a tan's colour outside every body. A body pixel is its label, others 255: thin
        # pixels are those whose body is not their label.
        thin = self.labels[y0:y1, x0:x1] != body
        index = self.index[y0:y1, x0:x1]
        shares = self.table.pieces[i][index]
        if np.count_nonzero(thin):
            shares[thin] = self.table.alt_pieces[i, index[thin]]
        return _observe(i, box, body, shares)

    def _present(self, body: np.ndarray) -> set[int]:
        """The tans with a body pixel in ``body``."""
        if self.n > 8:
            return set(np.unique(body).tolist()) - {255}
        bits = int(np.bitwise_or.reduce(cv2.LUT(body, self.bits), axis=None))
        return {i for i in range(self.n) if bits >> i & 1}

    def _changes(self, frame: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
        """What changed from the frame before: the flat indices of the pixels whose quantised colour
        changed, in order, and their new colours (None and the frame's colour index: take it whole)."""
        h, w = frame.shape[:2]
        if self.quantised.shape != (2, h * w):
            self.four = np.empty((h, w, 4), np.uint8)
            self.quantised = np.empty((2, h * w), np.uint32)
            self._quantise(frame, self.quantised[1])
            return None, colour_index(frame)
        # Each pixel as one 32-bit word keeping the bits that colour_index keeps: compared in one pass.
        prev, now = self.quantised[1], self.quantised[0]
        self._quantise(frame, now)
        self.quantised = self.quantised[::-1]
        moved = np.flatnonzero(now != prev)
        if len(moved) > self.DENSE * now.size:
            return None, colour_index(frame)
        return moved, colour_index(frame.reshape(-1, 3)[moved])

    def _quantise(self, frame: np.ndarray, out: np.ndarray) -> None:
        """``frame``'s pixels as 32-bit words (RGB and a constant byte) with only the top :data:`BITS` bits of each colour."""
        cv2.cvtColor(frame, cv2.COLOR_RGB2RGBA, dst=self.four)
        np.bitwise_and(self.four.reshape(-1).view(np.uint32), QUANTISED, out=out)

    def _boxes(self) -> list[tuple[int, int, int, int] | None]:
        """The box of every tan's body (:func:`_box`), as ``cv2.boundingRect`` of each body would give it."""
        shape = self.body.shape
        if self.n > 8:
            return [_box(cv2.boundingRect((self.body == i).view(np.uint8)), shape) for i in range(self.n)]
        bits = cv2.LUT(self.body, self.bits)
        rows, cols = np.bitwise_or.reduce(bits, axis=1), np.bitwise_or.reduce(bits, axis=0)
        out = []
        for i in range(self.n):
            r, c = np.flatnonzero(rows & (1 << i)), np.flatnonzero(cols & (1 << i))
            out.append(None if not len(r) else
                       _box((int(c[0]), int(r[0]), int(c[-1] - c[0] + 1), int(r[-1] - r[0] + 1)), shape))
        return out
