"""Drawing sokoban frames: the skins, and the player and boxes over the empty board.

The empty board (margin, walls, floor, target marks) is painted once by the
family; a frame is that board with the boxes and then the player composited at
their positions (the player on top, so a player drawn over a box stays visible). A target is a mark
larger than a box and drawn on the board, so a box standing on a target leaves
the target's rim in view: the picture still says "box on target".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from genreason.errors import UnknownName
from puzzles.skins import RGB, Look, Sprite, sprite_mask, sprite_size
from puzzles.sokoban.layout import SokobanLayout

BOX_FRACTION = 0.72  # box sprite width over cell width: smaller than a target mark, larger than the player

Point = tuple[float, float]


@dataclass(frozen=True)
class SokobanSkin(Look):
    """The look of a sokoban board: floor, player (the agent) and target (the goal) as any grid skin, plus
    walls and boxes.

    Attributes:
        wall: the RGB colour of wall cells.
        wall_name: its colour word for prompts.
        box: the RGB colour of a box.
        box_shape: one of :data:`BOX_SHAPES`.
        box_colour: its colour word for prompts.
    """

    wall: RGB
    wall_name: str
    box: RGB
    box_shape: str
    box_colour: str

    @property
    def box_words(self) -> str:
        """How a prompt names a box, e.g. ``orange square box``."""
        return f"{self.box_colour} {self.box_shape} box"


BOX_SHAPES = ("square", "diamond")

SKINS: dict[str, SokobanSkin] = {s.name: s for s in (
    SokobanSkin("classic", floor=(236, 236, 236), background=(128, 128, 128), agent=(30, 80, 230),
                goal=(40, 170, 70), agent_shape="disc", goal_shape="ring", floor_name="light grey",
                agent_colour="blue", goal_colour="green", wall=(96, 56, 32), wall_name="brown",
                box=(235, 150, 20), box_shape="square", box_colour="orange"),
    SokobanSkin("warehouse", floor=(222, 204, 164), background=(40, 40, 40), agent=(215, 25, 40),
                goal=(0, 150, 150), agent_shape="triangle", goal_shape="square", floor_name="sandy",
                agent_colour="red", goal_colour="teal", wall=(64, 70, 86), wall_name="slate",
                box=(130, 74, 24), box_shape="square", box_colour="brown"),
    SokobanSkin("neon", floor=(16, 16, 48), background=(0, 0, 0), agent=(0, 235, 255),
                goal=(255, 60, 160), agent_shape="disc", goal_shape="star", floor_name="dark blue",
                agent_colour="cyan", goal_colour="pink", wall=(120, 40, 170), wall_name="purple",
                box=(250, 215, 0), box_shape="diamond", box_colour="yellow"),
    SokobanSkin("paper", floor=(246, 240, 224), background=(196, 184, 160), agent=(215, 0, 140),
                goal=(0, 150, 136), agent_shape="triangle", goal_shape="flag", floor_name="cream",
                agent_colour="magenta", goal_colour="teal", wall=(72, 84, 112), wall_name="slate",
                box=(200, 110, 40), box_shape="square", box_colour="rust"),
)}


def get_skin(name: str) -> SokobanSkin:
    """The sokoban skin called ``name``; :class:`UnknownName` (with a suggestion) otherwise."""
    if name not in SKINS:
        raise UnknownName("sokoban skin", name, list(SKINS))
    return SKINS[name]


def box_sprite(skin: SokobanSkin, cell_size: int) -> Sprite:
    return Sprite(sprite_mask(skin.box_shape, sprite_size(cell_size, BOX_FRACTION)), skin.box)


def compose(background: np.ndarray, player: Sprite, box: Sprite, players: np.ndarray,
            boxes: np.ndarray) -> np.ndarray:
    """Frames (T x H x W x 3 uint8): ``background`` with boxes at ``boxes`` (T x N x 2) and the player at
    ``players`` (T x 2, NaN rows: not drawn) on top."""
    frames = np.empty((len(players), *background.shape), dtype=np.uint8)
    frames[:] = background  # a broadcast copy: several times faster than np.repeat here
    for frame, p, bs in zip(frames, players, boxes, strict=True):
        for b in bs:
            if not np.isnan(b).any():
                box.paste(frame, (float(b[0]), float(b[1])))
        if not np.isnan(p).any():
            player.paste(frame, (float(p[0]), float(p[1])))
    return frames


def centres(layout: SokobanLayout, cells: Sequence[tuple[int, int]]) -> np.ndarray:
    """N x 2 pixel centres of ``cells``."""
    return np.array([layout.cell_center(c) for c in cells], dtype=np.float64).reshape(-1, 2)
