"""Trusted side of the fork server: start it once per process, ask it for one runner per sandbox.

Starting an interpreter and importing what the runner needs costs more than all the isolation
that follows it; the fork server (``_runner.serve``) pays that once. Each launch hands it the job
file's path and the runner's four pipe ends, and gets back the runner's pid and a pidfd, which
says when the runner has exited and cannot be confused with a later process that reuses the pid.
"""

from __future__ import annotations

import atexit
import os
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass

from . import _runner

__all__ = ["SANDBOX_ENV", "LaunchError", "Runner", "launch"]

SANDBOX_ENV = {
    "PATH": "/usr/local/bin:/usr/bin:/bin",
    "LANG": "C.UTF-8",
    "HOME": "/tmp",
    "TMPDIR": "/tmp",
    "PYTHONHASHSEED": "0",
}
"""The whole environment of the fork server, and so of every runner and child."""


class LaunchError(OSError):
    """The fork server could not start a runner."""


@dataclass(frozen=True)
class Runner:
    """A started runner: its pid (also its process group's id) and a pidfd of it."""

    pid: int
    pidfd: int


class _ForkServer:
    """The process's fork server, started on first use and again if it dies or the process forks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._link: socket.socket | None = None
        self._server: subprocess.Popen[bytes] | None = None
        self._owner = 0

    def launch(self, job_path: str, pipes: tuple[int, int, int, int]) -> Runner:
        """A runner for the job at ``job_path`` holding ``pipes`` (see ``_runner.PIPES``)."""
        with self._lock:
            if self._link is None or self._owner != os.getpid():
                self._start()
            try:
                return self._ask(job_path, pipes)
            except BaseException:
                # Whatever broke off the exchange (an interrupt too), an answer may still be on
                # its way: the next launch must never read it as its own. Start afresh.
                self.stop()
                raise

    def _ask(self, job_path: str, pipes: tuple[int, int, int, int]) -> Runner:
        assert self._link is not None
        try:
            socket.send_fds(self._link, [job_path.encode()], list(pipes))
        except OSError:  # the server died since the last launch: one restart, then retry
            self._start()
            assert self._link is not None
            socket.send_fds(self._link, [job_path.encode()], list(pipes))
        try:
            data, received, _, _ = socket.recv_fds(self._link, 64, 1)
        except OSError as exc:
            raise LaunchError(f"the sandbox fork server failed: {exc}") from exc
        for fd in received:
            os.set_inheritable(fd, False)  # received descriptors are inheritable by default
        if len(received) != 1 or not data.isdigit():
            for fd in received:
                os.close(fd)
            raise LaunchError(f"the sandbox fork server answered {data!r:.40}")
        return Runner(int(data), received[0])

    def forget(self) -> None:
        """In a forked child of this process: the parent's server and lock are not ours."""
        self._lock = threading.Lock()
        if self._link is not None:
            self._link.close()
        self._link, self._server, self._owner = None, None, 0

    def _start(self) -> None:
        self.stop()
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            command = [sys.executable, "-S", "-s", "-P", "-B", _runner.__file__, "--serve"]
            self._server = subprocess.Popen(
                [*command, str(theirs.fileno())],
                cwd="/",
                env=SANDBOX_ENV,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                pass_fds=(theirs.fileno(),),
                start_new_session=True,
            )
        except OSError:
            ours.close()
            raise
        finally:
            theirs.close()
        self._link, self._owner = ours, os.getpid()

    def stop(self) -> None:
        """Hang up: the server exits when it reads the end of its socket."""
        if self._link is not None:
            self._link.close()
            self._link = None
        if self._server is not None and self._owner == os.getpid():
            self._server.kill()
            self._server.wait()
        self._server = None


_SERVER = _ForkServer()
atexit.register(_SERVER.stop)
os.register_at_fork(after_in_child=_SERVER.forget)


def launch(job_path: str, pipes: tuple[int, int, int, int]) -> Runner:
    """Start a runner for one sandbox through this process's fork server."""
    return _SERVER.launch(job_path, pipes)
