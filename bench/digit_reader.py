"""How well does the digit reader read fonts it was not built from, degraded? (not a test: a measurement)

For each group of fonts (the ``pen`` stroke font, Pillow's built-in font,
OpenCV's faces), a reader is built from the template fonts *outside* that
group, then reads the group's digits 1-9 (at three sizes) in a 32 px cell, the
sudoku verifier's canonical cell, clean and degraded. It prints, per group and
degradation, the share read right, unsure (no answer) and wrong (a confident
misread, the dangerous kind).

    python bench/digit_reader.py
"""

from __future__ import annotations

import cv2
import numpy as np

from puzzles.sudoku.fonts import Font
from verifiers.digits import (
    TEMPLATE_FONTS,
    UNSURE,
    DigitReader,
    interior,
    rendered_cell,
)

SIDE = 32
HELD_OUT = {
    "pen": [Font("pen", 0.07), Font("pen", 0.09), Font("pen", 0.12), Font("pen", 0.08, italic=True),
            Font("pen", 0.1, alternate=True)],
    "pillow": [Font("pillow", 0.0), Font("pillow", 0.02), Font("pillow", 0.045)],
    "opencv": [Font("simplex", 0.03), Font("complex", 0.05), Font("triplex", 0.02), Font("duplex", 0.06),
               Font("script", 0.03), Font("simplex", 0.04, italic=True)],
}
TRAIN = {
    "pen": [f for f in TEMPLATE_FONTS if f.face != "pen"],
    "pillow": [f for f in TEMPLATE_FONTS if f.face != "pillow"],
    "opencv": [f for f in TEMPLATE_FONTS if f.face in ("pen", "pillow")],
}


def degrade(cell: np.ndarray, how: str, rng: np.random.Generator) -> np.ndarray:
    if how == "blur":
        return cv2.GaussianBlur(cell, (0, 0), 1.0)
    if how == "noise":
        return np.clip(cell + rng.normal(0, 8, cell.shape), 0, 255).astype(np.uint8)
    if how == "jpeg-q30":
        _, buf = cv2.imencode(".jpg", cell, [cv2.IMWRITE_JPEG_QUALITY, 30])
        return cv2.imdecode(buf, cv2.IMREAD_COLOR)
    if how == "half-size":
        small = cv2.resize(cell, (SIDE // 2, SIDE // 2), interpolation=cv2.INTER_AREA)
        return cv2.resize(small, (SIDE, SIDE), interpolation=cv2.INTER_LINEAR)
    if how == "gamma-1.4":
        return (255 * (cell / 255.0) ** 1.4).astype(np.uint8)
    if how == "low-contrast":
        return (128 + (cell.astype(np.float32) - 128) * 0.35).astype(np.uint8)
    return cell


def main() -> None:
    rng = np.random.default_rng(0)
    print(f"{'held out':8} {'degradation':13} {'cells':>5} {'right':>6} {'unsure':>6} {'wrong':>6}")
    for group, fonts in HELD_OUT.items():
        reader = DigitReader(9, TRAIN[group])
        for how in ("clean", "blur", "noise", "jpeg-q30", "half-size", "gamma-1.4", "low-contrast"):
            cells, labels = [], []
            for font in fonts:
                for digit in range(1, 10):
                    for fraction in (0.56, 0.62, 0.68):
                        cells.append(interior(degrade(rendered_cell(digit, font, SIDE, fraction), how, rng)))
                        labels.append(digit)
            values = reader.read(np.stack(cells)).values
            truth = np.array(labels)
            right = (values == truth).mean()
            unsure = (values == UNSURE).mean()
            wrong = ((values != truth) & (values != UNSURE)).mean()
            print(f"{group:8} {how:13} {len(cells):5d} {right:6.3f} {unsure:6.3f} {wrong:6.3f}")


if __name__ == "__main__":
    main()
