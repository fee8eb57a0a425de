"""``Model``: the one interface claims use to talk to a model, whatever the provider behind it.

It adds to a provider what every evaluation needs: the response cache (sample-aware and keyed to
the model the endpoint serves), bounded retries, an adaptive concurrency limit, a retry with more
room for answers cut at the token limit, a token budget, ordered concurrent batches, progress,
and usage accounting.
"""

from __future__ import annotations

import dataclasses
import os
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pytest_safecase._model_defaults import (
    CACHE_MODES,
    DEFAULT_MAX_CONCURRENCY,
    DEFAULT_TIMEOUT,
    CacheMode,
)

from . import _runner
from ._accounting import UsageLedger
from ._base import (
    FINISH_EMPTY,
    FINISH_LENGTH,
    FINISH_STOP,
    Completion,
    Message,
    Provider,
    Reply,
    Request,
    Usage,
)
from ._budget import TokenBudget
from ._cache import CachedReply, CacheKey, ResponseCache, cache_key
from ._errors import BudgetExceededError, CacheMissError, ModelError, RetryableError
from ._limit import AdaptiveLimit
from ._progress import ProgressFactory, stream_progress
from ._retry import RetryPolicy, call_with_retries
from ._wire import redact_url

if TYPE_CHECKING:
    import asyncio

