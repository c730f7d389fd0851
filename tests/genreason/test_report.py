"""genreason report: the HTML page, its data, its charts, and how it renders in a real browser."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import genreason.report
import genreason.runner
from genreason.cli import main
from genreason.errors import BadInput
from genreason.metrics import summarize
from genreason.report import PAGE_SIZE, build_report
from genreason.report.charts import Series, line_chart, nice_ticks
from genreason.report.page import sweep_series
from genreason.report.previews import sheet_indices
from genreason.store import RunFolder, RunManifest, SuiteRef
from genreason.types import ComponentSpec, Event, Puzzle, SampleRecord, Verdict, Video
from genreason.video import write_mp4

CELL = 16
REFERENCE = [[1, 1], [1, 2], [2, 2]]  # the grid puzzle's solution, as cells
HOSTILE_PROMPT = 'walk </script><script>window.pwned=1</script> then {{js}} & "stop"'


def grid_puzzle() -> Puzzle:
    image = np.full((64, 64, 3), 200, dtype=np.uint8)
    image[CELL:2 * CELL, CELL:2 * CELL] = (220, 30, 30)  # the agent on cell (1, 1)
    return Puzzle(id="grid/easy/000000", family="grid", family_version="1", difficulty="easy", skin="plain",
                  seed=11, prompt="go to the goal", width=64, height=64,
                  layout={"rows": 4, "cols": 4, "cell_size": CELL, "origin": [0, 0]},
                  solution={"path": REFERENCE}, image=image)


def pathless_puzzle() -> Puzzle:
    return Puzzle(id="toy/hard/000000", family="toy", family_version="1", difficulty="hard", skin="dark",
                  seed=12, prompt=HOSTILE_PROMPT, width=48, height=32, layout={}, solution={},
                  image=np.full((32, 48, 3), 90, dtype=np.uint8))


def moving_video(n: int = 12) -> Video:
    frames = np.full((n, 64, 64, 3), 200, dtype=np.uint8)
    for t in range(n):
        frames[t, 16:32, 16 + t * 2:32 + t * 2] = (220, 30, 30)
    return Video(frames=frames, fps=8.0)


def verdict(success: bool, **kwargs) -> Verdict:
    return Verdict(verifier="grid", verifier_version="1", success=success, **kwargs)


def record(puzzle: Puzzle, index: int, video: str | None, **kwargs) -> SampleRecord:
    return SampleRecord(sample_id=f"{puzzle.id}#{index}", puzzle_id=puzzle.id, family=puzzle.family,
                        difficulty=puzzle.difficulty, skin=puzzle.skin, index=index, seed=index,
                        prompt=kwargs.pop("prompt", puzzle.prompt), video=video, **kwargs)


def make_run(root: Path, extra_copies: int = 0) -> list[SampleRecord]:
    """A run folder with one sample of every outcome: success, not solved, unreadable, error, corrupt video.

    ``extra_copies`` adds that many more not-solved samples of the grid puzzle (for paging).
    """
    grid, toy = grid_puzzle(), pathless_puzzle()
    folder = RunFolder(root)
    folder.start(RunManifest(
        suite=SuiteRef(name="tiny", version="1", source="test", n_puzzles=2, puzzle_ids_sha256="0"),
        families={"grid": "1", "toy": "1"}, sampler=ComponentSpec(name="fake", args={"steps": 3}),
        verifiers={"grid": ComponentSpec(name="grid"), "toy": ComponentSpec(name="toy")},
        samples=3 + extra_copies, seed=0))
    grid.save(folder.puzzle_dir(grid.id))
    toy.save(folder.puzzle_dir(toy.id))
    write_mp4(folder.video_path(grid.id, 0), moving_video())
    (root / "videos" / "corrupt.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(200))
    track = [(24.0 + 2 * t, 24.0) for t in range(6)] + [None] * 2 + [(40.0, 24.0 + 2 * t) for t in range(4)]
    wall = Event(frame=9, kind="wall_crossed", message="frame 9: the agent crossed the wall cell (2, 1)")
    records = [
        record(grid, 0, "videos/grid__easy__000000__s0.mp4",
               verdict=verdict(True, metrics={"sr": 1.0, "em": 1.0}, trajectory=track)),
        record(grid, 1, "videos/grid__easy__000000__s0.mp4",
               verdict=verdict(False, metrics={"sr": 1.0, "em": 0.0}, trajectory=track, events=[wall])),
        record(grid, 2, "videos/corrupt.mp4", verdict=verdict(False, metrics={"sr": 0.0, "em": 0.0})),
        record(toy, 0, "videos/grid__easy__000000__s0.mp4", prompt=HOSTILE_PROMPT,
               verdict=verdict(False, status="unreadable", reason="the board is not in the video")),
        record(toy, 1, None, status="error", error="sampler 'fake' failed: out of memory"),
    ]
    records += [record(grid, 3 + i, "videos/grid__easy__000000__s0.mp4",
                       verdict=verdict(False, metrics={"sr": 0.0, "em": 0.0}, events=[wall]))
                for i in range(extra_copies)]
    for r in records:
        folder.journal.append(r)
    folder.write_summary(summarize(records, 3 + extra_copies))
    return records


def page_data(html: str) -> dict:
    blob = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', html, re.DOTALL)
    assert blob is not None
    return json.loads(blob.group(1))


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("run")
    make_run(root)
    return root


@pytest.fixture(scope="module")
def report_html(run_dir) -> str:
    result = build_report(run_dir)
    assert result.path == run_dir / "report.html" and result.samples == 5
    html = result.path.read_text(encoding="utf-8")
    assert result.bytes == len(html.encode("utf-8"))
    return html


# -- the page's data ------------------------------------------------------------------------------

def test_one_card_per_sample_with_its_outcome(report_html):
    cards = {c["id"]: c for c in page_data(report_html)["cards"]}
    assert list(cards) == ["grid/easy/000000#0", "grid/easy/000000#1", "grid/easy/000000#2",
                           "toy/hard/000000#0", "toy/hard/000000#1"]
    assert [c["outcome"] for c in cards.values()] == ["success", "not solved", "not solved", "unreadable", "error"]
    assert cards["toy/hard/000000#0"]["reason"] == "the board is not in the video"
    assert cards["toy/hard/000000#1"]["reason"] == "sampler 'fake' failed: out of memory"
    failed = cards["grid/easy/000000#1"]
    assert failed["reason"].startswith("frame 9:")
    assert failed["events"] == [[9, "wall_crossed", "frame 9: the agent crossed the wall cell (2, 1)"]]
    assert failed["seed"] == 1 and failed["prompt"] == "go to the goal" and failed["skin"] == "plain"
    assert failed["trajectory"][:2] == [[24.0, 24.0], [26.0, 24.0]] and failed["trajectory"][6] is None
    assert failed["video"] == "videos/grid__easy__000000__s0.mp4"


def test_previews_and_what_a_card_says_when_the_video_is_bad(report_html):
    cards = {c["id"]: c for c in page_data(report_html)["cards"]}
    good = cards["grid/easy/000000#1"]
    assert good["sheet"].startswith("data:image/jpeg;base64,") and good["frames"] == 12 and good["fps"] == 8.0
    corrupt = cards["grid/easy/000000#2"]
    assert corrupt["sheet"] is None and "corrupt.mp4" in corrupt["video_problem"]
    missing = cards["toy/hard/000000#1"]
    assert missing["sheet"] is None and missing["video"] is None and missing["video_problem"]


def test_reference_path_for_grid_puzzles_only(report_html):
    puzzles = page_data(report_html)["puzzles"]
    grid = puzzles["grid/easy/000000"]
    assert grid["reference"] == [[24.0, 24.0], [40.0, 24.0], [40.0, 40.0]]  # cell centres in frame0 pixels
    assert grid["width"] == 64 and grid["image"].startswith("data:image/jpeg;base64,")
    assert puzzles["toy/hard/000000"]["reference"] is None


def test_hostile_text_cannot_break_out_of_the_data(report_html):
    assert "</script><script>window.pwned" not in report_html
    card = next(c for c in page_data(report_html)["cards"] if c["id"] == "toy/hard/000000#0")
    assert card["prompt"] == HOSTILE_PROMPT
    assert report_html.count("// Renders one page of sample cards") == 1  # "{{js}}" in a prompt stays text


def assert_local_urls(html: str) -> int:
    """Every src/href is a data URL or a relative path (no scheme, no host); returns how many there are."""
    urls = re.findall(r'\b(?:src|href)\s*=\s*["\']([^"\']*)', html)
    for url in urls:
        assert url.startswith("data:") or not re.match(r"^[a-z][a-z0-9+.-]*:|^//", url, re.IGNORECASE), url
    return len(urls)


def test_the_page_is_self_contained(report_html):
    assert_local_urls(report_html)  # the static part: tables and charts
    assert not re.search(r"<(?:link|script|img|iframe)[^>]+(?:href|src)=", report_html)
    assert "@import" not in report_html and "url(" not in report_html
    data = page_data(report_html)  # what the script turns into src and href attributes
    images = [p["image"] for p in data["puzzles"].values()] + [c["sheet"] for c in data["cards"]]
    assert all(i is None or i.startswith("data:image/jpeg;base64,") for i in images) and any(images)
    assert all(c["video"] is None or not re.match(r"^[a-z]+:|^/", c["video"]) for c in data["cards"])


def test_summary_table_and_pass_at_k_chart(report_html):
    table = re.search(r'<table class="summary">.*?</table>', report_html, re.DOTALL).group(0)
    assert table.count('<tr class="level-difficulty">') == 2
    assert "0.333 [0.06, 0.79]" in table  # grid: 1 of 3, Wilson 95%
    assert "<th>pass@3</th>" in table and "<th>pass@4</th>" not in table
    assert "pass@k against k" in report_html
    assert 'data-name="grid/easy"' in report_html and 'data-name="toy/hard"' in report_html
    assert "best-of-N" not in report_html and "video length" not in report_html  # this run has neither
    assert "sampler</th><td>fake (steps=3)" in report_html


# -- unusual run folders -------------------------------------------------------------------------

def test_missing_or_corrupt_summary_is_computed_from_the_samples(tmp_path):
    make_run(tmp_path)
    expected = (tmp_path / "summary.json").read_text()
    (tmp_path / "summary.json").unlink()
    html = build_report(tmp_path).path.read_text()
    assert "summary.json is missing" in html and "0.333 [0.06, 0.79]" in html
    (tmp_path / "summary.json").write_text('{"format": "genreason.summary", "version": 1, "samples": "x"}')
    html = build_report(tmp_path).path.read_text()
    assert "summary.json could not be read" in html and "0.333 [0.06, 0.79]" in html
    (tmp_path / "summary.json").write_text(expected)
    assert "could not be read" not in build_report(tmp_path).path.read_text()


def test_a_missing_first_frame_is_said_on_its_cards(tmp_path):
    make_run(tmp_path)
    (tmp_path / "puzzles" / "toy" / "hard" / "000000" / "frame0.png").unlink()
    data = page_data(build_report(tmp_path).path.read_text())
    toy = data["puzzles"]["toy/hard/000000"]
    assert toy["image"] is None and "frame0.png: image not found" in toy["problem"]
    assert data["puzzles"]["grid/easy/000000"]["image"]  # the other puzzle is unaffected


def test_not_a_run_folder(tmp_path, capsys):
    with pytest.raises(BadInput, match="no samples.jsonl"):
        build_report(tmp_path)
    with pytest.raises(BadInput, match="run folder not found"):
        build_report(tmp_path / "nowhere")
    (tmp_path / "file.txt").write_text("x")
    assert main(["report", str(tmp_path / "file.txt")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file, expected a run folder" in err


def test_report_command_writes_where_asked(tmp_path, capsys):
    make_run(tmp_path / "run")
    out = tmp_path / "elsewhere" / "page.html"
    out.parent.mkdir()
    assert main(["report", str(tmp_path / "run"), "-o", str(out)]) == 0
    assert f"wrote {out} (5 samples" in capsys.readouterr().out
    assert not (tmp_path / "run" / "report.html").exists()
    cards = page_data(out.read_text())["cards"]
    assert cards[0]["video"] == "../run/videos/grid__easy__000000__s0.mp4"  # relative to the page


def test_a_score_folder_finds_puzzles_where_the_records_say(tmp_path):
    run = tmp_path / "run"
    make_run(run)
    scored = tmp_path / "scored"
    scored.mkdir()
    lines = []
    for r in RunFolder(run).journal.read():
        data = r.model_dump(mode="json")
        data["video"] = str(run / r.video) if r.video else None
        data["extra"] = {"puzzle_file": str(run / "puzzles" / r.puzzle_id / "puzzle.json")}
        lines.append(json.dumps(data))
    (scored / "samples.jsonl").write_text("\n".join(lines) + "\n")
    html = build_report(scored).path.read_text()
    data = page_data(html)
    assert data["puzzles"]["grid/easy/000000"]["reference"] == [[24.0, 24.0], [40.0, 24.0], [40.0, 40.0]]
    assert data["cards"][0]["sheet"] and data["cards"][0]["video"] == "../run/videos/grid__easy__000000__s0.mp4"
    assert "genreason report: scored" in html


# -- bench writes the report ---------------------------------------------------------------------

def fake_bench(config):
    return summarize(make_run(config.out), 3)


def test_bench_writes_a_report_unless_told_not_to(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(genreason.runner, "run_bench", fake_bench)
    assert main(["bench", "--model", "fake", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    assert f"report: {tmp_path / 'a' / 'report.html'}" in capsys.readouterr().out
    assert (tmp_path / "a" / "report.html").is_file()
    assert main(["bench", "--model", "fake", "--out", str(tmp_path / "b"), "--quiet", "--no-report"]) == 0
    assert "report:" not in capsys.readouterr().out
    assert not (tmp_path / "b" / "report.html").exists()


def test_a_failing_report_only_warns(tmp_path, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(genreason.runner, "run_bench", fake_bench)
    monkeypatch.setattr(genreason.report, "build_report", broken)
    assert main(["bench", "--model", "fake", "--out", str(tmp_path / "a"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert "run folder:" in captured.out and "success" in captured.out
    assert "warning: could not write the report (RuntimeError: disk on fire)" in captured.err
    assert len(RunFolder(tmp_path / "a").journal.read()) == 5  # the run is intact


def test_score_writes_a_report_and_keeps_json_stdout_clean(tmp_path, capsys, monkeypatch):
    import genreason.score

    def fake_score(puzzles, videos, out, jobs=1, on_record=None, tracker="classical"):
        records = make_run(out)
        return genreason.score.ScoreResult(records, summarize(records, 3), {})

    monkeypatch.setattr(genreason.score, "score", fake_score)
    (tmp_path / "p").mkdir()
    (tmp_path / "v").mkdir()
    argv = ["score", "--puzzles", str(tmp_path / "p"), "--videos", str(tmp_path / "v")]
    assert main([*argv, "--out", str(tmp_path / "a"), "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["format"] == "genreason.summary"  # nothing else on stdout
    assert f"report: {tmp_path / 'a' / 'report.html'}" in captured.err
    assert (tmp_path / "a" / "report.html").is_file()
    assert main([*argv, "--out", str(tmp_path / "b"), "--no-report"]) == 0
    assert not (tmp_path / "b" / "report.html").exists()


# -- charts and frame choice ----------------------------------------------------------------------

def test_line_chart_draws_every_series_with_a_legend():
    svg = line_chart([Series("maze", [(1, 0.2), (2, 0.5), (4, 0.7)]), Series("sudoku", [(1, 0.0)], dashed=True),
                      Series("empty", [])], title="pass@k", x_label="k", y_label="rate", integer_x=True)
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert svg.count("<polyline") == 2 and svg.count("<circle") == 4
    assert ">maze</text>" in svg and ">sudoku</text>" in svg and "empty" not in svg
    assert 'stroke-dasharray="5 3"' in svg
    x_ticks = re.findall(r'text-anchor="middle" class="tick">([^<]+)<', svg)
    y_ticks = re.findall(r'text-anchor="end" class="tick">([^<]+)<', svg)
    assert x_ticks == ["1", "2", "3", "4"]  # whole numbers only: no k = 1.5
    assert y_ticks == ["0", "0.2", "0.4", "0.6", "0.8", "1"]
    assert "no data" in line_chart([], title="t", x_label="x", y_label="y")


def test_line_chart_escapes_names():
    svg = line_chart([Series("<b>&", [(1, 1.0)])], title="a<b", x_label="x", y_label="y")
    assert "<b>&" not in svg and "&lt;b&gt;&amp;" in svg


def test_nice_ticks():
    assert nice_ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1.0]
    assert nice_ticks(0, 81) == [0, 20, 40, 60, 80]
    assert nice_ticks(3, 3) == [3]


def test_a_sweep_becomes_an_overall_curve_and_one_per_family():
    from genreason.sweep import Sweep, SweepCell, SweepPoint

    def cell(success: float) -> SweepCell:
        return SweepCell(success=success, n_samples=2, n_errors=0)

    sweep = Sweep(model=ComponentSpec(name="oracle"), suite="all", samples=1, seed=0, limit=1, points=[
        SweepPoint(value=value, run=f"num_frames-{value}", overall=cell(ok),
                   families={"maze": cell(ok), "trapfield": cell(ok / 2)})
        for value, ok in ((17, 0.5), (33, 1.0))])
    series = {s.name: list(s.points) for s in sweep_series(sweep.model_dump(mode="json"))}
    assert series == {"all": [(17, 0.5), (33, 1.0)], "maze": [(17, 0.5), (33, 1.0)],
                      "trapfield": [(17, 0.25), (33, 0.5)]}
    assert sweep_series(["not", "a", "sweep"]) == []
    assert sweep_series({"points": [{"num_frames": 33, "success": 0.1}]}) == []


def test_sheet_frames_span_the_video_and_include_event_frames():
    assert sheet_indices(5) == [0, 1, 2, 3, 4]
    plain = sheet_indices(81)
    assert len(plain) == 8 and plain[0] == 0 and plain[-1] == 80
    with_event = sheet_indices(81, [37, 37, 200])
    assert 37 in with_event and with_event[0] == 0 and with_event[-1] == 80 and len(with_event) == 8


# -- in a real browser -----------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                    "(apt-get install chromium; .ci/run installs it)")
ARTIFACTS = Path(__file__).resolve().parents[2] / "results" / "test-artifacts"


def chromium(url: str, profile: Path, *args: str) -> subprocess.CompletedProcess:
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile}",
               "--enable-logging=stderr", "--v=0", "--hide-scrollbars", *args, url]
    return subprocess.run(command, capture_output=True, encoding="utf-8", errors="replace", timeout=120, check=False)


def script_errors(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines()
            if "Uncaught" in line or ("CONSOLE" in line and ":ERROR:" in line)]


@needs_chromium
def test_the_report_renders_in_chromium_without_script_errors(tmp_path):
    make_run(tmp_path / "run", extra_copies=PAGE_SIZE)  # 55 samples: two pages
    page = build_report(tmp_path / "run").path
    done = chromium(page.as_uri(), tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    assert script_errors(done.stderr) == []
    assert re.search(r"<html[^>]*data-js-errors", dom) is None
    assert f'data-rendered="{PAGE_SIZE}"' in dom and 'data-matching="55"' in dom
    assert dom.count('<article class="card') == PAGE_SIZE
    assert "samples 1–50 of 55 (page 1 of 2)" in dom
    assert 'data-sample="grid/easy/000000#0"' in dom and 'class="card success"' in dom
    assert dom.count('class="reference"') == PAGE_SIZE  # every card on this page is of the grid puzzle
    assert 'class="trajectory"' in dom and 'class="sheet"' in dom
    assert "video unavailable: " in dom  # the corrupt video's card says so
    assert "window.pwned" not in dom.split('id="report-data"')[0]
    assert assert_local_urls(dom) >= 2 * PAGE_SIZE  # images and video links, all local

    # A filter from the address (the same state the selects set): only the failures of the toy family.
    filtered = chromium(page.as_uri() + "#outcome=failures&family=toy", tmp_path / "profile", "--dump-dom")
    assert script_errors(filtered.stderr) == []
    assert 'data-matching="2"' in filtered.stdout
    assert 'data-outcome="unreadable"' in filtered.stdout and 'data-outcome="error"' in filtered.stdout

    # The error detection itself: a page whose data is damaged must be caught by both checks.
    broken = tmp_path / "broken.html"
    broken.write_text(re.sub(r'(id="report-data">)\{', r"\1{oops", page.read_text()))
    failed = chromium(broken.as_uri(), tmp_path / "profile", "--dump-dom")
    assert re.search(r'<html[^>]*data-js-errors="1"', failed.stdout)
    assert any("Uncaught" in line for line in script_errors(failed.stderr))

    shot = tmp_path / "report.png"
    taken = chromium(page.as_uri(), tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,2000")
    assert taken.returncode == 0 and shot.stat().st_size > 10_000
    ARTIFACTS.mkdir(parents=True, exist_ok=True)  # results/ is git-ignored: kept for a person to look at
    shutil.copy(shot, ARTIFACTS / "report.png")


def test_cards_follow_the_tables_order_not_the_alphabet(tmp_path):
    folder = RunFolder(tmp_path)
    folder.journal.path.parent.mkdir(parents=True, exist_ok=True)
    for difficulty in ("easy", "medium", "hard"):  # the suite's order; alphabetically hard < medium
        puzzle = grid_puzzle().model_copy(update={"id": f"grid/{difficulty}/000000", "difficulty": difficulty})
        folder.journal.append(record(puzzle, 0, None, status="error", error="no video"))
    ids = [c["id"] for c in page_data(build_report(tmp_path).path.read_text())["cards"]]
    assert ids == ["grid/easy/000000#0", "grid/medium/000000#0", "grid/hard/000000#0"]
