"""The default cache backend: diskcache's Django backend, keeping its connections and
mending a shard that can no longer be read.

Django closes every cache at the end of every request (right for a network client that
should not hold sockets idle). diskcache's connections are SQLite files opened per
thread, and reopening them costs a handful of PRAGMA statements per shard on the next
request: measured, that made a cached page's eight cache reads cost 0.37 ms each instead
of about 0.01 ms. The web threads live as long as their worker, so the connections stay
open for the thread's life.

A shard's file can be damaged (a full disk, a copy taken mid-write, a stray write):
SQLite then answers "file is not a database" to every call that lands on it. Such a call
is a miss (fail_soft.py); the shard is then opened again, and if its file still cannot
be read it is set aside (renamed `NNN.unreadable-<time>`) and started empty, once, with
a line in the log.
"""

import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from diskcache import Cache, DjangoCache

from dashboard.caching.fail_soft import FailSoft

logger = logging.getLogger("dashboard.cache")
# One thread of the process sets a shard aside at a time: another thread that found the
# same file damaged then opens the fresh one instead of setting that aside too.
_mending = threading.Lock()


class DiskCache(FailSoft, DjangoCache):
    # diskcache turns its own lock timeouts into misses already; what is left is SQLite
    # failing outright (a damaged file, a disk error) and the file system.
    unavailable = (sqlite3.DatabaseError, OSError)

    def __init__(self, directory: str, params: dict[str, Any]) -> None:
        self.location = f"disk:{directory}"
        shards = params.get("SHARDS", 8)
        options = dict(params.get("OPTIONS", {}))
        if "size_limit" in options:
            options["size_limit"] /= shards  # as FanoutCache divides it
        # What every shard is opened with, for a shard opened again.
        self._shard_settings = {"timeout": params.get("DATABASE_TIMEOUT", 0.010), **options}
        try:
            DjangoCache.__init__(self, directory, params)
        except sqlite3.DatabaseError:  # a shard's file was damaged while no one had it open
            for number in range(shards):
                self._usable_shard(os.path.join(directory, f"{number:03d}")).close()
            DjangoCache.__init__(self, directory, params)

    def close(self, **kwargs: Any) -> None:
        """Kept open: see the module's docstring."""

    def recover(self, exc: BaseException) -> None:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            return  # busy, not broken
        self._mend_shards()

    def readiness_problem(self) -> str | None:
        try:
            self._mend_shards()
            for shard in self._cache._shards:
                shard.set("readiness-probe", 1, expire=5)
                shard.get("readiness-probe")
        except self.unavailable as exc:
            return f"a cache shard cannot be used ({type(exc).__name__}: {str(exc)[:200]})"
        return None

    def _mend_shards(self) -> None:
        """Every shard this thread uses answers, or is opened again (and set aside if its
        file cannot be read). Shards are diskcache's own (a pinned version's internals)."""
        shards = list(self._cache._shards)
        for number, shard in enumerate(shards):
            if not _answers(shard):
                shard.close()
                shards[number] = self._usable_shard(shard.directory)
        self._cache._shards = tuple(shards)

    def _usable_shard(self, directory: str) -> Cache:
        """The shard at `directory`, opened afresh; started empty if its file cannot be read.
        (Another process may have set it aside and started it already: then it just opens.)"""
        with _mending:
            return self._opened_or_started(directory)

    def _opened_or_started(self, directory: str) -> Cache:
        try:
            shard = Cache(directory, **self._shard_settings)
            if _answers(shard):
                return shard
            shard.close()
        except sqlite3.DatabaseError:
            pass
        aside = f"{directory}.unreadable-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
        try:
            Path(directory).rename(aside)
            logger.warning("cache shard %s could not be read: set aside as %s and started empty", directory, aside)
        except FileNotFoundError:
            pass  # another process set it aside first
        return Cache(directory, **self._shard_settings)


def _answers(shard: Cache) -> bool:
    try:
        shard._sql("SELECT 1 FROM Cache LIMIT 1").fetchall()
    except sqlite3.DatabaseError:
        return False
    return True
