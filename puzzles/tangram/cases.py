"""Labelled videos of a tangram puzzle: the reference solution and near-misses that break one rule each.

Every video is drawn the way the family draws its own (:mod:`puzzles.tangram.scene`)
and then edited: a tan stretched, sheared, cut in two, hidden, copied, left
out, pushed out of the silhouette or onto another tan, made to jump, or the
camera moved. Verifier tests and ``genreason calibrate`` build their hard
negatives here. Legal cases: the reference (``oracle``) and the same moves in
reverse order (``oracle-reversed``: tans slide over tans already placed, which
hides parts of them for a moment).

A teleport (a tan jumping from its start to its place between two frames) is
illegal: tans are moved, not re-placed, so the verifier rejects a tan moving
faster than 4 frame widths a second.
"""

from __future__ import annotations

import math

import numpy as np

from genreason.types import Puzzle
from puzzles.negatives import Case, camera
from puzzles.tangram import layout as geometry
from puzzles.tangram.pieces import Pose
from puzzles.tangram.scene import (
    Move,
    Scene,
    State,
    play,
    render,
    scene_of,
    solution_moves,
)

FPS = 16.0
STATIC_FRAMES = 41
GONE_FRAMES = 24  # 1.5 s at 16 fps: twice the verifier's allowance for a tan out of sight


def _play(sc: Scene, moves: list[Move], start: State | None = None,
          hold: int | None = None) -> list[tuple[State, str | None]]:
    """The states of ``moves`` at the scene's pace (:attr:`Scene.frames_per_move`, :attr:`Scene.hold`)."""
    return play(start or sc.starts, moves, frames_per_move=sc.frames_per_move,
                hold_frames=sc.hold if hold is None else hold)


def oracle(sc: Scene) -> np.ndarray:
    return render(sc, _play(sc, solution_moves(sc)))


def reversed_oracle(sc: Scene) -> np.ndarray:
    return render(sc, _play(sc, solution_moves(sc)[::-1]))


def _last(sc: Scene) -> str:
    return sc.order[-1]


def _distorted(sc: Scene, name: str, transform) -> np.ndarray:
    """The reference, with the last tan's polygon distorted progressively during its move (``transform(poly, k)``)."""
    states = _play(sc, solution_moves(sc))
    start = len(states) - sc.hold - sc.frames_per_move - 1
    frames = []
    for t, (state, on_top) in enumerate(states):
        k = min(1.0, max(0.0, (t - start) / sc.frames_per_move))
        shapes = {name: [transform(sc.polygon(name, state[name]), k)]} if k > 0 else None
        frames.append(sc.draw(state, on_top, shapes=shapes))
    return np.stack(frames)


def grows(sc: Scene) -> np.ndarray:
    """The last tan grows to 1.3 times its size while it moves, and stays so."""
    def scale(poly: np.ndarray, k: float) -> np.ndarray:
        c = poly.mean(axis=0)
        return c + (poly - c) * (1 + 0.3 * k)
    return _distorted(sc, _last(sc), scale)


def sheared(sc: Scene) -> np.ndarray:
    """The last tan is sheared (area kept) while it moves, and stays so."""
    def shear(poly: np.ndarray, k: float) -> np.ndarray:
        c = poly.mean(axis=0)
        d = poly - c
        return c + np.stack([d[:, 0] + 0.6 * k * d[:, 1], d[:, 1]], axis=1)
    return _distorted(sc, _last(sc), shear)


def split(sc: Scene) -> np.ndarray:
    """After the reference, a large tan splits in two halves that drift apart."""
    name = "large-triangle-a"
    states = _play(sc, solution_moves(sc), hold=0)
    final = states[-1][0]
    poly = sc.polygon(name, final[name])  # right angle first: cut from it to the hypotenuse's midpoint
    mid = (poly[1] + poly[2]) / 2
    halves = [np.array([poly[0], poly[1], mid]), np.array([poly[0], mid, poly[2]])]
    frames = [sc.draw(s, top) for s, top in states]
    for t in range(1, 2 * sc.hold + 1):
        k = min(1.0, t / sc.hold)
        moved = []
        for half in halves:
            away = half.mean(axis=0) - mid
            away = away / max(1e-9, np.linalg.norm(away))
            moved.append(half + away * 0.7 * sc.unit * k)
        frames.append(sc.draw(final, shapes={name: moved}))
    return np.stack(frames)


def _ending(sc: Scene, end: Pose) -> np.ndarray:
    """The reference, but the last tan ends at ``end`` instead of its target."""
    moves = solution_moves(sc)
    name, a, _ = moves[-1]
    return render(sc, _play(sc, [*moves[:-1], (name, a, end)]))


