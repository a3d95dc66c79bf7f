"""`background`: what one client waits for a project's export, queued vs built in the request.

One owner with one project of 2,000 tasks. The subject is the stage as it ships:
`POST /api/v2/projects/{id}/exports` writes the job's row, queues it and answers `202` with the
job. The baseline is the stage with one route added (`benchmarks/apps/export_in_request.py`):
`GET /api/v2/projects/{id}/export.csv` builds the same CSV with the stage's own export code
while the client waits, and answers `200 text/csv`.

Who runs the queued jobs: with Redis in the run, one worker process started with taskiq's own
command (`taskiq worker fast_api_template.worker:broker`), as production runs the stage; without
Redis, the API's own process, as the stage's embedded default does; there the job starts on the
API's event loop as soon as it is queued, and its work can hold up the 202 itself. The worker is
pinned to the servers' CPU, so the queued side gets no CPU that the inline side lacks.

The question is what one client waits, not how many exports a server makes: one client on one
connection asks for one export at a time. After each `202` it polls the job, downloads the file
and checks it, and only then asks for the next export. So every `POST` meets an idle server, no
queued job runs while another request is measured, and the run proves that each queued export
finished, with the same CSV that the inline route answers. The time until the file is in hand is
reported too: queueing moves the work out of the request; it does not make it smaller.

wrk cannot poll a job, so a Python client (httpx) measures, on the load generator's CPU: at one
connection and milliseconds per request, its own cost is small, and it is the same on both
sides. Target: reported. The issue asks for the figure, not for a bound.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import statistics
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

import httpx

from benchmarks.case import Document, Outcome, format_ratio
from benchmarks.context import RunContext
from benchmarks.load import (
    REQUEST_TIMEOUT_SECONDS,
    BenchmarkError,
    Comparison,
    LoadSettings,
    Sample,
    Target,
    compare,
    percentile,
    sample_of,
)
from benchmarks.owners import expect, make_owner
from benchmarks.plots import BASELINE_COLOUR, SUBJECT_COLOUR, bar_chart
from benchmarks.report import format_figure, notes_and_footer
from benchmarks.servers import ServerSpec
from benchmarks.stages import Stage, uv_environment

TASKS = 2000
# One user makes a few hundred exports in a run; the stage holds ten per user by default
# (from stage 08, a quota against a flood of jobs), which would refuse the rest with a 429.
QUOTA = {"JOBS__EXPORTS_PER_USER": "1000"}
APP = "export_in_request"
QUEUED_PATH = "/api/v2/projects/{project_id}/exports"
INLINE_PATH = "/api/v2/projects/{project_id}/export.csv"
# A client polls the job this often: far more often than a real client would, so that the time
# until the file is in hand is close to when the job finished.
POLL_INTERVAL_SECONDS = 0.01
# How long one queued export may take, from the POST to its file, before the run gives up.
JOB_DEADLINE_SECONDS = 30.0
WORKER_START_SECONDS = 60.0
WORKER_STOP_SECONDS = 15.0
WORKER_BROKER = "fast_api_template.worker:broker"
# Written once per finished export by the stage's runner, and once at start-up by a worker.
EXPORT_DONE = '"export_done"'
WORKER_STARTED = '"worker_started"'
ROUTES = (
    "POST /api/v2/users",
    "POST /api/v2/auth/token",
    "POST /api/v2/projects/1/exports",
    "GET /api/v2/exports/00000000-0000-0000-0000-000000000000",
    "GET /api/v2/exports/00000000-0000-0000-0000-000000000000/file",
)
# The three lines of the table and the plot: each side, and the queued side's whole wait.
SIDES = (
    ("inline", "built in the request: `GET .../export.csv`, 200 and the CSV", "in the request"),
    ("queued", "queued: `POST .../exports`, 202 and the job", "queued: the 202"),
    (
        "queued_file",
        "queued, until the CSV is downloaded (the POST, polls, the file)",
        "queued: the file in hand",
    ),
)


@dataclass(frozen=True)
class OneClient(LoadSettings):
    """The load of this case: one client, one export at a time, in alternating rounds."""

    def describe(self) -> str:
        """Say how the load was applied, for the results."""
        return (
            f"{self.generator.name} {self.generator.version}, one client on one connection, one"
            " export at a time (each queued export polled and downloaded before the next);"
            f" {self.rounds} rounds of {self.seconds:g} s per side, alternated, after"
            f" {self.warmup_seconds:g} s of warm-up each"
        )


@dataclass
class Measured:
    """What one round of one side measured, export by export, in seconds."""

    answered: list[float] = field(default_factory=list)
    file_in_hand: list[float] = field(default_factory=list)


@dataclass
class ExportClient:
    """Asks for one export at a time, as one client does, and checks every answer.

    The queued target's exports are followed to their file; the other target answers the
    file itself. Every file must be `expected`, byte for byte.
    """

    queued_url: str
    headers: dict[str, str]
    expected: bytes
    name: str = "httpx"
    version: str = httpx.__version__
    # Each round's exports, with the sample that it returned (see `side`).
    rounds: list[tuple[Sample, Measured]] = field(default_factory=list)
    queued: int = 0  # exports queued, warm-up included

    def run(self, target: Target, seconds: float, connections: int) -> Sample:
        """Export for `seconds`, one export at a time (`connections` is always one here).

        Raises:
            BenchmarkError: An answer, a job or a file was not what the stage promises.

        """
        del connections  # one client: the question is what it waits
        measured = Measured()
        queued = target.url == self.queued_url
        with httpx.Client(headers=self.headers, timeout=REQUEST_TIMEOUT_SECONDS) as client:
            started = time.perf_counter()
            while time.perf_counter() - started < seconds:
                if queued:
                    self._queued_export(client, target.url, measured)
                else:
                    self._inline_export(client, target.url, measured)
            elapsed = time.perf_counter() - started
        sample = sample_of(measured.answered, elapsed)
        self.rounds.append((sample, measured))
        return sample

    def _inline_export(self, client: httpx.Client, url: str, measured: Measured) -> None:
        sent = time.perf_counter()
        response = client.get(url)
        answered = time.perf_counter() - sent
        self._check_file(response, url)
        measured.answered.append(answered)
        measured.file_in_hand.append(answered)

    def _queued_export(self, client: httpx.Client, url: str, measured: Measured) -> None:
        sent = time.perf_counter()
        response = client.post(url)
        answered = time.perf_counter() - sent
        job = expect(response, HTTPStatus.ACCEPTED)
        self.queued += 1
        location = str(response.url.join(response.headers["Location"]))
        deadline = sent + JOB_DEADLINE_SECONDS
        while job["status"] not in {"done", "failed"}:
            if time.perf_counter() > deadline:
                raise BenchmarkError(f"export {job['id']} not done after {JOB_DEADLINE_SECONDS} s")
            time.sleep(POLL_INTERVAL_SECONDS)
            job = expect(client.get(location), HTTPStatus.OK)
        if job["status"] != "done":
            raise BenchmarkError(f"export {job['id']} failed: {job['error']}")
        file_url = str(response.url.join(job["links"]["file"]))
        file = client.get(file_url)
        in_hand = time.perf_counter() - sent
        self._check_file(file, file_url)
        measured.answered.append(answered)
        measured.file_in_hand.append(in_hand)

    def _check_file(self, response: httpx.Response, url: str) -> None:
        if response.status_code != HTTPStatus.OK or response.content != self.expected:
            raise BenchmarkError(
                f"{url} answered {response.status_code} with {len(response.content)} bytes,"
                f" not the {len(self.expected)} bytes of the export: {response.text[:300]}"
            )
        if not response.headers["Content-Type"].startswith("text/csv"):
            raise BenchmarkError(f"{url} answered {response.headers['Content-Type']}, not CSV")

    def side(self, samples: tuple[Sample, ...]) -> Measured:
        """Return the exports of the measured rounds of one side, warm-up left out."""
        pooled = Measured()
        for sample, measured in self.rounds:
            # By identity: the comparison keeps the very samples that `run` returned, and two
            # rounds may measure equal figures.
            if not any(sample is kept for kept in samples):
                continue
            pooled.answered += measured.answered
            pooled.file_in_hand += measured.file_in_hand
        return pooled


def run(context: RunContext, stage: Stage) -> Outcome:
    """Make the project, check that both sides give the same CSV, then measure them in turn."""
    queued_spec = context.stage_server(stage, f"stage {stage.name}, queued", settings=QUOTA)
    inline_spec = _inline_server(context, stage)
    with context.serve(queued_spec, inline_spec) as (server, inline_server):
        email = f"background-{context.run_id}@example.com"
        owner = make_owner(server.url, context.database.url, email, 1, TASKS)
        project_id = _project_of(server.url, owner.headers)
        queued_url = server.url + QUEUED_PATH.format(project_id=project_id)
        inline_url = inline_server.url + INLINE_PATH.format(project_id=project_id)
        expected = _the_export(inline_url, owner.headers)
        exports = ExportClient(queued_url, owner.headers, expected)
        load = OneClient(
            exports,
            seconds=context.load.seconds,
            warmup_seconds=context.load.warmup_seconds,
            rounds=context.load.rounds,
            connections=1,
        )
        with _jobs_runner(context, stage, server.log) as jobs_log:
            comparison = compare(
                Target("built in the request", inline_url, owner.headers),
                Target("queued", queued_url, owner.headers),
                load,
            )
    # Counted once the processes have stopped: a job's line is written after its commit, so
    # the client may have seen the last job done before its line reached the log.
    jobs_done = _count(jobs_log, EXPORT_DONE)
    if jobs_done != exports.queued:
        raise BenchmarkError(
            f"{exports.queued} exports were queued, and {jobs_done} jobs finished:\n"
            + _tail(jobs_log)
        )
    return _outcome(context, comparison, exports, expected, load)


def _inline_server(context: RunContext, stage: Stage) -> ServerSpec:
    env = context.stage_settings(stage)
    env["PYTHONPATH"] = str(stage.copy)  # the stage's package, whichever interpreter runs it
    spec = context.app_server(stage, APP, f"stage {stage.name}, in the request", env=env)
    # It is the stage's app: it creates the tables at start-up, as the stage's servers do.
    return dataclasses.replace(spec, creates_tables=True)


def _the_export(url: str, headers: dict[str, str]) -> bytes:
    """Return the CSV that every export must give: a header line, then a line a task."""
    response = httpx.get(url, headers=headers, timeout=60)
    if response.status_code != HTTPStatus.OK or response.content.count(b"\n") != TASKS + 1:
        raise BenchmarkError(f"{url} answered {response.status_code}: {response.text[:300]}")
    return response.content


def _project_of(url: str, headers: dict[str, str]) -> int:
    answer = expect(httpx.get(f"{url}/api/v2/projects", headers=headers, timeout=30), 200)
    return int(answer["items"][0]["id"])


@contextmanager
def _jobs_runner(context: RunContext, stage: Stage, server_log: Path) -> Iterator[Path]:
    """Start a worker when the run has Redis; yield the log where finished jobs show."""
    if context.redis is None:
        yield server_log  # in-process: the API's own process runs the jobs
        return
    log = context.workdir / f"worker-{context.run_id}.log"
    command = [str(stage.python), "-m", "taskiq", "worker", WORKER_BROKER]
    command += ["--workers", "1", "--no-configure-logging"]
    cpus = context.cpus.server

    def pin() -> None:
        if cpus is not None:
            os.sched_setaffinity(0, cpus)

    with log.open("wb") as output:
        worker = subprocess.Popen(  # noqa: S603 - the stage's interpreter, our arguments
            command,
            cwd=stage.copy,
            env=uv_environment() | context.stage_settings(stage),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopping it stops its worker process too
            preexec_fn=pin,
        )
    try:
        _wait_for_worker(worker, log)
        yield log
    finally:
        _stop(worker)


def _wait_for_worker(worker: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + WORKER_START_SECONDS
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise BenchmarkError(f"the worker exited with {worker.returncode}:\n{_tail(log)}")
        if _count(log, WORKER_STARTED):
            return
        time.sleep(0.05)
    raise BenchmarkError(f"the worker did not start in time:\n{_tail(log)}")


def _stop(worker: subprocess.Popen[bytes]) -> None:
    if worker.poll() is not None:
        return
    os.killpg(worker.pid, signal.SIGTERM)
    try:
        worker.wait(timeout=WORKER_STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()


def _count(log: Path, event: str) -> int:
    return log.read_text(encoding="utf-8", errors="replace").count(event)


def _tail(log: Path) -> str:
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-40:])


def _outcome(
    context: RunContext,
    comparison: Comparison,
    exports: ExportClient,
    expected: bytes,
    load: LoadSettings,
) -> Outcome:
    inline = exports.side(comparison.baseline.samples)
    queued = exports.side(comparison.subject.samples)
    # Inline over queued, round by round: the two sides of a round ran one after the other.
    round_ratios = [
        inline_round.p50_ms / queued_round.p50_ms
        for inline_round, queued_round in zip(
            comparison.baseline.samples, comparison.subject.samples, strict=True
        )
    ]
    ratio = statistics.median(round_ratios)
    rows = {
        "inline": _latencies(inline.answered),
        "queued": _latencies(queued.answered),
        "queued_file": _latencies(queued.file_in_hand),
    }
    return Outcome(
        headline=format_ratio(ratio),
        figures={
            "tasks": TASKS,
            "csv_bytes": len(expected),
            "csv_lines": expected.count(b"\n"),
            "jobs_run_by": "a worker process" if context.redis is not None else "the API process",
            "poll_interval_ms": POLL_INTERVAL_SECONDS * 1000,
            "rows": rows,
            # Every export that the run queued, warm-up included, finished: the log of whoever
            # ran them says so once per job (see `run`).
            "jobs_done": exports.queued,
            "ratio_label": "in the request / queued, p50",
            "ratio": round(ratio, 4),
            "round_ratios": [round(value, 4) for value in round_ratios],
        },
        ratio=round(ratio, 4),
        load=load,
    )


def _latencies(seconds: list[float]) -> dict[str, float | int]:
    ordered = sorted(seconds)
    return {
        "exports": len(ordered),
        "p50_ms": round(percentile(ordered, 50) * 1000, 3),
        "p99_ms": round(percentile(ordered, 99) * 1000, 3),
    }


def table(document: Document) -> str:
    """Render one line per side (p50, p99, exports), the queued side's whole wait, the ratio."""
    figures = document["figures"]
    lines = ["| export | p50 latency | p99 latency | exports |", "|:--|--:|--:|--:|"]
    for key, label, _ in SIDES:
        row = figures["rows"][key]
        cells = [format_figure(row["p50_ms"], "ms"), format_figure(row["p99_ms"], "ms")]
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {row['exports']:,} |")
    lines.append(f"| **{figures['ratio_label']}** | **{document['headline']}** | | |")
    text = "\n".join(lines) + "\n\n" + _explanation(document) + "\n"
    return text + notes_and_footer(document)


