"""The tangram verifier on real H.264 videos: legal solutions pass however degraded, near-misses fail.

Positives are the reference solution (the oracle sampler, or the same moves in
reverse order, where tans slide over tans already placed), under every preset
of :data:`genreason.degrade.DEGRADATIONS`, and the same layout drawn by a
renderer that is not ours. Negatives are the near-misses of
:mod:`puzzles.tangram.cases` (what ``genreason calibrate`` draws) and must
fail with the event that names what went wrong.
"""

from __future__ import annotations

import tempfile
from dataclasses import replace
from functools import cache
from pathlib import Path

import cv2
import numpy as np
import pytest

from genreason.calibrate import ENCODE_PRESET, calibration_puzzles, parse_column
from genreason.degrade import DEGRADATIONS
from genreason.errors import BadInput
from genreason.plugins import build, load_verifier
from genreason.types import Puzzle, SampleRequest, Verdict, Video
from genreason.video import read_video, write_mp4
from puzzles.tangram import TangramFamily, cases
from puzzles.tangram.layout import angle_delta
from puzzles.tangram.pieces import Pose
from puzzles.tangram.scene import Scene, play, render, scene_of, solution_moves
from verifiers.tangram import TangramVerifier

FAMILY = TangramFamily()
VERIFIER = load_verifier("tangram")


@cache
def puzzle(difficulty: str = "easy", skin: str = "classic", seed: int = 1) -> Puzzle:
    return FAMILY.generate(seed, difficulty, skin, f"tangram/{difficulty}/{seed:06d}")


@cache
def scene(difficulty: str = "easy", skin: str = "classic", seed: int = 1) -> Scene:
    """The scene at a brisk pace: 8 frames a tan, 4 of rest (short videos keep the tests fast)."""
    return replace(scene_of(puzzle(difficulty, skin, seed)), frames_per_move=8, hold=4)


def encode(video: Video) -> Video:
    """A real H.264 round trip, as a verifier sees a file."""
    with tempfile.TemporaryDirectory() as folder:
        return read_video(write_mp4(Path(folder) / "v.mp4", video, preset="veryfast"))


def verify(p: Puzzle, frames: np.ndarray | Video, degradation: str | None = None) -> Verdict:
    video = frames if isinstance(frames, Video) else Video(frames=frames, fps=cases.FPS)
    if degradation is not None:
        video = DEGRADATIONS[degradation](video)
    return VERIFIER.verify(p, encode(video))


def explain(v: Verdict) -> str:
    return f"{v.status} {v.reason or ''} {v.metrics} " + "; ".join(e.message for e in v.events)


def oracle_video(p: Puzzle) -> Video:
    sampler = build("samplers", "oracle", {"frames_per_step": 3, "hold_frames": 4})
    return next(iter(sampler.generate([SampleRequest(p, p.prompt, seed=0)])))


@pytest.mark.parametrize("difficulty, skin", [("easy", "classic"), ("medium", "paper"), ("hard", "night"),
                                              ("hard", "paper")])
def test_the_oracle_passes_on_every_difficulty_and_skin(difficulty, skin):
    p = puzzle(difficulty, skin, seed=2)
    video = oracle_video(p)
    verdict = verify(p, video)
    assert verdict.success, explain(verdict)
    assert verdict.metrics["pieces_placed"] == 7 and verdict.metrics["final_iou"] > 0.95
    assert verdict.metrics["uncovered"] < 0.03 and verdict.metrics["outside"] < 0.03
    assert len(verdict.trajectory) == len(video.frames)
    last = scene(difficulty, skin, 2).order[-1]
    target = scene(difficulty, skin, 2).targets[last]
    assert np.hypot(verdict.trajectory[-1][0] - target.x, verdict.trajectory[-1][1] - target.y) < 4


def test_tans_sliding_over_placed_tans_are_forgiven():
    sc = scene("medium", "night", 3)
    verdict = verify(sc.puzzle, cases.reversed_oracle(sc))
    assert verdict.success, explain(verdict)


