"""The tangram family: seeded bytes, sound geometry (no overlaps, exact silhouette), skins, motions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from genreason.errors import UnknownName
from genreason.plugins import (
    Animator,
    Calibratable,
    NotApplicable,
    PuzzleFamily,
    load_family,
)
from puzzles.tangram import TangramFamily
from puzzles.tangram import layout as geometry
from puzzles.tangram.assemble import shrink
from puzzles.tangram.draw import SKINS
from puzzles.tangram.pieces import (
    AREAS,
    KIND,
    TANS,
    fill_mask,
    overlap_area,
    polygon_area,
)
from puzzles.tangram.scene import scene_of

FAMILY = TangramFamily()


def make(seed: int, difficulty: str = "medium", skin: str = "classic"):
    return FAMILY.generate(seed, difficulty, skin, f"tangram/{difficulty}/{seed:06d}")


def polygons(puzzle, which: str) -> dict[str, np.ndarray]:
    if which == "target":
        return {n: np.asarray(p) for n, p in puzzle.solution["target_polygons"].items()}
    return {p["name"]: np.asarray(p["polygon"]) for p in puzzle.layout["pieces"]}


def test_registered_and_implements_the_protocols():
    family = load_family("tangram")
    assert isinstance(family, PuzzleFamily) and isinstance(family, Animator) and isinstance(family, Calibratable)
    assert family.verifier == "tangram" and len(family.skins) >= 3
    assert family.difficulties == ("easy", "medium", "hard")


def test_same_seed_gives_byte_identical_files(tmp_path):
    a = make(5, "hard", "paper").save(tmp_path / "a")
    b = make(5, "hard", "paper").save(tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()
    assert (a.parent / "frame0.png").read_bytes() == (b.parent / "frame0.png").read_bytes()
    other = make(6, "hard", "paper").save(tmp_path / "c")
    assert other.read_bytes() != a.read_bytes()


@pytest.mark.parametrize("difficulty", ["easy", "medium", "hard"])
def test_targets_tile_the_silhouette_without_overlap(difficulty):
    for seed in range(3):
        puzzle = make(seed, difficulty)
        targets = polygons(puzzle, "target")
        assert set(targets) == {n for n, _ in TANS}
        for name, poly in targets.items():
            assert polygon_area(poly) == pytest.approx(AREAS[KIND[name]] * geometry.UNIT ** 2, rel=1e-3)
        for a in targets:
            for b in targets:
                if a != b:
                    assert overlap_area(shrink(targets[a]), targets[b]) < 1.0, (seed, a, b)
        silhouette = [np.asarray(p) for p in puzzle.layout["silhouette"]]
        assert sum(polygon_area(p) for p in silhouette) == pytest.approx(16 * geometry.UNIT ** 2, rel=1e-3)
        union = fill_mask(list(targets.values()), (512, 512))
        drawn = fill_mask(silhouette, (512, 512))
        assert (union ^ drawn).sum() < 0.01 * union.sum()
        corners = np.concatenate(list(targets.values()))
        for p in silhouette:  # every corner of the outline is a tan's corner
            assert np.linalg.norm(corners[None] - p[:, None], axis=2).min(axis=1).max() < 0.01


@pytest.mark.parametrize("difficulty, placed", [("easy", 4), ("medium", 2), ("hard", 0)])
def test_loose_tans_lie_apart_outside_the_silhouette_and_turned(difficulty, placed):
    for seed in range(2):
        puzzle = make(seed, difficulty)
        pieces = {p["name"]: p for p in puzzle.layout["pieces"]}
        assert sum(p["placed"] for p in pieces.values()) == placed
        assert len(puzzle.solution["order"]) == 7 - placed
        starts, targets = polygons(puzzle, "start"), polygons(puzzle, "target")
        silhouette = np.concatenate([np.asarray(p) for p in puzzle.layout["silhouette"]])
        box = geometry.box(silhouette.min(axis=0), silhouette.max(axis=0))
        for name, p in pieces.items():
            if p["placed"]:
                assert np.allclose(starts[name], targets[name], atol=0.01)
                continue
            assert starts[name].min() >= 0 and starts[name].max() <= 512
            assert overlap_area(starts[name], box) == 0
            turn = (p["pose"]["angle"] - puzzle.solution["targets"][name]["angle"]) % geometry.SYMMETRY[p["kind"]]
            assert min(turn, geometry.SYMMETRY[p["kind"]] - turn) >= geometry.MIN_TURN - 1e-6
            assert p["pose"]["flip"] == puzzle.solution["targets"][name]["flip"]  # moves stay in the plane
        for a in starts:
            for b in starts:
                if a != b:
                    assert overlap_area(shrink(starts[a]), starts[b]) < 1.0


@pytest.mark.parametrize("skin", sorted(SKINS))
def test_skins_colours_are_distinct_and_named_in_the_prompt(skin):
    look = SKINS[skin]
    colours = [np.asarray(c, float) for c, _ in look.pieces] + [np.asarray(look.background, float),
                                                                np.asarray(look.fill, float)]
    for i, a in enumerate(colours):
        for b in colours[i + 1:]:
            assert np.linalg.norm(a - b) >= 45
    puzzle = make(1, "easy", skin)
    for (colour, word), piece in zip(look.pieces, puzzle.layout["pieces"]):
        assert piece["colour"] == list(colour) and piece["colour_name"] == word
        assert f"{word} {piece['kind']}" in puzzle.prompt
    assert "solid object" in puzzle.prompt and "never stretch" in puzzle.prompt
    assert "without overlapping" in puzzle.prompt and "fill the outline" in puzzle.prompt
    # The first frame shows each tan in its colour, where the layout says.
    for piece in puzzle.layout["pieces"]:
        inside = fill_mask([np.asarray(piece["polygon"])], (512, 512))
        inside &= np.roll(inside, 3, 0) & np.roll(inside, -3, 0) & np.roll(inside, 3, 1) & np.roll(inside, -3, 1)
        core = puzzle.image[inside]
        assert (np.abs(core.astype(int) - piece["colour"]).max(axis=1) <= 2).mean() > 0.8


def test_the_solution_starts_on_frame0_and_ends_filling_the_silhouette():
    puzzle = make(3, "hard", "night")
    frames = FAMILY.animate(puzzle, "solution", seed=0, frames_per_step=2, hold_frames=3, num_frames=None)
    assert np.array_equal(frames[0], puzzle.image)
    assert len(frames) == 7 * 4 + 1 + 3
    assert np.array_equal(frames[-1], frames[-4])  # held
    sil = fill_mask([np.asarray(p) for p in puzzle.layout["silhouette"]], (512, 512))
    fill = np.asarray(SKINS["night"].fill)
    shows_fill = (np.abs(frames[-1].astype(int) - fill).max(axis=2) <= 3) & sil
    assert shows_fill.sum() < 0.01 * sil.sum()
    assert (np.abs(frames[0].astype(int) - fill).max(axis=2) <= 3)[sil].mean() > 0.5
    resampled = FAMILY.animate(puzzle, "solution", seed=0, frames_per_step=2, hold_frames=3, num_frames=20)
    assert len(resampled) == 20 and np.array_equal(resampled[0], puzzle.image)
    assert np.array_equal(resampled[-1], frames[-1])


def test_random_walk_never_fills_and_other_motions_are_refused():
    puzzle = make(2, "medium")
    frames = FAMILY.animate(puzzle, "random-walk", seed=4, frames_per_step=2, hold_frames=2, num_frames=None)
    assert np.array_equal(frames[0], puzzle.image) and not np.array_equal(frames[-1], frames[0])
    sc = scene_of(puzzle)
    fill = np.asarray(SKINS["classic"].fill)
    core = fill_mask([np.asarray(p) for p in puzzle.layout["silhouette"]], (512, 512))
    still_empty = (np.abs(frames[-1].astype(int) - fill).max(axis=2) <= 3)[core].mean()
    assert still_empty > 0.4 and len(sc.order) == 5
    for motion in ("straight-line", "teleport"):
        with pytest.raises(NotApplicable):
            FAMILY.animate(puzzle, motion, seed=0, frames_per_step=2, hold_frames=2, num_frames=None)


def test_bad_names_are_refused():
    with pytest.raises(UnknownName):
        make(0, "impossible")
    with pytest.raises(UnknownName):
        make(0, "easy", "neon")


def test_moves_are_rigid_in_every_frame():
    puzzle = make(4, "easy")
    sc = scene_of(puzzle)
    from puzzles.tangram.scene import play, solution_moves

    for state, _ in play(sc.starts, solution_moves(sc), frames_per_move=5, hold_frames=1):
        for name, pose in state.items():
            poly = sc.polygon(name, pose)
            assert polygon_area(poly) == pytest.approx(AREAS[KIND[name]] * sc.unit ** 2, rel=1e-9)
            edges = sorted(np.linalg.norm(poly - np.roll(poly, 1, axis=0), axis=1))
            ref = sorted(np.linalg.norm(sc.polygon(name, sc.starts[name]) - np.roll(
                sc.polygon(name, sc.starts[name]), 1, axis=0), axis=1))
            assert np.allclose(edges, ref) and math.isfinite(pose.angle)
