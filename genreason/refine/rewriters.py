"""Rewriters: the next round's prompt from the task's prompt, this round's prompt and a critique.

Every prompt is bounded to ``max_words`` words (default :data:`MAX_PROMPT_WORDS`,
about the 300 tokens VideoTPO allows) by :func:`bound_words`, which cuts at
the last whole sentence that fits.
"""

from __future__ import annotations

import re
from typing import Protocol

from genreason.refine.llm import ChatClient, LLMError
from genreason.refine.records import Critique
from genreason.types import ComponentSpec

# ~300 tokens of English at about 1.35 tokens per word.
MAX_PROMPT_WORDS = 220
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*$")


class Rewriter(Protocol):
    """Writes the next prompt."""

    name: str

    def spec(self) -> ComponentSpec: ...

    def rewrite(self, original: str, current: str, critique: Critique, max_words: int) -> str: ...


def bound_words(text: str, max_words: int) -> str:
    """``text`` with its whitespace collapsed, cut to at most ``max_words`` words.

    The cut falls after the last sentence that ends within the limit, when that
    keeps at least half of it; otherwise after the last whole word, with a full
    stop added, so a prompt never ends mid-word.
    """
    words = text.split()
    if len(words) <= max_words:
        return " ".join(words)
    kept = words[:max_words]
    for end in range(len(kept), max_words // 2, -1):
        if _SENTENCE_END.search(kept[end - 1]):
            return " ".join(kept[:end])
    return " ".join(kept).rstrip(",;:-") + "."


class TemplateRewriter:
    """The task's own prompt, then ``Avoid: ...`` and ``Make sure: ...`` from the critique; offline.

    Items are added in the critique's order while they fit within the word
    limit, so the task's prompt itself is never cut (unless it alone is too
    long). A critique without items (a free-text one) adds its analysis as a
    ``Note:``, bounded the same way.
    """

    name = "template"

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name)

    def rewrite(self, original: str, current: str, critique: Critique, max_words: int) -> str:
        prompt = bound_words(original, max_words)
        if not critique.avoid and not critique.ensure:
            room = max_words - len(prompt.split()) - 1
            note = bound_words(critique.text, room) if room >= 5 else ""
            return f"{prompt} Note: {note}" if note else prompt
        for label, items in (("Avoid:", critique.avoid), ("Make sure:", critique.ensure)):
            chosen: list[str] = []
            for item in items:
                candidate = f"{prompt} {label} {'; '.join([*chosen, item.rstrip('.')])}."
                if len(candidate.split()) <= max_words:
                    chosen.append(item.rstrip("."))
            if chosen:
                prompt = f"{prompt} {label} {'; '.join(chosen)}."
        return prompt


REWRITER_SYSTEM = (
    "You improve prompts for an image-to-video model that must solve a visual puzzle shown in the first "
    "frame. Keep the task exactly as the original prompt states it; add concrete guidance that prevents the "
    "mistakes the critique describes. Write plain descriptive prose for a video model (no lists, no "
    "markdown). Reply with the new prompt only, at most {max_words} words."
)


class LLMRewriter:
    """A chat model rewrites the prompt from the original task, the current prompt and the critique."""

    name = "llm"

    def __init__(self, client: ChatClient) -> None:
        self.client = client

    def spec(self) -> ComponentSpec:
        return ComponentSpec(name=self.name, args=self.client.settings.identity())

    def rewrite(self, original: str, current: str, critique: Critique, max_words: int) -> str:
        lines = [f"Original task prompt:\n{original}", f"Prompt used in this round:\n{current}",
                 f"Critique of the videos it produced:\n{critique.text}"]
        if critique.avoid:
            lines.append("Avoid: " + "; ".join(critique.avoid))
        if critique.ensure:
            lines.append("Make sure: " + "; ".join(critique.ensure))
        reply = self.client.chat([
            {"role": "system", "content": REWRITER_SYSTEM.format(max_words=max_words)},
            {"role": "user", "content": "\n\n".join(lines)},
        ])
        prompt = bound_words(_unwrap(reply), max_words)
        if not prompt:
            raise LLMError("the chat model's rewritten prompt was empty")
        return prompt


def _unwrap(reply: str) -> str:
    """The prompt without code fences, a ``Prompt:`` label or surrounding quotes that models like to add."""
    text = _unquote(re.sub(r"^```\w*\s*|\s*```$", "", reply.strip()))
    text = re.sub(r"^(new |improved |rewritten )?prompt:\s*", "", text, flags=re.IGNORECASE)
    return _unquote(text)


def _unquote(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1]
    return text.strip()
