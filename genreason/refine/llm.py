"""A small client for OpenAI-compatible chat models, with bounded retries.

Chat Completions is used (not the Responses API) because it is what most
OpenAI-compatible servers (vLLM, llama.cpp, Ollama, hosted gateways) speak.
Rate limits, server errors, timeouts and dropped connections are retried with
exponential backoff, honouring ``Retry-After``; anything else (a bad request,
a wrong key, an unknown model) fails at once. Either way a failure surfaces as
one :class:`LLMError`, which the refine loop records as a failed round.

The API key lives only in memory: it is excluded from every dump of
:class:`LLMSettings` and scrubbed from error messages.
"""

from __future__ import annotations

import email.utils
import os
import time
import urllib.parse
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from genreason.errors import GenreasonError

# Status codes worth another try: the request was fine, the server was not (yet).
RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})


class LLMError(GenreasonError):
    """A chat request failed for good (after its retries, or at once for an error no retry can fix)."""


class LLMSettings(BaseModel):
    """Where the chat model is and how patiently to call it.

    Attributes:
        model: The model name the server knows (``--llm-model``).
        base_url: The server's ``/v1`` URL (``--llm-base-url``, else ``OPENAI_BASE_URL``, else OpenAI's).
        api_key: From ``OPENAI_API_KEY``; never written anywhere.
        timeout_s: Seconds per request.
        max_attempts: Tries per request, the first included.
        backoff_s: The first retry's delay; it doubles with every retry.
        max_backoff_s: The longest single delay, also for a server's ``Retry-After``.
        max_tokens: The reply's length limit.
    """

    model_config = ConfigDict(extra="forbid")

    model: str
    base_url: str | None = None
    api_key: SecretStr = Field(default=SecretStr(""), exclude=True, repr=False)
    timeout_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=4, ge=1)
    backoff_s: float = Field(default=2.0, ge=0)
    max_backoff_s: float = Field(default=60.0, ge=0)
    max_tokens: int = Field(default=800, ge=1)

    @classmethod
    def from_env(cls, model: str | None, base_url: str | None = None, **options: Any) -> LLMSettings:
        """Settings from the command line's options, completed from ``OPENAI_BASE_URL`` / ``OPENAI_API_KEY``.

        Raises:
            GenreasonError: No model named, or no API key in the environment.
        """
        if not model:
            raise GenreasonError("an llm critic or rewriter needs a model: pass --llm-model NAME")
        key = os.environ.get("OPENAI_API_KEY", "")
        if not key:
            raise GenreasonError("an llm critic or rewriter needs an API key in OPENAI_API_KEY "
                                 "(any non-empty value for a local server that takes none)")
        return cls(model=model, base_url=base_url or os.environ.get("OPENAI_BASE_URL") or None,
                   api_key=SecretStr(key), **options)

    def identity(self) -> dict[str, Any]:
        """What decides the answers (the model and the server), not how patiently they are fetched.

        The URL loses any user, password, query or fragment: those can carry credentials.
        """
        url = None
        if self.base_url:
            parts = urllib.parse.urlsplit(self.base_url)
            host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
            url = urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))
        return {"model": self.model, "base_url": url}


class ChatClient:
    """Sends chat messages and returns the reply's text, retrying what is worth retrying.

    Args:
        settings: The model, server, key and retry policy.
        sleep: How to wait between tries (tests pass a recorder).
    """

    def __init__(self, settings: LLMSettings, sleep: Callable[[float], None] = time.sleep) -> None:
        try:
            import openai
        except ImportError:
            raise GenreasonError("the llm critic and rewriter need the openai package: "
                                 "pip install 'genreason[llm]'") from None
        self.settings = settings
        self._openai = openai
        self._sleep = sleep
        # Our own retry loop (with its own log of attempts) replaces the SDK's.
        self._client = openai.OpenAI(api_key=settings.api_key.get_secret_value(), base_url=settings.base_url,
                                     timeout=settings.timeout_s, max_retries=0)

    def chat(self, messages: list[dict[str, Any]]) -> str:
        """The assistant's reply to ``messages`` (Chat Completions format, images as data URLs).

        Raises:
            LLMError: Every attempt failed, or the error is one a retry cannot fix; the message
                says how many attempts were made and the last reason.
        """
        openai = self._openai
        attempts = self.settings.max_attempts
        for attempt in range(1, attempts + 1):
            try:
                response = self._client.chat.completions.create(
                    model=self.settings.model, messages=messages, max_tokens=self.settings.max_tokens)
            except openai.APIStatusError as exc:
                reason = f"HTTP {exc.status_code}: {self._scrub(_short(exc))}"
                if exc.status_code not in RETRY_STATUS or attempt == attempts:
                    raise LLMError(f"chat model {self.settings.model!r} failed after {attempt} attempt(s): "
                                   f"{reason}") from None
                delay = self._delay(attempt, _retry_after(exc.response.headers))
            except (openai.APIConnectionError, openai.APITimeoutError) as exc:  # timeout is a subclass
                reason = f"{type(exc).__name__}: {self._scrub(_short(exc))}"
                if attempt == attempts:
                    raise LLMError(f"chat model {self.settings.model!r} failed after {attempt} attempt(s): "
                                   f"{reason}") from None
                delay = self._delay(attempt, None)
            else:
                return _reply_text(response, self.settings.model)
            self._sleep(delay)
        raise AssertionError("unreachable")  # the loop returns or raises

    def close(self) -> None:
        """Close the HTTP connections."""
        self._client.close()

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        delay = self.settings.backoff_s * 2 ** (attempt - 1)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, self.settings.max_backoff_s)

    def _scrub(self, text: str) -> str:
        key = self.settings.api_key.get_secret_value()
        return text.replace(key, "***") if key else text


def _reply_text(response: Any, model: str) -> str:
    try:
        text = response.choices[0].message.content
    except (AttributeError, IndexError, TypeError):
        text = None
    if not isinstance(text, str) or not text.strip():
        raise LLMError(f"chat model {model!r} returned no text")
    return text.strip()


def _retry_after(headers: Any) -> float | None:
    """Seconds a server asked us to wait (``retry-after-ms``, ``retry-after`` in seconds or as a date)."""
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _short(exc: BaseException, limit: int = 300) -> str:
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
