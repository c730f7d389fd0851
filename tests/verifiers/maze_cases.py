"""Building maze videos for verifier tests: legal ones, and illegal ones that look almost legal.

Every video is drawn the way the maze family draws its own (the family's empty
board, its agent sprite, :mod:`puzzles.animate` for motion), then edited
(cells repainted, frames cut, a sprite drawn twice, the camera moved) by the
package's :mod:`puzzles.negatives` (which ``genreason calibrate`` uses too), and
finally passed through a real H.264 round trip (:func:`encode`), so the
verifier sees what it would see from a file.
"""

from __future__ import annotations

import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, fields
from functools import cache
from itertools import pairwise
from pathlib import Path

import numpy as np

from genreason.plugins import build, load_verifier
from genreason.types import SampleRequest, Verdict, Video
from genreason.video import read_video, write_mp4
from puzzles import negatives
from puzzles.grid import Cell
from puzzles.maze import MazeFamily
from puzzles.skins import AGENT_FRACTION, Skin, Sprite, sprite_mask, sprite_size

FPS = negatives.FPS
HOLD = negatives.HOLD  # frames of rest on the goal at the end of a walk
FRAMES_PER_STEP = {"easy": 3, "medium": 2, "hard": 2}  # 35 to 60 frames (hard: 111)

Point = negatives.Point
Crossing = negatives.Crossing

# Drawing and editing frames is the package's (puzzles.negatives), shared with `genreason calibrate`.
walk = negatives.walk
render = negatives.render
splice = negatives.splice
paint_cells = negatives.paint_cells
moved_goal = negatives.moved_goal
paint_out = negatives.paint_out
draw_copy = negatives.draw_copy
camera = negatives.camera


@dataclass(frozen=True, eq=False)  # hashed by identity: scenes are cached singletons
class Scene(negatives.Scene):
    """A maze puzzle and the pieces its family draws it with (see :class:`puzzles.negatives.Scene`)."""

    @property
    def skin(self) -> Skin:
        return self.look  # type: ignore[return-value]


@cache
def scene(difficulty: str = "medium", skin: str = "classic", seed: int = 0) -> Scene:
    """The maze puzzle for these arguments, with its board and sprite (cached: scenes are read-only).

    Args:
        difficulty: ``easy``, ``medium`` or ``hard``.
        skin: a maze skin name.
        seed: the puzzle seed.
    """
    family = MazeFamily()
    puzzle = family.generate(seed, difficulty, skin, f"maze/{difficulty}/{seed:06d}")
    # The family's own empty board and sprite, not a copy of its code.
    made = negatives.make_scene(family, puzzle, frames_per_step=FRAMES_PER_STEP[difficulty], hold=HOLD, fps=FPS)
    return Scene(**{f.name: getattr(made, f.name) for f in fields(negatives.Scene)})


@cache
def oracle(sc: Scene) -> np.ndarray:
    """The reference solution as the ``oracle`` sampler draws it, at this module's pace (cached, read-only)."""
    frames = sample(sc, "oracle")
    frames.flags.writeable = False
    return frames


def sample(sc: Scene, sampler: str, *, seed: int = 0) -> np.ndarray:
    """Frames from a built-in sampler (through the plugin registry) at this module's pace.

    Args:
        sc: the scene.
        sampler: ``oracle``, ``static``, ``straight-line`` or ``random-walk``.
        seed: the request seed (drives ``random-walk``).
    """
    if sampler == "static":
        args: dict[str, object] = {"fps": FPS, "num_frames": 41}
    else:
        args = {"fps": FPS, "frames_per_step": sc.frames_per_step, "hold_frames": HOLD}
    request = SampleRequest(puzzle=sc.puzzle, prompt=sc.puzzle.prompt, seed=seed)
    return next(iter(build("samplers", sampler, args).generate([request]))).frames


def recoloured(sprite: Sprite, shift: int = 20) -> Sprite:
    """The same sprite with every channel moved by ``shift`` (the other way where that would clip)."""
    colour = tuple(int(c + shift if 0 <= c + shift <= 255 else c - shift) for c in sprite.colour)
    return Sprite(sprite.mask, colour)  # type: ignore[arg-type]


