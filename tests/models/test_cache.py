"""The SQLite response cache: keys, corruption recovery, concurrent writers, no secrets."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import pytest

from pytest_safecase.models import (
    CacheCorruptWarning,
    Model,
    Provider,
    Reply,
    Request,
    ResponseCache,
    RetryPolicy,
    Usage,
    UsageLedger,
    get_model,
)
from pytest_safecase.models._cache import CACHE_FILE_NAME, cache_key
from tests.models.fakeserver import FAKE_ANTHROPIC_KEY, FAKE_OPENAI_KEY, FakeLLMServer

REPLY = Reply("stored answer", "m-1", Usage(3, 4))


def test_key_covers_provider_model_request_and_sample() -> None:
    base = cache_key("openai", "m", Request("p"))
    assert base == cache_key("openai", "m", Request("p"))
    assert base == cache_key("openai", "m", Request([{"role": "user", "content": "p"}]))
    variants = [
        cache_key("anthropic", "m", Request("p")),
        cache_key("openai", "m2", Request("p")),
        cache_key("openai", "m", Request("p", system="s")),
        cache_key("openai", "m", Request("p", temperature=0.0)),
        cache_key("openai", "m", Request("p", max_tokens=5)),
        cache_key("openai", "m", Request("p", seed=1)),
        cache_key("openai", "m", Request("p", sample=1)),
    ]
    assert len({base, *variants}) == len(variants) + 1


def test_key_digest_is_stable_across_releases() -> None:
    """Existing cache files stay readable only while these digests stay the same."""
    messages = [{"role": "user", "content": "h\u00e9llo"}]
    request = Request(messages, system="s", temperature=0.5, max_tokens=9, seed=3, sample=2)
    assert cache_key("openai@http://x/v1", "gpt-4o", request).digest == (
        "2b9ab1046131e6b7f2a9e7c30f91ba1cb5e3c988f634ae0f1324300f8c9c91a9"
    )
    assert cache_key("anthropic", "claude", Request("p")).digest == (
        "3454125c6ccaa9a72aefb01637c4215869ca13eb58fd5f11499d1c769573d7c0"
    )


def test_get_many_finds_stored_and_queued_answers_across_query_chunks(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    keys = [cache_key("openai", "m", Request(f"q{n}")) for n in range(1200)]
    for key in keys[:900:3]:
        cache.put(key, REPLY, defer=True)
    cache.flush()
    cache.put(keys[1000], Reply("queued answer", "m-1", Usage(1, 1)), defer=True)
    found = cache.get_many([*keys, keys[0]])
    assert set(found) == {key.digest for key in [*keys[:900:3], keys[1000]]}
    assert found[keys[1000].digest].text == "queued answer"
    assert found[keys[3].digest] == cache.get(keys[3])
    cache.close()


def test_tracking_names_what_was_looked_up_and_has_all_checks_every_chunk(
    tmp_path: Path,
) -> None:
    cache = ResponseCache(tmp_path)
    keys = [cache_key("openai", "m", Request(f"q{n}")) for n in range(1200)]
    cache.get(keys[0])  # before tracking: not part of what is tracked
    with cache.tracking() as seen:
        cache.get_many(keys[1:])
        for key in keys[1:]:
            cache.put(key, REPLY, defer=True)
    cache.get(keys[0])  # after: not either
    assert seen == {key.digest for key in keys[1:]}
    assert cache.has_all(seen)  # the queued answers too
    assert not cache.has_all([keys[0].digest, *seen])
    assert not cache.has_all([*sorted(seen), keys[0].digest])  # missing in the last chunk
    assert cache.has_all([])
    cache.close()


def test_put_get_round_trip_and_first_answer_stays(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c")
    assert cache.get(cache_key("openai", "m", Request("q"))) is None
    cache.put(cache_key("openai", "m", Request("q")), REPLY)
    cache.put(cache_key("openai", "m", Request("q")), Reply("later answer", "m-1", Usage(1, 1)))
    hit = cache.get(cache_key("openai", "m", Request("q")))
    assert hit is not None and (hit.text, hit.model, hit.usage) == (
        "stored answer",
        "m-1",
        Usage(3, 4),
    )
    assert len(cache) == 1
    assert (tmp_path / "c" / ".gitignore").read_text().strip().endswith("*")
    cache.close()


@pytest.mark.parametrize(
    "garbage",
    [b"this is not a sqlite database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4000],
)
def test_corrupt_file_gives_a_warning_and_a_fresh_cache(tmp_path: Path, garbage: bytes) -> None:
    (tmp_path / CACHE_FILE_NAME).write_bytes(garbage)
    cache = ResponseCache(tmp_path)
    with pytest.warns(CacheCorruptWarning, match="unreadable"):
        assert cache.get(cache_key("openai", "m", Request("q"))) is None
    cache.put(cache_key("openai", "m", Request("q")), REPLY)
    assert cache.get(cache_key("openai", "m", Request("q"))) is not None
    moved = list(tmp_path.glob(f"{CACHE_FILE_NAME}.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == garbage
    cache.close()


def test_an_error_that_is_not_the_files_fault_leaves_the_cache_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = ResponseCache(tmp_path)
    first.put(cache_key("openai", "m", Request("kept")), REPLY)
    first.close()
    connect = sqlite3.connect

    def read_only(path: Path, **options: object) -> sqlite3.Connection:
        return connect(f"file:{path}?mode=ro", uri=True, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(sqlite3, "connect", read_only)
    cache = ResponseCache(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheCorruptWarning)
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            cache.put(cache_key("openai", "m", Request("new")), REPLY)
    assert not list(tmp_path.glob(f"{CACHE_FILE_NAME}.corrupt-*"))
    monkeypatch.undo()
    assert ResponseCache(tmp_path).get(cache_key("openai", "m", Request("kept"))) is not None


def test_foreign_schema_version_is_treated_as_unreadable(tmp_path: Path) -> None:
    first = ResponseCache(tmp_path)
    assert len(first) == 0
    first.close()
    with sqlite3.connect(tmp_path / CACHE_FILE_NAME) as db:
        db.execute("UPDATE meta SET value = 99 WHERE name = 'schema_version'")
    db.close()
    cache = ResponseCache(tmp_path)
    with pytest.warns(CacheCorruptWarning, match="schema version 99"):
        assert len(cache) == 0
    cache.close()


WRITER = textwrap.dedent(
    """
    import sys
    from pytest_safecase.models import Reply, Request, ResponseCache, Usage
    from pytest_safecase.models._cache import cache_key
    cache = ResponseCache(sys.argv[1])
    worker = sys.argv[2]
    for n in range(150):
        request = Request(f"prompt {n}", sample=int(worker))
        cache.put(cache_key("openai", "m", request), Reply(f"{worker}:{n}", "m", Usage(1, 1)))
        assert cache.get(cache_key("openai", "m", Request(f"prompt {n // 2}", sample=int(worker))))
    print("done", worker)
    """
)


def test_concurrent_writer_processes_do_not_lose_rows(tmp_path: Path) -> None:
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(tmp_path), str(worker)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for worker in range(4)
    ]
    outputs = [worker.communicate(timeout=60) for worker in workers]
    assert [worker.returncode for worker in workers] == [0] * 4, outputs
    cache = ResponseCache(tmp_path)
    assert len(cache) == 4 * 150
    hit = cache.get(cache_key("openai", "m", Request("prompt 149", sample=3)))
    assert hit is not None and hit.text == "3:149"
    cache.close()


def test_cache_file_never_holds_keys_or_headers(llm_env: FakeLLMServer, tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    for spec in ("openai:gpt-fake", "anthropic:claude-fake"):
        model = get_model(spec, cache=cache, retry=RetryPolicy(0), ledger=UsageLedger())
        model.generate("remember this", system="sys", sample=2)
        model.close()
    cache.close()
    assert any(seen.headers.get("authorization") for seen in llm_env.requests), (
        "the planted key did reach the server, so its absence below means something"
    )
    raw = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert b"remember this" in raw
    for secret in (FAKE_OPENAI_KEY, FAKE_ANTHROPIC_KEY, "Bearer", "x-api-key", "authorization"):
        assert secret.encode().lower() not in raw.lower()


class _EndpointWithCredentials(Provider):
    """A provider whose endpoint URL carries a user, a password and a token."""

    name = "gateway"
    endpoint = "https://user:hunter2@llm.example/v1?token=tok-secret"

    async def complete(self, request: Request, *, timeout: float) -> Reply:
        return Reply("ok", self.model, Usage(1, 1))


def test_cache_rows_record_the_endpoint_without_its_credentials(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    model = Model(_EndpointWithCredentials("m"), cache=cache, ledger=UsageLedger())
    model.generate("q")
    cache.close()
    raw = b"".join(path.read_bytes() for path in tmp_path.iterdir() if path.is_file())
    assert b"llm.example/v1" in raw
    assert b"hunter2" not in raw and b"tok-secret" not in raw and b"user:" not in raw


def test_deferred_writes_are_visible_at_once_and_durable_after_flush(tmp_path: Path) -> None:
    writer = ResponseCache(tmp_path)
    writer.put(cache_key("openai", "m", Request("deferred")), REPLY, defer=True)
    hit = writer.get(cache_key("openai", "m", Request("deferred")))
    assert hit is not None and hit.text == "stored answer" and hit.usage == Usage(3, 4)
    reader = ResponseCache(tmp_path)
    assert reader.get(cache_key("openai", "m", Request("deferred"))) is None, "not written yet"
    writer.flush()
    assert reader.get(cache_key("openai", "m", Request("deferred"))) is not None
    for n in range(100):
        writer.put(cache_key("openai", "m", Request(f"bulk {n}")), REPLY, defer=True)
    bulk = reader.get(cache_key("openai", "m", Request("bulk 0")))
    assert bulk is not None, "flushed when the queue fills"
    writer.close()
    assert len(reader) == 101, "close flushes the rest"
    reader.close()
