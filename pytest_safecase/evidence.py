"""What a claim test records as evidence, and how a decided rate fails a test.

The recorder knows nothing of pytest: the plugin hands one to each test through the ``evidence``
fixture and ships its records on the test report.
"""

from __future__ import annotations

import inspect
import json
import math
import numbers
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from pytest_safecase.verdict import Verdict

if TYPE_CHECKING:  # the records load with a test's first evidence: plain claims never need them
    from pytest_safecase.decision import RateDecision, SequentialDecision
    from pytest_safecase.records import Record


class ClaimRefuted(AssertionError):
    """The evidence shows the claim cannot hold."""


class ClaimInconclusive(AssertionError):
    """The evidence is not strong enough either way."""


class EvidenceError(ValueError):
    """Evidence was recorded with bad input; the test's verdict is error."""


class _SamplerFailed(Exception):
    """Carries what a user's sampler raised past the check that turns TypeError and ValueError
    from the statistics into bad-input errors: the sampler's failure is its own, not the input's."""

    def __init__(self, error: Exception) -> None:
        super().__init__(error)
        self.error = error


class Evidence:
    """Collects the evidence one claim test produces.

    ``owner`` (the test id) prefixes error messages so bad input names the test.
    """

    def __init__(self, owner: str = "") -> None:
        self.owner = owner
        self.records: list[Record] = []
        self.notes: list[str] = []
        self.attachments: list[dict[str, Any]] = []
        self.valid_for: Any = None
        """The claim's ``x-valid-for`` window (e.g. ``"30d"``): older imported evidence is stale."""

    def rate(
        self,
        successes: int,
        trials: int,
        *,
        at_least: float | None = None,
        at_most: float | None = None,
        confidence: float = 0.95,
        name: str | None = None,
    ) -> RateDecision:
        """Decide ``rate >= at_least`` (or ``<= at_most``) on the exact Clopper-Pearson interval.

        Returns the decision when supported; raises :class:`ClaimRefuted` or
        :class:`ClaimInconclusive` (failing the test) otherwise.
        """
        __tracebackhide__ = True
        from pytest_safecase.stats import decide_rate

        try:
            decision = decide_rate(
                successes, trials, at_least=at_least, at_most=at_most, confidence=confidence
            )
        except ValueError as exc:
            raise self._bad_input(exc) from None
        from pytest_safecase.records import RateRecord

        record = RateRecord(name, decision)
        self.records.append(record)
        _raise_unless_supported(decision.verdict, record.describe(), decision.trials_to_settle)
        return decision

    def rate_sequential(
        self,
        sampler: Any,
        *,
        at_least: float | None = None,
        at_most: float | None = None,
        confidence: float = 0.95,
        max_trials: int,
        batch_size: int = 10,
        name: str | None = None,
    ) -> SequentialDecision:
        """Decide a rate claim by sampling until it is decided, with an anytime-valid test.

        ``sampler(n)`` returns the next ``n`` outcomes (bools), or ``sampler`` is an iterable of
        outcomes or of batches; ``async def`` samplers and async iterables run on an event loop
        here (inside a running loop, ``await evidence.arate_sequential(...)`` instead). Stops as
        soon as the claim is decided, after at most ``max_trials`` trials; errs on each side with
        probability at most (1 - confidence) / 2 however early it stops.
        """
        __tracebackhide__ = True
        kwargs: dict[str, Any] = {
            "at_least": at_least,
            "at_most": at_most,
            "confidence": confidence,
            "max_trials": max_trials,
            "batch_size": batch_size,
        }
        from pytest_safecase.stats import asequential_rate, sequential_rate

        is_async = isinstance(sampler, AsyncIterable) or inspect.iscoroutinefunction(sampler)
        try:
            if is_async:
                decision = _run_on_new_loop(asequential_rate(_guarded(sampler), **kwargs))
            else:
                decision = sequential_rate(_guarded(sampler), **kwargs)
        except _SamplerFailed as failed:
            error = failed.error
        except (TypeError, ValueError) as exc:
            raise self._bad_input(exc) from None
        else:
            return self._decided_sequentially(decision, name)
        raise error  # outside the handler: the sampler's own traceback and chain, nothing added

    async def arate_sequential(
        self,
        sampler: Any,
        *,
        at_least: float | None = None,
        at_most: float | None = None,
        confidence: float = 0.95,
        max_trials: int,
        batch_size: int = 10,
        name: str | None = None,
    ) -> SequentialDecision:
        """:meth:`rate_sequential` for async tests: awaits async samplers on the running loop."""
        __tracebackhide__ = True
        from pytest_safecase.stats import asequential_rate

        try:
            decision = await asequential_rate(
                _guarded(sampler),
                at_least=at_least,
                at_most=at_most,
                confidence=confidence,
                max_trials=max_trials,
                batch_size=batch_size,
            )
        except _SamplerFailed as failed:
            error = failed.error
        except (TypeError, ValueError) as exc:
            raise self._bad_input(exc) from None
        else:
            return self._decided_sequentially(decision, name)
        raise error  # outside the handler: the sampler's own traceback and chain, nothing added

    def _decided_sequentially(
        self, decision: SequentialDecision, name: str | None
    ) -> SequentialDecision:
        __tracebackhide__ = True
        from pytest_safecase.records import SequentialRateRecord

        record = SequentialRateRecord(name, decision)
        self.records.append(record)
        summary = record.describe()
        if decision.verdict is Verdict.INCONCLUSIVE:
            raise ClaimInconclusive(
                f"inconclusive: {summary}; allow more trials (max_trials) to decide it"
            )
        _raise_unless_supported(decision.verdict, summary, None)
        return decision

    def from_inspect(
        self,
        log: Any,
        *,
        scorer: str | None = None,
        value: Any = "C",
        at_least: float | None = None,
        at_most: float | None = None,
        confidence: float = 0.95,
        name: str | None = None,
        count_errors: bool = True,
        count_limits: bool = True,
        valid_for: Any = None,
    ) -> RateDecision:
        """Decide a rate claim on an Inspect AI eval log (a path or an ``EvalLog``).

        ``value`` is the score value that counts as the rate's event ("C", 1, True...) or a
        callable given each score's value. One trial per sample id, and epochs never add trials:
        an id counts for the claim only if every epoch does. Errors and limits count against the
        claim unless ``count_errors``/``count_limits`` is False; invalidated samples are dropped
        and counted. A log that did not finish with status success is an error, never evidence.
        Evidence older than ``valid_for`` (default: the claim's ``x-valid-for``) is stale, and the
        claim inconclusive. Needs ``pip install 'pytest-safecase[inspect]'``.
        """
        __tracebackhide__ = True
        from pytest_safecase.interop.inspect_log import decide_inspect_log

        try:
            decision, record, stale = decide_inspect_log(
                log,
                scorer=scorer,
                value=value,
                at_least=at_least,
                at_most=at_most,
                confidence=confidence,
                name=name,
                count_errors=count_errors,
                count_limits=count_limits,
                valid_for=self.valid_for if valid_for is None else valid_for,
            )
        except (TypeError, ValueError) as exc:
            raise self._bad_input(exc) from None
        self.records.append(record)
        if stale:
            raise ClaimInconclusive(f"inconclusive: {stale}; {record.describe()}")
        _raise_unless_supported(decision.verdict, record.describe(), decision.trials_to_settle)
        return decision

    def value(
        self,
        name: str,
        value: float,
        *,
        at_least: float | None = None,
        at_most: float | None = None,
    ) -> float:
        """Record a plain measurement; with a bound, a measurement outside it refutes the claim.

        Python and numpy numbers are accepted. inf, nan and bounds no value can meet are bad input
        (an error, not a refutation): they are mistakes in the test, not findings about the system.
        """
        __tracebackhide__ = True
        value = self._finite(value, f"value {name!r}")
        at_least = (
            None if at_least is None else self._finite(at_least, f"bound at_least for {name!r}")
        )
        at_most = None if at_most is None else self._finite(at_most, f"bound at_most for {name!r}")
        if at_least is not None and at_most is not None and at_least > at_most:
            raise self._bad_input(
                ValueError(
                    f"bounds for {name!r} contradict: "
                    f"at_least {at_least:g} exceeds at_most {at_most:g}"
                )
            )
        verdict: Verdict | None = None
        if at_least is not None or at_most is not None:
            holds = (at_least is None or value >= at_least) and (
                at_most is None or value <= at_most
            )
            verdict = Verdict.SUPPORTED if holds else Verdict.REFUTED
        from pytest_safecase.records import ValueRecord

        record = ValueRecord(name, value, at_least, at_most, verdict)
        self.records.append(record)
        if verdict is Verdict.REFUTED:
            raise ClaimRefuted(record.describe())
        return value

    def risk(self, name: str, upper: float, *, lower: float = 0.0) -> None:
        """Record this claim's bound on the probability of the unacceptable outcome through its
        subsystem; goals with an ``x-risk-budget`` add up the bounds below them (union bound)."""
        for label, bound in (("upper", upper), ("lower", lower)):
            if not _is_real(bound) or not 0 <= bound <= 1:
                raise self._bad_input(
                    ValueError(f"risk {label} bound must be in [0, 1]: {bound!r}")
                )
        upper, lower = float(upper), float(lower)
        if lower > upper:
            raise self._bad_input(ValueError(f"risk lower bound {lower} exceeds upper {upper}"))
        from pytest_safecase.records import RiskRecord

        self.records.append(RiskRecord(name, upper, lower))

    def note(self, text: str) -> None:
        """A line of explanation that reports show beside the claim."""
        self.notes.append(str(text))

    def attach(self, name: str, data: Any) -> None:
        """An artifact for the report directory: JSON-safe data, or text."""
        if not isinstance(name, str) or not name or "/" in name or name.startswith("."):
            raise self._bad_input(
                ValueError(f"attachment name must be a plain file name: {name!r}")
            )
        try:
            json.dumps(data)
        except (TypeError, ValueError) as exc:
            raise self._bad_input(
                ValueError(f"attachment {name!r} is not JSON-safe: {exc}")
            ) from None
        self.attachments.append({"name": name, "data": data})

    def _finite(self, number: Any, what: str) -> int | float:
        """``number`` as a plain int or float, for JSON; anything else is bad input."""
        if not _is_real(number) or not math.isfinite(number):
            raise self._bad_input(ValueError(f"{what} must be a finite number, got {number!r}"))
        return int(number) if isinstance(number, numbers.Integral) else float(number)

    def _bad_input(self, exc: Exception) -> EvidenceError:
        prefix = f"{self.owner}: " if self.owner else ""
        return EvidenceError(f"{prefix}bad evidence input: {exc}")


