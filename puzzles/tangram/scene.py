"""A tangram puzzle read back from its files, and motions of its tans drawn as frames.

The family, the oracle and the calibration cases all draw from a
:class:`Scene`, so every video starts on exactly the pixels of ``frame0.png``.
A motion is a list of *moves* (one tan from one pose to another); tans move
one after another, each along a straight line while turning the short way
round, eased in and out, and the moving tan is drawn over the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from genreason.types import Puzzle
from puzzles.tangram.draw import RGB, TangramSkin, draw_background, draw_frame, get_skin
from puzzles.tangram.layout import angle_delta
from puzzles.tangram.pieces import KIND, TANS, Pose

NAMES = tuple(n for n, _ in TANS)
State = dict[str, Pose]


def pose_of(data: dict) -> Pose:
    return Pose(float(data["centre"][0]), float(data["centre"][1]), float(data["angle"]), bool(data["flip"]))


@dataclass(frozen=True, eq=False)
class Scene:
    """What it takes to draw any frame of a puzzle.

    Attributes:
        puzzle: the puzzle.
        skin: its look.
        unit: pixels per tangram unit.
        colours: tan name -> RGB.
        starts: tan name -> pose in the first frame.
        targets: tan name -> pose in the reference solution.
        order: the tans the reference moves, in order.
        background: the frame without tans.
        frames_per_move: the pace of the videos drawn from it (frames per tan moved).
        hold: frames of rest at the end of those videos.
    """

    puzzle: Puzzle
    skin: TangramSkin
    unit: float
    colours: dict[str, RGB]
    starts: State
    targets: State
    order: tuple[str, ...]
    background: np.ndarray
    frames_per_move: int = 10
    hold: int = 8

    def polygon(self, name: str, pose: Pose) -> np.ndarray:
        return pose.polygon(KIND[name], self.unit)

    def draw(self, state: State, on_top: str | None = None, extra: list[tuple[list[np.ndarray], RGB]] | None = None,
             shapes: dict[str, list[np.ndarray]] | None = None) -> np.ndarray:
        """One frame: every tan of ``state`` (``on_top`` last), then ``extra`` polygons.

        ``shapes`` replaces the drawn polygons of some tans (a tan cut or
        stretched, for negatives); a tan missing from ``state`` is not drawn.
        """
        names = [n for n in NAMES if n in state and n != on_top] + ([on_top] if on_top in state else [])
        shapes = shapes or {}
        items = [(shapes[n] if n in shapes else [self.polygon(n, state[n])], self.colours[n]) for n in names]
        return draw_frame(self.background, items + list(extra or []), self.skin)


def scene_of(puzzle: Puzzle) -> Scene:
    """The scene of a tangram ``puzzle`` (its layout, skin and solution)."""
    layout, solution = puzzle.layout, puzzle.solution
    skin = get_skin(puzzle.skin)
    pieces = {p["name"]: p for p in layout["pieces"]}
    background = draw_background(skin, [np.asarray(p, np.float64) for p in layout["silhouette"]],
                                 (puzzle.width, puzzle.height))
    background.flags.writeable = False
    return Scene(puzzle, skin, float(layout["unit"]),
                 {n: tuple(int(v) for v in pieces[n]["colour"]) for n in NAMES},  # type: ignore[misc]
                 {n: pose_of(pieces[n]["pose"]) for n in NAMES},
                 {n: pose_of(solution["targets"][n]) for n in NAMES},
                 tuple(solution["order"]), background)


def ease(s: float) -> float:
    return s * s * (3.0 - 2.0 * s)


def between(a: Pose, b: Pose, s: float) -> Pose:
    """The pose a fraction ``s`` of the way from ``a`` to ``b`` (straight line, short turn, eased)."""
    k = ease(min(1.0, max(0.0, s)))
    return Pose(a.x + (b.x - a.x) * k, a.y + (b.y - a.y) * k, a.angle + angle_delta(a.angle, b.angle) * k, b.flip)


Move = tuple[str, Pose, Pose]


def play(start: State, moves: list[Move], *, frames_per_move: int, hold_frames: int,
         num_frames: int | None = None) -> list[tuple[State, str | None]]:
    """The state of every frame while ``moves`` are made one after another, then held.

    Frame 0 is ``start``; each move takes ``frames_per_move`` frames (its last
    one on the move's end pose); ``hold_frames`` frames follow. With
    ``num_frames`` the same motion is resampled to exactly that many frames,
    keeping at least one frame of rest at the end.
    """
    n = len(moves)
    if num_frames is None:
        times = [i / frames_per_move for i in range(n * frames_per_move + 1)] + [float(n)] * hold_frames
    else:
        rest = max(1, min(hold_frames, num_frames // 5))
        moving = max(2, num_frames - rest)
        times = [n * i / (moving - 1) for i in range(moving)] + [float(n)] * (num_frames - moving)
    out: list[tuple[State, str | None]] = []
    for t in times:
        state = dict(start)
        done = min(n, int(np.floor(t + 1e-9)))
        for name, _, end in moves[:done]:
            state[name] = end
        moving_name = None
        if done < n and t - done > 1e-9:
            name, a, b = moves[done]
            state[name] = between(a, b, t - done)
            moving_name = name
        out.append((state, moving_name))
    return out


def render(scene: Scene, states: list[tuple[State, str | None]]) -> np.ndarray:
    """Frames (T x H x W x 3 uint8) of the given states."""
    return np.stack([scene.draw(state, on_top) for state, on_top in states])


def solution_moves(scene: Scene) -> list[Move]:
    """The reference: every tan not in place moved from its start to its target, in order."""
    return [(n, scene.starts[n], scene.targets[n]) for n in scene.order]