def test_the_static_video_scores_nothing():
    p = puzzle("medium", "classic", 3)
    verdict = verify(p, cases.static(scene("medium", "classic", 3)))
    assert not verdict.success and verdict.status == "ok"
    assert verdict.metrics["pieces_placed"] == 2  # only the tans that started in place
    assert {"silhouette_not_filled", "outside_silhouette"} <= {e.kind for e in verdict.events}


NEGATIVES = {
    "piece-grows": (cases.grows, {"piece_grew", "end_piece_grew"}),
    "piece-sheared": (cases.sheared, {"piece_deformed", "end_piece_deformed"}),
    "piece-splits": (cases.split, {"piece_split", "end_piece_split"}),
    "pieces-overlap": (cases.overlaps, {"end_piece_shrank", "end_piece_vanished", "end_piece_deformed"}),
    "piece-outside": (cases.outside, {"outside_silhouette"}),
    "piece-left-out": (cases.left_out, {"outside_silhouette"}),
    "piece-vanishes-mid": (cases.vanish_mid, {"piece_vanished"}),
    "piece-vanishes-at-end": (cases.vanish_end, {"end_piece_vanished"}),
    "piece-appears": (cases.appears, {"piece_duplicated", "end_piece_duplicated"}),
    "teleport": (cases.teleport, {"teleport"}),
}


@pytest.mark.parametrize("name", sorted(NEGATIVES))
def test_near_misses_are_rejected_for_what_they_do(name):
    build_case, expected = NEGATIVES[name]
    sc = scene("easy", "paper", 6 if name == "teleport" else 4)  # seed 6 has a move long enough to jump
    frames = build_case(sc)
    assert frames is not None
    verdict = verify(sc.puzzle, frames)
    assert not verdict.success and verdict.status == "ok", explain(verdict)
    assert expected & {e.kind for e in verdict.events}, explain(verdict)
    assert all(e.message.startswith(f"frame {e.frame}:") for e in verdict.events)


@cache
def easy_oracle() -> np.ndarray:
    return cases.oracle(scene("easy", "night", 5))


@pytest.mark.parametrize("degradation", sorted(DEGRADATIONS))
def test_the_oracle_survives_every_degradation(degradation):
    verdict = verify(puzzle("easy", "night", 5), easy_oracle(), degradation)
    assert verdict.success, explain(verdict)


# Each negative under a few degradations, in turn (the full matrix is `genreason calibrate`'s).
DEGRADED_NEGATIVES = [("piece-grows", "resize-480x832"), ("piece-sheared", "h264-low"),
                      ("piece-splits", "blur"), ("pieces-overlap", "letterbox-832x480"),
                      ("piece-outside", "shake"), ("piece-vanishes-mid", "garbage-start"),
                      ("piece-appears", "color-shift"), ("piece-vanishes-at-end", "fps-drop")]


@pytest.mark.parametrize("name, degradation", DEGRADED_NEGATIVES)
def test_near_misses_stay_rejected_when_degraded(name, degradation):
    build_case, _ = NEGATIVES[name]
    sc = scene("easy", "classic", 6)
    verdict = verify(sc.puzzle, build_case(sc), degradation)
    assert not verdict.success, explain(verdict)


def test_a_blurred_tan_alone_on_the_background_is_not_taken_to_grow_when_placed():
    """Calibration puzzle 7: blurred, the green tan's edge on the background mixes to near the
    silhouette's grey and measures smaller in the first frame than placed at the end; that is
    no growth, while a tan that truly grows stays rejected under the same blur."""
    sc = scene("easy", FAMILY.skins[0], 7)
    assert sc.puzzle.id == "tangram/easy/000007"
    verdict = verify(sc.puzzle, cases.oracle(sc), "blur")
    assert verdict.success, explain(verdict)
    verdict = verify(sc.puzzle, cases.grows(sc), "blur")
    assert not verdict.success and {"piece_grew", "end_piece_grew"} & {e.kind for e in verdict.events}, \
        explain(verdict)


def test_camera_moves_are_rejected():
    sc = scene("easy", "paper", 4)
    ref = cases.oracle(sc)
    for frames in (cases.camera(ref, shift=(2 * sc.unit, 0.7 * sc.unit)), cases.camera(ref, zoom=1.2)):
        verdict = verify(sc.puzzle, frames)
        assert not verdict.success, explain(verdict)


