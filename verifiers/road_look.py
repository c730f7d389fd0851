"""Canonical space and appearance for road puzzles (the irregular maze).

A road puzzle has no grid: canonical space is the puzzle image scaled so a
road is :data:`ROAD_PX` pixels wide (capped for huge images), and the board
check tiles it in squares one road wide. The empty board and the agent's look are learned from
the video itself: the road under the agent's start is filled in from the
video's later frames (the per-pixel median, once the agent has driven off) or,
when it never leaves, by inpainting.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from puzzles.irregular.layout import RoadLayout, centre_distance
from verifiers import canonical, tracking
from verifiers.roadpath import RoadField

# Canonical pixels per road width. Every rule is stated in road widths, so this sets only the precision:
# 8 pixels hold a sprite of 0.7 road widths (6 pixels across) with a core the 3x3 smoothing leaves intact,
# and cost a quarter of the 16 a grid cell gets. The trajectory is judged on a field twice as fine.
# Coarser fails: at 7 the shake measured on the half-size structure image misses by a pixel (a shaken
# oracle's road edges then read as board changes); at 6 besides, the agent over the goal blurs into a
# blend of the two colours and is lost.
ROAD_PX = 8
FIELD_ZOOM = 2  # the road field the trajectory is judged on has this many pixels per canonical pixel
MAX_CANVAS = 640  # canonical pixels along the longer side, at most
AGENT_CONTRAST = 60.0  # L1 colour distance from the road by which the agent's pixels stand out
MIN_SPRITE_SHARE = 0.2  # of the start region, the agent covers at least this much
MISMATCH = 0.1  # share of road (or ground) pixels that may look like the other before the layout is doubted
START_PAD = 0.25  # road widths around the agent's box that its start region reaches beyond it
SPRITE_PAD = 0.125  # road widths around a sprite's box set aside as the sprite's (blur, warp)
EDGE_SAMPLES = 8  # board pixels at a depth of a road's edge needed to fill the start region's pixels at that depth


@dataclass(frozen=True)
class RoadCanvas:
    """Canonical space of a road puzzle: a uniform scale of its image."""

    scale: float  # canonical pixels per puzzle pixel
    size: tuple[int, int]  # (width, height)
    width_px: float  # a road's width in canonical pixels

    @classmethod
    def of(cls, layout: RoadLayout, width: int, height: int) -> RoadCanvas:
        scale = min(ROAD_PX / layout.road_width, MAX_CANVAS / max(width, height))
        return cls(scale, (max(1, round(width * scale)), max(1, round(height * scale))), layout.road_width * scale)

    def puzzle_to_canonical(self) -> np.ndarray:
        return np.array([[self.scale, 0.0, 0.0], [0.0, self.scale, 0.0]])

    def point(self, p: tuple[float, float]) -> tuple[float, float]:
        return (p[0] * self.scale, p[1] * self.scale)

    def field(self, layout: RoadLayout) -> RoadField:
        """How far each canonical pixel lies outside the road surface, in road widths.

        A layout without roads (a VR-Bench state that carries none) gives a field that
        is on the road everywhere: the rule cannot be checked and is reported unchecked.
        """
        return self._field(layout, 1)

    def fine_field(self, layout: RoadLayout) -> RoadField:
        """The same field :data:`FIELD_ZOOM` times finer, to judge the trajectory on (still in canonical pixels).

        Whether a centre strays a quarter of a road width beyond the edge is then
        decided on 16 pixels a road width, whatever the canvas's resolution.
        """
        return self._field(layout, FIELD_ZOOM)

    def _field(self, layout: RoadLayout, zoom: int) -> RoadField:
        size = (self.size[0] * zoom, self.size[1] * zoom)
        if not layout.edges:
            return RoadField(np.full((size[1], size[0]), -1.0, np.float32), self.width_px, zoom)
        # Distances are measured at pixel centres: the raster is drawn half a pixel shifted.
        dist = centre_distance(layout.curves, size, self.scale * zoom)
        return RoadField((dist / (self.width_px * zoom) - 0.5).astype(np.float32), self.width_px, zoom)


def _under_start(reference: np.ndarray, region: np.ndarray, sprites: np.ndarray, road: RoadField,
                 layout: RoadLayout, road_colour: np.ndarray, ground_colour: np.ndarray) -> np.ndarray:
    """``reference`` with the start ``region`` (uint8 mask) filled with what the agent hides there.

    Inpainting alone bleeds the ground into a road's end: an agent starting at a dead end,
    where the road's rounded cap fills most of the region, was learned as half road and then
    not found at its start (seed 2500's easy irregular maze: its static video was unreadable).
    Where the layout's geometry is sure (a pixel or more from a road's edge) the region takes
    the road's or the ground's colour. Along the edge each pixel takes the median colour of the board's
    edge pixels at the same depth (half-pixel steps) away from the sprites: a rim the renderer draws
    along every road runs round a dead end's cap too, which inpainting left out (seed 4003's easy night
    maze: its gold rim, missing from the filled cap, made the learned agent half cyan, half gold, and
    its static video under a hue shift unreadable). Depths seen too rarely elsewhere are inpainted.
    """
    filled = cv2.inpaint(reference, region, 3, cv2.INPAINT_TELEA)
    if not layout.edges:
        return filled
    depth = road.off * road.width_px  # canonical pixels outside the road (negative on it)
    inside = region.astype(bool)
    filled[inside & (depth < -1.0)] = np.round(road_colour).astype(np.uint8)
    filled[inside & (depth > 1.0)] = np.round(ground_colour).astype(np.uint8)
    steps = np.round(2 * depth)
    edge = np.abs(depth) <= 1.0
    elsewhere = edge & ~sprites
    for step in np.unique(steps[inside & edge]):
        seen = elsewhere & (steps == step)
        if seen.sum() >= EDGE_SAMPLES:
            filled[inside & edge & (steps == step)] = np.round(np.median(reference[seen], axis=0)).astype(np.uint8)
    return filled


def learn_appearance(canon: np.ndarray, layout: RoadLayout, canvas: RoadCanvas, road: RoadField,
                     from_median: bool = True) -> tracking.Appearance | str:
    """The empty board and the agent's look, from the canonical frames; a reason string when impossible.

    With ``from_median`` the road under the agent's start is taken from the
    per-pixel median of the video when the agent spent most of it elsewhere,
    else from the last frame when the agent has left by then (it waited at its
    start, then drove off), else filled (:func:`_under_start`); without, it is
    always filled (the fallback when the median misleads, as when the camera
    moves).
    """
    reference = tracking.smooth(canon[:1])[0]
    h, w = reference.shape[:2]
    x0, y0, x1, y1 = (v * canvas.scale for v in layout.agent_box)
    cx, cy = canvas.point(layout.nodes[layout.start])
    radius = max(x1 - x0, y1 - y0) / 2 + START_PAD * canvas.width_px
    region = np.zeros((h, w), np.uint8)
    cv2.circle(region, (round(cx), round(cy)), max(2, round(radius)), 1, -1)
    inside = region.astype(bool)
    if not inside.any():
        return "the agent's start lies outside the picture"

    # The road and the ground away from the sprites (the start region is one), which no filling below changes.
    sprites = inside.copy()
    gx0, gy0, gx1, gy1 = (round(v * canvas.scale) for v in layout.goal_box)
    pad = canonical.to_pixels(canvas.width_px, SPRITE_PAD)
    sprites[max(0, gy0 - pad):gy1 + pad, max(0, gx0 - pad):gx1 + pad] = True
    core = (road.off < -0.3) & ~sprites
    land = (road.off > 0.6) & ~sprites
    if not layout.edges:  # no road geometry: the road is what surrounds the agent's start, the ground the rest
        ring = np.zeros((h, w), np.uint8)
        cv2.circle(ring, (round(cx), round(cy)), max(3, round(radius + 0.4 * canvas.width_px)), 1, -1)
        core = ring.astype(bool) & ~sprites
        land = ~core & ~sprites
    if core.sum() < 8 or land.sum() < 8:
        return "the layout leaves too little road or ground in the picture to learn their look"
    road_colour = np.median(reference[core], axis=0).astype(np.float32)
    ground_colour = np.median(reference[land], axis=0).astype(np.float32)

    box, median = tracking.median_around(canon, region)  # only the start region is read from the median
    start, ref_box = inside[box], reference[box]
    background = reference.copy()
    # The median shows the road only if the agent spent most of the video elsewhere.
    # If it did, the first frame differs from the median by a sprite's worth of pixels around the start.
    moved_off = start & (tracking.distance(ref_box, median) > AGENT_CONTRAST)
    gone = from_median and moved_off.sum() >= MIN_SPRITE_SHARE * start.sum()
    under = median if gone else None  # what the agent hides at its start
    if from_median and not gone:
        # An agent that waited at its start for most of the video (and then solved it) has left it by the end.
        last = tracking.smooth(canon[-1:, box[0], box[1]])[0]
        if (start & (tracking.distance(ref_box, last) > AGENT_CONTRAST)).sum() >= MIN_SPRITE_SHARE * start.sum():
            under = last
    if under is None:
        under = _under_start(reference, region, sprites, road, layout, road_colour, ground_colour)[box]
    background[box][start] = under[start]

    diff = tracking.distance(ref_box, background[box])
    peak = float(diff[start].max())
    agent_mask = start & (diff > 0.5 * peak)
    if peak < AGENT_CONTRAST or agent_mask.sum() < 4:
        return "the agent cannot be told apart from the road at its start"
    # Two estimates of the agent's colour. Its core's (the stronger half of its pixels), as tracking judges
    # every blob's: on a small blurred sprite the rim, half road, outnumbers the core, and the whole mask's
    # colour is a blend with the road, which sat within a level of a dark board colour once the agent stood on
    # a green goal. But where the start was inpainted, the mask also holds the inpainting's misses along
    # road edges, which can make up the stronger half: there the whole mask's colour is the steadier one.
    # Each board pixel an estimate takes in pulls it toward the board: the one further from it is kept.
    pixels, strength = ref_box[agent_mask], diff[agent_mask]
    estimates = [np.median(pixels[strength >= np.median(strength)], axis=0), np.median(pixels, axis=0)]

    goal_tile = background[max(0, gy0):gy1, max(0, gx0):gx1].reshape(-1, 3).astype(np.float32)
    goal_pixels = goal_tile[tracking.distance(goal_tile, road_colour) > 60]
    goal_colour = np.median(goal_pixels, axis=0) if len(goal_pixels) else None

    # The palette the agent is told apart from: whatever dominates the board, plus the road, the
    # ground and the goal, which may cover too few pixels to dominate but must never pass for the agent.
    known = [road_colour, ground_colour] + ([goal_colour] if goal_colour is not None else [])
    board_colours = np.vstack([tracking.dominant_colours(background), *known]).astype(np.float32)

    def contrast_of(colour: np.ndarray) -> float:
        return float(np.abs(board_colours - colour).sum(-1).min())

    agent_color = max(estimates, key=contrast_of).astype(np.float32)  # medians of 8-bit values: exact in float32
    contrast = contrast_of(agent_color)
    if contrast < 45:
        return "the agent's colour is too close to a board colour to track it"
    threshold = float(np.clip(0.45 * contrast, 25.0, 200.0))
    return tracking.Appearance(background, agent_color, float(agent_mask.sum()), road_colour, goal_colour,
                               {"ground": ground_colour}, board_colours, threshold)


@dataclass(frozen=True)
class Differences:
    """How every analysed frame differs from the empty board, for tracking and for the board check."""

    agent: np.ndarray  # T x H x W uint16, whole-colour distance to the board around each pixel (see below)
    board: np.ndarray  # T x H x W bool, where :func:`verifiers.difference.difference` exceeds ``board_threshold``


def differences(smoothed: np.ndarray, background: np.ndarray, threshold: float,
                board_threshold: float) -> Differences:
    """Both differences from the empty board in one pass, each exact where it is ever looked at.

    ``agent`` is each pixel's L1 distance to the nearest of the empty board's
    colours around it (3x3) wherever that exceeds ``threshold`` (the
    only pixels tracking looks at: its foreground and blob strengths) and at
    most ``threshold`` elsewhere (0 outside the box below); ``board`` is exactly where the per-channel
    envelope difference of :func:`verifiers.difference.difference` exceeds
    ``board_threshold``. Both lie at or below each pixel's plain L1 distance to
    the board behind it (the centre of the 3x3 neighbourhood, which both
    searches include), so both are computed only inside the box of the pixels
    whose plain distance exceeds the lower threshold: usually just the agent.
    """
    padded = cv2.copyMakeBorder(background, 1, 1, 1, 1, cv2.BORDER_REPLICATE).astype(np.int16)
    kernel = np.ones((3, 3), np.uint8)
    low, high = cv2.erode(background, kernel), cv2.dilate(background, kernel)
    cut = int(min(threshold, board_threshold))  # distances are integers: > cut is > the lower threshold
    agent = np.zeros(smoothed.shape[:3], dtype=np.uint16)
    changed = np.zeros(smoothed.shape[:3], dtype=bool)
    h, w = background.shape[:2]
    gap = np.empty((h, w, 3), dtype=np.uint8)
    marks = np.empty((h, 3 * w), dtype=np.uint8)
    for t, frame in enumerate(smoothed):
        best = agent[t]
        x, y, bw, bh = _beyond(frame, background, cut, gap, marks)
        if not bw:
            continue
        window = (slice(y, y + bh), slice(x, x + bw))
        pixels = frame[window]
        # All nine neighbours at once (the centre among them): a few calls however small the box. They are
        # cut from the padded board around the box only (the whole board's nine shifts cost more than
        # every frame's boxes together).
        rim = padded[y:y + bh + 2, x:x + bw + 2]
        around = np.stack([rim[dy:dy + bh, dx:dx + bw] for dy in range(3) for dx in range(3)])  # 9 x bh x bw x 3
        best[window] = np.abs(around - pixels.astype(np.int16)).sum(-1).min(0)
        # The envelope: how far each channel lies outside the 3x3 range of the board (one side is 0).
        outside = cv2.add(cv2.subtract(pixels, high[window]), cv2.subtract(low[window], pixels))
        changed[t][window] = _channel_sum(outside) > board_threshold
    return Differences(agent, changed)


def _beyond(frame: np.ndarray, background: np.ndarray, cut: int, gap: np.ndarray,
            marks: np.ndarray) -> tuple[int, int, int, int]:
    """The box (x, y, w, h, as ``cv2.boundingRect`` gives it) of the pixels whose plain L1 colour distance to
    ``background`` exceeds ``cut``. ``gap`` (H x W x 3) and ``marks`` (H x 3W) are uint8 scratch.

    A pixel's three channel distances sum beyond ``cut`` only if one exceeds ``cut // 3``: the box of
    those channels (one cheap pass over the interleaved channels) holds the pixels sought, and the
    sums are taken in that box only.
    """
    h, w = gap.shape[:2]
    cv2.absdiff(frame, background, dst=gap)
    cv2.threshold(gap.reshape(h, 3 * w), cut // 3, 255, cv2.THRESH_BINARY, dst=marks)
    x, y, bw, bh = cv2.boundingRect(marks)
    if not bw:
        return 0, 0, 0, 0
    x0, x1 = x // 3, (x + bw + 2) // 3  # the pixels of those channels
    near = gap[y:y + bh, x0:x1]
    sums = np.add(near[..., 0], near[..., 1], dtype=np.uint16)
    sums += near[..., 2]
    bx, by, bw, bh = cv2.boundingRect((sums > cut).view(np.uint8))
    return (x0 + bx, y + by, bw, bh) if bw else (0, 0, 0, 0)


def _channel_sum(d: np.ndarray) -> np.ndarray:
    """H x W uint16: the sum of an H x W x 3 uint8 image's channels."""
    out = np.add(d[..., 0], d[..., 1], dtype=np.uint16)
    out += d[..., 2]
    return out


