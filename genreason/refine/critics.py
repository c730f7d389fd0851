"""Critics: turn one round's candidate videos and their verdicts into a critique.

``verifier`` (the default) needs nothing but the verdicts: it groups the
events of the W candidates by kind, names frames and cells, and says where
each candidate ended. It uses only reference-free facts (events, the tracked
path, the layout's goal), never the reference solution, so the loop never
leaks the answer into a prompt.

``llm`` shows a chat model a few frames of each candidate and the tracked
path drawn on the first frame, with the task (the prompt and the rules) and
the verifier's findings, and asks it for the analysis.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from genreason.errors import BadInput
from genreason.refine.llm import ChatClient, LLMError
from genreason.refine.records import NEUTRAL_EVENTS, Critique
from genreason.refine.views import data_url, draw_path, frame_indices
from genreason.types import ComponentSpec, Puzzle, SampleRecord
from genreason.video import read_video

# How a video is judged, for a reader who only sees the prompt (the chat model).
RULES = (
    "The video is judged frame by frame by a strict computer-vision verifier. The agent must move "
    "only through open cells, one neighbouring cell at a time, never into or across a wall (or a "
    "trap, where there are traps), never jumping, vanishing or splitting in two. The board (walls, "
    "floor, goal) and the camera must stay exactly as in the first frame; only the agent moves. The "
    "agent must end on the goal and, once there, stay on it until the last frame."
)

# What to ask for in the next prompt, per event kind a grid verifier reports.
ENSURE = {
    "wall_crossed": "the agent moves only through open corridor cells, one neighbouring cell at a time, "
                    "never through a wall",
    "trap_crossed": "the agent never enters or cuts across a trap cell",
    "teleport": "the agent moves smoothly from cell to cell, never jumping",
    "lost": "the agent stays visible in every frame",
    "lost_at_end": "the agent stays visible in every frame",
    "duplicated": "there is only ever one agent",
    "left_goal": "once the agent reaches the goal it stays there until the end",
    "board_changed": "the walls, the floor and the goal stay exactly as in the first frame; only the agent moves",
    "board_mismatch": "the video starts from the given image unchanged",
    "camera_moved": "the camera stays perfectly still",
}
MAX_ITEMS_PER_KIND = 3
_FRAME_PREFIX = re.compile(r"^frame \d+:\s*")
# "the agent crossed the wall ..." reads as "Avoid: crossing the wall ..." in a prompt.
_ACTIONS = {"crossed": "crossing", "squeezed": "squeezing", "left": "leaving", "jumped": "jumping",
            "moved": "moving", "vanished": "vanishing"}
_AGENT_DID = re.compile(r"^the (agent|camera) (\w+) ")


@dataclass(frozen=True)
class RoundContext:
    """What a critic looks at: the puzzle, the round's prompt, and its candidates' records.

    ``videos`` holds each candidate's video file (None where none was written), in the order of ``candidates``.
    """

    puzzle: Puzzle
    round: int
    prompt: str
    candidates: Sequence[SampleRecord]
    videos: Sequence[Path | None]


class Critic(Protocol):
    """Analyses one round's candidates."""

    name: str

    def spec(self) -> ComponentSpec: ...

    def critique(self, context: RoundContext) -> Critique: ...


class VerifierCritic:
    """The verdicts' events and end positions in plain language; offline and deterministic."""

    name = "verifier"

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name)

    def critique(self, context: RoundContext) -> Critique:
        cands = list(context.candidates)
        goal = _goal(context.puzzle)
        sentences = [_headline(cands)]
        avoid: list[str] = []
        ensure: list[str] = []
        for kind, groups in _events_by_kind(cands).items():
            # Where a candidate ended is said below, with its distance to the goal.
            told_below = kind == "goal_not_reached" and goal is not None
            for message, hits in [] if told_below else groups[:MAX_ITEMS_PER_KIND]:
                sentences.append(f"In {_who(hits, len(cands))}, {message} ({_frames(hits, len(cands))}).")
                if kind != "goal_not_reached":
                    avoid.append(_as_action(message))
            if len(groups) > MAX_ITEMS_PER_KIND and not told_below:
                more = len(groups) - MAX_ITEMS_PER_KIND
                sentences.append(f"{more} more '{kind}' event{'s' if more > 1 else ''} like these.")
            if kind == "goal_not_reached":
                ensure.append(f"the agent reaches the goal cell {_cell(goal)} and stops on it" if goal
                              else "the agent reaches the goal and stops on it")
            elif kind in ENSURE and ENSURE[kind] not in ensure:
                ensure.append(ENSURE[kind])
        sentences.extend(_endings(cands, goal))
        for i, record in enumerate(cands):
            if record.status == "error":
                sentences.append(f"Candidate {i + 1} has no verdict: {record.error}")
            elif record.verdict is not None and record.verdict.status != "ok":
                sentences.append(f"Candidate {i + 1} could not be judged: {record.verdict.reason}")
        solved = [r for r in cands if r.success]
        if solved and solved[0].verdict and solved[0].verdict.path:
            route = ", ".join(_cell(c) for c in solved[0].verdict.path)
            ensure.insert(0, f"the agent follows the route {route}, which solved the puzzle legally")
        if any(re.search(r"\(\d+, \d+\)", s) for s in sentences[1:]):
            sentences.append("Cells are (row, column), counted from the top-left cell of the board, walls included.")
        return Critique(critic=self.name, text=" ".join(sentences), avoid=avoid, ensure=ensure)


