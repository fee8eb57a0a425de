"""``Model``: the one interface claims use to talk to a model, whatever the provider behind it.

It adds to a provider what every evaluation needs: the response cache (sample-aware), bounded
retries, a concurrency limit, ordered concurrent batches, progress, and usage accounting.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from . import _runner
from ._accounting import LEDGER, UsageLedger
from ._base import Completion, Message, Provider, Reply, Request
from ._cache import CachedReply, CacheKey, ResponseCache, cache_key
from ._defaults import CACHE_MODES, DEFAULT_MAX_CONCURRENCY, DEFAULT_TIMEOUT, CacheMode
from ._errors import CacheMissError, ModelError, RetryableError
from ._progress import ProgressFactory, stream_progress
from ._retry import RetryPolicy, call_with_retries

_PROGRESS_POLL_SECONDS = 0.1


@dataclass
class _BatchCounts:
    """Progress of a running batch; written on the runner loop, read by the caller's thread."""

    done: int = 0
    cached: int = 0


@dataclass(frozen=True)
class _Lookup:
    """A request's cache slot and the answer it held when looked up (no slot: no caching)."""

    key: CacheKey | None
    hit: CachedReply | None = None


_UNCACHED = _Lookup(None)


class Model:
    """A provider plus caching, retries, concurrency and accounting.

    Every answer either comes back as a ``Completion`` or raises ``ModelError``: an error is never
    turned into a default answer.
    """

    def __init__(
        self,
        provider: Provider,
        *,
        cache: ResponseCache | None = None,
        cache_mode: CacheMode = "on",
        retry: RetryPolicy | None = None,
        max_concurrency: int = DEFAULT_MAX_CONCURRENCY,
        timeout: float = DEFAULT_TIMEOUT,
        ledger: UsageLedger = LEDGER,
        progress: ProgressFactory | None = None,
    ) -> None:
        if cache_mode not in CACHE_MODES:
            raise ValueError(f"cache_mode must be one of {CACHE_MODES}, got {cache_mode!r}")
        if cache_mode == "replay" and cache is None and provider.cacheable:
            raise ValueError("cache_mode 'replay' needs a cache to replay from")
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0, got {timeout}")
        self.provider = provider
        self.cache = cache
        self.cache_mode = cache_mode
        self.retry = retry or RetryPolicy()
        self.max_concurrency = max_concurrency
        self.timeout = timeout
        self._ledger = ledger
        self._progress = progress if progress is not None else stream_progress()
        self._semaphore: asyncio.Semaphore | None = None
        self._used = False

    @property
    def spec(self) -> str:
        return self.provider.spec

    def __repr__(self) -> str:
        return f"Model({self.spec!r}, cache_mode={self.cache_mode!r})"

    def generate(
        self,
        prompt: str | Sequence[Message],
        *,
        system: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        sample: int = 0,
    ) -> Completion:
        """One answer; ``sample`` numbers repeated draws of the same prompt (each cached apart)."""
        request = Request(prompt, system, temperature, max_tokens, seed, sample)
        return _runner.run(self._complete(request))

    async def agenerate(
        self,
        prompt: str | Sequence[Message],
        *,
        system: str | None = None,
        temperature: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        sample: int = 0,
    ) -> Completion:
        """The async twin of ``generate``; awaitable from any event loop."""
        request = Request(prompt, system, temperature, max_tokens, seed, sample)
        return await _runner.run_async(self._complete(request))

    def generate_many(
        self, requests: Sequence[Request], max_concurrency: int | None = None
    ) -> list[Completion]:
        """Answers to all requests, fetched concurrently, returned in input order.

        ``max_concurrency`` bounds this batch; provider calls of the model as a whole stay within
        the model's own ``max_concurrency`` (the run-wide rate-limit guard). The first request
        that finally fails cancels the rest and raises its ``ModelError`` (answers already
        fetched stay cached, so a re-run is cheap).
        """
        batch = self._check_batch(requests, max_concurrency)
        counts = _BatchCounts()
        future = _runner.submit(self._run_batch(batch, counts, max_concurrency))
        progress = self._progress(self.spec, len(batch))
        try:
            while progress is not None and not future.done():
                try:
                    future.result(timeout=_PROGRESS_POLL_SECONDS)
                except TimeoutError:
                    progress.update(counts.done, counts.cached)
            return future.result()
        except BaseException:
            future.cancel()
            raise
        finally:
            if progress is not None:
                progress.finish(counts.done, counts.cached)

    async def agenerate_many(
        self, requests: Sequence[Request], max_concurrency: int | None = None
    ) -> list[Completion]:
        """The async twin of ``generate_many``."""
        batch = self._check_batch(requests, max_concurrency)
        counts = _BatchCounts()
        if _runner.in_runner_thread():
            return await self._run_batch(batch, counts, max_concurrency)
        future = asyncio.wrap_future(
            _runner.submit(self._run_batch(batch, counts, max_concurrency))
        )
        progress = self._progress(self.spec, len(batch))
        try:
            while progress is not None and not future.done():
                await asyncio.wait({future}, timeout=_PROGRESS_POLL_SECONDS)
                progress.update(counts.done, counts.cached)
            return await future
        except BaseException:
            future.cancel()
            raise
        finally:
            if progress is not None:
                progress.finish(counts.done, counts.cached)

    def close(self) -> None:
        """Release the provider's network clients (the cache belongs to whoever created it)."""
        if self._used:
            _runner.run(self.provider.aclose())
            self._used = False

    def _check_batch(
        self, requests: Sequence[Request], max_concurrency: int | None
    ) -> list[Request]:
        batch = list(requests)
        for index, request in enumerate(batch):
            if not isinstance(request, Request):
                raise TypeError(f"requests[{index}] is {type(request).__name__}, not Request")
        if max_concurrency is not None and max_concurrency < 1:
            raise ValueError(f"max_concurrency must be >= 1, got {max_concurrency}")
        return batch

    async def _run_batch(
        self, batch: list[Request], counts: _BatchCounts, max_concurrency: int | None
    ) -> list[Completion]:
        results: list[Completion | None] = [None] * len(batch)
        pending = iter(enumerate(zip(batch, self._lookups(batch), strict=True)))

        async def worker() -> None:
            for index, (request, lookup) in pending:
                try:
                    completion = await self._complete(request, lookup, in_batch=True)
                except ModelError as error:
                    raise type(error)(f"batch item {index}: {error}") from error
                results[index] = completion
                counts.done += 1
                counts.cached += completion.cached

        width = min(max_concurrency or self.max_concurrency, len(batch))
        workers = [asyncio.ensure_future(worker()) for _ in range(width)]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            raise
        finally:
            if self.cache is not None:
                self.cache.flush()
        return [completion for completion in results if completion is not None]

    def _lookups(self, batch: Sequence[Request]) -> list[_Lookup]:
        """Each request's cache slot and stored answer, fetched for the whole batch at once."""
        cache = self.cache
        if cache is None or not self.provider.cacheable or self.cache_mode == "off":
            return [_UNCACHED] * len(batch)
        provider, model = self._cache_provider(), self.provider.model
        keys = [cache_key(provider, model, request) for request in batch]
        hits = cache.get_many(keys)
        return [_Lookup(key, hits.get(key.digest)) for key in keys]

    async def _complete(
        self, request: Request, lookup: _Lookup | None = None, in_batch: bool = False
    ) -> Completion:
        """The cached answer if there is one, else (unless replaying) a provider call with
        bounded retries, then stored. ``lookup`` is the batch's prefetched cache lookup."""
        self._used = True
        started = time.perf_counter()
        self._ledger.record(self.spec, requests=1)
        try:
            if lookup is None:
                (lookup,) = self._lookups([request])
            hit = lookup.hit
            if hit is None and lookup.key is not None and self.cache is not None and in_batch:
                hit = self.cache.queued(lookup.key)  # the same request, earlier in this batch
            if hit is not None:
                self._ledger.record(self.spec, cache_hits=1)
                latency = time.perf_counter() - started
                return Completion(hit.text, hit.model, hit.usage, True, latency)
            if self.cache_mode == "replay" and self.provider.uses_network:
                raise CacheMissError(
                    f"{self.spec}: no cached answer for this request (sample {request.sample}, "
                    f"prompt {_preview(request)}); --safecase-cache replay never calls the "
                    "provider: record the answers with --safecase-cache on first"
                )
            reply = await self._call_provider(request)
        except ModelError:
            self._ledger.record(self.spec, errors=1)
            raise
        usage = reply.usage
        self._ledger.record(
            self.spec,
            calls=1,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            estimated_tokens=usage.estimated,
        )
        if lookup.key is not None and self.cache_mode == "on" and self.cache is not None:
            self.cache.put(lookup.key, reply, defer=in_batch)
        return Completion(reply.text, reply.model, usage, False, time.perf_counter() - started)

    def _cache_provider(self) -> str:
        endpoint = self.provider.endpoint
        return f"{self.provider.name}@{endpoint}" if endpoint else self.provider.name

    async def _call_provider(self, request: Request) -> Reply:
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.max_concurrency)

        async def attempt() -> Reply:
            try:
                reply = await self.provider.complete(request, timeout=self.timeout)
            except (ModelError, RetryableError):
                raise
            except Exception as error:
                raise ModelError(f"{self.spec}: {type(error).__name__}: {error}") from error
            if not isinstance(reply, Reply) or not isinstance(reply.text, str):
                raise ModelError(f"{self.spec}: provider returned {reply!r}, not a text Reply")
            return reply

        async with self._semaphore:
            return await call_with_retries(
                attempt,
                self.retry,
                describe=lambda: f"{self.spec} (prompt {_preview(request)})",
                on_retry=lambda: self._ledger.record(self.spec, retries=1),
            )


def _preview(request: Request, limit: int = 60) -> str:
    text = request.prompt if isinstance(request.prompt, str) else str(request.prompt[-1:])
    return repr(text if len(text) <= limit else text[:limit] + "...")
