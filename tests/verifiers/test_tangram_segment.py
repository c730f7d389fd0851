"""Finding tans frame after frame: the incremental scan sees what observing every frame whole sees.

:class:`verifiers.tangram_scan.Scanner` redoes only what changed from one
frame to the next, and :class:`verifiers.tangram_segment.Table` unmixes only
the colours a video shows; both must give the numbers of the plain way (every
colour unmixed, every frame observed whole) to the last bit, on sharp and
noisy frames, tans that move, split, vanish or appear, and frames that repeat.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from verifiers.tangram_scan import Scanner, observe
from verifiers.tangram_segment import (
    GRID,
    Palette,
    Table,
    colour_index,
    near_bodies,
    unmix,
    unmix_pixels,
    with_seams,
)

BACKGROUND, FILL = (240, 240, 235), (60, 60, 70)
TAN_COLOURS = [(220, 40, 40), (40, 160, 60), (40, 80, 220), (230, 200, 40), (200, 60, 200), (40, 200, 210),
               (240, 130, 30), (120, 60, 20), (150, 150, 255)]


def palette(n: int) -> Palette:
    colours = np.array([*TAN_COLOURS[:n], BACKGROUND, FILL], np.float32)
    return Palette(colours, n, (n, n + 1))


def square(cx: float, cy: float, half: float, turn: float) -> np.ndarray:
    t = np.radians(turn + np.arange(4) * 90.0)
    return np.stack([cx + half * np.cos(t), cy + half * np.sin(t)], axis=1)


def frame(poses: list[tuple[float, float, float] | None], extra: tuple[int, float, float] | None = None,
          noise: float = 0.0, seed: int = 0) -> np.ndarray:
    """A 96 x 128 canvas: a silhouette and one square a tan at (cx, cy, turn); ``extra`` draws tan i once more."""
    image = np.zeros((96 * 4, 128 * 4, 3), np.uint8)
    image[:] = BACKGROUND
    cv2.fillPoly(image, [np.round(square(64, 48, 30, 0) * 4).astype(np.int32)], FILL, cv2.LINE_AA)
    shapes = [(i, p) for i, p in enumerate(poses) if p is not None]
    if extra is not None:
        shapes.append((extra[0], (extra[1], extra[2], 0.0)))
    for i, (cx, cy, turn) in shapes:
        cv2.fillPoly(image, [np.round(square(cx, cy, 7, turn) * 4).astype(np.int32)], TAN_COLOURS[i], cv2.LINE_AA)
    small = cv2.resize(image, (128, 96), interpolation=cv2.INTER_AREA)
    if noise:
        small = np.clip(small + np.random.default_rng(seed).normal(0, noise, small.shape), 0, 255).astype(np.uint8)
    return small


def video(n: int) -> np.ndarray:
    """Tans gliding one after another, a still stretch, a noisy stretch, a tan split and one gone."""
    start = [(14.0 + 12 * i, 10.0 + 8 * (i % 3), 10.0 * i) for i in range(n)]
    poses = [list(start)]
    for i in (0, n - 1):  # two tans glide, the others stay put
        for step in range(6):
            moved = list(poses[-1])
            cx, cy, turn = moved[i]
            moved[i] = (cx + 1.7, cy + 2.3, turn + 4.0 * step)
            poses.append(moved)
    frames = [frame(p) for p in poses]
    frames += [frames[-1]] * 3  # nothing changes
    frames += [frame(poses[-1], noise=6.0, seed=s) for s in range(3)]  # every colour changes
    frames += [frame(poses[-1], extra=(1, 100.0, 80.0))]  # tan 1 appears a second time
    gone = list(poses[-1])
    gone[2] = None
    frames += [frame(gone), frame(gone, noise=2.0, seed=9), frame(poses[-1])]  # tan 2 goes and comes back
    return np.stack(frames)


@pytest.mark.parametrize("n", [7, 9])  # 9 tans: more than the one-bit-a-tan bookkeeping holds
def test_the_scan_sees_what_observing_every_frame_whole_sees(n):
    frames = video(n)
    seen = Scanner(Table(palette(n))).scan(frames)
    whole = Table(palette(n))
    for t, f in enumerate(frames):
        mix = unmix(f, whole)
        assert seen[t] == [observe(mix, i) for i in range(n)], f"frame {t}"
    assert seen[0][1].second == 0 and seen[-4][1].second > 0.5 * seen[-4][1].main  # the split is seen
    assert seen[-3][2].centroid is None and seen[-1][2].centroid is not None  # tan 2 went and came back


def test_a_table_filled_colour_by_colour_is_the_table_of_every_colour():
    pal = palette(7)
    best = unmix_pixels(GRID, pal)
    alt = unmix_pixels(GRID, pal, exclude=best.first, everything=True)
    table = Table(pal)
    rng = np.random.default_rng(3)
    for _ in range(3):  # filled in three batches of random colours
        table.fill(rng.integers(0, len(GRID), 2000).astype(np.uint16))
    known = np.flatnonzero(table.known)
    assert len(known) > 4000
    for mine, full in ((table.first, best.first), (table.second, best.second), (table.share, best.share)):
        assert np.array_equal(mine[known], full[known])
    own = known[table.labels[known] != 255]
    assert len(own) > 100
    for mine, full in ((table.alt_first, alt.first), (table.alt_second, alt.second), (table.alt_share, alt.share)):
        assert np.array_equal(mine[own], full[own])  # the second-best mix: only a tan's own colours need it


def test_the_scan_reports_exactly_the_pixels_whose_quantised_colour_changed():
    """Frame to frame, a pixel counts as changed only when its colour leaves its quantisation bin
    (in any one channel): changes within a bin are not reported, and a frame where most pixels
    change is taken whole. Odd sizes (whose pixels straddle 32-bit words) included."""
    rng = np.random.default_rng(5)
    for h, w in ((13, 11), (96, 128)):
        scanner = Scanner(Table(palette(3)))
        frames = [rng.integers(0, 256, (h, w, 3), dtype=np.uint8)]
        nxt = frames[0].copy()
        nxt[..., 1] ^= 0x07 * (rng.random((h, w)) < 0.3).astype(np.uint8)  # low bits only: same bins
        frames.append(nxt)
        nxt = nxt.copy()
        flat = nxt.reshape(-1, 3)
        picked = rng.choice(h * w, size=max(2, h * w // 20), replace=False)
        flat[picked, rng.integers(0, 3, len(picked))] ^= 0x08  # one channel crosses into the next bin
        frames.append(nxt)
        frames.append(rng.integers(0, 256, (h, w, 3), dtype=np.uint8))  # nearly every pixel changes
        moved, whole = scanner._changes(frames[0])
        assert moved is None and np.array_equal(whole, colour_index(frames[0]))
        moved, colours = scanner._changes(frames[1])
        assert len(moved) == 0 and len(colours) == 0
        moved, colours = scanner._changes(frames[2])
        before, after = colour_index(frames[1]).reshape(-1), colour_index(frames[2]).reshape(-1)
        assert np.array_equal(moved, np.flatnonzero(before != after)) and np.array_equal(moved, np.sort(picked))
        assert np.array_equal(colours, after[moved])
        moved, whole = scanner._changes(frames[3])
        assert moved is None and np.array_equal(whole, colour_index(frames[3]))


def test_the_seam_between_two_tans_goes_to_the_tans_either_side():
    """Two tans painted one after the other, meeting half way across a column of pixels: that column keeps
    a quarter of the background under both edges, three colours no pair explains. Their seam goes to them;
    a tan's edge on the background and the background itself stay as they are."""
    pal = palette(2)
    red, blue, background = (pal.colours[k] for k in (0, 1, 2))
    image = np.tile(background, (30, 60, 1))
    image[5:25, 10:30] = red
    image[5:25, 30] = 0.5 * red + 0.5 * background  # red's right edge
    image[5:25, 9] = 0.5 * red + 0.5 * background  # red's left edge, on the background
    image[5:25, 31:50] = blue
    image[5:25, 30] = 0.5 * blue + 0.5 * image[5:25, 30]  # blue painted over, its left edge half the column
    mix = unmix(np.round(image).astype(np.uint8), Table(pal))
    plain = [mix.shares(k) for k in range(2)]
    seamed = with_seams(plain, near_bodies(mix.body, 2))
    assert (plain[0] + plain[1])[5:25, 30].mean() < 0.9  # the seam is lost to both without it
    assert np.allclose((seamed[0] + seamed[1])[5:25, 30], 1.0, atol=0.02)
    assert 0.4 < seamed[0][5:25, 30].mean() < 0.6
    for k in range(2):
        np.testing.assert_array_equal(seamed[k][:, :29], plain[k][:, :29])  # red's edge on the background
        np.testing.assert_array_equal(seamed[k][:, 32:], plain[k][:, 32:])
    # Each tan now measures its painted area: 20 x 20.5 pixels.
    assert abs(seamed[0][:, :31].sum() - 20 * 21) < 8 and abs(seamed[1][:, 30:].sum() - 20 * 19.5) < 8