# --- another renderer -------------------------------------------------------------------------

def foreign(sc: Scene, *, grow: float = 1.0) -> Video:
    """The reference moves drawn by other code: 640 x 480 letterboxed, OpenCV's own anti-aliasing
    (or none), a thicker outline, colours off by up to 12 levels, linear motion at 24 fps."""
    rng = np.random.default_rng(3)
    colours = {n: tuple(int(np.clip(v + rng.integers(-12, 13), 0, 255)) for v in c) for n, c in sc.colours.items()}
    k, ox = 480 / 512, 80  # puzzle pixels -> video pixels

    def pts(poly: np.ndarray) -> np.ndarray:
        return np.round((poly * k + (ox, 0)) * 16).astype(np.int32)

    base = np.full((480, 640, 3), (250, 248, 236), np.uint8)
    sil = [pts(np.asarray(p)) for p in sc.puzzle.layout["silhouette"]]
    cv2.fillPoly(base, sil, (205, 203, 198), cv2.LINE_AA, shift=4)
    cv2.polylines(base, sil, True, (30, 30, 30), 4, cv2.LINE_AA, shift=4)
    moves = solution_moves(sc)
    state = dict(sc.starts)
    frames = []

    def draw(on_top: str | None = None, line: int = cv2.LINE_AA) -> np.ndarray:
        img = base.copy()
        for name in [n for n in state if n != on_top] + ([on_top] if on_top else []):
            poly = sc.polygon(name, state[name])
            if grow != 1.0 and name == moves[-1][0] and on_top is None and state[name] == moves[-1][2]:
                c = poly.mean(axis=0)
                poly = c + (poly - c) * grow
            cv2.fillPoly(img, [pts(poly)], colours[name], line, shift=4)
        return img

    frames.append(draw())
    for name, a, b in moves:
        for t in range(1, 7):
            s = t / 6
            turn = angle_delta(a.angle, b.angle)
            state[name] = Pose(a.x + (b.x - a.x) * s, a.y + (b.y - a.y) * s, a.angle + turn * s, b.flip)
            frames.append(draw(name if s < 1 else None, cv2.LINE_8 if t % 2 else cv2.LINE_AA))
    frames += [draw()] * 5
    return Video(frames=np.stack(frames), fps=24.0)


def test_another_renderer_of_the_same_layout_is_judged_alike():
    sc = scene("medium", "classic", 8)
    verdict = VERIFIER.verify(sc.puzzle, encode(foreign(sc)))
    assert verdict.success, explain(verdict)
    cheat = VERIFIER.verify(sc.puzzle, encode(foreign(sc, grow=1.3)))
    assert not cheat.success, explain(cheat)


# --- what cannot be judged --------------------------------------------------------------------

def test_a_video_of_something_else_is_unreadable():
    noise = np.random.default_rng(0).integers(0, 256, size=(12, 256, 256, 3), dtype=np.uint8)
    verdict = VERIFIER.verify(puzzle(), Video(frames=noise, fps=16.0))
    assert verdict.status == "unreadable" and not verdict.success and verdict.reason


def test_a_layout_that_is_not_a_tangram_is_bad_input():
    p = puzzle().model_copy(update={"layout": {"rows": 3}})
    p.image = puzzle().image
    with pytest.raises(BadInput):
        VERIFIER.verify(p, Video(frames=np.repeat(p.image[None], 3, axis=0), fps=16.0))


# --- through the command line ----------------------------------------------------------------

TINY_SUITE = """\
name = "tangram-tiny"
version = "1"
seed = 0

[[entries]]
family = "tangram"
difficulties = ["easy"]
count = 1
"""


