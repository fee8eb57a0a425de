"""An on-disk response cache (SQLite, standard library) shared safely by xdist worker processes.

Rows hold the request (prompt and sampling parameters) and the answer, never credentials: keys
and headers are not part of a ``Request`` and are never handed to the cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ._base import Reply, Request, Usage

CACHE_FILE_NAME = "responses.sqlite3"
SCHEMA_VERSION = 1
_LOCK_RETRY_SECONDS = 60.0
_BUSY_TIMEOUT_MS = 30_000
_FLUSH_EVERY = 64
_LOOKUP_CHUNK = 500
"""Keys per ``SELECT ... IN (...)``: well under SQLite's smallest limit on bound parameters."""

T = TypeVar("T")


class CacheCorruptWarning(UserWarning):
    """The cache file could not be read; it was moved aside and an empty cache started."""


@dataclass(frozen=True)
class CachedReply:
    """A stored answer, as read back."""

    text: str
    model: str
    usage: Usage


_KEY_JSON = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
"""The key's JSON encoder, made once (``json.dumps`` with options builds one per call)."""


@dataclass(frozen=True)
class CacheKey:
    """Where one request's answer is stored: the digest, and what its row records beside it."""

    digest: str
    provider: str
    """The provider as the row records it (its endpoint without credentials)."""
    model: str
    request_json: str
    """The request's canonical JSON (compact, sorted keys), encoded once for digest and row."""


def cache_key(provider: str, model: str, request: Request, *, label: str | None = None) -> CacheKey:
    """A digest of provider, model and the whole request, sample index included.

    ``label`` is what the row shows as the provider when ``provider`` itself must not be
    stored (the model layer's includes the endpoint URL, which may carry a token).

    The digest is SHA-256 of the compact, key-sorted JSON of ``{"model", "provider",
    "request"}``; the object is written out around the request's JSON so that the request is
    encoded only once. Changing these bytes would orphan every cache written so far.
    """
    request_json = _KEY_JSON.encode(request.canonical())
    payload = (
        f'{{"model":{_KEY_JSON.encode(model)},'
        f'"provider":{_KEY_JSON.encode(provider)},"request":{request_json}}}'
    )
    digest = hashlib.sha256(payload.encode()).hexdigest()
    return CacheKey(digest, provider if label is None else label, model, request_json)