def test_a_tan_owns_only_its_shares_near_its_body():
    """A speck of a tan's colour blended into the background, far from the tan (what a dark outline stroked round
    another tan unmixes as), is none of the tan; its own blurred edge is."""
    pal = palette(2)
    red, background = pal.colours[0], pal.colours[2]
    image = np.tile(background, (30, 60, 1))
    image[5:25, 10:30] = red
    image[5:25, 30] = 0.5 * red + 0.5 * background  # its edge
    image[10:12, 45] = 0.5 * red + 0.5 * background  # a speck 15 pixels away
    mix = unmix(np.round(image).astype(np.uint8), Table(pal))
    shares, own = mix.shares(0), mix.own(0)
    assert shares[10:12, 45].min() > 0.3 and own[10:12, 45].max() == 0.0
    np.testing.assert_array_equal(own[:, :40], shares[:, :40])


def test_only_the_fill_shows_a_silhouette_left_uncovered_unless_it_looks_like_the_background():
    """Inside the silhouette at the end a mix with the background is a tan's darker edge, not the silhouette
    showing: the fill alone counts, where the two colours are told apart (else a hole would read as background)."""
    tans = [(200.0, 30.0, 60.0), (30.0, 60.0, 160.0)]
    dark = Palette(np.array([*tans, (30, 32, 40), (90, 92, 100)], np.float32), 2, (2, 3))
    assert dark.showing == (3,)
    outlined_only = Palette(np.array([*tans, (250, 250, 250), (240, 240, 236)], np.float32), 2, (2, 3))
    assert outlined_only.showing == (2, 3)  # a silhouette drawn as an outline: its inside is the background
    no_fill = Palette(np.array([*tans, (250, 250, 250)], np.float32), 2, (2,))
    assert no_fill.showing == (2,)
