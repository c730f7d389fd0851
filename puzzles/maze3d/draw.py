"""Draw a 3D maze: its skins, the columns back to front, ladders, the goal marker and the agent.

Faces are solid polygons without anti-aliasing (the same inputs give the same
pixels). Top faces are lightest and tinted by level (low levels toward the
skin's ``top_low``, high ones toward ``top_high``) so heights read; the ``+x``
face is shaded darker and the ``+y`` face darker still; a thin line marks each
cube level on the side faces. A ladder is two rails and rungs on the face of
the taller column. The goal is a flat marker lying on its top face; the agent
is an upright sprite centred on the top-face centre of the cell it stands on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw

from genreason.errors import UnknownName
from puzzles.maze3d.layout import RAILS, Maze3DLayout, Point
from puzzles.skins import RGB, Sprite, SpriteWords, as_drawn, sprite_mask

AGENT_FRACTION = 0.6  # agent sprite width over ``a``, half a top face's width: it fits inside the face
GOAL_FRACTION = 1.1  # goal marker width over ``a`` (the face is 2a wide)
X_SHADE, Y_SHADE = 0.74, 0.54


@dataclass(frozen=True)
class Skin3D(SpriteWords):
    """Colours, sprite shapes and the words a prompt uses for them."""

    name: str
    background: RGB
    top_low: RGB
    top_high: RGB
    edge: RGB
    ladder: RGB
    agent: RGB
    goal: RGB
    agent_shape: str
    goal_shape: str
    block_words: str
    agent_colour: str
    goal_colour: str


SKINS: dict[str, Skin3D] = {s.name: s for s in (
    Skin3D("stone", background=(250, 250, 250), top_low=(150, 150, 156), top_high=(214, 214, 222),
           edge=(40, 40, 48), ladder=(120, 70, 20), agent=(220, 30, 30), goal=(30, 160, 60),
           agent_shape="disc", goal_shape="square", block_words="grey stone blocks",
           agent_colour="red", goal_colour="green"),
    Skin3D("meadow", background=(178, 220, 250), top_low=(70, 150, 60), top_high=(150, 210, 110),
           edge=(40, 60, 30), ladder=(230, 230, 230), agent=(40, 60, 230), goal=(250, 200, 20),
           agent_shape="square", goal_shape="star", block_words="grassy earth blocks",
           agent_colour="blue", goal_colour="yellow"),
    Skin3D("neon", background=(10, 10, 30), top_low=(90, 40, 140), top_high=(170, 90, 220),
           edge=(230, 230, 255), ladder=(250, 250, 120), agent=(0, 235, 255), goal=(255, 120, 0),
           agent_shape="diamond", goal_shape="ring", block_words="purple glowing blocks",
           agent_colour="cyan", goal_colour="orange"),
    Skin3D("sand", background=(60, 70, 90), top_low=(200, 170, 110), top_high=(245, 225, 170),
           edge=(90, 60, 30), ladder=(40, 40, 40), agent=(215, 0, 140), goal=(0, 150, 136),
           agent_shape="triangle", goal_shape="flag", block_words="sandstone blocks",
           agent_colour="magenta", goal_colour="teal"),
)}


def get_skin(name: str) -> Skin3D:
    if name not in SKINS:
        raise UnknownName("3D maze skin", name, list(SKINS))
    return SKINS[name]


def half_width(layout: Maze3DLayout) -> float:
    """``a``: half a top face's width in pixels (the length of projected x minus y)."""
    return float(np.hypot(layout.projection[0][0], layout.projection[1][0]) / np.hypot(1.0, 0.5))


def agent_sprite(skin: Skin3D, layout: Maze3DLayout) -> Sprite:
    size = max(3, round(AGENT_FRACTION * half_width(layout)))
    return as_drawn(Sprite(sprite_mask(skin.agent_shape, size), skin.agent))


def top_colour(skin: Skin3D, level: int, levels: int) -> RGB:
    t = (level - 1) / max(1, levels - 1)
    lo, hi = np.array(skin.top_low, float), np.array(skin.top_high, float)
    return tuple(int(v) for v in np.round(lo + t * (hi - lo)))  # type: ignore[return-value]


def _shade(colour: RGB, k: float) -> RGB:
    return tuple(round(v * k) for v in colour)  # type: ignore[return-value]


def _poly(points: np.ndarray) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in points]


def board(layout: Maze3DLayout, skin: Skin3D, width: int, height: int) -> np.ndarray:
    """The empty board (everything but the agent), H x W x 3 uint8."""
    image = Image.new("RGB", (width, height), skin.background)
    draw = ImageDraw.Draw(image)
    a = half_width(layout)
    line = max(1, round(a / 14))
    nh = layout.size[2]
    ladders_on = {}
    for lad in layout.ladders:
        ladders_on.setdefault(lad.high, []).append(lad)
    for cell in layout.cells:
        h = layout.height(cell)
        top = top_colour(skin, h, nh)
        for name, face in layout.side_faces(cell):
            draw.polygon(_poly(face), fill=_shade(top, X_SHADE if name == "+x" else Y_SHADE), outline=skin.edge)
            for z in range(1, h):  # a line at each cube level: stacked cubes
                lo = face[0] + (face[3] - face[0]) * z / h
                hi = face[1] + (face[2] - face[1]) * z / h
                draw.line(_poly(np.array([lo, hi])), fill=skin.edge, width=1)
        for lad in ladders_on.get(cell, []):
            _ladder(draw, layout, lad, skin.ladder, line)
        draw.polygon(_poly(layout.top_face(cell)), fill=top, outline=skin.edge)
    out = np.asarray(image).copy()
    _goal_marker(out, layout, skin)
    return out


def _ladder(draw: ImageDraw.ImageDraw, layout: Maze3DLayout, lad, colour: RGB, width: int) -> None:
    a, b, up = layout.ladder_frame(lad)
    rails = [a + t * (b - a) for t in RAILS]
    for r in rails:
        draw.line(_poly(np.array([r, r + up])), fill=colour, width=width + 1)
    levels = layout.height(lad.high) - layout.height(lad.low)
    rungs = 3 * levels
    for k in range(1, rungs):
        off = up * k / rungs
        draw.line(_poly(np.array([rails[0] + off, rails[1] + off])), fill=colour, width=width)


def _goal_marker(image: np.ndarray, layout: Maze3DLayout, skin: Skin3D) -> None:
    """The goal's shape, squashed to half its height so that it lies flat on the goal's top face."""
    size = max(4, round(GOAL_FRACTION * half_width(layout)))
    mask = sprite_mask(skin.goal_shape, size)
    flat = np.asarray(Image.fromarray(mask.astype(np.uint8) * 255).resize((size, size // 2), Image.NEAREST)) > 0
    cx, cy = layout.top_centre(layout.goal)
    x0, y0 = int(np.floor(cx - size / 2 + 0.5)), int(np.floor(cy - (size // 2) / 2 + 0.5))
    image[y0:y0 + flat.shape[0], x0:x0 + flat.shape[1]][flat] = skin.goal


def frame_with_agent(background: np.ndarray, sprite: Sprite, at: Point) -> np.ndarray:
    out = background.copy()
    sprite.paste(out, at)
    return out
