"""Servers under test: uvicorn in subprocesses, pinned to CPUs, started and stopped cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.load import BenchmarkError
from guide_kit.ports import free_port

STARTUP_SECONDS = 60.0
STOP_SECONDS = 15.0
# Printed once per worker by uvicorn, whoever formats its logs.
_STARTED = "Application startup complete"


@dataclass(frozen=True)
class CpuPlan:
    """Which CPUs the load generator (and this runner) use, and which the servers use.

    On two cores, a server and wrk that share both would starve each other in turns, and the
    ratio would depend on the scheduler. Pinning gives each its own core.
    """

    client: frozenset[int] | None
    server: frozenset[int] | None
    every: frozenset[int] | None

    @classmethod
    def detect(cls) -> CpuPlan:
        """Split the CPUs this process may use: the first for the client, the next for servers."""
        if not hasattr(os, "sched_getaffinity"):
            return cls(client=None, server=None, every=None)
        available = sorted(os.sched_getaffinity(0))
        if len(available) < 2:
            return cls(client=None, server=None, every=None)
        return cls(
            client=frozenset(available[:1]),
            server=frozenset(available[1:2]),
            every=frozenset(available),
        )

    def pin_this_process(self) -> None:
        """Move the runner, and so every load generator it starts, onto the client CPU."""
        if self.client is not None:
            os.sched_setaffinity(0, self.client)

    def describe(self) -> str:
        """Say where each side ran, for the results."""
        if self.client is None or self.server is None:
            return "not pinned (one CPU, or no CPU affinity on this system)"
        return (
            f"load generator and runner on CPU {_cpus(self.client)}; "
            f"each single-worker server on CPU {_cpus(self.server)}"
        )


def _cpus(cpus: frozenset[int]) -> str:
    return ",".join(str(cpu) for cpu in sorted(cpus))


@dataclass(frozen=True)
class ServerSpec:
    """How to start one server: an interpreter, an ASGI app, a folder and an environment."""

    label: str
    python: Path
    app: str
    cwd: Path
    env: Mapping[str, str]
    app_dir: Path | None = None
    workers: int = 1
    cpus: frozenset[int] | None = None
    # The stage's servers create their tables at start-up; two doing it at once on
    # PostgreSQL would race, so the first one starts alone (see RunContext.serve).
    creates_tables: bool = False

    def command(self, port: int) -> list[str]:
        """Return the uvicorn command line for `port`.

        uvicorn's own access log is off for every server: the stages write their own access
        line, which is part of what they cost, and the single-file apps write none.
        """
        command = [str(self.python), "-m", "uvicorn", self.app, "--host", "127.0.0.1"]
        command += ["--port", str(port), "--no-access-log", "--workers", str(self.workers)]
        if self.app_dir is not None:
            command += ["--app-dir", str(self.app_dir)]
        return command


@dataclass
class Server:
    """A started server."""

    spec: ServerSpec
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the server's output, to explain a failure."""
        text = self.log.read_text(encoding="utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:])


def launch(spec: ServerSpec, log_dir: Path) -> Server:
    """Start a server in its own process group, pinned to its CPUs; do not wait for it."""
    port = free_port()
    log = log_dir / f"{spec.label.replace(' ', '-').replace('/', '-')}-{port}.log"
    cpus = spec.cpus

    def pin() -> None:
        if cpus is not None:
            os.sched_setaffinity(0, cpus)

    with log.open("wb") as output:
        process = subprocess.Popen(  # noqa: S603 - our interpreter and arguments, no shell
            spec.command(port),
            cwd=spec.cwd,
            env=dict(spec.env),
            stdout=output,
            stderr=subprocess.STDOUT,
            # Its own group, so that stopping it stops its workers too, and nothing else.
            start_new_session=True,
            preexec_fn=pin,
        )
    return Server(spec=spec, url=f"http://127.0.0.1:{port}", process=process, log=log)


def wait_until_up(server: Server) -> None:
    """Wait until the server answers HTTP and each of its workers has started.

    Any answer counts, even a 404: a single-file app need not have a health route.

    Raises:
        BenchmarkError: The server exited, or did not come up in time.

    """
    deadline = time.monotonic() + STARTUP_SECONDS
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise BenchmarkError(
                    f"{server.spec.label} exited with {server.process.returncode}:\n"
                    f"{server.log_tail()}"
                )
            if _answers(client, server.url) and _workers_started(server):
                return
            time.sleep(0.05)
    raise BenchmarkError(f"{server.spec.label} did not start in time:\n{server.log_tail()}")


def _answers(client: httpx.Client, url: str) -> bool:
    try:
        client.get(f"{url}/")
    except httpx.TransportError:
        return False
    return True


def _workers_started(server: Server) -> bool:
    text = server.log.read_text(encoding="utf-8", errors="replace")
    return text.count(_STARTED) >= server.spec.workers


def stop(server: Server) -> None:
    """Stop a server and its workers: SIGTERM to its group, SIGKILL if it lingers."""
    if server.process.poll() is not None:
        return
    group = os.getpgid(server.process.pid)
    os.killpg(group, signal.SIGTERM)
    try:
        server.process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(group, signal.SIGKILL)
        server.process.wait()


@contextmanager
def running(specs: Sequence[ServerSpec], log_dir: Path) -> Iterator[list[Server]]:
    """Start servers side by side, wait until all are up, and stop them all at the end."""
    with ExitStack() as stack:
        servers = []
        for spec in specs:
            server = launch(spec, log_dir)
            stack.callback(stop, server)
            servers.append(server)
        for server in servers:
            wait_until_up(server)
        yield servers
