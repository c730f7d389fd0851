"""Skins and sprites shared by the grid families (maze, trapfield; sokoban later).

A :class:`Look` names the colours and sprite shapes of one look, together with
the words a prompt uses for them, so a prompt never describes a board that
differs from the picture. A maze :class:`Skin` adds walls; a family with other
cell kinds (trapfield's traps) defines its own subclass of :class:`Look`. Sprites are boolean masks computed from pixel
centres with numpy (or drawn by PIL without anti-aliasing), so a sprite is a
single solid colour with hard edges and the same inputs always give the same
pixels.

What verifiers may rely on (checked in tests): the agent colour is far, in Lab,
from the floor, wall and goal colours; the goal colour is far from floor and
wall; the agent sprite is centred in its cell and about 60% of the cell wide;
the goal sprite covers most of its cell.

Every family's agent sprite passes through :func:`as_drawn`, so that
``genreason calibrate`` can draw the same videos with the agent slightly
recoloured or reshaped (:data:`AGENT_RESTYLES`, inside :func:`agent_restyled`).
"""

from __future__ import annotations

import colorsys
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw

from genreason.errors import UnknownName

RGB = tuple[int, int, int]

AGENT_FRACTION = 0.6  # agent sprite width over cell width
GOAL_FRACTION = 0.86  # goal sprite width over cell width


class SpriteWords:
    """How a prompt names a skin's agent and goal, from its ``*_colour`` and ``*_shape`` fields.

    Mixed into every family's skin dataclass, so all prompts word sprites alike.
    """

    agent_colour: str
    agent_shape: str
    goal_colour: str
    goal_shape: str

    @property
    def agent_words(self) -> str:
        """How a prompt names the agent, e.g. ``red disc``."""
        return f"{self.agent_colour} {self.agent_shape}"

    @property
    def goal_words(self) -> str:
        """How a prompt names the goal, e.g. ``green square``."""
        return f"{self.goal_colour} {self.goal_shape}"


@dataclass(frozen=True)
class Look(SpriteWords):
    """What every grid skin shows: floor, margin, agent and goal, and the words for them.

    Attributes:
        name: the skin's name as used in suites and puzzle files.
        floor, background, agent, goal: RGB colours. ``background`` fills
            the margin between the board and the frame's edge.
        agent_shape: one of :data:`AGENT_SHAPES`.
        goal_shape: one of :data:`GOAL_SHAPES`.
        floor_name, agent_colour, goal_colour: colour words for prompts.
    """

    name: str
    floor: RGB
    background: RGB
    agent: RGB
    goal: RGB
    agent_shape: str
    goal_shape: str
    floor_name: str
    agent_colour: str
    goal_colour: str


@dataclass(frozen=True)
class Skin(Look):
    """The look of a board with wall cells (the maze).

    Attributes:
        wall: the RGB colour of wall cells.
        wall_name: its colour word for prompts.
    """

    wall: RGB
    wall_name: str


SKINS: dict[str, Skin] = {s.name: s for s in (
    Skin("classic", floor=(255, 255, 255), wall=(24, 24, 24), background=(128, 128, 128),
         agent=(220, 30, 30), goal=(30, 170, 60), agent_shape="disc", goal_shape="square",
         floor_name="white", wall_name="black", agent_colour="red", goal_colour="green"),
    Skin("forest", floor=(226, 208, 160), wall=(30, 80, 40), background=(96, 64, 32),
         agent=(30, 80, 230), goal=(250, 200, 20), agent_shape="square", goal_shape="star",
         floor_name="sandy", wall_name="dark green", agent_colour="blue", goal_colour="yellow"),
    Skin("neon", floor=(16, 16, 48), wall=(140, 40, 190), background=(0, 0, 0),
         agent=(0, 235, 255), goal=(255, 130, 0), agent_shape="diamond", goal_shape="ring",
         floor_name="dark blue", wall_name="purple", agent_colour="cyan", goal_colour="orange"),
    Skin("paper", floor=(246, 240, 224), wall=(72, 84, 112), background=(196, 184, 160),
         agent=(215, 0, 140), goal=(0, 150, 136), agent_shape="triangle", goal_shape="flag",
         floor_name="cream", wall_name="slate", agent_colour="magenta", goal_colour="teal"),
)}


def get_skin(name: str, allowed: tuple[str, ...] | None = None) -> Skin:
    """The skin called ``name``; :class:`UnknownName` (with a suggestion) otherwise."""
    known = list(allowed if allowed is not None else SKINS)
    if name not in known or name not in SKINS:
        raise UnknownName("skin", name, known)
    return SKINS[name]


# --- sprite masks -------------------------------------------------------------

