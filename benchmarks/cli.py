"""The command line: run the cases and write their results, or check the results on disk."""

from __future__ import annotations

import argparse
import secrets
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks import ASSETS, RESULTS
from benchmarks.case import Case
from benchmarks.cases import CASES
from benchmarks.context import RunContext
from benchmarks.documents import (
    build_document,
    load_average,
    rendered_table,
    write_case,
    write_summary,
)
from benchmarks.freshness import check
from benchmarks.load import (
    INSTALL_HINT,
    BenchmarkError,
    LoadGenerator,
    LoadSettings,
    PythonClient,
    find_wrk,
)
from benchmarks.machine import describe
from benchmarks.report import read_documents
from benchmarks.servers import CpuPlan
from benchmarks.services import fresh_database, fresh_redis
from benchmarks.stages import StageFinder, prepare


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=(
            "Measure every speed figure the guide states, side by side on loopback, and write "
            "benchmarks/results/ and docs/assets/benchmarks/."
        ),
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(CASES),
        metavar="NAME",
        help=f"run only this case (repeatable): {', '.join(CASES)}",
    )
    parser.add_argument(
        "--stage",
        metavar="NN-name",
        help="measure this stage (default: the newest that serves each case)",
    )
    parser.add_argument(
        "--duration",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="length of one round of load on one server, whole seconds (default: 2)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=7,
        help="rounds per server, alternated between the two (default: 7)",
    )
    parser.add_argument(
        "--warmup",
        type=float,
        default=2.0,
        metavar="SECONDS",
        help="load before the first round, not measured (default: 2)",
    )
    parser.add_argument(
        "--connections",
        type=int,
        default=32,
        help="open connections of the load generator (default: 32)",
    )
    parser.add_argument(
        "--requests", type=int, default=5, help="times each hostile body is sent (default: 5)"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="a second-long run of the smoke cases, on SQLite, to check the "
        "runner itself; its figures mean nothing and it writes to a temporary "
        "folder unless --results is given",
    )
    parser.add_argument(
        "--results",
        type=Path,
        metavar="DIR",
        help="where the JSON and Markdown results go (default: benchmarks/results)",
    )
    parser.add_argument(
        "--assets",
        type=Path,
        metavar="DIR",
        help="where the SVG plots go (default: docs/assets/benchmarks)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="run nothing: check that the results on disk are current",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: draw every table and plot again from the stored JSON results "
        "(after a change to how results are shown)",
    )
    parser.add_argument("--list", action="store_true", help="list the cases and exit")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    options = parse_args(argv)
    if options.list:
        for case in CASES.values():
            print(f"{case.name:14} {case.question} Target: {case.target}.")
        return 0
    results = options.results or RESULTS
    assets = options.assets or (results if options.results else ASSETS)
    if options.check:
        return check(results, assets)
    if options.render:
        return render(results, assets)
    return run(options)


def render(results: Path, assets: Path) -> int:
    """Write every case's table and plot again from its JSON results, which stay as they are."""
    for name, document in read_documents(results).items():
        case = CASES.get(name)
        if case is None:
            print(f"{name}.json: no case is called {name!r}", file=sys.stderr)
            return 1
        (results / f"{name}.md").write_text(rendered_table(case, document), encoding="utf-8")
        if not document["setup"]["smoke"]:
            case.draw(document, assets / f"{name}.svg")
    write_summary(results)
    print(f"drew the tables in {results} and the plots in {assets} again")
    return 0


def selected_cases(options: argparse.Namespace) -> list[Case]:
    """Return the cases to run, in the registry's order."""
    if options.only:
        return [case for name, case in CASES.items() if name in options.only]
    return [case for case in CASES.values() if case.in_smoke or not options.smoke]


def load_settings(options: argparse.Namespace, generator: LoadGenerator) -> LoadSettings:
    """Return the load of each round: the options', or a token load for `--smoke`."""
    if options.smoke:
        return LoadSettings(generator, seconds=1.0, warmup_seconds=0.0, rounds=1, connections=8)
    return LoadSettings(
        generator,
        seconds=options.duration,
        warmup_seconds=options.warmup,
        rounds=options.rounds,
        connections=options.connections,
    )


def run(options: argparse.Namespace) -> int:
    """Run the selected cases; write each one's results as soon as it is measured."""
    generator: LoadGenerator | None = find_wrk()
    if generator is None and options.smoke:
        generator = PythonClient()
    if generator is None:
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    results = options.results or (
        Path(tempfile.mkdtemp(prefix="smoke-")) if options.smoke else RESULTS
    )
    assets = options.assets or (results if options.smoke else ASSETS)
    for folder in (results, assets):
        folder.mkdir(parents=True, exist_ok=True)
    cpus = CpuPlan.detect()
    cpus.pin_this_process()
    run_id = secrets.token_hex(4)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix="benchmarks-") as workdir,
        fresh_database(run_id, Path(workdir), allow_postgres=not options.smoke) as database,
        fresh_redis(run_id, allow=not options.smoke) as redis,
    ):
        context = RunContext(
            run_id=run_id,
            workdir=Path(workdir),
            load=load_settings(options, generator),
            cpus=cpus,
            database=database,
            redis=redis,
            secret=secrets.token_urlsafe(32),
            smoke=options.smoke,
            hostile_requests=1 if options.smoke else options.requests,
            machine=describe(),
            named_stage=options.stage,
        )
        print(f"Database: {database.describe()}. CPUs: {cpus.describe()}.")
        cases = selected_cases(options)
        routes = [route for case in cases for route in case.routes]
        finder = StageFinder(routes, context.workdir, name=options.stage)
        failed = [
            case.name for case in cases if not _run_case(case, context, finder, results, assets)
        ]
    write_summary(results)
    print(f"Done in {time.monotonic() - started:.0f} s; results in {results}, plots in {assets}.")
    if failed:
        print(f"Failed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


def _run_case(
    case: Case, context: RunContext, finder: StageFinder, results: Path, assets: Path
) -> bool:
    """Run one case and write its results; report a failure and return False instead of raising."""
    started = time.monotonic()
    load_before = load_average()
    print(f"{case.name}: {case.question}")
    try:
        source = finder.find(case.routes)
        if source not in context.stages:
            own = not context.smoke
            context.stages[source] = prepare(source, context.workdir, own_environment=own)
        stage = context.stages[source]
        outcome = case.run(context, stage)
    except BenchmarkError as error:
        print(f"{case.name}: FAILED\n{error}", file=sys.stderr)
        return False
    document = build_document(case, outcome, stage, context, load_before=load_before)
    write_case(case, document, results, assets)
    print(
        f"{case.name}: {outcome.headline} on {stage.name} (target: {case.target}) "
        f"in {time.monotonic() - started:.0f} s"
    )
    return True
