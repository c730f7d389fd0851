import importlib.util
import json
from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from doubles import BRIGHT, DARK, ToySampler, family_for, verifier_for, write_suite
from llm_server import Reply, serve

from genreason.cli import main
from genreason.errors import RunMismatch
from genreason.refine import RefineConfig, format_rounds_table, run_refine
from genreason.refine.llm import LLMSettings
from genreason.refine.records import Critique, RoundRecord
from genreason.refine.rewriters import TemplateRewriter, bound_words
from genreason.store import Journal
from genreason.types import ComponentSpec, SampleRecord, SampleRequest, Video

KEY = "sk-test-DO-NOT-LEAK-4711"
# The chat tests need the optional `llm` extra (.ci/run installs it).
needs_openai = pytest.mark.skipif(importlib.util.find_spec("openai") is None, reason="needs genreason[llm]")
SHORT = ["-a", "frames_per_step=2", "-a", "hold_frames=2"]  # shorter baseline videos: faster tests
ONE_MAZE = """\
name = "one-maze"
version = "1"
seed = 0

[[entries]]
family = "maze"
difficulties = ["easy"]
count = 1
"""


ONE_TOY = """\
name = "toy"
version = "1"
seed = 7

[[entries]]
family = "toy"
difficulties = ["easy"]
count = 1
"""


class PromptSampler:
    """Solves (bright last frame) only when the prompt carries an ``Avoid:`` section, i.e. after a rewrite."""

    name = "prompt-toy"
    max_batch = 3

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name)

    def generate(self, requests: Sequence[SampleRequest]) -> Iterator[Video]:
        for request in requests:
            self.prompts.append(request.prompt)
            frames = np.repeat(request.image[None], 4, axis=0).copy()
            frames[-1] = BRIGHT if "Avoid:" in request.prompt else DARK
            yield Video(frames=frames, fps=8.0)


def config(tmp_path, **changes) -> RefineConfig:
    fields = {"model": ComponentSpec(name="toy"), "suite": str(write_suite(tmp_path)), "limit": 1, "rounds": 2,
              "width": 2, "out": tmp_path / "run", "jobs": 1, "quiet": True}
    return RefineConfig(**(fields | changes))


def refine(cfg, sampler, **kw):
    return run_refine(cfg, sampler=sampler, verifier_for=verifier_for, family_for=family_for, **kw)


