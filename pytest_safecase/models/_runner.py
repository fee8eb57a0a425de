"""One background event loop per process that owns every network client.

SDK async clients are bound to the loop that created them. Running all provider I/O on one
long-lived loop lets the synchronous API (``generate``), the async API (``agenerate``, awaited
on any caller loop) and concurrent batches share connection pools without "event loop is closed"
errors. The thread is a daemon: it ends with the process.
"""

from __future__ import annotations

import threading
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # asyncio loads with the first model call, not with the plugin
    import asyncio
    import concurrent.futures

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def _runner_loop() -> asyncio.AbstractEventLoop:
    import asyncio

    global _loop, _thread
    with _lock:
        if _loop is None or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="safecase-models", daemon=True)
            thread.start()
            _loop, _thread = loop, thread
        return _loop


def in_runner_thread() -> bool:
    return _thread is not None and threading.current_thread() is _thread


def submit(coroutine: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Schedule a coroutine on the runner loop from any thread but the runner's own."""
    if in_runner_thread():
        coroutine.close()
        raise RuntimeError(
            "a synchronous model call was made from inside the model layer's event loop "
            "(e.g. from a built-in model's respond function); use the async API there"
        )
    import asyncio

    return asyncio.run_coroutine_threadsafe(coroutine, _runner_loop())


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on the runner loop and wait for it; Ctrl-C cancels it."""
    future = submit(coroutine)
    try:
        return future.result()
    except BaseException:
        future.cancel()
        raise


async def run_async(coroutine: Coroutine[Any, Any, T]) -> T:
    """Await a coroutine that must run on the runner loop, from whatever loop the caller is on."""
    import asyncio

    if in_runner_thread():
        return await coroutine
    future = submit(coroutine)
    try:
        return await asyncio.wrap_future(future)
    except asyncio.CancelledError:
        future.cancel()
        raise
