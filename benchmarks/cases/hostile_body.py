"""`hostile_body`: the worst JSON bodies that fit under the stage's body limit.

Each body is POSTed to the stage's registration route, which anyone may call, a few times in a
row from a Python client (wrk cannot send these). For each body: the status, the size of the
answer, and the time until the whole answer arrived. Meanwhile another thread asks for
`/health` every few milliseconds: if a body blocks the event loop, every other request waits
for it, and that shows in the health check's latency.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from pathlib import Path
from typing import Any

import httpx

from benchmarks.case import Document, Outcome
from benchmarks.context import MAX_BODY_SIZE, RunContext
from benchmarks.load import BenchmarkError, on_a_thread, percentile
from benchmarks.plots import bar_chart
from benchmarks.report import format_figure, notes_and_footer
from benchmarks.stages import Stage

ROUTE = "/api/v2/users"
# Targets: answered in milliseconds, and an answer under 64 KiB. "Milliseconds" read as under
# a tenth of a second: what parsing a 1 MiB body takes here, not a stalled event loop.
MAX_SECONDS = 0.1
MAX_ANSWER_BYTES = 64 * 1024
# Bound on each body's share of a run, whatever the server does with it.
BODY_BUDGET_SECONDS = 30.0
PROBE_INTERVAL_SECONDS = 0.005
IDLE_PROBES = 50


def many_keys(limit: int) -> bytes:
    """Return an object of as many unknown keys as fit: `{"k0":0,"k1":0,...}`."""
    parts, size, index = [], 2, 0
    while size + len(f'"k{index}":0') + 1 <= limit:
        parts.append(f'"k{index}":0')
        size += len(parts[-1]) + 1
        index += 1
    return ("{" + ",".join(parts) + "}").encode()


def deep_nesting(limit: int) -> bytes:
    """Return arrays nested as deep as fit: `[[[...]]]`."""
    depth = limit // 2
    return b"[" * depth + b"]" * depth


def many_items(limit: int) -> bytes:
    """Return one array of as many zeros as fit, where an object is expected."""
    return b"[" + b",".join([b"0"] * ((limit - 1) // 2)) + b"]"


def long_string(limit: int) -> bytes:
    """Return a registration whose email is one string as long as fits."""
    head, tail = b'{"email":"', b'@example.com","password":"long-enough-password"}'
    return head + b"a" * (limit - len(head) - len(tail)) + tail


def long_number(limit: int) -> bytes:
    """Return a registration whose password is one integer of as many digits as fit."""
    head, tail = b'{"email":"someone@example.com","password":', b"}"
    return head + b"1" * (limit - len(head) - len(tail)) + tail


def reference(_limit: int) -> bytes:
    """Return an ordinary invalid registration, for comparison: one field wrong."""
    return b'{"email":"not-an-email","password":"long-enough-password"}'


BODIES: dict[str, tuple[str, Callable[[int], bytes]]] = {
    "many_keys": ("one object, unknown keys", many_keys),
    "deep_nesting": ("nested arrays", deep_nesting),
    "many_items": ("one array of zeros", many_items),
    "long_string": ("one long string", long_string),
    "long_number": ("one long number", long_number),
    "reference": ("reference: a small invalid body", reference),
}


class HealthProbe:
    """Asks for `/health` in a loop on its own thread and keeps the latencies."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.latencies: list[float] = []
        self._stop = threading.Event()

    def run(self) -> None:
        """Probe until stopped."""
        with httpx.Client(timeout=120) as client:
            while not self._stop.is_set():
                start = time.perf_counter()
                client.get(self.url)
                self.latencies.append(time.perf_counter() - start)
                self._stop.wait(PROBE_INTERVAL_SECONDS)

    @contextmanager
    def running(self) -> Iterator[HealthProbe]:
        """Probe while the block runs."""
        with on_a_thread(self.run, self._stop):
            yield self


def run(context: RunContext, stage: Stage) -> Outcome:
    """Send each body a few times while probing `/health`; report what each cost."""
    with context.serve(context.stage_server(stage, f"stage {stage.name}")) as (server,):
        idle = _idle_health(server.url + "/health")
        rows = {
            name: _measure(server.url, body(MAX_BODY_SIZE), context.hostile_requests)
            for name, (_, body) in BODIES.items()
        }
    for name, (label, _) in BODIES.items():
        rows[name]["label"] = label
        if HTTPStatus.TOO_MANY_REQUESTS in rows[name]["statuses"]:
            raise BenchmarkError(
                f"{label}: answered 429, so a limit and not the body was measured; "
                "raise the stage's limit in RunContext.stage_settings"
            )
    hostile = [row for name, row in rows.items() if name != "reference"]
    slowest = max(row["max_ms"] for row in hostile)
    largest = max(row["answer_bytes"] for row in hostile)
    met = slowest < MAX_SECONDS * 1000 and largest < MAX_ANSWER_BYTES
    met = met and all(400 <= status < 500 for row in hostile for status in row["statuses"])
    return Outcome(
        headline=f"{format_figure(slowest, 'ms')}, {_size(largest)}",
        figures={"limit_bytes": MAX_BODY_SIZE, "idle_health": idle, "bodies": rows},
        meets_target=met,
    )


