"""``genreason calibrate``: labelled cases through degradations, verdicts and a consistent confusion matrix."""

from __future__ import annotations

import json
from collections import Counter

import numpy as np
import pytest

from genreason.calibrate import (
    COUNTS,
    RESTYLE_COLUMNS,
    CalibrationConfig,
    Column,
    degradation_names,
    parse_column,
    run_calibration,
)
from genreason.cli import main
from genreason.degrade import blur
from genreason.errors import GenreasonError, UnknownName
from genreason.plugins import Calibratable, load_family
from genreason.types import Puzzle, Video
from genreason.video import read_video
from puzzles.negatives import Case

DEGRADATIONS = ["clean", "fps-drop"]  # two, to stay quick: ~12 s on 2 idle cores


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    out = tmp_path_factory.mktemp("calibration")
    result = run_calibration(CalibrationConfig(out=out, families=["maze"], n=1, jobs=2, degradations=DEGRADATIONS))
    return out, result


@pytest.mark.parametrize("name", ["maze", "trapfield"])
def test_grid_families_are_calibratable_and_label_their_cases(name):
    family = load_family(name)
    assert isinstance(family, Calibratable)
    puzzle = family.generate(0, "medium", family.skins[0], f"{name}/medium/000000")
    cases = family.calibration_cases(puzzle, 0)
    assert all(isinstance(c, Case) and c.frames.dtype == np.uint8 and c.frames.ndim == 4 for c in cases)
    assert [c.name for c in cases if c.legal] == ["oracle"]
    assert np.array_equal(cases[0].frames[0], puzzle.frame0())
    names = {c.name for c in cases}
    word = family.blocked_name
    assert {f"{word}-glide", f"{word}-jump-between-frames", f"steps-on-{word}-and-back", "vanish-mid-path",
            "duplicated", "goal-moved", "stops-one-short", "leaves-the-goal", "static", "camera-pans",
            "camera-zooms"} <= names
    assert len(names) == len(cases)


def test_tiny_run_writes_consistent_files_and_accepts_no_illegal_video(tiny):
    out, result = tiny
    rows = [json.loads(line) for line in (out / "verdicts.jsonl").read_text().splitlines()]
    cases = {r["case"] for r in rows}
    assert len(rows) == len(cases) * len(DEGRADATIONS) == len(result.rows)

    confusion = json.loads((out / "confusion.json").read_text())
    cells = confusion["families"]["maze"]
    assert list(cells) == DEGRADATIONS
    for degradation, cell in cells.items():
        assert sum(cell[k] for k in COUNTS) == len(cases)
        outcome = Counter(r.outcome for r in result.rows if r.degradation == degradation)
        assert {k: cell[k] for k in COUNTS} == {k: outcome[k] for k in COUNTS}
    assert confusion["totals"]["false_accept"] == 0
    assert cells["clean"]["true_accept"] == 1  # the oracle, untouched

    # Violations between two frames (the fast crossing) are skipped (not judged) under frame dropping only.
    puzzle = Puzzle.load(out / "puzzles" / rows[0]["puzzle"])
    single = {c.name for c in load_family("maze").calibration_cases(puzzle, 0) if c.single_frame}
    assert "wall-jump-between-frames" in single
    skipped = [(r["case"], r["degradation"]) for r in rows if r["status"] == "skipped"]
    assert sorted(skipped) == sorted((name, "fps-drop") for name in single)
    for r in rows:
        if r["status"] != "skipped":
            assert (out / "videos" / r["puzzle"] / f"{r['case']}__{r['degradation']}.mp4").is_file()
            assert r["video"].endswith(f"{r['puzzle']}/{r['case']}__{r['degradation']}.mp4")
    assert (out / "puzzles" / rows[0]["puzzle"] / "puzzle.json").is_file()
    assert (out / "confusion.md").read_text().startswith("| family | degradation |")