class LLMCritic:
    """A chat model's analysis of a few frames per candidate, the task, and the verifier's findings.

    Args:
        client: The chat client (model, server, retries).
        frames: Frames shown per candidate, spread from first to last (VideoTPO shows the first and last).
        draw_path: Also show the tracked path drawn on the puzzle's first frame.
    """

    name = "llm"

    def __init__(self, client: ChatClient, frames: int = 4, draw_path: bool = True) -> None:
        self.client = client
        self.frames = frames
        self.draw_path = draw_path

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name, args={**self.client.settings.identity(), "frames": self.frames,
                                                   "draw_path": self.draw_path})

    def critique(self, context: RoundContext) -> Critique:
        findings = VerifierCritic().critique(context)
        content: list[dict[str, Any]] = [{"type": "text", "text": task_text(context, findings.text)}]
        for i, (record, video) in enumerate(zip(context.candidates, context.videos, strict=True)):
            content.extend(self._candidate_parts(context.puzzle, i, record, video))
        reply = self.client.chat([
            {"role": "system", "content": CRITIC_SYSTEM},
            {"role": "user", "content": content},
        ])
        return parse_critique(reply, self.name)

    def _candidate_parts(self, puzzle: Puzzle, i: int, record: SampleRecord, video: Path | None
                         ) -> list[dict[str, Any]]:
        verdict = "solved" if record.success else "not solved"
        parts: list[dict[str, Any]] = []
        frames_note = "no video"
        if video is not None:
            try:
                clip = read_video(video)
            except BadInput:
                clip = None
            if clip is not None:
                picks = frame_indices(clip.num_frames, self.frames)
                frames_note = f"frames {', '.join(map(str, picks))} of {clip.num_frames}"
                parts.extend(_image(clip.frame(k)) for k in picks)
        if self.draw_path and record.verdict is not None and puzzle.image is not None \
                and any(p is not None for p in record.verdict.trajectory):
            parts.append({"type": "text", "text": f"Candidate {i + 1}: the tracked path of the agent drawn on "
                          "the first frame (yellow line, blue circle where it started, magenta where it ended)."})
            parts.append(_image(draw_path(puzzle.image, record.verdict.trajectory)))
        head = {"type": "text", "text": f"Candidate {i + 1} (seed {record.seed}, verifier: {verdict}): "
                f"{frames_note}."}
        return [head, *parts]


CRITIC_SYSTEM = (
    "You review candidate videos that an image-to-video model made for a visual puzzle, so that the "
    "prompt can be improved for the next attempt. Compare the candidates: what each did well, what went "
    "wrong and when. Be concrete (which cells, which frames). Reply with one JSON object and nothing else: "
    '{"analysis": "<at most 120 words>", "avoid": ["<short phrase>", ...], "ensure": ["<short phrase>", ...]}'
)


def task_text(context: RoundContext, findings: str) -> str:
    """The task as a chat model sees it: the original prompt, the rules, this round's prompt, the verifier's view."""
    puzzle = context.puzzle
    return (f"Puzzle {puzzle.id} ({puzzle.family}, {puzzle.difficulty}). The task given with the first frame:\n"
            f"{puzzle.prompt}\n\nRules: {RULES}\n\nPrompt used in round {context.round}:\n{context.prompt}\n\n"
            f"What the verifier found:\n{findings}\n\nThe {len(context.candidates)} candidates follow.")


