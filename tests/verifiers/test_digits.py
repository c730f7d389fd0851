"""The digit reader: its own fonts, fonts it was not built from, degraded cells, empty cells and marks that are no digit."""

from __future__ import annotations

from functools import cache

import cv2
import numpy as np
import pytest

from puzzles.sudoku.fonts import Font
from verifiers.digits import (
    EMPTY,
    TEMPLATE_FONTS,
    UNSURE,
    DigitReader,
    features,
    glyphs,
    interior,
    prepare,
    rendered_cell,
    shape_cells,
)

SIDE = 32  # the verifier's canonical cell


@cache
def reader_without(face: str) -> DigitReader:
    """A reader whose templates leave out every font of one face (``cv2``: all of OpenCV's faces)."""
    if face == "cv2":
        return DigitReader(9, [f for f in TEMPLATE_FONTS if f.face in ("pen", "pillow")])
    return DigitReader(9, [f for f in TEMPLATE_FONTS if f.face != face])


def degrade(cell: np.ndarray, how: str, rng: np.random.Generator) -> np.ndarray:
    if how == "blur":
        return cv2.GaussianBlur(cell, (0, 0), 1.0)
    if how == "noise":
        return np.clip(cell + rng.normal(0, 8, cell.shape), 0, 255).astype(np.uint8)
    if how == "jpeg":
        _, buf = cv2.imencode(".jpg", cell, [cv2.IMWRITE_JPEG_QUALITY, 30])
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if how == "half-size":
        small = cv2.resize(cell, (SIDE // 2, SIDE // 2), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (SIDE, SIDE), interpolation=cv2.INTER_LINEAR)
    return cell


def read_all(reader: DigitReader, fonts: list[Font], how: str = "clean") -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    cells, labels = [], []
    for font in fonts:
        for digit in range(1, 10):
            for fraction in (0.56, 0.62, 0.68):
                cells.append(interior(degrade(rendered_cell(digit, font, SIDE, fraction), how, rng)))
                labels.append(digit)
    return reader.read(np.stack(cells)).values, np.array(labels)


def test_reads_every_template_font():
    values, labels = read_all(DigitReader(9), list(TEMPLATE_FONTS))
    assert (values == labels).all()


HELD_OUT = {
    "pillow": [Font("pillow", 0.0), Font("pillow", 0.045)],
    "pen": [Font("pen", 0.09), Font("pen", 0.08, italic=True), Font("pen", 0.11, alternate=True)],
    "cv2": [Font("simplex", 0.04), Font("complex", 0.05), Font("script", 0.03)],
}


@pytest.mark.parametrize("how", ["clean", "blur", "noise", "jpeg", "half-size"])
@pytest.mark.parametrize("face", sorted(HELD_OUT))
def test_reads_fonts_it_was_not_built_from(face, how):
    values, labels = read_all(reader_without(face), HELD_OUT[face], how)
    wrong = (values != labels) & (values != UNSURE)
    assert not wrong.any(), list(zip(labels[wrong], values[wrong]))  # never a confident misread
    assert (values == labels).mean() >= (0.75 if how == "half-size" else 0.85)  # the rest is unsure


def test_light_digits_on_a_dark_cell_read_alike():
    dark = [255 - rendered_cell(d, Font("pillow", 0.03), SIDE, 0.62) for d in range(1, 10)]
    coloured = [np.where(c > 128, np.array([34, 62, 48], np.uint8), np.array([240, 214, 80], np.uint8)) for c in dark]
    values = DigitReader(9).read(np.stack([interior(c.astype(np.uint8)) for c in coloured])).values
    assert values.tolist() == list(range(1, 10))


def test_empty_cells_read_empty():
    rng = np.random.default_rng(1)
    plain = np.full((SIDE, SIDE, 3), (246, 240, 222), np.uint8)
    noisy = np.clip(plain + rng.normal(0, 8, plain.shape), 0, 255).astype(np.uint8)
    lined = plain.copy()
    lined[:, :5] = 0  # a grid line reaching into the read area (shake, misalignment)
    values = DigitReader(9).read(np.stack([interior(c) for c in (plain, noisy, lined)])).values
    assert values.tolist() == [EMPTY] * 3


def test_marks_that_are_no_digit_are_unsure():
    marks = []
    for draw in (lambda im: cv2.circle(im, (16, 16), 7, 0, -1), lambda im: cv2.ellipse(im, (16, 16), (5, 8), 0, 0, 360, 0, 2),
                 lambda im: cv2.rectangle(im, (9, 9), (23, 23), 0, 2), lambda im: cv2.line(im, (8, 16), (24, 16), 0, 2),
                 lambda im: cv2.putText(im, "A", (9, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 2),
                 lambda im: cv2.putText(im, "0", (9, 24), cv2.FONT_HERSHEY_SIMPLEX, 0.6, 0, 2)):
        image = np.full((SIDE, SIDE), 255, np.uint8)
        draw(image)
        marks.append(interior(np.repeat(image[..., None], 3, axis=2)))
    values = DigitReader(9).read(np.stack(marks)).values
    assert values.tolist() == [UNSURE] * len(marks)


def test_examples_teach_a_new_font():
    script = Font("script", 0.04)
    base = reader_without("cv2")
    taught = base.with_examples(np.stack([interior(rendered_cell(d, script, SIDE, 0.6)) for d in range(1, 10)]),
                                list(range(1, 10)))
    values, labels = read_all(taught, [script])
    assert (values == labels).all()


# --- batching: reading many cells at once is reading each on its own ------------------------------


def mixed_cells() -> np.ndarray:
    """Digits, degraded digits, digits beside a grid line, marks and empty cells (SIDE px interiors)."""
    rng = np.random.default_rng(3)
    cells = []
    for i, font in enumerate([Font("pen", 0.08), Font("pillow", 0.03), Font("simplex", 0.04)]):
        for digit in range(1, 10):
            cell = degrade(rendered_cell(digit, font, SIDE, 0.56 + 0.02 * (digit % 4)), ["clean", "blur", "noise"][i], rng)
            if digit % 3 == 0:
                cell = cell.copy()
                cell[:, :6] = 30  # a grid line reaching in: a thin component on the edge, dropped
            cells.append(interior(cell))
    cells += [interior(c) for c in shape_cells(SIDE)]
    bar, blob = np.full((2, 24, 24, 3), 240, np.uint8)
    bar[-5:] = 20  # ink along one cell's bottom edge, and the next one's top edge: two marks, never one
    blob[:6, 5:15] = 20
    cells += [bar, blob]
    cells.append(interior(np.full((SIDE, SIDE, 3), 240, np.uint8)))
    return np.stack(cells)


def reference_glyph(ink: np.ndarray, peak: float) -> np.ndarray | None:
    """One patch's glyph, step by step as the module docstring says (the per-patch form of ``glyphs``)."""
    soft = np.clip((ink - 0.25 * peak) / (0.5 * peak), 0.0, 1.0)
    count, labels, stats, _ = cv2.connectedComponentsWithStats((ink > 0.5 * peak).astype(np.uint8), connectivity=8)
    side = ink.shape[0]
    largest = stats[1:, cv2.CC_STAT_AREA].max() if count > 1 else 0
    keep = np.zeros(count, dtype=bool)
    for k in range(1, count):
        x, y, w, h, area = stats[k]
        on_edge = x == 0 or y == 0 or x + w == side or y + h == side
        line_like = min(w, h) <= max(2, side // 10) and max(w, h) >= side // 3
        keep[k] = not (area < 0.08 * largest or (on_edge and line_like))
    if not keep.any():
        return None
    kept = keep[labels]
    ys, xs = np.nonzero(kept)
    crop = (soft * cv2.dilate(kept.astype(np.uint8), np.ones((3, 3), np.uint8)))[ys.min():ys.max() + 1,
                                                                                xs.min():xs.max() + 1]
    h, w = crop.shape
    k = 20 / max(h, w)
    nh, nw = max(1, round(h * k)), max(1, round(w * k))
    small = cv2.resize(crop, (nw, nh), interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_LINEAR)
    out = np.zeros((24, 24), dtype=np.float32)
    out[(24 - nh) // 2:(24 - nh) // 2 + nh, (24 - nw) // 2:(24 - nw) // 2 + nw] = small
    return out


def test_glyphs_of_a_batch_are_each_patchs_own_glyph():
    patches = mixed_cells()
    glyph_batch, empty = glyphs(patches)
    assert empty[-1] and not empty[:27].any()  # the blank cell, and every digit
    f = patches.astype(np.float32)
    for i, patch in enumerate(f):
        ring = np.concatenate([patch[:2].reshape(-1, 3), patch[-2:].reshape(-1, 3), patch[:, :2].reshape(-1, 3),
                               patch[:, -2:].reshape(-1, 3)])
        ink = np.abs(patch - np.median(ring, axis=0)).max(axis=2)
        peak = float(np.percentile(ink, 98))
        if peak < 48 or (ink > 0.5 * peak).mean() < 0.02:
            assert empty[i]
            continue
        expected = reference_glyph(ink, peak)
        assert empty[i] == (expected is None)
        if expected is not None:
            assert np.array_equal(glyph_batch[i], expected), i  # exactly: the same arithmetic
    grey, grey_empty = glyphs(patches.min(axis=3))  # three equal channels read as one
    same, same_empty = glyphs(np.repeat(patches.min(axis=3)[..., None], 3, axis=3))
    assert np.array_equal(grey, same) and np.array_equal(grey_empty, same_empty)


def reference_features(glyph: np.ndarray) -> np.ndarray:
    """One glyph's feature vector, step by step (the per-glyph form of ``features``)."""
    g = cv2.GaussianBlur(glyph, (0, 0), 0.8)  # blurred on its own, with its own reflected borders
    gy, gx = np.gradient(g)
    magnitude = np.hypot(gx, gy)
    bins = np.minimum(((np.arctan2(gy, gx) % np.pi) / np.pi * 8).astype(int), 7)
    hog = np.stack([(magnitude * (bins == b)).reshape(4, 6, 4, 6).sum(axis=(1, 3)) for b in range(8)], axis=-1)
    hog = hog.reshape(-1) / (np.linalg.norm(hog) + 1e-6)
    zones = g.reshape(8, 3, 8, 3).mean(axis=(1, 3)).reshape(-1)
    zones /= np.linalg.norm(zones) + 1e-6
    width = (g.sum(axis=0) > 0.05).sum() / 24
    out = np.concatenate([hog, 0.8 * zones, [0.5 * width]]).astype(np.float32)
    return out / (np.linalg.norm(out) + 1e-6)


def test_features_of_a_batch_are_each_glyphs_own():
    glyph_batch, empty = glyphs(mixed_cells())
    together = features(glyph_batch[~empty])
    for i, glyph in enumerate(glyph_batch[~empty]):
        assert np.array_equal(together[i], features(glyph[None])[0])  # no glyph's neighbours change it
        np.testing.assert_allclose(together[i], reference_features(glyph), rtol=0, atol=1e-6)  # sums' order aside


def test_prepared_cells_read_as_their_patches():
    patches = mixed_cells()
    reader = DigitReader(9)
    prepared = prepare(patches)
    direct = reader.read(patches)
    assert np.array_equal(reader.read_prepared(prepared).values, direct.values)
    labels = np.array([d for _ in range(3) for d in range(1, 10)] + [0] * (len(patches) - 27))
    teach = np.arange(len(patches)) % 2 == 0
    taught = reader.with_examples(patches[teach], labels[teach])
    also = reader.with_prepared_examples(prepared, np.where(teach, labels, 0))
    assert np.array_equal(taught.read(patches).values, also.read_prepared(prepared).values)
    assert len(also._labels) == len(reader._labels) + int((teach & (labels > 0)).sum())
