"""The tangram family: fill a silhouette with the seven tans, moving each one rigidly.

"Thinking in Frames" tests video models on tangrams: a continuous manipulation
with large visual change, unlike the grid walks. A puzzle's first frame
(512 x 512) shows the target silhouette (filled and outlined in the skin's
colours; some tans may already lie in place inside it at easy and medium
difficulty) and the other tans scattered around it, each in its own colour.
Difficulty sets how compact the silhouette is and how many tans start in place
(:data:`puzzles.tangram.layout.DIFFICULTY`).

``layout`` holds what a verifier needs without the reference: the frame size,
the skin's colours, every tan's colour, pose and polygon in ``frame0.png``
pixels, and the silhouette polygon(s); ``solution`` holds the target poses and
the order the reference moves them in.
"""

from __future__ import annotations

import numpy as np

from genreason.errors import UnknownName
from genreason.plugins import NotApplicable
from genreason.types import Puzzle
from puzzles.animate import require_motion, require_own
from puzzles.tangram import layout as geometry
from puzzles.tangram.draw import (
    SKINS,
    TangramSkin,
    draw_background,
    draw_frame,
    get_skin,
)
from puzzles.tangram.pieces import AREAS, KIND, TANS, Pose
from puzzles.tangram.scene import NAMES, Move, play, render, scene_of, solution_moves

MOTIONS = ("solution", "random-walk")

PROMPT = ("The {fill} is the outline of a tangram figure. Around it lie {pieces}{placed}. "
          "Move the pieces into the outline one at a time. Move each piece as a solid object: slide it and "
          "turn it, but never stretch, bend, cut, flip or recolour it, and never add or remove a piece. "
          "At the end the seven pieces must fill the outline exactly, without overlapping each other "
          "and without sticking out of it. The camera does not move.")


def _round(pose: Pose) -> Pose:
    return Pose(round(pose.x, 4), round(pose.y, 4), round(pose.angle, 4), pose.flip)


def _polygon_json(poly: np.ndarray) -> list[list[float]]:
    return [[round(float(x), 3), round(float(y), 3)] for x, y in poly]


def _piece_words(skin: TangramSkin, names: list[str]) -> str:
    colours = dict(zip(NAMES, (c for _, c in skin.pieces)))
    words = [f"the {colours[n]} {KIND[n]}" for n in names]
    return ", ".join(words[:-1]) + (" and " if len(words) > 1 else "") + words[-1]


def prompt_for(skin: TangramSkin, moving: list[str], placed: list[str]) -> str:
    """The task in words of ``skin``: which tans lie around the outline, which are already in it."""
    rest = f", while {_piece_words(skin, placed)} already {'lie' if len(placed) > 1 else 'lies'} in place" \
        if placed else ""
    return PROMPT.format(fill=skin.fill_words, pieces=_piece_words(skin, moving), placed=rest)