def resized(sc: Scene, factor: float = 1.15) -> Sprite:
    """The agent sprite ``factor`` times larger (same shape and colour)."""
    size = sprite_size(sc.cell_px, AGENT_FRACTION * factor)
    return Sprite(sprite_mask(sc.skin.agent_shape, size), sc.sprite.colour)


def reshaped(sc: Scene) -> Sprite:
    """The agent drawn as a different shape of the same size and colour (a disc unless it is one)."""
    shape = "square" if sc.skin.agent_shape == "disc" else "disc"
    return Sprite(sprite_mask(shape, sc.sprite.size), sc.sprite.colour)


# --- maze geometry (the package's search, with the construction asserted) ----------------------

def shortest(sc: Scene, a: Cell, b: Cell) -> list[Cell]:
    """The shortest legal cell path from ``a`` to ``b``."""
    path = negatives.shortest(sc, a, b)
    assert path is not None, f"{sc.puzzle.id}: no legal path from {a} to {b}"
    return path


def shortcut(sc: Scene) -> Crossing:
    """The wall hop from a reference-path cell that shortens the route to the goal the most.

    Asserts the construction: the hopped cell is a wall, both sides are open, and
    every other move is between neighbouring open cells.
    """
    layout = sc.layout
    best = negatives.shortcut(sc)
    assert best is not None, f"{sc.puzzle.id}: no wall to hop from the reference path"
    assert not layout.is_open(best.wall) and layout.is_open(best.before[-1]) and layout.is_open(best.after[0])
    for leg in (best.before, best.after):
        assert all(b in layout.neighbours(a) for a, b in pairwise(leg))
    return best


def straight_run(path: Sequence[Cell], steps: int) -> int:
    """Index ``k`` of the first stretch ``path[k..k+steps]`` that is one straight line (asserted to exist)."""
    k = negatives.straight_run(path, steps)
    assert k is not None, f"no straight run of {steps} steps in the path"
    return k


def off_path_cell(sc: Scene, *, code: str = ".", far_from: Cell | None = None) -> Cell:
    """A cell with ``code`` that is not on the reference path, not the start or goal, nor next to the path.

    Args:
        sc: the scene.
        code: ``.`` for floor or ``#`` for wall (a wall cell must be inside the board's border).
        far_from: prefer the candidate farthest from this cell.
    """
    cell = negatives.off_path_cell(sc, code=code, far_from=far_from)
    assert cell is not None, f"{sc.puzzle.id}: no {code!r} cell away from the path"
    return cell


def segment_crosses_wall(sc: Scene, a: Cell, b: Cell) -> bool:
    """Whether the straight line between the centres of ``a`` and ``b`` passes over a wall cell."""
    return negatives.segment_crosses_blocked(sc, a, b)


# --- the verifier ----------------------------------------------------------------------------

def encode(frames: np.ndarray | Video, fps: float = FPS) -> Video:
    """The video as the verifier would read it from disk: H.264 written and decoded back.

    ``write_mp4``'s quality (crf 18) with x264's ``veryfast`` preset, which has
    the same kind of artefacts as its default and halves the test's codec time.
    """
    video = frames if isinstance(frames, Video) else Video(frames=frames, fps=fps)
    with tempfile.TemporaryDirectory(prefix="genreason-test-") as folder:
        return read_video(write_mp4(Path(folder) / "v.mp4", video, preset="veryfast"))


def verify(sc: Scene, video: Video | np.ndarray) -> Verdict:
    """The maze verifier's verdict on ``video`` (frames are encoded first; a Video is used as given)."""
    if not isinstance(video, Video):
        video = encode(video)
    return load_verifier("maze").verify(sc.puzzle, video)


def kinds(verdict: Verdict) -> set[str]:
    """The kinds of event in a verdict."""
    return {e.kind for e in verdict.events}


def explain(verdict: Verdict) -> str:
    """A verdict in a few lines, for assertion messages: success, events, metrics and the cell path."""
    lines = [f"success={verdict.success} status={verdict.status} reason={verdict.reason}"]
    lines += [f"  {e.kind}: {e.message}" for e in verdict.events]
    lines.append(f"  path={verdict.path}")
    lines.append(f"  metrics={ {k: round(v, 3) for k, v in verdict.metrics.items()} }")
    return "\n".join(lines)