@pytest.mark.parametrize("model, solved", [("oracle", 1), ("static", 0)])
def test_bench_scores_the_oracle_one_and_the_static_video_zero(tmp_path, capsys, model, solved):
    from genreason.cli import main
    from genreason.store import RunFolder

    suite = tmp_path / "tiny.toml"
    suite.write_text(TINY_SUITE)
    args = ["-a", "frames_per_step=3"] if model == "oracle" else ["-a", "num_frames=12"]
    assert main(["bench", "--model", model, *args, "--suite", str(suite), "--out", str(tmp_path / "run"),
                 "--jobs", "1", "--quiet"]) == 0
    records = RunFolder(tmp_path / "run").journal.read()
    assert len(records) == 1 and records[0].verdict is not None
    assert records[0].verdict.verifier == "tangram" and int(records[0].success) == solved
    assert "tangram" in capsys.readouterr().out


def test_the_shift_screen_keeps_the_best_shift_of_the_full_search():
    from verifiers.tangram import SHIFT_SEARCH, _likely_shifts

    def full_search(sil0: np.ndarray, empty: np.ndarray, total: np.ndarray) -> tuple[int, int]:
        best = None
        for dy in range(-SHIFT_SEARCH, SHIFT_SEARCH + 1):
            for dx in range(-SHIFT_SEARCH, SHIFT_SEARCH + 1):
                sil = np.roll(sil0, (dy, dx), axis=(0, 1))
                area, shown = float(sil.sum()), float((sil * empty).sum())
                out = float(((1 - cv2.dilate(sil, np.ones((3, 3), np.uint8))) * total).sum())
                iou = (area - shown) / (area + out)
                if best is None or iou > best[0]:
                    best = (iou, (dy, dx))
        return best[1]

    rng = np.random.default_rng(0)
    for trial in range(12):
        sil = np.zeros((64, 80), np.float32)
        sil[20:44, 25:55] = 1.0
        sil = cv2.GaussianBlur(sil, (5, 5), 1.0) if trial % 2 else sil  # soft edges, or a tie-prone sharp box
        total = np.roll(sil, (int(rng.integers(-3, 4)), int(rng.integers(-3, 4))), axis=(0, 1))
        total = np.clip(total + rng.normal(0, 0.02 * (trial % 3), total.shape), 0, 1).astype(np.float32)
        empty = np.clip(1 - total, 0, 1).astype(np.float32)
        likely = _likely_shifts(sil, empty, total)
        assert full_search(sil, empty, total) in likely and len(likely) < (2 * SHIFT_SEARCH + 1) ** 2
    edge = np.zeros((64, 80), np.float32)
    edge[0:30, 0:30] = 1.0  # at the canvas's edge a shift wraps the silhouette round: every shift is tried
    assert len(_likely_shifts(edge, 1 - edge, edge)) == (2 * SHIFT_SEARCH + 1) ** 2


def test_a_tan_the_first_frame_shows_less_spread_out_than_drawn_may_end_whole(tmp_path):
    """Seed 21's easy puzzle played in reverse, letterboxed: the first frame measured the parallelogram less
    spread out than its outline (I1 0.235 against 0.250, its edge on the background unmixed short), the end
    measured it whole (0.259), and the 10% between the two was called a changed shape. More spread counts only
    past both the first frame's and the drawn outline's, as more area does."""
    puzzle = FAMILY.generate(21, "easy", "classic", "tangram/easy/000021")
    reversed_oracle = {c.name: c for c in FAMILY.calibration_cases(puzzle, seed=21)}["oracle-reversed"]
    boxed = DEGRADATIONS["letterbox-832x480"](Video(reversed_oracle.frames, reversed_oracle.fps))
    verdict = VERIFIER.verify(puzzle, read_video(write_mp4(tmp_path / "video.mp4", boxed, preset="veryfast")))
    assert verdict.status == "ok" and verdict.success, [e.message for e in verdict.events]


def _calibration_video(tmp_path: Path, seed: int, case: str, degradation: str, n: int = 1,
                       index: int = -1) -> tuple[Puzzle, Video]:
    """A case of ``genreason calibrate --n`` ``n`` ``--seed`` ``seed``'s tangram ``index`` (by default the last: easy
    and classic skin for one), degraded (a column: presets may be joined by ``+``) and encoded as calibrate encodes
    it."""
    p = calibration_puzzles("tangram", n, seed=seed)[index]
    made = {c.name: c for c in FAMILY.calibration_cases(p, seed=seed)}[case]
    video = parse_column(degradation).degrade(Video(made.frames, made.fps))
    return p, read_video(write_mp4(tmp_path / "video.mp4", video, preset=ENCODE_PRESET))