def _centred_grid(size: int) -> tuple[np.ndarray, np.ndarray]:
    """Pixel-centre coordinates in [-1, 1] across a size x size square (x to the right, y down)."""
    t = (np.arange(size) + 0.5) / size * 2.0 - 1.0
    return np.meshgrid(t, t)  # x, y


def _polygon(size: int, points: list[tuple[float, float]]) -> np.ndarray:
    """Fill a polygon given in [-1, 1] coordinates, without anti-aliasing."""
    im = Image.new("L", (size, size), 0)
    half = size / 2.0
    ImageDraw.Draw(im).polygon([(half + x * half, half + y * half) for x, y in points], fill=255)
    mask: np.ndarray = np.asarray(im) > 0
    return mask


def _star(size: int) -> np.ndarray:
    points = []
    for k in range(10):  # alternate outer and inner vertices, first one pointing up
        radius = 1.0 if k % 2 == 0 else 0.5
        angle = -math.pi / 2 + k * math.pi / 5
        # The lower points reach only sin(54 deg) ~ 0.81: shift down to centre the star's extent.
        points.append((radius * math.cos(angle), radius * math.sin(angle) + 0.09))
    return _polygon(size, points)


def _flag(size: int) -> np.ndarray:
    x, _ = _centred_grid(size)
    pole = x <= -0.6  # a thick pole and a broad swallow-tailed cloth: a solid marker, not a line drawing
    cloth = _polygon(size, [(-0.6, -1.0), (1.0, -1.0), (0.5, -0.4), (1.0, 0.2), (-0.6, 0.2)])
    flag: np.ndarray = pole | cloth
    return flag


def _spikes(size: int) -> np.ndarray:
    """Three spikes side by side, bases along the bottom edge, tips at the top."""
    mask = np.zeros((size, size), dtype=bool)
    for left in (-1.0, -1.0 / 3.0, 1.0 / 3.0):
        mask |= _polygon(size, [(left, 1.0), (left + 1.0 / 3.0, -1.0), (left + 2.0 / 3.0, 1.0)])
    return mask


def sprite_mask(shape: str, size: int) -> np.ndarray:
    """A ``size`` x ``size`` boolean mask of ``shape``, filling the square edge to edge."""
    x, y = _centred_grid(size)
    r2 = x * x + y * y
    masks: dict[str, Callable[[], np.ndarray]] = {
        "disc": lambda: r2 <= 1.0,
        "square": lambda: np.ones((size, size), dtype=bool),
        "diamond": lambda: np.abs(x) + np.abs(y) <= 1.0,
        "triangle": lambda: np.abs(x) <= (y + 1.0) / 2.0,  # apex up, base along the bottom
        "ring": lambda: (r2 <= 1.0) & (r2 >= 0.55 ** 2),
        "star": lambda: _star(size),
        "flag": lambda: _flag(size),
        "cross": lambda: (np.abs(x - y) <= 0.3) | (np.abs(x + y) <= 0.3),  # an X, corner to corner
        "spikes": lambda: _spikes(size),
    }
    if shape not in masks:
        raise UnknownName("sprite shape", shape, list(masks))
    return masks[shape]()


AGENT_SHAPES = ("disc", "square", "diamond", "triangle")
GOAL_SHAPES = ("square", "ring", "star", "flag")
MARK_SHAPES = ("cross", "spikes")  # drawn on a cell to mark it (a trap)


def sprite_size(cell_size: int, fraction: float) -> int:
    """About ``fraction`` of the cell, with the cell's parity so the sprite centres on whole pixels."""
    size = max(1, round(cell_size * fraction))
    if (cell_size - size) % 2:
        size -= 1
    return max(1, size)


@dataclass(frozen=True, eq=False)
class Sprite:
    """A solid-colour sprite: a boolean mask and its colour."""

    mask: np.ndarray
    colour: RGB

    @property
    def size(self) -> int:
        return int(self.mask.shape[0])

    def top_left(self, centre: tuple[float, float]) -> tuple[int, int]:
        """Integer top-left pixel for a sprite centred at ``centre`` (x, y).

        Rounds half up with ``floor(v + 0.5)`` rather than Python's banker's
        rounding, so a sprite moving steadily never jitters back a pixel.
        """
        half = self.size / 2.0
        return int(math.floor(centre[0] - half + 0.5)), int(math.floor(centre[1] - half + 0.5))

    def paste(self, image: np.ndarray, centre: tuple[float, float]) -> None:
        """Draw the sprite into ``image`` (H x W x 3, in place), clipped at the image edges."""
        x0, y0 = self.top_left(centre)
        h, w = image.shape[:2]
        xa, ya = max(x0, 0), max(y0, 0)
        xb, yb = min(x0 + self.size, w), min(y0 + self.size, h)
        if xa >= xb or ya >= yb:
            return
        mask = self.mask[ya - y0:yb - y0, xa - x0:xb - x0]
        image[ya:yb, xa:xb][mask] = self.colour

    def box(self, centre: tuple[float, float]) -> tuple[float, float, float, float]:
        """The sprite's box (x0, y0, x1, y1) in pixels when centred at ``centre``."""
        x0, y0 = self.top_left(centre)
        return (float(x0), float(y0), float(x0 + self.size), float(y0 + self.size))


