"""`blocking`: a cheap route's p99 latency while a slow route blocks the event loop, or not.

Two servers of `benchmarks/apps/slow_call.py`, one worker each. On one, a few connections keep
`/slow/blocking` busy (a 20 ms synchronous call inside `async def`); on the other, the same
number keep `/slow/in-thread` busy (the same call through `asyncio.to_thread`). Meanwhile the
load generator measures `/cheap` on the same server, round by round, alternating the servers.
The ratio is the cheap route's p99 latency beside the blocking call over its p99 beside the
call done right.
"""

from __future__ import annotations

import dataclasses
import statistics
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from benchmarks.case import Outcome, ratio_outcome
from benchmarks.context import RunContext
from benchmarks.load import BenchmarkError, LoadGenerator, Sample, Target, compare
from benchmarks.stages import Stage

APP = "slow_call"
CHEAP = "/cheap"
SLOW = {"right": "/slow/in-thread", "blocking": "/slow/blocking"}
# Connections that keep the slow route busy, beside the measured ones.
SLOW_CONNECTIONS = 4
# Connections that measure the cheap route: a few clients, not a flood. Latency, not
# throughput, is the question; with the run's 32 the cheap route's own queue would be measured.
CONNECTIONS = 4
MINIMUM = 10.0


@dataclass
class WithSlowLoad:
    """A load generator that keeps a slow route of the same server busy while it measures.

    Every run on a cheap route also runs, on a thread and for as long, a load on the slow
    route that `slow_routes` names for it; what the slow route served is kept in `slow`.
    """

    generator: LoadGenerator
    slow_routes: dict[str, Target]  # by the URL of the cheap route they go with
    slow: dict[str, list[Sample]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Return the measuring generator's name."""
        return self.generator.name

    @property
    def version(self) -> str:
        """Return the measuring generator's version."""
        return self.generator.version

    def run(self, target: Target, seconds: float, connections: int) -> Sample:
        """Measure `target` while its slow route is loaded too.

        Raises:
            BenchmarkError: The slow route answered errors, or nothing at all.

        """
        slow = self.slow_routes[target.url]
        with ThreadPoolExecutor(max_workers=1) as pool:
            background = pool.submit(self.generator.run, slow, seconds, SLOW_CONNECTIONS)
            sample = self.generator.run(target, seconds, connections)
            slow_sample = background.result()
        if slow_sample.errors or not slow_sample.requests:
            raise BenchmarkError(
                f"{slow.label}: {slow_sample.errors} error(s) in {slow_sample.requests} requests"
            )
        self.slow.setdefault(slow.label, []).append(slow_sample)
        return sample


def run(context: RunContext, stage: Stage) -> Outcome:
    """Load `/cheap` on both servers in alternating rounds, each beside its slow route."""
    specs = [
        context.app_server(stage, APP, "in a thread"),
        context.app_server(stage, APP, "blocking"),
    ]
    with context.serve(*specs) as (right, blocking):
        slow_targets = {
            right.url + CHEAP: Target(f"`{SLOW['right']}`", right.url + SLOW["right"]),
            blocking.url + CHEAP: Target(f"`{SLOW['blocking']}`", blocking.url + SLOW["blocking"]),
        }
        generator = WithSlowLoad(context.load.generator, slow_targets)
        load = dataclasses.replace(context.load, generator=generator, connections=CONNECTIONS)
        comparison = compare(
            Target(f"`{CHEAP}` beside `{SLOW['right']}`", right.url + CHEAP),
            Target(f"`{CHEAP}` beside `{SLOW['blocking']}`", blocking.url + CHEAP),
            load,
        )
    slow_rates = {
        label: statistics.median(sample.requests_per_second for sample in samples)
        for label, samples in generator.slow.items()
    }
    note = (
        f"One uvicorn worker per server. While `{CHEAP}` was measured, {SLOW_CONNECTIONS}"
        " more connections kept the slow route of the same server busy: a 20 ms synchronous"
        " call, made on the event loop (`time.sleep` inside `async def`, as a synchronous"
        " driver would), or through `asyncio.to_thread`. The slow routes served, per second"
        " (median of the rounds): "
        + ", ".join(f"{label} {rate:,.0f}" for label, rate in slow_rates.items())
        + ". The blocking call holds up every request that arrives while it runs, and the"
        " p99 shows it."
    )
    return ratio_outcome(
        comparison,
        label="blocking / in a thread, p99",
        metric="p99_ms",
        minimum=MINIMUM,
        notes=(note,),
        extra={"slow_connections": SLOW_CONNECTIONS, "slow_requests_per_second": slow_rates},
        load=load,
    )