class ResponseCache:
    """Model answers keyed by ``cache_key`` digests; opened lazily, recovers from a corrupt file.

    One connection per process, guarded by a lock (the model layer calls it from its event-loop
    thread, tests may call it from the main thread). WAL mode lets xdist workers read while one
    writes; "database is locked" is retried rather than surfaced.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = Path(directory)
        self.path = self.directory / CACHE_FILE_NAME
        self._lock = threading.Lock()
        self._connection: sqlite3.Connection | None = None
        self._pending_lock = threading.Lock()
        self._pending: dict[str, tuple[tuple[str | int | float, ...], CachedReply]] = {}
        """Deferred writes: the row to insert and the answer it holds, by key."""
        self._trackers: list[set[str]] = []

    @contextlib.contextmanager
    def tracking(self) -> Iterator[set[str]]:
        """The digests looked up while inside: what a result computed meanwhile depends on,
        so that it is reused only while the cache can still answer every one of them."""
        seen: set[str] = set()
        self._trackers.append(seen)
        try:
            yield seen
        finally:
            self._trackers.remove(seen)

    def has_all(self, digests: Iterable[str]) -> bool:
        """Whether an answer is stored for every digest."""
        wanted = list(dict.fromkeys(digests))
        self.flush()
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            query = f"SELECT COUNT(*) FROM responses WHERE key IN ({', '.join(['?'] * len(chunk))})"

            def count(db: sqlite3.Connection, query: str = query, chunk: list[str] = chunk) -> int:
                return int(db.execute(query, chunk).fetchone()[0])

            if self._run(count) != len(chunk):
                return False
        return True

    def get(self, key: CacheKey) -> CachedReply | None:
        return self.get_many([key]).get(key.digest)

    def get_many(self, keys: Sequence[CacheKey]) -> dict[str, CachedReply]:
        """The stored answers among ``keys``, by digest: one query per few hundred keys (a
        batch's lookups would otherwise cost a query each)."""
        for tracker in self._trackers:
            tracker.update(key.digest for key in keys)
        found: dict[str, CachedReply] = {}
        with self._pending_lock:
            for key in keys:
                queued = self._pending.get(key.digest)
                if queued is not None:
                    found[key.digest] = queued[1]
        wanted = list(dict.fromkeys(key.digest for key in keys if key.digest not in found))
        for start in range(0, len(wanted), _LOOKUP_CHUNK):
            chunk = wanted[start : start + _LOOKUP_CHUNK]
            query = (
                "SELECT key, text, reply_model, input_tokens, output_tokens FROM responses"
                f" WHERE key IN ({', '.join(['?'] * len(chunk))})"
            )

            def select(
                db: sqlite3.Connection, query: str = query, chunk: list[str] = chunk
            ) -> list[Any]:
                return db.execute(query, chunk).fetchall()

            rows = self._run(select)
            for digest, text, reply_model, input_tokens, output_tokens in rows:
                found[digest] = CachedReply(text, reply_model, Usage(input_tokens, output_tokens))
        return found

    def put(self, key: CacheKey, reply: Reply, *, defer: bool = False) -> None:
        """Store an answer; the first answer stored for a key is the one that stays.

        ``defer`` queues the row for the next ``flush`` (one transaction for many rows): large
        concurrent batches would otherwise spend a commit per answer.
        """
        usage = reply.usage
        row = (
            *(key.digest, key.provider, key.model, key.request_json, reply.text, reply.model),
            *(usage.input_tokens, usage.output_tokens, time.time()),
        )
        stored = CachedReply(
            reply.text, reply.model, Usage(usage.input_tokens, usage.output_tokens)
        )
        with self._pending_lock:
            self._pending.setdefault(key.digest, (row, stored))
            queued = len(self._pending)
        if not defer or queued >= _FLUSH_EVERY:
            self.flush()

    def flush(self) -> None:
        """Write queued answers in one transaction; they stay queued if the write fails."""
        with self._pending_lock:
            rows = [row for row, _ in self._pending.values()]
        if not rows:
            return

        def insert(db: sqlite3.Connection) -> None:
            with db:
                db.executemany(
                    "INSERT OR IGNORE INTO responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
                )

        self._run(insert)
        with self._pending_lock:
            for row in rows:
                self._pending.pop(str(row[0]), None)

    def __len__(self) -> int:
        self.flush()
        return int(self._run(lambda db: db.execute("SELECT COUNT(*) FROM responses").fetchone()[0]))

    def close(self) -> None:
        self.flush()
        with self._lock:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

    def _run(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """Run one operation, retrying while another process holds the lock and recovering once
        from a corrupt file."""
        with self._lock:
            deadline = time.monotonic() + _LOCK_RETRY_SECONDS
            recovered = False
            while True:
                try:
                    return operation(self._open())
                except sqlite3.DatabaseError as error:
                    if _is_locked(error) and time.monotonic() < deadline:
                        time.sleep(0.05)
                        continue
                    if recovered or not _is_unreadable(error):
                        raise  # locked too long, read-only, disk full, I/O: not the file's fault
                    self._recover(error)
                    recovered = True

    def _open(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        self.directory.mkdir(parents=True, exist_ok=True)
        gitignore = self.directory / ".gitignore"
        if not gitignore.exists():
            with contextlib.suppress(OSError):
                gitignore.write_text("# Created by pytest-safecase: model responses.\n*\n")
        connection = sqlite3.connect(
            self.path, timeout=_BUSY_TIMEOUT_MS / 1000, check_same_thread=False
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
            connection.execute("PRAGMA journal_mode = WAL")
            connection.execute("PRAGMA synchronous = NORMAL")
            with connection:
                connection.execute(
                    "CREATE TABLE IF NOT EXISTS responses ("
                    " key TEXT PRIMARY KEY, provider TEXT NOT NULL, model TEXT NOT NULL,"
                    " request TEXT NOT NULL, text TEXT NOT NULL, reply_model TEXT NOT NULL,"
                    " input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,"
                    " created REAL NOT NULL)"
                )
                connection.execute("CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value)")
                connection.execute(
                    "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (SCHEMA_VERSION,)
                )
            (version,) = connection.execute(
                "SELECT value FROM meta WHERE name = 'schema_version'"
            ).fetchone()
            if version != SCHEMA_VERSION:
                raise ForeignSchemaError(
                    f"cache schema version {version!r}, expected {SCHEMA_VERSION}"
                )
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def _recover(self, error: sqlite3.DatabaseError) -> None:
        """Move the unreadable file (and its WAL side files) aside and start empty."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}-{os.getpid()}")
        try:
            self.path.rename(aside)
        except FileNotFoundError:
            pass
        except OSError as rename_error:
            raise error from rename_error  # cannot move it (read-only place): report the cause
        for suffix in ("-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                self.path.with_name(self.path.name + suffix).unlink()
        warnings.warn(
            CacheCorruptWarning(
                f"safecase response cache {self.path} was unreadable ({error}); "
                f"moved it to {aside.name} and started an empty cache"
            ),
            stacklevel=4,
        )


class ForeignSchemaError(sqlite3.DatabaseError):
    """The file is a SQLite database, but not a cache this version can read."""


def _is_locked(error: sqlite3.DatabaseError) -> bool:
    if getattr(error, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return True
    message = str(error).lower()
    return isinstance(error, sqlite3.OperationalError) and (
        "locked" in message or "busy" in message
    )


def _is_unreadable(error: sqlite3.DatabaseError) -> bool:
    """Whether the file itself is bad (not a database, damaged, foreign schema): the only case
    in which it is moved aside. Other errors leave a good cache alone."""
    code = getattr(error, "sqlite_errorcode", None)
    return isinstance(error, ForeignSchemaError) or code in (
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
    )
