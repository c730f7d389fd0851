"""A canned OpenAI-compatible chat server on 127.0.0.1, for the refine tests.

It answers ``POST /v1/chat/completions`` from a script: each request takes
the next scripted reply (a status code, a body text or JSON, and headers);
when the script runs out, ``default`` answers. Every request body is kept, so
a test can check what a client sent (images, task text, the key it used).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    content: str = "ok"  # the assistant's text for a 200, the error message otherwise
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0  # wait this long before answering (a slow server)


def completion(text: str) -> dict[str, Any]:
    return {"id": "chatcmpl-test", "object": "chat.completion", "created": 0, "model": "canned",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}}


class CannedChat:
    """The server's state: the script, the fallback, and what it received."""

    def __init__(self, default: Callable[[dict[str, Any]], Reply]) -> None:
        self.script: list[Reply] = []
        self.default = default
        self.requests: list[dict[str, Any]] = []
        self.auth: list[str] = []
        self.paths: list[str] = []
        self.lock = threading.Lock()

    def next_reply(self, body: dict[str, Any]) -> Reply:
        with self.lock:
            self.requests.append(body)
            return self.script.pop(0) if self.script else self.default(body)


def _handler(state: CannedChat) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            body = json.loads(self.rfile.read(length) or b"{}")
            state.paths.append(self.path)
            state.auth.append(self.headers.get("authorization", ""))
            if self.path.rstrip("/") != "/v1/chat/completions":
                reply = Reply(404, "not found")
            else:
                reply = state.next_reply(body)
                time.sleep(reply.delay_s)
            payload = (completion(reply.content) if reply.status == 200
                       else {"error": {"message": reply.content, "type": "test", "code": reply.status}})
            data = json.dumps(payload).encode()
            self.send_response(reply.status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for key, value in reply.headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output clean

    return Handler


@contextmanager
def serve(default: Callable[[dict[str, Any]], Reply]) -> Iterator[tuple[str, CannedChat]]:
    """Run the server in a thread; yield its ``/v1`` base URL and its state."""
    state = CannedChat(default)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