def parse_critique(reply: str, critic: str) -> Critique:
    """A critique from a chat reply: the JSON object it was asked for, else the whole reply as the analysis."""
    match = re.search(r"\{.*\}", reply, flags=re.DOTALL)
    data: Any = None
    if match:
        try:
            data = json.loads(match.group(0))
        except json.JSONDecodeError:
            data = None
    if not isinstance(data, dict) or not isinstance(data.get("analysis"), str):
        if not reply.strip():
            raise LLMError("the chat model's critique was empty")
        return Critique(critic=critic, text=reply.strip())
    return Critique(critic=critic, text=data["analysis"].strip(), avoid=_strings(data.get("avoid")),
                    ensure=_strings(data.get("ensure")))


def _as_action(message: str) -> str:
    """``the agent crossed X`` as ``crossing X``, for an ``Avoid:`` list; other messages unchanged."""
    match = _AGENT_DID.match(message)
    if match and match.group(2) in _ACTIONS:
        subject = "" if match.group(1) == "agent" else "the camera "
        return f"{subject}{_ACTIONS[match.group(2)]} {message[match.end():]}"
    return message


def _strings(value: Any) -> list[str]:
    return [str(v).strip() for v in value if str(v).strip()] if isinstance(value, list) else []


def _image(frame: Any) -> dict[str, Any]:
    return {"type": "image_url", "image_url": {"url": data_url(frame)}}


def _goal(puzzle: Puzzle) -> tuple[int, int] | None:
    goal = puzzle.layout.get("goal")
    return (int(goal[0]), int(goal[1])) if isinstance(goal, list | tuple) and len(goal) == 2 else None


def _cell(cell: Sequence[int] | None) -> str:
    return "?" if cell is None else f"({cell[0]}, {cell[1]})"


def _headline(cands: Sequence[SampleRecord]) -> str:
    solved = [i + 1 for i, r in enumerate(cands) if r.success]
    if not solved:
        return f"None of the {len(cands)} candidates solved the puzzle."
    return f"{len(solved)} of {len(cands)} candidates solved the puzzle (candidate {', '.join(map(str, solved))})."


def _events_by_kind(cands: Sequence[SampleRecord]) -> dict[str, list[tuple[str, list[tuple[int, int]]]]]:
    """kind -> [(message without its frame prefix, [(candidate, frame), ...]), ...], in order of first sight."""
    kinds: dict[str, dict[str, list[tuple[int, int]]]] = {}
    for i, record in enumerate(cands):
        if record.verdict is None or record.success:  # what a solved video shows did it no harm
            continue
        for event in record.verdict.events:
            if event.kind in NEUTRAL_EVENTS:
                continue
            message = _FRAME_PREFIX.sub("", event.message).rstrip(".")
            kinds.setdefault(event.kind, {}).setdefault(message, []).append((i, event.frame))
    return {kind: list(groups.items()) for kind, groups in kinds.items()}


def _who(hits: Sequence[tuple[int, int]], total: int) -> str:
    who = sorted({i for i, _ in hits})
    if len(who) == total and total > 1:
        return "both candidates" if total == 2 else f"all {total} candidates"
    if len(who) == 1:
        return f"candidate {who[0] + 1}"
    return "candidates " + ", ".join(str(i + 1) for i in who[:-1]) + f" and {who[-1] + 1}"


def _frames(hits: Sequence[tuple[int, int]], total: int) -> str:
    frames = sorted({f for _, f in hits})
    if len(frames) == 1:
        return f"frame {frames[0]}"
    if len({i for i, _ in hits}) == 1:
        return "frames " + ", ".join(map(str, frames))
    return ", ".join(f"frame {f} in candidate {i + 1}" for i, f in sorted(hits))


def _endings(cands: Sequence[SampleRecord], goal: tuple[int, int] | None) -> list[str]:
    """Where each judged candidate ended, grouped when several ended alike."""
    ends: dict[str, list[int]] = {}
    for i, record in enumerate(cands):
        if record.verdict is None or record.verdict.status != "ok" or not record.verdict.path:
            continue
        last = record.verdict.path[-1]
        if goal is None:
            text = f"ended at {_cell(last)}"
        elif tuple(last) == goal:
            text = f"ended on the goal {_cell(goal)}"
        else:
            steps = abs(last[0] - goal[0]) + abs(last[1] - goal[1])
            text = f"ended at {_cell(last)}, {steps} cells (rows + columns) from the goal {_cell(goal)}"
        ends.setdefault(text, []).append(i)
    return [f"{_who([(i, 0) for i in who], len(cands)).capitalize()} {text}." for text, who in ends.items()]