def lines(path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_rounds_rewrite_the_prompt_and_the_table_shows_the_gain(tmp_path):
    cfg = config(tmp_path)
    sampler = PromptSampler()
    summary = refine(cfg, sampler)

    rounds = lines(cfg.out / "rounds.jsonl")
    assert [(r["puzzle_id"], r["round"]) for r in rounds] == [
        ("toy/easy/000000", 0), ("toy/hard/000000", 0), ("toy/easy/000000", 1), ("toy/hard/000000", 1),
        ("toy/easy/000000", 2), ("toy/hard/000000", 2)]
    first, second, last = (r for r in rounds if r["puzzle_id"] == "toy/easy/000000")
    assert first["prompt"] == "solve toy/easy/000000"
    assert "goal not reached" in first["critique"]["text"] and "both candidates" in first["critique"]["text"]
    assert first["next_prompt"].startswith("solve toy/easy/000000 Avoid: goal not reached")
    assert second["prompt"] == first["next_prompt"]
    assert second["critique"] is None and second["next_prompt"] == second["prompt"]  # all solved: kept
    assert last["critique"] is None and last["next_prompt"] is None  # nothing would use it
    # Distinct recorded seeds: round 0 as bench (seed + i), later rounds derived per round.
    seeds = [c["seed"] for r in (first, second, last) for c in r["candidates"]]
    assert seeds[:2] == [0, 1] and len(set(seeds)) == 6
    samples = lines(cfg.out / "samples.jsonl")
    assert len(samples) == 12 and {s["extra"]["round"] for s in samples} == {0, 1, 2}
    assert all((cfg.out / s["video"]).is_file() for s in samples)
    assert "__r1__s0.mp4" in samples[4]["video"]

    assert [row.pass_at_width for row in summary.rows] == [0.0, 1.0, 1.0]
    assert [row.mean_success for row in summary.rows] == [0.0, 1.0, 1.0]
    assert [row.best_so_far for row in summary.rows] == [0.0, 1.0, 1.0]
    assert all(pick.success and pick.round == 1 and pick.sample_id.endswith("#r1s0") for pick in summary.final)
    assert json.loads((cfg.out / "summary.json").read_text()) == summary.model_dump(mode="json")
    manifest = json.loads((cfg.out / "refine.json").read_text())
    assert manifest["format"] == "genreason.refine" and manifest["width"] == 2 and manifest["rounds"] == 2
    assert manifest["critic"] == {"name": "verifier", "args": {}} and manifest["sampler"]["name"] == "prompt-toy"
    table = format_rounds_table(summary).splitlines()
    assert table[0].split()[:4] == ["round", "puzzles", "candidates", "pass@2"]
    assert table[1].split()[:4] == ["0", "2", "4", "0.000"] and table[2].split()[:4] == ["1", "2", "4", "1.000"]


def test_straight_line_on_a_real_maze_is_critiqued_for_its_wall_crossings(tmp_path, capsys):
    suite = tmp_path / "one-maze.toml"
    suite.write_text(ONE_MAZE)
    out = tmp_path / "run"
    code = main(["refine", "--model", "straight-line", *SHORT, "--suite", str(suite), "--rounds", "1", "--width", "2",
                 "--max-words", "45", "--out", str(out), "--jobs", "1", "--quiet"])
    printed = capsys.readouterr().out
    assert code == 0
    assert printed.splitlines()[0].split()[:4] == ["round", "puzzles", "candidates", "pass@2"]
    assert printed.splitlines()[1].split()[:4] == ["0", "1", "2", "0.000"]

    first, second = lines(out / "rounds.jsonl")
    critique = first["critique"]
    assert critique["critic"] == "verifier"
    assert "In both candidates, the agent crossed the wall cell" in critique["text"]
    assert "Both candidates ended on the goal" in critique["text"]
    assert all(c["events"] and set(c["events"]) == {"wall_crossed"} for c in first["candidates"])
    assert critique["avoid"][0].startswith("crossing the wall cell")
    assert first["next_prompt"].startswith(first["prompt"])
    assert "Avoid: crossing the wall cell" in first["next_prompt"]
    assert len(first["next_prompt"].split()) <= 45  # bounded: not every crossing fits
    assert second["prompt"] == first["next_prompt"]
    samples = [SampleRecord.model_validate(s) for s in lines(out / "samples.jsonl")]
    assert [s.prompt for s in samples] == [first["prompt"]] * 2 + [first["next_prompt"]] * 2
    assert not any(s.success for s in samples) and all(s.verdict for s in samples)


def test_prompts_are_bounded_and_cut_cleanly():
    text = "First sentence here. Second one is longer than the rest of them. Third."
    assert bound_words(text, 100) == text
    assert bound_words(text, 5) == "First sentence here."  # the last whole sentence that fits
    # ... unless that would drop more than half of the words allowed: then whole words, and a full stop.
    assert bound_words(text, 8) == "First sentence here. Second one is longer than."
    assert bound_words("one two three four five six", 4) == "one two three four."  # no sentence: whole words
    assert bound_words("  spaced \n  out  ", 5) == "spaced out"

    many = Critique(critic="verifier", text="x", avoid=[f"crossing the wall cell ({i}, {i})" for i in range(50)],
                    ensure=["the agent stays on the path"])
    prompt = TemplateRewriter().rewrite("Solve the maze.", "Solve the maze.", many, max_words=30)
    assert len(prompt.split()) <= 30
    assert prompt.startswith("Solve the maze. Avoid: crossing the wall cell (0, 0); ")
    assert "(49, 49)" not in prompt  # what did not fit was left out, not cut in half
    free = Critique(critic="llm", text="The agent drifted. " * 100)
    noted = TemplateRewriter().rewrite("Solve.", "Solve.", free, max_words=20)
    assert noted.startswith("Solve. Note: The agent drifted.") and len(noted.split()) <= 20


def _llm_config(tmp_path, url, **changes):
    settings = LLMSettings(model="canned-vlm", base_url=url, api_key=KEY, backoff_s=0.5, max_attempts=3)
    return config(tmp_path, critic="llm", rewriter="llm", llm=settings, rounds=1, **changes)


def _answer(body) -> Reply:
    system = body["messages"][0]["content"]
    if "review candidate videos" in system:
        return Reply(content='Here: {"analysis": "Both stayed still.", "avoid": ["standing still"], '
                             '"ensure": ["the agent moves"]}')
    return Reply(content='"Prompt: Move the agent to the goal; Avoid: standing still."')


@needs_openai
def test_llm_critic_and_rewriter_see_the_frames_and_the_task(tmp_path):
    with serve(_answer) as (url, server):
        cfg = _llm_config(tmp_path, url)
        summary = refine(cfg, PromptSampler(), sleep=lambda s: None)

    critic_calls = [r for r in server.requests if "review candidate videos" in r["messages"][0]["content"]]
    rewriter_calls = [r for r in server.requests if r not in critic_calls]
    assert len(critic_calls) == len(rewriter_calls) == 2  # one each per puzzle, none for the last round
    parts = critic_calls[0]["messages"][1]["content"]
    texts = " ".join(p["text"] for p in parts if p["type"] == "text")
    images = [p["image_url"]["url"] for p in parts if p["type"] == "image_url"]
    assert "solve toy/easy/000000" in texts and "Rules:" in texts and "Candidate 2 (seed 1" in texts
    assert "None of the 2 candidates solved the puzzle" in texts  # the verifier's findings go along
    assert len(images) == 8 and all(u.startswith("data:image/jpeg;base64,") for u in images)  # 4 frames x 2
    assert critic_calls[0]["model"] == "canned-vlm"
    assert all(a == f"Bearer {KEY}" for a in server.auth) and set(server.paths) == {"/v1/chat/completions"}
    assert "Both stayed still." in rewriter_calls[0]["messages"][1]["content"]

    first = lines(cfg.out / "rounds.jsonl")[0]
    assert first["critique"] == {"critic": "llm", "text": "Both stayed still.", "avoid": ["standing still"],
                                 "ensure": ["the agent moves"]}
    assert first["next_prompt"] == "Move the agent to the goal; Avoid: standing still."  # label, quotes gone
    assert [row.pass_at_width for row in summary.rows] == [0.0, 1.0]
    manifest = json.loads((cfg.out / "refine.json").read_text())
    assert manifest["critic"]["args"]["model"] == "canned-vlm" and manifest["critic"]["args"]["base_url"] == url
    for path in cfg.out.rglob("*"):  # the key is never written anywhere
        assert not path.is_file() or KEY.encode() not in path.read_bytes(), path


@needs_openai
def test_rate_limits_are_retried_and_a_permanent_failure_is_a_failed_round(tmp_path):
    def answer(body):
        if "toy/hard" in json.dumps(body):
            return Reply(500, f"upstream broke (key {KEY})")
        return _answer(body)

    sleeps: list[float] = []
    with serve(answer) as (url, server):
        server.script = [Reply(429, "slow down", {"retry-after": "2"}), Reply(503, "busy")]
        cfg = _llm_config(tmp_path, url)
        summary = refine(cfg, PromptSampler(), sleep=sleeps.append)

    easy0, hard0, easy1, hard1 = lines(cfg.out / "rounds.jsonl")
    assert easy0["status"] == "ok" and easy0["next_prompt"] == easy1["prompt"]
    # 429 honoured its Retry-After (2 s over the 0.5 s backoff), then 503 backed off 1 s; then success.
    assert sleeps[:2] == [2.0, 1.0]
    assert hard0["status"] == "failed" and "HTTP 500" in hard0["error"] and "after 3 attempt(s)" in hard0["error"]
    assert KEY not in hard0["error"] and "***" in hard0["error"]  # the server echoed the key: scrubbed
    assert not any(KEY.encode() in p.read_bytes() for p in cfg.out.rglob("*") if p.is_file())
    assert hard0["next_prompt"] is None and hard1["prompt"] == hard0["prompt"]  # the last good prompt
    assert summary.rows[0].n_failed_rounds == 1 and summary.rows[1].pass_at_width == 0.5
    assert len(lines(cfg.out / "samples.jsonl")) == 8  # the run went on


@needs_openai
def test_an_error_no_retry_can_fix_fails_at_once(tmp_path):
    sleeps: list[float] = []
    with serve(lambda body: Reply(401, "bad key")) as (url, server):
        refine(_llm_config(tmp_path, url), PromptSampler(), sleep=sleeps.append)
    assert sleeps == [] and len(server.requests) == 2  # one try per puzzle
    assert all(r["status"] == "failed" and "HTTP 401" in r["error"]
               for r in lines(tmp_path / "run" / "rounds.jsonl") if r["round"] == 0)


@needs_openai
def test_a_server_too_slow_to_answer_times_out_and_the_round_fails(tmp_path):
    sleeps: list[float] = []
    with serve(lambda body: Reply(delay_s=0.5)) as (url, server):
        cfg = _llm_config(tmp_path, url, limit=None)
        cfg.llm.timeout_s = 0.1
        cfg.llm.max_attempts = 2
        refine(cfg.model_copy(update={"suite": str(write_suite(tmp_path, ONE_TOY))}), PromptSampler(),
               sleep=sleeps.append)
    (first, _) = lines(tmp_path / "run" / "rounds.jsonl")
    assert first["status"] == "failed" and "APITimeoutError" in first["error"] and "2 attempt(s)" in first["error"]
    assert sleeps == [0.5] and len(server.requests) == 2


def test_an_interrupted_run_resumes_without_redoing_anything(tmp_path):
    cfg = config(tmp_path)
    with pytest.raises(KeyboardInterrupt):
        refine(cfg, ToySampler(max_batch=1, interrupt_after=7))
    kept = {s["sample_id"] for s in lines(cfg.out / "samples.jsonl")}
    assert len(kept) == 7 and len(lines(cfg.out / "rounds.jsonl")) == 2  # round 0 closed, round 1 cut short
    with open(cfg.out / "rounds.jsonl", "a") as fh:  # what kill -9 during an append leaves
        fh.write('{"format": "genreason.refine-round", "version": 1, "puzzle_id": "toy/ha')

    sampler = ToySampler(max_batch=1)
    summary = refine(cfg, sampler)
    assert len(sampler.requested) == 12 - 7  # only the missing candidates
    ids = [s["sample_id"] for s in lines(cfg.out / "samples.jsonl")]
    assert len(ids) == len(set(ids)) == 12 and kept <= set(ids)
    keys = [(r.puzzle_id, r.round) for r in Journal(cfg.out / "rounds.jsonl", RoundRecord).read()]
    assert len(keys) == len(set(keys)) == 6
    assert summary.rows[0].pass_at_width == 1.0  # seed 0 (even) solves the toy

    again = ToySampler(max_batch=1)
    refine(cfg, again)
    assert again.calls == [] and len(lines(cfg.out / "rounds.jsonl")) == 6

    with pytest.raises(RunMismatch, match="different width"):
        refine(config(tmp_path, width=3), ToySampler())


def test_a_round_without_any_video_fails_and_the_next_reuses_its_prompt(tmp_path):
    cfg = config(tmp_path, rounds=1)
    summary = refine(cfg, ToySampler(fail_seeds=(0, 1)))  # round 0's seeds: the sampler breaks on both
    easy0, _, easy1, _ = lines(cfg.out / "rounds.jsonl")
    assert easy0["status"] == "failed" and easy0["error"] == "no candidate of this round could be judged"
    assert easy1["prompt"] == easy0["prompt"] == "solve toy/easy/000000"
    errors = [s for s in lines(cfg.out / "samples.jsonl") if s["status"] == "error"]
    assert len(errors) == 4 and all("out of memory" in s["error"] for s in errors)
    assert summary.rows[0].n_errors == 4 and summary.rows[0].n_failed_rounds == 2
    assert summary.rows[1].n_candidates == 4 and summary.rows[1].n_errors == 0


def test_an_llm_critic_needs_a_model_and_a_key(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    args = ["refine", "--model", "static", "--suite", "maze-smoke", "--critic", "llm", "--out", str(tmp_path / "r")]
    assert main(args + ["--llm-model", "m"]) == 2
    assert "OPENAI_API_KEY" in capsys.readouterr().err
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    assert main(args) == 2
    assert "--llm-model" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


@needs_openai
def test_the_cli_llm_critic_sees_a_real_maze_and_its_tracked_path(tmp_path, monkeypatch, capsys):
    suite = tmp_path / "one-maze.toml"
    suite.write_text(ONE_MAZE)
    out = tmp_path / "run"
    with serve(_answer) as (url, server):
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
        code = main(["refine", "--model", "straight-line", *SHORT, "--suite", str(suite), "--rounds", "1", "--width", "1",
                     "--critic", "llm", "--llm-model", "canned-vlm", "--llm-frames", "2", "--out", str(out),
                     "--jobs", "1", "--quiet"])
    assert code == 0, capsys.readouterr().err
    (request,) = server.requests  # the critic's; the template rewriter needs no model
    parts = request["messages"][1]["content"]
    texts = " ".join(p["text"] for p in parts if p["type"] == "text")
    assert "frames 0, " in texts and "tracked path of the agent" in texts  # 2 frames, then the drawn path
    assert "the agent crossed the wall cell" in texts  # the verifier's findings
    assert sum(p["type"] == "image_url" for p in parts) == 3
    first = lines(out / "rounds.jsonl")[0]
    assert first["next_prompt"].endswith("Avoid: standing still. Make sure: the agent moves.")
    assert not any(KEY.encode() in p.read_bytes() for p in out.rglob("*") if p.is_file())


def test_retry_after_and_settings_keep_secrets_out():
    from genreason.refine.llm import _retry_after

    assert _retry_after({"retry-after": "3"}) == 3.0
    assert _retry_after({"retry-after-ms": "250"}) == 0.25
    assert _retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0  # a date in the past
    assert _retry_after({"retry-after": "soon"}) is None and _retry_after({}) is None
    settings = LLMSettings(model="m", base_url="https://user:pw@example.invalid:8443/v1?key=abc", api_key=KEY)
    assert settings.identity() == {"model": "m", "base_url": "https://example.invalid:8443/v1"}
    assert KEY not in settings.model_dump_json() and KEY not in repr(settings)


def test_the_verifier_critic_blames_only_unsolved_candidates():
    from genreason.refine.critics import RoundContext, VerifierCritic
    from genreason.types import Event, Puzzle, Verdict

    puzzle = Puzzle(id="maze/easy/000000", family="maze", family_version="1", difficulty="easy", skin="classic",
                    seed=0, prompt="Solve it.", width=8, height=8, layout={"goal": [1, 3]}, solution={})

    def record(i, success, events, path):
        verdict = Verdict(verifier="maze", verifier_version="1", success=success, path=path,
                          events=[Event(frame=f, kind=k, message=f"frame {f}: {m}") for f, k, m in events])
        return SampleRecord(sample_id=f"x#r0s{i}", puzzle_id=puzzle.id, family="maze", difficulty="easy",
                            skin="classic", index=i, seed=i, prompt="Solve it.", verdict=verdict,
                            extra={"round": 0})

    solved = record(0, True, [(3, "skipped_frames", "frames 0-2 do not show the puzzle"),
                              (9, "board_changed", "a harmless flicker")], [(3, 1), (2, 1), (1, 1), (1, 3)])
    crossed = record(1, False, [(40, "wall_crossed", "the agent crossed the wall cell (2, 2) from (3, 1) to (1, 3)"),
                                (80, "goal_not_reached", "the video ends with the agent on (3, 1), ...")],
                     [(3, 1), (3, 1)])
    critique = VerifierCritic().critique(RoundContext(puzzle=puzzle, round=0, prompt="Solve it.",
                                                      candidates=[solved, crossed], videos=[None, None]))
    assert critique.text.startswith("1 of 2 candidates solved the puzzle (candidate 1).")
    assert "In candidate 2, the agent crossed the wall cell (2, 2) from (3, 1) to (1, 3) (frame 40)." in critique.text
    assert "Candidate 2 ended at (3, 1), 4 cells (rows + columns) from the goal (1, 3)." in critique.text
    assert "flicker" not in critique.text and "skipped" not in critique.text
    assert critique.avoid == ["crossing the wall cell (2, 2) from (3, 1) to (1, 3)"]
    assert critique.ensure[0] == "the agent follows the route (3, 1), (2, 1), (1, 1), (1, 3), which solved the puzzle legally"
    assert "the agent reaches the goal cell (1, 3) and stops on it" in critique.ensure
