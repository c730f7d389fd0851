"""The 3D maze board check and trajectory walker against plain per-frame / per-point references.

The board check skips frames and regions that cannot have changed and the walker
reads the labels of a whole segment at once; these tests pin that they decide
exactly what the straightforward loops decide, on boards that do change (so the
shortcuts must not hide a change) and on trajectories that break every rule.
"""

from __future__ import annotations

from collections import Counter

import cv2
import numpy as np
import pytest

from genreason.types import Event
from puzzles.maze3d import Maze3DFamily
from puzzles.maze3d.layout import Maze3DLayout, place_labels
from verifiers import maze3d_board as B
from verifiers import maze3d_rules as R
from verifiers.maze3d import thin_regions
from verifiers.tracking import Appearance, foreground

T, H, W = 12, 64, 72


def _appearance(threshold: float = 60.0) -> Appearance:
    grey = np.zeros(3, np.float32)
    return Appearance(np.zeros((H, W, 3), np.uint8), grey, 20.0, grey, None, {}, grey[None], threshold)


def _scene(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """diff (stray specks, a persistent patch, a one-frame flash), agent masks, in-view mask."""
    rng = np.random.default_rng(seed)
    diff = (rng.random((T, H, W)) < 0.03).astype(np.uint16) * 200  # specks: the opening removes them
    diff[3:9, 16:27, 40:50] = 150  # a block-sized patch that stays: a change
    diff[5, 40:52, 8:20] = 150  # one frame only
    diff[:, 50:56, 60:70] = 90  # below the agent threshold, above the board's: regions see it
    agents = np.zeros((T, H, W), bool)
    for t in range(T):
        y, x = rng.integers(0, H - 4), rng.integers(0, W - 4)
        agents[t, y:y + 4, x:x + 4] = True
        diff[t, y:y + 4, x:x + 4] = 250
    agents[2, :3, :3] = True  # against the corner: the widened agent is clipped there
    in_view = np.ones((H, W), bool)
    if seed % 2:
        in_view[:5] = False
        in_view[:, -9:] = False
    return diff, agents, in_view


def _reference_blocks(diff, agents, appearance, in_view) -> np.ndarray:
    fg = foreground(diff, appearance, B.OPENING).astype(bool)
    kernel = np.ones((2 * B.AGENT_RIM + 1, 2 * B.AGENT_RIM + 1), np.uint8)
    bh, bw = H // B.BLOCK, W // B.BLOCK
    out = np.zeros((T, bh, bw), bool)
    for i in range(T):
        rest = fg[i] & ~cv2.dilate(agents[i].astype(np.uint8), kernel).astype(bool) & in_view
        out[i] = rest[:bh * B.BLOCK, :bw * B.BLOCK].reshape(bh, B.BLOCK, bw, B.BLOCK).mean(axis=(1, 3)) \
            > B.CHANGED_FRACTION
    return out


def _reference_regions(diff, agents, appearance, in_view, regions) -> list[tuple[str, int]]:
    kernel = np.ones((2 * B.AGENT_RIM + 1, 2 * B.AGENT_RIM + 1), np.uint8)
    agent = [cv2.dilate(m.astype(np.uint8), kernel).astype(bool) for m in agents]
    differs = diff > B.board_threshold(appearance)
    found = []
    for what, mask in regions:
        area = mask & in_view
        total = int(area.sum())
        if total < 4:
            continue
        run = 0
        for t in range(T):
            free = area & ~agent[t]
            kept = int(free.sum())
            if kept < 0.5 * total:
                continue
            run = run + 1 if int((differs[t] & free).sum()) > B.REGION_FRACTION * kept else 0
            if run >= B.PERSIST:
                found.append((what, t - B.PERSIST + 1))
                break
    return found


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_board_blocks_and_regions_match_the_plain_loops(seed) -> None:
    diff, agents, in_view = _scene(seed)
    appearance = _appearance()
    hidden = B._hidden(agents, in_view)
    kernel = np.ones((2 * B.AGENT_RIM + 1, 2 * B.AGENT_RIM + 1), np.uint8)
    plain = np.stack([cv2.dilate(m.astype(np.uint8), kernel) | (~in_view).astype(np.uint8) for m in agents])
    assert np.array_equal(hidden, plain)

    got = B.changed_blocks(diff, hidden, appearance)
    want = _reference_blocks(diff, agents, appearance, in_view)
    assert np.array_equal(got, want)
    assert want[3:9].any()  # the patch is a change the shortcuts must not skip
    flash = (slice(40 // B.BLOCK, 52 // B.BLOCK), slice(8 // B.BLOCK, 20 // B.BLOCK))  # its blocks
    assert want[5][flash].any() and not want[4][flash].any()  # the one-frame flash, in its frame only

    regions = []
    for k, (y, x) in enumerate([(50, 58), (20, 2), (0, 0), (40, 30)]):
        mask = np.zeros((H, W), bool)
        mask[y:y + 8, x:x + 10] = True
        regions.append((f"region {k}", mask))
    regions.append(("empty", np.zeros((H, W), bool)))
    events: list[Event] = []
    ok = B._judge_regions(diff, hidden, appearance, in_view, 7, regions, events)
    want_regions = _reference_regions(diff, agents, appearance, in_view, regions)
    assert [(e.frame, e.kind) for e in events] == [(t + 7, "board_changed") for _, t in want_regions]
    assert [what for what, _ in want_regions] == [e.message.split(": ")[1].removesuffix(
        " changed (erased, redrawn or covered)") for e in events]
    assert ok == (not want_regions)
    assert want_regions  # the faint strip under region 0 changes


class _PointWalker(R._Walker):
    """The walker visiting one point at a time with explicit bounds checks (the reference)."""

    def around(self, p, offsets):
        h, w = self.labels.shape
        x, y = round(p[0]), round(p[1])
        xs, ys = x + offsets[:, 0], y + offsets[:, 1]
        ok = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
        found = self.labels[ys[ok], xs[ok]]
        return found[found > 0] - 1

    def walk(self, points, frame):
        h, w = self.labels.shape
        for px, py in points.tolist():
            near = self.around((px, py), self.tol_offsets)
            if len(near) == 0:
                self._visit((px, py), near, np.zeros(0, np.int32), 0, frame)
                continue
            x, y = round(px), round(py)
            here = int(self.labels[y, x]) if 0 <= x < w and 0 <= y < h else 0
            hyst = self.around((px, py), self.hyst_offsets) + 1
            if self.off or self.current not in set((hyst - 1).tolist()):
                self._visit((px, py), near, hyst, here, frame)


def _outcome(result: R.PathResult) -> tuple:
    return (result.legal, result.ended_on_goal, result.cells, result.final_cell, result.ladders_used,
            result.illegal_level_changes, [(e.frame, e.kind, e.message) for e in result.events])


def test_walker_matches_point_by_point_visits(monkeypatch) -> None:
    family = Maze3DFamily()
    puzzle = family.generate(1, "medium", "meadow", "p")
    layout = Maze3DLayout.model_validate(puzzle.layout)
    labels = place_labels(layout, (puzzle.height, puzzle.width))
    a = layout.step_px / np.hypot(1.0, 0.5)
    rules = R.Rules(tolerance=0.25 * a, hysteresis=0.12 * a, max_step=2.0, max_lost=3)
    rng = np.random.default_rng(5)
    route = [layout.top_centre(tuple(c)) for c in puzzle.solution["path"]]
    walks = {
        "the route": route,
        # Wandering anywhere, off the picture too: off the surface, cliffs, gaps, teleports.
        "random": [(float(x), float(y)) for x, y in rng.uniform(-40, puzzle.width + 40, (40, 2))],
        "jittered route": [(x + float(rng.normal(0, a / 2)), y + float(rng.normal(0, a / 2))) for x, y in route],
    }
    cases = 0
    for name, points in walks.items():
        positions: list = list(points)
        positions[len(positions) // 2] = None  # a short loss
        frames = list(range(len(positions)))
        duplicated = [False] * len(positions)
        got = R.analyse(positions, frames, duplicated, layout, labels, rules)
        with monkeypatch.context() as m:
            m.setattr(R, "_Walker", _PointWalker)
            want = R.analyse(positions, frames, duplicated, layout, labels, rules)
        assert _outcome(got) == _outcome(want), name
        cases += len(want.events)
    assert cases >= 3  # the random walk breaks rules: the comparison covers events


def test_thin_regions_cover_every_ladder_and_the_goal() -> None:
    family = Maze3DFamily()
    puzzle = family.generate(1, "medium", "meadow", "p")
    layout = Maze3DLayout.model_validate(puzzle.layout)
    regions = thin_regions(layout, (puzzle.width, puzzle.height), 1.0)
    assert len(regions) == len(layout.ladders) + 1
    assert all(mask.any() for _, mask in regions)
    assert Counter(what.split()[1] for what, _ in regions)["goal"] == 1


def _ladder_board(offset: float) -> np.ndarray:
    """A face with two thin rails and rungs (1-2 px, antialiased), drawn ``offset`` pixels to the right."""
    big = np.full((H * 4, W * 4, 3), (150, 150, 150), np.uint8)
    for x in (30, 50):
        cv2.line(big, (round((x + offset) * 4), 40), (round((x + offset) * 4), 200), (110, 60, 20), 5)
    for y in range(60, 200, 30):
        cv2.line(big, (round((30 + offset) * 4), y), (round((50 + offset) * 4), y), (110, 60, 20), 4)
    return cv2.resize(big, (W, H), interpolation=cv2.INTER_AREA)


def test_a_thin_ladder_erased_is_seen_and_a_sub_pixel_shift_is_not() -> None:
    background = _ladder_board(0.0)
    mask = np.zeros((H, W), bool)
    mask[9:51, 27:54] = True  # the ladder's box, a little wider than its rails (x 30 and 50) and rungs
    hidden = np.zeros((T, H, W), np.uint8)
    shifted = np.repeat(_ladder_board(1.0)[None], T, axis=0)  # left-over shake (a pixel): the same ladder
    erased = np.repeat(np.full((1, H, W, 3), 150, np.uint8), T, axis=0)
    erased[:4] = background
    assert not _detail(shifted, background, mask, hidden).any()
    changed = _detail(erased, background, mask, hidden)
    assert not changed[:4].any() and changed[4:].all()
    # Behind the agent the region is not judged: hidden pixels never count as changed.
    assert not _detail(erased, background, mask, np.ones((T, H, W), np.uint8)).any()


def _detail(frames, background, seen, hidden) -> np.ndarray:
    """:func:`B._detail_changes` of the region ``seen`` (H x W bool), ``hidden`` (T x H x W, 0/1) left out."""
    ys, xs = np.nonzero(seen)
    return B._detail_changes(frames, background, ys, xs, hidden[:, ys, xs] == 0)[:, 0]


def _reference_detail(frames, background, seen, hidden) -> np.ndarray:
    """:func:`B._detail_changes` as a plain loop: every frame's padded box, every shift, no skip."""
    x, y, w, h = cv2.boundingRect(seen.astype(np.uint8))
    rows = slice(max(0, y - 2), min(H, y + h + 2))
    cols = slice(max(0, x - 2), min(W, x + w + 2))
    region = seen[rows, cols]
    board = background[rows, cols].astype(np.float32)
    apart = np.abs(board - np.median(board[region], axis=0)).sum(-1)
    floor = max(B.DETAIL_FLOOR, 0.5 * float(np.percentile(apart[region], 95)))
    detail = region & (apart > floor)
    out = np.zeros(len(frames), bool)
    for t, frame in enumerate(frames):
        free = region & (hidden[t, rows, cols] == 0)
        patch = frame[rows, cols].astype(np.float32)
        best, far = np.inf, None
        for dx in B.SUBPIXEL:
            for dy in B.SUBPIXEL:
                moved = cv2.warpAffine(board, np.float32([[1, 0, dx], [0, 1, dy]]), (board.shape[1], board.shape[0]),
                                       flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
                gap = np.abs(patch - moved).sum(-1) * free
                if gap.sum() < best:
                    best, far = gap.sum(), gap > floor
        differs = int(far.sum())
        out[t] = differs > B.DETAIL_FRACTION * (detail & free).sum() and differs > B.REGION_FRACTION * free.sum() \
            and detail.any()
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_detail_check_decides_as_the_plain_loop_at_its_threshold(seed) -> None:
    # Frame t erases the ladder in a growing share of its detail pixels, on boards that are noisy and
    # shifted by up to a pixel: the frames go from well below the change threshold to well above it, so
    # some sit right at it, and noise and shift make every frame's score at shift (0, 0) large. The skip
    # (frames whose unshifted score rules a change out) and the search over shifts must flag exactly the
    # frames the plain loop flags.
    rng = np.random.default_rng(seed)
    background = _ladder_board(0.0)
    mask = np.zeros((H, W), bool)
    mask[9:51, 27:54] = True
    ladder = np.argwhere(mask & (np.abs(background.astype(int) - 150).sum(-1) > 60))
    n = 24
    frames = np.empty((n, H, W, 3), np.uint8)
    for t in range(n):
        frame = _ladder_board(float(rng.choice([0.0, 0.5, 1.0, -0.7])))
        gone = ladder[rng.permutation(len(ladder))[:round(len(ladder) * t / (n - 1))]]
        frame[gone[:, 0], gone[:, 1]] = 150
        noise = rng.normal(0, 4 + 4 * (seed == 2), frame.shape)
        frames[t] = np.clip(frame + noise, 0, 255).astype(np.uint8)
    hidden = np.zeros((n, H, W), np.uint8)
    hidden[n // 2:, 20:30, 25:40] = 1  # the agent over part of the ladder in the later frames
    want = _reference_detail(frames, background, mask, hidden)
    got = _detail(frames, background, mask, hidden)
    assert np.array_equal(got, want)
    assert want[-1] and not want[0] and 0 < want.sum() < n - 1  # both sides of the threshold are covered


def test_detail_check_skips_only_frames_that_cannot_change(monkeypatch) -> None:
    background = _ladder_board(0.0)
    mask = np.zeros((H, W), bool)
    mask[9:51, 27:54] = True
    rng = np.random.default_rng(4)
    still = np.repeat(background[None], 4, axis=0)  # the board as learned: nothing to search
    erased = np.clip(np.full((4, H, W, 3), 150.0) + rng.normal(0, 6, (4, H, W, 3)), 0, 255).astype(np.uint8)
    erased[:, :, :, 0] = np.roll(erased[:, :, :, 0], 1, axis=2)  # and shifted: a noisy, moved frame
    frames = np.concatenate([still, erased])
    searched = []
    gaps = B._gaps
    monkeypatch.setattr(B, "_gaps", lambda patch, moved, weight: searched.append(patch.shape[1]) or gaps(
        patch, moved, weight))
    hidden = np.zeros((len(frames), H, W), np.uint8)
    changed = _detail(frames, background, mask, hidden)
    # Hard negative: the erased ladder in noisy, shifted frames is flagged; the still frames are not.
    assert changed.tolist() == [False] * 4 + [True] * 4
    assert np.array_equal(changed, _reference_detail(frames, background, mask, hidden))
    assert searched[0] == 8 and sum(searched[1:]) == 4  # every frame scored at (0, 0), only the erased ones searched


def test_detail_check_of_many_regions_at_once_is_each_region_alone() -> None:
    # The board check scores every region in one pass: a ladder erased in the later frames, one left alone,
    # a flat patch with no detail at all and a ladder half behind the agent must each be judged as alone.
    rng = np.random.default_rng(6)
    background = _ladder_board(0.0)
    erased = background.copy()
    erased[:, 27:42] = 150  # the left rail and half of every rung gone
    frames = np.stack([background if t < 5 else erased for t in range(12)]).astype(np.int16)
    frames = np.clip(frames + rng.normal(0, 5, frames.shape), 0, 255).astype(np.uint8)
    hidden = np.zeros((12, H, W), np.uint8)
    hidden[8:, 9:40, 40:56] = 1
    masks = []
    for y0, y1, x0, x1 in [(9, 51, 27, 54), (9, 30, 44, 54), (52, 62, 2, 20), (9, 51, 40, 56)]:
        mask = np.zeros((H, W), bool)
        mask[y0:y1, x0:x1] = True
        masks.append(mask)
    alone = np.stack([_detail(frames, background, m, hidden) for m in masks], axis=1)
    pixels = [np.nonzero(m) for m in masks]
    ys, xs = np.concatenate([p[0] for p in pixels]), np.concatenate([p[1] for p in pixels])
    starts = np.cumsum([0] + [len(p[0]) for p in pixels[:-1]])
    together = B._detail_changes(frames, background, ys, xs, hidden[:, ys, xs] == 0, starts)
    assert np.array_equal(together, alone)
    assert alone[5:, 0].all() and not alone[:5, 0].any()  # hard negative: the erased ladder is seen
    assert not alone[:, 2].any()  # nothing drawn there to lose


def _pieces() -> np.ndarray:
    """One frame's differences (T=1): a plus of 5 pixels (no 3 x 3 square fits in it), a 3 x 3 square, and
    specks: a lone pixel, a line one pixel thin and a bar two pixels thick."""
    diff = np.zeros((1, 40, 40), np.uint16)
    diff[0, 5, 4:7] = diff[0, 4:7, 5] = 200  # plus
    diff[0, 30:33, 30:33] = 200  # square
    diff[0, 5, 30] = 200  # lone pixel
    diff[0, 20, 25:38] = 200  # one-pixel line
    diff[0, 34:36, 2:20] = 200  # two-pixel bar
    return diff


def test_cross_opening_keeps_an_agents_plus_shaped_pieces_and_drops_specks() -> None:
    diff = _pieces()
    kept = foreground(diff, _appearance(), B.OPENING)[0].astype(bool)
    assert kept[4:7, 5].all() and kept[5, 4:7].all()  # the plus stays
    assert kept[30:33, 31].all() and kept[31, 30:33].all()  # a square keeps its plus (a corner is never alone)
    assert not kept[5, 30] and not kept[20].any() and not kept[34:36].any()  # specks go, as with the square
    square = foreground(diff, _appearance())[0].astype(bool)
    assert not square[:20, :20].any() and square[30:33, 30:33].all()  # the square opening erased the plus
    assert kept.sum() == 5 + 5 and square.sum() == 9


def test_following_with_the_plus_opening_finds_the_agent_and_its_copy() -> None:
    from verifiers import difference, tracking
    rng = np.random.default_rng(5)
    background = np.full((40, 48, 3), 30, np.uint8)
    background[:, 20:23] = 200
    frames = np.repeat(background[None], 5, axis=0)
    for t, frame in enumerate(frames):
        frame[6 + 4 * t:12 + 4 * t, 8 + 2 * t:14 + 2 * t] = (250, 5, 250)
        frame[30:36, 34:44] = rng.integers(0, 256, (6, 10, 3))
    frames[3, 2:8, 36:42] = (250, 5, 250)  # a copy, far off
    smoothed = tracking.smooth(frames)
    look = Appearance(background, np.array([250.0, 5.0, 250.0], np.float32), 36.0,
                      np.array([30.0, 30.0, 30.0], np.float32), None, {}, tracking.dominant_colours(background), 40.5)
    diff = difference.Difference(smoothed, background)
    got = tracking.follow_agent(smoothed, diff, look, (11.0, 9.0), 8.0, opening=tracking.CROSS)
    assert [round(p[1] - 4 * t) for t, p in enumerate(got[0])] == [9] * 5  # the sprite's centre row, frame by frame
    assert all(p is not None for p in got[0]) and got[1] == [False, False, False, True, False]


def test_smoothing_in_place_is_smoothing() -> None:
    from verifiers import tracking
    rng = np.random.default_rng(6)
    for shape in [(3, 37, 29, 3), (2, 1, 9, 3), (1, 5, 1, 3)]:
        for weighted in (False, True):
            frames = rng.integers(0, 256, shape, dtype=np.uint8)
            want = tracking.smooth(frames, weighted)
            got = tracking.smooth(frames, weighted, out=frames)
            assert got is frames and np.array_equal(got, want)