_PROGRESS_POLL_SECONDS = 0.1
MAX_TOKENS_CAP = 8192
"""The most room a retry of a cut-off answer asks for (twice the original, at most this)."""


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
        ledger: UsageLedger | None = None,
        progress: ProgressFactory | None = None,
        budget: TokenBudget | None = None,
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
        self._ledger = ledger if ledger is not None else UsageLedger()
        self._progress = progress if progress is not None else stream_progress()
        self.budget = budget
        self.limit = AdaptiveLimit(max_concurrency)
        """Provider calls in flight: backs off on transient failures (see ``AdaptiveLimit``)."""
        self._served: str | None = None
        """What the endpoint says it serves: "" when it does not say, None when unreachable."""
        self._probed = False
        self._served_lock: asyncio.Lock | None = None
        self._answered_by: str | None = None
        """The ``model`` field of this run's first fresh answer: where the endpoint does not list
        what it serves, stored answers from another model are not served after it."""
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

    def brief(self, problems: Sequence[object]) -> None:
        """Tell the provider the problems an evaluation will pose (see ``Provider.brief``)."""
        self.provider.brief(problems)

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
        import asyncio  # here and below: asyncio loads with the first call, not with the plugin

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
        """Each distinct request once (copies of it share its answer, as the cache would give
        it them), at most ``max_concurrency`` at a time; answers in input order."""
        import asyncio

        lookups = await self._lookups(batch)
        first_by_digest: dict[str, int] = {}
        repeats: dict[int, list[int]] = {}  # later copies, by the index of the first one
        distinct = []
        for index, lookup in enumerate(lookups):
            key = lookup.key
            first = index if key is None else first_by_digest.setdefault(key.digest, index)
            if first == index:
                distinct.append(index)
            else:
                repeats.setdefault(first, []).append(index)
        results: list[Completion | None] = [None] * len(batch)
        pending = iter(distinct)

        async def worker() -> None:
            for index in pending:
                try:
                    completion = await self._complete(batch[index], lookups[index], in_batch=True)
                except ModelError as error:
                    raise type(error)(f"batch item {index}: {error}") from None
                results[index] = completion
                counts.done += 1
                counts.cached += completion.cached
                for copy in repeats.get(index, ()):
                    results[copy] = self._served_again(completion)
                    counts.done += 1
                    counts.cached += 1

        width = min(max_concurrency or self.max_concurrency, len(distinct))
        workers = [asyncio.ensure_future(worker()) for _ in range(width)]
        try:
            await asyncio.gather(*workers)
        except BaseException:
            for task in workers:
                task.cancel()
            await asyncio.gather(*workers, return_exceptions=True)
            self._flush_quietly()
            raise
        if self.cache is not None:
            self.cache.flush()
        answered = [completion for completion in results if completion is not None]
        if len(answered) != len(batch):  # never expected; never hand back shifted answers
            raise RuntimeError(f"{self.spec}: {len(batch) - len(answered)} batch items unanswered")
        return answered

    def _flush_quietly(self) -> None:
        """Keep what a failed batch did fetch, without letting a cache error mask its error."""
        if self.cache is not None:
            try:
                self.cache.flush()
            except Exception as error:  # the batch's own error is the one to report
                message = f"safecase: answers of a failed batch were not cached: {error}"
                warnings.warn(message, RuntimeWarning, stacklevel=1)

    def _served_again(self, completion: Completion) -> Completion:
        """A repeat of a request answered earlier in the same batch: a cache hit."""
        self._ledger.record(
            self.spec, requests=1, cache_hits=1, incomplete=int(not completion.complete)
        )
        return dataclasses.replace(completion, cached=True, latency=0.0)

    async def _lookups(self, batch: Sequence[Request]) -> list[_Lookup]:
        """Each request's cache slot and stored answer, fetched for the whole batch at once.

        With the cache on, a stored answer counts only if it was stored under the model the
        endpoint serves now: swapping the model behind the same URL and name must not replay the
        old model's answers. Replay asks the endpoint nothing and serves what was recorded.
        """
        cache = self.cache
        if cache is None or not self.provider.cacheable or self.cache_mode == "off":
            return [_UNCACHED] * len(batch)
        served = await self._served_model() if self.cache_mode == "on" else None
        provider, label = self._cache_provider()
        model = self.provider.model
        keys = [
            cache_key(provider, model, request, label=label, served=served or "")
            for request in batch
        ]
        hits = cache.get_many(keys)
        if served is not None:
            hits = {digest: hit for digest, hit in hits.items() if self._current(hit, served)}
        return [_Lookup(key, hits.get(key.digest)) for key in keys]

    def _current(self, hit: CachedReply, served: str) -> bool:
        """Whether a stored answer came from the model served now, as far as can be told."""
        if hit.served != served:
            return False
        return served != "" or self._answered_by is None or hit.model == self._answered_by

    async def _served_model(self) -> str | None:
        """Ask the endpoint once what it serves (its model listing); "" if it cannot say, and
        ``None`` if it cannot be reached: then nothing new is served, and the stored answers are
        served as ``replay`` would serve them (a request they lack fails as it would anyway)."""
        import asyncio

        if self._probed:
            return self._served
        if self._served_lock is None:
            self._served_lock = asyncio.Lock()
        async with self._served_lock:
            if not self._probed:
                self._served = await self._probe() if self.provider.uses_network else ""
                self._probed = True
        return self._served

    async def _probe(self) -> str | None:
        import asyncio

        try:
            await self.provider.prepare(timeout=self.timeout)
            async with asyncio.timeout(self.timeout):
                return await self.provider.served_model(timeout=self.timeout) or ""
        except (TimeoutError, RetryableError):
            return None
        except ModelError:
            return ""  # e.g. no key: the answers' model field is all there is

    async def _complete(
        self, request: Request, lookup: _Lookup | None = None, in_batch: bool = False
    ) -> Completion:
        """The cached answer if there is one, else (unless replaying) a provider call with
        bounded retries, then stored. ``lookup`` is the batch's prefetched cache lookup.

        The ledger counts a request when it ends (answered, from the cache or by a call, or
        failed), so requests = calls + cache hits + errors; a request cancelled because another
        in its batch failed is not counted.
        """
        self._used = True
        started = time.perf_counter()
        try:
            if lookup is None:
                (lookup,) = await self._lookups([request])
            hit = lookup.hit
            if hit is not None:
                incomplete = int(hit.finish != FINISH_STOP)
                self._ledger.record(self.spec, requests=1, cache_hits=1, incomplete=incomplete)
                latency = time.perf_counter() - started
                return Completion(hit.text, hit.model, hit.usage, True, latency, hit.finish)
            if self.cache_mode == "replay" and self.provider.uses_network:
                raise CacheMissError(
                    f"no cached answer for this request (sample {request.sample}, "
                    f"prompt {_preview(request)}); --safecase-cache replay never calls the "
                    "provider: record the answers with --safecase-cache on first"
                )
            reply = await self._answer(request)
        except ModelError as error:
            self._ledger.record(self.spec, requests=1, errors=1)
            kind = type(error) if isinstance(error, CacheMissError | BudgetExceededError) else None
            message = f"model {self.spec} failed: {_scrubbed(str(error))}"
            # A new error without the chain: SDK exceptions underneath carry requests and headers.
            raise (kind or ModelError)(message) from None
        usage = reply.usage
        self._ledger.record(
            self.spec,
            requests=1,
            calls=1,
            input_tokens=usage.input_tokens,
            output_tokens=usage.output_tokens,
            estimated_tokens=usage.estimated,
            incomplete=int(not reply.complete),
        )
        if self._answered_by is None:
            self._answered_by = reply.model
        if lookup.key is not None and self.cache_mode == "on" and self.cache is not None:
            self.cache.put(lookup.key, reply, defer=in_batch)
        latency = time.perf_counter() - started
        return Completion(reply.text, reply.model, usage, False, latency, reply.finish)

    async def _answer(self, request: Request) -> Reply:
        """A provider's answer; one cut at the token limit is asked again with twice the room
        (up to ``MAX_TOKENS_CAP``), an empty one asked again as it was. If the second answer is
        still not whole it is returned as it is, marked by its ``finish``: never as complete."""
        reply = _finished(await self._call_provider(request))
        if reply.complete:
            return reply
        again = request
        if reply.finish == FINISH_LENGTH:
            room = request.max_tokens or self.provider.default_max_tokens
            if room is None or room >= MAX_TOKENS_CAP:
                return reply  # no more room to give: the server's own limit, or our cap
            again = dataclasses.replace(request, max_tokens=min(2 * room, MAX_TOKENS_CAP))
        self._ledger.record(self.spec, retries=1)
        second = _finished(await self._call_provider(again))
        both = Usage(
            reply.usage.input_tokens + second.usage.input_tokens,
            reply.usage.output_tokens + second.usage.output_tokens,
            reply.usage.estimated or second.usage.estimated,
        )
        return dataclasses.replace(second, usage=both)

    def _cache_provider(self) -> tuple[str, str]:
        """The provider and its endpoint, as keyed (exact) and as recorded (no credentials)."""
        name, endpoint = self.provider.name, self.provider.endpoint
        if not endpoint:
            return name, name
        return f"{name}@{endpoint}", f"{name}@{redact_url(endpoint)}"

    async def _call_provider(self, request: Request) -> Reply:
        """One answer from the provider, with retries; each attempt takes a slot of the adaptive
        limit (backoff sleeps hold none) and its deadline starts once it has one, so time spent
        queued here is not counted (time queued inside the server cannot be seen from here)."""
        import asyncio

        async def attempt() -> Reply:
            epoch = await self.limit.acquire()
            try:
                reply = await timed_attempt()
            except RetryableError:
                self.limit.failed(epoch)
                raise
            finally:
                self.limit.release()
            self.limit.succeeded()
            return reply

        async def timed_attempt() -> Reply:
            # The deadline covers the whole attempt: the SDKs' timeouts bound each read, so a
            # server dripping a byte at a time would otherwise hold a request indefinitely.
            deadline: asyncio.Timeout | None = None
            try:
                await self.provider.prepare(timeout=self.timeout)
                deadline = asyncio.timeout(self.timeout)
                async with deadline:
                    reply = await self.provider.complete(request, timeout=self.timeout)
            except (ModelError, RetryableError):
                raise
            except Exception as error:
                if deadline is not None and deadline.expired():
                    raise RetryableError(
                        f"no complete answer within {self.timeout:g}s (time queued at the server "
                        "counts: lower --safecase-max-concurrency or raise --safecase-timeout)"
                    ) from None
                raise ModelError(f"{type(error).__name__}: {error}") from error
            if not isinstance(reply, Reply) or not isinstance(reply.text, str):
                raise ModelError(f"provider returned {reply!r}, not a text Reply")
            return reply

        reserved = self.budget.reserve(request, self.spec) if self.budget is not None else 0
        reply: Reply | None = None
        try:
            reply = await call_with_retries(
                attempt,
                self.retry,
                describe=lambda: f"prompt {_preview(request)}",
                on_retry=lambda: self._ledger.record(self.spec, retries=1),
            )
        finally:
            if self.budget is not None:
                self.budget.settle(reserved, None if reply is None else reply.usage)
        return reply


def _finished(reply: Reply) -> Reply:
    """The reply, marked empty if it says nothing: an empty answer is no complete answer."""
    if reply.complete and not reply.text.strip():
        return dataclasses.replace(reply, finish=FINISH_EMPTY)
    return reply


def _scrubbed(text: str) -> str:
    """``text`` on one line, with the value of every secret-looking environment variable
    redacted: providers and proxies echo requests (keys included) in their error bodies."""
    from pytest_safecase._secrets import redact, secret_values

    return " ".join(redact(text, secret_values(os.environ)).split())


def _preview(request: Request, limit: int = 60) -> str:
    text = request.prompt if isinstance(request.prompt, str) else str(request.prompt[-1:])
    return repr(text if len(text) <= limit else text[:limit] + "...")