def agent_sprite(skin: Look, cell_size: int) -> Sprite:
    return as_drawn(Sprite(sprite_mask(skin.agent_shape, sprite_size(cell_size, AGENT_FRACTION)), skin.agent))


# --- the agent as a video model might redraw it (for calibration) ------------------------------

HUE_SHIFT = 15.0 / 360.0  # of the colour wheel
SHADE = 0.85  # brightness factor (its inverse for a dark agent)
SMALLER = 0.8  # width factor


def _hue_shifted(sprite: Sprite) -> Sprite:
    h, s, v = colorsys.rgb_to_hsv(*(c / 255.0 for c in sprite.colour))
    rgb = colorsys.hsv_to_rgb((h + HUE_SHIFT) % 1.0, s, v)
    return Sprite(sprite.mask, tuple(round(c * 255) for c in rgb))  # type: ignore[arg-type]


def _shaded(sprite: Sprite) -> Sprite:
    k = SHADE if max(sprite.colour) > 127 else 1.0 / SHADE
    return Sprite(sprite.mask, tuple(min(255, round(c * k)) for c in sprite.colour))  # type: ignore[arg-type]


def _smaller(sprite: Sprite) -> Sprite:
    size = sprite_size(sprite.size, SMALLER)  # same parity: the sprite stays centred on the same pixels
    coverage = cv2.resize(sprite.mask.astype(np.float32), (size, size), interpolation=cv2.INTER_AREA)
    return Sprite(coverage >= 0.5, sprite.colour)


def _reshaped(sprite: Sprite) -> Sprite:
    """Its bounding square filled; a square agent becomes a disc."""
    if sprite.mask.all():
        return Sprite(sprite_mask("disc", sprite.size), sprite.colour)
    rows, cols = np.flatnonzero(sprite.mask.any(1)), np.flatnonzero(sprite.mask.any(0))
    mask = np.zeros_like(sprite.mask)
    mask[rows[0]:rows[-1] + 1, cols[0]:cols[-1] + 1] = True
    return Sprite(mask, sprite.colour)


AGENT_RESTYLES: dict[str, Callable[[Sprite], Sprite]] = {
    "hue-shifted": _hue_shifted,  # 15 degrees round the colour wheel
    "shaded": _shaded,  # 15% darker (lighter when dark)
    "smaller": _smaller,  # 80% as wide
    "reshaped": _reshaped,  # its bounding square (a square: a disc)
}
"""How ``genreason calibrate`` redraws an agent: slightly recoloured or reshaped, by name."""

_agent_restyle: ContextVar[str | None] = ContextVar("agent_restyle", default=None)


@contextmanager
def agent_restyled(name: str) -> Iterator[None]:
    """Within the block, every agent sprite a family draws (through :func:`as_drawn`) is restyled by ``name``."""
    if name not in AGENT_RESTYLES:
        raise UnknownName("agent restyle", name, list(AGENT_RESTYLES))
    token = _agent_restyle.set(name)
    try:
        yield
    finally:
        _agent_restyle.reset(token)


def as_drawn(agent: Sprite) -> Sprite:
    """The agent sprite as drawn now: itself, or restyled inside :func:`agent_restyled`.

    Every family's ``agent_sprite`` passes through here, so calibration can
    restyle the agent of every case without each case knowing about it.
    """
    name = _agent_restyle.get()
    return agent if name is None else AGENT_RESTYLES[name](agent)


def goal_sprite(skin: Look, cell_size: int) -> Sprite:
    return Sprite(sprite_mask(skin.goal_shape, sprite_size(cell_size, GOAL_FRACTION)), skin.goal)


def paint_cells(image: np.ndarray, cells: list[str], origin: tuple[int, int], cell_size: int,
                colours: dict[str, RGB]) -> None:
    """Fill each cell of a character grid with the colour of its code (in place).

    Cell edges fall on whole pixels because ``origin`` and ``cell_size`` are integers.
    """
    codes = sorted(colours)
    index = np.array([[codes.index(ch) for ch in row] for row in cells], dtype=np.intp)
    palette = np.array([colours[c] for c in codes], dtype=np.uint8)
    block = np.repeat(np.repeat(index, cell_size, axis=0), cell_size, axis=1)
    x0, y0 = origin
    image[y0:y0 + block.shape[0], x0:x0 + block.shape[1]] = palette[block]