def layout_mismatch(appearance: tracking.Appearance, road: RoadField, sprites: np.ndarray) -> str | None:
    """Why the first frame contradicts the layout's roads (None when it agrees).

    The road's core must look like road and the land well away from every road
    like ground, each by colour nearness, for all but :data:`MISMATCH` of their pixels.
    """
    road_colour, ground_colour = appearance.floor, appearance.cell_colours["ground"]
    if float(np.abs(road_colour - ground_colour).sum()) < 40:
        return "the roads do not stand out from the ground where the layout puts them"
    core = (road.off < -0.3) & ~sprites
    land = (road.off > 0.6) & ~sprites
    # Distances of the core's and the land's pixels only (each pixel's the same as over the whole board).
    on_road, on_land = appearance.background[core], appearance.background[land]
    wrong_road = float((tracking.distance(on_road, ground_colour) < tracking.distance(on_road, road_colour)).mean())
    wrong_land = float((tracking.distance(on_land, road_colour) < tracking.distance(on_land, ground_colour)).mean())
    if wrong_road > MISMATCH:
        return f"{wrong_road:.0%} of the road surface the layout describes looks like the ground"
    if wrong_land > MISMATCH:
        return f"{wrong_land:.0%} of the ground away from the layout's roads looks like road"
    return None