def _is_real(number: Any) -> bool:
    """A real number, Python's or numpy's; a bool (numpy's too) is a yes or no, not a number."""
    return isinstance(number, numbers.Real) and not isinstance(number, bool)


def _guarded(sampler: Any) -> Any:
    """``sampler`` in the same shape, with anything it raises wrapped in :class:`_SamplerFailed`.

    Shapes are tried in the order the statistics try them; anything else is passed through, for
    the statistics to reject as bad input.
    """
    if isinstance(sampler, AsyncIterable):
        return _guarded_async_stream(sampler)
    if inspect.iscoroutinefunction(sampler):

        async def sample_async(n: int) -> Any:
            __tracebackhide__ = True
            return await _guarded_await(sampler(n))

        return sample_async
    if callable(sampler):

        def sample(n: int) -> Any:
            __tracebackhide__ = True
            try:
                batch = sampler(n)
            except Exception as exc:
                raise _SamplerFailed(exc) from exc
            return _guarded_await(batch) if inspect.isawaitable(batch) else batch

        return sample
    if isinstance(sampler, Iterable):
        return _guarded_stream(sampler)
    return sampler


async def _guarded_await(awaitable: Awaitable[Any]) -> Any:
    __tracebackhide__ = True
    try:
        return await awaitable
    except Exception as exc:
        raise _SamplerFailed(exc) from exc


