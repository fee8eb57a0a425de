"""A local fake LLM server speaking the OpenAI chat-completions and Anthropic messages formats.

Standard library only, bound to 127.0.0.1 on a random port, so the real ``openai`` and ``anthropic``
SDKs can be driven at it through their base URL. Faults can be queued to exercise retries and
error handling: status codes with headers (429 + Retry-After, 500), slow replies, replies that
drip one byte at a time, dropped connections, malformed JSON, well-formed JSON of the wrong shape,
and error bodies that echo the request's credentials back (as some proxies do). It can also play
a local server: one generation slot (``slots=1``, requests queue and abandoned ones are still
generated), a model listing at ``/v1/models`` and a served model that can be swapped behind the
same URL and name, and a reasoning model's 400 for parameters it does not take.

Run it as a script (``python tests/models/fakeserver.py --latency 0.05``) to serve from a separate
process; it prints its port on the first line of stdout and serves until stdin closes.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

OPENAI_PATH = "/v1/chat/completions"
MODELS_PATHS = ("/v1/models",)
ANTHROPIC_PATH = "/v1/messages"
STATS_PATH = "/_stats"
FAKE_OPENAI_KEY = "sk-fake-OPENAI-secret-4f1c9e"
FAKE_ANTHROPIC_KEY = "sk-ant-fake-ANTHROPIC-secret-77b2"
"""Planted keys for tests: never real, so finding them anywhere on disk proves a leak."""


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour, consumed by the next model request the server receives."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    """Raw body to send instead of a normal reply (used for malformed or wrong-shape replies)."""
    delay: float = 0.0
    drop: bool = False
    """Close the connection without sending any response."""
    drip: float = 0.0
    """Seconds between bytes: send the headers, then the body one byte at a time."""
    drip_limit: float = 0.0
    """Stop dripping and close the connection after this many seconds (so the server stops by
    itself even when the client never gives up)."""
    echo_credentials: bool = False
    """Quote the request's ``Authorization`` and ``x-api-key`` headers in the error body."""

    @classmethod
    def rate_limited(cls, retry_after: str | None = None) -> Fault:
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        body = json.dumps({"error": {"type": "rate_limit_error", "message": "slow down, fake"}})
        return cls(status=429, headers=headers, body=body)

    @classmethod
    def server_error(cls, status: int = 500) -> Fault:
        body = json.dumps({"error": {"type": "api_error", "message": "fake internal failure"}})
        return cls(status=status, body=body)

    @classmethod
    def slow(cls, delay: float) -> Fault:
        return cls(delay=delay)

    @classmethod
    def dripping(cls, interval: float = 1.0, limit: float = 15.0) -> Fault:
        """A 200 reply whose body arrives one byte per ``interval``: every read is quick, the
        whole answer never is."""
        return cls(drip=interval, drip_limit=limit)

    @classmethod
    def echoing_credentials(cls, status: int = 500) -> Fault:
        return cls(status=status, echo_credentials=True)

    @classmethod
    def dropped(cls) -> Fault:
        return cls(drop=True)

    @classmethod
    def malformed_json(cls) -> Fault:
        return cls(body='{"choices": [ this is not json')

    @classmethod
    def raw(cls, payload: Any, status: int = 200) -> Fault:
        return cls(status=status, body=json.dumps(payload))


@dataclass(frozen=True)
class SeenRequest:
    """What the server received, kept in memory for assertions."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float


def reply_text(serial: int, body: dict[str, Any]) -> str:
    """A deterministic reply that names its server serial, so cached answers are recognisable."""
    messages = body.get("messages") or []
    last = messages[-1]["content"] if messages else ""
    if isinstance(last, list):
        last = " ".join(part.get("text", "") for part in last if isinstance(part, dict))
    return f"reply #{serial} to: {last}"


class _Server(ThreadingHTTPServer):
    request_queue_size = 256
    """A deep listen backlog: the default (5) drops bursts of new concurrent connections."""
    daemon_threads = True


class FakeLLMServer:
    """A threaded HTTP server with a fault queue and a log of requests."""

    def __init__(
        self,
        latency: float = 0.0,
        responder: Callable[[dict[str, Any]], str] | None = None,
        slots: int | None = None,
    ) -> None:
        self.latency = latency
        self.responder = responder
        """Writes the reply text from the request body instead of the canned echo."""
        self._slots = threading.Semaphore(slots) if slots else None
        """Generation slots: a request waits for one, and keeps it for its whole latency even
        after its client gave up (as a local server keeps generating abandoned requests)."""
        self.models: list[dict[str, Any]] | None = None
        """The ``/v1/models`` listing's entries (None: no listing, 404)."""
        self.served_as: str | None = None
        """The ``model`` field of replies (None: the model name the request asked for)."""
        self.rejected_parameters: set[str] = set()
        """Body parameters answered with a 400 naming them, as reasoning models do."""
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._serial = 0
        self.requests: list[SeenRequest] = []
        self.connections = 0
        self.in_flight = 0
        self.max_in_flight = 0
        handler = _make_handler(self)
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def root_url(self) -> str:
        """The base URL for the Anthropic SDK (it appends ``/v1/messages``)."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        """The base URL for the OpenAI SDK (it appends ``/chat/completions``)."""
        return f"{self.root_url}/v1"

    def start(self) -> FakeLLMServer:
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def _next(self, seen: SeenRequest) -> tuple[Fault | None, int]:
        with self._lock:
            self.requests.append(seen)
            self._serial += 1
            fault = self._faults.popleft() if self._faults else None
            return fault, self._serial

    def _enter(self) -> None:
        with self._lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _count_connection(self) -> None:
        with self._lock:
            self.connections += 1

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)


def _tokens(body: dict[str, Any]) -> int:
    """A rough token count of a request's messages (4 characters a token)."""
    return len(json.dumps(body.get("messages", []), ensure_ascii=False)) // 4