class TangramFamily:
    """Seven tans to move rigidly into a seeded silhouette.

    Motions (:meth:`animate`): ``solution`` (the reference) and ``random-walk``
    (every loose tan wanders to another free spot outside the silhouette; it
    never fills it). ``straight-line`` means nothing here: there is no single
    start and goal to join.
    """

    name = "tangram"
    version = "1"
    difficulties = tuple(geometry.DIFFICULTY)
    skins = tuple(SKINS)
    verifier = "tangram"

    def generate(self, seed: int, difficulty: str, skin: str, puzzle_id: str) -> Puzzle:
        """Build the puzzle for ``seed``; the same arguments always give the same bytes on disk.

        Args:
            seed: drives the assembly, the tans left in place and the scatter.
            difficulty: ``easy``, ``medium`` or ``hard``.
            skin: one of :attr:`skins`; it changes colours and prompt words, never the geometry.
            puzzle_id: stored as the puzzle's ``id``.
        """
        if difficulty not in geometry.DIFFICULTY:
            raise UnknownName("tangram difficulty", difficulty, list(geometry.DIFFICULTY))
        look = get_skin(skin)
        plan = geometry.build(seed, difficulty)
        starts = {n: _round(p) for n, p in plan.starts.items()}
        targets = {n: _round(p) for n, p in plan.targets.items()}
        size = geometry.FRAME
        silhouette = [np.asarray(_polygon_json(p)) for p in plan.silhouette]
        pieces = []
        for (name, kind), (colour, word) in zip(TANS, look.pieces):
            poly = starts[name].polygon(kind, geometry.UNIT)
            pieces.append({"name": name, "kind": kind, "colour": list(colour), "colour_name": word,
                           "placed": name in plan.placed, "pose": starts[name].to_json(),
                           "polygon": _polygon_json(poly)})
        layout = {
            "width": size, "height": size, "unit": geometry.UNIT,
            "background": list(look.background), "fill": list(look.fill), "outline": list(look.outline),
            "silhouette": [_polygon_json(p) for p in silhouette],
            "silhouette_area": round(sum(AREAS[k] for _, k in TANS) * geometry.UNIT ** 2, 3),
            "pieces": pieces,
        }
        solution = {
            "targets": {n: targets[n].to_json() for n in NAMES},
            "target_polygons": {n: _polygon_json(targets[n].polygon(KIND[n], geometry.UNIT)) for n in NAMES},
            "order": list(plan.order),
        }
        image = draw_frame(draw_background(look, silhouette, (size, size)),
                           [([starts[n].polygon(KIND[n], geometry.UNIT)], c) for n, (c, _) in zip(NAMES, look.pieces)],
                           look)
        return Puzzle(id=puzzle_id, family=self.name, family_version=self.version, difficulty=difficulty,
                      skin=skin, seed=seed, prompt=prompt_for(look, list(plan.order), list(plan.placed)),
                      width=size, height=size, layout=layout, solution=solution, image=image)

    def animate(self, puzzle: Puzzle, motion: str, *, seed: int, frames_per_step: int,
                hold_frames: int, num_frames: int | None) -> np.ndarray:
        """Frames (T x H x W x 3 uint8) of the tans moving, one after another.

        Args:
            puzzle: a tangram puzzle (its layout, skin and solution are used, not its pixels).
            motion: ``solution`` (each loose tan to its target, in the reference order)
                or ``random-walk`` (each loose tan to another free spot outside the silhouette).
            seed: seeds the random walk; the solution ignores it.
            frames_per_step: half the frames one tan's move takes.
            hold_frames: frames of rest after the last move.
            num_frames: if given, the motion is resampled to exactly this many frames.

        Raises:
            NotApplicable: for another motion, or a puzzle of another family.
        """
        require_own(self.name, puzzle)
        require_motion(self.name, motion, MOTIONS)
        scene = scene_of(puzzle)
        moves = solution_moves(scene) if motion == "solution" else wander(scene, seed)
        return render(scene, play(scene.starts, moves, frames_per_move=2 * frames_per_step,
                                  hold_frames=hold_frames, num_frames=num_frames))

    def calibration_cases(self, puzzle: Puzzle, seed: int = 0) -> list:
        """Labelled videos of ``puzzle``: the reference solution and the hard negatives.

        See :func:`puzzles.tangram.cases.calibration_cases`; used by ``genreason calibrate``.
        """
        from puzzles.tangram.cases import calibration_cases

        require_own(self.name, puzzle, "draw cases of")
        return calibration_cases(puzzle, seed)


def wander(scene, seed: int) -> list[Move]:
    """Each loose tan, in the reference order, moves to another free spot outside the silhouette."""
    rng = np.random.default_rng([seed, 11])
    all_pts = np.concatenate([scene.polygon(n, p) for n, p in scene.targets.items()])
    keep_out = geometry.box(all_pts.min(axis=0) - geometry.KEEP_OUT, all_pts.max(axis=0) + geometry.KEEP_OUT)
    state = dict(scene.starts)
    moves: list[Move] = []
    for name in scene.order:
        others = [Pose(p.x, p.y, p.angle, p.flip).polygon(KIND[n], scene.unit * geometry.SPACING)
                  for n, p in state.items() if n != name]
        spot = geometry.scatter(rng, [name], scene.targets, keep_out, others)
        if spot is None:
            continue
        moves.append((name, state[name], spot[name]))
        state[name] = spot[name]
    if not moves:
        raise NotApplicable(f"no free spot for a random walk of the tans of {scene.puzzle.id}")
    return moves


__all__ = ["TangramFamily", "prompt_for", "wander"]