def test_restyle_columns_redraw_the_agent_and_skip_families_without_one(tmp_path):
    columns = list(RESTYLE_COLUMNS)
    result = run_calibration(CalibrationConfig(out=tmp_path, families=["trapfield", "sudoku"], n=2, jobs=2,
                                               degradations=columns))
    trap = [r for r in result.rows if r.family == "trapfield"]
    assert {r.status for r in trap} == {"ok"}
    assert set(Counter((r.puzzle, r.case) for r in trap).values()) == {len(columns)}
    # One variant per puzzle and column, in turn.
    variants = {(r.puzzle, r.degradation): r.variant for r in trap}
    assert sorted(variants.values()) == sorted(v for vs in RESTYLE_COLUMNS.values() for v in vs)
    assert [r.case for r in trap if r.accepted] == ["oracle"] * 4  # accepted however the agent is redrawn
    assert all(r.accepted is False for r in trap if not r.legal)
    sudoku = [r for r in result.rows if r.family == "sudoku"]
    assert sudoku and all(r.status == "skipped" and "no agent" in r.reason for r in sudoku)
    assert list(result.confusion["sudoku"]) == columns
    assert main(["calibrate", "--family", "maze", "--degradation", "sepia", "--out", str(tmp_path / "x")]) == 2


def test_unknown_names_are_bad_input(tmp_path):
    with pytest.raises(UnknownName):
        degradation_names(["clean", "sepia"])
    assert main(["calibrate", "--family", "chess", "--out", str(tmp_path)]) == 2
    assert not any(tmp_path.iterdir())


def test_a_combined_column_names_its_parts_in_order():
    assert parse_column("resize-480x832+h264-low") == Column(None, ("resize-480x832", "h264-low"))
    assert parse_column("blur+agent-reshaped+noise") == Column("agent-reshaped", ("blur", "noise"))
    assert parse_column("clean") == Column(None, ())
    assert parse_column("h264-low+fps-jitter").drops_frames and not parse_column("blur+noise").drops_frames
    with pytest.raises(UnknownName, match="'sepia'"):
        parse_column("blur+sepia")
    with pytest.raises(GenreasonError, match="twice"):
        parse_column("agent-reshaped+agent-recoloured")
    assert degradation_names(["blur+noise", "clean", "blur+noise"]) == ["blur+noise", "clean"]


def test_a_combined_column_restyles_then_degrades_every_part(tmp_path):
    column = "agent-recoloured+fps-drop+blur"
    result = run_calibration(CalibrationConfig(out=tmp_path, families=["trapfield"], n=1, jobs=2,
                                               degradations=[column]))
    judged = [r for r in result.rows if r.status == "ok"]
    assert judged and {r.variant for r in judged} == {RESTYLE_COLUMNS["agent-recoloured"][0]}
    # The frame-dropping part skips the single-frame violations, as fps-drop alone does.
    skipped = {r.case for r in result.rows if r.status == "skipped"}
    puzzle = Puzzle.load(tmp_path / "puzzles" / result.rows[0].puzzle)
    assert skipped == {c.name for c in load_family("trapfield").calibration_cases(puzzle, 0) if c.single_frame}
    oracle = next(r for r in judged if r.case == "oracle")
    assert oracle.accepted and all(r.accepted is False for r in judged if not r.legal)
    # Every part was applied: half the frames (fps-drop), each blurred (nearer the blurred frame than the sharp one).
    case = next(c for c in load_family("trapfield").calibration_cases(puzzle, 0, restyle=oracle.variant)
                if c.name == "oracle")
    video = read_video(oracle.video)
    assert video.num_frames == (len(case.frames) + 1) // 2
    last = video.frame(video.num_frames - 1).astype(int)
    sharp = case.frames[2 * (video.num_frames - 1)]
    blurred = blur(Video(sharp[None], case.fps)).frames[0]
    assert np.abs(last - blurred).mean() < 0.5 * np.abs(last - sharp).mean()
    assert main(["calibrate", "--family", "maze", "--degradation", "blur+sepia", "--out", str(tmp_path / "x")]) == 2
