"""`workers`: the stage's `GET /health` served by two uvicorn workers vs by one.

Both servers may use every CPU here (the other cases give a server one CPU). The load
generator still needs one of them: on a two-core machine it shares a core with one of the two
workers, so the ratio understates what a second worker gives when the load comes from
elsewhere, as it does in production.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

from benchmarks.case import Outcome, ratio_outcome
from benchmarks.context import RunContext
from benchmarks.load import Target, compare, on_a_thread
from benchmarks.stages import Stage

PATH = "/health"
MINIMUM = 1.5
SAMPLE_SECONDS = 0.5


class ConnectionSplit:
    """Samples how a server's open connections split between its worker processes.

    uvicorn's workers share one listening socket, and the first to wake up accepts every
    connection waiting: wrk opens its connections all at once and keeps them, so one worker
    may get most of them for a whole round. This is what the samples show.
    """

    def __init__(self, url: str, connections: int) -> None:
        self.port = urlsplit(url).port
        self.connections = connections
        self.shares: list[float] = []
        self._stop = threading.Event()

    def sample(self) -> None:
        """Record the busiest worker's share, if the load generator's connections are all open."""
        ss = shutil.which("ss")
        if ss is None:
            return
        listing = subprocess.run(  # noqa: S603 - ss with fixed arguments, no shell
            [ss, "-tnpH", "state", "established", "sport", f"= :{self.port}"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
        per_worker = Counter(re.findall(r"pid=(\d+)", listing))
        if sum(per_worker.values()) == self.connections:
            self.shares.append(max(per_worker.values()) / self.connections)

    @contextmanager
    def sampling(self) -> Iterator[ConnectionSplit]:
        """Sample on a thread while the block runs."""

        def loop() -> None:
            while not self._stop.wait(SAMPLE_SECONDS):
                self.sample()

        with on_a_thread(loop, self._stop):
            yield self

    def describe(self) -> str:
        """Say how unevenly the connections were split, or nothing without samples."""
        if not self.shares:
            return ""
        low, middle, high = min(self.shares), statistics.median(self.shares), max(self.shares)
        return (
            f" While the two workers were loaded, the busier of them held {low:.0%} to"
            f" {high:.0%} of the {self.connections} connections (median {middle:.0%})."
        )


def run(context: RunContext, stage: Stage) -> Outcome:
    """Load a one-worker and a two-worker server of the stage in alternating rounds."""
    every = context.cpus.every
    one = context.stage_server(stage, f"stage {stage.name}, 1 worker", cpus=every)
    two = context.stage_server(stage, f"stage {stage.name}, 2 workers", workers=2, cpus=every)
    with context.serve(one, two) as (one_server, two_servers):
        split = ConnectionSplit(two_servers.url, context.load.connections)
        with split.sampling():
            comparison = compare(
                Target(f"stage `{stage.name}`, 1 worker", one_server.url + PATH),
                Target(f"stage `{stage.name}`, 2 workers", two_servers.url + PATH),
                context.load,
            )
    cpus = "every CPU" if every is None else f"CPUs {','.join(str(cpu) for cpu in sorted(every))}"
    note = (
        f"Both servers could use {cpus}, and the load generator ran on one of them: with two"
        " cores, it takes CPU time from one of the two workers. The workers share one"
        " listening socket and wrk keeps its connections open, so how the connections happen"
        " to split between the workers at the start of a round decides much of that round."
        + split.describe()
    )
    return ratio_outcome(
        comparison,
        label="2 workers / 1",
        minimum=MINIMUM,
        notes=(note,),
        extra={"busiest_worker_shares": [round(share, 3) for share in split.shares]},
    )
