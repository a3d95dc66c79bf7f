"""Load generation: wrk where it is installed, and side-by-side comparisons of two targets.

wrk is written in C and keeps up with any Python server on one core; a Python client would
measure itself as much as the server. The small Python client here exists only so that
`--smoke` runs on a machine without wrk: its figures are never published.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import statistics
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import httpx

from benchmarks import PACKAGE

WRK_SCRIPT = PACKAGE / "wrk_report.lua"
_WRK_MARK = "BENCHMARK-RESULT "
# A request that takes longer than this counts as an error, not as a latency.
REQUEST_TIMEOUT_SECONDS = 10
INSTALL_HINT = (
    "wrk is not installed. It is the load generator of these benchmarks: on Debian or Ubuntu,"
    " `sudo apt-get install wrk`; on macOS, `brew install wrk`."
)


class BenchmarkError(RuntimeError):
    """A measurement that cannot be trusted: errors under load, a server that did not start."""


@dataclass(frozen=True)
class Target:
    """What the load generator requests: one URL, with the headers every request carries."""

    label: str
    url: str
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    """What one load run measured."""

    requests: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    errors: int


class LoadGenerator(Protocol):
    """Runs load against a target for a while and reports a `Sample`."""

    @property
    def name(self) -> str:
        """Return what the results call it."""
        ...

    @property
    def version(self) -> str:
        """Return its version."""
        ...

    def run(self, target: Target, seconds: float, connections: int) -> Sample:
        """Load `target` with `connections` open connections for `seconds`."""
        ...


@dataclass(frozen=True)
class Wrk:
    """wrk with one thread, reporting through `wrk_report.lua`."""

    executable: str
    version: str
    name: str = "wrk"

    def run(self, target: Target, seconds: float, connections: int) -> Sample:
        """Run wrk for `seconds` (whole seconds, at least one: wrk takes no fractions)."""
        whole_seconds = max(1, round(seconds))
        command = [self.executable, "-t1", f"-c{connections}", f"-d{whole_seconds}s"]
        command += [f"--timeout={REQUEST_TIMEOUT_SECONDS}s", "-s", str(WRK_SCRIPT)]
        for name, value in target.headers.items():
            command += ["-H", f"{name}: {value}"]
        command.append(target.url)
        finished = subprocess.run(  # noqa: S603 - our arguments, no shell
            command, capture_output=True, text=True, timeout=whole_seconds + 60, check=False
        )
        for line in finished.stdout.splitlines():
            if line.startswith(_WRK_MARK):
                return _wrk_sample(json.loads(line.removeprefix(_WRK_MARK)))
        raise BenchmarkError(f"wrk failed on {target.url}:\n{finished.stdout}{finished.stderr}")


def _wrk_sample(report: Mapping[str, int]) -> Sample:
    seconds = report["duration_us"] / 1e6
    errors = sum(report[key] for key in report if key.endswith("_errors") or key == "timeouts")
    return Sample(
        requests=report["requests"],
        seconds=round(seconds, 3),
        requests_per_second=round(report["requests"] / seconds, 1),
        p50_ms=report["p50_us"] / 1000,
        p90_ms=report["p90_us"] / 1000,
        p99_ms=report["p99_us"] / 1000,
        max_ms=report["max_us"] / 1000,
        errors=errors,
    )


def find_wrk() -> Wrk | None:
    """Return wrk if it is on PATH, with its version, else None."""
    executable = shutil.which("wrk")
    if executable is None:
        return None
    # `wrk --version` prints its banner and usage, and exits 1.
    banner = subprocess.run(  # noqa: S603 - the resolved wrk, one fixed option
        [executable, "--version"], capture_output=True, text=True, timeout=10, check=False
    )
    words = (banner.stdout + banner.stderr).split()
    version = words[1] if len(words) > 1 and words[0] == "wrk" else "unknown"
    return Wrk(executable=executable, version=version)


@dataclass(frozen=True)
class PythonClient:
    """A small asyncio client, only for `--smoke` where wrk is missing."""

    name: str = "python client (smoke only)"
    version: str = httpx.__version__

    def run(self, target: Target, seconds: float, connections: int) -> Sample:
        """Keep `connections` requests in flight for `seconds`."""
        return asyncio.run(_python_load(target, seconds, connections))


async def _python_load(target: Target, seconds: float, connections: int) -> Sample:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=connections)
    async with httpx.AsyncClient(limits=limits, timeout=REQUEST_TIMEOUT_SECONDS) as client:
        start = time.perf_counter()
        deadline = start + seconds

        async def worker() -> None:
            nonlocal errors
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                try:
                    response = await client.get(target.url, headers=dict(target.headers))
                    errors += not response.is_success
                except httpx.HTTPError:
                    errors += 1
                latencies.append(time.perf_counter() - sent)

        await asyncio.gather(*(worker() for _ in range(connections)))
        elapsed = time.perf_counter() - start
    return sample_of(latencies, elapsed, errors)


def sample_of(latencies: Sequence[float], elapsed: float, errors: int = 0) -> Sample:
    """Summarise latencies in seconds, measured over `elapsed` seconds, as a `Sample`."""
    ordered = sorted(latencies) or [0.0]
    return Sample(
        requests=len(latencies),
        seconds=round(elapsed, 3),
        requests_per_second=round(len(latencies) / elapsed, 1) if elapsed else 0.0,
        p50_ms=percentile(ordered, 50) * 1000,
        p90_ms=percentile(ordered, 90) * 1000,
        p99_ms=percentile(ordered, 99) * 1000,
        max_ms=ordered[-1] * 1000,
        errors=errors,
    )


@contextmanager
def on_a_thread(work: Callable[[], None], stop: threading.Event) -> Iterator[None]:
    """Run `work` on a daemon thread while the block runs; then set `stop` and wait for it."""
    thread = threading.Thread(target=work, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def percentile(ordered: Sequence[float], percent: float) -> float:
    """Return the nearest-rank percentile of already sorted values."""
    rank = max(1, round(percent / 100 * len(ordered)))
    return ordered[min(rank, len(ordered)) - 1]


@dataclass(frozen=True)
class LoadSettings:
    """How long, how hard and how often each target is loaded."""

    generator: LoadGenerator
    seconds: float
    warmup_seconds: float
    rounds: int
    connections: int

    def describe(self) -> str:
        """Say how the load was applied, for the results."""
        return (
            f"{self.generator.name} {self.generator.version}, one thread, "
            f"{self.connections} connections; {self.rounds} round{'s' if self.rounds > 1 else ''}"
            f" of {self.seconds:g} s "
            f"per server, alternated, after {self.warmup_seconds:g} s of warm-up each"
        )


@dataclass(frozen=True)
class Side:
    """One of the two things compared, with what each round measured."""

    label: str
    samples: tuple[Sample, ...]

    def median(self, metric: str) -> float:
        """Return the median of one `Sample` field over the rounds."""
        return float(statistics.median(getattr(sample, metric) for sample in self.samples))

    def as_dict(self) -> dict[str, Any]:
        """Return the side as JSON-ready data: its label, medians and rounds."""
        medians = {name: self.median(name) for name in Sample.__dataclass_fields__}
        return {
            "label": self.label,
            "median": medians,
            "rounds": [asdict(sample) for sample in self.samples],
        }


@dataclass(frozen=True)
class Comparison:
    """Two targets loaded in alternating rounds in one run: the baseline and the subject."""

    baseline: Side
    subject: Side

    def ratio(self, metric: str = "requests_per_second") -> float:
        """Return the median of the round-by-round ratios subject / baseline of `metric`.

        The two sides of a round ran one right after the other, so a round's ratio cancels
        what the machine did at that time; the median drops the round that a burst of other
        work on the machine spoiled.
        """
        return float(statistics.median(self.round_ratios(metric)))

    def round_ratios(self, metric: str = "requests_per_second") -> list[float]:
        """Return subject / baseline round by round, to show how much the ratio moved."""
        return [
            getattr(subject, metric) / getattr(baseline, metric)
            for baseline, subject in zip(self.baseline.samples, self.subject.samples, strict=True)
        ]


def compare(baseline: Target, subject: Target, load: LoadSettings) -> Comparison:
    """Warm both targets up, then load them in alternating rounds: A B, B A, A B...

    Alternating spreads a drift of the machine (another tenant, a CPU clock change) over both
    sides instead of charging it to whichever ran second.

    Raises:
        BenchmarkError: A target answered anything but 2xx, or failed to answer.

    """
    for target in (baseline, subject):
        if load.warmup_seconds > 0:
            load.generator.run(target, load.warmup_seconds, load.connections)
    sides = (baseline, subject)
    samples: tuple[list[Sample], list[Sample]] = ([], [])
    for index in range(load.rounds):
        order = (0, 1) if index % 2 == 0 else (1, 0)
        for position in order:
            target = sides[position]
            sample = load.generator.run(target, load.seconds, load.connections)
            if sample.errors or not sample.requests:
                raise BenchmarkError(
                    f"{target.label}: {sample.errors} error(s) in {sample.requests} requests "
                    f"to {target.url}; the figures would not be comparable"
                )
            samples[position].append(sample)
    return Comparison(
        baseline=Side(baseline.label, tuple(samples[0])),
        subject=Side(subject.label, tuple(samples[1])),
    )