def _explanation(document: Document) -> str:
    figures = document["figures"]
    rounds = ", ".join(format_ratio(value) for value in figures["round_ratios"])
    return (
        f"One project of {figures['tasks']:,} tasks: a CSV of {figures['csv_lines']:,} lines"
        f" and {figures['csv_bytes']:,} bytes. One client asks for one export at a time; after"
        " each 202 it polls the job every"
        f" {figures['poll_interval_ms']:g} ms and downloads the file before it asks for the"
        f" next export, so every request meets an idle server. The queued jobs ran in"
        f" {figures['jobs_run_by']}, on the servers' CPU. Every export was checked: each"
        " inline answer and each queued job's file was the same CSV, byte for byte, and"
        f" {figures['jobs_done']:,} jobs finished (warm-up included). The third line is what"
        " queueing does not save: the work still takes its time, out of the request."
        f" Target: {document['target']}. The latencies are over every export of the measured"
        " rounds; the ratio is the median of the rounds' ratios of the p50s, which were"
        f" {rounds}."
    )


def plot(document: Document, path: Path) -> None:
    """Draw each line's p50 latency, with its p99 beside it."""
    rows = document["figures"]["rows"]
    values, texts = [], []
    for key, _, _ in SIDES:
        values.append(rows[key]["p50_ms"])
        texts.append(f"p50 {rows[key]['p50_ms']:.1f} ms, p99 {rows[key]['p99_ms']:.1f} ms")
    bar_chart(
        path,
        labels=[label for _, _, label in SIDES],
        values=values,
        colours=[BASELINE_COLOUR, SUBJECT_COLOUR, SUBJECT_COLOUR],
        title=f"{document['title']}: in the request / queued, p50 = {document['headline']}",
        axis_label="latency in ms, p50 of the measured exports (this machine)",
        value_labels=texts,
    )