@pytest.mark.parametrize("case", ["oracle", "oracle-reversed"])
def test_a_blurred_small_tan_boxed_in_at_the_end_may_lose_its_seams(tmp_path, case):
    """``calibrate --family tangram --n 4 --seed 1400``'s hard puzzle: its plum small triangle ends in a narrow slot
    between two tans, and under blur the seams along both lost it 16-19% of its area, past the 16% that half a
    pixel's band allowed: called shrunk. The band for shrinking at the end is 3/4 of a pixel now."""
    p, video = _calibration_video(tmp_path, 1400, case, "blur", n=4, index=2)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and verdict.success, [e.message for e in verdict.events]


@pytest.mark.parametrize("case, degradation", [("oracle", "color-shift"), ("oracle-reversed", "gamma-0.7")])
def test_a_small_tan_packed_among_others_still_fits_its_outline(tmp_path, case, degradation):
    """Seed 400's purple small triangle ends boxed in by four tans: the seams along its edges, a quarter of
    the silhouette's fill showing through both tans' edges, were lost to it, and its outline fitted it with
    IoU 0.77 against 0.89 in the first frame, alone on the background: called deformed."""
    p, video = _calibration_video(tmp_path, 400, case, degradation)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and verdict.success, explain(verdict)


@pytest.mark.parametrize("case, degradation", [("oracle", "blur"), ("oracle-reversed", "resize-832x480"),
                                             ("oracle", "letterbox-832x480+blur+noise")])
def test_a_small_tan_among_outlined_tans_is_judged_on_its_own_pixels(tmp_path, case, degradation):
    """``calibrate --n 6 --seed 2400``'s hard puzzle, whose renderer strokes every tan with a dark outline: blurred
    into a tan's colour, the outline unmixes as that tan mixed with the plum one, and the plum small triangle got
    shares along the outlines of every tan. Packed among them at the end, it fitted its outline with IoU 0.77
    (0.90 at first: 0.13 below, past the 0.12 allowed), and letterboxed, blurred and noisy only 0.80 of it lay
    inside the silhouette. A tan is judged on its shares within 3 pixels of its body now, as its area always was."""
    p, video = _calibration_video(tmp_path, 2400, case, degradation, n=3, index=2)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and verdict.success, explain(verdict)


@pytest.mark.parametrize("case", ["oracle", "oracle-reversed"])
def test_a_tan_the_stretched_first_frame_over_measures_is_judged_against_its_drawing_too(tmp_path, case):
    """``calibrate --n 4 --seed 2000``'s hard tangram stretched to 480x832: in the first frame the dark outline
    stroked round the plum small triangle, next to the background, unmixed partly as plum (1.02 of its drawn
    area; 0.83 clean), and at the end, boxed in by other tans, it measured 0.76 of that: called shrunk. Against
    its drawn area (0.78) it is within its bound; a tan shrank only when it measures smaller than both now."""
    p, video = _calibration_video(tmp_path, 2000, case, "resize-480x832", n=4, index=2)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and verdict.success, explain(verdict)


def test_a_sheared_small_tan_that_only_its_outline_gives_away_stays_rejected(tmp_path):
    """Seed 100's sheared small triangle, compressed: it measures 0.84 of its area (no shrinking to speak of)
    and about its old moments; only its outline's fit (0.74 against 0.88 at first) tells it is sheared."""
    p, video = _calibration_video(tmp_path, 100, "piece-sheared", "h264-low")
    verdict = VERIFIER.verify(p, video)
    assert not verdict.success and "end_piece_deformed" in {e.kind for e in verdict.events}, explain(verdict)


