"""Sokoban motion: the player and the boxes moving together through keyframes at a steady pace.

A motion is a list of keyframes, each the player's position and every box's
position (pixels). Between two keyframes everything moves in a straight line at
constant speed, and a segment lasts as many grid steps as its longest move (a
push moves player and box one cell each: one step). The pace per step, the rest
at the end and an exact frame count come from :func:`puzzles.animate.timeline`,
as for the other grid families.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from puzzles.animate import timeline
from puzzles.grid import Cell
from puzzles.sokoban.layout import SokobanLayout


def keyframes(layout: SokobanLayout, players: Sequence[Cell],
              boxes: Sequence[Sequence[Cell]]) -> tuple[np.ndarray, np.ndarray]:
    """Keyframes (K x 2 and K x N x 2 pixel centres) of a walk given cell by cell."""
    return (np.array([layout.cell_center(c) for c in players], dtype=np.float64).reshape(-1, 2),
            np.array([[layout.cell_center(b) for b in bs] for bs in boxes], dtype=np.float64).reshape(
                len(boxes), -1, 2))


def positions(players: np.ndarray, boxes: np.ndarray, *, step_px: float, frames_per_step: int,
              hold_frames: int, num_frames: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-frame positions (T x 2 player, T x N x 2 boxes) through the keyframes.

    Args:
        players: K x 2 player keyframes (pixels).
        boxes: K x N x 2 box keyframes.
        step_px: one grid step in pixels.
        frames_per_step, hold_frames, num_frames: as for :func:`puzzles.animate.timeline`.
    """
    moves = np.linalg.norm(np.diff(players, axis=0), axis=-1)
    if boxes.shape[1]:
        moves = np.maximum(moves, np.linalg.norm(np.diff(boxes, axis=0), axis=-1).max(axis=-1))
    keep = np.concatenate([[True], moves > 0])  # still keyframes would stall the clock: merge them
    players, boxes = players[keep], boxes[keep]
    cum = np.concatenate([[0.0], np.cumsum(moves[moves > 0])]) / step_px
    clock = timeline([(c, 0.0) for c in cum], step_px=1.0, frames_per_step=frames_per_step,
                     hold_frames=hold_frames, num_frames=num_frames)[:, 0]
    if len(cum) == 1:
        return np.repeat(players, len(clock), axis=0), np.repeat(boxes, len(clock), axis=0)
    p = np.stack([np.interp(clock, cum, players[:, k]) for k in range(2)], axis=-1)
    b = np.stack([np.stack([np.interp(clock, cum, boxes[:, n, k]) for k in range(2)], axis=-1)
                  for n in range(boxes.shape[1])], axis=1)
    return p, b
