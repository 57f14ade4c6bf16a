"""Background services for the local stack and the tests: start, wait until healthy, stop.

One place knows how to run a server as a child process, so `kindred up`, the test fixtures
and the benchmarks all start and stop services the same way: by process group, with the log
in a file, and a failure that names the service and shows the end of its log.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import random
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

LOOPBACK = "127.0.0.1"


# Services left running on purpose (`kindred up`): held here so that the interpreter never
# collects their Popen objects and warns that they still run; `stop_pid` ends them later.
_DETACHED: list[subprocess.Popen[bytes]] = []


class ServiceFailed(RuntimeError):
    """A service did not start or did not become healthy; the message names it and shows its log."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that nothing listens on right now."""
    return free_port_block(1, host)


def free_port_block(count: int, host: str = LOOPBACK) -> int:
    """The first of `count` consecutive ports that are all free right now, and claimed.

    Chosen at random below the kernel's ephemeral range: a port the OS hands out for outgoing
    connections can be taken by one of them before the server meant for it binds it. Free is
    not enough: between the check and the server's bind, this process or another (a second
    pytest-xdist worker, a benchmark beside the tests) could pick the same port. So a port is
    handed out at most once per process, and claimed across processes by a lock on its byte
    of one shared file, which the kernel releases when the process ends.
    """
    low = min(_ephemeral_start(), 60000)
    for _ in range(200):
        first = random.randrange(PRIVATE_PORTS_START, low - count)
        ports = range(first, first + count)
        if all(_bindable(host, port) for port in ports) and _claim(ports):
            return first
    raise RuntimeError(f"found no {count} consecutive free ports on {host}")


PRIVATE_PORTS_START = 20000  # above the well-known and most registered servers' ports

_CLAIMED: set[int] = set()
_CLAIMS_FILE = Path(tempfile.gettempdir()) / "kindred-ports.lock"
_claims: list[IO[bytes]] = []  # the open claims file: closing it would drop every lock


def _claim(ports: range) -> bool:
    """Claim ports that no process (this one included) has claimed; False if any is taken."""
    if _CLAIMED.intersection(ports):
        return False
    lock = _claims_file()
    if lock is not None:
        try:
            fcntl.lockf(lock, fcntl.LOCK_EX | fcntl.LOCK_NB, len(ports), ports.start, os.SEEK_SET)
        except OSError:
            return False
    _CLAIMED.update(ports)
    return True


def _claims_file() -> IO[bytes] | None:
    """The shared claims file, opened once; None where it cannot be (then per process only)."""
    if not _claims:
        try:
            _claims.append(_CLAIMS_FILE.open("ab"))
        except OSError:
            return None
    return _claims[0]


def _ephemeral_start() -> int:
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768  # Linux's default


def _bindable(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=timeout):
        return True
    return False


def http_ok(url: str, timeout: float = 2.0) -> bool:
    """True when GET url answers 2xx."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return 200 <= response.status < 300
    except (urllib.error.URLError, OSError, ValueError):
        return False


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def stop_pid(pid: int, timeout: float = 10.0) -> None:
    """SIGTERM the process group led by pid, then SIGKILL what is left after timeout."""
    stop_groups([pid], timeout)


def stop_groups(
    pids: Sequence[int],
    timeout: float = 10.0,
    on_stopped: Callable[[int], None] = lambda pid: None,
) -> None:
    """Stop the process groups led by pids together: SIGTERM them all, then wait for them all.

    Each group gets its SIGTERM before any wait begins, so stopping several takes as long as
    the slowest, not their sum. `on_stopped(pid)` is called as each group's processes exit;
    what is left after `timeout` gets SIGKILL (and up to 2 s more). Returns once the exited
    leaders are reaped too (see `_group_alive`), so that none of the pids is still taken.
    """
    left = list(pids)
    for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 2.0)):
        for pid in left:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, sig)
        deadline = time.monotonic() + wait
        while left and time.monotonic() < deadline:
            for pid in [pid for pid in left if not _group_alive(pid)]:
                left.remove(pid)
                _forget_detached(pid)
                on_stopped(pid)
            if left:
                time.sleep(0.05)
        if not left:
            break
    _await_reaped(pids, REAP_SECONDS)


REAP_SECONDS = 2.0  # how long stop_groups waits for init to reap parts that have exited


def _await_reaped(pids: Sequence[int], wait: float) -> None:
    deadline = time.monotonic() + wait
    while any(_group_exists(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.05)


def _group_exists(pgid: int) -> bool:
    """Some process of the group, zombies included, still holds its pid."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pgid, os.WNOHANG)  # reap our own child so it does not linger as a zombie
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _forget_detached(pid: int) -> None:
    for process in [p for p in _DETACHED if p.pid == pid]:
        # Records the exit, so the object no longer thinks it runs. A wait, not a poll: a
        # process whose main thread shows as a zombie may still be ending its other threads.
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=2)
        _DETACHED.remove(process)


def _group_alive(pgid: int) -> bool:
    """Some process of the group still runs; a zombie (exited, not yet reaped) does not count.

    A part that `kindred up` started is no child of `kindred down`: once it exits it stays a
    zombie until init reaps it, which some inits do only once a second, and its work is done.
    """
    if not _group_exists(pgid):
        return False
    members = _group_states(pgid)
    return members is None or any(state != "Z" for state in members)


def _group_states(pgid: int) -> list[str] | None:
    """The state letters (/proc/PID/stat) of the group's processes; None without /proc."""
    try:
        entries = [entry for entry in os.listdir("/proc") if entry.isdigit()]
    except OSError:
        return None
    states = []
    for entry in entries:
        try:
            fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        if int(fields[2]) == pgid:  # fields: state, ppid, pgrp, ...
            states.append(fields[0])
    return states


@dataclass
class Service:
    """A server run as a child process in its own process group, its output in `log`."""

    name: str
    argv: Sequence[str]
    log: Path
    healthy: Callable[[], bool]
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    startup_timeout: float = 60.0
    process: subprocess.Popen[bytes] | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> Service:
        """Start the process; does not wait (see `wait_healthy`)."""
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                list(self.argv),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=self.cwd,
                env={**os.environ, **self.env},
                start_new_session=True,
            )
        return self

    def wait_healthy(self) -> Service:
        """Block until healthy; raises ServiceFailed with the log's tail if it dies or times out."""
        assert self.process is not None, "start() first"
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise self._failure(f"exited with code {self.process.returncode}")
            if self.healthy():
                return self
            time.sleep(0.1)
        raise self._failure(f"not healthy after {self.startup_timeout:.0f} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            stop_pid(self.process.pid)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=2)

    def detach(self) -> None:
        """Leave the process running after this object is gone; stop it with `stop_pid`."""
        if self.process is not None:
            _DETACHED.append(self.process)

    def _failure(self, what: str) -> ServiceFailed:
        return ServiceFailed(f"{self.name} {what}; end of {self.log}:\n{log_tail(self.log)}")


@contextlib.contextmanager
def running(*services: Service) -> Iterator[tuple[Service, ...]]:
    """Start the services together, wait for all, and stop them all on the way out."""
    try:
        for service in services:
            service.start()
        for service in services:
            service.wait_healthy()
        yield services
    finally:
        for service in reversed(services):
            service.stop()
