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
    interior,
    rendered_cell,
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
