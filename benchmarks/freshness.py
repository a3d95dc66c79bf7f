"""`--check`: whether the results on disk are what this checkout's code would write now."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from benchmarks import COMMAND
from benchmarks.cases import CASES
from benchmarks.documents import rendered_summary, rendered_table
from benchmarks.fingerprint import fingerprint, shared_sources
from benchmarks.report import SUMMARY, read_documents
from benchmarks.stages import stage_dirs, stage_fingerprint


def check(results: Path, assets: Path) -> int:
    """Check the results on disk against the code and stages of this checkout.

    Fails (exit 1) on results measured by other benchmark code than this checkout's, on
    tables or plots that their JSON does not account for, and on a measured stage that is
    gone. Warns, without failing, when the measured stage changed since or a newer stage
    exists: see tests/test_benchmarks.py for why.
    """
    problems, warnings = [], []
    documents = read_documents(results)
    newest = stage_dirs()[-1].name
    for name, document in documents.items():
        problems += _document_problems(name, document, results, assets)
        stage = document["stage"]["name"]
        source = next((path for path in stage_dirs() if path.name == stage), None)
        if source is not None and _fingerprint(source) != document["stage"]["fingerprint"]:
            warnings.append(f"{name}: stage {stage} changed since it was measured")
        if stage != newest:
            warnings.append(f"{name}: measured {stage}; the newest stage is {newest}")
    summary = results / f"{SUMMARY}.md"
    if documents and (
        not summary.is_file() or summary.read_text(encoding="utf-8") != rendered_summary(results)
    ):
        problems.append(f"{summary.name}: not the summary of the JSON results beside it")
    for line in warnings:
        print(f"warning: {line}")
    for line in problems:
        print(f"stale: {line}")
    if problems:
        print(f"Run `{COMMAND} --only <case>` for each stale case and commit what it writes.")
    return 1 if problems else 0


@cache
def _fingerprint(stage: Path) -> str:
    return stage_fingerprint(stage)


def _document_problems(
    name: str, document: dict[str, Any], results: Path, assets: Path
) -> list[str]:
    case = CASES.get(name)
    if case is None:
        return [f"{name}.json: no case is called {name!r}"]
    problems = []
    if document["setup"]["smoke"]:
        problems.append(f"{name}.json: written by a --smoke run, whose figures mean nothing")
    if fingerprint([*shared_sources(), *case.sources]) != document["code_fingerprint"]:
        problems.append(f"{name}.json: measured with other benchmark code than this checkout's")
    if not any(path.name == document["stage"]["name"] for path in stage_dirs()):
        problems.append(f"{name}.json: the stage it measured, {document['stage']['name']}, is gone")
    table = results / f"{name}.md"
    if not table.is_file() or table.read_text(encoding="utf-8") != rendered_table(case, document):
        problems.append(f"{name}.md: not what {name}.json renders (edited by hand?)")
    if not (assets / f"{name}.svg").is_file():
        problems.append(f"{name}.svg: missing from {assets}")
    return problems