def _guarded_stream(stream: Iterable[Any]) -> Iterator[Any]:
    __tracebackhide__ = True
    try:
        iterator = iter(stream)
    except Exception as exc:
        raise _SamplerFailed(exc) from exc
    while True:
        try:
            item = next(iterator)
        except StopIteration:
            return
        except Exception as exc:
            raise _SamplerFailed(exc) from exc
        yield item


async def _guarded_async_stream(stream: AsyncIterable[Any]) -> AsyncIterator[Any]:
    __tracebackhide__ = True
    iterator = aiter(stream)
    while True:
        try:
            item = await anext(iterator)
        except StopAsyncIteration:
            return
        except Exception as exc:
            raise _SamplerFailed(exc) from exc
        yield item


def _raise_unless_supported(verdict: Verdict, summary: str, settle: int | None) -> None:
    __tracebackhide__ = True
    if verdict is Verdict.REFUTED:
        raise ClaimRefuted(f"refuted: {summary}")
    if verdict is Verdict.INCONCLUSIVE:
        hint = (
            f"; about {settle} trials at the observed rate would settle it"
            if settle
            else "; no number of trials at the observed rate would settle it"
        )
        raise ClaimInconclusive(f"inconclusive: {summary}{hint}")


def _run_on_new_loop(coroutine: Any) -> Any:
    """Run an async sampler's test to the end; refuse inside a running loop (asyncio is imported
    here, on first use, to keep the plugin's start-up light)."""
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    coroutine.close()
    raise ValueError("an event loop is already running: use `await evidence.arate_sequential(...)`")