def _idle_health(url: str) -> dict[str, float]:
    with httpx.Client(timeout=30) as client:
        latencies = []
        for _ in range(IDLE_PROBES):
            start = time.perf_counter()
            client.get(url)
            latencies.append(time.perf_counter() - start)
    return _latency_summary(latencies)


def _latency_summary(latencies: list[float]) -> dict[str, float]:
    ordered = sorted(latencies) or [0.0]
    return {
        "p50_ms": round(percentile(ordered, 50) * 1000, 3),
        "max_ms": round(ordered[-1] * 1000, 3),
        "count": len(latencies),
    }


def _measure(url: str, body: bytes, requests: int) -> dict[str, Any]:
    """POST `body` up to `requests` times (within the budget) while probing `/health`."""
    times: list[float] = []
    statuses: list[int] = []
    answer = 0
    headers = {"Content-Type": "application/json"}
    with (
        HealthProbe(url + "/health").running() as probe,
        httpx.Client(base_url=url, timeout=120) as client,
    ):
        deadline = time.monotonic() + BODY_BUDGET_SECONDS
        while len(times) < requests and (not times or time.monotonic() < deadline):
            start = time.perf_counter()
            response = client.post(ROUTE, content=body, headers=headers)
            times.append(time.perf_counter() - start)
            statuses.append(response.status_code)
            answer = max(answer, len(response.content))
    return {
        "sent_bytes": len(body),
        "requests": len(times),
        "statuses": sorted(set(statuses)),
        "answer_bytes": answer,
        "median_ms": round(statistics.median(times) * 1000, 3),
        "max_ms": round(max(times) * 1000, 3),
        "health_during": _latency_summary(probe.latencies),
    }


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / 1024 / 1024:.1f} MiB"


def table(document: Document) -> str:
    """Render one row per body: size, status, answer, time, and `/health` meanwhile."""
    figures = document["figures"]
    lines = [
        "| body | sent | status | answer | time, median | time, max "
        "| `/health` meanwhile, median | `/health` meanwhile, max |",
        "|:--|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in figures["bodies"].values():
        health = row["health_during"]
        cells = [
            row["label"],
            f"{row['sent_bytes']:,} B",
            ", ".join(str(status) for status in row["statuses"]),
            _size(row["answer_bytes"]),
            format_figure(row["median_ms"], "ms"),
            format_figure(row["max_ms"], "ms"),
            format_figure(health["p50_ms"], "ms"),
            format_figure(health["max_ms"], "ms"),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    idle = figures["idle_health"]
    requests = max(row["requests"] for row in figures["bodies"].values())
    text = "\n".join(lines)
    text += (
        f"\n\nEach body was sent up to {requests} times to `POST {ROUTE}`, with a body limit of"
        f" {_size(figures['limit_bytes'])}; times are measured by the client, to the last byte"
        f" of the answer. `/health` alone, before: median {format_figure(idle['p50_ms'], 'ms')},"
        f" max {format_figure(idle['max_ms'], 'ms')}. Target: {document['target']}."
        f" Worst here: {document['headline']}.\n"
    )
    return text + notes_and_footer(document)


def plot(document: Document, path: Path) -> None:
    """Draw each body's median time (log scale), labelled with its status and answer size."""
    rows = list(document["figures"]["bodies"].values())
    bar_chart(
        path,
        labels=[row["label"] for row in rows],
        values=[max(row["median_ms"], 0.01) for row in rows],
        colours=["#9e9e9e" if row is rows[-1] else "#3f51b5" for row in rows],
        title=f"{document['title']}: worst {document['headline']}",
        axis_label="time to the whole answer in ms, median, log scale (this machine)",
        value_labels=[
            f"{format_figure(row['median_ms'], 'ms')}: {', '.join(map(str, row['statuses']))},"
            f" {_size(row['answer_bytes'])}"
            for row in rows
        ],
        log_scale=True,
    )