@pytest.mark.parametrize("case, degradation", [("oracle-reversed", "letterbox-832x480"), ("oracle-reversed", "shake")])
def test_a_small_tan_whose_first_frame_lost_its_corners_is_judged_against_its_drawing_too(tmp_path, case, degradation):
    """``calibrate --n 2 --seed 700``'s medium tangram: the light blue small triangle measured 0.429 elongated in
    the letterboxed first frame (drawn: 0.500; its corners blend into the background) and 0.542 at the end,
    boxed in by other tans: a change of 0.11 past the 0.08 allowed, called deformed. From the drawing it is 0.04."""
    p, video = _calibration_video(tmp_path, 700, case, degradation, n=2)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and verdict.success, explain(verdict)


@pytest.mark.parametrize("degradation", ["resize-832x480", "noise"])
def test_a_sheared_small_triangle_that_changes_elongation_by_a_tenth_is_caught(tmp_path, degradation):
    """``genreason calibrate``'s default run (``--n 2 --seed 0``): the easy tangram's sheared small triangle ends
    0.102-0.129 more elongated than at first, and nothing else gives it away. Legal small triangles changed by up
    to 0.089 (seed 5800's, shaken: 0.084, a false reject left open); a bound of 0.10-0.12 for them, tried, accepted
    this tan under 8 columns of 20."""
    p, video = _calibration_video(tmp_path, 0, "piece-sheared", degradation, n=2, index=0)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and [e.kind for e in verdict.events] == ["end_piece_deformed"], explain(verdict)


@pytest.mark.parametrize("degradation", ["h264-low", "blur"])
def test_a_small_tan_grown_within_its_edge_band_is_caught(tmp_path, degradation):
    """``calibrate --n 1 --seed 800``'s easy tangram grows its yellow small triangle to 1.15 of its area: within
    the half-pixel band along its outline that a small tan's area may differ by (17%), and accepted under 14
    degradations of 18. Growing at the end now has no band (10%; no legal tan measured past 6.8%). (Shaken, the
    triangle measures only 1.06 of its drawn area at the end: see the next test.)"""
    p, video = _calibration_video(tmp_path, 800, "piece-grows", degradation)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and not verdict.success
    assert "end_piece_grew" in {e.kind for e in verdict.events}, explain(verdict)


@pytest.mark.parametrize("seed, degradation, tan", [(800, "shake", "yellow small triangle"),
                                                    (900, "blur", "red large triangle")])
def test_a_tan_grown_under_the_tans_painted_over_it_is_caught_while_it_moves(tmp_path, seed, degradation, tan):
    """The grown tan ends under others, and what shows of it at the end measures 1.06-1.08 of its drawn area,
    as legal tans do (up to 1.07): accepted. While it moved on top it measured 1.24-1.6 for 3-5 frames, and a
    departure that short was forgiven as a glitch; growth, which no tan passing over another explains, is not.
    (Seed 900's grown large triangle also sticks out of its own outline at the end.)"""
    p, video = _calibration_video(tmp_path, seed, "piece-grows", degradation)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and not verdict.success
    kinds = [e.kind for e in verdict.events]
    assert kinds[0] == "piece_grew" and tan in verdict.events[0].message, explain(verdict)
    assert set(kinds) <= {"piece_grew", "end_piece_deformed"}, explain(verdict)


def test_a_tan_carried_slowly_over_others_hides_them_for_as_long_as_it_takes():
    """Moves of 2.5 s (40 frames at 16 fps, where the family's take 10): the tans carried over others hid them for
    longer than the 0.75 s allowed for a tan looking wrong (here a small triangle, wholly under a large one, read as
    gone for 17 frames). A tan whose lost part lies under other tans, where it lay, is hidden, not changed."""
    p = FAMILY.generate(39, "easy", "classic", "tangram/easy/000039")
    sc = scene_of(p)
    frames = render(sc, play(sc.starts, solution_moves(sc), frames_per_move=40, hold_frames=8))
    verdict = VERIFIER.verify(p, Video(frames, 16.0))
    assert verdict.status == "ok" and verdict.success, explain(verdict)