def _openai_reply(serial: int, body: dict[str, Any], text: str | None) -> dict[str, Any]:
    usage = {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18}
    if text is None:
        text = reply_text(serial, body)
    else:
        prompt, completion = _tokens(body), len(text) // 4
        usage = {"prompt_tokens": prompt, "completion_tokens": completion}
        usage["total_tokens"] = prompt + completion
    return {
        "id": f"chatcmpl-fake{serial}",
        "object": "chat.completion",
        "created": 0,
        "model": body.get("model", "fake"),
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": "stop",
            }
        ],
        "usage": usage,
    }


def _anthropic_reply(serial: int, body: dict[str, Any], text: str | None) -> dict[str, Any]:
    usage = {"input_tokens": 13, "output_tokens": 5}
    if text is None:
        text = reply_text(serial, body)
    else:
        usage = {"input_tokens": _tokens(body), "output_tokens": len(text) // 4}
    return {
        "id": f"msg_fake{serial}",
        "type": "message",
        "role": "assistant",
        "model": body.get("model", "fake"),
        "content": [{"type": "text", "text": text}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": usage,
    }


def _make_handler(server: FakeLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def setup(self) -> None:
            super().setup()
            server._count_connection()

        def log_message(self, format: str, *args: Any) -> None:
            """Stay quiet: test output should not fill with access logs."""

        def _send(self, status: int, payload: str, headers: dict[str, str] | None = None) -> None:
            data = payload.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True

        def do_GET(self) -> None:
            if self.path in MODELS_PATHS and server.models is not None:
                self._send(200, json.dumps({"object": "list", "data": server.models}))
            elif self.path == STATS_PATH:
                stats = {
                    "requests": server.request_count,
                    "connections": server.connections,
                    "cpu_seconds": time.process_time(),
                }
                self._send(200, json.dumps(stats))
            else:
                self._send(404, json.dumps({"error": {"message": "not found"}}))

        def do_POST(self) -> None:
            server._enter()
            try:
                self._answer()
            finally:
                server._leave()

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._send(400, json.dumps({"error": {"message": "fake: request is not JSON"}}))
                return
            seen = SeenRequest(self.path, dict(self.headers.items()), body, time.monotonic())
            fault, serial = server._next(seen)
            rejected = sorted(server.rejected_parameters & body.keys())
            if rejected:
                said = f"Unsupported parameter: '{rejected[0]}' is not supported with this model."
                error = {"message": said, "type": "invalid_request_error", "param": rejected[0]}
                self._send(400, json.dumps({"error": error}))
                return
            delay = server.latency + (fault.delay if fault else 0.0)
            if server._slots is not None:
                with server._slots:
                    time.sleep(delay)
            elif delay:
                time.sleep(delay)
            if fault is not None and fault.drop:
                self.close_connection = True
                return
            if fault is not None and fault.echo_credentials:
                said = f"bad request from {self.headers.get('Authorization')} / " + str(
                    self.headers.get("x-api-key")
                )
                payload = json.dumps({"error": {"type": "api_error", "message": said}})
                self._send(fault.status, payload, fault.headers)
                return
            if fault is not None and fault.body is not None:
                self._send(fault.status, fault.body, fault.headers)
                return
            text = server.responder(body) if server.responder else None
            if self.path == OPENAI_PATH:
                payload = _openai_reply(serial, body, text)
            elif self.path == ANTHROPIC_PATH:
                payload = _anthropic_reply(serial, body, text)
            else:
                self._send(404, json.dumps({"error": {"message": f"no route {self.path}"}}))
                return
            if server.served_as is not None:
                payload["model"] = server.served_as
            status = fault.status if fault is not None else 200
            if fault is not None and fault.drip:
                self._drip(status, json.dumps(payload), fault.drip, fault.drip_limit)
                return
            self._send(status, json.dumps(payload), fault.headers if fault else None)

        def _drip(self, status: int, payload: str, interval: float, limit: float) -> None:
            data = payload.encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.close_connection = True
            ends = time.monotonic() + limit
            try:
                for index in range(len(data)):
                    if time.monotonic() >= ends:
                        return
                    self.wfile.write(data[index : index + 1])
                    self.wfile.flush()
                    time.sleep(interval)
            except OSError:  # the client hung up: what a timed-out request should do
                return

    return Handler


def builtin_responder(body: dict[str, Any]) -> str:
    """Answer as the built-in model named by the request's model (``untrusted``, ``trusted``...):
    the real SDKs then carry exactly the built-in run's conversation over HTTP."""
    from pytest_safecase.models import Request, get_model

    messages = body.get("messages") or []
    system = body.get("system")
    request = Request(prompt=messages, system=system if isinstance(system, str) else None)
    return get_model(f"builtin:{body.get('model', '')}").generate(request.prompt).text


def main() -> None:
    """Serve from a separate process until stdin closes (used by the benchmarks)."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument(
        "--builtin", action="store_true", help="answer as the built-in model the request names"
    )
    args = parser.parse_args()
    responder = builtin_responder if args.builtin else None
    server = FakeLLMServer(latency=args.latency, responder=responder).start()
    print(server.port, flush=True)
    sys.stdin.read()
    server.stop()


if __name__ == "__main__":
    main()