def overlaps(sc: Scene) -> np.ndarray:
    """The last tan ends halfway onto the tan nearest to its target."""
    name = _last(sc)
    target = sc.targets[name]
    others = [n for n in sc.targets if n != name]
    near = min(others, key=lambda n: math.dist((sc.targets[n].x, sc.targets[n].y), (target.x, target.y)))
    t = sc.targets[near]
    return _ending(sc, Pose(target.x + 0.6 * (t.x - target.x), target.y + 0.6 * (t.y - target.y),
                            target.angle, target.flip))


def outside(sc: Scene) -> np.ndarray:
    """The last tan ends two units further from the silhouette's centre than its target."""
    name = _last(sc)
    target = sc.targets[name]
    cx = np.mean([p.x for p in sc.targets.values()])
    cy = np.mean([p.y for p in sc.targets.values()])
    d = np.array([target.x - cx, target.y - cy])
    d = d / max(1e-9, np.linalg.norm(d))
    return _ending(sc, Pose(target.x + 2 * sc.unit * d[0], target.y + 2 * sc.unit * d[1], target.angle, target.flip))


def left_out(sc: Scene) -> np.ndarray:
    """The reference without its last move: one tan never leaves its start."""
    return render(sc, _play(sc, solution_moves(sc)[:-1]))


def vanish_mid(sc: Scene) -> np.ndarray:
    """A tan (the first to move) is gone for :data:`GONE_FRAMES` frames before its move, then moves as usual."""
    moves = solution_moves(sc)
    name = moves[0][0]
    rest = [(sc.starts, None)] * GONE_FRAMES
    frames = [sc.draw(sc.starts)] + [sc.draw({n: p for n, p in s.items() if n != name}, top) for s, top in rest]
    frames += [sc.draw(s, top) for s, top in _play(sc, moves)[1:]]
    return np.stack(frames)


def vanish_end(sc: Scene) -> np.ndarray:
    """The last tan disappears instead of being placed: the reference without it, held for a second."""
    moves = solution_moves(sc)
    name = moves[-1][0]
    states = _play(sc, moves[:-1], hold=0)
    frames = [sc.draw(s, top) for s, top in states]
    gone = {n: p for n, p in states[-1][0].items() if n != name}
    frames += [sc.draw(gone)] * (sc.frames_per_move + sc.hold)
    return np.stack(frames)


def appears(sc: Scene) -> np.ndarray:
    """After the first tan leaves its start, a copy of it appears there and stays."""
    moves = solution_moves(sc)
    name = moves[0][0]
    copy = [([sc.polygon(name, sc.starts[name])], sc.colours[name])]
    frames = [sc.draw(s, top, extra=copy if t > sc.frames_per_move else None)
              for t, (s, top) in enumerate(_play(sc, moves))]
    return np.stack(frames)


def teleport(sc: Scene) -> np.ndarray | None:
    """The tan with the longest move jumps from its start to its place between two frames."""
    moves = solution_moves(sc)
    i = max(range(len(moves)), key=lambda k: math.dist((moves[k][1].x, moves[k][1].y), (moves[k][2].x, moves[k][2].y)))
    name, a, b = moves[i]
    if math.dist((a.x, a.y), (b.x, b.y)) < 0.4 * geometry.FRAME:  # 6.4 frame widths a second at 16 fps
        return None
    before = _play(sc, moves[:i], hold=0)
    state = dict(before[-1][0])
    state[name] = b
    after = _play(sc, moves[i + 1:], start=state)
    return np.stack([sc.draw(s, top) for s, top in before] + [sc.draw(s, top) for s, top in after])


def static(sc: Scene) -> np.ndarray:
    return np.repeat(sc.puzzle.frame0()[None], STATIC_FRAMES, axis=0)


def calibration_cases(puzzle: Puzzle, seed: int = 0) -> list[Case]:
    """The reference solution and its reverse (legal), and every near-miss (illegal).

    ``seed`` picks the random walk.
    """
    from puzzles.tangram.family import wander

    sc = scene_of(puzzle)
    cases = [Case("oracle", oracle(sc), FPS, legal=True), Case("oracle-reversed", reversed_oracle(sc), FPS, legal=True)]

    def add(name: str, frames: np.ndarray | None, *, single_frame: bool = False) -> None:
        if frames is not None:
            cases.append(Case(name, frames, FPS, legal=False, single_frame=single_frame))

    add("piece-grows", grows(sc))
    add("piece-sheared", sheared(sc))
    add("piece-splits", split(sc))
    add("pieces-overlap", overlaps(sc))
    add("piece-outside", outside(sc))
    add("piece-left-out", left_out(sc))
    add("piece-vanishes-mid", vanish_mid(sc))
    add("piece-vanishes-at-end", vanish_end(sc))
    add("piece-appears", appears(sc))
    add("teleport", teleport(sc), single_frame=True)
    add("static", static(sc))
    add("random-walk", render(sc, _play(sc, wander(sc, seed))))
    ref = oracle(sc)
    add("camera-pans", camera(ref, shift=(2 * sc.unit, 0.7 * sc.unit)))
    add("camera-zooms", camera(ref, zoom=1.2))
    return cases