def test_the_sheared_medium_triangle_of_seed_2000_is_caught(tmp_path):
    """``calibrate --family tangram --n 4 --seed 2000``'s easy puzzle, sheared by 0.6: at its angle its medium
    triangle changes elongation by 0.048 only, fits its outline with IoU 0.826 (0.93 at first: a drop that blur and
    seams give legal small tans too), and 1.6% of the silhouette shows. A wedge of it sticks out of its best pose."""
    p, video = _calibration_video(tmp_path, 2000, "piece-sheared", "clean", n=4, index=0)
    verdict = VERIFIER.verify(p, video)
    assert [e.kind for e in verdict.events] == ["end_piece_deformed"], explain(verdict)
    assert "sticks out of its own outline" in verdict.events[0].message


@pytest.mark.parametrize(("case", "degradation"), [("oracle-reversed", "blur"), ("oracle", "blur+h264-low")])
def test_where_a_tan_meets_two_others_their_blurred_outlines_are_not_it_sticking_out(tmp_path, case, degradation):
    """``calibrate --family tangram --n 4 --seed 4600``'s hard puzzle (paper skin: a dark 1 px line round every tan):
    blurred, the lines unmix as the crimson large triangle where it meets two other tans, and it read 0.45-0.63 of a
    square beyond its best pose there (0.45 allowed; 0.25 elsewhere). What a tan shows where it meets two others is
    not weighed now; the same puzzle's sheared tan is still rejected."""
    p, video = _calibration_video(tmp_path, 4600, case, degradation, n=4, index=2)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and verdict.success, explain(verdict)
    if case == "oracle-reversed":
        p, video = _calibration_video(tmp_path, 4600, "piece-sheared", degradation, n=4, index=2)
        sheared = VERIFIER.verify(p, video)
        assert sheared.status == "ok" and not sheared.success, explain(sheared)


@pytest.mark.parametrize("degradation", ["shake", "gamma-0.7"])
def test_a_sheared_tan_a_few_pixels_across_is_caught(tmp_path, degradation):
    """Seed 2402 (hard): the tans are small in the frame (a small triangle about 9 canonical pixels a side), and its
    sheared salmon parallelogram read as itself under 5 degradations of 18: its wedge is 2-3 pixels wide."""
    p, video = _calibration_video(tmp_path, 2400, "piece-sheared", degradation, n=3, index=2)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and not verdict.success
    assert any("salmon parallelogram sticks out" in e.message for e in verdict.events), explain(verdict)


def test_a_jump_followed_by_a_glitch_is_still_a_teleport(tmp_path):
    """``calibrate --family tangram --n 4 --seed 1700``'s hard puzzle: its plum small triangle jumps from its start
    to its place between frames 0 and 1. After low-bitrate H.264 it then read ``deformed`` for six frames, boxed in by
    its neighbours (forgiven as a glitch), and the speed check, which left those frames out, took the jump as made
    over seven frames: accepted. A deformed or partly hidden tan still shows where it is."""
    p, video = _calibration_video(tmp_path, 1700, "teleport", "h264-low", n=4, index=2)
    verdict = VERIFIER.verify(p, video)
    assert verdict.status == "ok" and not verdict.success
    assert [e.kind for e in verdict.events] == ["teleport"] and "frame 1: the plum" in verdict.events[0].message, \
        explain(verdict)


def _runs(kinds: str) -> list[str]:
    """The events :meth:`TangramVerifier._judge_pieces` gives one tan whose frames are ``kinds``
    (a letter a frame: g grew, s shrank, . fine), with a glitch of 6 frames and growth of 3."""
    names = {"g": ("grew", "grew"), "s": ("shrank", "shrank")}
    issues = [[names.get(k)] for k in kinds]
    events: list = []
    ok = TangramVerifier._judge_pieces(issues, ["the tan"], 0, 6, 3, events)
    assert ok == (not events)
    return [f"{e.kind}@{e.frame}" for e in events]


def test_growth_is_forgiven_for_fewer_frames_than_other_glitches():
    assert _runs("..gg..sssss..") == []  # two grown frames, five hidden ones: glitches
    assert _runs("..ggg....") == ["piece_grew@2"]
    assert _runs("..gsgsg..") == []  # never grown two frames in a row
    assert _runs(".ssggg") == ["piece_grew@3"]  # at the video's end too
    assert _runs("..ssssssgg.") == ["piece_shrank@2"]  # a long run is named by its most common kind
