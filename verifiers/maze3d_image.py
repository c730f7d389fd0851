"""Judge a 3D maze video whose puzzle carries no projection (a VR-Bench ``maze3d`` state): what the image allows.

VR-Bench's 3D maze states store the cubes, ladders and route in world
coordinates but not the camera that drew them (matplotlib's perspective view,
cropped), so image positions cannot be mapped to blocks. What can still be
judged from the image boxes alone: the agent is found where it starts, never
vanishes for long, is never duplicated, never jumps (teleport), the board stays
intact, and the agent ends inside the goal box and stays there. The rules that
need the geometry are *not* checked, and the verdict says so: a
``rule_not_checked`` event per rule and the metric ``rules_not_checked``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from genreason.types import Event
from puzzles.maze3d.layout import ImageLayout

UNCHECKED = (
    "the agent stays on the tops of blocks and on ladders",
    "the agent moves only between neighbouring blocks of the same height",
    "the agent changes height only by a ladder",
)


@dataclass
class ImageResult:
    legal: bool = True
    ended_on_goal: bool = False
    events: list[Event] = field(default_factory=list)
    metrics: dict[str, float] = field(default_factory=dict)


def judge_image_only(layout: ImageLayout, positions: list[tuple[float, float] | None], frames: list[int],
                     duplicated: list[bool], rules) -> ImageResult:  # type: ignore[no-untyped-def]
    """Judge what the image allows; ``rules`` are :class:`verifiers.maze3d_rules.Rules`."""
    result = ImageResult()
    result.events.extend(Event(frame=0, kind="rule_not_checked", message=(
        f"not checked: {rule} (the puzzle carries no projection from blocks to pixels)")) for rule in UNCHECKED)
    last: tuple[float, float] | None = None
    last_i = 0
    lost_since: int | None = None
    x0, y0, x1, y1 = layout.goal_box
    tol = rules.tolerance
    for i, p in enumerate(positions):
        frame = frames[i]
        if duplicated[i] and not any(e.kind == "duplicated" for e in result.events):
            result.legal = False
            result.events.append(Event(frame=frame, kind="duplicated", message=f"frame {frame}: a second agent appears"))
        if p is None:
            lost_since = i if lost_since is None else lost_since
            if i - lost_since + 1 == rules.max_lost + 1:
                result.legal = False
                result.events.append(Event(frame=frames[lost_since], kind="agent_lost", message=(
                    f"frame {frames[lost_since]}: the agent vanished for more than {rules.max_lost} frames")))
            continue
        lost_since = None
        if last is not None:
            gap = max(1, i - last_i)
            steps = ((p[0] - last[0]) ** 2 + (p[1] - last[1]) ** 2) ** 0.5 / layout.step_px
            if steps > rules.max_step * gap:
                result.legal = False
                result.events.append(Event(frame=frame, kind="teleport",
                                           message=f"frame {frame}: the agent jumped {steps:.1f} steps in {gap} frame(s)"))
        last, last_i = p, i
    end = positions[-1] if positions else None
    if end is None:
        result.legal = False
        result.events.append(Event(frame=frames[-1] if frames else 0, kind="lost_at_end",
                                   message="the agent is not seen at the end"))
    else:
        result.ended_on_goal = x0 - tol <= end[0] <= x1 + tol and y0 - tol <= end[1] <= y1 + tol
        if not result.ended_on_goal:
            result.events.append(Event(frame=frames[-1], kind="goal_not_reached", message=(
                f"frame {frames[-1]}: the video ends with the agent at ({end[0]:.0f}, {end[1]:.0f}) px, "
                "outside the goal's box")))
    result.metrics["rules_not_checked"] = float(len(UNCHECKED))
    return result
