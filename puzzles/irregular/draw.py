"""Skins and drawing of irregular mazes: textured ground, roads with edge lines, agent and goal sprites.

The road surface is everything within half a road width of a centre line
(edge lines included): exactly the region :class:`~puzzles.irregular.layout.RoadLayout`
describes. Drawing is deterministic (numpy noise from a seed, OpenCV lines at
fixed-point precision), so a seed gives the same pixels every time.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from genreason.errors import UnknownName
from puzzles.irregular.layout import RoadLayout
from puzzles.skins import RGB, Sprite, SpriteWords, as_drawn, sprite_mask, sprite_size

AGENT_FRACTION = 0.7  # agent sprite width over road width
GOAL_FRACTION = 0.9  # goal sprite width over road width
SHIFT = 4  # fixed-point bits for sub-pixel road drawing


@dataclass(frozen=True)
class RoadSkin(SpriteWords):
    """The look of an irregular maze and the words a prompt uses for it.

    Attributes:
        name: the skin's name in suites and puzzle files.
        ground: RGB of the land between roads; ``ground_noise`` the amplitude of its texture (0: flat).
        road: RGB of the road surface; ``edge`` the RGB of its edge lines (None: no lines).
        agent, goal: sprite colours; ``agent_shape``/``goal_shape`` from :mod:`puzzles.skins`.
        ground_name, road_name, agent_colour, goal_colour: words for the prompt.
    """

    name: str
    ground: RGB
    ground_noise: float
    road: RGB
    edge: RGB | None
    agent: RGB
    goal: RGB
    agent_shape: str
    goal_shape: str
    ground_name: str
    road_name: str
    agent_colour: str
    goal_colour: str


SKINS: dict[str, RoadSkin] = {s.name: s for s in (
    RoadSkin("classic", ground=(0, 0, 0), ground_noise=0.0, road=(255, 255, 255), edge=None,
             agent=(230, 20, 20), goal=(20, 190, 40), agent_shape="disc", goal_shape="square",
             ground_name="black", road_name="white", agent_colour="red", goal_colour="green"),
    RoadSkin("meadow", ground=(84, 148, 60), ground_noise=14.0, road=(72, 72, 78), edge=(236, 236, 228),
             agent=(235, 40, 40), goal=(250, 205, 30), agent_shape="disc", goal_shape="star",
             ground_name="grass", road_name="grey asphalt", agent_colour="red", goal_colour="yellow"),
    RoadSkin("desert", ground=(224, 198, 142), ground_noise=10.0, road=(146, 98, 58), edge=(96, 62, 34),
             agent=(30, 70, 225), goal=(0, 128, 118), agent_shape="square", goal_shape="ring",
             ground_name="sand", road_name="brown dirt", agent_colour="blue", goal_colour="teal"),
    RoadSkin("night", ground=(20, 24, 52), ground_noise=6.0, road=(124, 124, 150), edge=(250, 200, 60),
             agent=(0, 230, 255), goal=(255, 80, 180), agent_shape="diamond", goal_shape="flag",
             ground_name="dark blue", road_name="grey", agent_colour="cyan", goal_colour="pink"),
)}


def get_skin(name: str) -> RoadSkin:
    """The skin called ``name``; :class:`UnknownName` (with a suggestion) otherwise."""
    if name not in SKINS:
        raise UnknownName("irregular maze skin", name, list(SKINS))
    return SKINS[name]


def agent_sprite(skin: RoadSkin, road_width: float) -> Sprite:
    return as_drawn(Sprite(sprite_mask(skin.agent_shape, sprite_size(round(road_width), AGENT_FRACTION)), skin.agent))


def goal_sprite(skin: RoadSkin, road_width: float) -> Sprite:
    return Sprite(sprite_mask(skin.goal_shape, sprite_size(round(road_width), GOAL_FRACTION)), skin.goal)


def ground(skin: RoadSkin, size: tuple[int, int], seed: int) -> np.ndarray:
    """The land (H x W x 3 uint8): the skin's colour with a soft seeded texture, like grass or sand."""
    w, h = size
    image = np.empty((h, w, 3), dtype=np.float32)
    image[:] = skin.ground
    if skin.ground_noise > 0:
        rng = np.random.default_rng(seed)
        coarse = rng.normal(0.0, 1.0, size=(h // 8 + 1, w // 8 + 1)).astype(np.float32)
        fine = rng.normal(0.0, 0.35, size=(h, w)).astype(np.float32)
        texture = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_LINEAR) + fine
        image += skin.ground_noise * texture[..., None]
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def road_strokes(layout: RoadLayout, size: tuple[int, int], width: float) -> np.ndarray:
    """H x W uint8 coverage (0-255, anti-aliased) of strokes ``width`` pixels wide along every centre line."""
    w, h = size
    mask = np.zeros((h, w), np.uint8)
    thickness = max(1, round(width))
    for curve in layout.curves:
        pts = np.round((np.asarray(curve, dtype=float) - 0.5) * (1 << SHIFT)).astype(np.int32)
        cv2.polylines(mask, [pts.reshape(-1, 1, 2)], False, 255, thickness, cv2.LINE_AA, SHIFT)
    return mask


def _over(image: np.ndarray, coverage: np.ndarray, colour: RGB) -> None:
    alpha = coverage.astype(np.float32)[..., None] / 255.0
    image[:] = np.round(image * (1 - alpha) + np.asarray(colour, np.float32) * alpha)


def board(layout: RoadLayout, skin: RoadSkin, size: tuple[int, int], seed: int) -> np.ndarray:
    """The empty board: ground, roads (with edge lines when the skin has them) and the goal sprite."""
    image = ground(skin, size, seed).astype(np.float32)
    width = layout.road_width
    if skin.edge is not None:
        _over(image, road_strokes(layout, size, width), skin.edge)
        _over(image, road_strokes(layout, size, width * 0.76), skin.road)
    else:
        _over(image, road_strokes(layout, size, width), skin.road)
    out = image.astype(np.uint8)
    goal_sprite(skin, width).paste(out, layout.nodes[layout.goal])
    return out


__all__ = ["SKINS", "RoadSkin", "agent_sprite", "board", "get_skin", "goal_sprite", "ground", "road_strokes"]
